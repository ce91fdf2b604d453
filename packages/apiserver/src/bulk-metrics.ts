/**
 * Prometheus metrics updated in bulk on hot paths, registered on the component's prom-client
 * registry as custom collectors (prom-client reads any object with name/help/type/get()/reset()).
 *
 * (Counters on hot paths use component-base's hotCount: plain additions folded into a
 * prom-client counter at scrape time.)
 *
 * BulkHistogram: a histogram that takes observations in bulk: "these sizes, each seen N times".
 * The watch fan-out writes the same batch of events to many watchers; prom-client's Histogram
 * would need one `observe` per event per watcher (half a million calls a second at 1,000
 * watchers), while a batch's bucket tally is computed once and added per watcher in a few
 * additions. The exposition is a regular histogram (`_bucket{le}` cumulative, `_sum`, `_count`),
 * registered on the component's prom-client registry as a custom collector.
 *
 * The same collector serves histograms observed once per request on hot paths (request and etcd
 * latency, admission per plugin): `observer(labels)` gives a handle for one label set, resolved
 * once by the caller, whose `observe` is a bucket search and three additions instead of
 * prom-client's label conversion, validation and hashing per call (ADR 0035).
 */
import type { Registry } from 'prom-client';

/** How one batch of observations falls into the buckets (computed once per batch). */
export interface Tally {
  /** Per bucket (the last one is +Inf), not cumulative. */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** One label set of a BulkHistogram taking single observations. */
export interface SeriesObserver {
  observe(value: number): void;
}

interface Series {
  labels: Record<string, string>;
  counts: Float64Array;
  sum: number;
  count: number;
}

type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

function register(registry: Registry, metric: object): void {
  registry.registerMetric(metric as Parameters<Registry['registerMetric']>[0]);
}

export class BulkHistogram {
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
    register(registry, this);
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
   * A handle for one label set taking single observations, as prom-client's `observe` but
   * without its per-call label conversion, validation and hashing: the caller resolves the
   * handle once per label set (hot request paths keep them in a map) and each observation is a
   * bucket search and three additions.
   */
  observer(labels: Record<string, string>): SeriesObserver {
    const series = this.seriesOf(labels);
    return {
      observe: (v: number): void => {
        // prom-client's check: a bad value fails its caller.
        if (!Number.isFinite(v)) throw new TypeError(`Value is not a valid number: ${v}`);
        series.counts[this.bucketOf(v)]!++;
        series.sum += v;
        series.count++;
      },
    };
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
