/**
 * cache.Reflector: keeps a store in step with the API server by listing once and then watching
 * from the list's resourceVersion.
 *
 * - The first list asks for resourceVersion "0" (any recent state, cheap for the server) in pages;
 *   later lists ask for "at least as new as the last one seen".
 * - A watch that ends (server timeout, connection lost) is re-opened from the last
 *   resourceVersion seen, so nothing is listed again and nothing is missed.
 * - A watch answered with 410 Gone / Expired ("too old resource version": the server compacted the
 *   history the watch needed) ends the cycle; the next one relists, and the relist reports
 *   objects deleted in the gap as tombstones (DeltaFIFO.replace).
 * - BOOKMARK events advance the resourceVersion without touching the store, so a quiet resource
 *   resumes from a recent version instead of one about to be compacted.
 * - Failures back off exponentially (800 ms .. 30 s, jittered), forgetting after 2 healthy minutes.
 */
import type { KubeObject, ListOptions } from '@kubets/apimachinery';
import { StatusError, isGone, isResourceExpired, isTooManyRequests } from '@kubets/apimachinery';
import { isConnectionError, isConnectionRefused } from '../rest/errors.js';
import type { ListerWatcher, WatchStream } from '../rest/interfaces.js';
import {
  BackoffManager,
  REFLECTOR_BACKOFF,
  type BackoffManagerOptions,
  type Random,
} from '../util/backoff.js';
import { realClock, sleep, type Clock, type Timer } from '../util/clock.js';
import { stderrLogger, type Logger } from '../util/logger.js';
import { DEFAULT_PAGE_SIZE, listAllPages } from './pager.js';
import type { ReflectorStore } from './store.js';

/** Watches last between 5 and 10 minutes (randomized) so that watchers do not all renew at once. */
export const MIN_WATCH_TIMEOUT_MS = 5 * 60_000;

/** A watch that ends within this time without any event counts as a failure (and backs off). */
const SHORT_WATCH_MS = 1000;

export interface ReflectorOptions {
  /** For logs: usually the informer's resource. */
  name?: string;
  /** Periodic resync of the store (0 = never). */
  resyncPeriodMs?: number;
  /** Asked at every resync tick; resync happens only when it returns true. */
  shouldResync?: () => boolean;
  /**
   * Page size of lists. Unset: 500 for lists at resourceVersion "" / "0", and unpaginated for
   * relists at a known resourceVersion (which a watch cache can serve whole), as upstream.
   */
  pageSize?: number;
  /** Narrows what is listed and watched (label/field selectors). */
  listOptions?: Pick<ListOptions, 'labelSelector' | 'fieldSelector'>;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  backoff?: BackoffManagerOptions;
  minWatchTimeoutMs?: number;
  /** Called with every error that ends a list-and-watch cycle (cache.WatchErrorHandler). */
  watchErrorHandler?: (err: unknown) => void;
}

/** isExpiredError: the requested resourceVersion is no longer available. */
export function isExpiredError(err: unknown): boolean {
  return isResourceExpired(err) || isGone(err);
}

/** A 504 whose cause says the requested resourceVersion is newer than the server's. */
export function isTooLargeResourceVersionError(err: unknown): boolean {
  if (!(err instanceof StatusError)) return false;
  return (err.status.details?.causes ?? []).some((c) => c.reason === 'ResourceVersionTooLarge');
}

class VeryShortWatchError extends Error {
  constructor(name: string) {
    super(
      `${name}: very short watch: Unexpected watch close - watch lasted less than a second and no items received`,
    );
    this.name = 'VeryShortWatchError';
  }
}

function eventResourceVersion(obj: unknown): string {
  const meta = (obj as KubeObject | undefined)?.metadata;
  return typeof meta?.resourceVersion === 'string' ? meta.resourceVersion : '';
}

export class Reflector<T extends KubeObject> {
  readonly name: string;
  private lastSyncRV = '';
  private lastSyncRVUnavailable = false;
  private paginatedResult = false;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly backoff: BackoffManager;
  private readonly initConnBackoff: BackoffManager;

  constructor(
    private readonly lw: ListerWatcher<T>,
    private readonly store: ReflectorStore<T>,
    private readonly options: ReflectorOptions = {},
  ) {
    this.name = options.name ?? 'reflector';
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? stderrLogger;
    const backoff = options.backoff ?? REFLECTOR_BACKOFF;
    this.backoff = new BackoffManager(backoff, this.clock, this.random);
    this.initConnBackoff = new BackoffManager(backoff, this.clock, this.random);
    if (
      options.pageSize !== undefined &&
      (!Number.isInteger(options.pageSize) || options.pageSize < 0)
    ) {
      throw new RangeError(`pageSize must be an integer >= 0, got ${options.pageSize}`);
    }
    if ((options.resyncPeriodMs ?? 0) < 0) {
      throw new RangeError(`resyncPeriodMs must be >= 0, got ${options.resyncPeriodMs}`);
    }
  }

  /** The resourceVersion of the last list or event applied to the store ('' before the first). */
  lastSyncResourceVersion(): string {
    return this.lastSyncRV;
  }

  /** Lists and watches until `signal` aborts, backing off between failed cycles. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.listAndWatch(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.reportError(err);
      }
      if (signal.aborted) break;
      if (!(await sleep(this.clock, this.backoff.next(), signal))) break;
    }
  }

  /** One cycle: a list (replacing the store), then watches until one fails or must relist. */
  async listAndWatch(signal: AbortSignal): Promise<void> {
    await this.list(signal);
    if (signal.aborted) return;
    const stopResync = this.startResync();
    try {
      await this.watchLoop(signal);
    } finally {
      stopResync();
    }
  }

  /** The resourceVersion to relist at (reflector.relistResourceVersion). */
  private relistResourceVersion(): string {
    // The last version is gone (compacted, or newer than the server knows): a consistent read.
    if (this.lastSyncRVUnavailable) return '';
    // The first list may be served from any recent state.
    if (this.lastSyncRV === '') return '0';
    return this.lastSyncRV;
  }

  private pageSizeFor(rv: string): number {
    if (this.options.pageSize !== undefined) return this.options.pageSize;
    if (this.paginatedResult || rv === '' || rv === '0') return DEFAULT_PAGE_SIZE;
    return 0;
  }

  private async list(signal: AbortSignal): Promise<void> {
    const selectors = this.options.listOptions ?? {};
    let rv = this.relistResourceVersion();
    let result;
    try {
      result = await listAllPages(
        this.lw,
        { ...selectors, resourceVersion: rv },
        this.pageSizeFor(rv),
        {
          signal,
        },
      );
    } catch (err) {
      if (!isExpiredError(err) && !isTooLargeResourceVersionError(err)) throw err;
      // The version we listed at is not available: fall back to a consistent read right away so
      // the reflector always makes progress.
      this.lastSyncRVUnavailable = true;
      rv = this.relistResourceVersion();
      result = await listAllPages(
        this.lw,
        { ...selectors, resourceVersion: rv },
        this.pageSizeFor(rv),
        {
          signal,
        },
      );
    }
    if (signal.aborted) return;
    if (result.paginated && rv === '0') this.paginatedResult = true;
    this.store.replace(result.items, result.resourceVersion);
    this.lastSyncRV = result.resourceVersion;
    this.lastSyncRVUnavailable = false;
  }

  private startResync(): () => void {
    const period = this.options.resyncPeriodMs ?? 0;
    if (period <= 0) return () => undefined;
    let timer: Timer | undefined;
    let stopped = false;
    const tick = (): void => {
      if (stopped) return;
      if (!this.options.shouldResync || this.options.shouldResync()) this.store.resync();
      timer = this.clock.setTimer(tick, period);
    };
    timer = this.clock.setTimer(tick, period);
    return () => {
      stopped = true;
      timer?.cancel();
    };
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    const minTimeout = this.options.minWatchTimeoutMs ?? MIN_WATCH_TIMEOUT_MS;
    while (!signal.aborted) {
      const options: ListOptions = {
        ...(this.options.listOptions ?? {}),
        resourceVersion: this.lastSyncRV,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.max(1, Math.floor((minTimeout * (this.random() + 1)) / 1000)),
      };
      let stream: WatchStream<T>;
      try {
        stream = await this.lw.watch({ ...options, signal });
      } catch (err) {
        if (signal.aborted) return;
        // The server is unreachable or overloaded: most likely the watch can resume where it
        // ended once it is back, so back off and re-watch rather than relist everything.
        if (isConnectionRefused(err) || isTooManyRequests(err)) {
          if (!(await sleep(this.clock, this.initConnBackoff.next(), signal))) return;
          continue;
        }
        throw err;
      }
      try {
        await this.watchHandler(stream, signal);
      } catch (err) {
        if (signal.aborted) return;
        if (isExpiredError(err)) {
          // Relist at the last version seen: "at least as new as" is still answerable.
          this.logger.info('watch closed: resourceVersion expired, relisting', {
            reflector: this.name,
            error: (err as Error).message,
          });
          return;
        }
        if (isTooManyRequests(err)) {
          if (!(await sleep(this.clock, this.initConnBackoff.next(), signal))) return;
          continue;
        }
        throw err;
      } finally {
        stream.close();
      }
    }
  }

  /** Applies the events of one watch to the store. Returns when the watch ends normally. */
  private async watchHandler(stream: WatchStream<T>, signal: AbortSignal): Promise<void> {
    const start = this.clock.now();
    let count = 0;
    const onAbort = (): void => stream.close();
    signal.addEventListener('abort', onAbort, { once: true });
    let broken: unknown;
    try {
      for await (const event of stream) {
        if (signal.aborted) return;
        if (event.type === 'ERROR') throw new StatusError(event.object);
        const rv = eventResourceVersion(event.object);
        switch (event.type) {
          case 'ADDED':
            this.store.add(event.object);
            break;
          case 'MODIFIED':
            this.store.update(event.object);
            break;
          case 'DELETED':
            this.store.delete(event.object);
            break;
          case 'BOOKMARK':
            break;
          default:
            this.logger.warn('unknown watch event type', {
              reflector: this.name,
              type: (event as { type: unknown }).type,
            });
            continue;
        }
        if (rv !== '') this.lastSyncRV = rv;
        count++;
      }
    } catch (err) {
      // A broken stream is resumed from the last resourceVersion seen, like a normal close;
      // anything else (a Status from an ERROR event, a store failure) ends the cycle.
      if (!isConnectionError(err)) throw err;
      broken = err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) return;
    if (count === 0 && this.clock.now() - start < SHORT_WATCH_MS) {
      // Without this, a server that closes every watch at once would be hammered in a loop.
      throw new VeryShortWatchError(this.name);
    }
    if (broken !== undefined) {
      this.logger.info('watch stream broke, resuming', {
        reflector: this.name,
        resourceVersion: this.lastSyncRV,
        error: broken instanceof Error ? broken.message : JSON.stringify(broken),
      });
    }
  }

  private reportError(err: unknown): void {
    if (this.options.watchErrorHandler) {
      this.options.watchErrorHandler(err);
      return;
    }
    this.logger.warn('list and watch failed', {
      reflector: this.name,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
