/** Errors of the MVCC engine, with etcd's messages (the gRPC layer prefixes "etcdserver: "). */
export class MvccError extends Error {
  constructor(
    readonly code: 'compacted' | 'future-rev',
    message: string,
  ) {
    super(message);
    this.name = 'MvccError';
  }
}

export const ERR_COMPACTED_MESSAGE = 'mvcc: required revision has been compacted';
export const ERR_FUTURE_REV_MESSAGE = 'mvcc: required revision is a future revision';

export function errCompacted(): MvccError {
  return new MvccError('compacted', ERR_COMPACTED_MESSAGE);
}

export function errFutureRev(): MvccError {
  return new MvccError('future-rev', ERR_FUTURE_REV_MESSAGE);
}
