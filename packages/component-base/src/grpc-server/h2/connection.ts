/**
 * One server-side HTTP/2 connection (RFC 9113) in JavaScript on a socket (`net.Socket` or
 * `tls.TLSSocket`): frames are parsed from the socket's chunks as they arrive, and everything the
 * connection sends while a chunk is handled, or within one tick, goes out in one socket write.
 * No push, no priorities (PRIORITY is read and ignored).
 */
import type { Socket } from 'node:net';
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
} from './frames.js';
import { HeaderListTooLarge, HpackDecoder, type HeaderList, encodeHeaders } from './hpack.js';

export interface H2ConnectionOptions {
  /** Our SETTINGS_INITIAL_WINDOW_SIZE and the connection receive window; 16 MiB. */
  windowBytes?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS; unlimited. */
  maxConcurrentStreams?: number;
  /**
   * Largest header block accepted (HEADERS + CONTINUATION), and largest decoded header list (as
   * SETTINGS_MAX_HEADER_LIST_SIZE counts it; also announced as that setting); 64 KiB.
   */
  maxHeaderBlockBytes?: number;
  /**
   * Flood guard: PING, SETTINGS and client RST_STREAM frames each take a token from a bucket of
   * `controlBurst` tokens (default 2000) refilled at `controlPerSecond` (default 1000); an empty
   * bucket closes the connection with ENHANCE_YOUR_CALM (rapid reset, ping and settings floods
   * cost the server work for nothing).
   */
  controlBurst?: number;
  controlPerSecond?: number;
  /** Milliseconds clock for the flood guard; Date.now. */
  now?: () => number;
  /** A new request stream, its headers decoded. */
  onStream(stream: H2Stream): void;
  /** Protocol errors of the peer (the connection is already being closed). */
  onError?(err: Error): void;
}

class ConnectionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface H2StreamSink {
  onStreamData(chunk: Buffer): void;
  onStreamEnd(): void;
  onStreamClose(code: number): void;
  onStreamDrain(): void;
}

/** Bytes queued behind the peer's windows past which `write` asks the writer to wait. */
const HIGH_WATER = 64 * 1024;

/** One request stream, as the application sees it. */
export class H2Stream {
  /** The request's header list, in order. */
  headers: HeaderList = [];
  /** Request body chunks (DATA payloads); set by the application. */
  ondata: ((chunk: Buffer) => void) | undefined;
  /** The client finished its side (END_STREAM). */
  onend: (() => void) | undefined;
  /** The stream is gone: `code` is the RST_STREAM code, or -1 when the connection closed. */
  onclose: ((code: number) => void) | undefined;
  /** The body queued behind the peer's windows went out (after `write` returned false). */
  ondrain: (() => void) | undefined;
  /**
   * Instead of the four callbacks: one object told of the same events (no closure per stream);
   * when set, the callbacks are not used.
   */
  sink: H2StreamSink | undefined;

  remoteClosed = false;
  localClosed = false;
  closed = false;
  sendWindow: number;
  private recvUnacked = 0;
  /** Body bytes waiting for window, and the trailers to send after them. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingTrailers: Buffer | undefined;
  private needDrain = false;
  /** Reset (NO_ERROR) once the response is out, if the client is still sending then. */
  private resetWhenDone = false;

  constructor(
    readonly id: number,
    private readonly conn: H2Connection,
  ) {
    this.sendWindow = conn.peerInitialWindow;
  }

  /** The connection (its `socket`: peer address, TLS peer certificate). */
  get connection(): H2Connection {
    return this.conn;
  }

  /** Sends the response headers (an HPACK block from `encodeHeaders`, or a header list). */
  respond(headers: Buffer | HeaderList, endStream = false): void {
    if (this.localClosed) return;
    this.conn.sendHeaders(this, toBlock(headers), endStream);
    if (endStream) this.closeLocal();
  }

  /**
   * Sends body bytes, as the peer's windows allow (the rest is queued); false once more than
   * 64 KiB wait, or while the socket's own buffer is full: the writer should wait for `ondrain`.
   */
  write(data: Buffer): boolean {
    if (this.localClosed) return false;
    if (this.pendingBytes === 0) {
      const rest = this.conn.sendData(this, data, false);
      if (rest === undefined) {
        if (!this.conn.congested) return true;
        // The socket is not taking bytes as fast as we write: wait for its 'drain'.
        this.needDrain = true;
        this.conn.waitForDrain(this);
        return false;
      }
      data = rest;
    }
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes < HIGH_WATER) return true;
    this.needDrain = true;
    return false;
  }

  /** Ends the response with trailers (after the queued body). */
  end(trailers: Buffer | HeaderList): void {
    if (this.localClosed || this.pendingTrailers !== undefined) return;
    const block = toBlock(trailers);
    if (this.pendingBytes > 0) {
      this.pendingTrailers = block;
      return;
    }
    this.conn.sendHeaders(this, block, true);
    this.closeLocal();
  }

  /** Resets the stream (RST_STREAM) with `code`. */
  reset(code: number): void {
    if (this.closed) return;
    this.conn.send(rstStreamFrame(this.id, code));
    this.close(code);
  }

  /**
   * The response is complete: once it is out, stop the client's side too (RST_STREAM NO_ERROR)
   * if the client has not finished sending, as gRPC servers do.
   */
  stopReading(): void {
    if (this.closed || this.remoteClosed) return;
    if (this.localClosed) this.reset(ErrorCode.NO_ERROR);
    else this.resetWhenDone = true;
  }

  /** @internal The windows grew: sends what was queued. */
  resume(): void {
    if (this.closed) return;
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const rest = this.conn.sendData(this, head, false);
      if (rest !== undefined) {
        this.pendingBytes -= head.length - rest.length;
        this.pending[0] = rest;
        return;
      }
      this.pendingBytes -= head.length;
      this.pending.shift();
    }
    const trailers = this.pendingTrailers;
    if (trailers !== undefined) {
      this.pendingTrailers = undefined;
      this.conn.sendHeaders(this, trailers, true);
      this.closeLocal();
    }
    if (this.needDrain) {
      if (this.conn.congested) this.conn.waitForDrain(this);
      else this.drained();
    }
  }

  /** @internal Everything queued went out (or the socket drained): tells a waiting writer. */
  drained(): void {
    if (!this.needDrain || this.pendingBytes > 0 || this.closed) return;
    this.needDrain = false;
    if (this.sink !== undefined) this.sink.onStreamDrain();
    else this.ondrain?.();
  }

  get blocked(): boolean {
    return this.pendingBytes > 0;
  }

  /** @internal Counts received DATA; returns a stream WINDOW_UPDATE increment when due. */
  consumed(bytes: number, window: number): number {
    this.recvUnacked += bytes;
    // More than the window we gave: the client ignores flow control (6.9.1). Until it has
    // acknowledged our SETTINGS it may still use the default window. (With the window returned
    // once half used, as now, a frame can never overshoot; this matters once updates wait for
    // the application to read.)
    if (this.recvUnacked > Math.max(window, DEFAULT_WINDOW)) return -1;
    if (this.remoteClosed || this.recvUnacked < window / 2) return 0;
    const inc = this.recvUnacked;
    this.recvUnacked = 0;
    return inc;
  }

  /** @internal */
  closeRemote(): void {
    this.remoteClosed = true;
    if (this.sink !== undefined) this.sink.onStreamEnd();
    else this.onend?.();
    if (this.localClosed) this.close(ErrorCode.NO_ERROR);
  }

  private closeLocal(): void {
    this.localClosed = true;
    if (this.remoteClosed) this.close(ErrorCode.NO_ERROR);
    else if (this.resetWhenDone) this.reset(ErrorCode.NO_ERROR);
  }

  /** @internal */
  close(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.localClosed = true;
    this.remoteClosed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingTrailers = undefined;
    this.conn.forget(this);
    if (this.sink !== undefined) this.sink.onStreamClose(code);
    else this.onclose?.(code);
  }
}

/** Fields HTTP/2 forbids (8.2.2): they only make sense on an HTTP/1.1 connection. */
const CONNECTION_FIELDS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);
const UPPERCASE = /[A-Z]/;

/** Why a request's header list is malformed (RFC 9113 8.2, 8.3), or undefined. */
export function malformedRequest(headers: HeaderList): string | undefined {
  let regular = false;
  let method = false;
  let scheme = false;
  let path = false;
  for (const [name, value] of headers) {
    if (UPPERCASE.test(name)) return `uppercase field name ${name}`;
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      if (name === ':method') method = true;
      else if (name === ':scheme') scheme = true;
      else if (name === ':path') path = value.length > 0;
      else if (name !== ':authority') return `unknown pseudo-header ${name}`;
      continue;
    }
    regular = true;
    if (CONNECTION_FIELDS.has(name)) return `connection-specific field ${name}`;
    if (name === 'te' && value !== 'trailers') return 'te other than trailers';
  }
  if (!method || !scheme || !path) return 'missing :method, :scheme or :path';
  return undefined;
}

function toBlock(headers: Buffer | HeaderList): Buffer {
  return Buffer.isBuffer(headers) ? headers : encodeHeaders(headers);
}

export class H2Connection {
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE (the send window of new streams). */
  peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private sendWindow = DEFAULT_WINDOW;
  private recvUnacked = 0;
  private readonly windowBytes: number;
  private readonly maxStreams: number;
  private readonly maxHeaderBlock: number;
  private readonly streams = new Map<number, H2Stream>();
  private readonly blocked = new Set<H2Stream>();
  private readonly decoder = new HpackDecoder();
  private lastStreamId = 0;
  private prefaceSeen = false;
  private settingsSeen = false;
  /** Bytes of an incomplete frame from earlier chunks. */
  private buffered: Buffer | undefined;
  /** A header block being assembled from HEADERS + CONTINUATION. */
  private headerStream = 0;
  private headerParts: Buffer[] = [];
  private headerBytes = 0;
  private headerEndStream = false;
  private out: Buffer[] = [];
  private tokens: number;
  private tokensAt: number;
  private readonly burst: number;
  private readonly refillPerMs: number;
  private readonly now: () => number;
  /** The socket's last write returned false; streams that wrote since wait for its 'drain'. */
  private socketFull = false;
  private readonly drainWaiters = new Set<H2Stream>();
  private flushScheduled = false;
  private inChunk = false;
  private goingAway = false;
  private dead = false;

  constructor(
    readonly socket: Socket,
    private readonly options: H2ConnectionOptions,
  ) {
    this.windowBytes = Math.min(options.windowBytes ?? 16 * 1024 * 1024, MAX_WINDOW);
    this.maxStreams = options.maxConcurrentStreams ?? Infinity;
    this.maxHeaderBlock = options.maxHeaderBlockBytes ?? 64 * 1024;
    this.burst = options.controlBurst ?? 2000;
    this.refillPerMs = (options.controlPerSecond ?? 1000) / 1000;
    this.now = options.now ?? Date.now;
    this.tokens = this.burst;
    this.tokensAt = this.now();
    const settings: Array<[Setting, number]> = [
      [Setting.ENABLE_PUSH, 0],
      [Setting.INITIAL_WINDOW_SIZE, this.windowBytes],
      [Setting.MAX_HEADER_LIST_SIZE, this.maxHeaderBlock],
    ];
    if (this.maxStreams !== Infinity)
      settings.push([Setting.MAX_CONCURRENT_STREAMS, this.maxStreams]);
    this.send(settingsFrame(settings));
    if (this.windowBytes > DEFAULT_WINDOW) {
      this.send(windowUpdateFrame(0, this.windowBytes - DEFAULT_WINDOW));
    }
    socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('close', this.onSocketClose);
    socket.on('error', this.onSocketClose);
  }

  /** Streams open now. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Graceful close: GOAWAY (NO_ERROR) with the last stream started; the socket ends once the
   * open streams have.
   */
  close(): void {
    if (this.goingAway || this.dead) return;
    this.goingAway = true;
    this.send(goawayFrame(this.lastStreamId, ErrorCode.NO_ERROR));
    if (this.streams.size === 0) this.endSocket();
  }

  /** Cuts the connection now; open streams see onclose(-1). */
  destroy(): void {
    this.flush();
    this.socket.destroy();
    this.onSocketClose();
  }

  /** @internal Queues bytes for the next socket write. */
  send(buf: Buffer): void {
    if (this.dead) return;
    this.out.push(buf);
    if (!this.inChunk && !this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** @internal A header block as HEADERS + CONTINUATION frames, split at the peer's frame size. */
  sendHeaders(stream: H2Stream, block: Buffer, endStream: boolean): void {
    const max = this.peerMaxFrame;
    if (block.length <= max) {
      const out = Buffer.allocUnsafe(FRAME_HEADER + block.length);
      const flags = Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0);
      writeFrameHeader(out, 0, block.length, FrameType.HEADERS, flags, stream.id);
      block.copy(out, FRAME_HEADER);
      this.send(out);
      return;
    }
    for (let off = 0; off < block.length; off += max) {
      const part = block.subarray(off, off + max);
      const last = off + max >= block.length;
      const type = off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (last ? Flag.END_HEADERS : 0) | (off === 0 && endStream ? Flag.END_STREAM : 0);
      this.send(frame(type, flags, stream.id, part));
    }
  }

  /**
   * @internal DATA frames for as much of `data` as the connection's and the stream's send
   * windows allow; returns what did not fit.
   */
  sendData(stream: H2Stream, data: Buffer, endStream: boolean): Buffer | undefined {
    let off = 0;
    while (off < data.length) {
      const room = Math.min(this.sendWindow, stream.sendWindow, this.peerMaxFrame);
      if (room <= 0) {
        this.blocked.add(stream);
        return data.subarray(off);
      }
      const n = Math.min(room, data.length - off);
      const header = Buffer.allocUnsafe(FRAME_HEADER);
      const last = off + n === data.length;
      writeFrameHeader(
        header,
        0,
        n,
        FrameType.DATA,
        last && endStream ? Flag.END_STREAM : 0,
        stream.id,
      );
      this.send(header);
      this.send(data.subarray(off, off + n));
      this.sendWindow -= n;
      stream.sendWindow -= n;
      off += n;
    }
    return undefined;
  }

  /** @internal */
  forget(stream: H2Stream): void {
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
    this.drainWaiters.delete(stream);
    if (this.goingAway && this.streams.size === 0) this.endSocket();
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.dead) return;
    this.out = [];
    if (!this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out))) this.socketFull = true;
  };

  /** @internal The socket's buffer is full. */
  get congested(): boolean {
    return this.socketFull;
  }

  /** @internal */
  waitForDrain(stream: H2Stream): void {
    this.drainWaiters.add(stream);
  }

  private readonly onDrain = (): void => {
    this.socketFull = false;
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const s of waiters) s.drained();
  };

  private endSocket(): void {
    this.flush();
    this.socket.end();
  }

  private readonly onSocketClose = (): void => {
    if (this.dead) return;
    this.dead = true;
    this.out = [];
    for (const s of [...this.streams.values()]) s.close(-1);
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.dead) return;
    const buf = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    this.buffered = undefined;
    this.inChunk = true;
    try {
      let pos = 0;
      if (!this.prefaceSeen) {
        if (buf.length < PREFACE.length) {
          if (!PREFACE.subarray(0, buf.length).equals(buf)) {
            throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad connection preface');
          }
          this.buffered = buf;
          return;
        }
        if (!buf.subarray(0, PREFACE.length).equals(PREFACE)) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad connection preface');
        }
        this.prefaceSeen = true;
        pos = PREFACE.length;
      }
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
        const id = buf.readUInt32BE(pos + 5) & 0x7fffffff;
        this.onFrame(type, flags, id, buf.subarray(pos + FRAME_HEADER, end));
        if (this.dead) return;
        pos = end;
      }
      if (pos < buf.length) this.buffered = buf.subarray(pos);
    } catch (err) {
      this.fail(err);
    } finally {
      this.inChunk = false;
      this.flush();
    }
  };

  private fail(err: unknown): void {
    const e =
      err instanceof ConnectionError
        ? err
        : new ConnectionError(ErrorCode.INTERNAL_ERROR, String(err));
    const code = e instanceof ConnectionError ? e.code : ErrorCode.PROTOCOL_ERROR;
    this.options.onError?.(e);
    this.send(goawayFrame(this.lastStreamId, code, e.message));
    this.inChunk = false;
    this.flush();
    this.socket.end();
    this.onSocketClose();
  }

  /** Takes one flood-guard token (see H2ConnectionOptions.controlBurst). */
  private spend(what: string): void {
    if (this.tokens < 1) {
      const t = this.now();
      this.tokens = Math.min(this.burst, this.tokens + (t - this.tokensAt) * this.refillPerMs);
      this.tokensAt = t;
      if (this.tokens < 1) throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `${what} flood`);
    }
    this.tokens--;
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (!this.settingsSeen && type !== FrameType.SETTINGS) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'first frame is not SETTINGS');
    }
    if (this.headerStream !== 0 && type !== FrameType.CONTINUATION) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
    }
    switch (type) {
      case FrameType.DATA:
        return this.onDataFrame(flags, id, payload);
      case FrameType.HEADERS:
        return this.onHeaders(flags, id, payload);
      case FrameType.PRIORITY:
        if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        return;
      case FrameType.RST_STREAM:
        if (id === 0 || payload.length !== 4) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad RST_STREAM');
        }
        if (id > this.lastStreamId) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
        }
        this.spend('RST_STREAM');
        this.streams.get(id)?.close(payload.readUInt32BE(0));
        return;
      case FrameType.SETTINGS:
        return this.onSettings(flags, id, payload);
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE from a client');
      case FrameType.PING:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad PING');
        if ((flags & Flag.ACK) === 0) {
          this.spend('PING');
          this.send(frame(FrameType.PING, Flag.ACK, 0, payload));
        }
        return;
      case FrameType.GOAWAY:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        this.goingAway = true;
        if (this.streams.size === 0) this.endSocket();
        return;
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(id, payload);
      case FrameType.CONTINUATION:
        return this.onContinuation(flags, id, payload);
      default:
        // Unknown frame types are ignored (5.5).
        return;
    }
  }

  /** The payload without padding (6.1, 6.2). */
  private unpad(flags: number, payload: Buffer, skip = 0): Buffer {
    if ((flags & Flag.PADDED) === 0) return skip === 0 ? payload : payload.subarray(skip);
    if (payload.length < 1) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad padding');
    const pad = payload[0]!;
    if (pad + 1 + skip > payload.length) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds the frame');
    }
    return payload.subarray(1 + skip, payload.length - pad);
  }

  private onDataFrame(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    // Flow control counts the whole frame, padding included (6.9.1).
    this.recvUnacked += payload.length;
    if (this.recvUnacked > Math.max(this.windowBytes, DEFAULT_WINDOW)) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window exceeded');
    }
    if (this.recvUnacked >= this.windowBytes / 2) {
      this.send(windowUpdateFrame(0, this.recvUnacked));
      this.recvUnacked = 0;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
      }
      // A stream we closed (or reset): the client may still have DATA in flight (5.4.2).
      return;
    }
    if (stream.remoteClosed) {
      stream.reset(ErrorCode.STREAM_CLOSED);
      return;
    }
    const data = this.unpad(flags, payload);
    const inc = stream.consumed(payload.length, this.windowBytes);
    if (inc < 0) {
      stream.reset(ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    if (inc > 0) this.send(windowUpdateFrame(id, inc));
    if (data.length > 0) {
      if (stream.sink !== undefined) stream.sink.onStreamData(data);
      else stream.ondata?.(data);
    }
    if (flags & Flag.END_STREAM && !stream.closed) stream.closeRemote();
  }

  private onHeaders(flags: number, id: number, payload: Buffer): void {
    if (id === 0 || id % 2 === 0) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on an invalid stream id');
    }
    const block = this.unpad(flags, payload, flags & Flag.PRIORITY ? 5 : 0);
    this.headerStream = id;
    this.headerParts = [block];
    this.headerBytes = block.length;
    this.headerEndStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) this.onHeaderBlock();
  }

  private onContinuation(flags: number, id: number, payload: Buffer): void {
    if (this.headerStream === 0 || id !== this.headerStream) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
    }
    this.headerParts.push(payload);
    this.headerBytes += payload.length;
    if (this.headerBytes > this.maxHeaderBlock) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    }
    if (flags & Flag.END_HEADERS) this.onHeaderBlock();
  }

  private onHeaderBlock(): void {
    const id = this.headerStream;
    const parts = this.headerParts;
    const block = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.headerStream = 0;
    this.headerParts = [];
    let headers: HeaderList;
    try {
      // Decoded even for a stream refused below: the dynamic table must stay in step.
      headers = this.decoder.decode(block, this.maxHeaderBlock);
    } catch (err) {
      const code =
        err instanceof HeaderListTooLarge
          ? ErrorCode.ENHANCE_YOUR_CALM
          : ErrorCode.COMPRESSION_ERROR;
      throw new ConnectionError(code, (err as Error).message);
    }
    const existing = this.streams.get(id);
    if (existing !== undefined) {
      // Trailers: they must end the stream (8.1).
      if (!this.headerEndStream || existing.remoteClosed) {
        existing.reset(ErrorCode.PROTOCOL_ERROR);
        return;
      }
      existing.closeRemote();
      return;
    }
    if (id <= this.lastStreamId) {
      throw new ConnectionError(ErrorCode.STREAM_CLOSED, 'HEADERS on a closed stream');
    }
    this.lastStreamId = id;
    if (this.goingAway || this.streams.size >= this.maxStreams) {
      this.send(rstStreamFrame(id, ErrorCode.REFUSED_STREAM));
      return;
    }
    const malformed = malformedRequest(headers);
    if (malformed !== undefined) {
      // A malformed request is a stream error (8.1.1); the connection goes on.
      this.options.onError?.(new Error(`malformed request on stream ${id}: ${malformed}`));
      this.send(rstStreamFrame(id, ErrorCode.PROTOCOL_ERROR));
      return;
    }
    const stream = new H2Stream(id, this);
    stream.headers = headers;
    this.streams.set(id, stream);
    this.options.onStream(stream);
    if (this.headerEndStream && !stream.closed) stream.closeRemote();
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (payload.length !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad ACK');
      return;
    }
    if (payload.length % 6 !== 0)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad SETTINGS');
    this.spend('SETTINGS');
    this.settingsSeen = true;
    for (let i = 0; i < payload.length; i += 6) {
      const key = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      if (key === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) {
          throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'initial window too large');
        }
        // The change applies to every open stream's send window (6.9.2).
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (key === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad max frame size');
        }
        this.peerMaxFrame = value;
      } else if (key === Setting.ENABLE_PUSH && value > 1) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad ENABLE_PUSH');
      }
      // HEADER_TABLE_SIZE: our encoder never uses the dynamic table. MAX_CONCURRENT_STREAMS:
      // a server opens no streams. MAX_HEADER_LIST_SIZE: advisory.
    }
    this.send(frame(FrameType.SETTINGS, Flag.ACK, 0));
    this.resumeBlocked();
  }

  private onWindowUpdate(id: number, payload: Buffer): void {
    if (payload.length !== 4)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad WINDOW_UPDATE');
    const inc = payload.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'zero window increment');
      this.sendWindow += inc;
      if (this.sendWindow > MAX_WINDOW) {
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'window overflow');
      }
      this.resumeBlocked();
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    if (inc === 0) {
      stream.reset(ErrorCode.PROTOCOL_ERROR);
      return;
    }
    stream.sendWindow += inc;
    if (stream.sendWindow > MAX_WINDOW) {
      stream.reset(ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    if (stream.blocked) {
      this.blocked.delete(stream);
      stream.resume();
    }
  }

  private resumeBlocked(): void {
    if (this.blocked.size === 0) return;
    const streams = [...this.blocked];
    this.blocked.clear();
    for (const s of streams) {
      if (this.sendWindow <= 0) {
        this.blocked.add(s);
        continue;
      }
      s.resume();
    }
  }
}
