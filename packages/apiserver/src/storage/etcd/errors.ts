/**
 * Classification of errors from etcd's gRPC API. etcd reports MVCC problems as gRPC status codes
 * with fixed messages (`etcdserver: mvcc: required revision has been compacted`), so the storage
 * layer can turn them into the Kubernetes errors clients expect (410 Expired, 504 Timeout...).
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

export const ERR_COMPACTED = 'mvcc: required revision has been compacted';
export const ERR_FUTURE_REV = 'mvcc: required revision is a future revision';

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/** A read at a revision older than the compaction point. */
export function isCompactedError(err: unknown): boolean {
  return isServiceError(err) && err.message.includes(ERR_COMPACTED);
}

/** A read at a revision the store has not reached yet. */
export function isFutureRevisionError(err: unknown): boolean {
  return isServiceError(err) && err.message.includes(ERR_FUTURE_REV);
}

/** The endpoint cannot be reached or has no leader: try another member. */
export function isUnavailable(err: unknown): boolean {
  return isServiceError(err) && err.code === GrpcStatus.UNAVAILABLE;
}

/**
 * True when the request certainly never reached etcd (no connection), so even a write may be
 * retried on another member without risking a double apply. etcd's clientv3 retries mutations
 * under the same rule; "request timed out" or a dropped connection are ambiguous and not retried.
 */
export function isSafeToRetryWrite(err: unknown): boolean {
  if (!isUnavailable(err)) return false;
  const details = (err as ServiceError).details ?? (err as Error).message;
  return /No connection established|not processed|ECONNREFUSED|failed to connect|Name resolution failed/i.test(
    details,
  );
}

/** An error from etcd that is not one of the above, made readable for logs and 500s. */
export class EtcdRequestError extends Error {
  constructor(
    readonly operation: string,
    override readonly cause: unknown,
  ) {
    super(`etcd ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'EtcdRequestError';
  }
}
