/**
 * The quota controller's work, run in the API server while kubets has no controller-manager:
 * sets `status.hard` from `spec.hard` and recomputes `status.used` from the stored objects of a
 * namespace when a quota is created or changed, when a counted object is deleted (or a pod
 * finishes), and on a periodic full resync (upstream's --resource-quota-sync-period, 5 min).
 * Writes are compare-and-swap on the quota, so a concurrent admission charge is never lost: the
 * recomputation is retried on the fresh quota.
 */
import { deepCopyJson, isNotFound } from '@kubets/apimachinery';
import type { Logger } from '@kubets/component-base';
import type { ApiObject } from '../../storage/codec.js';
import type { ResourceStore } from '../../storage/store.js';
import type { StorageWatch, WatchOptions, WatchSink } from '../../storage/watcher.js';
import {
  addLists,
  listsEqual,
  mask,
  matchingResourceNames,
  podCounts,
  scopesMatch,
  usageOf,
  type QuotaSpec,
  type ResourceList,
} from './usage.js';

/** Something to follow a resource's changes with: its watch cache, or its store. */
export interface WatchSource {
  watch(namespace: string | undefined, options: WatchOptions, sink: WatchSink): StorageWatch;
  /** Resolves once watches are served (a watch cache's first list). */
  whenReady?(): Promise<void>;
}

export interface QuotaControllerDeps {
  quotas: () => ResourceStore | undefined;
  /** The store of a group/resource (for counting), if served. */
  store: (group: string, resource: string) => ResourceStore | undefined;
  /**
   * The watch cache of a group/resource, if it has one: the controller follows changes there
   * (as upstream's informers do) instead of opening its own etcd watch per resource, which
   * would make etcd send every pod change twice (once with its previous value) and this server
   * decode it twice. Without one, the store is watched.
   */
  watchCache?: (group: string, resource: string) => WatchSource | undefined;
  resyncMs?: number;
  logger?: Logger;
}

/** The resources whose deletions change usage, watched for replenishment. */
const WATCHED = [
  ['', 'pods'],
  ['', 'services'],
  ['', 'configmaps'],
  ['', 'secrets'],
  ['', 'persistentvolumeclaims'],
  ['', 'replicationcontrollers'],
] as const;

/** `count/deployments.apps` -> ['apps', 'deployments']; legacy names map to core resources. */
function resourcesFor(hard: string[]): [string, string][] {
  const out = new Map<string, [string, string]>();
  const add = (g: string, r: string): void => void out.set(`${g}/${r}`, [g, r]);
  for (const n of hard) {
    if (n.startsWith('count/')) {
      const rest = n.slice('count/'.length);
      const dot = rest.indexOf('.');
      if (dot < 0) add('', rest);
      else add(rest.slice(dot + 1), rest.slice(0, dot));
    } else if (
      [
        'pods',
        'services',
        'configmaps',
        'secrets',
        'persistentvolumeclaims',
        'replicationcontrollers',
        'resourcequotas',
      ].includes(n)
    ) {
      add('', n);
    } else if (
      n.includes('cpu') ||
      n.includes('memory') ||
      n.includes('ephemeral-storage') ||
      n.startsWith('requests.hugepages-')
    ) {
      add('', 'pods');
    } else if (n.startsWith('services.')) {
      add('', 'services');
    } else if (n === 'requests.storage') {
      add('', 'persistentvolumeclaims');
    }
  }
  return [...out.values()];
}

/** The usage of a namespace's objects against a quota (pure given the objects). */
export function computeUsed(
  quota: ApiObject,
  objects: { group: string; resource: string; items: ApiObject[] }[],
): ResourceList {
  const spec = (quota.spec ?? {}) as QuotaSpec;
  const hardNames = Object.keys(spec.hard ?? {});
  let used: ResourceList = Object.fromEntries(hardNames.map((n) => [n, '0']));
  for (const { group, resource, items } of objects) {
    const names = matchingResourceNames(group, resource, hardNames);
    if (names.length === 0) continue;
    for (const o of items) {
      if (!scopesMatch(spec, group, resource, o)) continue;
      used = addLists(used, mask(usageOf(group, resource, o), names));
    }
  }
  return used;
}

export class QuotaController {
  private watches: StorageWatch[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private running = Promise.resolve();

  constructor(private readonly deps: QuotaControllerDeps) {}

  start(): void {
    this.stopped = false;
    void this.watchQuotas();
    for (const [g, r] of WATCHED) void this.watchDeletes(g, r);
    this.timer = setInterval(() => void this.syncAll(), this.deps.resyncMs ?? 5 * 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    for (const w of this.watches) w.stop();
    this.watches = [];
    await this.running.catch(() => undefined);
  }

  /** Recomputes every quota of a namespace soon (debounced). */
  kick(namespace: string): void {
    if (this.stopped || this.pending.has(namespace)) return;
    const t = setTimeout(() => {
      this.pending.delete(namespace);
      this.running = this.running
        .then(() => this.syncNamespace(namespace))
        .catch((err) => {
          this.deps.logger?.error(err, 'Quota usage recalculation failed', { namespace });
        });
    }, 50);
    t.unref();
    this.pending.set(namespace, t);
  }

  async syncAll(): Promise<void> {
    const store = this.deps.quotas();
    if (!store || this.stopped) return;
    const namespaces = new Set(
      (await store.list(undefined, {})).items.map((q) => q.metadata?.namespace ?? ''),
    );
    for (const ns of namespaces) if (ns) this.kick(ns);
  }

  async syncNamespace(namespace: string): Promise<void> {
    const store = this.deps.quotas();
    if (!store || this.stopped) return;
    const quotas = (await store.list(namespace, {})).items;
    for (const q of quotas) {
      const name = q.metadata!.name!;
      const hard = ((q.spec ?? {}) as QuotaSpec).hard ?? {};
      const objects = [];
      for (const [group, resource] of resourcesFor(Object.keys(hard))) {
        const s = this.deps.store(group, resource);
        if (!s) continue;
        objects.push({ group, resource, items: (await s.list(namespace, {})).items });
      }
      const used = computeUsed(q, objects);
      try {
        await store.guaranteedUpdate(namespace, name, (current) => {
          if (!current) return q;
          const status = (current.status ?? {}) as { hard?: ResourceList; used?: ResourceList };
          if (listsEqual(status.hard ?? {}, hard) && listsEqual(status.used ?? {}, used))
            return current;
          const next = deepCopyJson(current);
          next.status = { ...status, hard: { ...hard }, used };
          return next;
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /**
   * Opens a watch on the resource's watch cache when it has one (from its current state: the
   * existing objects arrive as ADDED events, which cost nothing there), else on its store (from
   * the current revision, or with the current state first when `initial`).
   */
  private async follow(
    group: string,
    resource: string,
    store: ResourceStore,
    initial: boolean,
    sink: WatchSink,
  ): Promise<void> {
    const cache = this.deps.watchCache?.(group, resource);
    let w: StorageWatch;
    if (cache) {
      await cache.whenReady?.();
      if (this.stopped) return;
      w = cache.watch(undefined, { resourceVersion: '' }, sink);
    } else {
      const rv = initial ? '' : (await store.currentRevision()).toString();
      if (this.stopped) return;
      w = store.watch(undefined, { resourceVersion: rv }, sink);
    }
    this.watches.push(w);
  }

  private async watchQuotas(): Promise<void> {
    const store = this.deps.quotas();
    if (!store || this.stopped) return;
    await this.follow('', 'resourcequotas', store, true, {
      onEvent: (e) => {
        if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
        const spec = (e.object.spec ?? {}) as QuotaSpec;
        const status = (e.object.status ?? {}) as { hard?: ResourceList; used?: ResourceList };
        const hard = spec.hard ?? {};
        const known = Object.keys(hard).every((k) => status.used?.[k] !== undefined);
        if (!listsEqual(status.hard ?? {}, hard) || !known) {
          this.kick(e.object.metadata?.namespace ?? '');
        }
      },
      onClose: () => this.rewatch(() => this.watchQuotas()),
    });
  }

  private async watchDeletes(group: string, resource: string): Promise<void> {
    const store = this.deps.store(group, resource);
    if (!store || this.stopped) return;
    // Only changes matter here: initial ADDED events (from a cache) count for nothing.
    await this.follow(group, resource, store, false, {
      onEvent: (e) => {
        const ns = e.object.metadata?.namespace;
        if (!ns) return;
        if (e.type === 'DELETED') this.kick(ns);
        else if (e.type === 'MODIFIED' && resource === 'pods' && !podCounts(e.object))
          this.kick(ns);
      },
      onClose: () => this.rewatch(() => this.watchDeletes(group, resource)),
    });
  }

  private rewatch(again: () => Promise<void>): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      if (!this.stopped) void again().catch(() => this.rewatch(again));
    }, 1000);
    t.unref();
  }
}
