import type { Compare__Output } from '../gen/etcd/types/etcdserverpb/Compare.js';
import type { DeleteRangeRequest__Output } from '../gen/etcd/types/etcdserverpb/DeleteRangeRequest.js';
import type { DeleteRangeResponse } from '../gen/etcd/types/etcdserverpb/DeleteRangeResponse.js';
import type { PutRequest__Output } from '../gen/etcd/types/etcdserverpb/PutRequest.js';
import type { PutResponse } from '../gen/etcd/types/etcdserverpb/PutResponse.js';
import type { RangeRequest__Output } from '../gen/etcd/types/etcdserverpb/RangeRequest.js';
import type { RangeResponse } from '../gen/etcd/types/etcdserverpb/RangeResponse.js';
import type { RequestOp__Output } from '../gen/etcd/types/etcdserverpb/RequestOp.js';
import type { ResponseOp } from '../gen/etcd/types/etcdserverpb/ResponseOp.js';
import type { TxnRequest__Output } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';
import type { TxnResponse } from '../gen/etcd/types/etcdserverpb/TxnResponse.js';
import type { KeyValue as ProtoKeyValue } from '../gen/etcd/types/mvccpb/KeyValue.js';
import type { Lessor } from '../lease/lessor.js';
import { errCompacted, errFutureRev } from '../mvcc/errors.js';
import { EMPTY_BUFFER, requestRange, type KeyValue } from '../mvcc/kv.js';
import type { MvccStore, ReadView, WriteTxn } from '../mvcc/store.js';
import { ErrKeyNotFound, ErrLeaseNotFound } from './errors.js';

/**
 * The KV half of etcd's applier (etcdserver/apply.go): Range, Put, DeleteRange and Txn on top
 * of the MVCC store, with etcd's option handling and error precedence. Requests arrive already
 * validated (validate.ts); errors thrown here are the ones etcd detects at apply time.
 */

export function toProtoKv(kv: KeyValue, keysOnly = false): ProtoKeyValue {
  return {
    key: kv.key,
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: keysOnly ? EMPTY_BUFFER : kv.value,
    lease: kv.lease === 0n ? 0 : kv.lease.toString(),
  };
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? 0 : Number(s));

export function applyRange(rv: ReadView, r: RangeRequest__Output): RangeResponse {
  const requested = num(r.limit);
  const minMod = num(r.min_mod_revision);
  const maxMod = num(r.max_mod_revision);
  const minCreate = num(r.min_create_revision);
  const maxCreate = num(r.max_create_revision);
  let limit = requested;
  // Sorting and revision filters need every key before truncating.
  if (
    r.sort_order !== 'NONE' ||
    minMod !== 0 ||
    maxMod !== 0 ||
    minCreate !== 0 ||
    maxCreate !== 0
  ) {
    limit = 0;
  }
  // One extra to learn whether there are more.
  if (limit > 0) limit += 1;
  const rr = rv.range(requestRange(r.key, r.range_end), {
    limit,
    rev: num(r.revision),
    countOnly: r.count_only,
  });
  let kvs = rr.kvs;
  if (maxMod !== 0) kvs = kvs.filter((kv) => kv.modRevision <= maxMod);
  if (minMod !== 0) kvs = kvs.filter((kv) => kv.modRevision >= minMod);
  if (maxCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision <= maxCreate);
  if (minCreate !== 0) kvs = kvs.filter((kv) => kv.createRevision >= minCreate);

  let order = r.sort_order;
  // The store returns keys ascending; any other target defaults to ascending order.
  if (r.sort_target !== 'KEY' && order === 'NONE') order = 'ASCEND';
  if (order !== 'NONE') {
    const cmp = comparator(r.sort_target);
    kvs = [...kvs].sort(order === 'DESCEND' ? (a, b) => cmp(b, a) : cmp);
  }
  let more = false;
  if (requested > 0 && kvs.length > requested) {
    kvs = kvs.slice(0, requested);
    more = true;
  }
  return {
    header: { revision: rr.rev },
    kvs: kvs.map((kv) => toProtoKv(kv, r.keys_only)),
    more,
    count: rr.count,
  };
}

function comparator(
  target: RangeRequest__Output['sort_target'],
): (a: KeyValue, b: KeyValue) => number {
  const byKey = (a: KeyValue, b: KeyValue): number => Buffer.compare(a.key, b.key);
  switch (target) {
    case 'KEY':
      return byKey;
    case 'VERSION':
      return (a, b) => a.version - b.version || byKey(a, b);
    case 'CREATE':
      return (a, b) => a.createRevision - b.createRevision || byKey(a, b);
    case 'MOD':
      return (a, b) => a.modRevision - b.modRevision || byKey(a, b);
    case 'VALUE':
      return (a, b) => Buffer.compare(a.value, b.value) || byKey(a, b);
  }
}

/** etcd checks a put's lease before writing anything; an unknown lease fails the request. */
export function checkPutLease(lessor: Lessor, r: PutRequest__Output): void {
  const lease = BigInt(r.lease);
  if (lease !== 0n && lessor.lookup(lease) === undefined) throw ErrLeaseNotFound();
}

/** A put inside an open write transaction (lease already checked). */
export function applyPut(txn: WriteTxn, r: PutRequest__Output): PutResponse {
  let value = r.value;
  let lease = BigInt(r.lease);
  let prev: KeyValue | undefined;
  if (r.ignore_value || r.ignore_lease || r.prev_kv) {
    prev = txn.range(requestRange(r.key, undefined)).kvs[0];
  }
  if (r.ignore_value || r.ignore_lease) {
    // ignore_value / ignore_lease need the key's current value or lease.
    if (prev === undefined) throw ErrKeyNotFound();
    if (r.ignore_value) value = prev.value;
    if (r.ignore_lease) lease = prev.lease;
  }
  const { kv } = txn.put(r.key, value, lease);
  const resp: PutResponse = { header: { revision: kv.modRevision } };
  if (r.prev_kv && prev !== undefined) resp.prev_kv = toProtoKv(prev);
  return resp;
}

export function applyDeleteRange(
  txn: WriteTxn,
  r: DeleteRangeRequest__Output,
): DeleteRangeResponse {
  const deleted = txn.deleteRange(requestRange(r.key, r.range_end));
  const resp: DeleteRangeResponse = {
    header: { revision: txn.rev },
    deleted: deleted.length,
  };
  if (r.prev_kv) resp.prev_kvs = deleted.map((kv) => toProtoKv(kv));
  return resp;
}

/** A standalone Put: lease check, then one write transaction. */
export function applyPutRequest(
  store: MvccStore,
  lessor: Lessor,
  r: PutRequest__Output,
): PutResponse {
  checkPutLease(lessor, r);
  if (r.ignore_value || r.ignore_lease) {
    // Fail before opening the write transaction, so nothing is half-done.
    if (store.range(requestRange(r.key, undefined)).count === 0) throw ErrKeyNotFound();
  }
  const txn = store.write();
  try {
    return applyPut(txn, r);
  } finally {
    txn.end();
  }
}

export function applyDeleteRangeRequest(
  store: MvccStore,
  r: DeleteRangeRequest__Output,
): DeleteRangeResponse {
  const txn = store.write();
  try {
    return applyDeleteRange(txn, r);
  } finally {
    txn.end();
  }
}

// ---- transactions ----

/** etcd's compareKV: how one key-value compares against a Compare's target. */
function compareKv(c: Compare__Output, kv: KeyValue | undefined): boolean {
  let result: number;
  switch (c.target) {
    case 'VALUE': {
      const v = c.target_union === 'value' ? c.value! : EMPTY_BUFFER;
      result = Buffer.compare(kv?.value ?? EMPTY_BUFFER, v);
      break;
    }
    case 'CREATE':
      result = Math.sign((kv?.createRevision ?? 0) - num(c.create_revision));
      break;
    case 'MOD':
      result = Math.sign((kv?.modRevision ?? 0) - num(c.mod_revision));
      break;
    case 'VERSION':
      result = Math.sign((kv?.version ?? 0) - num(c.version));
      break;
    case 'LEASE': {
      const lease = kv?.lease ?? 0n;
      const want = c.lease === undefined ? 0n : BigInt(c.lease);
      result = lease === want ? 0 : lease > want ? 1 : -1;
      break;
    }
  }
  switch (c.result) {
    case 'EQUAL':
      return result === 0;
    case 'NOT_EQUAL':
      return result !== 0;
    case 'GREATER':
      return result > 0;
    case 'LESS':
      return result < 0;
  }
}

/** etcd's applyCompare: every key in the compare's range must satisfy it. */
function applyCompare(rv: ReadView, c: Compare__Output): boolean {
  const kvs = rv.range(requestRange(c.key, c.range_end)).kvs;
  if (kvs.length === 0) {
    // A missing key has no value to compare (nil == empty in gRPC), so VALUE compares fail.
    if (c.target === 'VALUE') return false;
    return compareKv(c, undefined);
  }
  return kvs.every((kv) => compareKv(c, kv));
}

/**
 * The branch taken at each transaction level, decided up front against the state before the
 * transaction (etcd's compareToPath): nested transactions' compares do not see the outer
 * transaction's writes.
 */
function compareToPath(rv: ReadView, r: TxnRequest__Output): boolean[] {
  const succeeded = r.compare.every((c) => applyCompare(rv, c));
  const path = [succeeded];
  for (const op of succeeded ? r.success : r.failure) {
    if (op.request === 'request_txn' && op.request_txn)
      path.push(...compareToPath(rv, op.request_txn));
  }
  return path;
}

function isTxnReadOnly(r: TxnRequest__Output): boolean {
  const readOnly = (op: RequestOp__Output): boolean =>
    op.request === 'request_range' ||
    (op.request === 'request_txn' && op.request_txn !== null && isTxnReadOnly(op.request_txn!));
  return r.success.every(readOnly) && r.failure.every(readOnly);
}

/**
 * Walks the chosen path and runs `check` on every op, before anything is written, so a txn
 * either applies completely or fails without effect (etcd's checkRequests).
 */
function checkPath(
  r: TxnRequest__Output,
  path: boolean[],
  at: { i: number },
  check: (op: RequestOp__Output) => void,
): void {
  const ops = path[at.i++] ? r.success : r.failure;
  for (const op of ops) {
    if (op.request === 'request_txn' && op.request_txn) checkPath(op.request_txn, path, at, check);
    else check(op);
  }
}

export function applyTxnRequest(
  store: MvccStore,
  lessor: Lessor,
  r: TxnRequest__Output,
): TxnResponse {
  const path = compareToPath(store, r);
  if (!isTxnReadOnly(r)) {
    checkPath(r, path, { i: 0 }, (op) => {
      if (op.request !== 'request_put' || !op.request_put) return;
      const put = op.request_put;
      checkPutLease(lessor, put);
      if (put.ignore_value || put.ignore_lease) {
        if (store.range(requestRange(put.key, undefined)).count === 0) throw ErrKeyNotFound();
      }
    });
  }
  checkPath(r, path, { i: 0 }, (op) => {
    if (op.request !== 'request_range' || !op.request_range) return;
    const rev = num(op.request_range.revision);
    if (rev === 0) return;
    if (rev > store.rev) throw errFutureRev();
    if (rev < store.compactRev) throw errCompacted();
  });

  const txn = store.write();
  try {
    const resp = runTxn(txn, r, path, { i: 0 });
    resp.header = { revision: txn.rev };
    return resp;
  } finally {
    txn.end();
  }
}

function runTxn(
  txn: WriteTxn,
  r: TxnRequest__Output,
  path: boolean[],
  at: { i: number },
): TxnResponse {
  const succeeded = path[at.i++]!;
  const responses: ResponseOp[] = [];
  for (const op of succeeded ? r.success : r.failure) {
    switch (op.request) {
      case 'request_range':
        responses.push({ response_range: applyRange(txn, op.request_range!) });
        break;
      case 'request_put':
        responses.push({ response_put: applyPut(txn, op.request_put!) });
        break;
      case 'request_delete_range':
        responses.push({ response_delete_range: applyDeleteRange(txn, op.request_delete_range!) });
        break;
      case 'request_txn': {
        const inner = runTxn(txn, op.request_txn!, path, at);
        inner.header = {};
        responses.push({ response_txn: inner });
        break;
      }
      default:
        // An empty op (rejected by validation before proposing; tolerated when replaying).
        responses.push({});
    }
  }
  return { succeeded, responses };
}
