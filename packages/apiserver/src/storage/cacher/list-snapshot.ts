/**
 * Pages of a list from the watch cache at a past revision, in the manner of Kubernetes 1.33's
 * ListFromCacheSnapshot (KEP-4988): a paginated list is served from memory at one revision R,
 * every page of it (continue tokens carry R), while writes go on between pages.
 *
 * Upstream keeps a copy-on-write B-tree snapshot per event. Here the state at R is derived on
 * demand from the current state and the event window: a key changed after R had, at R, the
 * `prevObject` of its first event after R (absent when that event created it). So a snapshot is
 * available exactly as long as the window still holds every event after R — the same lifetime
 * upstream's snapshots have (they are dropped with the window's oldest events). The cost of a
 * page is a binary search, the page itself and one pass over the events since R.
 */
import type { ApiObject } from '../codec.js';
import { lowerBound, type WatchCache } from './watch-cache.js';

export interface SnapshotPageRequest {
  /** Only keys >= this full etcd key (a continue token's start). */
  fromKey?: string;
  /** Most items to return; 0 = all. */
  limit: number;
  predicate?: ((obj: ApiObject) => boolean) | undefined;
}

export interface SnapshotPage {
  items: ApiObject[];
  /** Key of the last item returned when more keys follow (for the continue token). */
  continueAfter?: string;
  /** Objects after this page (only without a predicate, as upstream). */
  remainingItemCount?: number;
}

interface Undone {
  /** The state at the snapshot revision; null when the key did not exist then. */
  state: ApiObject | null;
  namespace: string | undefined;
  name: string;
}

/**
 * One page of `namespace` (all when undefined) as it was at `revision`, or undefined when the
 * window no longer reaches back to `revision` (the caller asks etcd instead). The caller makes
 * sure the cache has reached `revision` (or is proven equal to etcd at it).
 */
export function snapshotPage(
  cache: WatchCache,
  namespace: string | undefined,
  revision: bigint,
  req: SnapshotPageRequest,
): SnapshotPage | undefined {
  const events = cache.eventsSince(revision);
  if (!Array.isArray(events)) return undefined;
  const from = req.fromKey;
  // The state at `revision` of every key changed since (the first event after it wins).
  const undo = new Map<string, Undone>();
  for (const e of events) {
    if (namespace !== undefined && e.namespace !== namespace) continue;
    if (from !== undefined && e.key < from) continue;
    if (!undo.has(e.key)) {
      undo.set(e.key, { state: e.prevObject ?? null, namespace: e.namespace, name: e.name });
    }
  }
  const current = cache.list(namespace);
  // Keys that existed at `revision` and are gone now, in key order.
  const gone: { key: string; object: ApiObject }[] = [];
  // Keys that exist now but not at `revision` and lie ahead (for remainingItemCount).
  let created = 0;
  for (const [key, u] of undo) {
    const now = cache.get(u.namespace, u.name) !== undefined;
    if (u.state !== null && !now) gone.push({ key, object: u.state });
    if (u.state === null && now) created++;
  }
  gone.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  let i = from === undefined ? 0 : lowerBound(current, from);
  let j = 0;
  /** Next key of the snapshot, merged from the current entries and the gone ones. */
  const next = (): { key: string; object: ApiObject; undone: boolean } | undefined => {
    for (;;) {
      const c = current[i];
      const g = gone[j];
      if (!c && !g) return undefined;
      if (g && (!c || g.key < c.key)) {
        j++;
        return { key: g.key, object: g.object, undone: true };
      }
      i++;
      const u = undo.size > 0 ? undo.get(c!.key) : undefined;
      if (!u) return { key: c!.key, object: c!.object, undone: false };
      if (u.state === null) {
        created--;
        continue;
      }
      return { key: c!.key, object: u.state, undone: true };
    }
  };

  const items: ApiObject[] = [];
  const limit = req.limit;
  const predicate = req.predicate;
  let lastKey: string | undefined;
  for (;;) {
    const e = next();
    if (!e) return { items };
    if (predicate && !predicate(e.object)) continue;
    items.push(e.object);
    lastKey = e.key;
    if (limit > 0 && items.length >= limit) break;
  }
  // The page is full: is anything left after it?
  if (!predicate) {
    // Entries left now, minus keys created since the snapshot, plus keys deleted since.
    const remaining = current.length - i - created + (gone.length - j);
    if (remaining <= 0) return { items };
    return { items, continueAfter: lastKey, remainingItemCount: remaining };
  }
  return next() ? { items, continueAfter: lastKey } : { items };
}
