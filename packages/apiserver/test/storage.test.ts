/**
 * Storage semantics against a real etcd: keys, resourceVersions, create/get/list/update/delete,
 * paging, resourceVersion semantics, watch (initial state, filtering transitions, 410 after
 * compaction, bookmarks), compaction, and watch resumption across an etcd restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConflict, StatusError } from '@kubets/apimachinery';
import { EtcdClient } from '../src/storage/etcd/etcd-client.js';
import { ResourceStore } from '../src/storage/store.js';
import type { ApiObject } from '../src/storage/codec.js';
import type { StorageEvent } from '../src/storage/watcher.js';
import { compactOnce } from '../src/storage/compactor.js';
import { etcdMissingReason, startEtcd, type EtcdProcess } from './helpers/etcd.js';

const skip = etcdMissingReason();
if (skip) console.warn(`skipping storage tests: ${skip}`);

let etcd: EtcdProcess;
let client: EtcdClient;
let n = 0;

function podStore(prefix = `/t${++n}`): ResourceStore {
  return new ResourceStore({
    client,
    groupResource: { group: '', resource: 'pods' },
    pathPrefix: prefix,
    resourcePrefix: 'pods',
    namespaced: true,
  });
}

function pod(name: string, labels: Record<string, string> = {}, ns = 'default'): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  };
}

async function statusOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

/** Collects watch events until `count` arrived or the timeout passes. */
function collector(): {
  events: StorageEvent[];
  closed: Error[];
  sink: { onEvent(e: StorageEvent): void; onClose(err?: Error): void };
  waitFor(count: number, ms?: number): Promise<StorageEvent[]>;
} {
  const events: StorageEvent[] = [];
  const closed: Error[] = [];
  const waiters: (() => void)[] = [];
  return {
    events,
    closed,
    sink: {
      onEvent: (e) => {
        events.push(e);
        waiters.splice(0).forEach((w) => w());
      },
      onClose: (err) => {
        closed.push(err ?? new Error('closed'));
        waiters.splice(0).forEach((w) => w());
      },
    },
    async waitFor(count, ms = 5000) {
      const deadline = Date.now() + ms;
      while (events.length < count && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return events;
    },
  };
}

describe.skipIf(skip)('storage on real etcd', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    client = new EtcdClient({ endpoints: etcd.endpoint });
  }, 20_000);

  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  it('stores objects under upstream keys with resourceVersion = mod_revision', async () => {
    const store = podStore('/registry');
    const created = await store.create(pod('keyed'));
    const raw = await client.range({ key: Buffer.from('/registry/pods/default/keyed') });
    expect(raw.kvs).toHaveLength(1);
    expect(created.metadata?.resourceVersion).toBe(raw.kvs[0]!.mod_revision);
    const stored = JSON.parse(raw.kvs[0]!.value.toString());
    expect(stored.metadata.resourceVersion).toBeUndefined();
    expect(stored.kind).toBe('Pod');
    const got = await store.get('default', 'keyed');
    expect(got).toEqual(created);
  });

  it('create refuses an existing name with AlreadyExists; get of a missing one is NotFound', async () => {
    const store = podStore();
    await store.create(pod('a'));
    const exists = await statusOf(store.create(pod('a')));
    expect(exists.code).toBe(409);
    expect(exists.message).toBe('pods "a" already exists');
    const missing = await statusOf(store.get('default', 'nope'));
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('pods "nope" not found');
  });

  it('get with a resourceVersion the store has not reached is a 504', async () => {
    const store = podStore();
    const created = await store.create(pod('future'));
    const err = await statusOf(
      store.get('default', 'future', String(BigInt(created.metadata!.resourceVersion!) + 1000n)),
    );
    expect(err.code).toBe(504);
    expect(err.message).toMatch(/^Timeout: Too large resource version/);
  });

  it('lists with limit/continue, remainingItemCount and one consistent revision', async () => {
    const store = podStore();
    for (let i = 0; i < 7; i++) await store.create(pod(`p${i}`));
    await store.create(pod('other-ns', {}, 'kube-system'));
    const first = await store.list('default', { limit: 3 });
    expect(first.items.map((p) => p.metadata?.name)).toEqual(['p0', 'p1', 'p2']);
    expect(first.remainingItemCount).toBe(4);
    expect(first.continue).toBeTruthy();
    // A write between pages must not show up: pages are read at the first page's revision.
    await store.create(pod('p3a'));
    const second = await store.list('default', { limit: 3, continue: first.continue });
    expect(second.items.map((p) => p.metadata?.name)).toEqual(['p3', 'p4', 'p5']);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    const third = await store.list('default', { limit: 3, continue: second.continue });
    expect(third.items.map((p) => p.metadata?.name)).toEqual(['p6']);
    expect(third.continue).toBeUndefined();
    const all = await store.list(undefined, {});
    expect(all.items).toHaveLength(9);
  });

  it('filters with a predicate while paging (reading ahead past non-matching keys)', async () => {
    const store = podStore();
    for (let i = 0; i < 10; i++) {
      await store.create(pod(`f${i}`, { parity: i % 2 === 0 ? 'even' : 'odd' }));
    }
    const isOdd = (o: ApiObject): boolean => o.metadata?.labels?.parity === 'odd';
    const page1 = await store.list('default', { limit: 2, predicate: isOdd });
    expect(page1.items.map((p) => p.metadata?.name)).toEqual(['f1', 'f3']);
    expect(page1.remainingItemCount).toBeUndefined();
    const page2 = await store.list('default', {
      limit: 2,
      predicate: isOdd,
      continue: page1.continue,
    });
    expect(page2.items.map((p) => p.metadata?.name)).toEqual(['f5', 'f7']);
    const page3 = await store.list('default', {
      limit: 2,
      predicate: isOdd,
      continue: page2.continue,
    });
    expect(page3.items.map((p) => p.metadata?.name)).toEqual(['f9']);
    expect(page3.continue).toBeUndefined();
  });

  it('honours resourceVersion semantics: Exact reads history, NotOlderThan refuses the future', async () => {
    const store = podStore();
    const v1 = await store.create(pod('hist', { v: '1' }));
    await store.guaranteedUpdate('default', 'hist', (cur) => ({
      ...cur!,
      metadata: { ...cur!.metadata, labels: { v: '2' } },
    }));
    const exact = await store.list('default', {
      resourceVersion: v1.metadata!.resourceVersion,
      resourceVersionMatch: 'Exact',
    });
    expect(exact.items[0]?.metadata?.labels).toEqual({ v: '1' });
    expect(exact.resourceVersion).toBe(v1.metadata!.resourceVersion);
    const latest = await store.list('default', {
      resourceVersion: v1.metadata!.resourceVersion,
      resourceVersionMatch: 'NotOlderThan',
    });
    expect(latest.items[0]?.metadata?.labels).toEqual({ v: '2' });
    const future = await statusOf(
      store.list('default', { resourceVersion: '99999999', resourceVersionMatch: 'NotOlderThan' }),
    );
    expect(future.code).toBe(504);
    const bad = await statusOf(store.list('default', { continue: 'not-a-token' }));
    expect(bad.code).toBe(400);
  });

  it('guaranteedUpdate retries lost races and applies every concurrent update', async () => {
    const store = podStore();
    await store.create({ ...pod('counter'), data: { n: 0 } });
    await Promise.all(
      Array.from({ length: 10 }, () =>
        store.guaranteedUpdate('default', 'counter', (cur) => {
          const data = cur!.data as { n: number };
          return { ...cur!, data: { n: data.n + 1 } };
        }),
      ),
    );
    const final = await store.get('default', 'counter');
    expect((final.data as { n: number }).n).toBe(10);
  });

  it('guaranteedUpdate starts from a cached guess but never trusts a stale one', async () => {
    const store = podStore();
    const v1 = await store.create({ ...pod('guess'), data: { n: 1 } });
    const v2 = await store.guaranteedUpdate('default', 'guess', (cur) => ({
      ...cur!,
      data: { n: 2 },
    }));
    // A stale guess fails the compare-and-swap; the update is redone on the fresh state.
    const seen: number[] = [];
    const v3 = await store.guaranteedUpdate(
      'default',
      'guess',
      (cur) => {
        const n = (cur!.data as { n: number }).n;
        seen.push(n);
        return { ...cur!, data: { n: n + 10 } };
      },
      { cachedExisting: v1 },
    );
    expect(seen).toEqual([1, 2]);
    expect(v3.data).toEqual({ n: 12 });
    // A refusal judged on the stale guess is judged again on the current state.
    const v4 = await store.guaranteedUpdate(
      'default',
      'guess',
      (cur) => {
        if (cur!.metadata?.resourceVersion !== v3.metadata?.resourceVersion) {
          throw new Error('stale');
        }
        return { ...cur!, data: { n: 13 } };
      },
      { cachedExisting: v2 },
    );
    expect(v4.data).toEqual({ n: 13 });
    // A no-op on the stale guess is not trusted: the current object comes back, unchanged.
    const same = await store.guaranteedUpdate('default', 'guess', (cur) => cur!, {
      cachedExisting: v1,
    });
    expect(same.metadata?.resourceVersion).toBe(v4.metadata?.resourceVersion);
    // A fresh guess saves the read and writes once.
    const v5 = await store.guaranteedUpdate(
      'default',
      'guess',
      (cur) => ({ ...cur!, data: { n: 14 } }),
      { cachedExisting: v4 },
    );
    expect(BigInt(v5.metadata!.resourceVersion!)).toBeGreaterThan(
      BigInt(v4.metadata!.resourceVersion!),
    );
  });

  it('does not write (or bump the resourceVersion) when nothing changed', async () => {
    const store = podStore();
    const created = await store.create(pod('same'));
    const updated = await store.guaranteedUpdate('default', 'same', (cur) => cur!);
    expect(updated.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  it('checks preconditions with upstream messages on update and delete', async () => {
    const store = podStore();
    const created = await store.create({
      ...pod('pre'),
      metadata: { ...pod('pre').metadata, uid: 'u1' },
    });
    const uid = await statusOf(
      store.guaranteedUpdate('default', 'pre', (c) => c!, { preconditions: { uid: 'u2' } }),
    );
    expect(isConflict(uid)).toBe(true);
    expect(uid.message).toBe(
      'Operation cannot be fulfilled on pods "pre": Precondition failed: UID in precondition: u2, UID in object meta: u1',
    );
    const rv = await statusOf(
      store.delete('default', 'pre', { preconditions: { resourceVersion: '1' } }),
    );
    expect(rv.code).toBe(409);
    const deleted = await store.delete('default', 'pre', {
      preconditions: { resourceVersion: created.metadata!.resourceVersion! },
    });
    expect(deleted.metadata?.name).toBe('pre');
    expect(BigInt(deleted.metadata!.resourceVersion!)).toBeGreaterThan(
      BigInt(created.metadata!.resourceVersion!),
    );
    expect((await statusOf(store.get('default', 'pre'))).code).toBe(404);
  });

  it('watches from a resourceVersion: ADDED, MODIFIED, DELETED in order', async () => {
    const store = podStore();
    const start = await store.currentRevision();
    const c = collector();
    const w = store.watch('default', { resourceVersion: start.toString() }, c.sink);
    await store.create(pod('w1'));
    await store.guaranteedUpdate('default', 'w1', (cur) => ({
      ...cur!,
      metadata: { ...cur!.metadata, labels: { x: 'y' } },
    }));
    const del = await store.delete('default', 'w1');
    const events = await c.waitFor(3);
    w.stop();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events[1]!.object.metadata?.labels).toEqual({ x: 'y' });
    expect(events[2]!.object.metadata?.resourceVersion).toBe(del.metadata?.resourceVersion);
  });

  it('without a resourceVersion, starts with the current state as ADDED events', async () => {
    const store = podStore();
    await store.create(pod('i1'));
    await store.create(pod('i2'));
    const c = collector();
    const w = store.watch('default', {}, c.sink);
    await c.waitFor(2);
    await store.create(pod('i3'));
    const events = await c.waitFor(3);
    w.stop();
    expect(events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual([
      'ADDED:i1',
      'ADDED:i2',
      'ADDED:i3',
    ]);
  });

  it('turns selection transitions into ADDED and DELETED for filtered watches', async () => {
    const store = podStore();
    await store.create(pod('t1', { app: 'other' }));
    const start = await store.currentRevision();
    const c = collector();
    const w = store.watch(
      'default',
      { resourceVersion: start.toString(), predicate: (o) => o.metadata?.labels?.app === 'web' },
      c.sink,
    );
    const relabel = (app: string) => (cur: ApiObject | undefined) => ({
      ...cur!,
      metadata: { ...cur!.metadata, labels: { app } },
    });
    await store.guaranteedUpdate('default', 't1', relabel('web')); // enters: ADDED
    await store.guaranteedUpdate('default', 't1', (cur) => ({ ...cur!, spec: { x: 1 } })); // MODIFIED
    await store.guaranteedUpdate('default', 't1', relabel('db')); // leaves: DELETED
    await store.guaranteedUpdate('default', 't1', relabel('db2')); // outside: nothing
    await store.create(pod('t2', { app: 'web' }));
    const events = await c.waitFor(4);
    await new Promise((r) => setTimeout(r, 100));
    w.stop();
    expect(events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual([
      'ADDED:t1',
      'MODIFIED:t1',
      'DELETED:t1',
      'ADDED:t2',
    ]);
    // The DELETED object is the last state that matched.
    expect(events[2]!.object.metadata?.labels).toEqual({ app: 'web' });
  });

  it('ends a watch from a compacted revision with a 410 Expired ERROR event', async () => {
    const store = podStore();
    const first = await store.create(pod('c1'));
    await store.create(pod('c2'));
    const rev = await store.currentRevision();
    await client.compact(rev);
    const c = collector();
    // etcd keeps the compaction revision itself: start strictly before it.
    const before = String(BigInt(first.metadata!.resourceVersion!) - 1n);
    store.watch('default', { resourceVersion: before }, c.sink);
    const events = await c.waitFor(1);
    expect(events[0]?.type).toBe('ERROR');
    expect(events[0]?.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(String(events[0]?.object.message)).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    expect(c.closed).toHaveLength(1);
    // A continue token from before the compaction is expired too.
    const err = await statusOf(
      store.list('default', { resourceVersion: before, resourceVersionMatch: 'Exact' }),
    );
    expect(err.code).toBe(410);
  });

  it('sends bookmarks with the newest revision when allowed', async () => {
    const store = podStore();
    const start = await store.currentRevision();
    const c = collector();
    const w = store.watch(
      'default',
      {
        resourceVersion: start.toString(),
        allowBookmarks: true,
        bookmarkIntervalMs: 150,
        bookmark: (rv) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: rv } }),
      },
      c.sink,
    );
    const created = await store.create(pod('b1'));
    const events = await c.waitFor(2, 3000);
    w.stop();
    expect(events[0]?.type).toBe('ADDED');
    expect(events[1]?.type).toBe('BOOKMARK');
    expect(events[1]?.object.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  it('compacts like kube-apiserver: observe first, then compact to the previous revision', async () => {
    const store = podStore();
    const step1 = await compactOnce(client, 0n, 0n);
    expect(step1.compacted).toBe(false);
    const old = await store.create(pod('cmp'));
    const step2 = await compactOnce(client, step1.time, step1.revision);
    expect(step2.compacted).toBe(true);
    expect(step2.time).toBe(step1.time + 1n);
    // A second server with a stale time adopts the new one instead of compacting.
    const stale = await compactOnce(client, step1.time, step2.revision);
    expect(stale.compacted).toBe(false);
    expect(stale.time).toBe(step2.time);
    // Revisions before step1.revision are gone.
    const err = await statusOf(
      store.list('default', {
        resourceVersion: String(step1.revision - 1n),
        resourceVersionMatch: 'Exact',
      }),
    );
    expect(err.code).toBe(410);
    expect((await store.get('default', 'cmp')).metadata?.uid).toBe(old.metadata?.uid);
  });

  it('counts objects', async () => {
    const store = podStore();
    await store.create(pod('n1'));
    await store.create(pod('n2', {}, 'other'));
    expect(await store.count()).toBe(2);
  });

  it('resumes watches after an etcd restart without losing events', async () => {
    const store = podStore();
    const start = await store.currentRevision();
    const c = collector();
    const w = store.watch('default', { resourceVersion: start.toString() }, c.sink);
    await store.create(pod('r1'));
    await c.waitFor(1);
    await etcd.restart();
    await store.create(pod('r2'));
    const events = await c.waitFor(2, 10_000);
    w.stop();
    expect(events.map((e) => `${e.type}:${e.object.metadata?.name}`)).toEqual([
      'ADDED:r1',
      'ADDED:r2',
    ]);
  }, 30_000);
});
