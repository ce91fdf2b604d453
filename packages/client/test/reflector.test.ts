/**
 * The reflector against the fake API server with injected failures: paginated initial list,
 * watch resumption after a cut, relist after compaction, bookmarks, bounded backoff.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isResourceExpired, type KubeObject, type ListOptions } from '@kubets/apimachinery';
import { Reflector } from '../src/cache/reflector.js';
import { noopLogger, type Logger } from '../src/util/logger.js';
import {
  CONFIGMAPS,
  FakeClock,
  PODS,
  connectionRefused,
  connectionReset,
  failWith,
  newFakeClient,
  type FakeDynamicClient,
} from '../src/testing/index.js';
import { newInternalError } from '@kubets/apimachinery';
import { pod, seededRandom } from './support/fixtures.js';
import { RecordingStore } from './support/recording-store.js';

interface Harness {
  clock: FakeClock;
  client: FakeDynamicClient;
  store: RecordingStore;
  reflector: Reflector<KubeObject>;
  stop: AbortController;
  done: Promise<void>;
}

const running: Harness[] = [];

afterEach(async () => {
  for (const h of running.splice(0)) {
    h.stop.abort();
    await h.clock.advance(0);
    await h.done;
  }
});

function start(
  options: {
    seed?: number;
    pods?: number;
    pageSize?: number;
    historyLimit?: number;
    logger?: Logger;
    before?: (client: FakeDynamicClient, clock: FakeClock) => void;
  } = {},
): Harness {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const random = seededRandom(options.seed ?? 1);
  const client = newFakeClient({ clock, random, historyLimit: options.historyLimit ?? 10_000 });
  for (let i = 0; i < (options.pods ?? 0); i++) {
    client.tracker.create(PODS, 'default', pod(`p${String(i).padStart(5, '0')}`));
  }
  options.before?.(client, clock);
  const store = new RecordingStore();
  const reflector = new Reflector<KubeObject>(client.resource(PODS), store, {
    name: 'pods',
    clock,
    random,
    logger: options.logger ?? noopLogger,
    pageSize: options.pageSize,
  });
  const stop = new AbortController();
  const done = reflector.run(stop.signal);
  const h = { clock, client, store, reflector, stop, done };
  running.push(h);
  return h;
}

function listCalls(client: FakeDynamicClient): ListOptions[] {
  return client
    .actions()
    .filter((a) => a.verb === 'list')
    .map((a) => {
      const { signal: _s, ...o } = a.options as ListOptions & { signal?: AbortSignal };
      return o;
    });
}

function watchCalls(client: FakeDynamicClient): ListOptions[] {
  return client
    .actions()
    .filter((a) => a.verb === 'watch')
    .map((a) => a.options as ListOptions);
}

function trackerVersions(client: FakeDynamicClient): Map<string, string> {
  return new Map(
    client.tracker
      .list(PODS, '')
      .items.map((o) => [
        `${o.metadata!.namespace}/${o.metadata!.name}`,
        o.metadata!.resourceVersion!,
      ]),
  );
}

/** Every watch-delivered resourceVersion is applied at most once. */
function expectNoDuplicateEvents(store: RecordingStore): void {
  const seen = new Set<string>();
  for (const op of store.ops) {
    if (op.op === 'add' || op.op === 'update' || op.op === 'delete') {
      const id = `${op.key}@${op.rv}`;
      expect(seen.has(id), `applied twice: ${id}`).toBe(false);
      seen.add(id);
    }
  }
}

describe('Reflector', () => {
  it('lists in pages from resourceVersion "0", then watches from the list resourceVersion', async () => {
    const h = start({ pods: 1234 });
    await h.clock.advance(0);
    expect(listCalls(h.client)).toEqual([
      { resourceVersion: '0', limit: 500 },
      { limit: 500, continue: expect.any(String) },
      { limit: 500, continue: expect.any(String) },
    ]);
    expect(h.store.ops[0]).toEqual({ op: 'replace', count: 1234, rv: '1234' });
    expect(h.reflector.lastSyncResourceVersion()).toBe('1234');
    const w = watchCalls(h.client);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ resourceVersion: '1234', allowWatchBookmarks: true });
    // Watch timeouts are randomized in [5, 10) minutes.
    expect(w[0]!.timeoutSeconds).toBeGreaterThanOrEqual(300);
    expect(w[0]!.timeoutSeconds).toBeLessThan(600);
    expect(h.client.tracker.watchCount(PODS)).toBe(1);
  });

  it('resumes a watch cut mid-stream from the last resourceVersion seen, without relisting, losing or repeating events', async () => {
    const h = start({ pods: 20 });
    await h.clock.advance(0);
    const t = h.client.tracker;
    t.update(PODS, 'default', {
      ...t.get(PODS, 'default', 'p00001'),
      metadata: { ...t.get(PODS, 'default', 'p00001').metadata, labels: { x: '1' } },
    });
    t.delete(PODS, 'default', 'p00002');
    await h.clock.advance(0);
    const lastSeen = h.reflector.lastSyncResourceVersion();
    expect(lastSeen).toBe('22');
    // The network breaks; the server is unreachable for a while, and objects change meanwhile.
    const unblock = h.client.prependReactor(
      'watch',
      'pods',
      failWith(() => connectionRefused()),
    );
    expect(t.closeWatches({ error: connectionReset() })).toBe(1);
    t.create(PODS, 'default', pod('during-outage'));
    t.delete(PODS, 'default', 'p00003');
    t.update(PODS, 'default', {
      ...t.get(PODS, 'default', 'p00004'),
      metadata: { ...t.get(PODS, 'default', 'p00004').metadata, labels: { x: '2' } },
    });
    await h.clock.advance(5_000);
    unblock();
    await h.clock.advance(120_000);
    const watches = watchCalls(h.client).map((w) => w.resourceVersion);
    expect(watches[0]).toBe('20');
    // Every re-watch starts from the last version seen before it: nothing in between was skipped.
    expect(watches.slice(1).every((rv) => rv === lastSeen)).toBe(true);
    expect(listCalls(h.client)).toHaveLength(1); // never relisted
    expect(h.store.versions()).toEqual(trackerVersions(h.client));
    expectNoDuplicateEvents(h.store);
    expect(h.reflector.lastSyncResourceVersion()).toBe(t.resourceVersion());
  });

  it('relists after compaction makes the resume point expire (410), converging to the current state', async () => {
    const infos: string[] = [];
    const h = start({ pods: 10, logger: { ...noopLogger, info: (m) => infos.push(m) } });
    await h.clock.advance(5_000); // a watch that has been running for a while
    const t = h.client.tracker;
    const unblock = h.client.prependReactor(
      'watch',
      'pods',
      failWith(() => connectionRefused()),
    );
    t.closeWatches();
    t.delete(PODS, 'default', 'p00001');
    t.delete(PODS, 'default', 'p00002');
    t.create(PODS, 'default', pod('new-one'));
    t.compact();
    unblock();
    await h.clock.advance(120_000);
    // The resume at 10 was answered with 410 (history starts at 13), then the relist happened.
    const watches = watchCalls(h.client).map((w) => w.resourceVersion);
    expect(watches[0]).toBe('10');
    expect(watches.at(-1)).toBe('13');
    expect(infos).toContain('watch closed: resourceVersion expired, relisting');
    const lists = listCalls(h.client);
    expect(lists.length).toBe(2);
    // The relist asks for "at least as new as" the last version, unpaginated (watch-cache friendly).
    expect(lists[1]).toEqual({ resourceVersion: '10' });
    expect(h.store.ops.filter((o) => o.op === 'replace')).toEqual([
      { op: 'replace', count: 10, rv: '10' },
      { op: 'replace', count: 9, rv: '13' },
    ]);
    expect(h.store.versions()).toEqual(trackerVersions(h.client));
    expect(h.reflector.lastSyncResourceVersion()).toBe('13');
  });

  it('falls back to a consistent list when the list resourceVersion itself is too old', async () => {
    const h = start({ pods: 5, pageSize: 2 });
    await h.clock.advance(0);
    const t = h.client.tracker;
    const unblock = h.client.prependReactor(
      'watch',
      'pods',
      failWith(() => connectionRefused()),
    );
    t.closeWatches();
    t.create(PODS, 'default', pod('late'));
    t.compact();
    unblock();
    const listErrors: unknown[] = [];
    h.client.prependReactor('list', 'pods', (a) => {
      try {
        h.client.tracker.list(PODS, '', a.options as ListOptions);
      } catch (e) {
        listErrors.push(e);
      }
      return undefined;
    });
    await h.clock.advance(120_000);
    const lists = listCalls(h.client).slice(3); // after the initial 3 pages
    // A paged list at a specific version is an exact read: expired, so the reflector relists at ''.
    expect(lists[0]).toEqual({ resourceVersion: '5', limit: 2 });
    expect(isResourceExpired(listErrors[0])).toBe(true);
    expect(lists[1]).toEqual({ resourceVersion: '', limit: 2 });
    expect(h.store.versions()).toEqual(trackerVersions(h.client));
  });

  it('advances its resourceVersion on bookmarks so a quiet watch can resume after compaction', async () => {
    const h = start({ pods: 3 });
    await h.clock.advance(0);
    const t = h.client.tracker;
    // Other resources change; pods do not.
    for (let i = 0; i < 5; i++)
      t.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `c${i}` },
      });
    expect(t.bookmark(PODS)).toBe(1);
    await h.clock.advance(0);
    expect(h.reflector.lastSyncResourceVersion()).toBe('8');
    const opsBefore = h.store.ops.length;
    expect(opsBefore).toBe(1); // bookmarks do not touch the store
    t.compact();
    t.closeWatches();
    await h.clock.advance(60_000);
    expect(listCalls(h.client)).toHaveLength(1); // resumed at 8, not expired
    expect(watchCalls(h.client).map((w) => w.resourceVersion)).toEqual(['3', '8']);
  });

  it('backs off exponentially between failed cycles, bounded, and recovers', async () => {
    const times: number[] = [];
    let remove = (): void => undefined;
    const h = start({
      pods: 2,
      seed: 7,
      before: (client, clock) => {
        remove = client.prependReactor('list', 'pods', () => {
          times.push(clock.now());
          return { error: newInternalError('etcd is down') };
        });
      },
    });
    await h.clock.advance(10 * 60_000);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.length).toBeGreaterThan(8);
    // 800 ms doubling to a 30 s cap, each stretched by up to 100% jitter.
    expect(gaps[0]).toBeGreaterThanOrEqual(800);
    expect(gaps[0]).toBeLessThan(1600);
    for (const g of gaps) expect(g).toBeLessThan(60_000);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(30_000);
    remove();
    await h.clock.advance(61_000);
    expect(h.store.count('replace')).toBe(1);
    expect(h.store.versions()).toEqual(trackerVersions(h.client));
  });

  it('treats a watch that closes at once with no events as a failure (no hot loop)', async () => {
    const h = start({ pods: 1 });
    await h.clock.advance(0);
    h.client.prependReactor('watch', 'pods', () => {
      // A server that accepts the watch and closes it immediately.
      const ch = h.client.tracker.watch(PODS, '', {
        resourceVersion: h.client.tracker.resourceVersion(),
      });
      ch.end();
      return { result: ch };
    });
    h.client.tracker.closeWatches();
    await h.clock.advance(10_000);
    // Each short watch ends the cycle; cycles are separated by backoff, so only a few happen.
    const n = watchCalls(h.client).length;
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(12);
  });
});
