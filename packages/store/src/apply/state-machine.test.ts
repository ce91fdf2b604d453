import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { Compare } from '../gen/etcd/types/etcdserverpb/Compare.js';
import type {
  RangeRequest,
  RangeRequest__Output,
} from '../gen/etcd/types/etcdserverpb/RangeRequest.js';
import type { RangeResponse } from '../gen/etcd/types/etcdserverpb/RangeResponse.js';
import type { TxnRequest } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';
import type { TxnResponse } from '../gen/etcd/types/etcdserverpb/TxnResponse.js';
import type { InternalRequest } from '../gen/etcd/types/kubets/store/InternalRequest.js';
import { internalRequestCodec, messageCodec } from './codec.js';
import type { EtcdError } from './errors.js';
import { applyRange } from './kv-apply.js';
import { StateMachine, type ApplyResult } from './state-machine.js';

const rangeCodec = messageCodec<RangeRequest, RangeRequest__Output>('etcdserverpb.RangeRequest');

function machine(quotaBytes = 1 << 30): StateMachine {
  return new StateMachine({ clusterId: 1n, quotaBytes, minLeaseTtlSeconds: 2 });
}

/** Applies a request the way the log delivers it: encoded, then decoded. */
function apply(sm: StateMachine, req: InternalRequest, now = 0): ApplyResult {
  return sm.apply(internalRequestCodec.decode(internalRequestCodec.encode({ ID: 1, ...req })), now);
}

function ok<T = Record<string, unknown>>(r: ApplyResult): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.message}`);
  return r.response as T;
}

function fail(r: ApplyResult): EtcdError {
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

const put = (sm: StateMachine, key: string, value: string, extra: Record<string, unknown> = {}) =>
  apply(sm, { put: { key: Buffer.from(key), value: Buffer.from(value), ...extra } });

function range(sm: StateMachine, req: RangeRequest): RangeResponse {
  return applyRange(sm.mvcc, rangeCodec.decode(rangeCodec.encode(req)));
}

const keysOf = (r: RangeResponse | undefined): string[] =>
  (r?.kvs ?? []).map((kv) => (kv.key as Buffer).toString());

describe('StateMachine KV', () => {
  it('puts with prev_kv and reports the new revision in the header', () => {
    const sm = machine();
    expect(ok(put(sm, 'a', '1'))).toMatchObject({ header: { revision: 2 } });
    const r = ok<{ prev_kv: { value: Buffer; version: number } }>(
      put(sm, 'a', '2', { prev_kv: true }),
    );
    expect(r.prev_kv.value.toString()).toBe('1');
    expect(r.prev_kv.version).toBe(1);
  });

  it('honours ignore_value and ignore_lease, which need the key to exist', () => {
    const sm = machine();
    const grant = ok<{ ID: string }>(apply(sm, { lease_grant: { ID: 5, TTL: 60 } }));
    expect(grant.ID).toBe('5');
    put(sm, 'a', 'v1', { lease: 5 });
    // ignore_value keeps the value; the lease is the request's (none here).
    ok(put(sm, 'a', '', { ignore_value: true }));
    let kv = sm.mvcc.get('a')!;
    expect([kv.value.toString(), kv.lease]).toEqual(['v1', 0n]);
    ok(put(sm, 'a', '', { ignore_value: true, lease: 5 }));
    kv = sm.mvcc.get('a')!;
    expect([kv.value.toString(), kv.lease]).toEqual(['v1', 5n]);
    ok(put(sm, 'a', 'v2', { ignore_lease: true }));
    kv = sm.mvcc.get('a')!;
    expect([kv.value.toString(), kv.lease]).toEqual(['v2', 5n]);
    const err = fail(put(sm, 'missing', '', { ignore_value: true }));
    expect([err.grpcCode, err.message]).toEqual([
      status.INVALID_ARGUMENT,
      'etcdserver: key not found',
    ]);
    expect(sm.mvcc.rev).toBe(5);
  });

  it('refuses a put with an unknown lease', () => {
    const sm = machine();
    const err = fail(put(sm, 'a', '1', { lease: 99 }));
    expect([err.grpcCode, err.message]).toEqual([
      status.NOT_FOUND,
      'etcdserver: requested lease not found',
    ]);
    expect(sm.mvcc.rev).toBe(1);
  });

  it('deletes ranges with prev_kvs; a delete of nothing keeps the revision', () => {
    const sm = machine();
    for (const k of ['a/1', 'a/2', 'b']) put(sm, k, k);
    const r = ok<{
      deleted: number;
      prev_kvs: Array<{ key: Buffer }>;
      header: { revision: number };
    }>(
      apply(sm, {
        delete_range: { key: Buffer.from('a/'), range_end: Buffer.from('a0'), prev_kv: true },
      }),
    );
    expect(r.deleted).toBe(2);
    expect(r.prev_kvs.map((kv) => kv.key.toString())).toEqual(['a/1', 'a/2']);
    expect(r.header.revision).toBe(5);
    const none = ok<{ deleted: number; header: { revision: number } }>(
      apply(sm, { delete_range: { key: Buffer.from('zz') } }),
    );
    expect(none).toMatchObject({ deleted: 0, header: { revision: 5 } });
  });

  it('compacts with etcd errors for old and future revisions', () => {
    const sm = machine();
    put(sm, 'a', '1');
    put(sm, 'a', '2');
    ok(apply(sm, { compaction: { revision: 2 } }));
    const again = fail(apply(sm, { compaction: { revision: 2 } }));
    expect([again.grpcCode, again.message]).toEqual([
      status.OUT_OF_RANGE,
      'etcdserver: mvcc: required revision has been compacted',
    ]);
    const future = fail(apply(sm, { compaction: { revision: 10 } }));
    expect(future.message).toBe('etcdserver: mvcc: required revision is a future revision');
  });
});

describe('applyRange options', () => {
  function sample(): StateMachine {
    const sm = machine();
    put(sm, 'c', '1'); // 2
    put(sm, 'a', '3'); // 3
    put(sm, 'b', '2'); // 4
    put(sm, 'a', '4'); // 5: a has version 2
    return sm;
  }
  const all = { key: Buffer.from([0]), range_end: Buffer.from([0]) };

  it('limits with more and count, and returns keys only when asked', () => {
    const sm = sample();
    const r = range(sm, { ...all, limit: 2 });
    expect(keysOf(r)).toEqual(['a', 'b']);
    expect(r.more).toBe(true);
    expect(r.count).toBe(3);
    const ko = range(sm, { ...all, keys_only: true });
    expect(ko.kvs!.every((kv) => (kv.value as Buffer).length === 0)).toBe(true);
    const co = range(sm, { ...all, count_only: true });
    expect([co.kvs, co.count]).toEqual([[], 3]);
    expect(range(sm, { ...all, limit: 3 }).more).toBe(false);
  });

  it('sorts by every target; non-key targets default to ascending', () => {
    const sm = sample();
    expect(keysOf(range(sm, { ...all, sort_order: 'DESCEND' }))).toEqual(['c', 'b', 'a']);
    expect(keysOf(range(sm, { ...all, sort_target: 'MOD' }))).toEqual(['c', 'b', 'a']);
    expect(keysOf(range(sm, { ...all, sort_target: 'CREATE', sort_order: 'DESCEND' }))).toEqual([
      'b',
      'a',
      'c',
    ]);
    expect(keysOf(range(sm, { ...all, sort_target: 'VALUE' }))).toEqual(['c', 'b', 'a']);
    expect(keysOf(range(sm, { ...all, sort_target: 'VERSION', sort_order: 'DESCEND' }))[0]).toBe(
      'a',
    );
    // Sorting happens before the limit.
    const top = range(sm, { ...all, sort_target: 'MOD', sort_order: 'DESCEND', limit: 1 });
    expect([keysOf(top), top.more]).toEqual([['a'], true]);
  });

  it('filters on mod and create revisions without changing count', () => {
    const sm = sample();
    expect(keysOf(range(sm, { ...all, min_mod_revision: 4 }))).toEqual(['a', 'b']);
    expect(keysOf(range(sm, { ...all, max_mod_revision: 4 }))).toEqual(['b', 'c']);
    expect(keysOf(range(sm, { ...all, min_create_revision: 3, max_create_revision: 3 }))).toEqual([
      'a',
    ]);
    expect(range(sm, { ...all, min_mod_revision: 5 }).count).toBe(3);
  });

  it('reads at a revision', () => {
    const sm = sample();
    const r = range(sm, { key: Buffer.from('a'), revision: 3 });
    expect((r.kvs![0]!.value as Buffer).toString()).toBe('3');
    expect(r.header!.revision).toBe(5);
  });
});

describe('StateMachine Txn', () => {
  const cmp = (
    target: NonNullable<Compare['target']>,
    key: string,
    result: NonNullable<Compare['result']>,
    value: Partial<Compare>,
  ): Compare => ({ key: Buffer.from(key), target, result, ...value });
  const opPut = (key: string, value: string, extra: Record<string, unknown> = {}) => ({
    request_put: { key: Buffer.from(key), value: Buffer.from(value), ...extra },
  });
  const opGet = (key: string, extra: Record<string, unknown> = {}) => ({
    request_range: { key: Buffer.from(key), ...extra },
  });
  const txn = (sm: StateMachine, t: TxnRequest) => apply(sm, { txn: t });

  it('compares value, version, create, mod and lease and runs the chosen branch', () => {
    const sm = machine();
    put(sm, 'k', 'v'); // 2
    const cases: Array<[Compare, boolean]> = [
      [cmp('VALUE', 'k', 'EQUAL', { value: Buffer.from('v') }), true],
      [cmp('VALUE', 'k', 'GREATER', { value: Buffer.from('a') }), true],
      [cmp('VERSION', 'k', 'EQUAL', { version: 1 }), true],
      [cmp('CREATE', 'k', 'LESS', { create_revision: 3 }), true],
      [cmp('MOD', 'k', 'NOT_EQUAL', { mod_revision: 2 }), false],
      [cmp('LEASE', 'k', 'EQUAL', { lease: 0 }), true],
      // A missing key has version/create/mod 0, and value comparisons on it always fail.
      [cmp('VERSION', 'nope', 'EQUAL', { version: 0 }), true],
      [cmp('CREATE', 'nope', 'EQUAL', { create_revision: 0 }), true],
      [cmp('VALUE', 'nope', 'NOT_EQUAL', { value: Buffer.from('x') }), false],
    ];
    for (const [c, expected] of cases) {
      const r = ok<TxnResponse>(txn(sm, { compare: [c], success: [opGet('k')], failure: [] }));
      expect([c, r.succeeded]).toEqual([c, expected]);
    }
  });

  it('compares every key of a range_end compare', () => {
    const sm = machine();
    put(sm, 'p/1', 'x');
    put(sm, 'p/2', 'x');
    const all = {
      ...cmp('VALUE', 'p/', 'EQUAL', { value: Buffer.from('x') }),
      range_end: Buffer.from('p0'),
    };
    expect(ok<TxnResponse>(txn(sm, { compare: [all] })).succeeded).toBe(true);
    put(sm, 'p/3', 'y');
    expect(ok<TxnResponse>(txn(sm, { compare: [all] })).succeeded).toBe(false);
  });

  it('writes all branch operations in one revision; reads in it see earlier writes', () => {
    const sm = machine();
    const r = ok<TxnResponse>(
      txn(sm, {
        compare: [],
        success: [opPut('a', '1'), opPut('b', '2'), opGet('a')],
      }),
    );
    expect(r.succeeded).toBe(true);
    expect(r.header!.revision).toBe(2);
    const get = r.responses![2]!.response_range!;
    expect(keysOf(get)).toEqual(['a']);
    expect(get.header!.revision).toBe(2);
    expect(sm.mvcc.get('b')!.modRevision).toBe(2);
  });

  it('does not bump the revision for a read-only transaction', () => {
    const sm = machine();
    put(sm, 'a', '1');
    const r = ok<TxnResponse>(txn(sm, { success: [opGet('a')] }));
    expect(r.header!.revision).toBe(2);
    expect(sm.mvcc.rev).toBe(2);
  });

  it('decides nested branches against the state before the transaction', () => {
    const sm = machine();
    const nested = {
      request_txn: {
        compare: [cmp('VERSION', 'x', 'EQUAL', { version: 0 })],
        success: [opPut('inner', 'then')],
        failure: [opPut('inner', 'else')],
      },
    };
    const r = ok<TxnResponse>(txn(sm, { success: [opPut('x', '1'), nested] }));
    // x did not exist before the txn, so the nested compare (version == 0) succeeded.
    expect(sm.mvcc.get('inner')!.value.toString()).toBe('then');
    expect(r.responses![1]!.response_txn!.succeeded).toBe(true);
  });

  it('fails without effect when a put in the chosen branch has an unknown lease', () => {
    const sm = machine();
    const err = fail(txn(sm, { success: [opPut('a', '1'), opPut('b', '1', { lease: 77 })] }));
    expect(err.message).toBe('etcdserver: requested lease not found');
    expect(sm.mvcc.rev).toBe(1);
    // The same bad put in the branch not taken is fine.
    ok(
      txn(sm, {
        compare: [cmp('VERSION', 'a', 'EQUAL', { version: 0 })],
        success: [opPut('a', '1')],
        failure: [opPut('b', '1', { lease: 77 })],
      }),
    );
    expect(sm.mvcc.rev).toBe(2);
  });

  it('fails a transaction reading a compacted or future revision', () => {
    const sm = machine();
    put(sm, 'a', '1');
    put(sm, 'a', '2');
    apply(sm, { compaction: { revision: 3 } });
    expect(fail(txn(sm, { success: [opGet('a', { revision: 2 }), opPut('b', '1')] })).message).toBe(
      'etcdserver: mvcc: required revision has been compacted',
    );
    expect(fail(txn(sm, { success: [opGet('a', { revision: 9 })] })).message).toBe(
      'etcdserver: mvcc: required revision is a future revision',
    );
    expect(sm.mvcc.rev).toBe(3);
  });
});

describe('StateMachine leases', () => {
  it('revokes a lease and deletes its keys in one revision', () => {
    const sm = machine();
    ok(apply(sm, { lease_grant: { ID: 7, TTL: 1 } }));
    expect(sm.lessor.lookup(7n)!.ttl).toBe(2); // raised to the minimum TTL
    put(sm, 'b', '1', { lease: 7 });
    put(sm, 'a', '1', { lease: 7 });
    put(sm, 'c', '1');
    const events: string[] = [];
    sm.mvcc.onCommit((evs) =>
      events.push(...evs.map((e) => `${e.type} ${e.kv.key.toString()}@${e.kv.modRevision}`)),
    );
    ok(apply(sm, { lease_revoke: { ID: 7 } }));
    expect(events).toEqual(['DELETE a@5', 'DELETE b@5']);
    expect(sm.mvcc.keyCount).toBe(1);
    const again = fail(apply(sm, { lease_revoke: { ID: 7 } }));
    expect([again.grpcCode, again.message]).toEqual([
      status.NOT_FOUND,
      'etcdserver: requested lease not found',
    ]);
  });

  it('maps lease grant errors', () => {
    const sm = machine();
    ok(apply(sm, { lease_grant: { ID: 7, TTL: 10 } }));
    expect(fail(apply(sm, { lease_grant: { ID: 7, TTL: 10 } })).message).toBe(
      'etcdserver: lease already exists',
    );
    expect(fail(apply(sm, { lease_grant: { ID: 8, TTL: 9_000_000_001 } })).message).toBe(
      'etcdserver: too large lease TTL',
    );
  });
});

describe('StateMachine quota and alarms', () => {
  it('refuses writes over the quota, caps the store while NOSPACE is raised, allows deletes', () => {
    const sm = machine(4096);
    ok(put(sm, 'a', 'x'.repeat(1000)));
    const err = fail(put(sm, 'b', 'x'.repeat(4000)));
    expect([err.grpcCode, err.message]).toEqual([
      status.RESOURCE_EXHAUSTED,
      'etcdserver: mvcc: database space exceeded',
    ]);
    ok(apply(sm, { alarm: { action: 'ACTIVATE', memberID: 1, alarm: 'NOSPACE' } }));
    expect(fail(put(sm, 'small', '1')).message).toBe('etcdserver: mvcc: database space exceeded');
    expect(fail(apply(sm, { lease_grant: { ID: 1, TTL: 10 } })).message).toContain(
      'space exceeded',
    );
    ok(apply(sm, { delete_range: { key: Buffer.from('a') } }));
    const list = ok<{ alarms: unknown[] }>(apply(sm, { alarm: { action: 'GET' } }));
    expect(list.alarms).toEqual([{ memberID: 1, alarm: 'NOSPACE' }]);
    ok(apply(sm, { alarm: { action: 'DEACTIVATE', memberID: 1, alarm: 'NOSPACE' } }));
    ok(put(sm, 'small', '1'));
  });

  it('refuses everything but alarms while CORRUPT is raised', () => {
    const sm = machine();
    ok(apply(sm, { alarm: { action: 'ACTIVATE', memberID: 1, alarm: 'CORRUPT' } }));
    const err = fail(put(sm, 'a', '1'));
    expect([err.grpcCode, err.message]).toEqual([status.DATA_LOSS, 'etcdserver: corrupt cluster']);
  });
});
