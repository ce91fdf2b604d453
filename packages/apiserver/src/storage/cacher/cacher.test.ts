/**
 * The cacher against an in-memory fake of the etcd client (range + one watch): dispatch to many
 * watchers, filtering transitions, resourceVersion semantics, freshness of consistent lists,
 * slow watchers, bookmarks and relists. Real etcd is in test/watch-cache.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RangeRequest } from '../../gen/etcd/types/etcdserverpb/RangeRequest.js';
import type { KeyValue__Output } from '../../gen/etcd/types/mvccpb/KeyValue.js';
import type { ApiObject } from '../codec.js';
import type { EtcdClient } from '../etcd/etcd-client.js';
import type { EtcdWatchHandler, EtcdWatchOptions } from '../etcd/watch-mux.js';
import { WatchCompactedError } from '../etcd/watch-mux.js';
import { ResourceStore } from '../store.js';
import type { StorageEvent, WatchSink } from '../watcher.js';
import { busyScale, Cacher } from './cacher.js';

class FakeEtcd {
  revision = 1n;
  readonly data = new Map<string, KeyValue__Output>();
  handler: EtcdWatchHandler | undefined;
  watchOptions: EtcdWatchOptions | undefined;
  watchCount = 0;
  ranges: RangeRequest[] = [];
  /** Events are held (not delivered) while true: a lagging etcd watch. */
  holding = false;
  held: { type: 'PUT' | 'DELETE'; kv: KeyValue__Output }[] = [];

  readonly watches = {
    watch: (options: EtcdWatchOptions, handler: EtcdWatchHandler) => {
      this.watchCount++;
      this.handler = handler;
      this.watchOptions = options;
      return { cancel: () => (this.handler = undefined) };
    },
  };

  range(req: RangeRequest): Promise<unknown> {
    this.ranges.push(req);
    const from = Buffer.from(req.key as Buffer).toString();
    const to = Buffer.from(req.range_end as Buffer).toString();
    let kvs = [...this.data.values()]
      .filter((kv) => kv.key.toString() >= from && kv.key.toString() < to)
      .sort((a, b) => (a.key.toString() < b.key.toString() ? -1 : 1));
    const count = kvs.length;
    if (req.sort_order === 'DESCEND') {
      kvs = kvs.sort((a, b) => Number(BigInt(b.mod_revision) - BigInt(a.mod_revision)));
    }
    const limit = Number(req.limit ?? 0);
    const more = limit > 0 && kvs.length > limit;
    if (limit > 0) kvs = kvs.slice(0, limit);
    return Promise.resolve({
      header: { revision: this.revision.toString() },
      kvs,
      count: String(count),
      more,
    });
  }

  put(key: string, obj: ApiObject): bigint {
    this.revision++;
    const prev = this.data.get(key);
    const kv: KeyValue__Output = {
      key: Buffer.from(key),
      value: Buffer.from(JSON.stringify(obj)),
      mod_revision: this.revision.toString(),
      create_revision: prev?.create_revision ?? this.revision.toString(),
      version: '1',
      lease: '0',
    };
    this.data.set(key, kv);
    this.emit({ type: 'PUT', kv });
    return this.revision;
  }

  del(key: string): bigint {
    this.revision++;
    this.data.delete(key);
    this.emit({
      type: 'DELETE',
      kv: {
        key: Buffer.from(key),
        value: Buffer.alloc(0),
        mod_revision: this.revision.toString(),
        create_revision: '0',
        version: '0',
        lease: '0',
      },
    });
    return this.revision;
  }

  /** A write elsewhere in etcd: the revision moves, this prefix sees nothing. */
  bump(): void {
    this.revision++;
  }

  release(): void {
    this.holding = false;
    const events = this.held;
    this.held = [];
    if (events.length > 0) this.handler?.onEvents(events as never, this.revision);
  }

  private emit(e: { type: 'PUT' | 'DELETE'; kv: KeyValue__Output }): void {
    if (this.holding) {
      this.held.push(e);
      return;
    }
    this.handler?.onEvents([e as never], this.revision);
  }
}

function pod(name: string, labels: Record<string, string> = {}, ns = 'default'): ApiObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels } };
}

class Recorder implements WatchSink {
  events: StorageEvent[] = [];
  closed = false;
  backlog = 0;
  onEvent(e: StorageEvent): void {
    this.events.push(e);
  }
  onClose(): void {
    this.closed = true;
  }
  pending(): number {
    return this.backlog;
  }
  summary(): string[] {
    return this.events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

let cachers: Cacher[] = [];
afterEach(async () => {
  for (const c of cachers) await c.stop();
  cachers = [];
});

async function setup(
  opts: Partial<ConstructorParameters<typeof Cacher>[0]> = {},
): Promise<{ etcd: FakeEtcd; cacher: Cacher; store: ResourceStore }> {
  const etcd = new FakeEtcd();
  const client = etcd as unknown as EtcdClient;
  const store = new ResourceStore({
    client,
    groupResource: { group: '', resource: 'pods' },
    pathPrefix: '/registry',
    resourcePrefix: 'pods',
    namespaced: true,
  });
  const cacher = new Cacher({
    store,
    client,
    resourceLabel: 'pods',
    kindLabels: { group: '', version: 'v1', kind: 'Pod' },
    freshnessTimeoutMs: 200,
    // Dispatch in the next turn, always (adaptive coalescing has its own tests).
    dispatchCostRatio: 0,
    ...opts,
  });
  cachers.push(cacher);
  etcd.put('/registry/pods/default/a', pod('a', { app: 'web' }));
  etcd.put('/registry/pods/kube-system/b', pod('b', {}, 'kube-system'));
  cacher.start();
  await cacher.whenReady();
  return { etcd, cacher, store };
}

const web = (o: ApiObject): boolean => o.metadata?.labels?.app === 'web';

describe('Cacher watch', () => {
  it('serves any number of watchers from one etcd watch', async () => {
    const { etcd, cacher } = await setup();
    const sinks = Array.from({ length: 200 }, () => new Recorder());
    for (const s of sinks) cacher.watch(undefined, { resourceVersion: '3' }, s);
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick();
    expect(etcd.watchCount).toBe(1);
    expect(etcd.watchOptions?.prevKv).toBe(false);
    for (const s of sinks) expect(s.summary()).toEqual(['ADDED c']);
    expect(cacher.watcherCount).toBe(200);
  });

  it('resourceVersion 0 starts with the cached state; N replays the window after N', async () => {
    const { etcd, cacher } = await setup();
    const fromZero = new Recorder();
    cacher.watch('default', { resourceVersion: '0' }, fromZero);
    const rv = etcd.put('/registry/pods/default/a', pod('a', { app: 'web', v: '2' }));
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick();
    expect(fromZero.summary()).toEqual(['ADDED a', 'MODIFIED a', 'ADDED c']);
    const fromN = new Recorder();
    cacher.watch(undefined, { resourceVersion: rv.toString() }, fromN);
    await tick();
    expect(fromN.summary()).toEqual(['ADDED c']);
    expect(fromN.events[0]!.object.metadata?.resourceVersion).toBe(String(rv + 1n));
  });

  it('answers a revision older than the window with a 410 ERROR and closes', async () => {
    const { etcd, cacher } = await setup({ window: { lowerBound: 2, upperBound: 2 } });
    for (let i = 0; i < 5; i++) etcd.put(`/registry/pods/default/p${i}`, pod(`p${i}`));
    const s = new Recorder();
    cacher.watch(undefined, { resourceVersion: '3' }, s);
    await tick();
    expect(s.events[0]?.type).toBe('ERROR');
    expect(s.events[0]?.object).toMatchObject({
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version: 3 (6)',
    });
    expect(s.closed).toBe(true);
  });

  it('filters per watcher: transitions in and out of a selector are ADDED and DELETED', async () => {
    const { etcd, cacher } = await setup();
    const s = new Recorder();
    cacher.watch(undefined, { resourceVersion: '3', predicate: web }, s);
    etcd.put('/registry/pods/default/a', pod('a', {})); // leaves the selection
    etcd.put('/registry/pods/default/a', pod('a', { app: 'web' })); // comes back
    etcd.put('/registry/pods/default/x', pod('x', {})); // never selected
    etcd.del('/registry/pods/default/a');
    await tick();
    expect(s.summary()).toEqual(['DELETED a', 'ADDED a', 'DELETED a']);
    // The DELETED of a transition carries the event's revision.
    expect(s.events[0]!.object.metadata?.resourceVersion).toBe('4');
    expect(s.events[0]!.object.metadata?.labels).toEqual({ app: 'web' });
  });

  it('scopes by namespace and name', async () => {
    const { etcd, cacher } = await setup();
    const ns = new Recorder();
    const one = new Recorder();
    cacher.watch('kube-system', { resourceVersion: '0' }, ns);
    cacher.watch('default', { resourceVersion: '0', name: 'a' }, one);
    etcd.put('/registry/pods/default/a', pod('a'));
    etcd.put('/registry/pods/kube-system/z', pod('z', {}, 'kube-system'));
    await tick();
    expect(ns.summary()).toEqual(['ADDED b', 'ADDED z']);
    expect(one.summary()).toEqual(['ADDED a', 'MODIFIED a']);
  });

  it('shares one object per event across watchers (encoded once downstream)', async () => {
    const { etcd, cacher } = await setup();
    const a = new Recorder();
    const b = new Recorder();
    cacher.watch(undefined, { resourceVersion: '3' }, a);
    cacher.watch(undefined, { resourceVersion: '3' }, b);
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick();
    expect(a.events[0]!.object).toBe(b.events[0]!.object);
  });

  it('drops a slow watcher instead of holding the others back', async () => {
    const { etcd, cacher } = await setup({ maxPendingBytes: 1000 });
    const slow = new Recorder();
    const fast = new Recorder();
    cacher.watch(undefined, { resourceVersion: '3' }, slow);
    cacher.watch(undefined, { resourceVersion: '3' }, fast);
    await tick();
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick();
    // The client stops reading: its backlog grows past the limit with the next batch.
    slow.backlog = 5000;
    etcd.put('/registry/pods/default/d', pod('d'));
    await tick();
    etcd.put('/registry/pods/default/e', pod('e'));
    await tick();
    expect(slow.closed).toBe(true);
    expect(slow.summary()).toEqual(['ADDED c', 'ADDED d']);
    expect(fast.summary()).toEqual(['ADDED c', 'ADDED d', 'ADDED e']);
    expect(cacher.watcherCount).toBe(1);
  });

  it('sends bookmarks with the cache revision to watchers that allow them', async () => {
    const { etcd, cacher } = await setup({ bookmarkIntervalMs: 0 });
    const s = new Recorder();
    cacher.watch(
      undefined,
      {
        resourceVersion: '3',
        allowBookmarks: true,
        bookmark: (rv) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: rv } }),
      },
      s,
    );
    const rv = etcd.put('/registry/pods/default/c', pod('c'));
    await new Promise((r) => setTimeout(r, 1_200));
    const bookmark = s.events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object.metadata?.resourceVersion).toBe(rv.toString());
    const none = new Recorder();
    cacher.watch(undefined, { resourceVersion: '3' }, none);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(none.events.some((e) => e.type === 'BOOKMARK')).toBe(false);
  });

  it('closes every watcher and relists when the etcd watch ends', async () => {
    const { etcd, cacher } = await setup();
    const s = new Recorder();
    cacher.watch(undefined, { resourceVersion: '0' }, s);
    await tick();
    etcd.handler!.onError(new WatchCompactedError(4n, 10n));
    await tick();
    expect(s.closed).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(etcd.watchCount).toBe(2);
    expect(cacher.ready).toBe(true);
  });
});

describe('Cacher list', () => {
  it('serves resourceVersion=0 from memory, whole (ignoring a limit, as upstream)', async () => {
    const { etcd, cacher } = await setup();
    etcd.ranges = [];
    const list = await cacher.list(undefined, { resourceVersion: '0', limit: 1 });
    expect(list.items.map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    expect(list.resourceVersion).toBe('3');
    expect(list.continue).toBeUndefined();
    expect(etcd.ranges).toEqual([]);
  });

  it('continues a consistent limited list at its first revision while writes go on', async () => {
    const { etcd, cacher } = await setup();
    const list = await cacher.list(undefined, { limit: 1 });
    expect(list.items.map((o) => o.metadata?.name)).toEqual(['a']);
    expect(list.resourceVersion).toBe('3');
    expect(list.remainingItemCount).toBe(1);
    // Written between the pages: not part of the snapshot.
    etcd.put('/registry/pods/default/z', pod('z'));
    etcd.del('/registry/pods/kube-system/b');
    etcd.ranges = [];
    const next = await cacher.list(undefined, { limit: 1, continue: list.continue });
    expect(next.items.map((o) => o.metadata?.name)).toEqual(['b']);
    expect(next.resourceVersion).toBe('3');
    expect(next.continue).toBeUndefined();
    expect(etcd.ranges).toEqual([]);
  });

  it('a consistent list waits until the cache has seen the latest write', async () => {
    const { etcd, cacher } = await setup();
    etcd.holding = true;
    etcd.put('/registry/pods/default/c', pod('c'));
    const pending = cacher.list('default', {});
    setTimeout(() => etcd.release(), 50);
    const list = await pending;
    expect(list.items.map((o) => o.metadata?.name)).toEqual(['a', 'c']);
    expect(list.resourceVersion).toBe('4');
  });

  it('a consistent list is served at once when etcd moved on elsewhere only', async () => {
    const { etcd, cacher } = await setup();
    etcd.bump();
    etcd.bump();
    const started = Date.now();
    const list = await cacher.list(undefined, {});
    expect(Date.now() - started).toBeLessThan(150);
    expect(list.items).toHaveLength(2);
  });

  it('a missed delete keeps the cache stale until it arrives (count check)', async () => {
    const { etcd, cacher } = await setup();
    etcd.holding = true;
    etcd.del('/registry/pods/default/a');
    const pending = cacher.list(undefined, {});
    setTimeout(() => etcd.release(), 50);
    expect((await pending).items.map((o) => o.metadata?.name)).toEqual(['b']);
  });

  it('falls back to etcd when the cache does not catch up in time', async () => {
    const { etcd, cacher } = await setup({ freshnessTimeoutMs: 50 });
    etcd.holding = true;
    etcd.put('/registry/pods/default/c', pod('c'));
    const list = await cacher.list(undefined, {});
    expect(list.items.map((o) => o.metadata?.name)).toEqual(['a', 'c', 'b']);
  });

  it('a consistent limited list comes from memory after the freshness check', async () => {
    const { etcd, cacher } = await setup();
    etcd.ranges = [];
    const list = await cacher.list(undefined, { limit: 1 });
    // Only the keys-only freshness Range reached etcd.
    expect(etcd.ranges).toHaveLength(1);
    expect(etcd.ranges[0]!.keys_only).toBe(true);
    expect(list.items.map((o) => o.metadata?.name)).toEqual(['a']);
    expect(list.continue).toBeDefined();
  });

  it('exact lists come from the window while it reaches back, else from etcd', async () => {
    const { etcd, cacher } = await setup({ window: { lowerBound: 2, upperBound: 2 } });
    etcd.put('/registry/pods/default/a', pod('a', { v: '2' }));
    etcd.ranges = [];
    const at3 = await cacher.list(undefined, {
      resourceVersion: '3',
      resourceVersionMatch: 'Exact',
    });
    expect(at3.items.map((o) => o.metadata?.resourceVersion)).toEqual(['2', '3']);
    expect(etcd.ranges).toEqual([]);
    etcd.put('/registry/pods/default/c', pod('c'));
    etcd.put('/registry/pods/default/d', pod('d'));
    // The window now starts after revision 4: revision 3 is etcd's to serve.
    await cacher.list(undefined, { resourceVersion: '3', resourceVersionMatch: 'Exact' });
    expect(etcd.ranges[0]!.revision).toBe('3');
  });

  it('a continue token whose snapshot left the window is served by etcd', async () => {
    const { etcd, cacher } = await setup({ window: { lowerBound: 2, upperBound: 2 } });
    const first = await cacher.list(undefined, { limit: 1 });
    for (const n of ['c', 'd', 'e']) etcd.put(`/registry/pods/default/${n}`, pod(n));
    etcd.ranges = [];
    await cacher.list(undefined, { limit: 1, continue: first.continue });
    expect(etcd.ranges[0]!.revision).toBe('3');
  });

  it('NotOlderThan waits for the revision, else 504 Too large resource version', async () => {
    const { etcd, cacher } = await setup({ freshnessTimeoutMs: 50 });
    const rv = etcd.put('/registry/pods/default/c', pod('c'));
    const list = await cacher.list(undefined, { resourceVersion: rv.toString() });
    expect(list.items).toHaveLength(3);
    await expect(cacher.list(undefined, { resourceVersion: '100' })).rejects.toMatchObject({
      code: 504,
    });
  });
});

/** A sink taking batches, as the REST and gRPC doors do. */
class BatchRecorder extends Recorder {
  batches: (readonly StorageEvent[])[] = [];
  /** Busy time per batch (a costly transport makes the fan-out slow). */
  costMs = 0;
  onEvents(events: readonly StorageEvent[]): void {
    this.batches.push(events);
    for (const e of events) this.events.push(e);
    const until = performance.now() + this.costMs;
    while (performance.now() < until) {
      // busy: simulated write cost
    }
  }
  /** resourceVersions as numbers, in arrival order (events and bookmarks). */
  revisions(): number[] {
    return this.events.map((e) => Number(e.object.metadata?.resourceVersion));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('Cacher fan-out (grouped, coalesced)', () => {
  it('delivers every event in order to many watchers with different selectors, under coalescing', async () => {
    // Real adaptive coalescing: each batch costs every watcher 0.02 ms, so dispatches space out.
    const { etcd, cacher } = await setup({ dispatchCostRatio: 2, maxDispatchDelayMs: 30 });
    const tier = (t: string) => (o: ApiObject) => o.metadata?.labels?.tier === t;
    type Spec = { ns?: string; predicate?: (o: ApiObject) => boolean; key?: string };
    const specs: Spec[] = [
      {},
      { ns: 'default' },
      { ns: 'other' },
      { predicate: tier('a'), key: 'tier=a' },
      { predicate: tier('b'), key: 'tier=b' },
      { ns: 'default', predicate: tier('a'), key: 'tier=a' },
      // A predicate without a key: its own group.
      { predicate: tier('b') },
    ];
    const watchers = specs.flatMap((spec) =>
      Array.from({ length: 30 }, () => {
        const sink = new BatchRecorder();
        sink.costMs = 0.02;
        cacher.watch(
          spec.ns,
          {
            resourceVersion: '3',
            ...(spec.predicate ? { predicate: spec.predicate } : {}),
            ...(spec.key ? { selectionKey: spec.key } : {}),
          },
          sink,
        );
        return { spec, sink };
      }),
    );
    // Writes in bursts over several turns: label changes move pods in and out of the selections.
    const expected = new Map<Spec, string[]>(specs.map((s) => [s, []]));
    const state = new Map<string, ApiObject>();
    for (let i = 0; i < 200; i++) {
      const ns = i % 3 === 0 ? 'other' : 'default';
      const name = `p${i % 17}`;
      const key = `/registry/pods/${ns}/${name}`;
      const prev = state.get(key);
      let next: ApiObject | undefined;
      let rv: bigint;
      if (prev && i % 11 === 0) {
        rv = etcd.del(key);
        state.delete(key);
      } else {
        next = pod(name, { tier: i % 5 < 2 ? 'a' : 'b', i: String(i) }, ns);
        rv = etcd.put(key, next);
        state.set(key, next);
      }
      for (const s of specs) {
        if (s.ns !== undefined && s.ns !== ns) continue;
        const p = s.predicate ?? (() => true);
        const was = prev !== undefined && p(prev);
        const is = next !== undefined && p(next);
        const type = is ? (was ? 'MODIFIED' : 'ADDED') : was ? 'DELETED' : undefined;
        if (type) expected.get(s)!.push(`${type} ${name} ${rv}`);
      }
      if (i % 7 === 0) await sleep(1);
    }
    const total = (s: Spec): number => expected.get(s)!.length;
    await until(
      () => watchers.every((w) => w.sink.events.length >= total(w.spec)),
      'every event at every watcher',
    );
    for (const w of watchers) {
      expect(
        w.sink.events.map(
          (e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`,
        ),
      ).toEqual(expected.get(w.spec));
    }
    // Coalesced: fewer batches than events.
    const all = watchers[0]!.sink;
    expect(all.batches.length).toBeLessThan(all.events.length);
    // One batch array per group: watchers with the same selection share it.
    const group = watchers.filter((w) => w.spec === specs[3]);
    for (const w of group) expect(w.sink.batches).toEqual(group[0]!.sink.batches);
    for (const w of group) {
      w.sink.batches.forEach((b, i) => expect(b).toBe(group[0]!.sink.batches[i]));
    }
  });

  it('waits longer between dispatches while the fan-out is costly, at once when idle', async () => {
    const { etcd, cacher } = await setup({ dispatchCostRatio: 4, maxDispatchDelayMs: 50 });
    const sinks = Array.from({ length: 10 }, () => new BatchRecorder());
    for (const s of sinks) {
      s.costMs = 1; // 10 ms per dispatch: the next one waits 40 ms
      cacher.watch(undefined, { resourceVersion: '3' }, s);
    }
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick();
    // Idle: dispatched in the next turn.
    expect(sinks[0]!.events).toHaveLength(1);
    for (let i = 0; i < 20; i++) {
      etcd.put(`/registry/pods/default/d${i}`, pod(`d${i}`));
      await sleep(2);
    }
    await until(() => sinks[0]!.events.length === 21, '21 events');
    // 20 writes spread over ~40 ms arrived in a few batches, not twenty.
    expect(sinks[0]!.batches.length).toBeLessThanOrEqual(5);
  });

  it('paces dispatch by the fan-out CPU cost, not by wall time spent waiting for a core', async () => {
    // A fake CPU clock: each batch "costs" what the sink adds to it.
    let cpuMs = 0;
    const { etcd, cacher } = await setup({
      dispatchCostRatio: 1,
      maxDispatchDelayMs: 60_000,
      cpuTimeMs: () => cpuMs,
    });
    const s = new BatchRecorder();
    let chargeMs = 0;
    let blockMs = 0;
    const record = s.onEvents.bind(s);
    s.onEvents = (events) => {
      record(events);
      cpuMs += chargeMs;
      // Off the CPU: the thread sleeps, as when the machine runs other processes.
      if (blockMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockMs);
    };
    cacher.watch(undefined, { resourceVersion: '3' }, s);
    // 30 ms of wall time at no CPU cost: the next batch goes out in the next turn.
    blockMs = 30;
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick();
    expect(s.summary()).toEqual(['ADDED c']);
    blockMs = 0;
    etcd.put('/registry/pods/default/d', pod('d'));
    await tick();
    expect(s.summary()).toEqual(['ADDED c', 'ADDED d']);
    // A batch that cost a minute of CPU: the next one waits (ratio 1).
    chargeMs = 60_000;
    etcd.put('/registry/pods/default/e', pod('e'));
    await tick();
    expect(s.summary()).toEqual(['ADDED c', 'ADDED d', 'ADDED e']);
    etcd.put('/registry/pods/default/f', pod('f'));
    await sleep(30);
    expect(s.summary()).toEqual(['ADDED c', 'ADDED d', 'ADDED e']);
  });

  it('scales the wait up while the event loop is busy with other work', async () => {
    expect(busyScale(0.5, 2, 0.6, 0.9)).toBe(1);
    expect(busyScale(0.75, 2, 0.6, 0.9)).toBeCloseTo(1.5);
    expect(busyScale(0.95, 2, 0.6, 0.9)).toBe(2);
    expect(busyScale(1, 1, 0.6, 0.9)).toBe(1);
    // Each batch "costs" 50 ms of CPU: the next waits 50 ms when the loop was idle, 150 ms when
    // it was busy all the time (scale 3).
    const run = async (busy: boolean): Promise<{ early: number; total: number }> => {
      let cpuMs = 0;
      const { etcd, cacher } = await setup({
        dispatchCostRatio: 1,
        maxDispatchDelayMs: 60_000,
        busyDispatchScale: 3,
        cpuTimeMs: () => cpuMs,
        loopActiveMs: busy ? () => performance.now() : () => 0,
      });
      const s = new BatchRecorder();
      const record = s.onEvents.bind(s);
      s.onEvents = (events) => {
        record(events);
        cpuMs += 50;
      };
      cacher.watch(undefined, { resourceVersion: '3' }, s);
      etcd.put('/registry/pods/default/c', pod('c'));
      await tick();
      etcd.put('/registry/pods/default/d', pod('d'));
      await sleep(100);
      const early = s.events.length;
      await until(() => s.events.length === 2, 'd delivered');
      return { early, total: s.events.length };
    };
    expect(await run(false)).toEqual({ early: 2, total: 2 });
    expect(await run(true)).toEqual({ early: 1, total: 2 });
  });

  it('caps the wait for dispatch at maxDispatchDelayMs', async () => {
    let cpuMs = 0;
    const { etcd, cacher } = await setup({
      dispatchCostRatio: 1,
      maxDispatchDelayMs: 5,
      cpuTimeMs: () => cpuMs,
    });
    const s = new BatchRecorder();
    const record = s.onEvents.bind(s);
    s.onEvents = (events) => {
      record(events);
      cpuMs += 60_000;
    };
    cacher.watch(undefined, { resourceVersion: '3' }, s);
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick();
    etcd.put('/registry/pods/default/d', pod('d'));
    await until(() => s.events.length === 2, 'd within the cap');
    expect(s.summary()).toEqual(['ADDED c', 'ADDED d']);
  });

  it('drops a slow batch watcher without affecting the others of its group', async () => {
    const { etcd, cacher } = await setup({ maxPendingBytes: 1000 });
    const slow = new BatchRecorder();
    const fast = Array.from({ length: 5 }, () => new BatchRecorder());
    cacher.watch(undefined, { resourceVersion: '3' }, slow);
    for (const f of fast) cacher.watch(undefined, { resourceVersion: '3' }, f);
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick();
    slow.backlog = 5000;
    etcd.put('/registry/pods/default/d', pod('d'));
    await tick();
    etcd.put('/registry/pods/default/e', pod('e'));
    await tick();
    expect(slow.closed).toBe(true);
    expect(slow.summary()).toEqual(['ADDED c', 'ADDED d']);
    for (const f of fast) expect(f.summary()).toEqual(['ADDED c', 'ADDED d', 'ADDED e']);
    expect(cacher.watcherCount).toBe(5);
  });

  it('a watcher registered while events wait for dispatch gets each event once', async () => {
    const { etcd, cacher } = await setup({ dispatchCostRatio: 1000, maxDispatchDelayMs: 100 });
    const first = new BatchRecorder();
    first.costMs = 1;
    cacher.watch(undefined, { resourceVersion: '3' }, first);
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick(); // dispatched; the next dispatch waits ~100 ms
    const rv = etcd.put('/registry/pods/default/d', pod('d'));
    // Registered after d entered the cache but before it was dispatched: d is in its initial events.
    const late = new BatchRecorder();
    cacher.watch(undefined, { resourceVersion: String(rv - 1n) }, late);
    etcd.put('/registry/pods/default/e', pod('e'));
    await until(() => first.events.length === 3, 'c, d, e');
    await until(() => late.events.length >= 2, 'd, e');
    await sleep(20);
    expect(late.summary()).toEqual(['ADDED d', 'ADDED e']);
    expect(first.summary()).toEqual(['ADDED c', 'ADDED d', 'ADDED e']);
  });

  it('bookmarks never overtake events still waiting for dispatch', async () => {
    const { etcd, cacher } = await setup({
      bookmarkIntervalMs: 0,
      dispatchCostRatio: 100_000,
      maxDispatchDelayMs: 1_500,
    });
    const s = new BatchRecorder();
    s.costMs = 1;
    cacher.watch(
      undefined,
      {
        resourceVersion: '3',
        allowBookmarks: true,
        bookmark: (rv) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: rv } }),
      },
      s,
    );
    etcd.put('/registry/pods/default/c', pod('c'));
    await tick(); // c dispatched at once; the next dispatch waits 1.5 s
    const rv = etcd.put('/registry/pods/default/d', pod('d'));
    // The 1 s ticker sends a bookmark while d waits: it must not claim d's revision.
    await until(() => s.events.some((e) => e.type === 'BOOKMARK'), 'a bookmark', 3_000);
    await until(() => s.events.some((e) => e.object.metadata?.name === 'd'), 'd', 3_000);
    const revisions = s.revisions();
    for (let i = 1; i < revisions.length; i++) {
      expect(revisions[i]!).toBeGreaterThanOrEqual(revisions[i - 1]!);
    }
    const bookmark = s.events.find((e) => e.type === 'BOOKMARK')!;
    expect(Number(bookmark.object.metadata?.resourceVersion)).toBeLessThan(Number(rv));
  });
});
