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
import {
  ConnectionError,
  forEachSetting,
  growConnectionWindow,
  shiftSendWindows,
  unpad,
  windowIncrement,
} from './frame-rules.js';
import { HeaderListTooLarge, HpackDecoder, type HeaderList, encodeHeaders } from './hpack.js';

export interface H2ConnectionOptions {
  /** Our SETTINGS_INITIAL_WINDOW_SIZE and the connection receive window; 16 MiB. */
  windowBytes?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS, announced and enforced (REFUSED_STREAM); unlimited. */
  maxConcurrentStreams?: number;
  /**
   * Largest header block accepted (HEADERS + CONTINUATION), and largest decoded header list (as
   * SETTINGS_MAX_HEADER_LIST_SIZE counts it; also announced as that setting); 64 KiB.
   */
  maxHeaderBlockBytes?: number;
  /**
   * Flood guard: PING, SETTINGS, client RST_STREAM frames, refused streams and empty DATA frames
   * each take a token from a bucket of `controlBurst` tokens (default 2000) refilled at
   * `controlPerSecond` (default 1000); an empty bucket closes the connection with
   * ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487; ping, settings and empty-frame floods,
   * CVE-2019-9512/9515/9518: they cost the server work for nothing).
   */
  controlBurst?: number;
  controlPerSecond?: number;
  /**
   * Our SETTINGS must be acknowledged within this many ms, or the connection is closed with
   * SETTINGS_TIMEOUT (RFC 9113 6.5.3); 10 s. 0 turns it off.
   */
  settingsTimeoutMs?: number;
  /**
   * Keepalive (as grpc-go's ServerParameters.Time/Timeout): after this many ms without a frame
   * from the client the server sends a PING; off by default.
   */
  keepaliveTimeMs?: number;
  /** The keepalive PING's ACK (or any frame) must arrive within this many ms; 20 s. */
  keepaliveTimeoutMs?: number;
  /** A connection without open streams for this many ms is closed gracefully; off by default. */
  maxConnectionIdleMs?: number;
  /**
   * Graceful close: how long the server waits for the PING round trip between its two GOAWAY
   * frames before sending the final one anyway; 5 s.
   */
  goawayPingTimeoutMs?: number;
  /** Milliseconds clock for the flood guard and the timers' checks; Date.now. */
  now?: () => number;
  /** A new request stream, its headers decoded. */
  onStream(stream: H2Stream): void;
  /** Protocol errors of the peer (the connection is already being closed). */
  onError?(err: Error): void;
}

export interface H2StreamSink {
  onStreamData(chunk: Buffer): void;
  onStreamEnd(): void;
  onStreamClose(code: number): void;
  onStreamDrain(): void;
}

/**
 * Bytes queued behind the peer's windows past which `write` asks the writer to wait. 256 KiB,
 * not 64: a watch fan-out to a client slower than the server fills a stream's queue with a
 * commit's messages for all its watchers at once; at 64 KiB the stream blocked far more often
 * and its watchers went through the hub's replay, which cost the member ~20% more CPU per put
 * in the store's fan-out bench (issue #4 measurements). Bounded per stream either way.
 */
const HIGH_WATER = 256 * 1024;
/** Queued bytes at or below which a waiting writer is told to go on ('drain'). */
const LOW_WATER = HIGH_WATER / 4;
/** A stream's first queue buffer; queues up to QUEUE_KEEP are kept for reuse once empty. */
const QUEUE_CHUNK = 16 * 1024;
const QUEUE_KEEP = 128 * 1024;

/**
 * Copies `src[start, end)` into `target` at `at`: short runs byte by byte, longer ones with
 * TypedArray.set (Buffer.copy builds a view object for a partial copy on every call).
 */
function copyBytes(target: Buffer, at: number, src: Buffer, start: number, end: number): void {
  const n = end - start;
  if (n <= 32) {
    for (let i = 0; i < n; i++) target[at + i] = src[start + i]!;
    return;
  }
  target.set(start === 0 && end === src.length ? src : src.subarray(start, end), at);
}

/** One request stream, as the application sees it. */
export class H2Stream {
  /** The request's header list, in order. */
  headers: HeaderList = [];
  /**
   * `headers` is the decoder's list of a repeated header block, the same array for every
   * stream that sent the same block (so what is derived from it may be kept with it).
   */
  headersShared = false;
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
  /** Request bytes received and not yet returned to the client as stream window. */
  private recvUnacked = 0;
  /** Bytes the application has been given and whose window is not yet returned. */
  private readUnacked = 0;
  /** Reading paused: request DATA waits here (bounded by the stream window we gave). */
  private paused = false;
  private inbox: Buffer[] = [];
  private inboxEnd = false;
  /** Body bytes waiting for window, and the trailers to send after them. */
  /**
   * Body bytes waiting for window, in order: large writes kept as they are (`pending`), then
   * small ones copied into one buffer owned by the stream, `q[qStart, qEnd)`, reused once
   * empty (no buffer per queued write: a fan-out queues many small messages per stream).
   */
  private pending: Buffer[] = [];
  private pendingRefBytes = 0;
  private q: Buffer | undefined;
  private qStart = 0;
  private qEnd = 0;
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
   * 256 KiB wait, or while the socket's own buffer is full: the writer should wait for `ondrain`.
   */
  write(data: Buffer): boolean {
    if (this.localClosed) return false;
    if (this.pendingBytes === 0) {
      const rest = this.conn.sendData(this, data, false);
      if (rest === undefined) return this.sent();
      data = rest;
    }
    this.enqueue(data, 0, data.length);
    return this.queued();
  }

  /**
   * Sends `head[0, headLen)` then `body` as body bytes, as `write(concat)` would, without
   * building the concatenation: when both fit the windows now they are copied straight into
   * the connection's output, otherwise into the stream's queue. `head` may be reused by the
   * caller once this returns; `body` must not change (a large one may be queued as it is).
   */
  writeHeadBody(head: Buffer, headLen: number, body: Buffer): boolean {
    if (this.localClosed) return false;
    const total = headLen + body.length;
    if (this.pendingBytes === 0 && total <= COPY_LIMIT) {
      const at = this.conn.dataSpace(this, total);
      if (at >= 0) {
        const slab = this.conn.outputSlab;
        copyBytes(slab, at, head, 0, headLen);
        copyBytes(slab, at + headLen, body, 0, body.length);
        return this.sent();
      }
    }
    if (this.pendingBytes === 0 && this.conn.sendHeadBody(this, head, headLen, body)) {
      return this.sent();
    }
    if (this.pendingBytes === 0) {
      // Larger than a frame, or the windows are short: the head (copied, or queued as a copy)
      // and the body (large bodies go out as they are).
      this.write(head.subarray(0, headLen));
      return this.write(body);
    }
    if (body.length > COPY_LIMIT && this.qEnd === this.qStart) {
      // A small head and a large (shared) body behind others: the head as a copy of its own
      // and the body as it is, leaving the stream's copy buffer alone.
      this.pending.push(Buffer.from(head.subarray(0, headLen)), body);
      this.pendingRefBytes += headLen + body.length;
      return this.queued();
    }
    this.enqueue(head, 0, headLen);
    this.enqueue(body, 0, body.length);
    return this.queued();
  }

  /** Everything written went out to the connection: false while the socket is backed up. */
  private sent(): boolean {
    if (!this.conn.congested) return true;
    // The socket is not taking bytes as fast as we write: wait for its 'drain'.
    this.needDrain = true;
    this.conn.waitForDrain(this);
    return false;
  }

  /** Bytes wait for window: false once too many do (the writer waits for 'drain'). */
  private queued(): boolean {
    if (this.pendingBytes < HIGH_WATER) return true;
    this.needDrain = true;
    return false;
  }

  /** Bytes queued behind the windows. */
  private get pendingBytes(): number {
    return this.pendingRefBytes + this.qEnd - this.qStart;
  }

  /**
   * Queues body bytes behind the windows: small ones copied (the caller's buffer is free at
   * once), large ones as they are (the caller does not change them, as for `write`).
   */
  private enqueue(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    if (n > COPY_LIMIT) {
      if (this.qEnd > this.qStart) {
        // The small writes before it go first: their buffer joins the list, a new one follows.
        this.pending.push(this.q!.subarray(this.qStart, this.qEnd));
        this.pendingRefBytes += this.qEnd - this.qStart;
        this.q = undefined;
        this.qStart = 0;
        this.qEnd = 0;
      }
      this.pending.push(start === 0 && end === src.length ? src : src.subarray(start, end));
      this.pendingRefBytes += n;
      return;
    }
    let q = this.q;
    if (q === undefined) q = this.q = Buffer.allocUnsafe(Math.max(QUEUE_CHUNK, n));
    else if (this.qEnd + n > q.length) {
      const used = this.qEnd - this.qStart;
      if (used + n <= q.length) q.copyWithin(0, this.qStart, this.qEnd);
      else {
        const bigger = Buffer.allocUnsafe(Math.max(2 * q.length, used + n));
        q.copy(bigger, 0, this.qStart, this.qEnd);
        q = this.q = bigger;
      }
      this.qStart = 0;
      this.qEnd = used;
    }
    copyBytes(q, this.qEnd, src, start, end);
    this.qEnd += n;
  }

  /** Sends queued bytes as the windows allow; true when the queue is empty. */
  private sendQueued(): boolean {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const rest = this.conn.sendData(this, head, false);
      if (rest !== undefined) {
        this.pendingRefBytes -= head.length - rest.length;
        this.pending[0] = rest;
        return false;
      }
      this.pendingRefBytes -= head.length;
      this.pending.shift();
    }
    const q = this.q;
    while (this.qStart < this.qEnd) {
      const n = this.conn.takeDataSpace(this, this.qEnd - this.qStart);
      if (n === 0) return false;
      copyBytes(this.conn.outputSlab, this.conn.dataAt, q!, this.qStart, this.qStart + n);
      this.qStart += n;
    }
    this.qStart = 0;
    this.qEnd = 0;
    // A queue grown for one large write is not kept.
    if (q !== undefined && q.length > QUEUE_KEEP) this.q = undefined;
    return true;
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
    if (this.closed || this.remoteDone) return;
    if (this.localClosed) this.reset(ErrorCode.NO_ERROR);
    else this.resetWhenDone = true;
  }

  /**
   * Stops handing request DATA to the application. What arrives is kept, and the stream's
   * receive window is not returned for it, so a client that goes on sending is stopped by flow
   * control after one window (RFC 9113 5.2), not buffered without bound.
   */
  pauseReading(): void {
    this.paused = true;
  }

  /** Hands over what was kept while paused, then returns the window for it. */
  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    while (this.inbox.length > 0 && !this.paused && !this.closed) {
      const chunk = this.inbox.shift()!;
      this.deliver(chunk);
    }
    if (this.paused || this.closed) return;
    if (this.inboxEnd) {
      this.inboxEnd = false;
      this.closeRemote();
      return;
    }
    this.returnWindow();
  }

  get readingPaused(): boolean {
    return this.paused;
  }

  /** @internal Request body bytes of one DATA frame (`counted`: the frame's flow-control size). */
  received(data: Buffer, counted: number, endStream: boolean): void {
    this.recvUnacked += counted;
    // Padding counts against the window but reaches no one: returned with the next update.
    this.readUnacked += counted - data.length;
    if (this.paused) {
      // A copy: a view would keep the socket's whole chunk alive while the handler waits.
      if (data.length > 0) this.inbox.push(Buffer.from(data));
      if (endStream) this.inboxEnd = true;
      return;
    }
    if (data.length > 0) this.deliver(data);
    if (this.closed) return;
    if (endStream) {
      this.closeRemote();
      return;
    }
    if (!this.paused) this.returnWindow();
  }

  private deliver(chunk: Buffer): void {
    this.readUnacked += chunk.length;
    if (this.sink !== undefined) this.sink.onStreamData(chunk);
    else this.ondata?.(chunk);
  }

  /** Returns the stream window for what the application was given, once half of it is used. */
  private returnWindow(): void {
    const n = this.readUnacked;
    if (this.remoteClosed || this.closed || n < this.conn.streamWindow / 2) return;
    this.readUnacked = 0;
    this.recvUnacked -= n;
    this.conn.send(windowUpdateFrame(this.id, n));
  }

  /**
   * @internal Whether a DATA frame of `bytes` fits the window we gave (6.9.1). Until the client
   * has acknowledged our SETTINGS it may still use the default window.
   */
  fits(bytes: number): boolean {
    return this.recvUnacked + bytes <= Math.max(this.conn.streamWindow, DEFAULT_WINDOW);
  }

  /** @internal The windows grew: sends what was queued. */
  resumeSending(): void {
    if (this.closed) return;
    if (!this.sendQueued()) {
      // Still waiting for window, but little is left: let the writer refill now, so the
      // pipe does not run dry while 'drain' waits for the last bytes to go.
      if (this.needDrain && this.pendingBytes <= LOW_WATER && !this.conn.congested) {
        this.drained();
      }
      return;
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
    if (!this.needDrain || this.pendingBytes > LOW_WATER || this.closed) return;
    this.needDrain = false;
    if (this.sink !== undefined) this.sink.onStreamDrain();
    else this.ondrain?.();
  }

  get blocked(): boolean {
    return this.pendingBytes > 0;
  }

  /** @internal */
  closeRemote(): void {
    if (this.paused) {
      this.inboxEnd = true;
      return;
    }
    this.remoteClosed = true;
    if (this.sink !== undefined) this.sink.onStreamEnd();
    else this.onend?.();
    if (this.localClosed) this.close(ErrorCode.NO_ERROR);
  }

  /** @internal The client ended its side (END_STREAM seen), whether or not it was read yet. */
  get remoteDone(): boolean {
    return this.remoteClosed || this.inboxEnd;
  }

  private closeLocal(): void {
    this.localClosed = true;
    // The client's END_STREAM may still wait unread in a paused stream: done either way.
    if (this.remoteDone) this.close(ErrorCode.NO_ERROR);
    else if (this.resetWhenDone) this.reset(ErrorCode.NO_ERROR);
  }

  /** @internal */
  close(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.localClosed = true;
    this.remoteClosed = true;
    this.pending = [];
    this.pendingRefBytes = 0;
    this.q = undefined;
    this.qStart = 0;
    this.qEnd = 0;
    this.pendingTrailers = undefined;
    this.inbox = [];
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

/**
 * Characters allowed in a field name (RFC 9110 token characters, lowercase only, 8.2.1): a
 * table indexed by char code, built once.
 */
const NAME_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
  NAME_CHARS[c.charCodeAt(0)] = 1;

/** Why a field name or value is not valid in HTTP/2 (8.2.1), or undefined. */
function badField(name: string, value: string): string | undefined {
  const start = name.charCodeAt(0) === 58 /* ':' */ ? 1 : 0;
  if (name.length === start) return 'empty field name';
  for (let i = start; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || NAME_CHARS[c] === 0) {
      return c >= 65 && c <= 90 ? `uppercase field name ${name}` : `invalid field name ${name}`;
    }
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return `invalid value of ${name}`;
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first === 32 || first === 9 || last === 32 || last === 9) {
    return `whitespace around the value of ${name}`;
  }
  return undefined;
}

/** Why a request's header list is malformed (RFC 9113 8.2, 8.3), or undefined. */
export function malformedRequest(headers: HeaderList): string | undefined {
  let regular = false;
  let method = false;
  let scheme = false;
  let path = false;
  for (const [name, value] of headers) {
    const bad = badField(name, value);
    if (bad !== undefined) return bad;
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      if (name === ':method') {
        if (method) return 'repeated :method';
        method = true;
      } else if (name === ':scheme') {
        if (scheme) return 'repeated :scheme';
        scheme = true;
      } else if (name === ':path') {
        if (path) return 'repeated :path';
        path = value.length > 0;
        if (!path) return 'empty :path';
      } else if (name !== ':authority') return `unknown pseudo-header ${name}`;
      continue;
    }
    regular = true;
    if (CONNECTION_FIELDS.has(name)) return `connection-specific field ${name}`;
    if (name === 'te' && value !== 'trailers') return 'te other than trailers';
  }
  if (!method || !scheme || !path) return 'missing :method, :scheme or :path';
  return undefined;
}

/** Why a trailer section is malformed (no pseudo-headers in trailers, 8.1), or undefined. */
export function malformedTrailers(headers: HeaderList): string | undefined {
  for (const [name, value] of headers) {
    if (name.charCodeAt(0) === 58) return `pseudo-header ${name} in trailers`;
    const bad = badField(name, value);
    if (bad !== undefined) return bad;
    if (CONNECTION_FIELDS.has(name)) return `connection-specific field ${name}`;
  }
  return undefined;
}

function toBlock(headers: Buffer | HeaderList): Buffer {
  return Buffer.isBuffer(headers) ? headers : encodeHeaders(headers);
}

/** Output buffer size: small frames are copied into one, so a tick's frames are one write. */
const SLAB = 64 * 1024;
/** Larger payloads go out as they are (no copy), between the slab's parts. */
const COPY_LIMIT = 2048;
/** The keepalive PING's payload (any 8 bytes; ours are recognized in the ACK). */
const KEEPALIVE_PING = Buffer.from('kubetska', 'latin1');
/** The graceful-close PING's payload (between the two GOAWAY frames). */
const GOAWAY_PING = Buffer.from('kubetsga', 'latin1');
/** Control frames queued while the socket is full past which the peer is not reading. */
const MAX_CONTROL_BACKLOG = 10_000;

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
  /** Shared header lists of repeated blocks that passed malformedRequest. */
  private readonly wellFormed = new WeakSet<HeaderList>();
  private lastStreamId = 0;
  private prefaceSeen = false;
  private settingsSeen = false;
  /** Bytes of an incomplete frame from earlier chunks. */
  private buffered: Buffer | undefined;
  /** A header block being assembled from HEADERS + CONTINUATION. */
  private headerStream = 0;
  private headerParts: Buffer[] = [];
  private headerBytes = 0;
  private headerFrames = 0;
  private headerEndStream = false;
  /** Parts of the next socket write; small frames are copied into `slab` (never rewound). */
  private out: Buffer[] = [];
  private slab: Buffer = Buffer.allocUnsafe(SLAB);
  private slabStart = 0;
  private slabPos = 0;
  /** The last DATA frame in the slab, if nothing was written after it: its header's position. */
  private openData = -1;
  private openDataStream = 0;
  private openDataLength = 0;
  private tokens: number;
  private tokensAt: number;
  private readonly burst: number;
  private readonly refillPerMs: number;
  private readonly now: () => number;
  /** The socket's last write returned false; streams that wrote since wait for its 'drain'. */
  private socketFull = false;
  private controlBacklog = 0;
  private readonly drainWaiters = new Set<H2Stream>();
  private flushScheduled = false;
  private inChunk = false;
  /** A GOAWAY went out: 1 the first of a graceful close (2^31-1), 2 the final one. */
  private goaway: 0 | 1 | 2 = 0;
  /** The client sent GOAWAY. */
  private peerGoaway = false;
  private dead = false;
  private lastReadAt: number;
  /** When the last stream ended (no streams open now), or -1. */
  private idleSince: number;
  private settingsTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private goawayTimer: NodeJS.Timeout | undefined;

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
    this.lastReadAt = this.tokensAt;
    this.idleSince = this.tokensAt;
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
    const settingsTimeout = options.settingsTimeoutMs ?? 10_000;
    if (settingsTimeout > 0) {
      this.settingsTimer = unref(
        setTimeout(() => {
          this.settingsTimer = undefined;
          this.abort(ErrorCode.SETTINGS_TIMEOUT, 'SETTINGS not acknowledged in time');
        }, settingsTimeout),
      );
    }
    if (options.keepaliveTimeMs !== undefined && options.keepaliveTimeMs > 0) {
      this.armKeepalive(options.keepaliveTimeMs);
    }
    if (options.maxConnectionIdleMs !== undefined && options.maxConnectionIdleMs > 0) {
      this.armIdle(options.maxConnectionIdleMs);
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

  /** @internal Our SETTINGS_INITIAL_WINDOW_SIZE. */
  get streamWindow(): number {
    return this.windowBytes;
  }

  /**
   * Graceful close in two steps (RFC 9113 6.8): a GOAWAY with the largest stream id and a PING;
   * once the PING comes back (so every stream the client started before it saw the GOAWAY has
   * reached us), the final GOAWAY with the last stream id. Streams up to that id are served; the
   * socket ends once they have.
   */
  close(): void {
    if (this.goaway !== 0 || this.dead) return;
    this.goaway = 1;
    this.send(goawayFrame(MAX_WINDOW, ErrorCode.NO_ERROR));
    this.send(frame(FrameType.PING, 0, 0, GOAWAY_PING));
    this.goawayTimer = unref(
      setTimeout(() => this.finalGoaway(), this.options.goawayPingTimeoutMs ?? 5000),
    );
  }

  private finalGoaway(): void {
    if (this.goaway !== 1 || this.dead) return;
    this.goaway = 2;
    clearTimeout(this.goawayTimer);
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
    const n = buf.length;
    if (n <= COPY_LIMIT) {
      const at = this.reserve(n);
      buf.copy(this.slab, at);
    } else {
      this.seal();
      this.out.push(buf);
    }
    this.scheduleFlush();
  }

  /** Room for `n` bytes in the slab (n <= COPY_LIMIT + FRAME_HEADER); their position. */
  private reserve(n: number): number {
    // Whatever comes next follows the open DATA frame: it can no longer grow.
    this.openData = -1;
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

  /** The slab's bytes so far become a part of the next write. */
  private seal(): void {
    this.openData = -1;
    if (this.slabPos > this.slabStart) {
      this.out.push(this.slab.subarray(this.slabStart, this.slabPos));
      this.slabStart = this.slabPos;
    }
  }

  private scheduleFlush(): void {
    if (!this.inChunk && !this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** A control frame answering the peer: counted while the socket is not taking our bytes. */
  private sendControl(buf: Buffer): void {
    if (this.socketFull && ++this.controlBacklog > MAX_CONTROL_BACKLOG) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'peer does not read its answers');
    }
    this.send(buf);
  }

  /** @internal A header block as HEADERS + CONTINUATION frames, split at the peer's frame size. */
  sendHeaders(stream: H2Stream, block: Buffer, endStream: boolean): void {
    if (this.dead) return;
    const max = this.peerMaxFrame;
    if (block.length <= max) {
      const flags = Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0);
      if (block.length <= COPY_LIMIT) {
        const at = this.reserve(FRAME_HEADER + block.length);
        writeFrameHeader(this.slab, at, block.length, FrameType.HEADERS, flags, stream.id);
        block.copy(this.slab, at + FRAME_HEADER);
        this.scheduleFlush();
        return;
      }
      const out = Buffer.allocUnsafe(FRAME_HEADER + block.length);
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
   * windows allow; returns what did not fit. Frame headers and small payloads are written into
   * the slab (no allocation per frame); large payloads go out as they are.
   */
  sendData(stream: H2Stream, data: Buffer, endStream: boolean): Buffer | undefined {
    if (this.dead) return undefined;
    let off = 0;
    while (off < data.length) {
      const room = Math.min(this.sendWindow, stream.sendWindow, this.peerMaxFrame);
      if (room <= 0) {
        this.blocked.add(stream);
        // The frames written before the window ran out must still go out (and bring the
        // client's WINDOW_UPDATE back).
        if (off > 0) this.scheduleFlush();
        return data.subarray(off);
      }
      const n = Math.min(room, data.length - off);
      const flags = off + n === data.length && endStream ? Flag.END_STREAM : 0;
      if (n <= COPY_LIMIT) {
        const at = this.framePayload(stream.id, n, flags);
        copyBytes(this.slab, at, data, off, off + n);
      } else {
        if (!this.extendOpenData(stream.id, n, flags)) {
          const at = this.reserve(FRAME_HEADER);
          writeFrameHeader(this.slab, at, n, FrameType.DATA, flags, stream.id);
        }
        this.seal();
        this.out.push(off === 0 && n === data.length ? data : data.subarray(off, off + n));
      }
      this.sendWindow -= n;
      stream.sendWindow -= n;
      off += n;
    }
    this.scheduleFlush();
    return undefined;
  }

  /**
   * Lengthens the open DATA frame of stream `id` by `n` bytes that follow it outside the slab
   * (the caller seals the slab and adds them as a part of their own), when it has room: one
   * frame instead of two. False when there is no such frame.
   */
  private extendOpenData(id: number, n: number, flags: number): boolean {
    const open = this.openData;
    if (
      open < 0 ||
      flags !== 0 ||
      this.openDataStream !== id ||
      this.openDataLength + n > this.peerMaxFrame
    ) {
      return false;
    }
    const len = (this.openDataLength += n);
    this.slab[open] = len >>> 16;
    this.slab[open + 1] = (len >>> 8) & 0xff;
    this.slab[open + 2] = len & 0xff;
    return true;
  }

  /**
   * @internal `head[0, headLen)` (<= COPY_LIMIT) and a large `body` as the payload of one DATA
   * frame, when the windows and the frame size allow both now: the head is copied into the
   * slab (ending the open DATA frame of this stream, if there is one and it has room, or
   * starting a new one) and the body goes out as it is. One frame per message instead of a
   * frame for the head and another for the body: the client handles each DATA frame with a
   * callback of its own. False when they do not fit (nothing was sent).
   */
  sendHeadBody(stream: H2Stream, head: Buffer, headLen: number, body: Buffer): boolean {
    const total = headLen + body.length;
    if (
      this.dead ||
      headLen > COPY_LIMIT ||
      total > this.sendWindow ||
      total > stream.sendWindow ||
      total > this.peerMaxFrame
    ) {
      return false;
    }
    let at: number;
    if (this.slabPos + headLen <= this.slab.length && this.extendOpenData(stream.id, total, 0)) {
      at = this.slabPos;
      this.slabPos += headLen;
    } else {
      at = this.reserve(FRAME_HEADER + headLen);
      writeFrameHeader(this.slab, at, total, FrameType.DATA, 0, stream.id);
      at += FRAME_HEADER;
    }
    copyBytes(this.slab, at, head, 0, headLen);
    // The frame goes on in the body (a part of its own): nothing can be added to it after this.
    this.seal();
    this.out.push(body);
    this.sendWindow -= total;
    stream.sendWindow -= total;
    this.scheduleFlush();
    return true;
  }

  /**
   * Room in the slab for `n` (<= COPY_LIMIT) DATA payload bytes of a stream: the open DATA
   * frame grows when it is this stream's and nothing came after it (frame boundaries mean
   * nothing in HTTP/2, and one frame of many messages costs the client one callback instead of
   * one per message, as grpc-go's writer does); otherwise a new frame. The payload's position.
   */
  private framePayload(id: number, n: number, flags: number): number {
    const open = this.openData;
    if (
      open >= 0 &&
      flags === 0 &&
      this.openDataStream === id &&
      this.openDataLength + n <= this.peerMaxFrame &&
      this.slabPos + n <= this.slab.length
    ) {
      const len = (this.openDataLength += n);
      this.slab[open] = len >>> 16;
      this.slab[open + 1] = (len >>> 8) & 0xff;
      this.slab[open + 2] = len & 0xff;
      const at = this.slabPos;
      this.slabPos += n;
      return at;
    }
    const at = this.reserve(FRAME_HEADER + n);
    writeFrameHeader(this.slab, at, n, FrameType.DATA, flags, id);
    if (flags === 0) {
      this.openData = at;
      this.openDataStream = id;
      this.openDataLength = n;
    }
    return at + FRAME_HEADER;
  }

  /**
   * @internal Space for `n` (<= COPY_LIMIT) body bytes of `stream` in one go, when the windows
   * allow all of them now: their position in `outputSlab` (the caller writes them there at
   * once), or -1.
   */
  dataSpace(stream: H2Stream, n: number): number {
    if (this.dead || n > this.sendWindow || n > stream.sendWindow || n > this.peerMaxFrame) {
      return -1;
    }
    const at = this.framePayload(stream.id, n, 0);
    this.sendWindow -= n;
    stream.sendWindow -= n;
    this.scheduleFlush();
    return at;
  }

  /**
   * @internal Room for up to `want` queued body bytes of `stream` in one DATA frame, as the
   * windows allow: the number granted (their position is `dataAt` in `outputSlab`), or 0 and
   * the stream waits for window.
   */
  takeDataSpace(stream: H2Stream, want: number): number {
    if (this.dead) return 0;
    const n = Math.min(want, this.sendWindow, stream.sendWindow, this.peerMaxFrame);
    if (n <= 0) {
      this.blocked.add(stream);
      return 0;
    }
    this.dataAt = this.framePayload(stream.id, n, 0);
    this.sendWindow -= n;
    stream.sendWindow -= n;
    this.scheduleFlush();
    return n;
  }

  /** @internal See takeDataSpace. */
  dataAt = 0;

  /** @internal The buffer `dataSpace` positions are in (until the next call on the connection). */
  get outputSlab(): Buffer {
    return this.slab;
  }

  /** @internal */
  forget(stream: H2Stream): void {
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
    this.drainWaiters.delete(stream);
    if (this.streams.size === 0) {
      this.idleSince = this.now();
      if (this.goaway === 2 || this.peerGoaway) this.endSocket();
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
    let ok = true;
    if (out.length === 1) ok = socket.write(out[0]!);
    else {
      // One writev, no copy into a new buffer.
      socket.cork();
      for (const b of out) ok = socket.write(b);
      socket.uncork();
    }
    if (socket.writableLength === 0) {
      // The kernel took every byte during the write (the socket keeps no reference to them):
      // the slab is free again. Reusing it keeps a busy connection from allocating a new
      // buffer outside the heap per write, which would make V8 run full collections for the
      // external memory alone.
      this.slabStart = 0;
      this.slabPos = 0;
    } else if (!ok) {
      // Bytes still buffered: the peer is not keeping up ('drain' follows). A write at or
      // above the high-water mark returns false even when the kernel took it all at once,
      // which is not congestion.
      this.socketFull = true;
    }
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
    this.controlBacklog = 0;
    if (this.drainWaiters.size === 0) return;
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
    this.clearTimers();
    for (const s of [...this.streams.values()]) s.close(-1);
  };

  private clearTimers(): void {
    clearTimeout(this.settingsTimer);
    clearTimeout(this.keepaliveTimer);
    clearTimeout(this.pingTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.goawayTimer);
  }

  /** Keepalive: a PING after `time` ms without a frame from the client. */
  private armKeepalive(delay: number): void {
    this.keepaliveTimer = unref(
      setTimeout(() => {
        if (this.dead) return;
        const time = this.options.keepaliveTimeMs!;
        const quiet = this.now() - this.lastReadAt;
        if (quiet < time) {
          this.armKeepalive(time - quiet);
          return;
        }
        this.send(frame(FrameType.PING, 0, 0, KEEPALIVE_PING));
        const sentAt = this.now();
        this.pingTimer = unref(
          setTimeout(() => {
            // Anything read since the PING proves the peer alive (as grpc-go counts it).
            if (this.dead || this.lastReadAt > sentAt) return;
            this.abort(ErrorCode.NO_ERROR, 'keepalive ping not answered');
          }, this.options.keepaliveTimeoutMs ?? 20_000),
        );
        this.armKeepalive(time);
      }, delay),
    );
  }

  /** Max connection idle: closed gracefully after `idle` ms without an open stream. */
  private armIdle(delay: number): void {
    this.idleTimer = unref(
      setTimeout(() => {
        if (this.dead || this.goaway !== 0) return;
        const idle = this.options.maxConnectionIdleMs!;
        if (this.streams.size === 0 && this.now() - this.idleSince >= idle) {
          this.close();
          return;
        }
        const since = this.streams.size === 0 ? this.now() - this.idleSince : 0;
        this.armIdle(idle - since);
      }, delay),
    );
  }

  /** Closes the connection now with GOAWAY `code` (the server's decision, not a peer error). */
  private abort(code: ErrorCode, message: string): void {
    if (this.dead) return;
    this.send(goawayFrame(this.lastStreamId, code, message));
    this.flush();
    this.socket.end();
    this.onSocketClose();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.dead) return;
    const buf = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    this.buffered = undefined;
    this.inChunk = true;
    if (this.pingTimer !== undefined || this.options.keepaliveTimeMs !== undefined) {
      this.lastReadAt = this.now();
    }
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
      // A copy of the rest: a view would keep the whole chunk alive until the frame completes.
      if (pos < buf.length) this.buffered = pos === 0 ? buf : Buffer.from(buf.subarray(pos));
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
    this.options.onError?.(e);
    this.inChunk = false;
    this.abort(e.code, e.message);
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
        if (payload.length !== 5) {
          // A stream error (6.3); priorities are otherwise ignored.
          this.sendControl(rstStreamFrame(id, ErrorCode.FRAME_SIZE_ERROR));
          this.streams.get(id)?.close(ErrorCode.FRAME_SIZE_ERROR);
        }
        return;
      case FrameType.RST_STREAM:
        if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        if (payload.length !== 4) {
          throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad RST_STREAM');
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
          this.sendControl(frame(FrameType.PING, Flag.ACK, 0, payload));
        } else if (payload.equals(KEEPALIVE_PING)) {
          clearTimeout(this.pingTimer);
          this.pingTimer = undefined;
        } else if (payload.equals(GOAWAY_PING)) {
          this.finalGoaway();
        }
        return;
      case FrameType.GOAWAY:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad GOAWAY');
        // The client starts no more streams; the socket ends once the open ones have.
        this.peerGoaway = true;
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

  private onDataFrame(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    // Flow control counts the whole frame, padding included (6.9.1). The connection window is
    // returned as frames arrive (as grpc-go and nghttp2 do): what a stream keeps unread is
    // bounded by its own window, which is returned only as the application reads.
    this.recvUnacked += payload.length;
    if (this.recvUnacked > Math.max(this.windowBytes, DEFAULT_WINDOW)) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'connection window exceeded');
    }
    if (this.recvUnacked >= this.windowBytes / 2) {
      this.send(windowUpdateFrame(0, this.recvUnacked));
      this.recvUnacked = 0;
    }
    const end = (flags & Flag.END_STREAM) !== 0;
    // An empty DATA frame that does not end the stream carries nothing (CVE-2019-9518).
    if (payload.length === 0 && !end) this.spend('empty DATA');
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
      }
      // A stream we closed (or reset): the client may still have DATA in flight (5.4.2).
      return;
    }
    if (stream.remoteDone) {
      stream.reset(ErrorCode.STREAM_CLOSED);
      return;
    }
    const data = unpad(flags, payload, 0, payload.length);
    if (!stream.fits(payload.length)) {
      stream.reset(ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    stream.received(data, payload.length, end);
  }

  private onHeaders(flags: number, id: number, payload: Buffer): void {
    if (id === 0 || id % 2 === 0) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on an invalid stream id');
    }
    const block = unpad(flags, payload, 0, payload.length, flags & Flag.PRIORITY ? 5 : 0);
    this.headerStream = id;
    this.headerParts = [block];
    this.headerBytes = block.length;
    this.headerFrames = 1;
    this.headerEndStream = (flags & Flag.END_STREAM) !== 0;
    if (this.headerBytes > this.maxHeaderBlock) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    }
    if (flags & Flag.END_HEADERS) this.onHeaderBlock();
  }

  private onContinuation(flags: number, id: number, payload: Buffer): void {
    if (this.headerStream === 0 || id !== this.headerStream) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
    }
    this.headerParts.push(payload);
    this.headerBytes += payload.length;
    // CONTINUATION flood: a block too large, or many (even empty) frames that never end it.
    if (
      this.headerBytes > this.maxHeaderBlock ||
      ++this.headerFrames > 2 + this.maxHeaderBlock / 1024
    ) {
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
      // Trailers: they must end the stream (8.1) and carry no pseudo-headers.
      if (!this.headerEndStream || existing.remoteDone) {
        existing.reset(ErrorCode.PROTOCOL_ERROR);
        return;
      }
      const bad = malformedTrailers(headers);
      if (bad !== undefined) {
        this.options.onError?.(new Error(`malformed trailers on stream ${id}: ${bad}`));
        existing.reset(ErrorCode.PROTOCOL_ERROR);
        return;
      }
      existing.received(EMPTY, 0, true);
      return;
    }
    if (id <= this.lastStreamId) {
      // A stream that is closed: we may have reset it while the client's frames were in
      // flight (5.1, "closed"); ignored.
      return;
    }
    this.lastStreamId = id;
    if (this.goaway === 2 || this.peerGoaway || this.streams.size >= this.maxStreams) {
      // Refused streams cost us nothing but count for the rapid-reset guard.
      this.spend('refused stream');
      this.sendControl(rstStreamFrame(id, ErrorCode.REFUSED_STREAM));
      return;
    }
    // A repeated block's list (see HpackDecoder) was checked when it was first seen.
    const shared = this.decoder.isCached(headers);
    const malformed =
      shared && this.wellFormed.has(headers) ? undefined : malformedRequest(headers);
    if (malformed !== undefined) {
      // A malformed request is a stream error (8.1.1); the connection goes on.
      this.options.onError?.(new Error(`malformed request on stream ${id}: ${malformed}`));
      this.spend('malformed request');
      this.sendControl(rstStreamFrame(id, ErrorCode.PROTOCOL_ERROR));
      return;
    }
    if (shared) this.wellFormed.add(headers);
    const stream = new H2Stream(id, this);
    stream.headers = headers;
    stream.headersShared = shared;
    this.streams.set(id, stream);
    this.idleSince = -1;
    this.options.onStream(stream);
    if (this.headerEndStream && !stream.closed) stream.closeRemote();
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (payload.length !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad ACK');
      clearTimeout(this.settingsTimer);
      this.settingsTimer = undefined;
      return;
    }
    this.spend('SETTINGS');
    this.settingsSeen = true;
    forEachSetting(payload, (key, value) => {
      if (key === Setting.INITIAL_WINDOW_SIZE) {
        shiftSendWindows(this.streams.values(), value - this.peerInitialWindow);
        this.peerInitialWindow = value;
      } else if (key === Setting.MAX_FRAME_SIZE) {
        this.peerMaxFrame = value;
      } else if (key === Setting.ENABLE_PUSH && value > 1) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad ENABLE_PUSH');
      }
      // HEADER_TABLE_SIZE: our encoder never uses the dynamic table. MAX_CONCURRENT_STREAMS:
      // a server opens no streams. MAX_HEADER_LIST_SIZE: advisory.
    });
    this.sendControl(frame(FrameType.SETTINGS, Flag.ACK, 0));
    this.resumeBlocked();
  }

  private onWindowUpdate(id: number, payload: Buffer): void {
    const inc = windowIncrement(payload, 0, payload.length);
    if (id === 0) {
      this.sendWindow = growConnectionWindow(this.sendWindow, inc);
      this.resumeBlocked();
      return;
    }
    if (id > this.lastStreamId) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
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
      stream.resumeSending();
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
      s.resumeSending();
    }
  }
}

const EMPTY = Buffer.alloc(0);

function unref(t: NodeJS.Timeout): NodeJS.Timeout {
  t.unref();
  return t;
}
