/**
 * A gRPC server straight on node:http2 (ADR 0018): the gRPC-over-HTTP/2 protocol
 * (grpc/grpc doc/PROTOCOL-HTTP2.md) for the service definitions grpc-js and proto-loader
 * produce, with the call shapes grpc-js's handlers use, without grpc-js's per-call machinery
 * (interceptor chain, per-call deadline timer, channelz, call-event tracking).
 */
import {
  constants,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type SecureServerOptions,
  type ServerOptions,
} from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import type { BaseCall, CallStream } from './calls.js';
import {
  ClientStreamCall,
  ServerStreamCall,
  StreamCall,
  UnaryCall,
  type CallEnv,
  type MethodDefinition,
  type ServiceDefinition,
} from './calls.js';
import { MessageDecoder, parseGrpcTimeout } from './framing.js';
import type { H2Connection } from './h2/connection.js';
import { createJsServer } from './js-transport.js';
import { h2TlsOptions } from './tls-options.js';
import { Status, encodeGrpcMessage } from './status.js';

export interface GrpcServerOptions {
  /** Largest request message accepted (grpc-js's grpc.max_receive_message_length); 4 MiB. */
  maxReceiveMessageLength?: number;
  /** Largest response message sent (grpc.max_send_message_length); unlimited. */
  maxSendMessageLength?: number;
  /**
   * The HTTP/2 receive window of each connection and stream; 16 MiB, so a client streaming
   * requests is not held to 64 KiB round trips.
   */
  windowBytes?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS announced to clients; unlimited. */
  maxConcurrentStreams?: number;
  /**
   * Keepalive, as grpc-go's ServerParameters (etcd's --grpc-keepalive-interval and -timeout):
   * a PING to a client after this many ms (on the JavaScript transport: ms without a frame from
   * it; on node:http2: every interval); off by default.
   */
  keepaliveTimeMs?: number;
  /** The keepalive PING must be answered within this many ms, or the connection is cut; 20 s. */
  keepaliveTimeoutMs?: number;
  /** A connection without calls for this many ms is closed gracefully (GOAWAY); off by default. */
  maxConnectionIdleMs?: number;
  /** How often calls are checked against their deadlines (one timer for all calls); 50 ms. */
  deadlineSweepMs?: number;
  /**
   * The HTTP/2 implementation: `node:http2` (the default), or `js`, the JavaScript connection
   * on a plain socket (h2/connection.ts; a prototype, issue #4).
   */
  transport?: 'node:http2' | 'js';
  /** Told about handlers that threw and connection errors (for logging). */
  onError?: (err: unknown, context: string) => void;
}

/** TLS of one listener: the server's certificate, and client certificates if required. */
export interface GrpcServerTls {
  cert: Buffer;
  key: Buffer;
  /** CAs that sign client certificates. */
  ca?: Buffer;
  /** Require and verify a client certificate (etcd's --client-cert-auth). */
  clientCertAuth: boolean;
}

export interface GrpcListenOptions {
  host: string;
  /** 0 asks the OS for a free port. */
  port: number;
  tls?: GrpcServerTls;
}

/** A handler of any kind; called with the call (and the callback for unary and client streams). */
type AnyHandler = (call: never, callback: never) => void;

interface Route {
  method: MethodDefinition;
  start(stream: CallStream, headers: IncomingHttpHeaders, deadline: number): BaseCall;
}

const DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;
const DEFAULT_WINDOW = 16 * 1024 * 1024;
const END_STREAM = { endStream: true } as const;

function noop(): void {}

/** A trailers-only error response (no call object needed). */
function refuse(stream: CallStream, code: number, details: string): void {
  try {
    stream.respond(
      {
        ':status': 200,
        'content-type': 'application/grpc+proto',
        'grpc-status': String(code),
        'grpc-message': encodeGrpcMessage(details),
      },
      END_STREAM,
    );
    if (!stream.readableEnded) stream.close(constants.NGHTTP2_NO_ERROR);
  } catch {
    // The client is gone.
  }
}

export class GrpcServer {
  private readonly routes = new Map<string, Route>();
  private readonly servers: Server[] = [];
  private readonly sessions = new Set<Http2Session>();
  private readonly connections = new Set<H2Connection>();
  private readonly deadlines = new Set<BaseCall>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private readonly env: CallEnv;
  private readonly maxReceive: number;
  private readonly onError: (err: unknown, context: string) => void;

  constructor(private readonly options: GrpcServerOptions = {}) {
    this.maxReceive = options.maxReceiveMessageLength ?? DEFAULT_MAX_RECEIVE;
    this.onError = options.onError ?? noop;
    this.env = {
      maxReceiveBytes: this.maxReceive,
      maxSendBytes: options.maxSendMessageLength ?? 2 ** 31 - 1,
      trackDeadline: (call) => this.trackDeadline(call),
      untrackDeadline: (call) => this.deadlines.delete(call),
    };
  }

  /**
   * Registers a service's handlers, keyed as the definition is (or by each method's
   * originalName). A method without a handler answers UNIMPLEMENTED, as in grpc-js.
   */
  addService(service: ServiceDefinition, implementation: object): void {
    const impl = implementation as Record<string, unknown>;
    for (const [name, method] of Object.entries(service)) {
      if (this.routes.has(method.path)) {
        throw new Error(`Method handler for ${method.path} already provided.`);
      }
      const fn = impl[name] ?? (method.originalName ? impl[method.originalName] : undefined);
      if (typeof fn !== 'function') continue;
      this.routes.set(method.path, this.route(method, fn as AnyHandler));
    }
  }

  private route(method: MethodDefinition, fn: AnyHandler): Route {
    const env = this.env;
    const invoke = (call: BaseCall, callback?: unknown): void => {
      try {
        (fn as (call: unknown, callback: unknown) => void)(call, callback);
      } catch (err) {
        this.onError(err, `handler of ${method.path}`);
        call.sendStatus({
          code: Status.UNKNOWN,
          details: `Server method handler threw error ${err instanceof Error ? err.message : String(err)}`,
          headers: undefined,
        });
      }
    };
    if (!method.requestStream && !method.responseStream) {
      const run = (call: UnaryCall): void => invoke(call, call.callback);
      return {
        method,
        start: (stream, headers, deadline) =>
          new UnaryCall(stream, headers, method, env, deadline, run),
      };
    }
    if (!method.requestStream) {
      const run = (call: ServerStreamCall): void => invoke(call);
      return {
        method,
        start: (stream, headers, deadline) =>
          new ServerStreamCall(stream, headers, method, env, deadline, run),
      };
    }
    if (!method.responseStream) {
      return {
        method,
        start: (stream, headers, deadline) => {
          const call = new ClientStreamCall(stream, headers, method, env, deadline);
          invoke(call, call.callback);
          return call;
        },
      };
    }
    return {
      method,
      start: (stream, headers, deadline) => {
        const call = new StreamCall(stream, headers, method, env, deadline);
        invoke(call);
        return call;
      },
    };
  }

  /** Listens on one address; resolves with the bound port. */
  async listen(opts: GrpcListenOptions): Promise<number> {
    if (this.shuttingDown) throw new Error('server is shut down');
    if (this.options.transport === 'js') return this.listenJs(opts);
    const common: ServerOptions = {
      // As grpc-js: no limit on response header blocks or on session memory (Node's
      // behaviour degrades badly when the session memory limit is reached).
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      settings: {
        initialWindowSize: this.options.windowBytes ?? DEFAULT_WINDOW,
        ...(this.options.maxConcurrentStreams !== undefined
          ? { maxConcurrentStreams: this.options.maxConcurrentStreams }
          : {}),
      },
    };
    let server: Http2Server | Http2SecureServer;
    if (opts.tls) {
      const secure: SecureServerOptions = {
        ...common,
        ...h2TlsOptions(opts.tls),
        allowHTTP1: false,
      };
      server = createSecureServer(secure);
      server.on('tlsClientError', noop);
    } else {
      server = createServer(common);
    }
    server.on('stream', this.onStream);
    server.on('session', this.onSession);
    server.on('sessionError', (err) => this.onError(err, 'HTTP/2 session'));
    return this.bind(server, opts);
  }

  private async listenJs(opts: GrpcListenOptions): Promise<number> {
    const server = createJsServer({
      ...(opts.tls ? { tls: opts.tls } : {}),
      windowBytes: this.options.windowBytes ?? DEFAULT_WINDOW,
      maxConcurrentStreams: this.options.maxConcurrentStreams,
      keepaliveTimeMs: this.options.keepaliveTimeMs,
      keepaliveTimeoutMs: this.options.keepaliveTimeoutMs,
      maxConnectionIdleMs: this.options.maxConnectionIdleMs,
      onConnection: (conn) => {
        if (this.shuttingDown) {
          conn.close();
          return;
        }
        this.connections.add(conn);
        conn.socket.once('close', () => this.connections.delete(conn));
      },
      onStream: this.onStream,
      onError: this.onError,
    });
    return this.bind(server, opts);
  }

  /** Listens on the address of `opts`; the port bound (for port 0, the one chosen). */
  private async bind(server: Server, opts: GrpcListenOptions): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.onError(err, 'listener'));
    this.servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /**
   * Graceful shutdown: stops accepting connections, sends GOAWAY on every connection, and calls
   * back once the calls in flight have finished and the connections closed.
   */
  tryShutdown(callback: (err?: Error) => void): void {
    this.shuttingDown = true;
    const closing = this.servers.map(
      (s) => new Promise<void>((resolve) => s.close(() => resolve())),
    );
    for (const s of this.sessions) {
      try {
        s.close();
      } catch {
        // Already closed.
      }
    }
    for (const c of this.connections) c.close();
    void Promise.all(closing).then(() => {
      this.stopSweep();
      callback();
    });
  }

  /** Cuts every connection now; calls in flight see themselves cancelled. */
  forceShutdown(): void {
    this.shuttingDown = true;
    for (const s of this.servers) s.close();
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    this.stopSweep();
  }

  /** Graceful shutdown, forced after `graceMs` (long-lived streams never end by themselves). */
  shutdown(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.forceShutdown();
        resolve();
      }, graceMs);
      this.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private readonly onSession = (session: Http2Session): void => {
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', (err) => this.onError(err, 'HTTP/2 connection'));
    try {
      session.setLocalWindowSize(this.options.windowBytes ?? DEFAULT_WINDOW);
    } catch {
      // The connection is already gone.
    }
    if (this.shuttingDown) session.close();
    else this.sessionTimers(session);
  };

  /** Keepalive PINGs and the idle limit on a node:http2 session (the JS connection has its own). */
  private sessionTimers(session: Http2Session): void {
    const { keepaliveTimeMs, maxConnectionIdleMs } = this.options;
    const timers: NodeJS.Timeout[] = [];
    if (keepaliveTimeMs !== undefined && keepaliveTimeMs > 0) {
      const timeoutMs = this.options.keepaliveTimeoutMs ?? 20_000;
      const t = setInterval(() => {
        // Destroyed before its 'close' (which clears this timer) came: ping() would throw.
        if (session.destroyed) return;
        let answered = false;
        const sent = session.ping((err) => {
          if (err === null) answered = true;
        });
        if (!sent) return;
        const check = setTimeout(() => {
          if (!answered && !session.destroyed) session.destroy();
        }, timeoutMs);
        check.unref();
      }, keepaliveTimeMs);
      timers.push(t);
    }
    if (maxConnectionIdleMs !== undefined && maxConnectionIdleMs > 0) {
      let open = 0;
      let idleSince = Date.now();
      session.on('stream', (stream: { once(e: 'close', f: () => void): void }) => {
        open++;
        stream.once('close', () => {
          if (--open === 0) idleSince = Date.now();
        });
      });
      const t = setInterval(
        () => {
          if (open === 0 && Date.now() - idleSince >= maxConnectionIdleMs) session.close();
        },
        Math.max(10, maxConnectionIdleMs / 4),
      );
      timers.push(t);
    }
    if (timers.length === 0) return;
    for (const t of timers) t.unref();
    session.once('close', () => {
      for (const t of timers) clearInterval(t);
    });
  }

  private readonly onStream = (stream: CallStream, headers: IncomingHttpHeaders): void => {
    // Without a listener a stream error (a client's RST_STREAM with an error code) would be
    // thrown; the call sees the stream close instead.
    stream.on('error', noop);
    const contentType = headers['content-type'];
    if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      try {
        stream.respond({ ':status': constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE }, END_STREAM);
      } catch {
        // The client is gone.
      }
      return;
    }
    const path = headers[':path'] ?? '';
    const route = this.routes.get(path);
    if (route === undefined) {
      refuse(stream, Status.UNIMPLEMENTED, `The server does not implement the method ${path}`);
      return;
    }
    let deadline = Infinity;
    const timeout = headers['grpc-timeout'];
    if (typeof timeout === 'string') {
      const ms = parseGrpcTimeout(timeout);
      if (Number.isNaN(ms)) {
        refuse(stream, Status.INTERNAL, `Invalid grpc-timeout value "${timeout}"`);
        return;
      }
      deadline = Date.now() + ms;
    }
    const call = route.start(stream, headers, deadline);
    const decoder = new MessageDecoder(this.maxReceive, headers['grpc-encoding'] as string);
    stream.on('data', (chunk: Buffer) => {
      const err = decoder.push(chunk, call);
      if (err !== undefined) call.sendStatus(err);
    });
    stream.on('end', () => {
      if (decoder.leftover > 0) {
        call.sendStatus({
          code: Status.INTERNAL,
          details: 'Received an incomplete message at the end of the stream',
          headers: undefined,
        });
        return;
      }
      call.onEnd();
    });
  };

  private trackDeadline(call: BaseCall): void {
    this.deadlines.add(call);
    // One timer for every call with a deadline; it stops itself once none is left.
    if (this.sweepTimer === undefined) {
      this.sweepTimer = setInterval(this.sweep, this.options.deadlineSweepMs ?? 50);
      this.sweepTimer.unref();
    }
  }

  private readonly sweep = (): void => {
    if (this.deadlines.size === 0) {
      this.stopSweep();
      return;
    }
    const now = Date.now();
    for (const call of this.deadlines) if (call.deadline <= now) call.expire();
  };

  private stopSweep(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
