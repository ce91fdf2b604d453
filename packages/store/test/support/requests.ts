import { messageCodec } from '../../src/apply/codec.js';
import type {
  DeleteRangeRequest,
  DeleteRangeRequest__Output,
} from '../../src/gen/etcd/types/etcdserverpb/DeleteRangeRequest.js';
import type {
  LeaseGrantRequest,
  LeaseGrantRequest__Output,
} from '../../src/gen/etcd/types/etcdserverpb/LeaseGrantRequest.js';
import type {
  PutRequest,
  PutRequest__Output,
} from '../../src/gen/etcd/types/etcdserverpb/PutRequest.js';
import type {
  RangeRequest,
  RangeRequest__Output,
} from '../../src/gen/etcd/types/etcdserverpb/RangeRequest.js';
import type {
  TxnRequest,
  TxnRequest__Output,
} from '../../src/gen/etcd/types/etcdserverpb/TxnRequest.js';

/**
 * Requests in exactly the shape the gRPC layer hands the server (proto-loader's decoded
 * objects), built by encoding and decoding through the real descriptor.
 */
function roundTrip<In, Out>(name: string): (req: In) => Out {
  const codec = messageCodec<In, Out>(name);
  return (req) => codec.decode(codec.encode(req));
}

export const putReq = roundTrip<PutRequest, PutRequest__Output>('etcdserverpb.PutRequest');
export const rangeReq = roundTrip<RangeRequest, RangeRequest__Output>('etcdserverpb.RangeRequest');
export const deleteReq = roundTrip<DeleteRangeRequest, DeleteRangeRequest__Output>(
  'etcdserverpb.DeleteRangeRequest',
);
export const txnReq = roundTrip<TxnRequest, TxnRequest__Output>('etcdserverpb.TxnRequest');
export const leaseGrantReq = roundTrip<LeaseGrantRequest, LeaseGrantRequest__Output>(
  'etcdserverpb.LeaseGrantRequest',
);

export const put = (key: string, value: string) =>
  putReq({ key: Buffer.from(key), value: Buffer.from(value) });
export const get = (key: string, extra: RangeRequest = {}) =>
  rangeReq({ key: Buffer.from(key), ...extra });
export const prefix = (p: string, extra: RangeRequest = {}) => {
  const end = Buffer.from(p);
  end[end.length - 1]! += 1;
  return rangeReq({ key: Buffer.from(p), range_end: end, ...extra });
};
