import type { DeleteRangeRequest__Output } from '../gen/etcd/types/etcdserverpb/DeleteRangeRequest.js';
import type { PutRequest__Output } from '../gen/etcd/types/etcdserverpb/PutRequest.js';
import type { RangeRequest__Output } from '../gen/etcd/types/etcdserverpb/RangeRequest.js';
import type { RequestOp__Output } from '../gen/etcd/types/etcdserverpb/RequestOp.js';
import type { TxnRequest__Output } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';
import { keyString } from '../mvcc/kv.js';
import {
  ErrDuplicateKey,
  ErrEmptyKey,
  ErrKeyNotFound,
  ErrLeaseProvided,
  ErrTooManyOps,
  ErrValueProvided,
  type EtcdError,
} from './errors.js';

/** etcd's default --max-txn-ops. */
export const DEFAULT_MAX_TXN_OPS = 128;

/**
 * Request checks etcd's gRPC layer makes before a request is proposed (api/v3rpc/key.go): a bad
 * request never reaches the log. Each returns the error to send, or undefined when valid.
 */
export function checkRangeRequest(r: RangeRequest__Output): EtcdError | undefined {
  if (r.key.length === 0) return ErrEmptyKey();
  return undefined;
}

export function checkPutRequest(r: PutRequest__Output): EtcdError | undefined {
  if (r.key.length === 0) return ErrEmptyKey();
  if (r.ignore_value && r.value.length !== 0) return ErrValueProvided();
  if (r.ignore_lease && r.lease !== '0') return ErrLeaseProvided();
  return undefined;
}

export function checkDeleteRequest(r: DeleteRangeRequest__Output): EtcdError | undefined {
  if (r.key.length === 0) return ErrEmptyKey();
  return undefined;
}

export function checkTxnRequest(
  r: TxnRequest__Output,
  maxTxnOps = DEFAULT_MAX_TXN_OPS,
): EtcdError | undefined {
  const err = checkTxnShape(r, maxTxnOps);
  if (err !== undefined) return err;
  // Overlap checks after the size checks, so a huge request cannot make them quadratic.
  return checkIntervals(r.success).err ?? checkIntervals(r.failure).err;
}

function checkTxnShape(r: TxnRequest__Output, maxTxnOps: number): EtcdError | undefined {
  const opc = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (opc > maxTxnOps) return ErrTooManyOps();
  for (const c of r.compare) if (c.key.length === 0) return ErrEmptyKey();
  for (const op of [...r.success, ...r.failure]) {
    const err = checkRequestOp(op, maxTxnOps - opc);
    if (err !== undefined) return err;
  }
  return undefined;
}

function checkRequestOp(op: RequestOp__Output, maxTxnOps: number): EtcdError | undefined {
  switch (op.request) {
    case 'request_range':
      return checkRangeRequest(op.request_range!);
    case 'request_put':
      return checkPutRequest(op.request_put!);
    case 'request_delete_range':
      return checkDeleteRequest(op.request_delete_range!);
    case 'request_txn':
      return checkTxnShape(op.request_txn!, maxTxnOps);
    default:
      // An empty RequestOp: etcd answers "key not found".
      return ErrKeyNotFound();
  }
}

/** A deleted interval as etcd's checkIntervals builds it: a point or [key, end) literally. */
interface DelInterval {
  key: string;
  end: string | undefined;
}

function intersects(dels: readonly DelInterval[], k: string): boolean {
  for (const d of dels) {
    if (d.end === undefined ? d.key === k : d.key <= k && k < d.end) return true;
  }
  return false;
}

/**
 * etcd's checkIntervals: within one branch (and the branches nested in it) a key may be put at
 * most once and may not be both put and deleted, because the result would depend on operation
 * order. Puts in the then- and else-branch of one nested txn may repeat (only one runs).
 */
function checkIntervals(reqs: readonly RequestOp__Output[]): {
  puts: Set<string>;
  dels: DelInterval[];
  err?: EtcdError;
} {
  const dels: DelInterval[] = [];
  for (const req of reqs) {
    if (req.request !== 'request_delete_range' || !req.request_delete_range) continue;
    const d = req.request_delete_range;
    dels.push({
      key: keyString(d.key),
      // etcd compares the end literally here; "\0" (all keys >= key) is not widened.
      end: d.range_end.length !== 0 ? keyString(d.range_end) : undefined,
    });
  }
  const puts = new Set<string>();
  for (const req of reqs) {
    if (req.request !== 'request_txn' || !req.request_txn) continue;
    const then = checkIntervals(req.request_txn.success);
    if (then.err) return { puts, dels, err: then.err };
    const otherwise = checkIntervals(req.request_txn.failure);
    if (otherwise.err) return { puts, dels, err: otherwise.err };
    for (const k of then.puts) {
      if (puts.has(k) || intersects(dels, k)) return { puts, dels, err: ErrDuplicateKey() };
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) return { puts, dels, err: ErrDuplicateKey() };
      if (intersects(dels, k)) return { puts, dels, err: ErrDuplicateKey() };
      puts.add(k);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const req of reqs) {
    if (req.request !== 'request_put' || !req.request_put) continue;
    const k = keyString(req.request_put.key);
    if (puts.has(k) || intersects(dels, k)) return { puts, dels, err: ErrDuplicateKey() };
    puts.add(k);
  }
  return { puts, dels };
}
