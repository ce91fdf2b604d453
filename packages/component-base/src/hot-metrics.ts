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

/**
 * One label set of a histogram observed on a hot path (every WAL write, every apply): values
 * wait in a small typed array and reach the prom-client histogram in a batch, when the array is
 * full or just before a scrape, instead of each paying prom-client's observe (label
 * conversion and validation, hashing, a closure per call). The batch runs prom-client's own
 * observe, so the exposition is identical; only when it runs changes. In a member that sleeps
 * between requests each observe ran cold, ~4 µs of a put's critical path per histogram
 * (decision 0030), against a store into an array here.
 */
export class HotObserver {
  private readonly values = new Float64Array(HOT_OBSERVER_BATCH);
  private n = 0;

  constructor(
    private readonly histogram: ObserveHistogram,
    readonly labels: Record<string, string>,
  ) {}

  observe(value: number): void {
    // prom-client's check, made here so a bad value fails its caller, not the next scrape.
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    this.values[this.n++] = value;
    if (this.n === HOT_OBSERVER_BATCH) this.flush();
  }

  /** Hands the waiting values to the histogram. */
  flush(): void {
    const n = this.n;
    this.n = 0;
    for (let i = 0; i < n; i++) this.histogram.observe(this.labels, this.values[i]!);
  }
}

/** Values a HotObserver keeps before handing them over. */
const HOT_OBSERVER_BATCH = 256;

/** What hotObserver needs of a prom-client histogram. */
interface ObserveHistogram {
  observe(labels: Record<string, string>, value: number): void;
}

const hotObservers = new WeakMap<object, Map<string, HotObserver>>();

/**
 * The HotObserver of `histogram` for `labels` (none: `{}`; one per label set, shared by every
 * caller); the histogram takes in their values before every scrape.
 */
export function hotObserver(histogram: object, labels: Record<string, string> = {}): HotObserver {
  let observers = hotObservers.get(histogram);
  const target = histogram as ObserveHistogram & { collect?: () => void };
  if (observers === undefined) {
    const byLabels = new Map<string, HotObserver>();
    observers = byLabels;
    hotObservers.set(histogram, byLabels);
    // As hotCount: prom-client calls the collect hook before reading the values.
    target.collect = () => {
      for (const o of byLabels.values()) o.flush();
    };
  }
  const key = JSON.stringify(labels);
  let observer = observers.get(key);
  if (observer === undefined) {
    observer = new HotObserver(target, labels);
    observers.set(key, observer);
  }
  return observer;
}
