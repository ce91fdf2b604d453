/**
 * The gRPC server's calls on the JavaScript HTTP/2 connection (h2/connection.ts) instead of
 * node:http2 (issue #4): a listener (plain TCP or TLS with ALPN h2) and a stream with the part of
 * ServerHttp2Stream's interface the calls use (CallStream).
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { CallStream } from './calls.js';
import { H2Connection, type H2Stream, type H2StreamSink } from './h2/connection.js';
import { type HeaderList, encodeHeaders } from './h2/hpack.js';
import type { GrpcServerTls } from './server.js';
import { h2TlsOptions } from './tls-options.js';

/** Encoded header blocks of constant header objects (the calls' shared response headers). */
const blocks = new WeakMap<OutgoingHttpHeaders, Buffer>();
const EMPTY_BLOCK = Buffer.alloc(0);

/** node:http2's header object as an HPACK block: pseudo-headers first, arrays as repeats. */
function headerBlock(headers: OutgoingHttpHeaders): Buffer {
  const cached = blocks.get(headers);
  if (cached !== undefined) return cached;
  const pseudo: HeaderList = [];
  const rest: HeaderList = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const list = name.charCodeAt(0) === 58 /* ':' */ ? pseudo : rest;
    const key = name.toLowerCase();
    if (Array.isArray(value)) for (const v of value) list.push([key, v]);
    else list.push([key, String(value)]);
  }
  return encodeHeaders(pseudo.length === 0 ? rest : pseudo.concat(rest));
}

/** Caches the block of a header object that is never changed (a module constant). */
export function constantHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  blocks.set(headers, headerBlock(headers));
  return headers;
}

/** A request's header list as node:http2's object (repeated fields joined with ", "). */
export function headerObject(list: HeaderList): IncomingHttpHeaders {
  const out: Record<string, string> = {};
  for (const [name, value] of list) {
    const prev = out[name];
    out[name] = prev === undefined ? value : `${prev}, ${value}`;
  }
  return out;
}

/** Header objects of shared header lists (a client's repeated request headers). */
const sharedObjects = new WeakMap<HeaderList, IncomingHttpHeaders>();

/**
 * headerObject of a list the decoder shares between the streams that sent the same block:
 * built once per list and frozen, since every call of those streams reads the same object.
 */
export function sharedHeaderObject(list: HeaderList): IncomingHttpHeaders {
  let obj = sharedObjects.get(list);
  if (obj === undefined) {
    obj = Object.freeze(headerObject(list));
    sharedObjects.set(list, obj);
  }
  return obj;
}

/** One request stream of the JavaScript connection, shaped as the calls use node's streams. */
export class JsCallStream extends EventEmitter implements CallStream, H2StreamSink {
  private waitForTrailers = false;
  private trailersSent = false;

  constructor(private readonly s: H2Stream) {
    super();
    s.sink = this;
  }

  /** @internal */
  onStreamData(chunk: Buffer): void {
    this.emit('data', chunk);
  }

  /** @internal */
  onStreamEnd(): void {
    this.emit('end');
  }

  /** @internal As node's streams: 'close' comes on a later tick, never inside the call that closed it. */
  onStreamClose(): void {
    process.nextTick(emitClose, this);
  }

  /** @internal */
  onStreamDrain(): void {
    this.emit('drain');
  }

  get session(): { readonly socket: Socket } {
    return this.s.connection;
  }

  get readableEnded(): boolean {
    return this.s.remoteClosed;
  }

  get destroyed(): boolean {
    return this.s.closed;
  }

  get closed(): boolean {
    return this.s.closed;
  }

  respond(
    headers: OutgoingHttpHeaders,
    options?: { endStream?: boolean; waitForTrailers?: boolean },
  ): void {
    this.waitForTrailers = options?.waitForTrailers === true;
    this.s.respond(headerBlock(headers), options?.endStream === true);
  }

  sendTrailers(headers: OutgoingHttpHeaders): void {
    this.trailersSent = true;
    this.s.end(headerBlock(headers));
  }

  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean {
    const ok = this.s.write(chunk);
    if (cb !== undefined) process.nextTick(cb);
    return ok;
  }

  writeHeadBody(head: Buffer, headLen: number, body: Buffer): boolean {
    return this.s.writeHeadBody(head, headLen, body);
  }

  /** The last body bytes; then 'wantTrailers' (the listener sends them), or an empty block. */
  end(chunk?: Buffer): void {
    if (chunk !== undefined && chunk.length > 0) this.s.write(chunk);
    if (this.waitForTrailers) this.emit('wantTrailers');
    if (!this.trailersSent) this.s.end(EMPTY_BLOCK);
  }

  /** Request data stops: the stream's receive window is no longer returned (flow control). */
  pause(): void {
    this.s.pauseReading();
  }

  resume(): void {
    this.s.resumeReading();
  }

  /** The connection already sends once per tick. */
  cork(): void {}

  uncork(): void {}

  /** NO_ERROR: stop the client's side once the response is out; other codes reset now. */
  close(code = 0): void {
    if (code === 0) this.s.stopReading();
    else this.s.reset(code);
  }
}

function emitClose(stream: JsCallStream): void {
  stream.emit('close');
}

export interface JsListenOptions {
  tls?: GrpcServerTls;
  windowBytes: number;
  maxConcurrentStreams: number | undefined;
  keepaliveTimeMs: number | undefined;
  keepaliveTimeoutMs: number | undefined;
  maxConnectionIdleMs: number | undefined;
  onConnection(conn: H2Connection): void;
  onStream(stream: JsCallStream, headers: IncomingHttpHeaders): void;
  onError(err: unknown, context: string): void;
}

/** A listener whose connections speak HTTP/2 through H2Connection. */
export function createJsServer(opts: JsListenOptions): Server {
  const start = (socket: Socket): void => {
    socket.setNoDelay(true);
    const conn = new H2Connection(socket, {
      windowBytes: opts.windowBytes,
      ...(opts.maxConcurrentStreams !== undefined
        ? { maxConcurrentStreams: opts.maxConcurrentStreams }
        : {}),
      ...(opts.keepaliveTimeMs !== undefined ? { keepaliveTimeMs: opts.keepaliveTimeMs } : {}),
      ...(opts.keepaliveTimeoutMs !== undefined
        ? { keepaliveTimeoutMs: opts.keepaliveTimeoutMs }
        : {}),
      ...(opts.maxConnectionIdleMs !== undefined
        ? { maxConnectionIdleMs: opts.maxConnectionIdleMs }
        : {}),
      onStream: (s) =>
        opts.onStream(
          new JsCallStream(s),
          s.headersShared ? sharedHeaderObject(s.headers) : headerObject(s.headers),
        ),
      onError: (err) => opts.onError(err, 'HTTP/2 connection'),
    });
    opts.onConnection(conn);
  };
  if (opts.tls === undefined) return createNetServer(start);
  const server = createTlsServer(h2TlsOptions(opts.tls), (socket: TLSSocket) => {
    // HTTP/2 over TLS is negotiated with ALPN (RFC 9113 section 3.2); nothing else is served.
    if (socket.alpnProtocol !== 'h2') {
      socket.destroy();
      return;
    }
    start(socket);
  });
  server.on('tlsClientError', () => undefined);
  return server;
}
