import type { LeaseGrantRequest__Output } from '../gen/etcd/types/etcdserverpb/LeaseGrantRequest.js';
import type { PutRequest__Output } from '../gen/etcd/types/etcdserverpb/PutRequest.js';
import type { RequestOp__Output } from '../gen/etcd/types/etcdserverpb/RequestOp.js';
import type { TxnRequest__Output } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';

/** etcd's default --quota-backend-bytes: 2 GiB. */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
/** etcd's upper bound for --quota-backend-bytes (it warns above it): 8 GiB. */
export const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024;

// etcd's estimates of what one put and one lease cost in the backend (etcdserver/quota.go).
const KV_OVERHEAD = 256;
const LEASE_OVERHEAD = 64;

export type QuotaRequest =
  | { kind: 'put'; put: PutRequest__Output }
  | { kind: 'txn'; txn: TxnRequest__Output }
  | { kind: 'lease_grant'; leaseGrant: LeaseGrantRequest__Output }
  | { kind: 'other' };

/** How many bytes a request may add (etcd's backendQuota.Cost); 0 for requests that add nothing. */
export function requestCost(req: QuotaRequest): number {
  switch (req.kind) {
    case 'put':
      return costPut(req.put);
    case 'txn':
      return costTxn(req.txn);
    case 'lease_grant':
      return LEASE_OVERHEAD;
    case 'other':
      return 0;
  }
}

function costPut(r: PutRequest__Output): number {
  return KV_OVERHEAD + r.key.length + r.value.length;
}

function costOp(op: RequestOp__Output): number {
  if (op.request === 'request_put' && op.request_put) return costPut(op.request_put);
  if (op.request === 'request_txn' && op.request_txn) return costTxn(op.request_txn);
  return 0;
}

function costTxn(r: TxnRequest__Output): number {
  let success = 0;
  for (const op of r.success) success += costOp(op);
  let failure = 0;
  for (const op of r.failure) failure += costOp(op);
  return Math.max(success, failure);
}

/** etcd's backendQuota.Available: free requests always pass; others must fit under the quota. */
export function quotaAvailable(sizeBytes: number, quotaBytes: number, cost: number): boolean {
  return cost === 0 || sizeBytes + cost < quotaBytes;
}
