/**
 * Two in-process API servers on one etcd, the second started later (a `--workers` sibling that
 * was restarted, or an HA peer): it starts without writing anything (`bootstrap: false`), and a
 * resourceVersion the first server's consistent list answered is watchable on the second, whose
 * cache began after the first one's last event of that resource.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customResourceSupport } from '../src/cli/run.js';
import { startApiServer, type RunningApiServer } from '../src/server.js';
import { apiRequest, startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { etcdMissingReason } from './helpers/etcd.js';
import { testServerOptions } from './helpers/server-options.js';

const skip = etcdMissingReason();
if (skip) console.warn(`skipping several-servers tests: ${skip}`);

/** Reads watch events from `url` until `count` arrived or `timeoutMs` passed. */
async function watchEvents(
  url: string,
  count: number,
  timeoutMs: number,
  whileOpen: () => Promise<void>,
): Promise<{ type: string; object: { metadata?: { name?: string }; code?: number } }[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const events: { type: string; object: { metadata?: { name?: string }; code?: number } }[] = [];
  try {
    const res = await fetch(url, { signal: abort.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await whileOpen();
    let text = '';
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      let nl;
      while ((nl = text.indexOf('\n')) >= 0) {
        events.push(JSON.parse(text.slice(0, nl)) as (typeof events)[number]);
        text = text.slice(nl + 1);
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

describe.skipIf(skip)('several API servers on one etcd', () => {
  let first: TestCluster;
  let second: RunningApiServer | undefined;
  beforeAll(async () => {
    first = await startTestCluster();
  }, 30_000);
  afterAll(async () => {
    await second?.close();
    await first?.stop();
  });

  it('a later server starts without writing; a consistent list from the first is watchable on it', async () => {
    // Writes to another resource move etcd's revision past the configmaps cache's last event.
    for (let i = 0; i < 3; i++) {
      const ns = await apiRequest(first.url, 'POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `several-${i}` },
      });
      expect(ns.status).toBe(201);
    }
    const before = (await first.server.client.status()).header?.revision;
    second = await startApiServer({
      ...testServerOptions(first.etcd.endpoint),
      customResources: customResourceSupport,
      bootstrap: false,
      controllers: false,
    });
    // Nothing written by the second server's start (no namespaces, services, bitmap repair).
    expect((await first.server.client.status()).header?.revision).toBe(before);

    const list = await apiRequest(first.url, 'GET', '/api/v1/namespaces/default/configmaps');
    const rv = BigInt(list.body.metadata.resourceVersion as string);
    // Etcd's revision, not the cache's last configmap event (which would be 410 on the second).
    expect(rv).toBeGreaterThanOrEqual(BigInt(before ?? '0'));
    const events = await watchEvents(
      `${second.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`,
      1,
      15_000,
      async () => {
        const cm = await apiRequest(first.url, 'POST', '/api/v1/namespaces/default/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'through-the-first' },
        });
        expect(cm.status).toBe(201);
      },
    );
    expect(events.map((e) => [e.type, e.object.metadata?.name])).toEqual([
      ['ADDED', 'through-the-first'],
    ]);
  }, 60_000);
});
