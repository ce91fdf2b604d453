/**
 * The in-memory part of the watch cache, after k8s.io/apiserver/pkg/storage/cacher/watch_cache.go:
 * the current objects of one resource (by namespace, then name) and a sliding window of the most
 * recent change events, at the revision `resourceVersion`.
 *
 * The window is a ring indexed by absolute positions (`start` counts every event ever evicted), so
 * "nothing was evicted since the last relist" is `start === 0`, as upstream. Its capacity adapts
 * as upstream's does: it doubles (up to `upperBound`) when full with its oldest event younger than
 * `eventFreshMs`, and halves (down to `lowerBound`) when full with even its newest quarter older
 * than that. Pure: the caller passes the record time of each event.
 */
import { newTooOldResourceVersion, type StatusError } from '@kubets/apimachinery';
import type { ApiObject } from '../codec.js';

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  /** The etcd key. */
  key: string;
  namespace: string | undefined;
  name: string;
  /** The new state; for DELETED the last state, stamped with the deletion revision. */
  object: ApiObject;
  /** The state before the event (undefined for ADDED). */
  prevObject: ApiObject | undefined;
  resourceVersion: bigint;
  /** Epoch ms the cache recorded the event (window sizing). */
  recordTime: number;
}

export interface WindowOptions {
  /** Smallest window (upstream 100). */
  lowerBound?: number;
  /** Largest window (upstream 100 * 1024). */
  upperBound?: number;
  /** Events younger than this are worth keeping (upstream 75 s). */
  eventFreshMs?: number;
}

export const DEFAULT_LOWER_BOUND = 100;
export const DEFAULT_UPPER_BOUND = 100 * 1024;
export const DEFAULT_EVENT_FRESH_MS = 75_000;

export interface CachedEntry {
  key: string;
  namespace: string | undefined;
  name: string;
  object: ApiObject;
}

/** Splits a key below `root` into namespace and name. */
export function splitKey(
  root: string,
  key: string,
  namespaced: boolean,
): { namespace: string | undefined; name: string } | undefined {
  if (!key.startsWith(root)) return undefined;
  const rest = key.slice(root.length);
  if (!namespaced)
    return rest.includes('/') || rest === '' ? undefined : { namespace: undefined, name: rest };
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  const name = rest.slice(slash + 1);
  if (name.includes('/')) return undefined;
  return { namespace: rest.slice(0, slash), name };
}

export class WatchCache {
  /** Newest revision the cache reflects (events, or progress of the whole prefix). */
  resourceVersion = 0n;
  /** Revision of the last relist (0 before the first). */
  listResourceVersion = 0n;
  private readonly lowerBound: number;
  private readonly upperBound: number;
  private readonly eventFreshMs: number;
  private ring: (CacheEvent | undefined)[];
  private capacity: number;
  private start = 0;
  private end = 0;
  /** namespace ('' for cluster-scoped) -> name -> entry. */
  private readonly byNamespace = new Map<string, Map<string, CachedEntry>>();
  private count = 0;
  /**
   * Entries in key order, per namespace and for all ('\u0000all'), built on first use and then
   * kept in order as keys come and go (a binary search and a splice), so paginated lists under
   * creates and deletes do not re-sort the resource.
   */
  private readonly sortedCache = new Map<string, CachedEntry[]>();

  constructor(options: WindowOptions = {}) {
    this.lowerBound = Math.max(1, options.lowerBound ?? DEFAULT_LOWER_BOUND);
    this.upperBound = Math.max(this.lowerBound, options.upperBound ?? DEFAULT_UPPER_BOUND);
    this.eventFreshMs = options.eventFreshMs ?? DEFAULT_EVENT_FRESH_MS;
    this.capacity = this.lowerBound;
    this.ring = new Array<CacheEvent | undefined>(this.capacity);
  }

  /** Number of cached objects. */
  get size(): number {
    return this.count;
  }

  /** Current window capacity (apiserver_watch_cache_capacity). */
  get windowCapacity(): number {
    return this.capacity;
  }

  /** Number of events in the window. */
  get windowLength(): number {
    return this.end - this.start;
  }

  /** Replaces everything with a fresh list at `resourceVersion`; the window starts empty. */
  replace(entries: CachedEntry[], resourceVersion: bigint): void {
    this.byNamespace.clear();
    this.sortedCache.clear();
    this.count = 0;
    for (const e of entries) this.put(e);
    this.start = 0;
    this.end = 0;
    this.ring = new Array<CacheEvent | undefined>(this.capacity);
    this.resourceVersion = resourceVersion;
    this.listResourceVersion = resourceVersion;
  }

  /** The object currently stored under namespace/name. */
  get(namespace: string | undefined, name: string): ApiObject | undefined {
    return this.byNamespace.get(namespace ?? '')?.get(name)?.object;
  }

  /** Current objects of one namespace (or all), in key order. */
  list(namespace?: string): CachedEntry[] {
    const cacheKey = namespace ?? '\u0000all';
    let sorted = this.sortedCache.get(cacheKey);
    if (!sorted) {
      const entries: CachedEntry[] = [];
      if (namespace !== undefined) {
        const m = this.byNamespace.get(namespace);
        if (m) entries.push(...m.values());
      } else {
        for (const m of this.byNamespace.values()) entries.push(...m.values());
      }
      entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      sorted = entries;
      this.sortedCache.set(cacheKey, sorted);
    }
    return sorted;
  }

  /**
   * Applies one change and returns the cache event. Its revision must not be older than the
   * cache's: equal is the next key of one multi-key etcd transaction (all its events share the
   * revision; etcd delivers them together).
   * ADDED / MODIFIED / DELETED are decided from the cached previous state, as upstream does.
   * Returns undefined for a delete of an unknown key.
   */
  apply(
    change: { kind: 'put' | 'delete'; key: string; namespace: string | undefined; name: string },
    object: ApiObject | undefined,
    resourceVersion: bigint,
    recordTime: number,
  ): CacheEvent | undefined {
    if (resourceVersion < this.resourceVersion) {
      throw new Error(
        `watch cache: event at revision ${resourceVersion} is older than ${this.resourceVersion}`,
      );
    }
    const prev = this.byNamespace.get(change.namespace ?? '')?.get(change.name)?.object;
    let event: CacheEvent;
    if (change.kind === 'put') {
      event = {
        type: prev ? 'MODIFIED' : 'ADDED',
        key: change.key,
        namespace: change.namespace,
        name: change.name,
        object: object!,
        prevObject: prev,
        resourceVersion,
        recordTime,
      };
      this.put({
        key: change.key,
        namespace: change.namespace,
        name: change.name,
        object: object!,
      });
    } else {
      this.resourceVersion = resourceVersion;
      if (!prev) return undefined;
      event = {
        type: 'DELETED',
        key: change.key,
        namespace: change.namespace,
        name: change.name,
        object: withResourceVersion(prev, resourceVersion),
        prevObject: prev,
        resourceVersion,
        recordTime,
      };
      this.remove(change.namespace, change.name);
    }
    this.resourceVersion = resourceVersion;
    this.push(event);
    return event;
  }

  /** Every change of the prefix up to `revision` is known (etcd progress). */
  progress(revision: bigint): void {
    if (revision > this.resourceVersion) this.resourceVersion = revision;
  }

  /** Revision of the oldest event the window can still replay from (upstream's `oldest - 1`). */
  oldestWatchableRevision(): bigint {
    if (this.listResourceVersion > 0n && this.start === 0) return this.listResourceVersion;
    const first = this.ring[this.start % this.capacity];
    if (first) return first.resourceVersion - 1n;
    return this.resourceVersion;
  }

  /**
   * The window's events after `revision`, or a 410 "too old resource version" when the window no
   * longer reaches back that far.
   */
  eventsSince(revision: bigint): CacheEvent[] | StatusError {
    const oldest = this.oldestWatchableRevision();
    if (revision < oldest) return newTooOldResourceVersion(revision, oldest);
    // Binary search the first event newer than `revision`.
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid % this.capacity]!.resourceVersion <= revision) lo = mid + 1;
      else hi = mid;
    }
    const out: CacheEvent[] = [];
    for (let i = lo; i < this.end; i++) out.push(this.ring[i % this.capacity]!);
    return out;
  }

  private put(e: CachedEntry): void {
    const ns = e.namespace ?? '';
    let m = this.byNamespace.get(ns);
    if (!m) {
      m = new Map();
      this.byNamespace.set(ns, m);
    }
    const existing = m.get(e.name);
    if (existing) {
      // Same key: the sorted views hold the entry, so updating it in place keeps them valid.
      existing.object = e.object;
      return;
    }
    const entry = { ...e };
    m.set(e.name, entry);
    this.count++;
    for (const view of this.sortedViews(e.namespace)) {
      view.splice(lowerBound(view, entry.key), 0, entry);
    }
  }

  private remove(namespace: string | undefined, name: string): void {
    const ns = namespace ?? '';
    const m = this.byNamespace.get(ns);
    const entry = m?.get(name);
    if (!m || !entry) return;
    m.delete(name);
    if (m.size === 0) this.byNamespace.delete(ns);
    this.count--;
    for (const view of this.sortedViews(namespace)) {
      const i = lowerBound(view, entry.key);
      if (view[i] === entry) view.splice(i, 1);
    }
  }

  /** The built sorted views an entry of `namespace` belongs to. */
  private sortedViews(namespace: string | undefined): CachedEntry[][] {
    const views: CachedEntry[][] = [];
    const all = this.sortedCache.get('\u0000all');
    if (all) views.push(all);
    if (namespace !== undefined) {
      const own = this.sortedCache.get(namespace);
      if (own) views.push(own);
    }
    return views;
  }

  private push(event: CacheEvent): void {
    this.resize(event.recordTime);
    if (this.end === this.start + this.capacity) {
      this.ring[this.start % this.capacity] = undefined;
      this.start++;
    }
    this.ring[this.end % this.capacity] = event;
    this.end++;
  }

  private resize(now: number): void {
    const full = this.end - this.start === this.capacity;
    if (!full) return;
    const oldest = this.ring[this.start % this.capacity]!;
    if (now - oldest.recordTime < this.eventFreshMs) {
      const next = Math.min(this.capacity * 2, this.upperBound);
      if (next > this.capacity) this.rebuild(next);
      return;
    }
    const quarter = this.ring[(this.end - Math.floor(this.capacity / 4)) % this.capacity];
    if (quarter && now - quarter.recordTime > this.eventFreshMs) {
      const next = Math.max(Math.floor(this.capacity / 2), this.lowerBound);
      if (next < this.capacity) this.rebuild(next);
    }
  }

  /** Moves the newest events into a ring of `capacity` (absolute positions are kept). */
  private rebuild(capacity: number): void {
    const ring = new Array<CacheEvent | undefined>(capacity);
    const from = Math.max(this.start, this.end - capacity);
    for (let i = from; i < this.end; i++) ring[i % capacity] = this.ring[i % this.capacity];
    this.ring = ring;
    this.capacity = capacity;
    this.start = from;
  }
}

/** A shallow copy of `obj` whose metadata.resourceVersion is `rv` (the rest is shared). */
export function withResourceVersion(obj: ApiObject, rv: bigint): ApiObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), resourceVersion: rv.toString() } };
}

/** First index of `entries` (in key order) whose key is >= `key`. */
export function lowerBound(entries: readonly CachedEntry[], key: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
