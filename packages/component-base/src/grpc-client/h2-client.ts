/**
 * One client-side HTTP/2 connection (RFC 9113) in JavaScript for gRPC unary calls, on the same
 * frames and HPACK as the server (../grpc-server/h2/): a call is one stream carrying the request
 * headers and the request's gRPC frame, answered by headers, one message and trailers (or a
 * Trailers-Only answer). Everything written while a socket chunk is handled, or within one tick,
 * goes out in one socket write; the answer's message is a view of the socket chunk when it
 * arrives in one piece (the common case), and is joined once otherwise.
 *
 * Why not node:http2: its client costs a stream object, an AsyncResource with its bind, header
 * objects and several events per call (ADR 0035 finding 1: `ClientHttp2Session.request` alone
 * was 4-9 % of the API server's CPU). This connection costs a small object per call and a
 * callback at its end (ADR 0040).
 *
 * No server push (disabled in our SETTINGS), no priorities. The connection's owner decides
 * what to do with failures: every call ends with exactly one UnaryOutcome.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  FRAME_HEADER,
  Flag,
  FrameType,
  MAX_WINDOW,
  PREFACE,
  Setting,
  frame,
  goawayFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from '../grpc-server/h2/frames.js';
import {
  ConnectionError,
  forEachSetting,
  growConnectionWindow,
  shiftSendWindows,
  unpad,
  windowIncrement,
} from '../grpc-server/h2/frame-rules.js';
import {
  HeaderListTooLarge,
  HpackDecoder,
  encodeHeaders as encodeFields,
  type HeaderList,
} from '../grpc-server/h2/hpack.js';

export interface H2ClientOptions {
  host: string;
  port: number;
  /** TLS (ALPN `h2`): the CA to verify the server with, and the client certificate. */
  tls?: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined };
  /** Our SETTINGS_INITIAL_WINDOW_SIZE and the connection's receive window; 16 MiB. */
  windowBytes?: number;
  /** Largest answer header block (and decoded list) accepted; 64 KiB. */
  maxHeaderListBytes?: number;
  /** A PING this often while the connection is open; 0 or undefined: none. */
  keepaliveTimeMs?: number;
  /** The PING's ACK must arrive within this many ms, or every call fails; 10 s. */
  keepaliveTimeoutMs?: number;
  /** The connection has ended (socket closed, GOAWAY, keepalive timeout): start a new one. */
  onClose?(): void;
}

/** A unary request: the method's path, the whole gRPC frame(s) of the body, more headers. */
export interface UnaryRequest {
  path: string;
  /** The `grpc-timeout` header's value (e.g. `15000m`), or undefined for none. */
  timeout: string | undefined;
  /** Extra request headers (lowercase ASCII names), e.g. `traceparent`. */
  headers: ReadonlyArray<readonly [string, string]> | undefined;
  body: Buffer;
}

/** How a call ended (exactly one per call). */
export type UnaryOutcome =
  | {
      kind: 'answer';
      /** The answer's `:status`. */
      httpStatus: number;
      /** `grpc-status` from the trailers (or a Trailers-Only answer); undefined: none came. */
      grpcStatus: number | undefined;
      /** `grpc-message` as sent (percent-encoded), or ''. */
      grpcMessage: string;
      /** The one answer message without its prefix; undefined when none came. */
      message: Buffer | undefined;
      /** Why the message cannot be used (compressed, more than one, cut short), or undefined. */
      malformed: string | undefined;
    }
  /** The server reset the stream (RST_STREAM with this error code). */
  | { kind: 'reset'; code: number }
  /**
   * The stream never ran, or the connection ended under it. `sent`: its frames may have
   * reached the server (the connection had been established when they were written);
   * `refused`: the server said it did not process it (GOAWAY above it, REFUSED_STREAM).
   */
  | { kind: 'lost'; sent: boolean; refused: boolean; cause: string };

export type UnaryCallback = (outcome: UnaryOutcome) => void;

const SLAB = 64 * 1024;
/** Frames up to this size are copied into the slab; larger payloads are written as they are. */
const COPY_LIMIT = 4096;
const KEEPALIVE_PING = Buffer.from('kubetskc', 'latin1');
const LAST_CLIENT_STREAM = 2 ** 31 - 1;
const EMPTY = Buffer.alloc(0);
/** `grpc-timeout` as a literal field without indexing, new name (RFC 7541 6.2.2), up to its value. */
const TIMEOUT_FIELD = Buffer.from('\x00\x0cgrpc-timeout', 'latin1');

/** One unary call: its stream and where its answer goes. */
export class UnaryStream {
  id = 0;
  sendWindow = 0;
  /** Body bytes not sent yet (flow control), from `bodyOff`. */
  body: Buffer = EMPTY;
  bodyOff = 0;
  /** Unreturned receive-window bytes of this stream. */
  recvUnacked = 0;
  httpStatus = 0;
  grpcStatus: number | undefined;
  grpcMessage = '';
  headersSeen = false;
  /** The answer message: its prefix bytes so far, then its bytes. */
  prefix: number[] | undefined;
  message: Buffer | undefined;
  messageFill = 0;
  messages = 0;
  malformed: string | undefined;
  done = false;

  constructor(
    readonly request: UnaryRequest,
    private readonly callback: UnaryCallback,
    private readonly conn: H2ClientConnection,
  ) {}

  /** Ends the call without an answer (deadline, shutdown): RST_STREAM CANCEL if it started. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.conn.cancelStream(this);
  }

  /** @internal */
  finish(outcome: UnaryOutcome): void {
    if (this.done) return;
    this.done = true;
    this.callback(outcome);
  }
}

export class H2ClientConnection {
  readonly socket: Socket;
  /** The socket connected (and its TLS handshake ended): calls written since may have arrived. */
  private established = false;
  private dead = false;
  /** No new streams here (GOAWAY, stream ids used up, closed); the owner was told. */
  private goingAway = false;
  /** The server sent GOAWAY. */
  private peerGoaway = false;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxStreams = Infinity;
  private sendWindow = DEFAULT_WINDOW;
  private recvUnacked = 0;
  private readonly windowBytes: number;
  private readonly maxHeaderList: number;
  private nextId = 1;
  private readonly streams = new Map<number, UnaryStream>();
  /** Calls waiting for a stream slot (MAX_CONCURRENT_STREAMS). */
  private readonly waiting: UnaryStream[] = [];
  /** Streams with body bytes waiting for send window. */
  private readonly blocked = new Set<UnaryStream>();
  private readonly decoder = new HpackDecoder();
  private buffered: Buffer | undefined;
  private headerStream = 0;
  private headerParts: Buffer[] = [];
  private headerBytes = 0;
  private headerEndStream = false;
  private out: Buffer[] = [];
  private slab = Buffer.allocUnsafe(SLAB);
  private slabStart = 0;
  private slabPos = 0;
  private inChunk = false;
  private flushScheduled = false;
  /** The constant parts of every request's header block: pseudo-headers, then the others. */
  private readonly pseudoBlock: Buffer;
  private readonly fixedBlock: Buffer;
  /** Each path's block up to the per-call fields (pseudo-headers, content-type, te). */
  private readonly heads = new Map<string, Buffer>();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private lastError = '';

  constructor(private readonly o: H2ClientOptions) {
    this.windowBytes = Math.min(o.windowBytes ?? 16 * 1024 * 1024, MAX_WINDOW);
    this.maxHeaderList = o.maxHeaderListBytes ?? 64 * 1024;
    const authority = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
    this.pseudoBlock = encodeFields([
      [':method', 'POST'],
      [':scheme', o.tls ? 'https' : 'http'],
      [':authority', authority],
    ]);
    this.fixedBlock = encodeFields([
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
    ]);
    if (o.tls) {
      const tls = tlsConnect({
        host: o.host,
        port: o.port,
        ALPNProtocols: ['h2'],
        ...(isIP(o.host) === 0 ? { servername: o.host } : {}),
        ...(o.tls.ca ? { ca: o.tls.ca } : {}),
        ...(o.tls.cert ? { cert: o.tls.cert } : {}),
        ...(o.tls.key ? { key: o.tls.key } : {}),
      });
      tls.once('secureConnect', () => {
        const alpn = tls.alpnProtocol;
        if (typeof alpn === 'string' && alpn !== 'h2') {
          this.lastError = `server chose ALPN protocol ${alpn}, not h2`;
          tls.destroy();
          return;
        }
        this.onEstablished();
      });
      this.socket = tls;
    } else {
      this.socket = netConnect({ host: o.host, port: o.port });
      this.socket.once('connect', () => this.onEstablished());
    }
    this.socket.setNoDelay(true);
    // Idle connections do not keep the process alive (the caller's timers do while calls run).
    this.socket.unref();
    this.socket.on('data', this.onData);
    this.socket.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    this.socket.on('close', () => this.onClose(this.lastError));
    // Preface, SETTINGS and the connection window go out first (buffered until connected).
    const out = [
      PREFACE,
      settingsFrame([
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, this.windowBytes],
        [Setting.MAX_HEADER_LIST_SIZE, this.maxHeaderList],
      ]),
    ];
    if (this.windowBytes > DEFAULT_WINDOW) {
      out.push(windowUpdateFrame(0, this.windowBytes - DEFAULT_WINDOW));
    }
    for (const b of out) this.send(b);
  }

  /** Whether new calls may start here (not closed, no GOAWAY, stream ids left). */
  get usable(): boolean {
    return !this.dead && !this.goingAway && !this.peerGoaway && this.nextId <= LAST_CLIENT_STREAM;
  }

  /** Whether the socket connected (calls written since may have reached the server). */
  get connected(): boolean {
    return this.established;
  }

  /** Calls open or waiting. */
  get activeCalls(): number {
    return this.streams.size + this.waiting.length;
  }

  /** Starts a unary call; `callback` gets its one outcome (never synchronously). */
  unary(request: UnaryRequest, callback: UnaryCallback): UnaryStream {
    const s = new UnaryStream(request, callback, this);
    if (!this.usable) {
      const cause = this.lastError || 'connection closed';
      process.nextTick(() => s.finish({ kind: 'lost', sent: false, refused: false, cause }));
      return s;
    }
    if (this.streams.size >= this.peerMaxStreams) this.waiting.push(s);
    else this.start(s);
    return s;
  }

  /** Closes the connection now: open and waiting calls end as lost (`cause`). */
  destroy(cause = 'connection closed'): void {
    if (this.dead) return;
    this.lastError ||= cause;
    this.flush();
    this.socket.destroy();
    this.onClose(cause);
  }

  private start(s: UnaryStream): void {
    const id = this.nextId;
    this.nextId += 2;
    s.id = id;
    s.sendWindow = this.peerInitialWindow;
    this.streams.set(id, s);
    this.writeHeaders(s);
    this.sendBody(s, s.request.body, 0);
    if (this.nextId > LAST_CLIENT_STREAM) this.retire();
  }

  /** The request's header block as HEADERS (+ CONTINUATION) frames. */
  private writeHeaders(s: UnaryStream): void {
    const r = s.request;
    // Pseudo-headers (`:path` among them) come before every other field (8.3): the constant
    // part of each path's block is encoded once.
    let head = this.heads.get(r.path);
    if (head === undefined) {
      head = Buffer.concat([this.pseudoBlock, encodeFields([[':path', r.path]]), this.fixedBlock]);
      if (this.heads.size < 256) this.heads.set(r.path, head);
    }
    // grpc-timeout (at most 8 digits and a unit) as a literal without indexing, written in
    // place; anything longer than a one-byte length goes through the encoder.
    const short = r.timeout === undefined || r.timeout.length < 127;
    const timeout = short ? r.timeout : undefined;
    const timeoutLen = timeout === undefined ? 0 : TIMEOUT_FIELD.length + 1 + timeout.length;
    const extra = short ? r.headers : [['grpc-timeout', r.timeout!] as const, ...(r.headers ?? [])];
    const tail = extra === undefined ? EMPTY : encodeFields(extra);
    const len = head.length + timeoutLen + tail.length;
    const endStream = r.body.length === 0 ? Flag.END_STREAM : 0;
    if (len <= this.peerMaxFrame && len <= COPY_LIMIT) {
      const at = this.reserve(FRAME_HEADER + len);
      const slab = this.slab;
      writeFrameHeader(slab, at, len, FrameType.HEADERS, Flag.END_HEADERS | endStream, s.id);
      let pos = at + FRAME_HEADER;
      pos += head.copy(slab, pos);
      if (timeout !== undefined) {
        pos += TIMEOUT_FIELD.copy(slab, pos);
        slab[pos++] = timeout.length;
        pos += slab.write(timeout, pos, 'latin1');
      }
      tail.copy(slab, pos);
      this.scheduleFlush();
      return;
    }
    const block = Buffer.concat([
      head,
      timeout === undefined ? EMPTY : encodeFields([['grpc-timeout', timeout]]),
      tail,
    ]);
    const max = this.peerMaxFrame;
    for (let off = 0; off < block.length; off += max) {
      const last = off + max >= block.length;
      const type = off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (last ? Flag.END_HEADERS : 0) | (off === 0 ? endStream : 0);
      this.send(frame(type, flags, s.id, block.subarray(off, off + max)));
    }
  }

  /** DATA frames for as much of the body as the windows allow; the rest waits (blocked). */
  private sendBody(s: UnaryStream, data: Buffer, from: number): void {
    let off = from;
    while (off < data.length) {
      const room = Math.min(this.sendWindow, s.sendWindow, this.peerMaxFrame);
      if (room <= 0) {
        s.body = data;
        s.bodyOff = off;
        this.blocked.add(s);
        this.scheduleFlush();
        return;
      }
      const n = Math.min(room, data.length - off);
      const flags = off + n === data.length ? Flag.END_STREAM : 0;
      if (n <= COPY_LIMIT) {
        const at = this.reserve(FRAME_HEADER + n);
        writeFrameHeader(this.slab, at, n, FrameType.DATA, flags, s.id);
        data.copy(this.slab, at + FRAME_HEADER, off, off + n);
      } else {
        const at = this.reserve(FRAME_HEADER);
        writeFrameHeader(this.slab, at, n, FrameType.DATA, flags, s.id);
        this.seal();
        this.out.push(off === 0 && n === data.length ? data : data.subarray(off, off + n));
      }
      this.sendWindow -= n;
      s.sendWindow -= n;
      off += n;
    }
    s.body = EMPTY;
    s.bodyOff = 0;
    this.scheduleFlush();
  }

  private resumeBlocked(): void {
    if (this.blocked.size === 0) return;
    const streams = [...this.blocked];
    this.blocked.clear();
    for (const s of streams) {
      if (!s.done && this.streams.get(s.id) === s) this.sendBody(s, s.body, s.bodyOff);
    }
  }

  /** @internal The call was cancelled by its owner. */
  cancelStream(s: UnaryStream): void {
    const w = this.waiting.indexOf(s);
    if (w >= 0) {
      this.waiting.splice(w, 1);
      return;
    }
    if (this.streams.get(s.id) !== s) return;
    this.send(rstStreamFrame(s.id, ErrorCode.CANCEL));
    this.forget(s);
  }

  private forget(s: UnaryStream): void {
    this.streams.delete(s.id);
    this.blocked.delete(s);
    if (this.dead) return;
    while (this.waiting.length > 0 && this.streams.size < this.peerMaxStreams && this.usable) {
      this.start(this.waiting.shift()!);
    }
    if (this.goingAway && this.streams.size === 0) this.destroy('server sent GOAWAY');
  }

  /** No new streams here (GOAWAY, stream ids used up); the owner is told to open another. */
  private retire(): void {
    if (this.goingAway) return;
    this.goingAway = true;
    // Calls waiting for a slot never started: they may go elsewhere.
    for (const s of this.waiting.splice(0)) {
      s.finish({ kind: 'lost', sent: false, refused: true, cause: 'connection is going away' });
    }
    this.o.onClose?.();
    if (this.streams.size === 0) this.destroy('server sent GOAWAY');
  }

  private onEstablished(): void {
    this.established = true;
    const every = this.o.keepaliveTimeMs ?? 0;
    if (every > 0 && !this.dead) {
      this.keepaliveTimer = setInterval(() => this.ping(), every);
      this.keepaliveTimer.unref();
    }
  }

  private ping(): void {
    if (this.dead || this.pingTimer !== undefined) return;
    this.send(frame(FrameType.PING, 0, 0, KEEPALIVE_PING));
    this.pingTimer = setTimeout(() => {
      this.pingTimer = undefined;
      this.destroy('keepalive timeout');
    }, this.o.keepaliveTimeoutMs ?? 10_000);
    this.pingTimer.unref();
  }

  private readonly onClose = (cause: string): void => {
    if (this.dead) return;
    this.dead = true;
    this.out = [];
    clearInterval(this.keepaliveTimer);
    clearTimeout(this.pingTimer);
    const why = cause || 'connection closed';
    const sent = this.established;
    const open = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const s of open) s.finish({ kind: 'lost', sent, refused: false, cause: why });
    for (const s of this.waiting.splice(0)) {
      s.finish({ kind: 'lost', sent: false, refused: false, cause: why });
    }
    if (!this.goingAway) {
      this.goingAway = true;
      this.o.onClose?.();
    }
  };

  // --- output ---------------------------------------------------------------------------

  private send(buf: Buffer): void {
    if (this.dead) return;
    if (buf.length <= COPY_LIMIT) {
      const at = this.reserve(buf.length);
      buf.copy(this.slab, at);
    } else {
      this.seal();
      this.out.push(buf);
    }
    this.scheduleFlush();
  }

  private reserve(n: number): number {
    if (this.slabPos + n > this.slab.length) {
      this.seal();
      this.slab = Buffer.allocUnsafe(SLAB);
      this.slabStart = 0;
      this.slabPos = 0;
    }
    const at = this.slabPos;
    this.slabPos += n;
    return at;
  }

  private seal(): void {
    if (this.slabPos > this.slabStart) {
      this.out.push(this.slab.subarray(this.slabStart, this.slabPos));
      this.slabStart = this.slabPos;
    }
  }

  private scheduleFlush(): void {
    if (!this.inChunk && !this.flushScheduled) {
      this.flushScheduled = true;
      // At the end of this event-loop iteration, not of this tick: the calls a busy server
      // starts from every request it read in one poll phase go out in one socket write (as
      // node:http2 schedules its writes). Each write to a loopback socket costs a system call
      // that also runs the receiving side's network stack: ~0.25 ms of CPU per call when every
      // call was written on its own (ADR 0040).
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.dead) return;
    this.seal();
    const out = this.out;
    if (out.length === 0) return;
    this.out = [];
    const socket = this.socket;
    if (out.length === 1) socket.write(out[0]!);
    else {
      socket.cork();
      for (const b of out) socket.write(b);
      socket.uncork();
    }
    if (this.established && socket.writableLength === 0) {
      // The kernel took every byte (the socket holds no reference to the slab): reuse it.
      this.slabStart = 0;
      this.slabPos = 0;
    } else if (this.slabPos > 0) {
      // The socket still holds views of the slab: the next bytes go to a new one.
      this.slab = Buffer.allocUnsafe(SLAB);
      this.slabStart = 0;
      this.slabPos = 0;
    }
  };

  // --- input ----------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    if (this.dead) return;
    const buf = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    this.buffered = undefined;
    this.inChunk = true;
    // Anything from the server proves it alive.
    if (this.pingTimer !== undefined) {
      clearTimeout(this.pingTimer);
      this.pingTimer = undefined;
    }
    try {
      let pos = 0;
      while (buf.length - pos >= FRAME_HEADER) {
        const len = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
        if (len > DEFAULT_MAX_FRAME) {
          // We never raise SETTINGS_MAX_FRAME_SIZE above the default.
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'frame larger than allowed');
        }
        const end = pos + FRAME_HEADER + len;
        if (end > buf.length) break;
        const type = buf[pos + 3]!;
        const flags = buf[pos + 4]!;
        const id =
          ((buf[pos + 5]! & 0x7f) << 24) |
          (buf[pos + 6]! << 16) |
          (buf[pos + 7]! << 8) |
          buf[pos + 8]!;
        this.onFrame(type, flags, id, buf, pos + FRAME_HEADER, end);
        if (this.dead) return;
        pos = end;
      }
      // A copy of the rest: a view would keep the whole chunk alive until the frame completes.
      if (pos < buf.length) this.buffered = pos === 0 ? buf : Buffer.from(buf.subarray(pos));
    } catch (err) {
      const e =
        err instanceof ConnectionError
          ? err
          : new ConnectionError(ErrorCode.INTERNAL_ERROR, String(err));
      this.inChunk = false;
      this.send(goawayFrame(this.lastStreamSeen(), e.code, e.message));
      this.destroy(`protocol error: ${e.message}`);
    } finally {
      this.inChunk = false;
      this.flush();
    }
  };

  private lastStreamSeen(): number {
    return 0; // A client accepts no streams from the server.
  }

  private onFrame(
    type: number,
    flags: number,
    id: number,
    buf: Buffer,
    start: number,
    end: number,
  ): void {
    if (this.headerStream !== 0 && type !== FrameType.CONTINUATION) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
    }
    switch (type) {
      case FrameType.DATA:
        return this.onDataFrame(flags, id, buf, start, end);
      case FrameType.HEADERS:
        return this.onHeaders(
          flags,
          id,
          unpad(flags, buf, start, end, flags & Flag.PRIORITY ? 5 : 0),
        );
      case FrameType.CONTINUATION:
        return this.onContinuation(flags, id, buf.subarray(start, end));
      case FrameType.RST_STREAM: {
        if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        if (end - start !== 4)
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad RST_STREAM');
        const s = this.streams.get(id);
        if (s === undefined) return;
        const code = buf.readUInt32BE(start);
        this.forget(s);
        s.finish(
          code === ErrorCode.REFUSED_STREAM
            ? { kind: 'lost', sent: true, refused: true, cause: 'stream refused by the server' }
            : { kind: 'reset', code },
        );
        return;
      }
      case FrameType.SETTINGS:
        return this.onSettings(flags, id, buf.subarray(start, end));
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
      case FrameType.PING:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (end - start !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad PING');
        if ((flags & Flag.ACK) === 0) {
          this.send(frame(FrameType.PING, Flag.ACK, 0, buf.subarray(start, end)));
        }
        return;
      case FrameType.GOAWAY:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (end - start < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad GOAWAY');
        return this.onGoaway(
          buf.readUInt32BE(start) & 0x7fffffff,
          buf.readUInt32BE(start + 4),
          buf.toString('utf8', start + 8, end),
        );
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(id, buf, start, end);
      default:
        // PRIORITY and unknown frame types are ignored (5.5).
        return;
    }
  }

  private onDataFrame(flags: number, id: number, buf: Buffer, start: number, end: number): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const size = end - start;
    // Flow control counts the whole frame, padding included (6.9.1); the connection window
    // is returned as frames arrive, the stream's as its call takes them (at once).
    this.recvUnacked += size;
    if (this.recvUnacked > this.windowBytes) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window exceeded');
    }
    if (this.recvUnacked >= this.windowBytes / 2) {
      this.send(windowUpdateFrame(0, this.recvUnacked));
      this.recvUnacked = 0;
    }
    const s = this.streams.get(id);
    // A stream we reset or finished: its DATA may still be in flight (5.4.2).
    if (s === undefined) return;
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (!s.headersSeen) {
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR, 'DATA before the answer headers');
      return;
    }
    s.recvUnacked += size;
    if (s.recvUnacked > this.windowBytes) {
      this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR, 'stream window exceeded');
      return;
    }
    if (!endStream && s.recvUnacked >= this.windowBytes / 2) {
      this.send(windowUpdateFrame(s.id, s.recvUnacked));
      s.recvUnacked = 0;
    }
    const data = (flags & Flag.PADDED) === 0 ? undefined : unpad(flags, buf, start, end);
    if (data === undefined) takeMessage(s, buf, start, end);
    else takeMessage(s, data, 0, data.length);
    if (endStream) this.complete(s);
  }

  private resetStream(s: UnaryStream, code: ErrorCode, why: string): void {
    this.send(rstStreamFrame(s.id, code));
    this.forget(s);
    s.finish({
      kind: 'answer',
      httpStatus: s.httpStatus,
      grpcStatus: undefined,
      grpcMessage: '',
      message: undefined,
      malformed: why,
    });
  }

  /** The server ended the stream: the call's answer is what came. */
  private complete(s: UnaryStream): void {
    this.forget(s);
    let malformed = s.malformed;
    if (
      malformed === undefined &&
      (s.prefix !== undefined || (s.message !== undefined && s.messageFill < s.message.length))
    ) {
      malformed = 'answer message cut short';
    }
    s.finish({
      kind: 'answer',
      httpStatus: s.httpStatus,
      grpcStatus: s.grpcStatus,
      grpcMessage: s.grpcMessage,
      message: malformed === undefined ? s.message : undefined,
      malformed,
    });
  }

  private onHeaders(flags: number, id: number, block: Buffer): void {
    if (id === 0 || id % 2 === 0) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on an invalid stream id');
    }
    this.headerEndStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) {
      this.onHeaderBlock(id, block);
      return;
    }
    this.headerStream = id;
    this.headerParts = [Buffer.from(block)];
    this.headerBytes = block.length;
    if (this.headerBytes > this.maxHeaderList) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    }
  }

  private onContinuation(flags: number, id: number, payload: Buffer): void {
    if (this.headerStream === 0 || id !== this.headerStream) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
    }
    this.headerParts.push(payload);
    this.headerBytes += payload.length;
    if (this.headerBytes > this.maxHeaderList) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    }
    if (flags & Flag.END_HEADERS) {
      const block = Buffer.concat(this.headerParts);
      this.headerStream = 0;
      this.headerParts = [];
      this.onHeaderBlock(id, block);
    }
  }

  private onHeaderBlock(id: number, block: Buffer): void {
    let headers: HeaderList;
    try {
      // Decoded even for a stream we no longer track: the dynamic table must stay in step.
      headers = this.decoder.decode(block, this.maxHeaderList);
    } catch (err) {
      const code =
        err instanceof HeaderListTooLarge
          ? ErrorCode.ENHANCE_YOUR_CALM
          : ErrorCode.COMPRESSION_ERROR;
      throw new ConnectionError(code, (err as Error).message);
    }
    const s = this.streams.get(id);
    if (s === undefined) {
      if (id >= this.nextId)
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on an idle stream');
      return;
    }
    const end = this.headerEndStream;
    if (s.headersSeen) {
      // Trailers: they end the stream (8.1).
      if (!end) {
        this.resetStream(s, ErrorCode.PROTOCOL_ERROR, 'trailers without END_STREAM');
        return;
      }
      readStatus(s, headers, false);
      this.complete(s);
      return;
    }
    readStatus(s, headers, true);
    if (s.httpStatus >= 100 && s.httpStatus < 200) {
      // An informational answer (1xx): the real one follows.
      return;
    }
    s.headersSeen = true;
    if (end) this.complete(s);
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (payload.length !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad ACK');
      return;
    }
    forEachSetting(payload, (key, value) => {
      if (key === Setting.INITIAL_WINDOW_SIZE) {
        shiftSendWindows(this.streams.values(), value - this.peerInitialWindow);
        this.peerInitialWindow = value;
      } else if (key === Setting.MAX_FRAME_SIZE) {
        this.peerMaxFrame = value;
      } else if (key === Setting.MAX_CONCURRENT_STREAMS) {
        this.peerMaxStreams = value;
      } else if (key === Setting.ENABLE_PUSH && value !== 0) {
        // Only a client may announce push (8.4).
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'server sent ENABLE_PUSH');
      }
      // HEADER_TABLE_SIZE: our encoder never uses the dynamic table. MAX_HEADER_LIST_SIZE:
      // advisory (our request headers are small).
    });
    this.send(frame(FrameType.SETTINGS, Flag.ACK, 0));
    this.resumeBlocked();
    // A larger MAX_CONCURRENT_STREAMS lets waiting calls start.
    while (this.waiting.length > 0 && this.streams.size < this.peerMaxStreams && this.usable) {
      this.start(this.waiting.shift()!);
    }
  }

  private onWindowUpdate(id: number, buf: Buffer, start: number, end: number): void {
    const inc = windowIncrement(buf, start, end);
    if (id === 0) {
      this.sendWindow = growConnectionWindow(this.sendWindow, inc);
      this.resumeBlocked();
      return;
    }
    const s = this.streams.get(id);
    if (s === undefined) return;
    if (inc === 0) {
      this.resetStream(s, ErrorCode.PROTOCOL_ERROR, 'zero window increment');
      return;
    }
    s.sendWindow += inc;
    if (s.sendWindow > MAX_WINDOW) {
      this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR, 'stream window overflow');
      return;
    }
    if (this.blocked.delete(s)) this.sendBody(s, s.body, s.bodyOff);
  }

  private onGoaway(lastId: number, code: number, debug: string): void {
    // Streams above the last id were not processed (6.8): they may run elsewhere.
    const cause = `server sent GOAWAY (code ${code}${debug ? `: ${debug}` : ''})`;
    this.lastError = cause;
    // No stream may start here any more, not even a waiting call as a slot frees below.
    this.peerGoaway = true;
    for (const s of [...this.streams.values()]) {
      if (s.id > lastId) {
        this.forget(s);
        s.finish({ kind: 'lost', sent: true, refused: true, cause });
      }
    }
    this.retire();
  }
}

/** The answer's `:status`, `grpc-status` and `grpc-message` from a header block. */
function readStatus(s: UnaryStream, headers: HeaderList, first: boolean): void {
  for (const [name, value] of headers) {
    if (first && name === ':status') s.httpStatus = Number(value);
    else if (name === 'grpc-status') s.grpcStatus = Number(value);
    else if (name === 'grpc-message') s.grpcMessage = value;
  }
}

/**
 * Takes `buf[start, end)` of the answer's DATA into the call's one message: a view of the
 * chunk when the whole message is inside it, else a buffer of the message's size filled as
 * frames arrive (the prefix may span frames too).
 */
function takeMessage(s: UnaryStream, buf: Buffer, start: number, end: number): void {
  let pos = start;
  while (pos < end) {
    if (s.message !== undefined && s.messageFill < s.message.length) {
      const n = Math.min(end - pos, s.message.length - s.messageFill);
      buf.copy(s.message, s.messageFill, pos, pos + n);
      s.messageFill += n;
      pos += n;
      continue;
    }
    if (s.messages >= 1 && s.prefix === undefined) {
      s.malformed = 'more than one answer message';
      return;
    }
    // The 5-byte prefix: in one piece (the usual case) or gathered across frames.
    let flag: number;
    let len: number;
    if (s.prefix === undefined && end - pos >= 5) {
      flag = buf[pos]!;
      len = buf.readUInt32BE(pos + 1);
      pos += 5;
    } else {
      const p = (s.prefix ??= []);
      while (p.length < 5 && pos < end) p.push(buf[pos++]!);
      if (p.length < 5) return;
      flag = p[0]!;
      len = ((p[1]! << 24) >>> 0) + ((p[2]! << 16) | (p[3]! << 8) | p[4]!);
      s.prefix = undefined;
    }
    s.messages++;
    if (flag !== 0) {
      s.malformed = 'compressed answer message';
      return;
    }
    if (end - pos >= len) {
      s.message = buf.subarray(pos, pos + len);
      s.messageFill = len;
      pos += len;
    } else {
      s.message = Buffer.allocUnsafe(len);
      s.messageFill = 0;
    }
  }
}
