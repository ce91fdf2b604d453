/**
 * Unary gRPC calls to one etcd member over component-base's JavaScript HTTP/2 client
 * (`@kubets/component-base/grpc-client`, ADR 0040), for the KV, Lease and Maintenance requests
 * the API server makes on every write and read (ADR 0014).
 *
 * grpc-js spends more CPU on its layers per call (interceptors, resolving, retrying and
 * load-balancing calls, filters, a deadline timer and a captured stack per call) than the
 * HTTP/2 exchange itself costs (ADR 0014), and node:http2's client costs a stream object, an
 * AsyncResource and several events per call (ADR 0035 finding 1). The message encoding is
 * unchanged (proto-loader's serializers from the generated package definition, or txn-codec's
 * hand-written frame), so requests and responses keep exactly their shapes; watches stay on
 * grpc-js (one long-lived stream).
 *
 * What grpc-js did that this keeps: one HTTP/2 connection per member carrying every call,
 * reconnection on the next call after the connection is lost (or the member sent GOAWAY),
 * deadlines (`grpc-timeout` sent, DEADLINE_EXCEEDED and RST_STREAM CANCEL when they pass),
 * keepalive pings (30 s, 10 s to answer, as kube-apiserver), a 16 MiB receive window, TLS with
 * the CA and client certificate, and errors shaped like grpc-js's ServiceError (`code`,
 * `details`, `metadata`, message `<code> <NAME>: <details>`) so the classification in errors.ts
 * is unchanged. A call that never left because the connection could not be established fails
 * with UNAVAILABLE "No connection established", and one the member refused unprocessed (above a
 * GOAWAY's last stream id, REFUSED_STREAM) with UNAVAILABLE "... not processed": both make a
 * write safe to retry elsewhere; any later failure is ambiguous.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { frameMessage } from '@kubets/component-base/grpc-server';
import {
  H2ClientConnection,
  type UnaryOutcome,
  type UnaryStream,
} from '@kubets/component-base/grpc-client';

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
  stream: UnaryStream;
  fail(err: ServiceError): void;
}

export class UnaryTransport {
  private conn: H2ClientConnection | undefined;
  private readonly pending = new Set<Pending>();
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly o: UnaryTransportOptions) {
    const colon = o.target.lastIndexOf(':');
    this.host = o.target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.port = Number(o.target.slice(colon + 1));
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
    const conn = this.connection();
    const timeoutMs = Math.max(1, deadline - Date.now());
    return new Promise<Res>((resolve, reject) => {
      let settled = false;
      const entry: Pending = {
        deadline: Date.now() + timeoutMs,
        stream: undefined as unknown as UnaryStream,
        fail: (err) => {
          if (settled) return;
          settled = true;
          this.pending.delete(entry);
          entry.stream.cancel();
          reject(err);
        },
      };
      entry.stream = conn.unary(
        {
          path: method.path,
          // At most 8 digits on the wire: whole seconds beyond that.
          timeout:
            timeoutMs < 1e8
              ? `${timeoutMs}m`
              : `${Math.min(99_999_999, Math.ceil(timeoutMs / 1000))}S`,
          headers: extraHeaders === undefined ? undefined : headerPairs(extraHeaders),
          body,
        },
        (outcome) => {
          if (settled) return;
          settled = true;
          this.pending.delete(entry);
          let res: Res;
          try {
            res = answer(method, outcome);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          resolve(res);
        },
      );
      this.pending.add(entry);
      this.startSweep();
    });
  }

  /** Closes the connection; pending calls fail with CANCELLED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending]) {
      p.fail(serviceError(GrpcStatus.CANCELLED, 'Channel has been shut down'));
    }
    const c = this.conn;
    this.conn = undefined;
    c?.destroy('Channel has been shut down');
  }

  /** The member's connection, a new one when there is none or it can take no more calls. */
  private connection(): H2ClientConnection {
    const current = this.conn;
    if (current !== undefined && current.usable) return current;
    const conn: H2ClientConnection = new H2ClientConnection({
      host: this.host,
      port: this.port,
      ...(this.o.secure ? { tls: this.o.tls ?? {} } : {}),
      windowBytes: RECEIVE_WINDOW,
      keepaliveTimeMs: this.o.keepaliveTimeMs ?? 30_000,
      keepaliveTimeoutMs: this.o.keepaliveTimeoutMs ?? 10_000,
      onClose: () => {
        // The next call connects again (a GOAWAY's open calls finish on the old connection).
        if (this.conn === conn) this.conn = undefined;
      },
    });
    this.conn = conn;
    return conn;
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

/** The call's result from how its stream ended; throws the ServiceError grpc-js would give. */
function answer<Req, Res>(method: UnaryMethod<Req, Res>, outcome: UnaryOutcome): Res {
  switch (outcome.kind) {
    case 'lost':
      // Whether the call may have reached etcd decides if a write may be retried elsewhere.
      throw serviceError(
        GrpcStatus.UNAVAILABLE,
        outcome.refused
          ? `Stream refused by the server, not processed: ${outcome.cause}`
          : outcome.sent
            ? `Connection dropped: ${outcome.cause}`
            : `No connection established. Last error: ${outcome.cause}`,
      );
    case 'reset':
      throw serviceError(GrpcStatus.INTERNAL, `Received RST_STREAM with code ${outcome.code}`);
    case 'answer':
      break;
  }
  const { httpStatus, grpcStatus } = outcome;
  if (grpcStatus === undefined) {
    if (httpStatus !== 200 && httpStatus !== 0) {
      throw serviceError(httpStatusToGrpc(httpStatus), `Received HTTP status code ${httpStatus}`);
    }
    throw serviceError(
      GrpcStatus.UNKNOWN,
      outcome.malformed ?? 'Received RST_STREAM or end of stream without a grpc-status',
    );
  }
  if (grpcStatus !== (GrpcStatus.OK as number)) {
    throw serviceError(grpcStatus, decodeGrpcMessage(outcome.grpcMessage));
  }
  if (outcome.message === undefined || outcome.malformed !== undefined) {
    throw serviceError(
      GrpcStatus.INTERNAL,
      `Malformed or compressed response message${outcome.malformed ? `: ${outcome.malformed}` : ''}`,
    );
  }
  try {
    return method.responseDeserialize(outcome.message);
  } catch (err) {
    throw serviceError(
      GrpcStatus.INTERNAL,
      `Response message parsing error: ${(err as Error).message}`,
    );
  }
}

/** node:http-style headers (grpc-js Metadata.toHttp2Headers) as name/value pairs. */
function headerPairs(headers: OutgoingHttpHeaders): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (Array.isArray(value)) for (const v of value) out.push([lower, v]);
    else out.push([lower, String(value)]);
  }
  return out;
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
