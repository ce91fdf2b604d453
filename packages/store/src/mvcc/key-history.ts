import { EMPTY_BUFFER, revisionFootprint, type KeyValue } from './kv.js';

/** One revision of one key: a put (kv set) or a deletion (kv null, a "tombstone"). */
export interface KeyRevision {
  readonly main: number;
  readonly sub: number;
  readonly kv: KeyValue | null;
}

/**
 * Every retained revision of one key, oldest first: etcd's keyIndex and the revisions it points
 * to in one place. A key keeps at most one revision per main revision (see `append`), so lookups
 * binary-search on `main` alone.
 */
export class KeyHistory {
  readonly revisions: KeyRevision[] = [];

  constructor(readonly key: Buffer) {}

  get latest(): KeyRevision | undefined {
    return this.revisions[this.revisions.length - 1];
  }

  /** The live key-value at the latest revision, undefined if deleted. */
  get current(): KeyValue | undefined {
    return this.latest?.kv ?? undefined;
  }

  /** The key-value visible at revision `rev`, undefined if absent or deleted then. */
  at(rev: number): KeyValue | undefined {
    const latest = this.latest;
    // Fast path: almost every read is at (or after) the key's latest revision.
    if (latest !== undefined && latest.main <= rev) return latest.kv ?? undefined;
    const i = this.lastIndexAtOrBefore(rev);
    return i < 0 ? undefined : (this.revisions[i]!.kv ?? undefined);
  }

  /**
   * Adds the key's newest revision. A second write of the key within the same main revision
   * (which etcd's request validation prevents, but the engine tolerates as etcd's does) replaces
   * the first: only the last write of a transaction is visible at its revision.
   */
  append(revision: KeyRevision): number {
    const latest = this.latest;
    if (latest !== undefined) {
      if (
        latest.main > revision.main ||
        (latest.main === revision.main && latest.sub >= revision.sub)
      ) {
        throw new Error(
          `mvcc: revision ${revision.main}.${revision.sub} of key ${JSON.stringify(this.key.toString())} is not after ${latest.main}.${latest.sub}`,
        );
      }
      if (latest.main === revision.main) {
        this.revisions[this.revisions.length - 1] = revision;
        return footprint(this.key, revision) - footprint(this.key, latest);
      }
    }
    this.revisions.push(revision);
    return footprint(this.key, revision);
  }

  /**
   * Drops the revisions nobody can read after a compaction at `atRev`: everything older than the
   * revision visible at atRev, and that revision too when it is a deletion older than atRev. A
   * deletion exactly at atRev is kept so the events of revision atRev (still watchable) can be
   * rebuilt from a snapshot. Returns the bytes released.
   */
  compact(atRev: number): number {
    const dropTo = this.retainedFrom(atRev);
    let released = 0;
    for (let j = 0; j < dropTo; j++) released += footprint(this.key, this.revisions[j]!);
    if (dropTo > 0) this.revisions.splice(0, dropTo);
    return released;
  }

  /**
   * Index of the first revision a compaction at `atRev` keeps (see `compact`). Readers that must
   * see the history as compacted while the splice itself is deferred (a snapshot being encoded,
   * HashKV) start there.
   */
  retainedFrom(atRev: number): number {
    const i = this.lastIndexAtOrBefore(atRev);
    if (i < 0) return 0;
    const visible = this.revisions[i]!;
    return visible.kv === null && visible.main < atRev ? i + 1 : i;
  }

  /** Number of revisions with main revision <= rev (the end of the history as of `rev`). */
  countAtOrBefore(rev: number): number {
    return this.lastIndexAtOrBefore(rev) + 1;
  }

  get isEmpty(): boolean {
    return this.revisions.length === 0;
  }

  private lastIndexAtOrBefore(rev: number): number {
    let lo = 0;
    let hi = this.revisions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.revisions[mid]!.main <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

export function footprint(key: Buffer, revision: KeyRevision): number {
  return revisionFootprint(key, revision.kv?.value ?? EMPTY_BUFFER);
}
