import { describe, expect, it } from 'vitest';
import { keyString } from '../mvcc/kv.js';
import { internalRequestCodec } from './codec.js';
import { encodeStateMachine, restoreStateMachine } from './snapshot-codec.js';
import { StateMachine } from './state-machine.js';
import type { InternalRequest } from '../gen/etcd/types/kubets/store/InternalRequest.js';

const machine = () =>
  new StateMachine({ clusterId: 0xfeedn, quotaBytes: 1 << 30, minLeaseTtlSeconds: 1 });
const apply = (sm: StateMachine, req: InternalRequest) => {
  const r = sm.apply(
    internalRequestCodec.decode(internalRequestCodec.encode({ ID: 1, ...req })),
    0,
  );
  if (!r.ok) throw r.error;
  return r.response;
};

describe('state machine snapshots', () => {
  it('round-trips keys with history, leases, alarms, membership and the applied index', () => {
    const sm = machine();
    apply(sm, { lease_grant: { ID: '9223372036854775807', TTL: 30 } });
    apply(sm, { put: { key: Buffer.from('a'), value: Buffer.from('1') } });
    apply(sm, {
      put: { key: Buffer.from('a'), value: Buffer.from('2'), lease: '9223372036854775807' },
    });
    apply(sm, { put: { key: Buffer.from([0, 255]), value: Buffer.alloc(300, 7) } });
    apply(sm, { delete_range: { key: Buffer.from('a') } });
    apply(sm, {
      put: { key: Buffer.from('b'), value: Buffer.from('x'), lease: '9223372036854775807' },
    });
    apply(sm, { compaction: { revision: 3 } });
    apply(sm, { alarm: { action: 'ACTIVATE', memberID: 5, alarm: 'NOSPACE' } });
    sm.membership.add({
      id: 5,
      name: 'm5',
      peerURLs: ['http://a:2380'],
      clientURLs: ['http://a:2379'],
      isLearner: false,
    });
    sm.membership.add({
      id: 6,
      name: '',
      peerURLs: ['http://b:2380'],
      clientURLs: [],
      isLearner: true,
    });
    sm.membership.remove(7);
    sm.appliedIndex = 42;
    sm.appliedTerm = 3;

    const copy = machine();
    restoreStateMachine(copy, encodeStateMachine(sm), 0);
    expect([copy.appliedIndex, copy.appliedTerm, copy.mvcc.rev, copy.mvcc.compactRev]).toEqual([
      42, 3, 6, 3,
    ]);
    for (const rev of [3, 4, 5, 6]) {
      const read = (s: StateMachine) =>
        s.mvcc.range({ key: keyString(Buffer.from([0])), end: '' }, { rev }).kvs;
      expect(read(copy)).toEqual(read(sm));
    }
    expect(
      [...copy.mvcc.eventsBetween(3, 6)].map((e) => [e.type, e.kv.modRevision, e.sub]),
    ).toEqual([...sm.mvcc.eventsBetween(3, 6)].map((e) => [e.type, e.kv.modRevision, e.sub]));
    const lease = copy.lessor.lookup(9223372036854775807n)!;
    expect(lease.ttl).toBe(30);
    expect([...lease.keys]).toEqual(['b']);
    expect(copy.alarms.list()).toEqual([{ memberId: 5, alarm: 'NOSPACE' }]);
    expect(copy.membership.list()).toEqual(sm.membership.list());
    expect(copy.membership.isRemoved(7)).toBe(true);
    expect(copy.membership.clusterId).toBe(0xfeedn);
    expect(encodeStateMachine(copy)).toEqual(encodeStateMachine(sm));
  });

  it('rejects unknown versions and trailing garbage', () => {
    const data = encodeStateMachine(machine());
    const bad = Buffer.from(data);
    bad[0] = 99;
    expect(() => restoreStateMachine(machine(), bad, 0)).toThrow(/unsupported state version 99/);
    expect(() =>
      restoreStateMachine(machine(), Buffer.concat([data, Buffer.from([1])]), 0),
    ).toThrow(/trailing/);
  });
});
