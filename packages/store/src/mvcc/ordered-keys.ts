/**
 * A sorted set of keys with ordered range iteration: the "tree index" of the MVCC store.
 *
 * Keys are binary strings (`Buffer#toString('latin1')`): one UTF-16 code unit per byte, so the
 * built-in string comparison orders them exactly like etcd's `bytes.Compare`.
 *
 * The structure is a list of sorted chunks (each at most CHUNK_MAX keys) plus the last key of
 * every chunk for a binary search. Inserting or deleting touches one chunk (a memmove of at most
 * CHUNK_MAX pointers), lookups are two binary searches, and iteration walks arrays — simpler than
 * a B-tree and as fast in practice for the sizes a cluster store holds (millions of keys).
 */
const CHUNK_MAX = 512;

export class OrderedKeys {
  private chunks: string[][] = [];
  /** maxes[i] is the last (largest) key of chunks[i]. */
  private maxes: string[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Index of the first chunk whose max is >= key (chunks.length if none). */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.maxes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.maxes[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  clear(): void {
    this.chunks = [];
    this.maxes = [];
    this.count = 0;
  }

  has(key: string): boolean {
    const c = this.chunkFor(key);
    const chunk = this.chunks[c];
    if (chunk === undefined) return false;
    const i = lowerBound(chunk, key);
    return chunk[i] === key;
  }

  /** Adds key; returns false if it was already present. */
  insert(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.maxes.push(key);
      this.count = 1;
      return true;
    }
    let c = this.chunkFor(key);
    // Past the last max: append to the last chunk (the common case for increasing keys).
    if (c === this.chunks.length) c -= 1;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    if (chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    if (i === chunk.length - 1) this.maxes[c] = key;
    this.count += 1;
    if (chunk.length > CHUNK_MAX) {
      const half = chunk.splice(chunk.length >>> 1);
      this.chunks.splice(c + 1, 0, half);
      this.maxes.splice(c, 1, chunk[chunk.length - 1]!, half[half.length - 1]!);
    }
    return true;
  }

  /** Removes key; returns false if it was absent. */
  delete(key: string): boolean {
    const c = this.chunkFor(key);
    const chunk = this.chunks[c];
    if (chunk === undefined) return false;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count -= 1;
    if (chunk.length === 0) {
      this.chunks.splice(c, 1);
      this.maxes.splice(c, 1);
    } else {
      if (i === chunk.length) this.maxes[c] = chunk[chunk.length - 1]!;
      // Merge small neighbours so the chunk count stays proportional to size / CHUNK_MAX.
      const next = this.chunks[c + 1];
      if (next !== undefined && chunk.length + next.length <= CHUNK_MAX / 2) {
        chunk.push(...next);
        this.chunks.splice(c + 1, 1);
        this.maxes.splice(c, 2, chunk[chunk.length - 1]!);
      }
    }
    return true;
  }

  /**
   * Yields keys k with start <= k < end in ascending order. `end === undefined` means no upper
   * bound. The set must not be modified while iterating.
   */
  *range(start: string, end?: string): Generator<string> {
    let c = this.chunkFor(start);
    if (c >= this.chunks.length) return;
    let i = lowerBound(this.chunks[c]!, start);
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) {
        const key = chunk[i]!;
        if (end !== undefined && key >= end) return;
        yield key;
      }
    }
  }

  /** Yields keys k with start <= k < end in descending order (end undefined: unbounded). */
  *rangeReverse(start: string, end?: string): Generator<string> {
    let c: number;
    let i: number;
    if (end === undefined) {
      c = this.chunks.length - 1;
      i = c >= 0 ? this.chunks[c]!.length - 1 : -1;
    } else {
      c = Math.min(this.chunkFor(end), this.chunks.length - 1);
      i = c >= 0 ? lowerBound(this.chunks[c]!, end) - 1 : -1;
    }
    for (; c >= 0; c--, i = c >= 0 ? this.chunks[c]!.length - 1 : -1) {
      const chunk = this.chunks[c]!;
      for (; i >= 0; i--) {
        const key = chunk[i]!;
        if (key < start) return;
        yield key;
      }
    }
  }

  /** All keys in ascending order (for snapshots). */
  *keys(): Generator<string> {
    for (const chunk of this.chunks) yield* chunk;
  }
}

/** First index i with arr[i] >= key (arr.length if none). */
function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
