/**
 * cache.SharedIndexInformer: one reflector (one list + one watch) feeding one indexed cache and
 * any number of event handlers. Changes flow reflector -> DeltaFIFO -> (cache update, then
 * notification to every handler). The cache is updated before handlers hear about a change, so a
 * handler that reads the lister sees at least that state.
 */
import type { KubeObject, ListOptions } from '@kubets/apimachinery';
import type { ListerWatcher } from '../rest/interfaces.js';
import type { BackoffManagerOptions, Random } from '../util/backoff.js';
import { realClock, sleep, type Clock } from '../util/clock.js';
import { stderrLogger, type Logger } from '../util/logger.js';
import { DeltaFIFO, FIFOClosedError, type Delta } from './delta-fifo.js';
import { DeletedFinalStateUnknown, defaultKeyFunc, type KeyFunc } from './keys.js';
import { Lister } from './listers.js';
import {
  ProcessorListener,
  SharedProcessor,
  determineResyncPeriod,
  type ResourceEventHandler,
} from './processor.js';
import { Reflector } from './reflector.js';
import {
  NAMESPACE_INDEX,
  metaNamespaceIndexFunc,
  newIndexer,
  type Indexer,
  type Store,
} from './store.js';
import type { Indexers } from './thread-safe-store.js';

/** Handlers may not ask for resyncs more often than this. */
export const MINIMUM_RESYNC_PERIOD_MS = 1000;

/** Objects processed per turn before yielding to the event loop during a large (re)list. */
const YIELD_EVERY = 500;

export interface HandlerRegistration {
  /** True once this handler has received every object of the initial list. */
  hasSynced(): boolean;
}

export interface SharedIndexInformerOptions<T> {
  /** Default resync period of handlers (0 = no periodic resync). */
  resyncPeriodMs?: number;
  /** Index functions besides the namespace index every informer has. */
  indexers?: Indexers<T>;
  /** For logs and metrics: usually the resource. */
  name?: string;
  /** Label/field selectors applied to the list and watch. */
  listOptions?: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>;
  /** Applied once to each object before it is cached (e.g. drop managedFields to save memory). */
  transform?: (obj: T) => T;
  pageSize?: number;
  keyFunc?: KeyFunc<T>;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  backoff?: BackoffManagerOptions;
  minWatchTimeoutMs?: number;
}

function rvOf(obj: KubeObject): string | undefined {
  return obj.metadata?.resourceVersion;
}

export class SharedIndexInformer<T extends KubeObject = KubeObject> {
  readonly name: string;
  private readonly indexer: Indexer<T>;
  private readonly processor: SharedProcessor<T>;
  private readonly registrations = new Map<HandlerRegistration, ProcessorListener<T>>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly defaultResyncMs: number;
  private resyncCheckPeriodMs: number;
  private started = false;
  private stopped = false;
  private fifo: DeltaFIFO<T> | undefined;
  private reflector: Reflector<T> | undefined;
  private watchErrorHandler: ((err: unknown) => void) | undefined;

  constructor(
    private readonly lw: ListerWatcher<T>,
    private readonly options: SharedIndexInformerOptions<T> = {},
  ) {
    this.name = options.name ?? 'informer';
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? stderrLogger;
    this.defaultResyncMs = options.resyncPeriodMs ?? 0;
    if (this.defaultResyncMs < 0) throw new RangeError('resyncPeriodMs must be >= 0');
    this.resyncCheckPeriodMs = this.defaultResyncMs;
    const keyFunc = options.keyFunc ?? defaultKeyFunc;
    this.indexer = newIndexer<T>(keyFunc, {
      [NAMESPACE_INDEX]: metaNamespaceIndexFunc,
      ...(options.indexers ?? {}),
    });
    this.processor = new SharedProcessor<T>(this.clock);
  }

  /**
   * Registers a handler. Added after start, it first receives the current cache content as adds
   * (with isInInitialList true). `resyncPeriodMs` defaults to the informer's.
   */
  addEventHandler(
    handler: ResourceEventHandler<T>,
    resyncPeriodMs: number = this.defaultResyncMs,
  ): HandlerRegistration {
    if (this.stopped) throw new Error(`informer ${this.name} has stopped; cannot add a handler`);
    if (resyncPeriodMs < 0) throw new RangeError('resyncPeriodMs must be >= 0');
    let period = resyncPeriodMs;
    if (period > 0) {
      period = Math.max(period, MINIMUM_RESYNC_PERIOD_MS);
      if (period < this.resyncCheckPeriodMs) {
        if (this.started) {
          this.logger.warn('resync period smaller than the informer resync check period', {
            informer: this.name,
            requestedMs: period,
            usedMs: this.resyncCheckPeriodMs,
          });
          period = this.resyncCheckPeriodMs;
        } else {
          this.resyncCheckPeriodMs = period;
          this.processor.resyncCheckPeriodChanged(period);
        }
      } else if (this.resyncCheckPeriodMs === 0 && !this.started) {
        this.resyncCheckPeriodMs = period;
        this.processor.resyncCheckPeriodChanged(period);
      }
    }
    const listener = new ProcessorListener<T>(
      handler,
      period,
      determineResyncPeriod(period, this.resyncCheckPeriodMs),
      this.clock.now(),
      () => this.hasSynced(),
      this.logger,
    );
    this.processor.addListener(listener);
    // Replay the cache to a late joiner. Deltas are processed synchronously, so nothing can slip
    // in between this snapshot and the next live notification.
    if (this.started) {
      for (const obj of this.indexer.list())
        listener.add({ kind: 'add', obj, isInInitialList: true });
    }
    const reg: HandlerRegistration = { hasSynced: () => listener.hasSynced() };
    this.registrations.set(reg, listener);
    return reg;
  }

  removeEventHandler(reg: HandlerRegistration): void {
    const l = this.registrations.get(reg);
    if (!l) return;
    this.registrations.delete(reg);
    this.processor.removeListener(l);
  }

  /** The number of registered handlers. */
  get handlerCount(): number {
    return this.registrations.size;
  }

  getStore(): Store<T> {
    return this.indexer;
  }

  getIndexer(): Indexer<T> {
    return this.indexer;
  }

  lister(): Lister<T> {
    return new Lister(this.indexer);
  }

  addIndexers(indexers: Indexers<T>): void {
    this.indexer.addIndexers(indexers);
  }

  /** Replaces the default logging of list/watch failures; set before `run`. */
  setWatchErrorHandler(handler: (err: unknown) => void): void {
    if (this.started) throw new Error(`informer ${this.name} has already started`);
    this.watchErrorHandler = handler;
  }

  /** True once the initial list has been fully applied to the cache. */
  hasSynced(): boolean {
    return this.fifo?.hasSynced() ?? false;
  }

  lastSyncResourceVersion(): string {
    return this.reflector?.lastSyncResourceVersion() ?? '';
  }

  isStarted(): boolean {
    return this.started;
  }

  isStopped(): boolean {
    return this.stopped;
  }

  /** Lists, watches and dispatches until `signal` aborts; resolves once fully stopped. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`informer ${this.name} has already been started`);
    if (this.stopped) throw new Error(`informer ${this.name} has stopped`);
    this.started = true;
    const fifo = new DeltaFIFO<T>({
      keyFunc: this.options.keyFunc ?? defaultKeyFunc,
      knownObjects: this.indexer,
      emitDeltaTypeReplaced: true,
      transform: this.options.transform,
    });
    this.fifo = fifo;
    const reflector = new Reflector<T>(this.lw, fifo, {
      name: this.name,
      resyncPeriodMs: this.resyncCheckPeriodMs,
      shouldResync: () => this.processor.shouldResync(),
      pageSize: this.options.pageSize,
      listOptions: this.options.listOptions,
      clock: this.clock,
      random: this.options.random,
      logger: this.logger,
      backoff: this.options.backoff,
      minWatchTimeoutMs: this.options.minWatchTimeoutMs,
      watchErrorHandler: this.watchErrorHandler,
    });
    this.reflector = reflector;
    const onAbort = (): void => fifo.close();
    signal.addEventListener('abort', onAbort, { once: true });
    const reflectorDone = reflector.run(signal);
    try {
      await this.processLoop(fifo, signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      fifo.close();
      await reflectorDone;
      this.stopped = true;
      this.processor.stop();
    }
  }

  private async processLoop(fifo: DeltaFIFO<T>, signal: AbortSignal): Promise<void> {
    let sinceYield = 0;
    while (!signal.aborted) {
      try {
        await fifo.pop((deltas, isInInitialList) => this.handleDeltas(deltas, isInInitialList));
      } catch (err) {
        if (err instanceof FIFOClosedError) return;
        this.logger.error(err, 'processing deltas failed', { informer: this.name });
      }
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  /** Applies one key's deltas to the cache and tells the handlers, oldest first. */
  private handleDeltas(deltas: readonly Delta<T>[], isInInitialList: boolean): void {
    for (const d of deltas) {
      const obj = d.object;
      if (d.type === 'Deleted') {
        this.indexer.delete(obj);
        this.processor.distribute({ kind: 'delete', obj }, false);
        continue;
      }
      if (obj instanceof DeletedFinalStateUnknown) continue; // only Deleted deltas carry these
      const old = this.indexer.get(obj);
      if (old !== undefined) {
        this.indexer.update(obj);
        // An unchanged resourceVersion means nothing changed (a resync, or a relist that found
        // the object as it was): only handlers due for a resync hear about it.
        this.processor.distribute(
          { kind: 'update', oldObj: old, newObj: obj },
          rvOf(old) === rvOf(obj),
        );
      } else {
        this.indexer.add(obj);
        this.processor.distribute({ kind: 'add', obj, isInInitialList }, false);
      }
    }
  }
}

/**
 * Polls `hasSynced` functions every `intervalMs` (100 ms, as upstream) until all are true.
 * Resolves true when synced, false if `signal` aborted first (cache.WaitForCacheSync).
 */
export async function waitForCacheSync(
  signal: AbortSignal | undefined,
  hasSynced: readonly (() => boolean)[],
  options: { clock?: Clock; intervalMs?: number } = {},
): Promise<boolean> {
  const clock = options.clock ?? realClock;
  const interval = options.intervalMs ?? 100;
  for (;;) {
    if (hasSynced.every((f) => f())) return true;
    if (signal?.aborted) return false;
    if (!(await sleep(clock, interval, signal))) return hasSynced.every((f) => f());
  }
}
