/**
 * Client-side error classification. API errors are StatusErrors (predicates come from
 * `@kubets/apimachinery`); transport failures are {@link ConnectionError}s, which a transport
 * raises when it could not reach the server or lost the connection. Whether a failed request may
 * be retried depends on both the error and whether the request could have been applied.
 */
import { suggestsClientDelay } from '@kubets/apimachinery';

export type Verb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Verbs that change nothing on the server, so any failure may be retried. */
export function isReadOnlyVerb(verb: Verb): boolean {
  return verb === 'get' || verb === 'list' || verb === 'watch';
}

export interface ConnectionErrorOptions {
  /**
   * False when the request certainly never reached the server (connection refused, DNS failure,
   * gRPC UNAVAILABLE before sending): safe to retry any verb. True (the default) when it may have
   * been applied before the connection broke.
   */
  requestSent?: boolean;
  /** A transport code (`ECONNREFUSED`, `ECONNRESET`, `UNAVAILABLE`, ...). */
  code?: string;
  cause?: unknown;
}

/** The API server could not be reached, or the connection broke mid-request. */
export class ConnectionError extends Error {
  readonly requestSent: boolean;
  readonly code: string;

  constructor(message: string, options: ConnectionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectionError';
    this.requestSent = options.requestSent ?? true;
    this.code = options.code ?? (this.requestSent ? 'ECONNRESET' : 'ECONNREFUSED');
  }
}

export function isConnectionError(err: unknown): err is ConnectionError {
  return err instanceof ConnectionError;
}

/** utilnet.IsConnectionRefused: the request never left, the server is not there. */
export function isConnectionRefused(err: unknown): boolean {
  return err instanceof ConnectionError && !err.requestSent;
}

function statusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const s = (err as { status?: { kind?: unknown; code?: unknown } }).status;
  if (s && s.kind === 'Status' && typeof s.code === 'number') return s.code;
  return undefined;
}

/**
 * Whether `err` may be retried for `verb`, following client-go's rest client:
 * - 429 Too Many Requests: always (the server rejected it before doing anything);
 * - 5xx: reads always; writes only when the server asked for a retry (`retryAfterSeconds`),
 *   which it does only for requests it did not carry out;
 * - connection failures: when the request never left, any verb; otherwise reads only, since a
 *   write may have been applied (a retried create with generateName would create two objects);
 * - everything else (4xx semantics: NotFound, Conflict, Invalid, Forbidden, ...): never.
 */
export function isRetriable(err: unknown, verb: Verb): boolean {
  if (err instanceof ConnectionError) return !err.requestSent || isReadOnlyVerb(verb);
  const code = statusCode(err);
  if (code === undefined) return false;
  if (code === 429) return true;
  if (code >= 500) return isReadOnlyVerb(verb) || suggestsClientDelay(err) !== undefined;
  return false;
}

/** The server's requested delay in milliseconds, if it gave one. */
export function retryAfterMs(err: unknown): number | undefined {
  const seconds = suggestsClientDelay(err);
  return seconds === undefined ? undefined : seconds * 1000;
}
