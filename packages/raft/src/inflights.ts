import { RaftInvariantError } from './errors.js';

/**
 * The MsgApp messages sent to one follower and not yet acknowledged, as a ring buffer of
 * (last index, payload bytes). Flow control pauses replication when either the message
 * count or the byte total reaches its limit, bounding memory and the bandwidth-delay
 * product per follower.
 */
export class Inflights {
  private start = 0;
  private count = 0;
  private bytesTotal = 0;
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];

  /**
   * @param capacity maximum number of in-flight messages (> 0)
   * @param maxBytes maximum in-flight payload bytes; 0 means unlimited
   */
  constructor(
    readonly capacity: number,
    readonly maxBytes: number,
  ) {}

  /** Records a sent message whose last entry is `index`, carrying `bytes` of payload. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new RaftInvariantError('cannot add into a full inflights');
    let next = this.start + this.count;
    if (next >= this.capacity) next -= this.capacity;
    this.indexes[next] = index;
    this.sizes[next] = bytes;
    this.count++;
    this.bytesTotal += bytes;
  }

  /** Frees every message whose last index is ≤ `to` (they were acknowledged). */
  freeLE(to: number): void {
    if (this.count === 0 || to < this.indexes[this.start]!) return;
    let idx = this.start;
    let i = 0;
    let bytes = 0;
    for (; i < this.count; i++) {
      if (to < this.indexes[idx]!) break;
      bytes += this.sizes[idx]!;
      if (++idx >= this.capacity) idx -= this.capacity;
    }
    this.count -= i;
    this.bytesTotal -= bytes;
    this.start = this.count === 0 ? 0 : idx;
  }

  /** Frees the oldest message (used when a heartbeat shows the follower is alive). */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.freeLE(this.indexes[this.start]!);
  }

  full(): boolean {
    return this.count === this.capacity || (this.maxBytes > 0 && this.bytesTotal >= this.maxBytes);
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.bytesTotal;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytesTotal = 0;
  }
}
