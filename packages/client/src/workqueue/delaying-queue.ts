/**
 * workqueue.TypedDelayingInterface: `addAfter` puts an item on the queue once a delay has passed.
 * One timer is armed for the earliest pending item; an item already waiting keeps the earlier of
 * its two ready times, so repeated requeues cannot postpone it indefinitely.
 */
import type { Timer } from '../util/clock.js';
import { WorkQueue, type QueueOptions } from './queue.js';

interface Waiting<T> {
  item: T;
  readyAt: number;
  /** Insertion order, so items due at the same time keep FIFO order. */
  seq: number;
}

/** A binary min-heap on (readyAt, seq). */
class WaitHeap<T> {
  private readonly a: Waiting<T>[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): Waiting<T> | undefined {
    return this.a[0];
  }

  push(w: Waiting<T>): void {
    const a = this.a;
    a.push(w);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): Waiting<T> | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.a.length = 0;
  }
}

function less<T>(x: Waiting<T>, y: Waiting<T>): boolean {
  return x.readyAt < y.readyAt || (x.readyAt === y.readyAt && x.seq < y.seq);
}

export class DelayingQueue<T> extends WorkQueue<T> {
  /** item -> its ready time; heap entries that disagree with this map are stale. */
  private readonly waiting = new Map<T, number>();
  private readonly heap = new WaitHeap<T>();
  private seq = 0;
  private timer: Timer | undefined;
  private timerAt: number | undefined;

  constructor(options: QueueOptions = {}) {
    super(options);
  }

  /** Adds `item` after `delayMs` (immediately if <= 0). Counts as a retry in metrics. */
  addAfter(item: T, delayMs: number): void {
    if (this.shuttingDown()) return;
    if (Number.isNaN(delayMs)) throw new RangeError('addAfter: delay is NaN');
    this.metrics.retry();
    if (delayMs <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const current = this.waiting.get(item);
    if (current !== undefined && current <= readyAt) return;
    this.waiting.set(item, readyAt);
    this.heap.push({ item, readyAt, seq: this.seq++ });
    this.arm();
  }

  /** Items waiting for their delay to pass. */
  waitingCount(): number {
    return this.waiting.size;
  }

  protected override onShutDown(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = undefined;
    this.waiting.clear();
    this.heap.clear();
  }

  private arm(): void {
    this.dropStale();
    const next = this.heap.peek();
    if (!next) return;
    if (this.timerAt !== undefined && this.timerAt <= next.readyAt) return;
    this.timer?.cancel();
    this.timerAt = next.readyAt;
    this.timer = this.clock.setTimer(() => this.fire(), next.readyAt - this.clock.now());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    const now = this.clock.now();
    for (;;) {
      this.dropStale();
      const next = this.heap.peek();
      if (!next || next.readyAt > now) break;
      this.heap.pop();
      this.waiting.delete(next.item);
      this.add(next.item);
    }
    this.arm();
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap.peek();
      if (!top || this.waiting.get(top.item) === top.readyAt) return;
      this.heap.pop();
    }
  }
}
