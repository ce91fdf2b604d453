/**
 * Paginated lists served from the watch cache (upstream 1.33 ListFromCacheSnapshot) against real
 * etcd, through the REST API: every page of a consistent or NotOlderThan list comes from the
 * snapshot of the first page while pods are created, changed and deleted between pages;
 * `resourceVersion=0` ignores the limit, as upstream; a continue token whose snapshot left the
 * window is served by etcd, and once etcd compacted it, answered with upstream's 410 and a token
 * to go on inconsistently; kubectl's --chunk-size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INCONSISTENT_CONTINUE_MESSAGE } from '@kubets/apimachinery';
import { apiRequest, startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { etcdMissingReason } from './helpers/etcd.js';
import { KUBECTL, kubectlFor, type Kubectl } from './helpers/kubectl.js';

const missing = etcdMissingReason();
if (missing) console.warn(`skipping paginated list tests: ${missing}`);
if (!KUBECTL) console.warn('skipping the kubectl --chunk-size test: kubectl not found on PATH');

const NS = 'paging';
const PODS = `/api/v1/namespaces/${NS}/pods`;
/** Events the watch cache keeps (lower = upper bound: a fixed window). */
const WINDOW = 60;

let cluster: TestCluster;
const call = (method: string, path: string, body?: unknown) =>
  apiRequest(cluster.url, method, path, body);

function pod(name: string, labels: Record<string, string> = {}): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'paging', ...labels } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
}

async function etcdLists(): Promise<number> {
  const text = await (await fetch(`${cluster.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('etcd_request_duration_seconds_count{') &&
        l.includes('operation="list"') &&
        l.includes('type="pods"'),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

interface Page {
  names: string[];
  items: any[];
  resourceVersion: string;
  continue: string | undefined;
}

async function page(query: string): Promise<Page> {
  const res = await call('GET', `${PODS}?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return {
    names: res.body.items.map((p: any) => p.metadata.name as string),
    items: res.body.items,
    resourceVersion: res.body.metadata.resourceVersion,
    continue: res.body.metadata.continue,
  };
}

describe.skipIf(!!missing)('paginated lists from the watch cache (real etcd)', () => {
  const initial = Array.from({ length: 30 }, (_, i) => `p-${String(i).padStart(3, '0')}`);

  beforeAll(async () => {
    cluster = await startTestCluster({
      watchCacheWindow: { lowerBound: WINDOW, upperBound: WINDOW },
    });
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: NS } })).status).toBe(201);
    for (const name of initial) expect((await call('POST', PODS, pod(name))).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  for (const [what, first] of [
    ['consistent (no resourceVersion)', 'limit=7'],
    ['NotOlderThan', 'limit=7&resourceVersion=1&resourceVersionMatch=NotOlderThan'],
  ] as const) {
    it(`${what}: every page is the first page's snapshot while writes go on`, async () => {
      const before = await etcdLists();
      const pages: Page[] = [await page(first)];
      const snapshot = pages[0]!.resourceVersion;
      let step = 0;
      while (pages[pages.length - 1]!.continue) {
        // Between pages: a pod behind the cursor, one ahead, an update and a delete ahead.
        step++;
        const created = [`p-000-${what.length}-${step}`, `p-999-${what.length}-${step}`];
        for (const name of created) expect((await call('POST', PODS, pod(name))).status).toBe(201);
        const ahead = initial[Math.min(initial.length - 1, pages.length * 7 + 3)]!;
        const patched = await fetch(`${cluster.url}${PODS}/${ahead}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/merge-patch+json' },
          body: JSON.stringify({
            metadata: { labels: { [`changed-${what.length}`]: String(step) } },
          }),
        });
        expect(patched.status).toBe(200);
        const token = pages[pages.length - 1]!.continue!;
        pages.push(await page(`limit=7&continue=${encodeURIComponent(token)}`));
      }
      const names = pages.flatMap((p) => p.names);
      const items = pages.flatMap((p) => p.items);
      for (const p of pages) expect(p.resourceVersion).toBe(snapshot);
      expect(pages.length).toBeGreaterThan(3);
      // Exactly etcd's state at the snapshot revision: no pod created later, none twice, none
      // missing, every object as it was then (read from etcd directly).
      const truth = await cluster.server.client.range({
        key: Buffer.from(`/registry/pods/${NS}/`),
        range_end: Buffer.from(`/registry/pods/${NS}0`),
        revision: snapshot,
      });
      expect(names).toEqual(truth.kvs.map((kv) => kv.key.toString().split('/').pop()));
      expect(items.map((p) => p.metadata.resourceVersion)).toEqual(
        truth.kvs.map((kv) => String(kv.mod_revision)),
      );
      expect(items.filter((p) => `changed-${what.length}` in p.metadata.labels)).toEqual([]);
      // Served from memory: no page was read from etcd.
      expect(await etcdLists()).toBe(before);
    }, 60_000);
  }

  it('resourceVersion=0 ignores the limit, as upstream (client-go relies on it)', async () => {
    const whole = await page('limit=3&resourceVersion=0');
    expect(whole.continue).toBeUndefined();
    expect(whole.names.length).toBeGreaterThan(3);
  });

  it('a token whose snapshot left the window is served by etcd, then 410 once compacted', async () => {
    const first = await page('limit=5');
    expect(first.names).toHaveLength(5);
    expect(first.continue).toBeDefined();
    // More changes than the window holds: the snapshot can no longer be derived from memory.
    for (let i = 0; i <= WINDOW; i++) {
      const res = await fetch(`${cluster.url}${PODS}/p-001`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels: { round: String(i) } } }),
      });
      expect(res.status).toBe(200);
    }
    const before = await etcdLists();
    const fromEtcd = await page(`limit=5&continue=${encodeURIComponent(first.continue!)}`);
    expect(await etcdLists()).toBe(before + 1);
    expect(fromEtcd.resourceVersion).toBe(first.resourceVersion);
    expect(fromEtcd.names[0]! > first.names[first.names.length - 1]!).toBe(true);

    const current = BigInt((await page('')).resourceVersion);
    await cluster.server.client.compact(current);
    const expired = await call(
      'GET',
      `${PODS}?limit=5&continue=${encodeURIComponent(first.continue!)}`,
    );
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
      message: INCONSISTENT_CONTINUE_MESSAGE,
    });
    // As upstream: a token to go on at the latest state, from the same key.
    const onward = expired.body.metadata.continue as string;
    expect(JSON.parse(Buffer.from(onward, 'base64url').toString()).rv).toBe(-1);
    const rest = await page(`limit=500&continue=${encodeURIComponent(onward)}`);
    expect(rest.names[0]).toBe(fromEtcd.names[0]);
    expect(BigInt(rest.resourceVersion)).toBeGreaterThanOrEqual(current);
  }, 60_000);

  describe.skipIf(!KUBECTL)('kubectl', () => {
    let k: Kubectl;
    beforeAll(() => {
      k = kubectlFor(cluster.url);
    });
    afterAll(() => k?.cleanup());

    it('get pods --chunk-size lists every pod once', async () => {
      const chunked = await k.ok(['get', 'pods', '-n', NS, '--chunk-size=4', '-o', 'name']);
      const whole = await k.ok(['get', 'pods', '-n', NS, '--chunk-size=0', '-o', 'name']);
      const lines = chunked.trim().split('\n');
      expect(lines.length).toBeGreaterThan(30);
      expect(new Set(lines).size).toBe(lines.length);
      expect(chunked).toBe(whole);
    }, 60_000);
  });
});
