import { describe, expect, it } from 'vitest';
import {
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isInvalid,
  isNotFound,
  isResourceExpired,
  type KubeObject,
} from '@kubets/apimachinery';
import type { WatchEvent } from '../rest/interfaces.js';
import type { WatchChannel } from '../rest/watch-channel.js';
import { FakeClock } from './fake-clock.js';
import { ObjectTracker } from './object-tracker.js';
import { CONFIGMAPS, NODES, PODS } from './resources.js';

/** The object of a non-ERROR event. */
function objectOf(e: WatchEvent<KubeObject>): KubeObject {
  if (e.type === 'ERROR') throw new Error(`unexpected ERROR event: ${e.object.message ?? ''}`);
  return e.object;
}

type Obj = KubeObject & Record<string, unknown>;

function cm(name: string, ns = 'default', labels: Record<string, string> = {}, data = {}): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data };
}

function seqRandom(): () => number {
  let i = 0;
  return () => ((i++ * 7919) % 1000) / 1000;
}

/** Drains the events pushed so far. */
function drain(ch: WatchChannel<KubeObject>): WatchEvent<KubeObject>[] {
  const out: WatchEvent<KubeObject>[] = [];
  const it = ch[Symbol.asyncIterator]();
  // WatchChannel resolves buffered events synchronously-ready; collect them via its buffer size.
  const n = ch.pending();
  for (let i = 0; i < n; i++) {
    void it.next().then((r) => {
      if (!r.done) out.push(r.value);
    });
  }
  return out;
}

async function events(ch: WatchChannel<KubeObject>): Promise<WatchEvent<KubeObject>[]> {
  const out = drain(ch);
  await Promise.resolve();
  await Promise.resolve();
  return out;
}

describe('ObjectTracker writes', () => {
  it('stamps system fields and increments one global resourceVersion', () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const t = new ObjectTracker({ clock, random: seqRandom() });
    const a = t.create(CONFIGMAPS, 'default', cm('a'));
    const b = t.create(NODES, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    expect(a.metadata?.resourceVersion).toBe('1');
    expect(b.metadata?.resourceVersion).toBe('2');
    expect(a.metadata?.uid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(a.metadata?.creationTimestamp).toBe('2024-01-01T00:00:00Z');
    expect(a.metadata?.generation).toBe(1);
    expect(b.metadata?.namespace).toBeUndefined();
    expect(t.resourceVersion()).toBe('2');
  });

  it('completes generateName and rejects duplicates and invalid names', () => {
    const t = new ObjectTracker({ random: seqRandom() });
    const made = t.create(CONFIGMAPS, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { generateName: 'web-' },
    });
    expect(made.metadata?.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    t.create(CONFIGMAPS, 'default', cm('x'));
    expect(() => t.create(CONFIGMAPS, 'default', cm('x'))).toThrow(/already exists/);
    try {
      t.create(CONFIGMAPS, 'default', cm('x'));
    } catch (e) {
      expect(isAlreadyExists(e)).toBe(true);
    }
    let err: unknown;
    try {
      t.create(CONFIGMAPS, 'default', cm('Not_Valid'));
    } catch (e) {
      err = e;
    }
    expect(isInvalid(err)).toBe(true);
    expect(() => t.create(CONFIGMAPS, 'other', cm('y', 'default'))).toThrow(/does not match/);
    const withRv = cm('z');
    withRv.metadata!.resourceVersion = '5';
    expect(() => t.create(CONFIGMAPS, 'default', withRv)).toThrow(
      /resourceVersion should not be set/,
    );
  });

  it('rejects an update with a stale resourceVersion (optimistic concurrency)', () => {
    const t = new ObjectTracker();
    const v1 = t.create(CONFIGMAPS, 'default', cm('a'));
    const v2 = t.update(CONFIGMAPS, 'default', { ...v1, data: { k: '1' } });
    expect(v2.metadata?.resourceVersion).toBe('2');
    let err: unknown;
    try {
      t.update(CONFIGMAPS, 'default', { ...v1, data: { k: 'stale' } });
    } catch (e) {
      err = e;
    }
    expect(isConflict(err)).toBe(true);
    expect((err as Error).message).toBe(
      'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
    );
    // Without a resourceVersion the update is unconditional.
    const v3 = t.update(CONFIGMAPS, 'default', {
      ...cm('a'),
      data: { k: '3' },
    });
    expect(v3.metadata?.resourceVersion).toBe('3');
    expect(v3.metadata?.uid).toBe(v1.metadata?.uid);
  });

  it('does not bump the resourceVersion for a no-op update', () => {
    const t = new ObjectTracker();
    const v1 = t.create(CONFIGMAPS, 'default', cm('a', 'default', {}, { k: 'v' }));
    const same = t.update(CONFIGMAPS, 'default', v1);
    expect(same.metadata?.resourceVersion).toBe('1');
    expect(t.resourceVersion()).toBe('1');
  });

  it('keeps status on main updates, changes only status through updateStatus, bumps generation on spec changes', () => {
    const t = new ObjectTracker();
    const p = t.create<Obj>(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { nodeName: '' },
      status: { phase: 'Pending' },
    });
    const main = t.update(PODS, 'default', {
      ...p,
      spec: { nodeName: 'n1' },
      status: { phase: 'Hacked' },
    });
    expect(main.status).toEqual({ phase: 'Pending' });
    expect(main.metadata?.generation).toBe(2);
    const st = t.update(
      PODS,
      'default',
      { ...main, spec: { nodeName: 'ignored' }, status: { phase: 'Running' } },
      { subresource: 'status' },
    );
    expect(st.status).toEqual({ phase: 'Running' });
    expect((st as { spec?: unknown }).spec).toEqual({ nodeName: 'n1' });
    expect(st.metadata?.generation).toBe(2);
    const labelsOnly = t.update(PODS, 'default', {
      ...st,
      metadata: { ...st.metadata, labels: { a: 'b' } },
    });
    expect(labelsOnly.metadata?.generation).toBe(2);
  });

  it('applies JSON and merge patches, with a resourceVersion in the patch acting as precondition', () => {
    const t = new ObjectTracker();
    t.create(CONFIGMAPS, 'default', cm('a', 'default', {}, { x: '1' }));
    const merged = t.patch(CONFIGMAPS, 'default', 'a', 'application/merge-patch+json', {
      data: { y: '2', x: null },
    });
    expect((merged as { data?: unknown }).data).toEqual({ y: '2' });
    const json = t.patch(CONFIGMAPS, 'default', 'a', 'application/json-patch+json', [
      { op: 'add', path: '/data/z', value: '3' },
    ]);
    expect((json as { data?: unknown }).data).toEqual({ y: '2', z: '3' });
    expect(() =>
      t.patch(CONFIGMAPS, 'default', 'a', 'application/merge-patch+json', {
        metadata: { resourceVersion: '1' },
        data: { w: '1' },
      }),
    ).toThrow(/has been modified/);
    expect(() =>
      t.patch(CONFIGMAPS, 'default', 'a', 'application/strategic-merge-patch+json', {}),
    ).toThrow(/unknown format/);
    expect(() =>
      t.patch(CONFIGMAPS, 'default', 'missing', 'application/merge-patch+json', {}),
    ).toThrow(/not found/);
  });

  it('honours finalizers and delete preconditions', () => {
    const clock = new FakeClock(1_000_000);
    const t = new ObjectTracker({ clock });
    const a = t.create(CONFIGMAPS, 'default', {
      ...cm('a'),
      metadata: { name: 'a', namespace: 'default', finalizers: ['example.com/keep'] },
    });
    let err: unknown;
    try {
      t.delete(CONFIGMAPS, 'default', 'a', { preconditions: { uid: 'wrong' } });
    } catch (e) {
      err = e;
    }
    expect(isConflict(err)).toBe(true);
    const pending = t.delete(CONFIGMAPS, 'default', 'a', {
      preconditions: { uid: a.metadata.uid! },
    });
    expect(pending?.metadata?.deletionTimestamp).toBeTruthy();
    expect(t.get(CONFIGMAPS, 'default', 'a').metadata?.deletionTimestamp).toBeTruthy();
    // New finalizers cannot be added once deleting; removing the last one completes the delete.
    const cur = t.get(CONFIGMAPS, 'default', 'a');
    t.update(CONFIGMAPS, 'default', { ...cur, metadata: { ...cur.metadata, finalizers: [] } });
    expect(() => t.get(CONFIGMAPS, 'default', 'a')).toThrow(/not found/);
    expect(() => t.delete(CONFIGMAPS, 'default', 'a')).toThrow(/not found/);
    expect(() =>
      t.delete(CONFIGMAPS, 'default', 'x', { propagationPolicy: 'Sideways' as never }),
    ).toThrow(/propagationPolicy/);
  });

  it('supports dry run without persisting', () => {
    const t = new ObjectTracker();
    const dry = t.create(CONFIGMAPS, 'default', cm('a'), { dryRun: ['All'] });
    expect(dry.metadata?.name).toBe('a');
    expect(t.resourceVersion()).toBe('0');
    expect(() => t.get(CONFIGMAPS, 'default', 'a')).toThrow(/not found/);
    expect(() => t.create(CONFIGMAPS, 'default', cm('a'), { dryRun: ['Some'] })).toThrow(
      /Unsupported/,
    );
  });
});

describe('ObjectTracker lists', () => {
  function seeded(n: number): ObjectTracker {
    const t = new ObjectTracker();
    for (let i = 0; i < n; i++) {
      t.create(
        CONFIGMAPS,
        i % 2 === 0 ? 'even' : 'odd',
        cm(`cm-${String(i).padStart(3, '0')}`, i % 2 === 0 ? 'even' : 'odd', {
          idx: String(i),
          parity: i % 2 === 0 ? 'even' : 'odd',
        }),
      );
    }
    return t;
  }

  it('filters by namespace, label and field selectors', () => {
    const t = seeded(10);
    expect(t.list(CONFIGMAPS, 'even').items).toHaveLength(5);
    expect(
      t
        .list(CONFIGMAPS, '', { labelSelector: 'parity=odd,idx in (1,3,4)' })
        .items.map((o) => o.metadata?.name),
    ).toEqual(['cm-001', 'cm-003']);
    expect(t.list(CONFIGMAPS, '', { fieldSelector: 'metadata.name=cm-004' }).items).toHaveLength(1);
    expect(
      t.list(CONFIGMAPS, '', { fieldSelector: 'metadata.namespace!=even' }).items,
    ).toHaveLength(5);
    let err: unknown;
    try {
      t.list(CONFIGMAPS, '', { fieldSelector: 'spec.nope=1' });
    } catch (e) {
      err = e;
    }
    expect(isBadRequest(err)).toBe(true);
    expect((err as Error).message).toBe('field label not supported: spec.nope');
    expect(() => t.list(CONFIGMAPS, '', { labelSelector: 'a in (' })).toThrow();
  });

  it('paginates over a consistent snapshot even while objects change', () => {
    const t = seeded(10);
    const p1 = t.list(CONFIGMAPS, '', { limit: 4 });
    expect(p1.items.map((o) => o.metadata?.name)).toEqual(['cm-000', 'cm-002', 'cm-004', 'cm-006']);
    expect(p1.remainingItemCount).toBe(6);
    // Changes after the first page do not show up in later pages.
    t.delete(CONFIGMAPS, 'even', 'cm-008');
    t.create(CONFIGMAPS, 'odd', cm('cm-100', 'odd'));
    t.update(CONFIGMAPS, 'odd', {
      ...t.get<Obj>(CONFIGMAPS, 'odd', 'cm-001'),
      data: { changed: 'yes' },
    });
    const p2 = t.list(CONFIGMAPS, '', { limit: 4, continue: p1.continue });
    const p3 = t.list(CONFIGMAPS, '', { limit: 4, continue: p2.continue });
    expect(p3.continue).toBeUndefined();
    const names = [...p1.items, ...p2.items, ...p3.items].map((o) => o.metadata?.name);
    expect(names).toEqual([
      'cm-000',
      'cm-002',
      'cm-004',
      'cm-006',
      'cm-008',
      'cm-001',
      'cm-003',
      'cm-005',
      'cm-007',
      'cm-009',
    ]);
    const cm001 = p2.items.find((o) => o.metadata?.name === 'cm-001');
    expect((cm001 as { data?: unknown }).data).toEqual({});
    expect(p2.resourceVersion).toBe('10');
    // A fresh list sees the new state.
    expect(t.list(CONFIGMAPS, '').items).toHaveLength(10);
  });

  it('answers resourceVersion semantics: Exact from history, 410 once compacted, 504 from the future', () => {
    const t = seeded(4);
    t.delete(CONFIGMAPS, 'even', 'cm-000');
    expect(
      t.list(CONFIGMAPS, '', { resourceVersion: '2', resourceVersionMatch: 'Exact' }).items,
    ).toHaveLength(2);
    expect(
      t.list(CONFIGMAPS, '', { resourceVersion: '4', resourceVersionMatch: 'Exact' }).items,
    ).toHaveLength(4);
    expect(t.list(CONFIGMAPS, '', { resourceVersion: '3' }).items).toHaveLength(3);
    expect(() => t.list(CONFIGMAPS, '', { resourceVersion: '99' })).toThrow(
      /Too large resource version/,
    );
    t.compact(4);
    let err: unknown;
    try {
      t.list(CONFIGMAPS, '', { resourceVersion: '2', resourceVersionMatch: 'Exact' });
    } catch (e) {
      err = e;
    }
    expect(isResourceExpired(err)).toBe(true);
    const page = t.list(CONFIGMAPS, '', { limit: 1 });
    t.create(CONFIGMAPS, 'odd', cm('late', 'odd'));
    t.compact();
    err = undefined;
    try {
      t.list(CONFIGMAPS, '', { limit: 1, continue: page.continue });
    } catch (e) {
      err = e;
    }
    expect(isResourceExpired(err)).toBe(true);
    expect(() => t.list(CONFIGMAPS, '', { resourceVersion: '1', continue: page.continue })).toThrow(
      /specifying resource version is not allowed/,
    );
  });
});

describe('ObjectTracker watches', () => {
  it('replays history from a resourceVersion and fans out live changes to every watcher', async () => {
    const t = new ObjectTracker();
    t.create(CONFIGMAPS, 'default', cm('a'));
    t.create(CONFIGMAPS, 'default', cm('b'));
    const w1 = t.watch(CONFIGMAPS, '', { resourceVersion: '1' });
    const w2 = t.watch(CONFIGMAPS, 'default', {});
    t.delete(CONFIGMAPS, 'default', 'a');
    const e1 = await events(w1);
    const e2 = await events(w2);
    expect(
      e1.map(
        (e) => `${e.type} ${objectOf(e).metadata?.name} ${objectOf(e).metadata?.resourceVersion}`,
      ),
    ).toEqual(['ADDED b 2', 'DELETED a 3']);
    expect(e2.map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'DELETED']);
    expect(t.watchCount(CONFIGMAPS)).toBe(2);
    w1.close();
    expect(t.watchCount(CONFIGMAPS)).toBe(1);
  });

  it('turns selector transitions into ADDED and DELETED events', async () => {
    const t = new ObjectTracker();
    const a = t.create(CONFIGMAPS, 'default', cm('a', 'default', { app: 'x' }));
    const w = t.watch(CONFIGMAPS, '', {
      resourceVersion: t.resourceVersion(),
      labelSelector: 'app=y',
    });
    const moved = t.update(CONFIGMAPS, 'default', {
      ...a,
      metadata: { ...a.metadata, labels: { app: 'y' } },
    });
    t.update(CONFIGMAPS, 'default', {
      ...moved,
      metadata: { ...moved.metadata, labels: { app: 'z' } },
    });
    const got = await events(w);
    expect(got.map((e) => `${e.type} ${objectOf(e).metadata?.resourceVersion}`)).toEqual([
      'ADDED 2',
      'DELETED 3',
    ]);
    expect(objectOf(got[1]!).metadata?.labels).toEqual({ app: 'y' });
  });

  it('answers a watch from a compacted resourceVersion with a 410 ERROR event', async () => {
    const t = new ObjectTracker({ historyLimit: 2 });
    for (const n of ['a', 'b', 'c', 'd']) t.create(CONFIGMAPS, 'default', cm(n));
    expect(t.compactedResourceVersion()).toBe('2');
    const w = t.watch(CONFIGMAPS, '', { resourceVersion: '1' });
    const got = await events(w);
    expect(got).toHaveLength(1);
    expect(got[0]!.type).toBe('ERROR');
    expect(isResourceExpired({ status: got[0]!.object })).toBe(true);
    expect((got[0]!.object as { message?: string }).message).toBe(
      'too old resource version: 1 (2)',
    );
    const ok = t.watch(CONFIGMAPS, '', { resourceVersion: '2' });
    expect((await events(ok)).map((e) => objectOf(e).metadata?.name)).toEqual(['c', 'd']);
  });

  it('sends bookmarks only to watchers that asked, and closes watches on timeout', async () => {
    const clock = new FakeClock();
    const t = new ObjectTracker({ clock });
    t.create(CONFIGMAPS, 'default', cm('a'));
    const withBm = t.watch(CONFIGMAPS, '', {
      resourceVersion: '1',
      allowWatchBookmarks: true,
      timeoutSeconds: 30,
    });
    const without = t.watch(CONFIGMAPS, '', { resourceVersion: '1' });
    t.create(NODES, '', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } });
    expect(t.bookmark()).toBe(1);
    const got = await events(withBm);
    expect(got).toEqual([
      {
        type: 'BOOKMARK',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '2' } },
      },
    ]);
    expect(await events(without)).toEqual([]);
    await clock.advance(30_000);
    expect(withBm.closed).toBe(true);
    expect(without.closed).toBe(false);
  });

  it('refuses unknown resources with NotFound', () => {
    const t = new ObjectTracker();
    let err: unknown;
    try {
      t.list({ group: 'x.io', version: 'v1', resource: 'widgets' }, '');
    } catch (e) {
      err = e;
    }
    expect(isNotFound(err)).toBe(true);
  });
});
