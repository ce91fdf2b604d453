/**
 * Informer benchmark (issue 7): initial sync of 50,000 pods, then a steady stream of 1,000
 * updates/s: time to sync, event delivery latency (p50/p99), and heap per cached pod beyond the
 * object itself. The API server is the in-process fake, so this measures the client machinery
 * (paged list, reflector, DeltaFIFO, indexer, handler fan-out), not the network or the server.
 * Run: npm run bench -w @kubets/client
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bench, describe } from 'vitest';
import type { KubeObject } from '@kubets/apimachinery';
import { SharedIndexInformer } from '../src/cache/shared-informer.js';
import { noopLogger } from '../src/util/logger.js';
import { PODS, newFakeClient, type FakeDynamicClient } from '../src/testing/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = 50_000;

function podFor(i: number): KubeObject & Record<string, unknown> {
  const name = `pod-${String(i).padStart(6, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: `ns-${i % 100}`,
      labels: { app: `app-${i % 500}`, tier: i % 2 === 0 ? 'web' : 'worker' },
      annotations: { 'kubets.io/created-by': 'bench' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `rs-${i % 500}`,
          uid: `uid-${i % 500}`,
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: `node-${i % 1000}`,
      containers: [
        {
          name: 'main',
          image: 'registry.example/app:1.2.3',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: {
            requests: { cpu: '100m', memory: '128Mi' },
            limits: { cpu: '500m', memory: '256Mi' },
          },
        },
      ],
    },
    status: { phase: 'Running', podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
  };
}

function populated(): FakeDynamicClient {
  const client = newFakeClient({ historyLimit: 200_000 });
  for (let i = 0; i < N; i++)
    client.tracker.create(PODS, podFor(i).metadata!.namespace!, podFor(i));
  return client;
}

function heapMiB(): number {
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function sync(client: FakeDynamicClient): Promise<{
  informer: SharedIndexInformer<KubeObject>;
  stop: AbortController;
  done: Promise<void>;
  ms: number;
}> {
  const informer = new SharedIndexInformer<KubeObject>(client.resource(PODS), {
    logger: noopLogger,
  });
  informer.addEventHandler({ onAdd: () => undefined, onUpdate: () => undefined });
  const stop = new AbortController();
  const t0 = performance.now();
  const done = informer.run(stop.signal);
  while (!informer.hasSynced()) await new Promise((r) => setImmediate(r));
  return { informer, stop, done, ms: performance.now() - t0 };
}

const client = populated();

describe('informer', () => {
  bench(
    `initial sync of ${N.toLocaleString('en')} pods (paged list, 500 per page)`,
    async () => {
      const s = await sync(client);
      s.stop.abort();
      await s.done;
    },
    { iterations: 3, warmupIterations: 1, time: 0, warmupTime: 0 },
  );

  bench(
    'report: sync time, memory per cached pod, delivery latency at 1,000 updates/s',
    async () => {
      // Heap of the objects themselves: one copy of every pod as the cache would hold it.
      const before = heapMiB();
      const copies = client.tracker.list(PODS, '').items;
      const objectsMiB = heapMiB() - before;
      copies.length = 0;
      const base = heapMiB();
      const s = await sync(client);
      const cachedMiB = heapMiB() - base;
      const overheadBytes = ((cachedMiB - objectsMiB) * 1024 * 1024) / N;

      // Steady stream of 1,000 updates/s for 3 s; latency = handler receipt - write.
      const writtenAt = new Map<string, number>();
      const latencies: number[] = [];
      s.informer.addEventHandler({
        onUpdate: (_o, cur) => {
          const t = writtenAt.get(cur.metadata!.resourceVersion!);
          if (t !== undefined) latencies.push(performance.now() - t);
        },
      });
      let i = 0;
      const start = performance.now();
      const end = start + 3000;
      while (performance.now() < end) {
        // Catch up to 1 update per elapsed millisecond (timers are coarser than that).
        const due = Math.floor(performance.now() - start) - i;
        for (let k = 0; k < due; k++) {
          const idx = (i++ * 7919) % N;
          const p = podFor(idx);
          const cur = client.tracker.get(PODS, p.metadata!.namespace!, p.metadata!.name!);
          const next = client.tracker.update(PODS, p.metadata!.namespace!, {
            ...cur,
            metadata: { ...cur.metadata, labels: { ...cur.metadata!.labels, gen: String(i) } },
          });
          writtenAt.set(next.metadata.resourceVersion!, performance.now());
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 200));
      latencies.sort((a, b) => a - b);
      const q = (p: number): number =>
        latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
      console.log(
        [
          `initial sync of ${N} pods: ${s.ms.toFixed(0)} ms (goal < 5000 ms)`,
          `heap: objects ${objectsMiB.toFixed(1)} MiB, informer cache ${cachedMiB.toFixed(1)} MiB, ` +
            `overhead ${overheadBytes.toFixed(0)} B per cached pod beyond the object (goal < 2048 B)`,
          `update delivery: ${latencies.length} updates, p50 ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms, max ${q(1).toFixed(2)} ms`,
        ].join('\n'),
      );
      s.stop.abort();
      await s.done;
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
