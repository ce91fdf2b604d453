/**
 * workqueue.Typed: a work queue for controllers with three guarantees:
 * - an item queued several times before it is processed is processed once (deduplication);
 * - an item is never handed to two workers at once;
 * - an item added while it is being processed is processed again after `done` (no lost update).
 * Items are compared with SameValueZero (use string keys such as `namespace/name`).
 */
import { realClock, type Clock } from '../util/clock.js';
import {
  noopQueueMetrics,
  workqueueMetricsProvider,
  type QueueMetrics,
  type WorkqueueMetricsProvider,
} from './metrics.js';
import type { Registry } from 'prom-client';

export interface QueueOptions {
  /** Names the queue in metrics; unnamed queues are not measured. */
  name?: string;
  clock?: Clock;
  /** Where to register the workqueue_* metrics (needs `name`). */
  registry?: Registry;
  /** Alternatively, an explicit provider (e.g. shared by many queues). */
  metricsProvider?: WorkqueueMetricsProvider;
}

export type GetResult<T> = { item: T; shutdown: false } | { item: undefined; shutdown: true };

export class WorkQueue<T> {
  protected readonly clock: Clock;
  protected readonly metrics: QueueMetrics<T>;
  private readonly releaseMetrics: () => void;
  private queue: T[] = [];
  private head = 0;
  /** Items that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<T>();
  /** Items handed out and not yet `done`. */
  private readonly processing = new Set<T>();
  private getters: ((r: GetResult<T>) => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private shutting = false;
  private draining = false;

  constructor(options: QueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    const provider =
      options.metricsProvider ??
      (options.registry ? workqueueMetricsProvider(options.registry) : undefined);
    if (provider && options.name) {
      const m = provider.forQueue<T>(options.name, this.clock);
      this.metrics = m;
      this.releaseMetrics = () => m.release();
    } else {
      if (provider && !options.name) throw new Error('a measured workqueue needs a name');
      this.metrics = noopQueueMetrics;
      this.releaseMetrics = () => undefined;
    }
  }

  /** Marks `item` as needing processing. Ignored after shutdown. */
  add(item: T): void {
    if (this.shutting) return;
    if (this.dirty.has(item)) return;
    this.metrics.add(item);
    this.dirty.add(item);
    // Being processed: `done` will queue it again.
    if (this.processing.has(item)) return;
    this.queue.push(item);
    this.dispatch();
  }

  /** Items waiting to be handed out. */
  len(): number {
    return this.queue.length - this.head;
  }

  /**
   * The next item, waiting for one if needed. `shutdown: true` once the queue is shut down and
   * empty: the worker should exit. Every item received must be passed to `done`.
   */
  get(): Promise<GetResult<T>> {
    if (this.len() > 0) return Promise.resolve(this.take());
    if (this.shutting) return Promise.resolve({ item: undefined, shutdown: true });
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `item` processed; if it was re-added meanwhile it is queued again. */
  done(item: T): void {
    this.metrics.done(item);
    this.processing.delete(item);
    if (this.dirty.has(item)) {
      this.queue.push(item);
      this.dispatch();
    } else if (this.processing.size === 0) {
      this.wakeDrainWaiters();
    }
  }

  /** Stops accepting items; workers get the items still queued, then `shutdown: true`. */
  shutDown(): void {
    this.draining = false;
    this.shutting = true;
    this.onShutDown();
    const getters = this.getters;
    this.getters = [];
    for (const g of getters) g({ item: undefined, shutdown: true });
    this.wakeDrainWaiters();
    this.releaseMetrics();
  }

  /**
   * Shuts down and resolves once every item handed out has been marked `done`. A plain
   * `shutDown` meanwhile ends the wait early.
   */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    this.draining = true;
    while (this.draining && this.processing.size > 0) {
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    }
    this.draining = false;
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  /** Items handed out and not yet done. */
  processingCount(): number {
    return this.processing.size;
  }

  /** Hook for subclasses (the delaying queue stops its timer). */
  protected onShutDown(): void {}

  private take(): GetResult<T> {
    const item = this.queue[this.head]!;
    this.queue[this.head] = undefined as T;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.metrics.get(item);
    this.processing.add(item);
    this.dirty.delete(item);
    return { item, shutdown: false };
  }

  /** Hands queued items straight to waiting workers, oldest waiter first. */
  private dispatch(): void {
    while (this.getters.length > 0 && this.len() > 0) {
      const g = this.getters.shift()!;
      g(this.take());
    }
  }

  private wakeDrainWaiters(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }
}
