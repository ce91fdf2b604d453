/**
 * Unary gRPC calls to one etcd member straight over node:http2, for the KV, Lease and
 * Maintenance requests the API server makes on every write and read (ADR 0014).
 *
 * grpc-js spends more CPU on its layers per call (interceptors, resolving, retrying and
 * load-balancing calls, filters, a deadline timer and a captured stack per call) than the
 * HTTP/2 exchange itself costs: measured 125 µs against 70 µs per Txn. The message encoding is
 * unchanged (proto-loader's serializers from the generated package definition), so requests and
 * responses keep exactly their shapes; watches stay on grpc-js (one long-lived stream).
 *
 * What grpc-js did that this keeps: one HTTP/2 connection per member carrying every call,
 * reconnection on the next call after the connection is lost, deadlines (`grpc-timeout` sent,
 * DEADLINE_EXCEEDED when they pass), keepalive pings (30 s, 10 s to answer, as kube-apiserver),
 * a 16 MiB receive window, TLS with the CA and client certificate, and errors shaped like
 * grpc-js's ServiceError (`code`, `details`, `metadata`, message `<code> <NAME>: <details>`)
 * so the classification in errors.ts is unchanged. A call that never left because the
 * connection could not be established fails with UNAVAILABLE "No connection established",
 * which is what makes a write safe to retry elsewhere; any later failure is ambiguous.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import type { OutgoingHttpHeaders } from 'node:http';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { frameMessage } from '@kubets/component-base/grpc-server';

export interface UnaryTransportOptions {
  /** `host:port`. */
  target: string;
  secure: boolean;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Keepalive ping interval and answer timeout; default 30 s and 10 s. */
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
}

/** A gRPC method's wire encoding (proto-loader's MethodDefinition has these). */
export interface UnaryMethod<Req, Res> {
  path: string;
  requestSerialize(req: Req): Buffer;
  responseDeserialize(bytes: Buffer): Res;
  /**
   * The request's whole gRPC frame, written directly (txn-codec.ts); undefined means "use
   * requestSerialize" (a request shape it does not take).
   */
  requestFrame?(req: Req): Buffer | undefined;
}

const STATUS_NAMES = Object.fromEntries(
  Object.entries(GrpcStatus)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
) as Record<number, string>;

/** An error like grpc-js's ServiceError (same fields and message form). */
export function serviceError(
  code: number,
  details: string,
  metadata = new Metadata(),
): ServiceError {
  const err = new Error(`${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`) as ServiceError;
  err.code = code;
  err.details = details;
  err.metadata = metadata;
  return err;
}

const RECEIVE_WINDOW = 16 * 1024 * 1024;
/** How often pending calls are checked against their deadlines (one timer for all of them). */
const DEADLINE_SWEEP_MS = 100;

interface Pending {
  deadline: number;
  stream: ClientHttp2Stream;
  fail(err: ServiceError): void;
}

export class UnaryTransport {
  private session: ClientHttp2Session | undefined;
  /** Per session: whether it completed its connection (calls on it may have reached etcd). */
  private readonly connected = new WeakMap<ClientHttp2Session, boolean>();
  private readonly pending = new Set<Pending>();
  private sweep: NodeJS.Timeout | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly authority: string;

  constructor(private readonly o: UnaryTransportOptions) {
    this.authority = `${o.secure ? 'https' : 'http'}://${o.target}`;
  }

  /** Sends one request; resolves with the decoded response or rejects with a ServiceError. */
  call<Req, Res>(
    method: UnaryMethod<Req, Res>,
    req: Req,
    deadline: number,
    extraHeaders?: OutgoingHttpHeaders,
  ): Promise<Res> {
    if (this.closed) {
      return Promise.reject(serviceError(GrpcStatus.CANCELLED, 'Channel has been shut down'));
    }
    let body: Buffer;
    try {
      body = method.requestFrame?.(req) ?? frameMessage(method.requestSerialize(req));
    } catch (err) {
      return Promise.reject(
        serviceError(GrpcStatus.INTERNAL, `Request message serialization failure: ${String(err)}`),
      );
    }
    const session = this.currentSession();
    return new Promise<Res>((resolve, reject) => {
      const timeoutMs = Math.max(1, deadline - Date.now());
      let stream: ClientHttp2Stream;
      try {
        stream = session.request({
          ...extraHeaders,
          ':method': 'POST',
          ':path': method.path,
          ':scheme': this.o.secure ? 'https' : 'http',
          'content-type': 'application/grpc',
          te: 'trailers',
          // At most 8 digits on the wire: whole seconds beyond that.
          'grpc-timeout':
            timeoutMs < 1e8
              ? `${timeoutMs}m`
              : `${Math.min(99_999_999, Math.ceil(timeoutMs / 1000))}S`,
        });
      } catch (err) {
        // The session was already closing: nothing was sent.
        reject(
          serviceError(
            GrpcStatus.UNAVAILABLE,
            `No connection established. Last error: ${(err as Error).message}`,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let grpcStatus: string | undefined;
      let grpcMessage = '';
      let httpStatus = 0;
      let settled = false;
      const entry: Pending = {
        deadline: Date.now() + timeoutMs,
        stream,
        fail: (err) => finish(err),
      };
      const finish = (err: ServiceError | undefined, res?: Res): void => {
        if (settled) return;
        settled = true;
        this.pending.delete(entry);
        if (err) {
          if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
          reject(err);
        } else resolve(res as Res);
      };
      // Whether the call may have reached etcd decides if a write may be retried elsewhere.
      const lost = (cause: string): ServiceError =>
        serviceError(
          GrpcStatus.UNAVAILABLE,
          this.connected.get(session) === true
            ? `Connection dropped${cause ? `: ${cause}` : ''}`
            : `No connection established. Last error: ${cause || 'connection closed'}`,
        );
      this.pending.add(entry);
      this.startSweep();
      const takeStatus = (headers: Record<string, unknown>): void => {
        const s = headers['grpc-status'];
        if (typeof s === 'string') grpcStatus = s;
        const m = headers['grpc-message'];
        if (typeof m === 'string') grpcMessage = decodeGrpcMessage(m);
      };
      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status'] ?? 0);
        // A trailers-only answer (errors) carries the status in the headers.
        takeStatus(headers);
      });
      stream.on('trailers', (trailers: Record<string, unknown>) => takeStatus(trailers));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (grpcStatus === undefined && httpStatus === 0) {
          // Ended without any answer: the connection went away under the call.
          finish(lost(''));
          return;
        }
        if (grpcStatus === undefined) {
          finish(
            serviceError(
              httpStatus === 200 ? GrpcStatus.UNKNOWN : httpStatusToGrpc(httpStatus),
              httpStatus === 200
                ? 'Received RST_STREAM or end of stream without a grpc-status'
                : `Received HTTP status code ${httpStatus}`,
            ),
          );
          return;
        }
        const code = Number(grpcStatus);
        if (code !== (GrpcStatus.OK as number)) {
          finish(serviceError(code, grpcMessage));
          return;
        }
        const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if (data.length < 5 || data[0] !== 0 || data.readUInt32BE(1) !== data.length - 5) {
          finish(serviceError(GrpcStatus.INTERNAL, 'Malformed or compressed response message'));
          return;
        }
        let res: Res;
        try {
          res = method.responseDeserialize(data.subarray(5));
        } catch (err) {
          finish(
            serviceError(
              GrpcStatus.INTERNAL,
              `Response message parsing error: ${(err as Error).message}`,
            ),
          );
          return;
        }
        finish(undefined, res);
      });
      stream.on('error', (err: Error) => finish(lost(err.message)));
      stream.on('close', () => {
        // Closed without 'end' (RST_STREAM from the server, session gone).
        if (settled) return;
        const code = stream.rstCode;
        if (session.closed || session.destroyed) {
          finish(lost(''));
          return;
        }
        finish(
          serviceError(
            code === constants.NGHTTP2_REFUSED_STREAM
              ? GrpcStatus.UNAVAILABLE
              : GrpcStatus.INTERNAL,
            `Received RST_STREAM with code ${code ?? 'unknown'}`,
          ),
        );
      });
      stream.end(body);
    });
  }

  /** Closes the connection; pending calls fail with CANCELLED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending]) {
      p.fail(serviceError(GrpcStatus.CANCELLED, 'Channel has been shut down'));
    }
    this.dropSession();
  }

  private currentSession(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const tls = this.o.tls;
    const session = connect(this.authority, {
      settings: { initialWindowSize: RECEIVE_WINDOW },
      ...(this.o.secure
        ? {
            ...(tls?.ca ? { ca: tls.ca } : {}),
            ...(tls?.cert ? { cert: tls.cert } : {}),
            ...(tls?.key ? { key: tls.key } : {}),
          }
        : {}),
    });
    this.session = session;
    this.connected.set(session, false);
    session.on('connect', () => {
      this.connected.set(session, true);
      if (this.session !== session) return;
      session.setLocalWindowSize(RECEIVE_WINDOW);
      this.startKeepalive(session);
    });
    const gone = (): void => {
      if (this.session === session) {
        this.session = undefined;
        this.stopKeepalive();
      }
    };
    // Stream errors report to their calls; the session's own error only retires it.
    session.on('error', gone);
    session.on('close', gone);
    session.on('goaway', gone);
    // Idle connections do not keep the process alive (grpc-js unrefs its channels too).
    session.unref();
    return session;
  }

  private dropSession(): void {
    const s = this.session;
    this.session = undefined;
    this.stopKeepalive();
    if (s && !s.destroyed) s.destroy();
  }

  private startKeepalive(session: ClientHttp2Session): void {
    this.stopKeepalive();
    const interval = this.o.keepaliveTimeMs ?? 30_000;
    const timeout = this.o.keepaliveTimeoutMs ?? 10_000;
    this.keepalive = setInterval(() => {
      if (this.session !== session) return;
      const timer = setTimeout(() => {
        // No answer: the member is gone; fail what is pending on it and reconnect next time.
        if (this.session !== session) return;
        for (const p of [...this.pending]) {
          if (p.stream.session === session) {
            p.fail(serviceError(GrpcStatus.UNAVAILABLE, 'Connection dropped: keepalive timeout'));
          }
        }
        this.dropSession();
      }, timeout);
      timer.unref();
      try {
        session.ping(() => clearTimeout(timer));
      } catch {
        clearTimeout(timer);
      }
    }, interval);
    this.keepalive.unref();
  }

  private stopKeepalive(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
  }

  private startSweep(): void {
    if (this.sweep) return;
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const p of [...this.pending]) {
        if (p.deadline <= now)
          p.fail(serviceError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'));
      }
      if (this.pending.size === 0) {
        clearInterval(this.sweep);
        this.sweep = undefined;
      }
    }, DEADLINE_SWEEP_MS);
  }
}

/** grpc-message is percent-encoded (gRPC over HTTP/2). */
function decodeGrpcMessage(m: string): string {
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}

/** gRPC's mapping of HTTP statuses for answers without a grpc-status. */
function httpStatusToGrpc(status: number): number {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}
