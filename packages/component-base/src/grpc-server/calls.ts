import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { frameMessage } from './framing.js';
import { constantHeaders } from './js-transport.js';
import { Metadata } from './metadata.js';
import {
  Status,
  encodeGrpcMessage,
  resolveStatus,
  type ResolvedStatus,
  type StatusLike,
} from './status.js';

/**
 * One method of a service: grpc-js's MethodDefinition fields this server reads, so the service
 * definitions grpc-js and proto-loader produce are used as they are.
 */
export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  originalName?: string;
  /**
   * kubets: `responseSerialize` returns the whole gRPC message frame, its 5-byte prefix
   * included, so a pre-encoded response is written without another copy.
   */
  responseFramed?: boolean;
}

/**
 * What a call uses of its HTTP/2 stream: node:http2's CallStream has it all, and so does
 * the JavaScript HTTP/2 connection's stream (js-transport.ts).
 */
export interface CallStream {
  /** The connection; its socket gives the peer address and TLS certificate. */
  readonly session: { readonly socket: Socket } | undefined;
  /** The client finished sending. */
  readonly readableEnded: boolean;
  readonly destroyed: boolean;
  readonly closed: boolean;
  respond(
    headers: OutgoingHttpHeaders,
    options?: { endStream?: boolean; waitForTrailers?: boolean },
  ): void;
  sendTrailers(headers: OutgoingHttpHeaders): void;
  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean;
  /**
   * `write(concat(head[0, headLen), body))` without the concatenation (the JavaScript HTTP/2
   * stream copies both into its output); `head` may be reused once it returns.
   */
  writeHeadBody?(head: Buffer, headLen: number, body: Buffer): boolean;
  end(chunk?: Buffer): void;
  cork(): void;
  uncork(): void;
  /** Stops reading request data: the client is held back by HTTP/2 flow control. */
  pause(): unknown;
  resume(): unknown;
  /** RST_STREAM with `code`. */
  close(code?: number): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- node's EventEmitter shape
  on(event: string, listener: (...args: any[]) => void): unknown;
}

export type ServiceDefinition = Readonly<Record<string, MethodDefinition>>;

/** What every call exposes, as grpc-js's server calls do. */
export interface CallContext {
  readonly cancelled: boolean;
  readonly metadata: Metadata;
  getPeer(): string;
  getPath(): string;
  getHost(): string;
  /** Milliseconds since the epoch; Infinity without a `grpc-timeout`. */
  getDeadline(): number;
  /** grpc-js's AuthContext: the TLS peer's certificate, when there is one. */
  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate };
  /** Response headers to send before the first message (or with the status). */
  sendMetadata(md: Metadata): void;
}

export type UnaryCallback<Res> = (
  err: StatusLike | null,
  value?: Res | null,
  trailer?: Metadata,
) => void;

/** Per-server settings a call needs. */
export interface CallEnv {
  maxReceiveBytes: number;
  maxSendBytes: number;
  /** Calls with a deadline, checked by the server's one sweep timer. */
  trackDeadline(call: BaseCall): void;
  untrackDeadline(call: BaseCall): void;
}

// Constant header objects: the JavaScript transport encodes each once.
// The response headers are grpc-go's (etcd's): no `grpc-encoding: identity` (what its absence
// means) and no `grpc-accept-encoding` (optional; a client that compresses anyway is still
// understood). Each header costs a grpc-js client work per call (its compression filter builds
// a handler for the one and splits the other): ~10 µs of client CPU per call together
// (decision 0030), on a box the client shares with the members.
const RESPONSE_HEADERS: OutgoingHttpHeaders = constantHeaders({
  ':status': 200,
  'content-type': 'application/grpc+proto',
});
const OK_TRAILERS: OutgoingHttpHeaders = constantHeaders({
  'grpc-status': '0',
  'grpc-message': 'OK',
});
const HEADERS_AND_TRAILERS = { waitForTrailers: true } as const;
const END_STREAM = { endStream: true } as const;

/**
 * The status went out but the client is still sending: as grpc-go's server, reset the stream
 * (NO_ERROR) so neither side keeps it open. Node sends the RST_STREAM after the frames queued.
 */
function stopReading(stream: CallStream): void {
  if (!stream.readableEnded && !stream.destroyed) stream.close(0 /* NGHTTP2_NO_ERROR */);
}

function sendTrailers(stream: CallStream, trailers: OutgoingHttpHeaders): void {
  try {
    stream.sendTrailers(trailers);
    stopReading(stream);
  } catch {
    // The stream closed under us: the client is gone.
  }
}

function sendOkTrailers(this: CallStream): void {
  sendTrailers(this, OK_TRAILERS);
}

const peers = new WeakMap<object, string>();

/** The state of one call on one HTTP/2 stream: status once, cancellation, deadline. */
export abstract class BaseCall extends EventEmitter {
  cancelled = false;
  /** The status was sent (or the stream is gone): nothing more goes out. */
  protected finished = false;
  protected headersSent = false;
  private extraHeaders: OutgoingHttpHeaders | undefined;
  private md: Metadata | undefined;

  constructor(
    protected readonly stream: CallStream,
    protected readonly headers: IncomingHttpHeaders,
    protected readonly method: MethodDefinition,
    protected readonly env: CallEnv,
    readonly deadline: number,
  ) {
    super();
    stream.on('close', () => this.onStreamClose());
    if (deadline !== Infinity) env.trackDeadline(this);
  }

  get metadata(): Metadata {
    return (this.md ??= Metadata.fromHeaders(this.headers));
  }

  getPeer(): string {
    const session = this.stream.session;
    if (session === undefined) return 'unknown';
    let peer = peers.get(session);
    if (peer === undefined) {
      const s = session.socket;
      peer = s.remoteAddress
        ? s.remotePort
          ? `${s.remoteAddress}:${s.remotePort}`
          : s.remoteAddress
        : 'unknown';
      peers.set(session, peer);
    }
    return peer;
  }

  getPath(): string {
    return this.method.path;
  }

  getHost(): string {
    return String(this.headers[':authority'] ?? '');
  }

  getDeadline(): number {
    return this.deadline;
  }

  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate } {
    const socket = this.stream.session?.socket as TLSSocket | undefined;
    if (socket === undefined || typeof socket.getPeerCertificate !== 'function') return {};
    const cert = socket.getPeerCertificate();
    return {
      transportSecurityType: 'ssl',
      ...(cert && Object.keys(cert).length > 0 ? { sslPeerCertificate: cert } : {}),
    };
  }

  sendMetadata(md: Metadata): void {
    if (this.headersSent || this.finished) return;
    this.extraHeaders = { ...this.extraHeaders, ...md.toHttp2Headers() };
  }

  /** The deadline passed: DEADLINE_EXCEEDED, and the handler sees a cancelled call. */
  expire(): void {
    if (this.finished) return;
    this.sendStatus({
      code: Status.DEADLINE_EXCEEDED,
      details: 'Deadline exceeded',
      headers: undefined,
    });
    this.markCancelled();
  }

  /** Response headers, sent before the first message. */
  protected respondHeaders(): void {
    this.headersSent = true;
    this.stream.respond(
      this.extraHeaders ? { ...RESPONSE_HEADERS, ...this.extraHeaders } : RESPONSE_HEADERS,
      HEADERS_AND_TRAILERS,
    );
  }

  /** Sends one response message (serialized and framed) and, for unary calls, the OK status. */
  protected serialize(value: unknown): Buffer | ResolvedStatus {
    let bytes: Buffer;
    try {
      bytes = this.method.responseSerialize(value);
    } catch (err) {
      return {
        code: Status.INTERNAL,
        details: `Error serializing response: ${err instanceof Error ? err.message : String(err)}`,
        headers: undefined,
      };
    }
    const frame = this.method.responseFramed === true ? bytes : frameMessage(bytes);
    if (frame.length - 5 > this.env.maxSendBytes) {
      return {
        code: Status.RESOURCE_EXHAUSTED,
        details: `Sent message larger than max (${frame.length - 5} vs. ${this.env.maxSendBytes})`,
        headers: undefined,
      };
    }
    return frame;
  }

  /** The call's status: trailers after the response headers, or a trailers-only response. */
  sendStatus(st: ResolvedStatus): void {
    if (this.finished) return;
    this.finish();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    try {
      if (st.code === 0 && st.headers === undefined && this.headersSent) {
        stream.on('wantTrailers', sendOkTrailers);
        stream.end();
        return;
      }
      const trailers: OutgoingHttpHeaders = {
        ...st.headers,
        'grpc-status': String(st.code),
        'grpc-message': encodeGrpcMessage(st.details),
      };
      if (this.headersSent) {
        stream.on('wantTrailers', () => sendTrailers(stream, trailers));
        stream.end();
      } else {
        this.headersSent = true;
        stream.respond({ ...RESPONSE_HEADERS, ...this.extraHeaders, ...trailers }, END_STREAM);
        stopReading(stream);
      }
    } catch {
      // The stream closed between the check and the write: the client is gone.
    }
  }

  protected finish(): void {
    this.finished = true;
    if (this.deadline !== Infinity) this.env.untrackDeadline(this);
  }

  protected markCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }

  private onStreamClose(): void {
    if (!this.finished) {
      // Closed before we sent a status: the client cancelled (RST_STREAM) or the connection
      // went away.
      this.finish();
      this.markCancelled();
    }
    this.onClosed();
  }

  protected onClosed(): void {
    // Streaming calls tell their handlers.
  }

  /** A request message arrived (already decoded from its frame). */
  abstract onMessage(msg: Buffer): void;
  /** The client half-closed. */
  abstract onEnd(): void;
}

/** Decodes a request message; a failure is INTERNAL, as in grpc-js. */
function deserialize(method: MethodDefinition, msg: Buffer): { value: unknown } | ResolvedStatus {
  try {
    return { value: method.requestDeserialize(msg) };
  } catch (err) {
    return {
      code: Status.INTERNAL,
      details: `Error deserializing request: ${err instanceof Error ? err.message : String(err)}`,
      headers: undefined,
    };
  }
}

/**
 * The request of a unary or server-streaming method: exactly one message, decoded when the
 * client half-closes. Zero or two messages refuse the call with grpc-js's UNIMPLEMENTED.
 */
class SingleRequest {
  private msg: Buffer | undefined;
  private extra = false;

  add(msg: Buffer): void {
    if (this.msg === undefined) this.msg = msg;
    else this.extra = true;
  }

  /** `kind` names the method's kind in the refusal, as grpc-js does ("unary", "server streaming"). */
  take(method: MethodDefinition, kind: string): { value: unknown } | ResolvedStatus {
    if (this.extra || this.msg === undefined) {
      return {
        code: Status.UNIMPLEMENTED,
        details: `Received ${this.extra ? 'a second' : 'no'} request message for ${kind} method ${method.path}`,
        headers: undefined,
      };
    }
    const req = deserialize(method, this.msg);
    this.msg = undefined;
    return req;
  }
}

/**
 * A unary call (or the request half of a server-streaming one): one request message, then the
 * handler; `callback` answers with one message and the status.
 */
export class UnaryCall<Req = unknown, Res = unknown> extends BaseCall implements CallContext {
  request!: Req;
  private readonly incoming = new SingleRequest();

  constructor(
    stream: CallStream,
    headers: IncomingHttpHeaders,
    method: MethodDefinition,
    env: CallEnv,
    deadline: number,
    private readonly run: (call: UnaryCall<Req, Res>) => void,
  ) {
    super(stream, headers, method, env, deadline);
  }

  onMessage(msg: Buffer): void {
    this.incoming.add(msg);
  }

  onEnd(): void {
    if (this.finished) return;
    const req = this.incoming.take(this.method, 'unary');
    if (!('value' in req)) {
      this.sendStatus(req);
      return;
    }
    this.request = req.value as Req;
    this.run(this);
  }

  /** The handler's answer (grpc-js's sendUnaryData). */
  readonly callback: UnaryCallback<Res> = (err, value, trailer) => {
    if (this.finished) return;
    if (err !== null && err !== undefined) {
      this.sendStatus(resolveStatus(err, trailer));
      return;
    }
    const frame = this.serialize(value);
    if (!Buffer.isBuffer(frame)) {
      this.sendStatus(frame);
      return;
    }
    const stream = this.stream;
    if (stream.destroyed || stream.closed) {
      this.finish();
      return;
    }
    try {
      this.respondHeaders();
      this.finish();
      if (trailer === undefined) {
        stream.on('wantTrailers', sendOkTrailers);
      } else {
        const trailers = { ...trailer.toHttp2Headers(), ...OK_TRAILERS };
        stream.on('wantTrailers', () => sendTrailers(stream, trailers));
      }
      stream.end(frame);
    } catch {
      // The stream closed between the check and the write: the client is gone.
    }
  };
}

/**
 * A streaming call, as the handlers of grpc-js's ServerWritableStream and ServerDuplexStream use
 * one: `write` (false when the client is not reading fast enough: wait for 'drain'), `end`,
 * `emit('error', status)` to fail the call, and the events 'data', 'end', 'cancelled', 'close'.
 */
export class StreamCall<Req = unknown, Res = unknown> extends BaseCall implements CallContext {
  /** The request of a server-streaming call. */
  request!: Req;
  private corked = false;
  /** Set while paused: messages read but not yet emitted. */
  private held: Buffer[] | undefined;
  private endHeld = false;

  constructor(
    stream: CallStream,
    headers: IncomingHttpHeaders,
    method: MethodDefinition,
    env: CallEnv,
    deadline: number,
  ) {
    super(stream, headers, method, env, deadline);
    stream.on('drain', () => this.emit('drain'));
    // As grpc-js: a handler fails the call by emitting its status as an error.
    this.on('error', (err: StatusLike) => this.sendStatus(resolveStatus(err)));
  }

  get writable(): boolean {
    return !this.finished;
  }

  onMessage(msg: Buffer): void {
    if (this.finished) return;
    if (this.held !== undefined) {
      // Paused: messages already read (from the chunk being decoded) wait for resume().
      this.held.push(msg);
      return;
    }
    const req = deserialize(this.method, msg);
    if ('value' in req) this.emit('data', req.value);
    else this.sendStatus(req);
  }

  onEnd(): void {
    if (this.held !== undefined) {
      this.endHeld = true;
      return;
    }
    this.emit('end');
  }

  /**
   * As a Readable's pause(): no more 'data' events until resume(). The HTTP/2 stream stops
   * returning receive window, so a client that goes on writing is held back by flow control
   * (its writes report false and wait) instead of the server buffering without bound.
   */
  pause(): this {
    if (this.held === undefined) {
      this.held = [];
      this.stream.pause();
    }
    return this;
  }

  resume(): this {
    const held = this.held;
    if (held === undefined) return this;
    this.held = undefined;
    let i = 0;
    while (i < held.length && this.held === undefined) this.onMessage(held[i++]!);
    if (this.held !== undefined) {
      // Paused again by a 'data' listener: keep the rest, in order.
      (this.held as Buffer[]).unshift(...held.slice(i));
      return this;
    }
    if (this.endHeld) {
      this.endHeld = false;
      this.emit('end');
    }
    if (!this.stream.destroyed) this.stream.resume();
    return this;
  }

  isPaused(): boolean {
    return this.held !== undefined;
  }

  /**
   * Sends one message. Writes of one tick are corked together and go out as one write to the
   * HTTP/2 stream: a fan-out of many responses on one stream costs one native write.
   */
  write(value: Res, cb?: (err?: Error | null) => void): boolean {
    if (this.finished) return false;
    const frame = this.serialize(value);
    if (!Buffer.isBuffer(frame)) {
      this.sendStatus(frame);
      return false;
    }
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return false;
    if (!this.headersSent) this.respondHeaders();
    if (!this.corked) {
      this.corked = true;
      stream.cork();
      process.nextTick(uncork, this);
    }
    return cb ? stream.write(frame, cb) : stream.write(frame);
  }

  /**
   * Sends one message already framed, given as `head[0, headLen)` (the 5-byte gRPC prefix and
   * any leading fields) and `body` (shared by many calls, never changed): a fan-out of one
   * event to many streams builds no buffer per stream. `head` may be reused once it returns.
   */
  writeFramedParts(head: Buffer, headLen: number, body: Buffer): boolean {
    if (this.finished) return false;
    const size = headLen - 5 + body.length;
    if (size > this.env.maxSendBytes) {
      this.sendStatus({
        code: Status.RESOURCE_EXHAUSTED,
        details: `Sent message larger than max (${size} vs. ${this.env.maxSendBytes})`,
        headers: undefined,
      });
      return false;
    }
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return false;
    if (!this.headersSent) this.respondHeaders();
    if (stream.writeHeadBody !== undefined) return stream.writeHeadBody(head, headLen, body);
    if (!this.corked) {
      this.corked = true;
      stream.cork();
      process.nextTick(uncork, this);
    }
    const joined = Buffer.allocUnsafe(headLen + body.length);
    head.copy(joined, 0, 0, headLen);
    body.copy(joined, headLen);
    return stream.write(joined);
  }

  /** @internal */
  uncork(): void {
    this.corked = false;
    if (!this.stream.destroyed) this.stream.uncork();
  }

  /** Ends the call with OK (and the trailing metadata, if any). */
  end(metadata?: Metadata): this {
    this.sendStatus({ code: Status.OK, details: 'OK', headers: metadata?.toHttp2Headers() });
    return this;
  }

  /** Fails the call with the error's status, or cancels it (RST_STREAM) without one. */
  destroy(err?: StatusLike): this {
    if (err !== undefined) this.sendStatus(resolveStatus(err));
    else if (!this.finished) {
      this.finish();
      if (!this.stream.destroyed) this.stream.close(0x8 /* NGHTTP2_CANCEL */);
    }
    return this;
  }

  protected override onClosed(): void {
    this.emit('close');
  }
}

function uncork(call: StreamCall): void {
  call.uncork();
}

/** A server-streaming call: one request message, then the handler writes its responses. */
export class ServerStreamCall<Req = unknown, Res = unknown> extends StreamCall<Req, Res> {
  private readonly incoming = new SingleRequest();

  constructor(
    stream: CallStream,
    headers: IncomingHttpHeaders,
    method: MethodDefinition,
    env: CallEnv,
    deadline: number,
    private readonly run: (call: ServerStreamCall<Req, Res>) => void,
  ) {
    super(stream, headers, method, env, deadline);
  }

  override onMessage(msg: Buffer): void {
    this.incoming.add(msg);
  }

  override onEnd(): void {
    if (this.finished) return;
    const req = this.incoming.take(this.method, 'server streaming');
    if (!('value' in req)) {
      this.sendStatus(req);
      return;
    }
    this.request = req.value as Req;
    this.run(this);
  }
}

/** A client-streaming call: messages in as 'data'/'end', one answer through `callback`. */
export class ClientStreamCall<Req = unknown, Res = unknown> extends StreamCall<Req, Res> {
  readonly callback: UnaryCallback<Res> = (err, value, trailer) => {
    if (this.finished) return;
    if (err !== null && err !== undefined) {
      this.sendStatus(resolveStatus(err, trailer));
      return;
    }
    this.write(value as Res);
    this.sendStatus({
      code: Status.OK,
      details: 'OK',
      headers: trailer?.toHttp2Headers(),
    });
  };
}
