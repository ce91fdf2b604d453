import { errCompacted, errFutureRev } from './errors.js';
import { EventLog } from './event-log.js';
import { footprint, KeyHistory, type KeyRevision } from './key-history.js';
import { keyString, tombstoneKv, type KeyRange, type KeyValue, type MvccEvent } from './kv.js';
import { OrderedKeys } from './ordered-keys.js';

export interface RangeOptions {
  /** Maximum number of key-values returned; 0 or absent means no limit. */
  readonly limit?: number;
  /** Revision to read at; 0 or absent means the current revision. */
  readonly rev?: number;
  /** Only count the keys (kvs is empty). */
  readonly countOnly?: boolean;
}

export interface RangeResult {
  readonly kvs: KeyValue[];
  /** Number of keys in the range at the read revision, regardless of the limit. */
  readonly count: number;
  /** The store's current revision when the read was served (etcd reports this, not `rev`). */
  readonly rev: number;
}

/** Told when a key gains or loses a lease, so the lessor can track the keys of each lease. */
export interface LeaseAttachments {
  attach(lease: bigint, key: string): void;
  detach(lease: bigint, key: string): void;
}

/** Called with the events of every committed write transaction, in revision order. */
export type CommitListener = (events: readonly MvccEvent[], rev: number) => void;

/** Read access shared by the store and a write transaction in progress. */
export interface ReadView {
  /** Revision reads see. */
  readonly rev: number;
  /** The compaction revision: reads below it fail with ErrCompacted. */
  readonly compactRev: number;
  range(range: KeyRange, opts?: RangeOptions): RangeResult;
}

/**
 * The multi-version key-value store at the heart of kubets-store, equivalent to etcd's mvcc
 * package: every write transaction creates one revision (its operations get sub revisions),
 * keys carry create/mod revision and version, past revisions stay readable until compacted.
 *
 * Pure and synchronous: no I/O, no clock. Durability is the WAL's job (the store is rebuilt by
 * replaying it, or loaded from a snapshot); replication is Raft's.
 */
export class MvccStore implements ReadView {
  private readonly index = new OrderedKeys();
  private readonly histories = new Map<string, KeyHistory>();
  private readonly log = new EventLog();
  private readonly listeners = new Set<CommitListener>();
  private currentRev = 1;
  private compactMainRev = -1;
  /** The revision the histories and the event log were last compacted at (see holdCompaction). */
  private physicalCompactRev = -1;
  private compactionHolds = 0;
  private restores = 0;
  private liveKeys = 0;
  private bytes = 0;
  private openTxn: WriteTxn | undefined;

  constructor(private readonly leases?: LeaseAttachments) {}

  /** The revision of the last committed write (1 for an empty store, as in etcd). */
  get rev(): number {
    return this.currentRev;
  }

  /** The revision of the last compaction, -1 if never compacted. */
  get compactRev(): number {
    return this.compactMainRev;
  }

  /** Number of live (not deleted) keys at the current revision. */
  get keyCount(): number {
    return this.liveKeys;
  }

  /** Approximate bytes held by every retained revision (the space quota is checked against it). */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** Number of events the change history holds (revisions since the last compaction). */
  get historyLength(): number {
    return this.log.length;
  }

  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  range(range: KeyRange, opts: RangeOptions = {}): RangeResult {
    return this.rangeAt(range, this.currentRev, opts);
  }

  /** Reads at `curRev` (the revision a transaction sees), applying etcd's revision checks. */
  rangeAt(range: KeyRange, curRev: number, opts: RangeOptions): RangeResult {
    let rev = opts.rev ?? 0;
    if (rev > curRev) throw errFutureRev();
    if (rev <= 0) rev = curRev;
    if (rev < this.compactMainRev) throw errCompacted();
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity;
    const kvs: KeyValue[] = [];
    let count = 0;
    if (range.end === undefined) {
      const kv = this.histories.get(range.key)?.at(rev);
      if (kv !== undefined) {
        count = 1;
        if (!opts.countOnly) kvs.push(kv);
      }
      return { kvs, count, rev: curRev };
    }
    if (range.end !== '' && range.end <= range.key) return { kvs, count, rev: curRev };
    const end = range.end === '' ? undefined : range.end;
    for (const key of this.index.range(range.key, end)) {
      const kv = this.histories.get(key)!.at(rev);
      if (kv === undefined) continue;
      count++;
      if (!opts.countOnly && kvs.length < limit) kvs.push(kv);
    }
    return { kvs, count, rev: curRev };
  }

  /** Iterates the keys of a range (ascending) with their values at `rev`. */
  *entries(range: KeyRange, rev: number): Generator<KeyValue> {
    if (range.end === undefined) {
      const kv = this.histories.get(range.key)?.at(rev);
      if (kv !== undefined) yield kv;
      return;
    }
    const end = range.end === '' ? undefined : range.end;
    for (const key of this.index.range(range.key, end)) {
      const kv = this.histories.get(key)!.at(rev);
      if (kv !== undefined) yield kv;
    }
  }

  /** The live key-value of `key` at the current revision. */
  get(key: string): KeyValue | undefined {
    return this.histories.get(key)?.current;
  }

  /** Begins the write transaction that will create revision rev+1. One at a time. */
  write(): WriteTxn {
    if (this.openTxn !== undefined) throw new Error('mvcc: a write transaction is already open');
    const txn = new WriteTxn(this, this.currentRev);
    this.openTxn = txn;
    return txn;
  }

  /** Events in [fromRev, toRev] in revision order; fromRev must be >= the compaction revision. */
  eventsBetween(fromRev: number, toRev: number): Generator<MvccEvent> {
    if (fromRev < this.compactMainRev) throw errCompacted();
    return this.log.between(fromRev, toRev);
  }

  /**
   * Compacts the history at `rev`: revisions older than `rev` that are no longer visible at
   * `rev` are discarded and reads below `rev` fail with ErrCompacted. Errors as etcd:
   * ErrCompacted when rev <= the previous compaction, ErrFutureRev when rev > current revision.
   */
  compact(rev: number): void {
    if (rev <= this.compactMainRev) throw errCompacted();
    if (rev > this.currentRev) throw errFutureRev();
    this.compactMainRev = rev;
    if (this.compactionHolds === 0) this.compactPhysically();
  }

  /**
   * Keeps compaction logical until the returned function is called: reads below the compaction
   * revision fail at once, but no revision is spliced out of a key's history and no event leaves
   * the log. A snapshot encoded over several turns of the event loop holds compaction, so the
   * revisions between its compaction revision and a newer one stay there for it to read. The
   * release (idempotent) runs the deferred compaction once no hold is left.
   */
  holdCompaction(): () => void {
    this.compactionHolds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.compactionHolds--;
      if (this.compactionHolds === 0) this.compactPhysically();
    };
  }

  /** Counts `restore` calls: a reader spread over turns checks it did not read across one. */
  get restoreCount(): number {
    return this.restores;
  }

  /** Drops what the logical compaction revision no longer lets anyone read. */
  private compactPhysically(): void {
    const rev = this.compactMainRev;
    if (rev <= this.physicalCompactRev) return;
    // Only keys changed since the previous compaction can hold revisions to drop: the event log
    // has exactly those, so compaction costs O(events compacted), not O(keys). Compacting once
    // at the newest of several deferred revisions drops what compacting at each would have.
    const touched = new Set<string>();
    for (const e of this.log.between(this.physicalCompactRev, rev - 1)) touched.add(e.ks);
    for (const key of touched) {
      const history = this.histories.get(key);
      if (history === undefined) continue;
      this.bytes -= history.compact(rev);
      if (history.isEmpty) {
        this.histories.delete(key);
        this.index.delete(key);
      }
    }
    this.log.dropBefore(rev);
    this.physicalCompactRev = rev;
  }

  // ---- used by WriteTxn ----

  /** @internal */
  applyRevision(key: Buffer, ks: string, revision: KeyRevision, prev: KeyValue | undefined): void {
    let history = this.histories.get(ks);
    if (history === undefined) {
      // A copy: the key outlives its first revision (tombstones, compaction), and a write's key
      // may be a view of its whole log entry (decision 0038).
      history = new KeyHistory(Buffer.from(key));
      this.histories.set(ks, history);
      this.index.insert(ks);
    }
    this.bytes += history.append(revision);
    if (revision.kv !== null && prev === undefined) this.liveKeys++;
    if (revision.kv === null && prev !== undefined) this.liveKeys--;
    const oldLease = prev?.lease ?? 0n;
    const newLease = revision.kv?.lease ?? 0n;
    if (this.leases !== undefined && oldLease !== newLease) {
      if (oldLease !== 0n) this.leases.detach(oldLease, ks);
      if (newLease !== 0n) this.leases.attach(newLease, ks);
    }
  }

  /** @internal */
  finishTxn(txn: WriteTxn, events: MvccEvent[]): void {
    if (this.openTxn !== txn) throw new Error('mvcc: transaction is not the open one');
    this.openTxn = undefined;
    if (events.length === 0) return;
    this.currentRev = txn.beginRev + 1;
    this.log.append(events);
    for (const listener of this.listeners) listener(events, this.currentRev);
  }

  /** @internal */
  historyOf(key: string): KeyHistory | undefined {
    return this.histories.get(key);
  }

  // ---- snapshot support ----

  /** Every key's retained history in key order (for snapshots). */
  *exportHistories(): Generator<KeyHistory> {
    for (const key of this.index.keys()) yield this.histories.get(key)!;
  }

  /**
   * The histories of the keys after `afterKey` (all keys when undefined), in key order. Like
   * every iteration of the store, valid only until the next write: a reader spread over several
   * turns starts a new one after the last key it read.
   */
  *historiesAfter(afterKey: string | undefined): Generator<KeyHistory> {
    const keys = afterKey === undefined ? this.index.keys() : this.index.range(afterKey);
    for (const key of keys) {
      if (key !== afterKey) yield this.histories.get(key)!;
    }
  }

  /**
   * Replaces the whole state with a snapshot's: key histories, current and compaction
   * revisions. The event log is rebuilt from the histories. Lease attachments are re-announced.
   */
  restore(state: {
    currentRev: number;
    compactRev: number;
    histories: Iterable<KeyHistory>;
  }): void {
    if (this.openTxn !== undefined) throw new Error('mvcc: cannot restore during a transaction');
    this.index.clear();
    this.histories.clear();
    this.log.clear();
    this.liveKeys = 0;
    this.bytes = 0;
    this.currentRev = state.currentRev;
    this.compactMainRev = state.compactRev;
    this.physicalCompactRev = state.compactRev;
    this.restores++;
    const events: MvccEvent[] = [];
    for (const history of state.histories) {
      const ks = keyString(history.key);
      if (history.isEmpty) continue;
      this.histories.set(ks, history);
      this.index.insert(ks);
      let prev: KeyValue | undefined;
      for (const r of history.revisions) {
        this.bytes += footprint(history.key, r);
        if (r.main >= state.compactRev) {
          events.push(
            r.kv === null
              ? {
                  type: 'DELETE',
                  kv: tombstoneKv(history.key, r.main),
                  prevKv: prev,
                  sub: r.sub,
                  ks,
                }
              : { type: 'PUT', kv: r.kv, prevKv: prev, sub: r.sub, ks },
          );
        }
        prev = r.kv ?? undefined;
      }
      const current = history.current;
      if (current !== undefined) {
        this.liveKeys++;
        if (current.lease !== 0n) this.leases?.attach(current.lease, ks);
      }
    }
    events.sort((a, b) => a.kv.modRevision - b.kv.modRevision || a.sub - b.sub);
    this.log.append(events);
  }
}

/**
 * A write transaction: its puts and deletes all get revision beginRev+1 with increasing sub
 * revisions, and reads inside it see its own writes (as etcd's storeTxnWrite does). Nothing is
 * visible to other readers until `end()`, because reads outside pass the old revision.
 */
export class WriteTxn implements ReadView {
  private readonly changes: MvccEvent[] = [];
  private ended = false;

  constructor(
    private readonly store: MvccStore,
    readonly beginRev: number,
  ) {}

  /** The revision reads inside the transaction see. */
  get rev(): number {
    return this.changes.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  get compactRev(): number {
    return this.store.compactRev;
  }

  get changeCount(): number {
    return this.changes.length;
  }

  range(range: KeyRange, opts: RangeOptions = {}): RangeResult {
    this.checkOpen();
    return this.store.rangeAt(range, this.rev, opts);
  }

  /** Puts key=value (with a lease, 0n for none); returns the new key-value and the previous one. */
  put(key: Buffer, value: Buffer, lease: bigint): { kv: KeyValue; prev: KeyValue | undefined } {
    this.checkOpen();
    const ks = keyString(key);
    const rev = this.beginRev + 1;
    const prev = this.store.historyOf(ks)?.current;
    const kv: KeyValue = {
      key,
      createRevision: prev?.createRevision ?? rev,
      modRevision: rev,
      version: (prev?.version ?? 0) + 1,
      value,
      lease,
    };
    const sub = this.changes.length;
    this.store.applyRevision(key, ks, { main: rev, sub, kv }, prev);
    this.changes.push({ type: 'PUT', kv, prevKv: prev, sub, ks });
    return { kv, prev };
  }

  /** Deletes every live key in the range; returns the deleted key-values in key order. */
  deleteRange(range: KeyRange): KeyValue[] {
    this.checkOpen();
    const rev = this.beginRev + 1;
    // Collect first: deleting while iterating the index would be unsafe.
    const victims = [...this.store.entries(range, this.rev)];
    for (const prev of victims) {
      const sub = this.changes.length;
      const ks = keyString(prev.key);
      this.store.applyRevision(prev.key, ks, { main: rev, sub, kv: null }, prev);
      this.changes.push({ type: 'DELETE', kv: tombstoneKv(prev.key, rev), prevKv: prev, sub, ks });
    }
    return victims;
  }

  /** Commits: the store's revision becomes beginRev+1 if anything changed. Returns the events. */
  end(): MvccEvent[] {
    this.checkOpen();
    this.ended = true;
    this.store.finishTxn(this, this.changes);
    return this.changes;
  }

  private checkOpen(): void {
    if (this.ended) throw new Error('mvcc: transaction already ended');
  }
}
