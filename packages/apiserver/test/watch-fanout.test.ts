/**
 * The watch fan-out end to end (real etcd, REST and gRPC): many watchers with different
 * selections and encodings, fed through the grouped, coalesced dispatch, each receive exactly
 * their events in order; bookmarks still arrive and never go backwards; the watch metrics count
 * every event written; with the REST watch bytes written on the event loop and by a write thread.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissingReason } from './helpers/etcd.js';
import { apiRequest, startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { resourcesClient, watch as grpcWatch, type WatchHandle } from './helpers/grpc.js';

const missing = etcdMissingReason();
if (missing) console.warn(`skipping watch fan-out tests: ${missing}`);

let cluster: TestCluster;
const NS = 'fanout';
const PODS = `/api/v1/namespaces/${NS}/pods`;

/** A JSON request to the test cluster. */
function call(method: string, path: string, body?: unknown, contentType?: string) {
  return apiRequest(cluster.url, method, path, body, contentType);
}

interface RestWatch {
  lines: { type: string; object: any }[];
  ready: Promise<void>;
  ended: boolean;
  close(): void;
}

function restWatch(path: string, accept?: string): RestWatch {
  const w: RestWatch = { lines: [], ready: Promise.resolve(), ended: false, close: () => {} };
  let buf = '';
  w.ready = new Promise<void>((resolve, reject) => {
    const req = request(
      cluster.url + path,
      { agent: false, headers: accept ? { accept } : {} },
      (res) => {
        resolve();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            w.lines.push(JSON.parse(buf.slice(0, nl)));
            buf = buf.slice(nl + 1);
          }
        });
        res.on('end', () => (w.ended = true));
        res.on('error', () => undefined);
      },
    );
    req.on('error', reject);
    req.end();
    w.close = () => req.destroy();
  });
  return w;
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function metricSum(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${cluster.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** `TYPE name rv` of object events (tables: the row's object), bookmarks left out. */
function summary(events: { type: string; object: any }[]): string[] {
  return events
    .filter((e) => e.type !== 'BOOKMARK')
    .map((e) => {
      const o = e.object.kind === 'Table' ? e.object.rows[0].object : e.object;
      return `${e.type} ${o.metadata.name} ${o.metadata.resourceVersion}`;
    });
}

function revisions(events: { type: string; object: any }[]): number[] {
  return events.map((e) => {
    const o = e.object.kind === 'Table' ? (e.object.rows[0]?.object ?? e.object) : e.object;
    return Number(o.metadata.resourceVersion);
  });
}

// Written on the event loop (the default) and by a write thread (ADR 0031).
describe.skipIf(!!missing).each([
  { writer: 'the event loop', watchWriteThreads: 0 },
  { writer: 'a write thread', watchWriteThreads: 1 },
])('watch fan-out (real etcd, REST and gRPC), written by $writer', ({ watchWriteThreads }) => {
  beforeAll(async () => {
    cluster = await startTestCluster({
      server: { grpcPort: 0, watchWriteThreads },
      watchCacheTuning: { bookmarkIntervalMs: 1_000 },
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('delivers each watcher exactly its events in order, with bookmarks and exact metrics', async () => {
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: NS } })).status).toBe(201);
    const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
    const labels = new Map<string, string>();
    for (const [i, name] of names.entries()) {
      const tier = i % 2 === 0 ? 'a' : 'b';
      labels.set(name, tier);
      const r = await call('POST', PODS, {
        metadata: { name, labels: { tier } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
      expect(r.status).toBe(201);
    }
    const rv = (await call('GET', `${PODS}?limit=1`)).body.metadata.resourceVersion as string;
    const eventsBefore = await metricSum('apiserver_watch_events_total', 'resource="pods"');
    const grpcSentBefore = await metricSum('grpc_server_msg_sent_total', 'grpc_method="Watch"');
    const sizesBefore = await metricSum('apiserver_watch_events_sizes_count', 'resource="pods"');

    const base = `${PODS}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`;
    type Selection = { match: (tier: string, name: string) => boolean };
    const everything: Selection = { match: () => true };
    const tierA: Selection = { match: (t) => t === 'a' };
    const p1: Selection = { match: (_, n) => n === 'p1' };
    const rest: { sel: Selection; w: RestWatch }[] = [];
    const add = (n: number, sel: Selection, path: string, accept?: string): void => {
      for (let i = 0; i < n; i++) rest.push({ sel, w: restWatch(path, accept) });
    };
    add(15, everything, base);
    add(15, tierA, `${base}&labelSelector=tier%3Da`);
    add(5, tierA, `${base}&labelSelector=tier%20in%20(a)`);
    add(5, p1, `${base}&fieldSelector=metadata.name%3Dp1`);
    add(5, everything, base, 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
    add(3, tierA, `${base}&labelSelector=tier%3Da`, 'application/json;as=Table;g=meta.k8s.io;v=v1');
    await Promise.all(rest.map((r) => r.w.ready));
    const client = resourcesClient(cluster.server.grpcAddress!);
    const grpc: { sel: Selection; w: WatchHandle }[] = [];
    const ref = { group: '', version: 'v1', resource: 'pods', namespace: NS };
    for (let i = 0; i < 10; i++) {
      const sel = i % 2 === 0 ? everything : tierA;
      const options = {
        resource_version: rv,
        allow_watch_bookmarks: true,
        ...(sel === tierA ? { label_selector: 'tier=a' } : {}),
      };
      grpc.push({ sel, w: grpcWatch(client, { ref, options }) });
    }
    await Promise.all(grpc.map((g) => g.w.established));

    // 60 updates in bursts of 5 concurrent writes (distinct pods), moving pods between tiers.
    const writes: { name: string; tier: string; rv: number; deleted?: boolean }[] = [];
    for (let burst = 0; burst < 12; burst++) {
      await Promise.all(
        names.slice((burst % 2) * 5, (burst % 2) * 5 + 5).map(async (name, j) => {
          const tier = (burst + j) % 3 === 0 ? 'a' : 'b';
          const r = await call(
            'PATCH',
            `${PODS}/${name}`,
            { metadata: { labels: { tier }, annotations: { burst: String(burst) } } },
            'application/merge-patch+json',
          );
          expect(r.status).toBe(200);
          writes.push({ name, tier, rv: Number(r.body.metadata.resourceVersion) });
        }),
      );
    }
    const del = await call('DELETE', `${PODS}/p1`);
    expect(del.status).toBe(200);
    writes.push({ name: 'p1', tier: labels.get('p1')!, rv: 0, deleted: true });

    // What each selection must see, from the writes in revision order.
    const expected = (sel: Selection, finalRv: number): string[] => {
      const state = new Map(labels);
      const out: string[] = [];
      const ordered = writes.filter((w) => !w.deleted).sort((a, b) => a.rv - b.rv);
      for (const w of ordered) {
        const was = sel.match(state.get(w.name)!, w.name);
        const is = sel.match(w.tier, w.name);
        state.set(w.name, w.tier);
        if (is) out.push(`${was ? 'MODIFIED' : 'ADDED'} ${w.name} ${w.rv}`);
        else if (was) out.push(`DELETED ${w.name} ${w.rv}`);
      }
      if (sel.match(state.get('p1')!, 'p1')) out.push(`DELETED p1 ${finalRv}`);
      return out;
    };
    // The delete's revision: the newest any "everything" watcher saw.
    const all = rest[0]!.w;
    await until(() => summary(all.lines).some((s) => s.startsWith('DELETED p1')), 'the delete');
    const deleteRv = Number(summary(all.lines).at(-1)!.split(' ')[2]);

    const watches = [
      ...rest.map((r) => ({ sel: r.sel, events: r.w.lines })),
      ...grpc.map((g) => ({ sel: g.sel, events: g.w.events })),
    ];
    for (const { sel, events } of watches) {
      const want = expected(sel, deleteRv);
      await until(() => summary(events).length >= want.length, 'every event');
      expect(summary(events)).toEqual(want);
    }
    // Bookmarks (every second here) arrive and never go backwards.
    await until(
      () => watches.every((w) => w.events.some((e) => e.type === 'BOOKMARK')),
      'a bookmark at every watcher',
      10_000,
    );
    for (const { events } of watches) {
      const revs = revisions(events);
      for (let i = 1; i < revs.length; i++) expect(revs[i]!).toBeGreaterThanOrEqual(revs[i - 1]!);
    }
    for (const r of rest) expect(r.w.ended).toBe(false);

    // Every written event is counted once; sizes are observed for REST writes.
    const restLines = rest.reduce((a, r) => a + r.w.lines.length, 0);
    const grpcMessages = grpc.reduce((a, g) => a + g.w.events.length, 0);
    const eventsAfter = await metricSum('apiserver_watch_events_total', 'resource="pods"');
    const sizesAfter = await metricSum('apiserver_watch_events_sizes_count', 'resource="pods"');
    // Bookmarks may have been written after the counts above were taken: allow those only.
    expect(eventsAfter - eventsBefore).toBeGreaterThanOrEqual(restLines + grpcMessages);
    expect(eventsAfter - eventsBefore).toBeLessThanOrEqual(
      restLines + grpcMessages + 2 * watches.length,
    );
    // gRPC messages (events and bookmarks) are counted per watch stream too.
    const grpcSent =
      (await metricSum('grpc_server_msg_sent_total', 'grpc_method="Watch"')) - grpcSentBefore;
    expect(grpcSent).toBeGreaterThanOrEqual(grpcMessages);
    expect(grpcSent).toBeLessThanOrEqual(grpcMessages + 2 * grpc.length);
    expect(sizesAfter - sizesBefore).toBeGreaterThanOrEqual(restLines);
    expect(sizesAfter - sizesBefore).toBeLessThanOrEqual(restLines + 2 * rest.length);

    for (const r of rest) r.w.close();
    for (const g of grpc) g.w.cancel();
    client.close();
  }, 90_000);
});
