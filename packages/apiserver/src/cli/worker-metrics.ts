/**
 * `/metrics` of a server made of several worker processes (`--workers`): every worker's registry
 * (prom-client's `getMetricsAsJSON()`), merged into one exposition so that Prometheus sees one
 * server. Counters and histograms are summed (requests, events, durations of every worker); a
 * gauge is merged by what it measures: per-process amounts (requests in flight, watchers) are
 * summed, while a gauge that every worker measures of the same shared thing (objects in etcd, a
 * cache's resource version) takes the largest, so `apiserver_storage_objects` is not multiplied
 * by the number of workers. prom-client's AggregatorRegistry does the same, but it is reached
 * through prom-client itself, which this package does not depend on (component-base does).
 */

/** One metric of `Registry.getMetricsAsJSON()`. */
export interface MetricJSON {
  name: string;
  help: string;
  type: string;
  /** prom-client's merge mode, set on its own default metrics (e.g. `process_start_time_seconds`). */
  aggregator?: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

export type MergeMode = 'sum' | 'max' | 'min' | 'first' | 'average' | 'omit';

/**
 * Gauges that every worker measures of the same shared state: the largest value is the server's.
 * Every other gauge of this server is a per-process amount and is summed.
 */
const SHARED_GAUGES: Record<string, MergeMode> = {
  apiserver_storage_objects: 'max',
  apiserver_watch_cache_resource_version: 'max',
  apiserver_watch_cache_capacity: 'max',
  kubets_build_info: 'first',
};

/** How a metric's values from several workers merge. */
export function mergeMode(m: MetricJSON): MergeMode {
  const known = SHARED_GAUGES[m.name];
  if (known) return known;
  // prom-client's own default metrics say how they merge (start time: omit, versions: first).
  if (m.aggregator && m.aggregator !== 'sum') return m.aggregator as MergeMode;
  return 'sum';
}

/** Merges the workers' metrics (one array per worker) into one list. */
export function mergeWorkerMetrics(perWorker: MetricJSON[][]): MetricJSON[] {
  const byName = new Map<string, MetricJSON[]>();
  for (const metrics of perWorker) {
    for (const m of metrics) {
      let list = byName.get(m.name);
      if (!list) byName.set(m.name, (list = []));
      list.push(m);
    }
  }
  const out: MetricJSON[] = [];
  for (const [name, copies] of byName) {
    const first = copies[0]!;
    const mode = mergeMode(first);
    if (mode === 'omit') continue;
    // Same series (metric name + labels) across workers, in first-seen order.
    const series = new Map<
      string,
      { labels: Record<string, string | number>; metricName?: string; values: number[] }
    >();
    for (const m of copies) {
      for (const v of m.values) {
        const key = `${v.metricName ?? name}${labelText(v.labels)}`;
        let s = series.get(key);
        if (!s) {
          s = { labels: v.labels, values: [] };
          if (v.metricName !== undefined) s.metricName = v.metricName;
          series.set(key, s);
        }
        s.values.push(v.value);
      }
    }
    out.push({
      name,
      help: first.help,
      type: first.type,
      values: [...series.values()].map((s) => ({
        labels: s.labels,
        value: merge(mode, s.values),
        ...(s.metricName !== undefined ? { metricName: s.metricName } : {}),
      })),
    });
  }
  return out;
}

function merge(mode: MergeMode, values: number[]): number {
  switch (mode) {
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'first':
      return values[0]!;
    case 'average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      return values.reduce((a, b) => a + b, 0);
  }
}

/** The Prometheus text format (version 0.0.4, what the registry's content type says). */
export function exposition(metrics: MetricJSON[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${m.name} ${m.type}`);
    for (const v of m.values) {
      lines.push(`${v.metricName ?? m.name}${labelText(v.labels)} ${numberText(v.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function labelText(labels: Record<string, string | number>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const parts = entries.map(([k, v]) => {
    const text = typeof v === 'number' ? numberText(v) : v;
    return `${k}="${text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
}

function numberText(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}
