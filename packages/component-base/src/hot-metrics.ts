/**
 * Metrics bumped on hot paths without prom-client's per-call label hashing, exposed exactly as
 * prom-client's own: counter increments add up in plain numbers and are folded into the
 * prom-client counter by its collect hook just before a scrape (hotCount); histogram
 * observations go into a HotHistogram's plain numbers, which it exposes itself.
 */
import type { Registry } from 'prom-client';

/**
 * One label set of a counter bumped on a hot path (every peer write, every request): the
 * increments add up in a plain number and reach the Prometheus counter when it is scraped,
 * instead of each one paying prom-client's label hashing.
 */
export class HotCount {
  pending = 0;
  constructor(readonly labels: Record<string, string>) {}
  add(n = 1): void {
    this.pending += n;
  }
}

/** What hotCount needs of a prom-client counter. */
interface IncCounter {
  inc(labels: Record<string, string>, value: number): void;
}

const hotCounts = new WeakMap<object, Map<string, HotCount>>();

/**
 * The HotCount of `counter` for `labels` (one per label set, shared by every caller); the
 * counter folds them in before every scrape.
 */
export function hotCount(counter: object, labels: Record<string, string>): HotCount {
  let counts = hotCounts.get(counter);
  if (counts === undefined) {
    const byLabels = new Map<string, HotCount>();
    counts = byLabels;
    hotCounts.set(counter, byLabels);
    const target = counter as IncCounter & { collect?: () => void };
    // prom-client calls a metric's collect hook before reading its values (CounterConfiguration
    // `collect`); the component's counter factory does not take one, so it is set here.
    target.collect = () => {
      for (const c of byLabels.values()) {
        if (c.pending === 0) continue;
        target.inc(c.labels, c.pending);
        c.pending = 0;
      }
    };
  }
  const key = JSON.stringify(labels);
  let count = counts.get(key);
  if (count === undefined) {
    count = new HotCount(labels);
    counts.set(key, count);
  }
  return count;
}

/**
 * Makes an unlabelled gauge report `value()` at each scrape (its collect hook, as hotCount's),
 * for gauges that would otherwise be set after every Raft Ready.
 */
export function sampledGauge(gauge: object, value: () => number): void {
  const target = gauge as { set(v: number): void; collect?: () => void };
  target.collect = () => target.set(value());
}

/** What a hot path keeps of one label set of a HotHistogram: `observe(v)`. */
export interface HotObserver {
  observe(value: number): void;
}

/** How one batch of observations falls into a HotHistogram's buckets (computed once per batch). */
export interface Tally {
  /** Per bucket (the last one is +Inf), not cumulative. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface Series {
  labels: Record<string, string>;
  counts: Float64Array;
  sum: number;
  count: number;
  observer?: HotObserver;
}

type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

/**
 * A Prometheus histogram for hot paths, registered on the component's prom-client registry as a
 * custom collector (prom-client reads any object with name/help/type/get()/reset()); the
 * exposition is prom-client's own histogram text (`_bucket{le}` cumulative with `le` first,
 * `+Inf`, `_sum`, `_count`), and `aggregator: sum` lets a worker pool's registries merge it.
 *
 * Two ways in, both without prom-client's per-call label conversion, validation and hashing:
 * - `observer(labels)`: a handle for one label set, resolved once by the caller (hot paths keep
 *   it in a field or a map); each `observe(v)` is a bucket search and three additions into the
 *   series' numbers, read at scrape time (the API server's request, etcd and admission
 *   latencies, decision 0035; the store's WAL fsync and apply, decision 0030). Cheaper than
 *   queueing the values for prom-client's `observe` at scrape time (the store's former
 *   HotObserver, decision 0041): that paid prom-client's per-value cost later instead of never.
 * - `tally(values)` once and `child(labels).add(tally, times)` per receiver: "these values, each
 *   seen N times" (the watch fan-out writes the same batch of events to many watchers, which
 *   would be one prom-client observe per event per watcher).
 */
export class HotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    /** Increasing upper bounds; +Inf is implied. */
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The tally of `values` (each observed once). */
  tally(values: readonly number[]): Tally {
    const counts = new Float64Array(this.buckets.length + 1);
    let sum = 0;
    for (const v of values) {
      counts[this.bucketOf(v)]!++;
      sum += v;
    }
    return { counts, sum, count: values.length };
  }

  /** A handle for one label set: `add(tally, times)` costs one addition per bucket. */
  child(labels: Record<string, string>): { add(t: Tally, times?: number): void } {
    const series = this.seriesOf(labels);
    return {
      add: (t: Tally, times = 1): void => {
        const c = series.counts;
        for (let i = 0; i < c.length; i++) c[i]! += t.counts[i]! * times;
        series.sum += t.sum * times;
        series.count += t.count * times;
      },
    };
  }

  /**
   * The handle of one label set taking single observations (the same handle for the same label
   * set): as prom-client's `observe`, a value that is not finite throws at once.
   */
  observer(labels: Record<string, string> = {}): HotObserver {
    const series = this.seriesOf(labels);
    series.observer ??= {
      observe: (v: number): void => {
        // prom-client's check: a bad value fails its caller.
        if (!Number.isFinite(v)) throw new TypeError(`Value is not a valid number: ${v}`);
        series.counts[this.bucketOf(v)]!++;
        series.sum += v;
        series.count++;
      },
    };
    return series.observer;
  }

  private seriesOf(labels: Record<string, string>): Series {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: { ...labels },
        counts: new Float64Array(this.buckets.length + 1),
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    return s;
  }

  private bucketOf(v: number): number {
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) if (v <= b[i]!) return i;
    return b.length;
  }

  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Values } {
    const values: Values = [];
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        acc += s.counts[i]!;
        values.push({
          // `le` first, as prom-client writes it.
          labels: { le: i < this.buckets.length ? this.buckets[i]! : '+Inf', ...s.labels },
          value: acc,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

/**
 * The observer of `histogram` for `labels` (none: `{}`; one per label set, shared by every
 * caller): `histogram.observer(labels)`.
 */
export function hotObserver(
  histogram: HotHistogram,
  labels: Record<string, string> = {},
): HotObserver {
  return histogram.observer(labels);
}
