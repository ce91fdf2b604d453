import { ByteReader, ByteWriter } from '../storage/binary.js';
import { KeyHistory } from '../mvcc/key-history.js';
import { keyString, type KeyValue } from '../mvcc/kv.js';
import type { AlarmType } from './alarms.js';
import type { Member } from './membership.js';
import type { StateMachine } from './state-machine.js';

/**
 * The state machine's snapshot encoding: every retained revision of every key (so historical
 * reads and watches survive a restart), leases, alarms, membership, and the applied index.
 * Lease expiry is not stored: it is leader-local timing, re-based when a leader is elected.
 *
 * Layout (version 2): varints for counts and revisions, u64 for IDs, length-prefixed bytes.
 * The keys come last, each as its revision count (never 0), the key and its revisions, ended by
 * a 0 and the number of keys: an encoder spread over several turns of the event loop learns
 * which keys belong in the snapshot only as it reaches them. Version 1 (still read) put the key
 * count before the keys.
 */
const VERSION = 2;
const VERSION_COUNTED_KEYS = 1;
const TOMBSTONE = 1;
const ALARM_CODES: Record<AlarmType, number> = { NOSPACE: 1, CORRUPT: 2 };
const ALARM_NAMES: Record<number, AlarmType> = { 1: 'NOSPACE', 2: 'CORRUPT' };

/**
 * How often a slice asks whether its budget is spent: after this many keys or bytes, whichever
 * comes first (a clock read per key would cost; keys with long histories are large).
 */
const KEYS_PER_BUDGET_CHECK = 32;
const BYTES_PER_BUDGET_CHECK = 64 << 10;
/** A slice ends at about this many bytes even with time left, bounding the memory it holds. */
const DEFAULT_MAX_SLICE_BYTES = 4 << 20;

export class SnapshotEncodeError extends Error {
  constructor(reason: string) {
    super(`snapshot: ${reason}`);
    this.name = 'SnapshotEncodeError';
  }
}

/**
 * Encodes the state machine as it is at construction (applied index R, revision rev_R,
 * compaction revision compactRev_R), slice by slice, while the state machine goes on applying
 * entries between slices:
 * - the small parts (indexes, membership, alarms, leases) are encoded at construction;
 * - keys are read in key order, resuming after the last key of the previous slice; only
 *   revisions <= rev_R are written, so keys created since then are left out;
 * - compaction stays logical while the encoder is open (MvccStore.holdCompaction), so the
 *   revisions between compactRev_R and a newer compaction are still there to read; revisions a
 *   compaction at compactRev_R dropped are skipped whether or not they were spliced out yet.
 * A restore of the state machine (a leader's snapshot) between slices makes the next slice
 * throw. `close` (also reached at the end) releases the compaction hold.
 */
export class StateMachineEncoder {
  private readonly mvcc: StateMachine['mvcc'];
  private readonly rev: number;
  private readonly compactRev: number;
  private readonly restoreCount: number;
  private readonly releaseCompaction: () => void;
  private readonly maxSliceBytes: number;
  /**
   * One buffer for every slice: a slice is consumed (checksummed, written) before the next is
   * asked for, and a fresh buffer per slice made tens of MB of short-lived external memory per
   * snapshot, which V8 answers with full garbage collections while requests wait.
   */
  private readonly writer: ByteWriter;
  private head: Buffer | undefined;
  private lastKey: KeyHistory | undefined;
  private keyCount = 0;
  private state: 'encoding' | 'done' | 'closed' = 'encoding';

  constructor(sm: StateMachine, opts: { maxSliceBytes?: number } = {}) {
    this.mvcc = sm.mvcc;
    this.rev = sm.mvcc.rev;
    this.compactRev = sm.mvcc.compactRev;
    this.restoreCount = sm.mvcc.restoreCount;
    this.maxSliceBytes = opts.maxSliceBytes ?? DEFAULT_MAX_SLICE_BYTES;
    this.writer = new ByteWriter(
      Number.isFinite(this.maxSliceBytes) ? this.maxSliceBytes + BYTES_PER_BUDGET_CHECK : 1 << 16,
    );
    this.head = encodeHead(sm);
    this.releaseCompaction = sm.mvcc.holdCompaction();
  }

  /** Whether the last slice was returned. */
  get finished(): boolean {
    return this.state === 'done';
  }

  /**
   * Encodes the next keys, checking `more()` every few keys (false ends the slice), and returns
   * their bytes; undefined once everything was returned. The pieces concatenated are the
   * encoding. A returned slice is valid until the next call (its buffer is reused).
   */
  nextSlice(more: () => boolean): Buffer | undefined {
    if (this.state === 'done') return undefined;
    if (this.state === 'closed') throw new SnapshotEncodeError('the encoder was closed');
    if (this.mvcc.restoreCount !== this.restoreCount) {
      this.close();
      throw new SnapshotEncodeError('the state machine was replaced while being encoded');
    }
    const w = this.writer.reset();
    if (this.head !== undefined) {
      w.raw(this.head);
      this.head = undefined;
    }
    const after = this.lastKey === undefined ? undefined : keyString(this.lastKey.key);
    let keysSinceCheck = 0;
    let lengthAtCheck = w.length;
    let finished = true;
    for (const h of this.mvcc.historiesAfter(after)) {
      this.lastKey = h;
      this.writeKey(w, h);
      if (
        ++keysSinceCheck === KEYS_PER_BUDGET_CHECK ||
        w.length - lengthAtCheck >= BYTES_PER_BUDGET_CHECK
      ) {
        keysSinceCheck = 0;
        lengthAtCheck = w.length;
        if (w.length >= this.maxSliceBytes || !more()) {
          finished = false;
          break;
        }
      }
    }
    if (finished) {
      w.varint(0).varint(this.keyCount);
      this.state = 'done';
      this.releaseCompaction();
    }
    return w.finish();
  }

  /** Stops encoding (early or after the end); releases the compaction hold. Idempotent. */
  close(): void {
    if (this.state === 'encoding') this.state = 'closed';
    this.releaseCompaction();
  }

  private writeKey(w: ByteWriter, h: KeyHistory): void {
    const from = h.retainedFrom(this.compactRev);
    const to = h.countAtOrBefore(this.rev);
    if (to <= from) return; // created after rev_R, or compacted away at compactRev_R
    w.varint(to - from).bytes(h.key);
    for (let i = from; i < to; i++) {
      const r = h.revisions[i]!;
      w.varint(r.main).varint(r.sub);
      if (r.kv === null) {
        w.u8(TOMBSTONE);
      } else {
        w.u8(0).varint(r.kv.createRevision).varint(r.kv.version).u64(r.kv.lease).bytes(r.kv.value);
      }
    }
    this.keyCount++;
  }
}

/** Everything but the keys: small, encoded at once. */
function encodeHead(sm: StateMachine): Buffer {
  const w = new ByteWriter(1 << 10);
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
  // A copy: the writer's buffer is larger than what it holds.
  return Buffer.from(w.finish());
}

/** The whole encoding in one go (founding snapshots, Maintenance.Snapshot, restore tooling). */
export function encodeStateMachine(sm: StateMachine): Buffer {
  const encoder = new StateMachineEncoder(sm, { maxSliceBytes: Infinity });
  try {
    const slice = encoder.nextSlice(() => true);
    return slice ?? Buffer.alloc(0);
  } finally {
    encoder.close();
  }
}

/**
 * Replaces the state machine's whole state with the snapshot's. `now` re-bases lease expiry
 * when this member is the leader.
 */
export function restoreStateMachine(sm: StateMachine, data: Buffer, now: number): void {
  const r = new ByteReader(data);
  const version = r.u8();
  if (version !== VERSION && version !== VERSION_COUNTED_KEYS) {
    throw new Error(`snapshot: unsupported state version ${version}`);
  }
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
  /** One key; version 1 has its revision count after the key, version 2 before (given). */
  const readKey = (revisionCount: number | undefined): void => {
    // Copies, so the snapshot buffer can be freed once restored.
    const key = Buffer.from(r.bytes());
    const h = new KeyHistory(key);
    for (let k = revisionCount ?? r.varint(); k > 0; k--) {
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
  };
  if (version === VERSION_COUNTED_KEYS) {
    for (let n = r.varint(); n > 0; n--) readKey(undefined);
  } else {
    for (let count = r.varint(); count > 0; count = r.varint()) readKey(count);
    const keyCount = r.varint();
    if (keyCount !== histories.length) {
      throw new Error(`snapshot: ${histories.length} keys read, the snapshot says ${keyCount}`);
    }
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
