import type { MvccEvent } from './kv.js';

/**
 * The store's change history in revision order, kept from the compaction revision on: what
 * watchers replay when they start at a past revision or fall behind. etcd reads the same from its
 * revision-keyed bolt bucket; here the events share their KeyValue objects with the key index, so
 * the log costs one small object per event.
 *
 * Backed by an array with a moving start offset, so dropping a compacted prefix is O(1) amortised.
 */
export class EventLog {
  private events: MvccEvent[] = [];
  private start = 0;

  get length(): number {
    return this.events.length - this.start;
  }

  append(events: readonly MvccEvent[]): void {
    for (const e of events) this.events.push(e);
  }

  /** Index (for `slice`) of the first event with revision >= rev. */
  indexOf(rev: number): number {
    let lo = this.start;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.kv.modRevision < rev) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.start;
  }

  at(index: number): MvccEvent | undefined {
    return this.events[this.start + index];
  }

  /** Events with revision in [fromRev, toRev], in order. */
  *between(fromRev: number, toRev: number): Generator<MvccEvent> {
    for (let i = this.start + this.indexOf(fromRev); i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.kv.modRevision > toRev) return;
      yield e;
    }
  }

  /** Forgets events with revision < rev. */
  dropBefore(rev: number): void {
    this.start += this.indexOf(rev);
    // Reclaim the dead prefix once it dominates the array.
    if (this.start > 1024 && this.start * 2 > this.events.length) {
      this.events = this.events.slice(this.start);
      this.start = 0;
    }
  }

  clear(): void {
    this.events = [];
    this.start = 0;
  }
}
