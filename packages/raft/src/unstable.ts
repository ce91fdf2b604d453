import { RaftInvariantError } from './errors.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The tail of the log that has not been handed to the host for persistence yet, or has
 * been handed out but not acknowledged: an optional incoming snapshot followed by
 * entries starting at `offset`.
 */
export class Unstable {
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];
  /** Log index of entries[0] (also the index just after the unstable snapshot). */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** First index of the log if a snapshot is pending (entries before it are gone). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === null ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    if (this.snapshot !== null) return this.snapshot.metadata.index;
    return undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot !== null && this.snapshot.metadata.index === i) {
        return this.snapshot.metadata.term;
      }
      return undefined;
    }
    const e = this.entries[i - this.offset];
    return e === undefined ? undefined : e.term;
  }

  /**
   * The host persisted entries up to (i, t). Ignored if the entry was replaced meanwhile
   * (a conflicting append between Ready and advance): the replacement stays unstable and
   * is handed out again.
   */
  stableTo(i: number, t: number): void {
    if (i < this.offset) return;
    const term = this.maybeTerm(i);
    if (term === undefined || term !== t) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
  }

  stableSnapTo(i: number): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === i) this.snapshot = null;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const fromIndex = ents[0]!.index;
    const end = this.offset + this.entries.length;
    if (fromIndex === end) {
      for (const e of ents) this.entries.push(e);
    } else if (fromIndex <= this.offset) {
      // The new entries replace everything unstable and possibly stable entries after
      // fromIndex: the host overwrites them when it persists these.
      this.entries = ents.slice();
      this.offset = fromIndex;
    } else if (fromIndex < end) {
      const kept = this.entries.slice(0, fromIndex - this.offset);
      for (const e of ents) kept.push(e);
      this.entries = kept;
    } else {
      throw new RaftInvariantError(
        `unstable append at ${fromIndex} leaves a gap after last index ${end - 1}`,
      );
    }
  }

  /** Entries in [lo, hi), which must lie within the unstable entries. */
  slice(lo: number, hi: number): Entry[] {
    if (lo > hi || lo < this.offset || hi > this.offset + this.entries.length) {
      throw new RaftInvariantError(
        `unstable slice [${lo}, ${hi}) out of bounds [${this.offset}, ${this.offset + this.entries.length})`,
      );
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
