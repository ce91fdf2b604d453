/**
 * The watch cache of one resource, after k8s.io/apiserver/pkg/storage/cacher/cacher.go: a
 * reflector lists the resource's etcd prefix once and then follows it with ONE etcd watch; every
 * API watch on the resource is served from memory (no per-watcher etcd load), and lists are served
 * from memory when their resourceVersion semantics allow it.
 *
 * - watch `resourceVersion` unset or `0`: the cached objects as ADDED, then changes; `N`: the
 *   window's events after N, then changes; N older than the window: an ERROR event with 410
 *   Expired "too old resource version", as upstream;
 * - list `resourceVersion=0`: from memory at once, whole (a limit is ignored, as upstream's
 *   computeListLimit does); NotOlderThan N: from memory once the cache
 *   reached N (or is proven equal to etcd at a revision >= N); unset (consistent read, upstream
 *   1.31+ ConsistentListFromCache): from memory once it is proven fresh, else (after
 *   `freshnessTimeoutMs`) from etcd; Exact R and continue tokens at R: from the snapshot at R
 *   while the event window reaches back to R, else from etcd. Other limits are honoured and every page
 *   of a paginated list comes from one snapshot (upstream 1.33 ListFromCacheSnapshot; see
 *   list-snapshot.ts);
 * - BOOKMARK events to watchers that allow them, every `bookmarkIntervalMs` and 2 s before their
 *   deadline;
 * - a watcher whose connection holds more than `maxPendingBytes` unsent is terminated (closed,
 *   the client re-watches), so a slow client never holds the others back;
 * - when the etcd watch ends (compaction beyond the cache, a refused watch), every API watch is
 *   closed and the reflector lists again, as upstream's startCaching does.
 *
 * Freshness without progress notifications: a consistent read asks etcd, in one cheap request,
 * for the current revision R, the number C of keys under the prefix and the newest mod_revision
 * M among them (a keys-only, count-carrying Range sorted by MOD descending with limit 1). The
 * cache holds exactly etcd's state at R when it has seen revision R, or when it has seen M and
 * holds C objects: every put after M would raise M, and any delete it has not seen would leave
 * it with more objects than C. This works on etcd 3.4 (whose progress requests are not ordered
 * with events) and on kubets-store alike.
 */
import {
  decodeContinue,
  encodeContinue,
  newTooLargeResourceVersion,
  parseResourceVersion,
  resolveListSemantics,
  StatusError,
} from '@kubets/apimachinery';
import type { Logger } from '@kubets/component-base';
import type { ApiObject } from '../codec.js';
import type { EtcdClient } from '../etcd/etcd-client.js';
import { prefixRangeEnd } from '../etcd/endpoints.js';
import type { EtcdEvent, EtcdWatch } from '../etcd/watch-mux.js';
import type { ListResult, ResourceStore, StoreListOptions } from '../store.js';
import {
  nextBookmarkTime,
  type StorageEvent,
  type StorageWatch,
  type WatchOptions,
  type WatchSink,
} from '../watcher.js';
import { snapshotPage, type SnapshotPageRequest } from './list-snapshot.js';
import {
  splitKey,
  WatchCache,
  withResourceVersion,
  type CachedEntry,
  type CacheEvent,
  type WindowOptions,
} from './watch-cache.js';

/** Metrics of the watch cache (upstream names in ApiServerMetrics). */
export interface CacheObserver {
  initialized(resource: string): void;
  resourceVersion(resource: string, rv: bigint): void;
  capacity(resource: string, capacity: number): void;
  eventsReceived(resource: string, count: number): void;
  eventsDispatched(resource: string, count: number): void;
  watcherTerminated(resource: string): void;
  registeredWatchers(labels: { group: string; version: string; kind: string }, delta: number): void;
  consistentRead(resource: string, success: boolean, fallback: boolean): void;
  cacheList(resource: string, returned: number): void;
}

export interface CacherOptions {
  store: ResourceStore;
  client: EtcdClient;
  /** `pods`, `deployments.apps`: the `resource` label of the metrics. */
  resourceLabel: string;
  /** group/version/kind labels of apiserver_registered_watchers. */
  kindLabels: { group: string; version: string; kind: string };
  window?: WindowOptions;
  observer?: CacheObserver;
  logger?: Logger;
  now?: () => number;
  /** Bookmark heartbeat (upstream: 1 min). */
  bookmarkIntervalMs?: number;
  /** How long reads wait for the cache to catch up (upstream: 3 s). */
  freshnessTimeoutMs?: number;
  /** Unsent output beyond which a watcher is terminated. */
  maxPendingBytes?: number;
  /** Keys per etcd read of the (re)list. */
  listPageSize?: number;
  /**
   * Adaptive dispatch: after a fan-out that cost C ms of CPU, the next one waits until C x this
   * ratio has passed (so the fan-out's per-write cost takes at most 1/(1+ratio) of the thread's
   * CPU), never longer than `maxDispatchDelayMs`. An idle cache dispatches at once.
   */
  dispatchCostRatio?: number;
  maxDispatchDelayMs?: number;
  /**
   * CPU milliseconds used by the process so far (default: process.cpuUsage()). The dispatch cost
   * is CPU time, not wall time: on a busy machine a fan-out preempted by other processes takes
   * longer on the wall clock without costing more, and waiting in proportion to that would only
   * add queueing (ADR 0021).
   */
  cpuTimeMs?: () => number;
  /**
   * Busy pacing: when the event loop was busy with other work (requests, the store's answers)
   * for more than `busyLoopFrom` of the time between the previous fan-out and this one, the ratio
   * and the cap are scaled up, linearly to `busyDispatchScale` at `busyLoopTo` (ADR 0029): a
   * saturated thread spends less on per-write costs and more on the requests queueing behind the
   * fan-out, while a server with idle time keeps the shorter waits.
   */
  busyDispatchScale?: number;
  busyLoopFrom?: number;
  busyLoopTo?: number;
  /**
   * Milliseconds the event loop has spent active so far (default: performance's event-loop
   * utilization), for tests.
   */
  loopActiveMs?: () => number;
}

/** ADR 0021: ratio 1 and a 20 ms cap keep the wait for dispatch within a 100 ms delivery goal. */
export const DEFAULT_DISPATCH_COST_RATIO = 1;
export const DEFAULT_MAX_DISPATCH_DELAY_MS = 20;
/**
 * Busy pacing is off by default (scale 1): ADR 0029 measured its CPU saving but could not show its
 * latency effect on the shared benchmark machine. `busyDispatchScale: 2` doubles the ratio and
 * the cap while the loop is busy 90% of the time (linearly from 60%).
 */
export const DEFAULT_BUSY_DISPATCH_SCALE = 1;
export const DEFAULT_BUSY_LOOP_FROM = 0.6;
export const DEFAULT_BUSY_LOOP_TO = 0.9;

const loopActiveMs = (): number => performance.eventLoopUtilization().active;

/**
 * How much longer the next dispatch waits given the loop's busy fraction `u` since the previous
 * fan-out: 1 up to `from`, rising linearly to `scale` at `to`.
 */
export function busyScale(u: number, scale: number, from: number, to: number): number {
  if (!(u > from) || scale <= 1) return 1;
  if (u >= to || to <= from) return scale;
  return 1 + ((scale - 1) * (u - from)) / (to - from);
}

const processCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * Watchers with the same selection (namespace, name, selectors): each event is filtered and
 * converted once for all of them, and they all receive the same batch array.
 */
interface WatcherGroup {
  key: string;
  namespace: string | undefined;
  name: string | undefined;
  predicate: ((obj: ApiObject) => boolean) | undefined;
  members: Set<CacheWatcher>;
}

interface CacheWatcher {
  group: WatcherGroup;
  sink: WatchSink;
  options: WatchOptions;
  /** Only events newer than this are sent. */
  startRevision: bigint;
  /** Newest revision the watcher is complete up to (bookmarks). */
  sentRevision: bigint;
  nextBookmark: number;
  /** Events held until the initial ones are out (the caller has not wired the stream yet). */
  queue: StorageEvent[] | undefined;
  stopped: boolean;
}

interface Waiter {
  fresh: () => boolean;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

export class Cacher {
  readonly cache: WatchCache;
  private readonly store: ResourceStore;
  private readonly client: EtcdClient;
  private readonly root: Buffer;
  private readonly rangeEnd: Buffer;
  private readonly now: () => number;
  private readonly watchers = new Set<CacheWatcher>();
  /** The watchers by selection (see WatcherGroup). */
  private readonly groups = new Map<string, WatcherGroup>();
  private uniqueGroups = 0;
  private waiters: Waiter[] = [];
  private etcdWatch: EtcdWatch | undefined;
  private stopped = false;
  private isReady = false;
  private readyPromise: Promise<void>;
  private markReady!: () => void;
  private ticker: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private endWatch: (() => void) | undefined;
  /** Events applied to the cache but not yet dispatched (sent together, once per turn). */
  private undispatched: CacheEvent[] = [];
  private dispatchScheduled = false;
  private dispatchTimer: NodeJS.Timeout | undefined;
  /** performance.now() before which the next dispatch waits (adaptive coalescing). */
  private nextDispatchAt = 0;
  /** performance.now() and the loop's active milliseconds when the last fan-out ended. */
  private lastDispatchEnded = 0;
  private lastDispatchActive = 0;
  /** DELETED views of events whose new state stopped matching a watcher (built once). */
  private readonly deletedViews = new WeakMap<CacheEvent, ApiObject>();

  constructor(private readonly o: CacherOptions) {
    this.store = o.store;
    this.client = o.client;
    this.cache = new WatchCache(o.window);
    this.root = Buffer.from(o.store.keys.root);
    this.rangeEnd = prefixRangeEnd(this.root);
    this.now = o.now ?? Date.now;
    this.readyPromise = new Promise((r) => (this.markReady = r));
  }

  /** True once the first list is in memory (and while its watch runs). */
  get ready(): boolean {
    return this.isReady;
  }

  /**
   * Fan-out batches and the cache events in them, since start (how much dispatch coalesces);
   * `fanoutMs` / `fanoutCpuMs`: wall and CPU time spent dispatching (wall well above CPU means
   * the process was waiting for a core); `waitMs`: per batch, how long its oldest event waited
   * for dispatch (summed; `maxWaitMs` the largest).
   */
  readonly dispatchStats = {
    dispatches: 0,
    events: 0,
    fanoutMs: 0,
    fanoutCpuMs: 0,
    waitMs: 0,
    maxWaitMs: 0,
    /** Fan-outs after which the wait was lengthened because the loop was busy. */
    busyDispatches: 0,
  };
  /** performance.now() when the oldest undispatched event was queued. */
  private firstQueuedAt = 0;

  /** Number of API watchers served from this cache. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Starts the reflector; `whenReady` resolves after the first list. */
  start(): void {
    if (this.running) return;
    this.running = this.run();
    this.ticker = setInterval(() => this.tick(), 1_000);
    this.ticker.unref();
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    if (this.dispatchTimer) clearTimeout(this.dispatchTimer);
    this.etcdWatch?.cancel();
    this.endWatch?.();
    this.terminateAll();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.waiters = [];
    this.markReady();
    await this.running;
  }

  // -----------------------------------------------------------------------------------------
  // Reads

  /** GET with resourceVersion=0 from memory; undefined means "ask etcd". */
  getFromCache(
    namespace: string | undefined,
    name: string,
  ): { object: ApiObject | undefined } | undefined {
    if (!this.isReady) return undefined;
    return { object: this.cache.get(namespace, name) };
  }

  /**
   * Lists from memory where upstream's cacher (1.33, ListFromCacheSnapshot) does, else from etcd:
   * - `0` (Any): the whole list at the cache's revision (a limit is ignored, as upstream);
   * - NotOlderThan N (once the cache reached N): at the cache's revision;
   * - unset (consistent): once the cache is proven fresh, else from etcd;
   * - Exact R and the legacy "limit with a resourceVersion": from the snapshot at R while the
   *   window still reaches back to R (after waiting for R if it is ahead), else from etcd;
   * - a continue token at R: the same, from the key after the last one returned; a token at a
   *   negative revision (handed out with a 410 to continue inconsistently) as a consistent read.
   * Limits are honoured otherwise; a continue token carries the revision of the first page, so
   * every page comes from the same snapshot. A token whose snapshot left the window goes to etcd,
   * which serves it while the revision is not compacted and answers 410 Expired after.
   */
  async list(namespace: string | undefined, options: StoreListOptions = {}): Promise<ListResult> {
    let semantics;
    try {
      semantics = resolveListSemantics(options);
    } catch {
      return this.store.list(namespace, options);
    }
    if (!this.isReady) return this.store.list(namespace, options);
    const page = { limit: options.limit ?? 0, predicate: options.predicate };
    switch (semantics.kind) {
      case 'Any':
        // The limit is ignored, as upstream's computeListLimit still does: client-go's reflector
        // takes a paginated answer to its first list (at "0") to mean "no watch cache" and then
        // relists in pages at an exact revision, which the cache cannot serve after a 410.
        return (
          this.listAt(namespace, this.cache.resourceVersion, { ...page, limit: 0 }) ??
          this.store.list(namespace, options)
        );
      case 'NotOlderThan': {
        const wanted = semantics.resourceVersion;
        if (this.cache.resourceVersion < wanted) {
          const ok = await this.waitFresh(wanted);
          if (!ok) {
            throw newTooLargeResourceVersion(wanted, this.cache.resourceVersion, 1);
          }
        }
        return (
          this.listAt(namespace, this.cache.resourceVersion, page) ??
          this.store.list(namespace, options)
        );
      }
      case 'MostRecent': {
        const ok = await this.waitFresh(0n);
        this.o.observer?.consistentRead(this.o.resourceLabel, ok, !ok);
        if (!ok) return this.store.list(namespace, options);
        return (
          this.listAt(namespace, this.cache.resourceVersion, page) ??
          this.store.list(namespace, options)
        );
      }
      case 'Exact': {
        const served = await this.listAtExact(namespace, semantics.resourceVersion, page);
        return served ?? this.store.list(namespace, options);
      }
      case 'Continue': {
        let token;
        try {
          token = decodeContinue(options.continue!, this.store.keys.collectionKey(namespace));
        } catch {
          // The store answers with the 400 upstream gives.
          return this.store.list(namespace, options);
        }
        const from = { ...page, fromKey: token.fromKey };
        if (token.resourceVersion < 0n) {
          // Continuing after a 410 at whatever is current: a consistent read from the key on.
          const ok = await this.waitFresh(0n);
          if (!ok) return this.store.list(namespace, options);
          return (
            this.listAt(namespace, this.cache.resourceVersion, from) ??
            this.store.list(namespace, options)
          );
        }
        const served = await this.listAtExact(namespace, token.resourceVersion, from);
        return served ?? this.store.list(namespace, options);
      }
      default:
        return this.store.list(namespace, options);
    }
  }

  /** The snapshot at `revision` if the cache has (or can reach) it; undefined means "ask etcd". */
  private async listAtExact(
    namespace: string | undefined,
    revision: bigint,
    page: SnapshotPageRequest,
  ): Promise<ListResult | undefined> {
    if (revision > this.cache.resourceVersion && !(await this.waitFresh(revision))) {
      return undefined;
    }
    if (!this.isReady) return undefined;
    return this.listAt(namespace, revision, page);
  }

  /** One page at `revision` from memory; undefined when the window no longer reaches it. */
  private listAt(
    namespace: string | undefined,
    revision: bigint,
    page: SnapshotPageRequest,
  ): ListResult | undefined {
    const out = snapshotPage(this.cache, namespace, revision, page);
    if (!out) return undefined;
    this.o.observer?.cacheList(this.o.resourceLabel, out.items.length);
    const result: ListResult = { items: out.items, resourceVersion: revision.toString() };
    if (out.continueAfter !== undefined) {
      result.continue = encodeContinue(
        `${out.continueAfter}\u0000`,
        this.store.keys.collectionKey(namespace),
        revision,
      );
      if (out.remainingItemCount !== undefined) {
        result.remainingItemCount = out.remainingItemCount;
      }
    }
    return result;
  }

  /**
   * Waits until the cache holds etcd's current state (see the file comment) and has reached
   * `minimum`; false after the freshness timeout or when the cache stops.
   */
  private async waitFresh(minimum: bigint): Promise<boolean> {
    let resp;
    try {
      resp = await this.client.range({
        key: this.root,
        range_end: this.rangeEnd,
        limit: '1',
        sort_order: 'DESCEND',
        sort_target: 'MOD',
        keys_only: true,
      });
    } catch {
      return false;
    }
    const current = BigInt(resp.header?.revision ?? '0');
    const count = Number(resp.count);
    const newestMod = resp.kvs[0] ? BigInt(resp.kvs[0].mod_revision) : 0n;
    const fresh = (): boolean => {
      if (!this.isReady) return false;
      const rv = this.cache.resourceVersion;
      if (rv >= current && rv >= minimum) return true;
      // Proven equal to etcd at `current`: good for any minimum up to it. Recorded as the
      // progress it is, so the answer carries `current`, not the cache's last event: another
      // server's cache started after that event (a --workers sibling, an HA peer) holds no
      // window before its own start and would answer a watch from it with 410 Expired.
      if (rv >= newestMod && this.cache.size === count && current >= minimum) {
        this.cache.progress(current);
        return true;
      }
      return false;
    };
    if (fresh()) return true;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        fresh,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, this.o.freshnessTimeoutMs ?? 3_000),
      };
      waiter.timer.unref();
      this.waiters.push(waiter);
    });
  }

  private notifyWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.fresh()) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else {
        still.push(w);
      }
    }
    this.waiters = still;
  }

  // -----------------------------------------------------------------------------------------
  // Watch

  watch(namespace: string | undefined, options: WatchOptions, sink: WatchSink): StorageWatch {
    // Before the first list (or while relisting) the watch goes to etcd, as a cacher that is not
    // ready would otherwise block.
    if (!this.isReady) return this.store.watch(namespace, options, sink);
    const requested = parseResourceVersion(options.resourceVersion);
    const group = this.groupFor(
      this.store.keys.namespaced ? namespace : undefined,
      options.name,
      options.predicate,
      options.selectionKey,
    );
    const w: CacheWatcher = {
      group,
      sink,
      options,
      startRevision: 0n,
      sentRevision: 0n,
      nextBookmark: 0,
      queue: [],
      stopped: false,
    };
    const initial = w.queue!;
    if (requested === 0n) {
      // The current state as ADDED events, then everything after it.
      const entries =
        group.name !== undefined
          ? this.single(group.namespace, group.name)
          : this.cache.list(group.namespace);
      for (const e of entries) {
        if (group.predicate && !group.predicate(e.object)) continue;
        initial.push({ type: 'ADDED', object: e.object });
      }
      w.startRevision = this.cache.resourceVersion;
    } else {
      const events = this.cache.eventsSince(requested);
      if (events instanceof StatusError) {
        queueMicrotask(() => {
          sink.onEvent({ type: 'ERROR', object: events.toJSON() as unknown as ApiObject });
          sink.onClose(events);
        });
        return { stop: () => undefined };
      }
      w.startRevision = requested;
      for (const e of events) {
        const out = this.convert(group, e);
        if (out) initial.push(out);
      }
      if (events.length > 0) w.startRevision = events[events.length - 1]!.resourceVersion;
    }
    // The initial events bring the watcher up to the cache's revision (or the requested one).
    w.sentRevision = maxOf(w.startRevision, maxOf(requested, this.cache.resourceVersion));
    this.scheduleBookmark(w);
    this.watchers.add(w);
    group.members.add(w);
    this.o.observer?.registeredWatchers(this.o.kindLabels, 1);
    // The caller wires the response after watch() returns: deliver from the next microtask on,
    // with live events queued behind the initial ones.
    queueMicrotask(() => this.flushInitial(w));
    return { stop: () => this.removeWatcher(w) };
  }

  /** The group of watchers with this selection (a new one when there is none yet). */
  private groupFor(
    namespace: string | undefined,
    name: string | undefined,
    predicate: ((obj: ApiObject) => boolean) | undefined,
    selectionKey: string | undefined,
  ): WatcherGroup {
    // A predicate without a key cannot be compared with another: its watcher is alone.
    const selection =
      predicate === undefined ? '' : (selectionKey ?? `\u0000unique:${++this.uniqueGroups}`);
    const key = `${namespace ?? ''}\u0000${name ?? ''}\u0000${selection}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { key, namespace, name, predicate, members: new Set() };
      this.groups.set(key, group);
    }
    return group;
  }

  private single(namespace: string | undefined, name: string): CachedEntry[] {
    const obj = this.cache.get(namespace, name);
    return obj ? [{ key: '', namespace, name, object: obj }] : [];
  }

  private flushInitial(w: CacheWatcher): void {
    const queue = w.queue;
    w.queue = undefined;
    if (!queue || w.stopped) return;
    for (const e of queue) {
      if (w.stopped) return;
      w.sink.onEvent(e);
    }
    this.checkBacklog(w);
  }

  private removeWatcher(w: CacheWatcher): void {
    if (w.stopped) return;
    w.stopped = true;
    if (this.watchers.delete(w)) this.o.observer?.registeredWatchers(this.o.kindLabels, -1);
    const group = w.group;
    group.members.delete(w);
    if (group.members.size === 0 && this.groups.get(group.key) === group) {
      this.groups.delete(group.key);
    }
  }

  /** Ends every API watch (relist, shutdown): clients re-watch from their last revision. */
  private terminateAll(): void {
    for (const w of [...this.watchers]) {
      this.removeWatcher(w);
      w.sink.onClose();
    }
  }

  /** What a cache event is for a selection (upstream's cacheWatcher.convertToWatchEvent). */
  private convert(g: WatcherGroup, e: CacheEvent): StorageEvent | undefined {
    if (g.namespace !== undefined && e.namespace !== g.namespace) return undefined;
    if (g.name !== undefined && e.name !== g.name) return undefined;
    const p = g.predicate;
    const cur = e.type !== 'DELETED' && (!p || p(e.object));
    const old = e.prevObject !== undefined && (!p || p(e.prevObject));
    if (cur) return { type: old ? 'MODIFIED' : 'ADDED', object: e.object };
    if (!old) return undefined;
    if (e.type === 'DELETED') return { type: 'DELETED', object: e.object };
    let view = this.deletedViews.get(e);
    if (!view) {
      view = withResourceVersion(e.prevObject!, e.resourceVersion);
      this.deletedViews.set(e, view);
    }
    return { type: 'DELETED', object: view };
  }

  /**
   * Sends a batch of cache events to every watcher: per group of identical selections the events
   * are filtered and converted once, and every member gets the same array (so what the transport
   * derives from it, e.g. the encoded bytes, is derived once per group too). The per-watcher cost
   * is one call per batch, not one per event.
   */
  private dispatch(events: CacheEvent[]): void {
    if (events.length === 0) return;
    this.o.observer?.eventsDispatched(this.o.resourceLabel, events.length);
    this.dispatchStats.dispatches++;
    this.dispatchStats.events += events.length;
    const firstRevision = events[0]!.resourceVersion;
    const lastRevision = events[events.length - 1]!.resourceVersion;
    for (const g of this.groups.values()) {
      let out: StorageEvent[] | undefined;
      let revisions: bigint[] | undefined;
      for (const w of g.members) {
        if (w.stopped || lastRevision <= w.startRevision) continue;
        if (!out) {
          out = [];
          revisions = [];
          for (const e of events) {
            const converted = this.convert(g, e);
            if (!converted) continue;
            out.push(converted);
            revisions.push(e.resourceVersion);
          }
        }
        w.sentRevision = lastRevision;
        // A watcher registered while these events waited has the older ones already.
        let mine: readonly StorageEvent[] = out;
        if (w.startRevision >= firstRevision) {
          const revs = revisions!;
          mine = out.filter((_, i) => revs[i]! > w.startRevision);
        }
        if (mine.length === 0) continue;
        if (w.queue) {
          w.queue.push(...mine);
          continue;
        }
        if (w.sink.onEvents) {
          w.sink.onEvents(mine);
        } else {
          for (const e of mine) {
            if (w.stopped) break;
            w.sink.onEvent(e);
          }
        }
        if (!w.stopped) this.checkBacklog(w);
      }
    }
  }

  /**
   * Queues events for the watchers. Dispatch is adaptive: an idle cache dispatches in the next
   * turn of the event loop; right after a fan-out that cost C ms of CPU the next one waits until
   * C x dispatchCostRatio has passed (bounded by maxDispatchDelayMs), so under load more events
   * share each write and the number of writes per second stays bounded however many watchers
   * there are, while the wait an event adds stays within the delivery latency goal. When the
   * fan-out itself is long (many bytes, or a machine busy with other processes) the events that
   * arrived meanwhile go out right after the cost-based wait: the batch grows instead of the
   * queue.
   */
  private enqueue(events: CacheEvent[]): void {
    if (this.undispatched.length === 0) this.firstQueuedAt = performance.now();
    for (const e of events) this.undispatched.push(e);
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    const wait = this.nextDispatchAt - performance.now();
    if (wait <= 0) {
      setImmediate(() => this.runDispatch());
    } else {
      this.dispatchTimer = setTimeout(() => this.runDispatch(), Math.ceil(wait));
    }
  }

  private runDispatch(): void {
    this.dispatchTimer = undefined;
    this.dispatchScheduled = false;
    const batch = this.undispatched;
    this.undispatched = [];
    if (this.stopped) return;
    const cpuTime = this.o.cpuTimeMs ?? processCpuMs;
    const activeMs = this.o.loopActiveMs ?? loopActiveMs;
    const started = performance.now();
    const activeStarted = activeMs();
    // The loop's busy fraction between the previous fan-out and this one (its other work).
    const between = started - this.lastDispatchEnded;
    const busy = between > 0 ? (activeStarted - this.lastDispatchActive) / between : 0;
    const cpuStarted = cpuTime();
    this.dispatch(batch);
    const cost = cpuTime() - cpuStarted;
    const ended = performance.now();
    const stats = this.dispatchStats;
    const waited = started - this.firstQueuedAt;
    stats.fanoutMs += ended - started;
    stats.fanoutCpuMs += cost;
    stats.waitMs += waited;
    if (waited > stats.maxWaitMs) stats.maxWaitMs = waited;
    const scale = busyScale(
      busy,
      this.o.busyDispatchScale ?? DEFAULT_BUSY_DISPATCH_SCALE,
      this.o.busyLoopFrom ?? DEFAULT_BUSY_LOOP_FROM,
      this.o.busyLoopTo ?? DEFAULT_BUSY_LOOP_TO,
    );
    if (scale > 1) stats.busyDispatches++;
    const ratio = (this.o.dispatchCostRatio ?? DEFAULT_DISPATCH_COST_RATIO) * scale;
    const maxDelay = (this.o.maxDispatchDelayMs ?? DEFAULT_MAX_DISPATCH_DELAY_MS) * scale;
    this.nextDispatchAt = ended + Math.min(maxDelay, cost * ratio);
    this.lastDispatchEnded = ended;
    this.lastDispatchActive = activeMs();
  }

  /**
   * The newest revision every watcher can be told it is complete up to: events still waiting
   * for dispatch must not be overtaken by a bookmark.
   */
  private dispatchedRevision(): bigint {
    const waiting = this.undispatched[0];
    return waiting ? waiting.resourceVersion - 1n : this.cache.resourceVersion;
  }

  /** A watcher that cannot keep up is closed rather than buffered without bound. */
  private checkBacklog(w: CacheWatcher): void {
    const pending = w.sink.pending?.() ?? 0;
    if (pending <= (this.o.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES)) return;
    this.removeWatcher(w);
    this.o.observer?.watcherTerminated(this.o.resourceLabel);
    this.o.logger?.v(1).info('Terminating a slow watcher', {
      resource: this.o.resourceLabel,
      pendingBytes: pending,
    });
    w.sink.onClose(new Error('watcher too slow'));
  }

  private scheduleBookmark(w: CacheWatcher): void {
    if (!w.options.allowBookmarks || !w.options.bookmark) {
      w.nextBookmark = Number.POSITIVE_INFINITY;
      return;
    }
    const now = this.now();
    const at = nextBookmarkTime(now, this.o.bookmarkIntervalMs ?? 60_000, w.options.deadline);
    w.nextBookmark =
      w.options.deadline !== undefined && at >= w.options.deadline ? Number.POSITIVE_INFINITY : at;
  }

  /** Due bookmarks (upstream's dispatcher sends them on a timer too). */
  private tick(): void {
    const now = this.now();
    for (const w of this.watchers) {
      if (w.stopped || w.queue || now < w.nextBookmark) continue;
      const rv = maxOf(this.dispatchedRevision(), w.sentRevision);
      w.sentRevision = rv;
      w.sink.onEvent({ type: 'BOOKMARK', object: w.options.bookmark!(rv.toString()) });
      const deadline = w.options.deadline;
      if (deadline !== undefined && now >= deadline - 2_000)
        w.nextBookmark = Number.POSITIVE_INFINITY;
      else this.scheduleBookmark(w);
    }
  }

  // -----------------------------------------------------------------------------------------
  // Reflector

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        const revision = await this.relist();
        if (this.stopped) break;
        backoff = 100;
        const err = await this.follow(revision);
        if (!this.stopped) {
          this.o.logger?.info('Watch cache: etcd watch ended, relisting', {
            resource: this.o.resourceLabel,
            err: err.message,
          });
        }
      } catch (err) {
        if (!this.stopped) {
          this.o.logger?.error(err, 'Watch cache: list failed', { resource: this.o.resourceLabel });
        }
      }
      this.isReady = false;
      this.terminateAll();
      if (this.stopped) break;
      await new Promise((r) => setTimeout(r, backoff).unref());
      backoff = Math.min(backoff * 2, 5_000);
    }
  }

  /** Reads the whole prefix at one revision into the cache; returns that revision. */
  private async relist(): Promise<bigint> {
    const entries: CachedEntry[] = [];
    const pageSize = this.o.listPageSize ?? 1_000;
    let revision = 0n;
    let key = this.root;
    for (;;) {
      const resp = await this.client.range({
        key,
        range_end: this.rangeEnd,
        limit: String(pageSize),
        revision: revision.toString(),
      });
      if (revision === 0n) revision = BigInt(resp.header?.revision ?? '0');
      for (const kv of resp.kvs) {
        const keyText = kv.key.toString();
        const where = splitKey(this.store.keys.root, keyText, this.store.keys.namespaced);
        if (!where) continue;
        try {
          entries.push({
            key: keyText,
            ...where,
            object: this.store.decodeValue(keyText, kv.value, kv.mod_revision),
          });
        } catch (err) {
          this.o.logger?.error(err, 'Watch cache: cannot decode a stored object', { key: keyText });
        }
      }
      const last = resp.kvs[resp.kvs.length - 1];
      if (!resp.more || !last) break;
      key = Buffer.concat([last.key, Buffer.from([0])]);
    }
    this.cache.replace(entries, revision);
    this.isReady = true;
    this.o.observer?.initialized(this.o.resourceLabel);
    this.o.observer?.resourceVersion(this.o.resourceLabel, revision);
    this.o.observer?.capacity(this.o.resourceLabel, this.cache.windowCapacity);
    this.markReady();
    this.notifyWaiters();
    return revision;
  }

  /** Follows the prefix from `revision`; resolves with the reason the etcd watch ended. */
  private follow(revision: bigint): Promise<Error> {
    return new Promise<Error>((resolve) => {
      this.endWatch = () => resolve(new Error('watch cache stopped'));
      this.etcdWatch = this.client.watches.watch(
        {
          key: this.root,
          rangeEnd: this.rangeEnd,
          startRevision: revision + 1n,
          // The previous state comes from the cache itself.
          prevKv: false,
          progressNotify: true,
        },
        {
          onEvents: (events) => this.onEtcdEvents(events),
          onProgress: (rev) => {
            this.cache.progress(rev);
            this.o.observer?.resourceVersion(this.o.resourceLabel, this.cache.resourceVersion);
            this.notifyWaiters();
          },
          onError: (err) => {
            this.etcdWatch = undefined;
            resolve(err);
          },
        },
      );
    });
  }

  private onEtcdEvents(events: EtcdEvent[]): void {
    const out: CacheEvent[] = [];
    const now = this.now();
    const layout = this.store.keys;
    for (const e of events) {
      const kv = e.kv;
      if (!kv) continue;
      const keyText = kv.key.toString();
      const where = splitKey(layout.root, keyText, layout.namespaced);
      const revision = BigInt(kv.mod_revision);
      // Equal revisions are the keys of one multi-key transaction (a deleteRange, a seeding txn).
      if (!where || revision < this.cache.resourceVersion) continue;
      const isDelete = e.type === 'DELETE';
      let object: ApiObject | undefined;
      if (!isDelete) {
        try {
          object = this.store.decodeValue(keyText, kv.value, kv.mod_revision);
        } catch (err) {
          this.o.logger?.error(err, 'Watch cache: cannot decode a stored object', { key: keyText });
          this.cache.progress(revision);
          continue;
        }
      }
      const ev = this.cache.apply(
        { kind: isDelete ? 'delete' : 'put', key: keyText, ...where },
        object,
        revision,
        now,
      );
      if (ev) out.push(ev);
    }
    this.o.observer?.eventsReceived(this.o.resourceLabel, events.length);
    this.o.observer?.resourceVersion(this.o.resourceLabel, this.cache.resourceVersion);
    this.o.observer?.capacity(this.o.resourceLabel, this.cache.windowCapacity);
    this.notifyWaiters();
    if (out.length === 0) return;
    // Watchers registered meanwhile already have these events (from the cache) and skip them by
    // revision.
    this.enqueue(out);
  }
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
