import { CompactedError, RaftInvariantError, UnavailableError } from './errors.js';
import type { Storage } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { limitSize } from './types.js';
import { Unstable } from './unstable.js';

/**
 * The node's view of the replicated log: the persisted part (read through {@link Storage})
 * followed by the unstable tail, plus the commit and applied indexes.
 *
 * Invariant: applied ≤ committed ≤ lastIndex().
 */
export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index the host has applied to its state machine. */
  applied: number;
  /** Upper bound on the bytes of committed entries handed out in one Ready. */
  readonly maxApplyingBytes: number;

  constructor(storage: Storage, maxApplyingBytes: number) {
    this.storage = storage;
    this.maxApplyingBytes = maxApplyingBytes;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // Everything up to the last compaction was committed and applied.
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /**
   * Term of entry i. Throws CompactedError for i < firstIndex()-1 and UnavailableError for
   * i > lastIndex().
   */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    const first = this.firstIndex();
    if (i + 1 < first) throw new CompactedError(i, first);
    const last = this.lastIndex();
    if (i > last) throw new UnavailableError(i, last);
    return this.storage.term(i);
  }

  /** Term of entry i, or 0 when it is compacted or unavailable. */
  termOrZero(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return 0;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return 0;
      throw err;
    }
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, term: number): boolean {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t === term;
    if (i + 1 < this.firstIndex() || i > this.lastIndex()) return false;
    try {
      return this.storage.term(i) === term;
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return false;
      throw err;
    }
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends entries that follow (index, logTerm) if our log matches there (the AppendEntries
   * consistency check, §5.3). Returns the index of the last new entry, or -1 on mismatch.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError(
          `entry ${ci} conflicts with committed entry [committed(${this.committed})]`,
        );
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Appends entries (truncating any conflicting suffix). Returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(
        `append after ${after} would truncate committed entries [committed(${this.committed})]`,
      );
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Index of the first entry whose term differs from ours (or that we lack), or 0 if all
   * entries are already in the log.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * For a rejected append: the largest index ≤ `index` whose term is ≤ `term`, with its
   * term. The leader can skip every entry above it in one round trip (fast backtracking).
   * A term of 0 means the term is unknown (compacted): the index is a possible match.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      let ours: number;
      try {
        ours = this.term(index);
      } catch (err) {
        if (err instanceof CompactedError || err instanceof UnavailableError) {
          return { index, term: 0 };
        }
        throw err;
      }
      if (ours <= term) return { index, term: ours };
    }
    return { index: 0, term: 0 };
  }

  /** Entries from i to the end, limited to maxBytes (at least one). */
  entries(i: number, maxBytes: number): Entry[] {
    const last = this.lastIndex();
    if (i > last) return [];
    return this.slice(i, last + 1, maxBytes);
  }

  /** Entries in [lo, hi), limited to maxBytes (at least one). Throws CompactedError. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo > hi) throw new RaftInvariantError(`invalid slice ${lo} > ${hi}`);
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    const last = this.lastIndex();
    if (hi > last + 1) {
      throw new RaftInvariantError(`slice [${lo},${hi}) out of bound [${first},${last}]`);
    }
    if (lo === hi) return [];
    const off = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < off) {
      const storedHi = Math.min(hi, off);
      ents = this.storage.entries(lo, storedHi, maxBytes);
      // A short read means the size limit was reached.
      if (ents.length < storedHi - lo) return ents;
    }
    if (hi > off) {
      const tail = this.unstable.slice(Math.max(lo, off), hi);
      // concat, not push: the storage may have returned an array it still owns.
      ents = ents.length > 0 ? ents.concat(tail) : tail;
    }
    return limitSize(ents, maxBytes);
  }

  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      const last = this.lastIndex();
      if (last < toCommit) {
        throw new RaftInvariantError(
          `commit index ${toCommit} is out of range [lastIndex(${last})]; was the log corrupted, truncated, or lost?`,
        );
      }
      this.committed = toCommit;
    }
  }

  /** Advances commit to maxIndex if that entry is from `term` (§5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && term !== 0 && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new RaftInvariantError(
        `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
      );
    }
    this.applied = i;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== null;
  }

  /**
   * Committed entries not yet applied. Unpersisted entries are included: the Ready
   * contract makes the host persist them before applying. None while a snapshot is
   * pending (it must be applied first).
   */
  nextCommittedEntries(): Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const lo = this.applied + 1;
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingBytes);
  }

  hasNextCommittedEntries(): boolean {
    return !this.hasPendingSnapshot() && this.applied < this.committed;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replaces the log with a snapshot received from the leader. */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /**
   * Highest index known to be persisted. Entries above it are unstable; a leader must not
   * count them toward its own match until the host acknowledges them.
   */
  lastPersistedIndex(): number {
    return Math.min(this.lastIndex(), this.unstable.offset - 1);
  }
}
