import { status as GrpcStatus } from '@grpc/grpc-js';
import { LeaseError } from '../lease/lessor.js';
import { MvccError } from '../mvcc/errors.js';

/**
 * An error a client sees, with the gRPC status code and message etcd uses for it
 * (api/v3rpc/rpctypes/error.go). Clients match on these messages — etcd3's client maps
 * "etcdserver: mvcc: required revision has been compacted" to its own error class, for example —
 * so they are reproduced verbatim.
 */
export class EtcdError extends Error {
  constructor(
    readonly grpcCode: GrpcStatus,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

const e = (code: GrpcStatus, message: string) => (): EtcdError => new EtcdError(code, message);

export const ErrEmptyKey = e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key is not provided');
export const ErrKeyNotFound = e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: key not found');
export const ErrValueProvided = e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: value is provided');
export const ErrLeaseProvided = e(GrpcStatus.INVALID_ARGUMENT, 'etcdserver: lease is provided');
export const ErrTooManyOps = e(
  GrpcStatus.INVALID_ARGUMENT,
  'etcdserver: too many operations in txn request',
);
export const ErrDuplicateKey = e(
  GrpcStatus.INVALID_ARGUMENT,
  'etcdserver: duplicate key given in txn request',
);
export const ErrCompacted = e(
  GrpcStatus.OUT_OF_RANGE,
  'etcdserver: mvcc: required revision has been compacted',
);
export const ErrFutureRev = e(
  GrpcStatus.OUT_OF_RANGE,
  'etcdserver: mvcc: required revision is a future revision',
);
export const ErrNoSpace = e(
  GrpcStatus.RESOURCE_EXHAUSTED,
  'etcdserver: mvcc: database space exceeded',
);
export const ErrLeaseNotFound = e(GrpcStatus.NOT_FOUND, 'etcdserver: requested lease not found');
export const ErrLeaseExist = e(GrpcStatus.FAILED_PRECONDITION, 'etcdserver: lease already exists');
export const ErrLeaseTTLTooLarge = e(GrpcStatus.OUT_OF_RANGE, 'etcdserver: too large lease TTL');
export const ErrMemberExist = e(
  GrpcStatus.FAILED_PRECONDITION,
  'etcdserver: member ID already exist',
);
export const ErrPeerURLExist = e(
  GrpcStatus.FAILED_PRECONDITION,
  'etcdserver: Peer URLs already exists',
);
export const ErrMemberNotEnoughStarted = e(
  GrpcStatus.FAILED_PRECONDITION,
  'etcdserver: re-configuration failed due to not enough started members',
);
export const ErrMemberBadURLs = e(
  GrpcStatus.INVALID_ARGUMENT,
  'etcdserver: given member URLs are invalid',
);
export const ErrMemberNotFound = e(GrpcStatus.NOT_FOUND, 'etcdserver: member not found');
export const ErrMemberNotLearner = e(
  GrpcStatus.FAILED_PRECONDITION,
  'etcdserver: can only promote a learner member',
);
export const ErrLearnerNotReady = e(
  GrpcStatus.FAILED_PRECONDITION,
  'etcdserver: can only promote a learner member which is in sync with leader',
);
export const ErrTooManyLearners = e(
  GrpcStatus.FAILED_PRECONDITION,
  'etcdserver: too many learner members in cluster',
);
export const ErrRequestTooLarge = e(
  GrpcStatus.INVALID_ARGUMENT,
  'etcdserver: request is too large',
);
export const ErrNoLeader = e(GrpcStatus.UNAVAILABLE, 'etcdserver: no leader');
export const ErrNotLeader = e(GrpcStatus.FAILED_PRECONDITION, 'etcdserver: not leader');
export const ErrLeaderChanged = e(GrpcStatus.UNAVAILABLE, 'etcdserver: leader changed');
export const ErrStopped = e(GrpcStatus.UNAVAILABLE, 'etcdserver: server stopped');
export const ErrTimeout = e(GrpcStatus.UNAVAILABLE, 'etcdserver: request timed out');
export const ErrTimeoutDueToLeaderFail = e(
  GrpcStatus.UNAVAILABLE,
  'etcdserver: request timed out, possibly due to previous leader failure',
);
export const ErrUnhealthy = e(GrpcStatus.UNAVAILABLE, 'etcdserver: unhealthy cluster');
export const ErrCorrupt = e(GrpcStatus.DATA_LOSS, 'etcdserver: corrupt cluster');
export const ErrNotSupportedForLearner = e(
  GrpcStatus.UNAVAILABLE,
  'etcdserver: rpc not supported for learner',
);
export const ErrBadLeaderTransferee = e(
  GrpcStatus.FAILED_PRECONDITION,
  'etcdserver: bad leader transferee',
);
export const ErrProposalDropped = e(GrpcStatus.UNAVAILABLE, 'etcdserver: too many requests');

/** Maps engine errors (MVCC, lessor) to the client-facing etcd error; passes EtcdError through. */
export function toEtcdError(err: unknown): EtcdError | undefined {
  if (err instanceof EtcdError) return err;
  if (err instanceof MvccError) return err.code === 'compacted' ? ErrCompacted() : ErrFutureRev();
  if (err instanceof LeaseError) {
    switch (err.code) {
      case 'not-found':
        return ErrLeaseNotFound();
      case 'exists':
        return ErrLeaseExist();
      case 'ttl-too-large':
        return ErrLeaseTTLTooLarge();
    }
  }
  return undefined;
}
