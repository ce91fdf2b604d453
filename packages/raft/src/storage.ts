import {
  CompactedError,
  RaftContractError,
  RaftInvariantError,
  SnapshotOutOfDateError,
  UnavailableError,
} from './errors.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';
import { EMPTY_BYTES, EMPTY_CONF_STATE, EntryType, limitSize } from './types.js';

/** What a node restarts from: the last persisted hard state and membership. */
export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

/**
 * Read access to the persisted log, as the Raft state machine needs it. The host owns
 * writing (it persists what each Ready hands out); the library only reads.
 *
 * Index bounds: entries in [firstIndex(), lastIndex()] are available; the term of
 * firstIndex() - 1 is also available (it is the last compacted entry or the snapshot).
 * Methods are synchronous: the library never waits for I/O.
 */
export interface Storage {
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at most `maxBytes` in total but at least one entry if any.
   * Throws {@link CompactedError} if lo < firstIndex(), {@link UnavailableError} if the
   * range is past lastIndex().
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /**
   * Term of entry i, for i in [firstIndex() - 1, lastIndex()]. Throws CompactedError /
   * UnavailableError outside that range.
   */
  term(i: number): number;
  lastIndex(): number;
  /** Index of the first available entry; older entries were compacted into the snapshot. */
  firstIndex(): number;
  /**
   * The most recent snapshot. May throw {@link SnapshotTemporarilyUnavailableError} while
   * one is being produced; the leader then retries later.
   */
  snapshot(): Snapshot;
}

/**
 * An in-memory {@link Storage}: the reference implementation, used by tests, by hosts
 * that keep a cache of their durable log in memory, and by the benchmarks.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot;
  /**
   * ents[0] is a dummy entry holding the index and term of the snapshot (or of the last
   * compacted entry); ents[i] has log index ents[0].index + i.
   */
  private ents: Entry[];

  /** @param confState initial membership of a brand-new cluster (empty when joining). */
  constructor(confState: ConfState = EMPTY_CONF_STATE) {
    this.snap = { data: EMPTY_BYTES, metadata: { confState, index: 0, term: 0 } };
    this.ents = [dummyEntry(0, 0)];
  }

  /**
   * Storage for a founding member of a new cluster: the initial membership is recorded as
   * the snapshot {@link bootstrapSnapshot} returns, so that members added later (which
   * start from an empty storage) receive it. Every founding member must start from the
   * same voters and learners.
   */
  static bootstrap(voters: readonly number[], learners: readonly number[] = []): MemoryStorage {
    const s = new MemoryStorage();
    s.applySnapshot(bootstrapSnapshot(voters, learners));
    s.setHardState({ term: BOOTSTRAP_TERM, vote: 0, commit: BOOTSTRAP_INDEX });
    return s;
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) {
      throw new UnavailableError(hi - 1, this.lastIndex());
    }
    if (lo >= hi) return [];
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: number): number {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new CompactedError(i, offset + 1);
    const e = this.ents[i - offset];
    if (e === undefined) throw new UnavailableError(i, this.lastIndex());
    return e.term;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the contents with a snapshot (a follower installing the leader's snapshot). */
  applySnapshot(snap: Snapshot): void {
    const current = this.snap.metadata.index;
    if (snap.metadata.index <= current) {
      throw new SnapshotOutOfDateError(snap.metadata.index, current);
    }
    this.snap = snap;
    this.ents = [dummyEntry(snap.metadata.index, snap.metadata.term)];
  }

  /**
   * Records a snapshot of the state machine at applied index `i` (≤ lastIndex), with the
   * membership in force at i. Does not compact; call {@link compact} separately so that
   * some entries stay available for slow followers.
   */
  createSnapshot(i: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    const current = this.snap.metadata.index;
    if (i <= current) throw new SnapshotOutOfDateError(i, current);
    if (i > this.lastIndex()) {
      throw new RaftContractError(`snapshot index ${i} is past the last index ${this.lastIndex()}`);
    }
    const offset = this.ents[0]!.index;
    const term = this.ents[i - offset]!.term;
    this.snap = {
      data,
      metadata: { confState: confState ?? this.snap.metadata.confState, index: i, term },
    };
    return this.snap;
  }

  /**
   * Discards entries up to and including `compactIndex`. The host must only compact
   * entries it has applied (and normally snapshotted).
   */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex()) {
      throw new RaftContractError(
        `compact index ${compactIndex} is past the last index ${this.lastIndex()}`,
      );
    }
    const i = compactIndex - offset;
    const kept = this.ents.slice(i);
    kept[0] = dummyEntry(compactIndex, kept[0]!.term);
    this.ents = kept;
  }

  /**
   * Appends entries handed out by a Ready. Entries must be contiguous; an append that
   * starts inside the log replaces the conflicting suffix (a follower's log being fixed
   * up by a new leader).
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const firstNew = entries[0]!.index;
    const last = firstNew + entries.length - 1;
    if (last < first) return; // entirely compacted already
    let start = 0;
    if (first > firstNew) start = first - firstNew; // drop already-compacted prefix
    const appendAt = entries[start]!.index;
    const offset = appendAt - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new RaftInvariantError(
        `missing log entry [last: ${this.lastIndex()}, append at: ${appendAt}]`,
      );
    }
    // Truncating in place is safe: entries() only ever hands out copies.
    if (offset < this.ents.length) this.ents.length = offset;
    for (let k = start; k < entries.length; k++) {
      const e = entries[k]!;
      if (e.index !== appendAt + (k - start)) {
        throw new RaftContractError(`entries to append are not contiguous at index ${e.index}`);
      }
      this.ents.push(e);
    }
  }
}

const BOOTSTRAP_INDEX = 1;
const BOOTSTRAP_TERM = 1;

/**
 * The snapshot that founds a cluster: index 1, term 1, empty data, the initial membership.
 * A durable host persists it (and HardState {term: 1, vote: 0, commit: 1}) on every
 * founding member before starting it. Recording the membership in a snapshot rather than
 * in log entries means a node joining later gets it with the first snapshot the leader
 * sends, and the log never has to be kept from the beginning.
 */
export function bootstrapSnapshot(
  voters: readonly number[],
  learners: readonly number[] = [],
): Snapshot {
  if (voters.length === 0) throw new RaftContractError('bootstrap needs at least one voter');
  for (const id of [...voters, ...learners]) {
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new RaftContractError(`invalid node id ${id}: ids are positive safe integers`);
    }
  }
  if (new Set([...voters, ...learners]).size !== voters.length + learners.length) {
    throw new RaftContractError('bootstrap voters and learners must be distinct');
  }
  return {
    data: EMPTY_BYTES,
    metadata: {
      index: BOOTSTRAP_INDEX,
      term: BOOTSTRAP_TERM,
      confState: { ...EMPTY_CONF_STATE, voters: [...voters], learners: [...learners] },
    },
  };
}

function dummyEntry(index: number, term: number): Entry {
  return { index, term, type: EntryType.EntryNormal, data: EMPTY_BYTES };
}
