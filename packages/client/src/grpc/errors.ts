/**
 * From a failed gRPC call back to what a REST client would have seen. The kubets API server puts
 * the full Kubernetes Status in the trailing metadata `kubets-status-bin` (decision 0005), so any
 * error its handlers produce is rebuilt exactly as a {@link StatusError}. Failures without that
 * trailer did not come from the API: they are the transport's (connection refused or broken,
 * stream reset), and become {@link ConnectionError}s that say whether the request could have
 * reached the server, which decides whether a write may be retried.
 */
import { status as GrpcCode, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { StatusError, type Status, type StatusReason } from '@kubets/apimachinery';
import { ConnectionError } from '../rest/errors.js';

/** Trailing metadata carrying the failed call's Kubernetes Status as JSON (decision 0005). */
export const STATUS_METADATA_KEY = 'kubets-status-bin';
/** Trailing metadata with REST's Retry-After in seconds (TooManyRequests). */
export const RETRY_AFTER_METADATA_KEY = 'retry-after';

/** The Status a failed call's trailers carry, if any. */
export function statusFromTrailers(md: Metadata | undefined): Status | undefined {
  const value = md?.get(STATUS_METADATA_KEY)[0];
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && (parsed as Status).kind === 'Status') {
      return parsed as Status;
    }
  } catch {
    // not JSON: build a Status from the gRPC code instead
  }
  return undefined;
}

/** Status for a gRPC code when the server sent none (e.g. a proxy, or a non-kubets server). */
const FALLBACK: Partial<Record<GrpcCode, [number, StatusReason]>> = {
  [GrpcCode.NOT_FOUND]: [404, 'NotFound'],
  [GrpcCode.ALREADY_EXISTS]: [409, 'AlreadyExists'],
  [GrpcCode.ABORTED]: [409, 'Conflict'],
  [GrpcCode.INVALID_ARGUMENT]: [400, 'BadRequest'],
  [GrpcCode.FAILED_PRECONDITION]: [400, 'BadRequest'],
  [GrpcCode.PERMISSION_DENIED]: [403, 'Forbidden'],
  [GrpcCode.UNAUTHENTICATED]: [401, 'Unauthorized'],
  [GrpcCode.OUT_OF_RANGE]: [410, 'Expired'],
  [GrpcCode.RESOURCE_EXHAUSTED]: [429, 'TooManyRequests'],
  [GrpcCode.UNIMPLEMENTED]: [405, 'MethodNotAllowed'],
  [GrpcCode.DEADLINE_EXCEEDED]: [504, 'Timeout'],
  [GrpcCode.UNKNOWN]: [500, 'InternalError'],
};

/**
 * gRPC's own wording when a call failed before any connection existed: the request never left,
 * so even a write is safe to retry.
 */
const NEVER_SENT = /No connection established|Name resolution failed|DNS resolution failed/;

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

function retryAfterFrom(md: Metadata | undefined): number | undefined {
  const v = md?.get(RETRY_AFTER_METADATA_KEY)[0];
  const n = typeof v === 'string' ? Number.parseInt(v, 10) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * The error a failed call surfaces as. `describe` names the request (`get pods default/x`) in
 * transport errors, which otherwise say nothing about what was attempted.
 */
export function errorFromGrpc(err: unknown, describe: string): Error {
  if (!isServiceError(err)) return err instanceof Error ? err : new Error(String(err));
  const status = statusFromTrailers(err.metadata);
  if (status) return new StatusError(status);
  const code = err.code;
  if (code === GrpcCode.UNAVAILABLE || code === GrpcCode.CANCELLED || code === GrpcCode.INTERNAL) {
    const requestSent = !(code === GrpcCode.UNAVAILABLE && NEVER_SENT.test(err.details));
    return new ConnectionError(`${describe}: ${GrpcCode[code]}: ${err.details}`, {
      requestSent,
      code: requestSent ? GrpcCode[code] : 'ECONNREFUSED',
      cause: err,
    });
  }
  const [httpCode, reason] = FALLBACK[code] ?? [500, 'InternalError'];
  const retryAfterSeconds = retryAfterFrom(err.metadata);
  return new StatusError({
    status: 'Failure',
    code: httpCode,
    reason,
    message: err.details || GrpcCode[code] || `gRPC code ${code}`,
    ...(retryAfterSeconds !== undefined ? { details: { retryAfterSeconds } } : {}),
  });
}
