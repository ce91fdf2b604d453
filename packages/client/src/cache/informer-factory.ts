/**
 * SharedInformerFactory: one informer per resource (and selector set), however many controllers
 * ask for it, so a process runs one list and one watch per resource. Informers requested before
 * `start` are started by it; later requests need another `start` call (upstream's contract).
 */
import type { GroupVersionResource, KubeObject, ListOptions } from '@kubets/apimachinery';
import type { DynamicClient, ListerWatcher } from '../rest/interfaces.js';
import type { BackoffManagerOptions, Random } from '../util/backoff.js';
import { realClock, type Clock } from '../util/clock.js';
import { stderrLogger, type Logger } from '../util/logger.js';
import { SharedIndexInformer, waitForCacheSync } from './shared-informer.js';
import type { Indexers } from './thread-safe-store.js';

export interface SharedInformerFactoryOptions {
  /** Resync period of informers that do not set their own (0 = none). */
  defaultResyncMs?: number;
  /** Watch only this namespace ('' or unset = all). */
  namespace?: string;
  /** Applied to every list and watch (e.g. a label selector for a sharded controller). */
  tweakListOptions?: (options: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>) => void;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  pageSize?: number;
  backoff?: BackoffManagerOptions;
  minWatchTimeoutMs?: number;
}

export interface InformerOptions<T> {
  resyncPeriodMs?: number;
  indexers?: Indexers<T>;
  transform?: (obj: T) => T;
}

interface Entry {
  informer: SharedIndexInformer<KubeObject>;
  running?: Promise<void>;
}

function gvrKey(gvr: GroupVersionResource): string {
  return `${gvr.group}/${gvr.version}/${gvr.resource}`;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly stop = new AbortController();
  private shuttingDown = false;

  constructor(
    private readonly client: DynamicClient,
    private readonly options: SharedInformerFactoryOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? stderrLogger;
  }

  /**
   * The informer for `gvr`, created on first request. Later requests get the same informer;
   * their options are ignored (the first caller's resync and indexers win; add indexers with
   * `addIndexers` instead).
   */
  forResource<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    informerOptions: InformerOptions<T> = {},
  ): SharedIndexInformer<T> {
    const key = gvrKey(gvr);
    const existing = this.informers.get(key);
    if (existing) return existing.informer as unknown as SharedIndexInformer<T>;
    if (this.shuttingDown) throw new Error('informer factory is shutting down');
    const listOptions: Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {};
    this.options.tweakListOptions?.(listOptions);
    const resource = this.client.resource<T>(gvr);
    const ns = this.options.namespace ?? '';
    const lw: ListerWatcher<T> = ns === '' ? resource : resource.namespace(ns);
    const informer = new SharedIndexInformer<T>(lw, {
      name: gvr.group === '' ? gvr.resource : `${gvr.resource}.${gvr.group}`,
      resyncPeriodMs: informerOptions.resyncPeriodMs ?? this.options.defaultResyncMs ?? 0,
      indexers: informerOptions.indexers,
      transform: informerOptions.transform,
      listOptions,
      pageSize: this.options.pageSize,
      clock: this.clock,
      random: this.options.random,
      logger: this.logger,
      backoff: this.options.backoff,
      minWatchTimeoutMs: this.options.minWatchTimeoutMs,
    });
    this.informers.set(key, { informer: informer as unknown as SharedIndexInformer<KubeObject> });
    return informer;
  }

  /** Starts every informer requested so far that is not running yet. Stops when `signal` aborts. */
  start(signal?: AbortSignal): void {
    if (this.shuttingDown) return;
    if (signal) {
      if (signal.aborted) return;
      signal.addEventListener('abort', () => this.stop.abort(), { once: true });
    }
    for (const [key, entry] of this.informers) {
      if (entry.running) continue;
      entry.running = entry.informer.run(this.stop.signal).catch((err: unknown) => {
        this.logger.error(err, 'informer stopped with an error', { resource: key });
      });
    }
  }

  /**
   * Waits until every started informer has synced. Resolves with each resource's state; false
   * entries mean `signal` aborted before that informer synced.
   */
  async waitForCacheSync(signal?: AbortSignal): Promise<Map<string, boolean>> {
    const started = [...this.informers].filter(([, e]) => e.running !== undefined);
    const out = new Map<string, boolean>();
    await waitForCacheSync(
      signal,
      started.map(
        ([, e]) =>
          () =>
            e.informer.hasSynced(),
      ),
      { clock: this.clock },
    );
    for (const [key, e] of started) out.set(key, e.informer.hasSynced());
    return out;
  }

  /** Stops every informer and waits for them to finish; the factory cannot be used afterwards. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.stop.abort();
    await Promise.all([...this.informers.values()].map((e) => e.running ?? Promise.resolve()));
  }
}
