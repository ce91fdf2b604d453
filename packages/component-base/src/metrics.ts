/**
 * A prom-client registry per component (never the global one, so a test can run several
 * components in one process), with process/Node.js default metrics, the build info gauge, and
 * typed helpers to declare counters, gauges and histograms on it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HotHistogram } from './hot-metrics.js';

/** `kubernetes_build_info`'s counterpart: a gauge fixed at 1 whose labels describe the build. */
export const BUILD_INFO_METRIC = 'kubets_build_info';

export interface BuildInfo {
  /** Binary name, e.g. `kubets-store`. */
  component: string;
  /** Package version, e.g. `0.1.0`. */
  version: string;
  /** `git describe` style version; defaults to `v<version>`. */
  gitVersion?: string;
  /** Commit hash the binary was built from; defaults to `unknown`. */
  gitCommit?: string;
}

export interface MetricsOptions extends BuildInfo {
  /** Register `process_*` and `nodejs_*` metrics. Default true. */
  defaultMetrics?: boolean;
}

interface MetricBase<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface HistogramDefinition<L extends string> extends MetricBase<L> {
  /** Upper bounds; defaults to prom-client's (the Prometheus client defaults, in seconds). */
  buckets?: readonly number[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Metrics of one component: the registry that `/metrics` serves, plus declaration helpers. */
export class ComponentMetrics {
  readonly registry: Registry;

  constructor(options: MetricsOptions) {
    this.registry = new Registry();
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
    }
    const buildInfo = this.gauge({
      name: BUILD_INFO_METRIC,
      help: 'A metric with a constant value of 1 labeled by the component, version, git version and commit, Node.js version and platform from which the binary was built.',
      labelNames: ['component', 'version', 'git_version', 'git_commit', 'node_version', 'platform'],
    });
    buildInfo.set(
      {
        component: options.component,
        version: options.version,
        git_version: options.gitVersion ?? `v${options.version}`,
        git_commit: options.gitCommit ?? 'unknown',
        node_version: process.version,
        platform: `${process.platform}/${process.arch}`,
      },
      1,
    );
  }

  counter<L extends string = never>(definition: MetricBase<L>): Counter<L> {
    checkNames(definition);
    return new Counter<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames ?? [],
      registers: [this.registry],
    });
  }

  gauge<L extends string = never>(definition: MetricBase<L>): Gauge<L> {
    checkNames(definition);
    return new Gauge<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames ?? [],
      registers: [this.registry],
    });
  }

  histogram<L extends string = never>(definition: HistogramDefinition<L>): Histogram<L> {
    checkHistogram(definition);
    return new Histogram<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames ?? [],
      ...(definition.buckets === undefined ? {} : { buckets: [...definition.buckets] }),
      registers: [this.registry],
    });
  }

  /**
   * A histogram observed on a hot path (every request, every WAL write): its observers are
   * resolved once per label set and each observation is a few additions (see HotHistogram);
   * the exposition is the same as `histogram`'s.
   */
  hotHistogram<L extends string = never>(definition: HistogramDefinition<L>): HotHistogram {
    checkHistogram(definition);
    return new HotHistogram(
      definition.name,
      definition.help,
      definition.labelNames ?? [],
      definition.buckets ?? DEFAULT_BUCKETS,
      this.registry,
    );
  }

  /** The Prometheus text exposition of every metric. */
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type that goes with `scrape()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/** prom-client's default histogram buckets (the Prometheus client libraries' defaults). */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function checkHistogram(definition: HistogramDefinition<string>): void {
  checkNames(definition);
  if (definition.buckets !== undefined) {
    const buckets = definition.buckets;
    if (buckets.length === 0 || buckets.some((b, i) => i > 0 && b <= (buckets[i - 1] as number))) {
      throw new Error(`histogram ${definition.name}: buckets must be non-empty and increasing`);
    }
  }
}

function checkNames(definition: MetricBase<string>): void {
  if (!METRIC_NAME.test(definition.name)) {
    throw new Error(`invalid metric name "${definition.name}"`);
  }
  if (definition.help.trim() === '') {
    throw new Error(`metric ${definition.name} needs help text`);
  }
  for (const label of definition.labelNames ?? []) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      throw new Error(`metric ${definition.name}: invalid label name "${label}"`);
    }
  }
}

/** Creates the metrics of one component. */
export function createMetrics(options: MetricsOptions): ComponentMetrics {
  return new ComponentMetrics(options);
}

/** `[0.001, 0.002, 0.004, ...]`: Prometheus' `ExponentialBuckets(start, factor, count)`. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (start <= 0 || factor <= 1 || !Number.isInteger(count) || count < 1) {
    throw new RangeError('exponentialBuckets needs start > 0, factor > 1 and count >= 1');
  }
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** `[start, start + width, ...]`: Prometheus' `LinearBuckets(start, width, count)`. */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (width <= 0 || !Number.isInteger(count) || count < 1) {
    throw new RangeError('linearBuckets needs width > 0 and count >= 1');
  }
  return Array.from({ length: count }, (_, i) => start + width * i);
}
