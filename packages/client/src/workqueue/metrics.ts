/**
 * Workqueue metrics with client-go's names, help texts and buckets (workqueue_*, label `name`),
 * registered on a caller-provided prom-client Registry so existing controller dashboards work.
 * Only named queues are measured, as upstream. The in-progress gauges (unfinished work, longest
 * running processor) are computed when scraped instead of by a background ticker.
 */
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';
import type { Clock } from '../util/clock.js';

/** What a queue reports; every method is O(1). */
export interface QueueMetrics<T> {
  add(item: T): void;
  get(item: T): void;
  done(item: T): void;
  retry(): void;
}

/** For unnamed queues. */
export const noopQueueMetrics: QueueMetrics<unknown> = {
  add: () => undefined,
  get: () => undefined,
  done: () => undefined,
  retry: () => undefined,
};

class DefaultQueueMetrics<T> implements QueueMetrics<T> {
  /** When each queued item was first added (not reset by duplicate adds). */
  private readonly addTimes = new Map<T, number>();
  /** When each item being processed was handed out. */
  readonly processingStartTimes = new Map<T, number>();

  constructor(
    readonly name: string,
    readonly clock: Clock,
    private readonly m: WorkqueueMetricsProvider['metrics'],
  ) {}

  add(item: T): void {
    this.m.adds.inc({ name: this.name });
    this.m.depth.inc({ name: this.name });
    if (!this.addTimes.has(item)) this.addTimes.set(item, this.clock.now());
  }

  get(item: T): void {
    this.m.depth.dec({ name: this.name });
    const now = this.clock.now();
    this.processingStartTimes.set(item, now);
    const added = this.addTimes.get(item);
    if (added !== undefined) {
      this.m.latency.observe({ name: this.name }, (now - added) / 1000);
      this.addTimes.delete(item);
    }
  }

  done(item: T): void {
    const start = this.processingStartTimes.get(item);
    if (start === undefined) return;
    this.m.workDuration.observe({ name: this.name }, (this.clock.now() - start) / 1000);
    this.processingStartTimes.delete(item);
  }

  retry(): void {
    this.m.retries.inc({ name: this.name });
  }
}

/** The seven workqueue metrics on one registry; make one per registry and share it. */
export class WorkqueueMetricsProvider {
  readonly metrics: {
    depth: Gauge<'name'>;
    adds: Counter<'name'>;
    latency: Histogram<'name'>;
    workDuration: Histogram<'name'>;
    unfinished: Gauge<'name'>;
    longestRunning: Gauge<'name'>;
    retries: Counter<'name'>;
  };
  private readonly live = new Set<DefaultQueueMetrics<unknown>>();

  constructor(registry: Registry) {
    const registers = [registry];
    const buckets = exponentialBuckets(10e-9, 10, 10);
    const inProgress = (
      pick: (q: DefaultQueueMetrics<unknown>, now: number) => number,
      combine: (a: number, b: number) => number,
    ) => {
      const byName = new Map<string, number>();
      for (const q of this.live) {
        const v = pick(q, q.clock.now());
        const prev = byName.get(q.name);
        byName.set(q.name, prev === undefined ? v : combine(prev, v));
      }
      return byName;
    };
    const unfinished: Gauge<'name'> = new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: "How many seconds of work has done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames: ['name'],
      registers,
      collect: () => {
        const values = inProgress(
          (q, now) => {
            let total = 0;
            for (const t of q.processingStartTimes.values()) total += now - t;
            return total / 1000;
          },
          (a, b) => a + b,
        );
        for (const [name, v] of values) unfinished.set({ name }, v);
      },
    });
    const longestRunning: Gauge<'name'> = new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: ['name'],
      registers,
      collect: () => {
        const values = inProgress((q, now) => {
          let longest = 0;
          for (const t of q.processingStartTimes.values()) longest = Math.max(longest, now - t);
          return longest / 1000;
        }, Math.max);
        for (const [name, v] of values) longestRunning.set({ name }, v);
      },
    });
    this.metrics = {
      depth: new Gauge({
        name: 'workqueue_depth',
        help: 'Current depth of workqueue',
        labelNames: ['name'],
        registers,
      }),
      adds: new Counter({
        name: 'workqueue_adds_total',
        help: 'Total number of adds handled by workqueue',
        labelNames: ['name'],
        registers,
      }),
      latency: new Histogram({
        name: 'workqueue_queue_duration_seconds',
        help: 'How long in seconds an item stays in workqueue before being requested.',
        labelNames: ['name'],
        buckets,
        registers,
      }),
      workDuration: new Histogram({
        name: 'workqueue_work_duration_seconds',
        help: 'How long in seconds processing an item from workqueue takes.',
        labelNames: ['name'],
        buckets,
        registers,
      }),
      unfinished,
      longestRunning,
      retries: new Counter({
        name: 'workqueue_retries_total',
        help: 'Total number of retries handled by workqueue',
        labelNames: ['name'],
        registers,
      }),
    };
  }

  /** Metrics for the queue called `name`; `release` stops its in-progress reporting. */
  forQueue<T>(name: string, clock: Clock): QueueMetrics<T> & { release(): void } {
    if (name === '') throw new Error('workqueue metrics need a queue name');
    const q = new DefaultQueueMetrics<T>(name, clock, this.metrics);
    this.live.add(q);
    const release = (): void => {
      this.live.delete(q);
      // A stopped queue has no work in progress; do not leave its last value behind.
      if (![...this.live].some((other) => other.name === name)) {
        this.metrics.unfinished.set({ name }, 0);
        this.metrics.longestRunning.set({ name }, 0);
      }
    };
    return Object.assign(q, { release });
  }
}

const providers = new WeakMap<Registry, WorkqueueMetricsProvider>();

/** The provider of `registry`, created on first use (a metric name can be registered once). */
export function workqueueMetricsProvider(registry: Registry): WorkqueueMetricsProvider {
  let p = providers.get(registry);
  if (!p) {
    p = new WorkqueueMetricsProvider(registry);
    providers.set(registry, p);
  }
  return p;
}
