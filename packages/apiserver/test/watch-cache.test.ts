/**
 * The watch cache against real etcd, through the REST API: 1,000 watchers on one etcd watch,
 * 410 for a revision older than the window, lists at resourceVersion=0 from memory, consistent
 * lists that see the write made just before them, and watch events in order with none lost
 * across an etcd restart (the etcd watch reconnects); consistent lists on kubets-store too.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissingReason } from './helpers/etcd.js';
import { startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { storeMissingReason } from './helpers/store.js';

const missing = etcdMissingReason();
if (missing) console.warn(`skipping watch cache tests: ${missing}`);

let cluster: TestCluster;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      cluster.url + path,
      {
        method,
        agent,
        headers: data ? { 'content-type': contentType } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: text });
          }
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function pod(name: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'cache-test' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
}

/** A running watch collecting its events. */
interface OpenWatch {
  events: any[];
  ready: Promise<void>;
  close(): void;
}

function openWatch(path: string): OpenWatch {
  const events: any[] = [];
  let buf = '';
  let markReady!: () => void;
  let failReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const req = request(cluster.url + path, { agent: false }, (res) => {
    markReady();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', (err) => failReady(err));
  req.end();
  return { events, ready, close: () => req.destroy() };
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function metric(name: string, labels: string): Promise<number> {
  const res = await fetch(`${cluster.url}/metrics`);
  const text = await res.text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels)) return Number(line.split(' ').pop());
  }
  return 0;
}

const PODS = '/api/v1/namespaces/default/pods';

describe.skipIf(!!missing)('watch cache (real etcd)', () => {
  beforeAll(async () => {
    cluster = await startTestCluster({
      // A small window so "too old" is reachable; bookmarks every second.
      watchCacheWindow: { lowerBound: 50, upperBound: 50 },
      watchCacheTuning: { bookmarkIntervalMs: 1_000 },
    });
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    await cluster?.stop();
  });

  it('serves 1,000 watchers from one etcd watch', async () => {
    const etcdWatches = cluster.server.client.watches.size;
    const rv = (await call('GET', PODS)).body.metadata.resourceVersion as string;
    const watches: OpenWatch[] = [];
    try {
      for (let i = 0; i < 1_000; i++) {
        watches.push(openWatch(`${PODS}?watch=true&resourceVersion=${rv}`));
        if (i % 100 === 99) await Promise.all(watches.map((w) => w.ready));
      }
      await Promise.all(watches.map((w) => w.ready));
      // Not one more etcd watch for 1,000 API watches.
      expect(cluster.server.client.watches.size).toBe(etcdWatches);
      expect((await call('POST', PODS, pod('fanout'))).status).toBe(201);
      await until(
        () => watches.every((w) => w.events.length >= 1),
        'every watcher to get the event',
      );
      for (const w of watches) {
        expect(w.events[0]).toMatchObject({
          type: 'ADDED',
          object: { metadata: { name: 'fanout' } },
        });
      }
      expect(await metric('apiserver_registered_watchers', 'kind="Pod"')).toBeGreaterThanOrEqual(
        1_000,
      );
    } finally {
      for (const w of watches) w.close();
    }
  }, 120_000);

  it('answers 410 Expired for a resourceVersion older than the window', async () => {
    const first = await call('POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'old' },
    });
    const rv = Number(first.body.metadata.resourceVersion);
    for (let i = 0; i < 60; i++) {
      const r = await call(
        'PATCH',
        '/api/v1/namespaces/default/configmaps/old',
        { data: { i: String(i) } },
        'application/merge-patch+json',
      );
      expect(r.status).toBe(200);
    }
    const w = openWatch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
    await until(() => w.events.length >= 1, 'the ERROR event');
    w.close();
    expect(w.events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
    expect(w.events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  }, 60_000);

  it('lists resourceVersion=0 from memory, without reading etcd', async () => {
    const before = await metric(
      'etcd_request_duration_seconds_count',
      'operation="list",type="pods"',
    );
    const cached = await metric('apiserver_cache_list_total', 'resource_prefix="/pods"');
    const list = await call('GET', `${PODS}?resourceVersion=0`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: any) => p.metadata.name)).toContain('fanout');
    expect(
      await metric('etcd_request_duration_seconds_count', 'operation="list",type="pods"'),
    ).toBe(before);
    expect(await metric('apiserver_cache_list_total', 'resource_prefix="/pods"')).toBe(cached + 1);
  });

  it('a consistent list (no resourceVersion) sees the write made just before it', async () => {
    for (let i = 0; i < 30; i++) {
      const created = await call('POST', PODS, pod(`fresh-${i}`));
      expect(created.status).toBe(201);
      const list = await call('GET', PODS);
      const names = list.body.items.map((p: any) => p.metadata.name);
      expect(names).toContain(`fresh-${i}`);
      expect(BigInt(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(
        BigInt(created.body.metadata.resourceVersion),
      );
    }
    // Served from the cache, not by falling back to etcd.
    expect(
      await metric(
        'apiserver_watch_cache_consistent_read_total',
        'resource="pods",success="true",fallback="false"',
      ),
    ).toBeGreaterThanOrEqual(30);
  }, 60_000);

  it('delivers every event in order across an etcd restart', async () => {
    const rv = (await call('GET', PODS)).body.metadata.resourceVersion as string;
    const watches = Array.from({ length: 10 }, () =>
      openWatch(`${PODS}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`),
    );
    await Promise.all(watches.map((w) => w.ready));
    const written: string[] = [];
    const writeOne = async (name: string): Promise<void> => {
      for (let attempt = 0; attempt < 200; attempt++) {
        try {
          const r = await call('POST', PODS, pod(name));
          if (r.status === 201 || r.status === 409) {
            written.push(name);
            return;
          }
        } catch {
          // etcd is down: try again
        }
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`could not create ${name}`);
    };
    for (let i = 0; i < 40; i++) await writeOne(`r-${i}`);
    await cluster.etcd.restart();
    for (let i = 40; i < 80; i++) await writeOne(`r-${i}`);
    try {
      const added = (w: OpenWatch): any[] => w.events.filter((e) => e.type === 'ADDED');
      await until(() => watches.every((w) => added(w).length >= 80), 'all 80 events');
      for (const w of watches) {
        const events = added(w);
        expect(events.map((e) => e.object.metadata.name)).toEqual(written);
        const rvs = w.events
          .filter((e) => e.type !== 'BOOKMARK')
          .map((e) => BigInt(e.object.metadata.resourceVersion));
        for (let i = 1; i < rvs.length; i++) expect(rvs[i]! > rvs[i - 1]!).toBe(true);
      }
    } finally {
      for (const w of watches) w.close();
    }
  }, 120_000);
});

const storeMissing = missing ?? storeMissingReason();
if (!missing && storeMissing)
  console.warn(`skipping watch cache tests on kubets-store: ${storeMissing}`);

describe.skipIf(!!storeMissing)('watch cache (kubets-store)', () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ backend: 'kubets-store' });
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    await cluster?.stop();
  });

  it('a consistent list sees the write made just before it, served from the cache', async () => {
    for (let i = 0; i < 10; i++) {
      const created = await call('POST', PODS, pod(`store-${i}`));
      expect(created.status).toBe(201);
      const list = await call('GET', PODS);
      expect(list.body.items.map((p: any) => p.metadata.name)).toContain(`store-${i}`);
    }
    expect(
      await metric(
        'apiserver_watch_cache_consistent_read_total',
        'resource="pods",success="true",fallback="false"',
      ),
    ).toBeGreaterThanOrEqual(10);
  }, 60_000);
});
