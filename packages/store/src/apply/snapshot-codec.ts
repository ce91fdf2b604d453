import { ByteReader, ByteWriter } from '../storage/binary.js';
import { KeyHistory } from '../mvcc/key-history.js';
import type { KeyValue } from '../mvcc/kv.js';
import type { AlarmType } from './alarms.js';
import type { Member } from './membership.js';
import type { StateMachine } from './state-machine.js';

/**
 * The state machine's snapshot encoding: every retained revision of every key (so historical
 * reads and watches survive a restart), leases, alarms, membership, and the applied index.
 * Lease expiry is not stored: it is leader-local timing, re-based when a leader is elected.
 *
 * Layout (version 1): varints for counts and revisions, u64 for IDs, length-prefixed bytes.
 */
const VERSION = 1;
const TOMBSTONE = 1;
const ALARM_CODES: Record<AlarmType, number> = { NOSPACE: 1, CORRUPT: 2 };
const ALARM_NAMES: Record<number, AlarmType> = { 1: 'NOSPACE', 2: 'CORRUPT' };

export function encodeStateMachine(sm: StateMachine): Buffer {
  const w = new ByteWriter(1 << 16);
  w.u8(VERSION);
  w.varint(sm.appliedIndex).varint(sm.appliedTerm);
  w.svarint(sm.mvcc.rev).svarint(sm.mvcc.compactRev);
  w.u64(sm.membership.clusterId);
  const members = sm.membership.list();
  w.varint(members.length);
  for (const m of members) {
    w.varint(m.id)
      .string(m.name)
      .u8(m.isLearner ? 1 : 0);
    w.varint(m.peerURLs.length);
    for (const u of m.peerURLs) w.string(u);
    w.varint(m.clientURLs.length);
    for (const u of m.clientURLs) w.string(u);
  }
  const removed = sm.membership.removedIds();
  w.varint(removed.length);
  for (const id of removed) w.varint(id);
  const alarms = sm.alarms.list();
  w.varint(alarms.length);
  for (const a of alarms) w.varint(a.memberId).u8(ALARM_CODES[a.alarm]);
  const leases = sm.lessor.leases();
  w.varint(leases.length);
  for (const l of leases) w.u64(l.id).varint(l.ttl);
  let keyCount = 0;
  for (const _ of sm.mvcc.exportHistories()) keyCount++;
  w.varint(keyCount);
  for (const h of sm.mvcc.exportHistories()) {
    w.bytes(h.key).varint(h.revisions.length);
    for (const r of h.revisions) {
      w.varint(r.main).varint(r.sub);
      if (r.kv === null) {
        w.u8(TOMBSTONE);
      } else {
        w.u8(0).varint(r.kv.createRevision).varint(r.kv.version).u64(r.kv.lease).bytes(r.kv.value);
      }
    }
  }
  return w.finish();
}

/**
 * Replaces the state machine's whole state with the snapshot's. `now` re-bases lease expiry
 * when this member is the leader.
 */
export function restoreStateMachine(sm: StateMachine, data: Buffer, now: number): void {
  const r = new ByteReader(data);
  const version = r.u8();
  if (version !== VERSION) throw new Error(`snapshot: unsupported state version ${version}`);
  const appliedIndex = r.varint();
  const appliedTerm = r.varint();
  const currentRev = r.svarint();
  const compactRev = r.svarint();
  const clusterId = r.u64();
  const members: Member[] = [];
  for (let n = r.varint(); n > 0; n--) {
    const id = r.varint();
    const name = r.string();
    const isLearner = r.u8() === 1;
    const peerURLs: string[] = [];
    for (let k = r.varint(); k > 0; k--) peerURLs.push(r.string());
    const clientURLs: string[] = [];
    for (let k = r.varint(); k > 0; k--) clientURLs.push(r.string());
    members.push({ id, name, isLearner, peerURLs, clientURLs });
  }
  const removed: number[] = [];
  for (let n = r.varint(); n > 0; n--) removed.push(r.varint());
  const alarms: Array<{ memberId: number; alarm: AlarmType }> = [];
  for (let n = r.varint(); n > 0; n--) {
    const memberId = r.varint();
    const code = r.u8();
    const alarm = ALARM_NAMES[code];
    if (alarm === undefined) throw new Error(`snapshot: unknown alarm type ${code}`);
    alarms.push({ memberId, alarm });
  }
  const leases: Array<{ id: bigint; ttl: number }> = [];
  for (let n = r.varint(); n > 0; n--)
    leases.push({ id: BigInt.asIntN(64, r.u64()), ttl: r.varint() });
  const histories: KeyHistory[] = [];
  for (let n = r.varint(); n > 0; n--) {
    // Copies, so the snapshot buffer can be freed once restored.
    const key = Buffer.from(r.bytes());
    const h = new KeyHistory(key);
    for (let k = r.varint(); k > 0; k--) {
      const main = r.varint();
      const sub = r.varint();
      if (r.u8() === TOMBSTONE) {
        h.append({ main, sub, kv: null });
      } else {
        const createRevision = r.varint();
        const version = r.varint();
        const lease = BigInt.asIntN(64, r.u64());
        const value = Buffer.from(r.bytes());
        const kv: KeyValue = { key, createRevision, modRevision: main, version, value, lease };
        h.append({ main, sub, kv });
      }
    }
    histories.push(h);
  }
  if (r.remaining !== 0) throw new Error(`snapshot: ${r.remaining} unexpected trailing bytes`);
  // Leases first: restoring the store re-attaches keys to them.
  sm.lessor.restore(leases, now);
  sm.mvcc.restore({ currentRev, compactRev, histories });
  sm.alarms.restore(alarms);
  sm.membership.restore(clusterId, members, removed);
  sm.appliedIndex = appliedIndex;
  sm.appliedTerm = appliedTerm;
}
