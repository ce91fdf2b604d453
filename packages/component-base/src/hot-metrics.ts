/**
 * Metrics bumped on hot paths without prom-client's per-call label hashing: increments add up
 * in plain numbers and are folded into the prom-client counter by its collect hook just before
 * a scrape, so the exposition is prom-client's own.
 */

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
