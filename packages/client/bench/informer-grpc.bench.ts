/**
 * Informer benchmark over the real gRPC transport against a real kubets-apiserver process on real
 * etcd (issue 7): initial sync of N pods (default 50,000; KUBETS_BENCH_GRPC_PODS to change),
 * then a stream of pod updates at a target of 1,000/s written through the API server by a second
 * connection: time to sync, delivery latency (write sent -> handler called, so it includes the
 * server's write and watch path), heap per cached pod beyond the object. The pods are seeded
 * straight into etcd in the API server's storage format (128 puts per transaction through etcd's
 * JSON gateway), because creating 50,000 pods through admission would dominate the run; the
 * informer then reads them through the API server like any other pods.
 * Run: npm run bench -w @kubets/client (skipped with a message without etcd or a built server).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bench, describe } from 'vitest';
import type { KubeObject } from '@kubets/apimachinery';
import { etcdMissingReason, freePort, startEtcd } from '../../apiserver/test/helpers/etcd.js';
import { SharedIndexInformer } from '../src/cache/shared-informer.js';
import { newClientset } from '../src/clientset.js';
import type { ClientConfig } from '../src/config/client-config.js';
import { noopLogger } from '../src/util/logger.js';
import {
  apiserverMissingReason,
  startApiServerProcess,
} from '../test/support/apiserver-process.js';
import { makeTestPki, opensslMissingReason } from '../test/support/pki.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = Number(process.env.KUBETS_BENCH_GRPC_PODS ?? 50_000);
/** A file to write a CPU profile of the client during the informer's sync to (optional). */
const PROFILE = process.env.KUBETS_BENCH_CLIENT_CPU_PROFILE;
const UPDATES_PER_SECOND = 1000;
const STREAM_MS = 3000;
/** Writes outstanding at once: beyond the server's throughput they would only queue. */
const MAX_IN_FLIGHT = 64;
const skip = etcdMissingReason() ?? apiserverMissingReason() ?? opensslMissingReason();
if (skip) console.warn(`skipping the gRPC informer benchmark: ${skip}`);

/**
 * Pod i, shaped like `template` (a pod the API server created, so it carries every default and
 * later patches validate like those of any pod).
 */
function podFor(template: KubeObject, i: number): KubeObject {
  const p = structuredClone(template) as KubeObject & {
    spec: { nodeName?: string };
    status?: Record<string, unknown>;
  };
  p.metadata = {
    ...p.metadata,
    name: `pod-${String(i).padStart(6, '0')}`,
    namespace: `ns-${i % 100}`,
    uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    labels: { app: `app-${i % 500}`, tier: i % 2 === 0 ? 'web' : 'worker' },
  };
  delete p.metadata.resourceVersion;
  p.spec.nodeName = `node-${i % 1000}`;
  p.status = { phase: 'Running', podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
  return p;
}

/** What the template is created from: a typical controller-made pod. */
const TEMPLATE: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'template',
    namespace: 'default',
    annotations: { 'kubets.io/created-by': 'bench' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'uid-rs', controller: true },
    ],
  },
  spec: {
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
} as KubeObject;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Puts N pods into etcd under /registry/pods/<ns>/<name>, 128 per transaction, 8 at a time. */
async function seed(etcdEndpoint: string, template: KubeObject): Promise<void> {
  const batches: number[][] = [];
  for (let i = 0; i < N; i += 128) {
    batches.push(Array.from({ length: Math.min(128, N - i) }, (_, k) => i + k));
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const success = batch.map((i) => {
        const p = podFor(template, i);
        const key = `/registry/pods/${p.metadata!.namespace}/${p.metadata!.name}`;
        return { request_put: { key: b64(key), value: b64(JSON.stringify(p)) } };
      });
      const res = await fetch(`${etcdEndpoint}/v3/kv/txn`, {
        method: 'POST',
        body: JSON.stringify({ success }),
      });
      if (!res.ok) throw new Error(`etcd txn failed: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** CPU ms (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, in clock ticks (100 per second).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Starts the CPU profiler when KUBETS_BENCH_CLIENT_CPU_PROFILE is set. */
async function startProfile(): Promise<Session | undefined> {
  if (!PROFILE) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return session;
}

async function stopProfile(session: Session | undefined, file: string | undefined): Promise<void> {
  if (!session || !file) return;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}

function heapMiB(): number {
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

describe.skipIf(skip)('informer over gRPC against kubets-apiserver', () => {
  bench(
    `report: sync of ${N.toLocaleString('en')} pods over gRPC, heap per pod, delivery at ${UPDATES_PER_SECOND} updates/s`,
    async () => {
      // kubets-apiserver serves TLS only: a throwaway CA, serving and client certificate.
      const pki = makeTestPki();
      const etcd = await startEtcd();
      const [securePort, grpcPort] = [await freePort(), await freePort()];
      let server: Awaited<ReturnType<typeof startApiServerProcess>> | undefined;
      try {
        server = await startApiServerProcess({
          etcdEndpoint: etcd.endpoint,
          securePort,
          grpcPort,
          tlsCertFile: pki.files.serverCert,
          tlsKeyFile: pki.files.serverKey,
          ca: pki.ca,
        });
        const config: ClientConfig = {
          server: `https://127.0.0.1:${securePort}`,
          grpcServer: `127.0.0.1:${grpcPort}`,
          tls: true,
          caData: pki.ca,
          certData: pki.clientCert,
          keyData: pki.clientKey,
          insecureSkipTLSVerify: false,
          namespace: 'default',
          qps: -1,
        };
        const reader = newClientset(config, { logger: noopLogger });
        const writer = newClientset(config, { logger: noopLogger });
        const PODS = { group: '', version: 'v1', resource: 'pods' };
        const defaults = writer.resource(PODS).namespace('default');
        const template = await defaults.create(TEMPLATE);
        await defaults.delete('template', { gracePeriodSeconds: 0 });
        const tSeed = performance.now();
        await seed(etcd.endpoint, template);
        const seedMs = performance.now() - tSeed;

        // The API server's watch cache digests the seeded pods from its etcd watch; a consistent
        // read waits until it holds them, so the figures below do not include that work.
        await reader.resource(PODS).list({ limit: 1 });

        // Where the time goes: the same paged list the reflector does (500 per page), bare.
        // The reflector's first list asks for resourceVersion "0" (any), as upstream's does.
        // Its items, decoded the same way the informer's are, are the heap of the objects
        // themselves (measured around it, outside the timing).
        const before = heapMiB();
        const listSession = await startProfile();
        const serverPid = server.pid;
        const cpuPaged = { client: process.cpuUsage(), server: processCpuMs(serverPid) };
        const tPaged = performance.now();
        let pages = 0;
        const copies: KubeObject[] = [];
        let token: string | undefined;
        do {
          const page = await reader.resource(PODS).list({
            limit: 500,
            ...(token ? { continue: token } : { resourceVersion: '0' }),
          });
          pages++;
          for (const item of page.items) copies.push(item);
          token = page.continue;
        } while (token);
        const pagedMs = performance.now() - tPaged;
        await stopProfile(listSession, `${PROFILE}.list`);
        const pagedClient = process.cpuUsage(cpuPaged.client);
        const pagedCpu = {
          client: (pagedClient.user + pagedClient.system) / 1000,
          server: processCpuMs(serverPid) - cpuPaged.server,
        };
        const listed = copies.length;
        const objectsMiB = heapMiB() - before;
        if (listed !== N) throw new Error(`expected ${N} pods, listed ${listed}`);
        copies.length = 0;

        // One unpaginated list: a single message of every pod (for comparison only).
        const tFull = performance.now();
        const full = await reader.resource(PODS).list();
        const fullMs = performance.now() - tFull;
        if (full.items.length !== N)
          throw new Error(`expected ${N} pods, listed ${full.items.length}`);
        full.items.length = 0;

        const base = heapMiB();
        const informer = new SharedIndexInformer<KubeObject>(reader.resource(PODS), {
          logger: noopLogger,
        });
        informer.addEventHandler({ onAdd: () => undefined, onUpdate: () => undefined });
        const stop = new AbortController();
        const session = await startProfile();
        const cpu0 = process.cpuUsage();
        const serverCpu0 = processCpuMs(serverPid);
        const t0 = performance.now();
        const done = informer.run(stop.signal);
        while (!informer.hasSynced()) await new Promise((r) => setTimeout(r, 5));
        const syncMs = performance.now() - t0;
        const syncCpu = process.cpuUsage(cpu0);
        const syncServerCpu = processCpuMs(serverPid) - serverCpu0;
        await stopProfile(session, PROFILE);
        const cachedMiB = heapMiB() - base;
        const overheadBytes = ((cachedMiB - objectsMiB) * 1024 * 1024) / N;

        // Updates through the API server; latency = handler receipt - write sent.
        // Also from the write's acknowledgement, which isolates the watch path from the server's
        // write queue (the event may even arrive before the response: counted as 0).
        const sentAt = new Map<string, number>();
        const ackedAt = new Map<string, number>();
        const receivedAt = new Map<string, number>();
        const latencies: number[] = [];
        informer.addEventHandler({
          onUpdate: (_o, cur) => {
            const gen = cur.metadata?.labels?.gen;
            const t = gen === undefined ? undefined : sentAt.get(gen);
            if (t !== undefined) {
              latencies.push(performance.now() - t);
              receivedAt.set(gen!, performance.now());
            }
          },
        });
        let sent = 0;
        let failed = 0;
        let inFlight = 0;
        const start = performance.now();
        while (performance.now() < start + STREAM_MS) {
          const due = Math.floor(((performance.now() - start) * UPDATES_PER_SECOND) / 1000) - sent;
          for (let k = 0; k < due && inFlight < MAX_IN_FLIGHT; k++) {
            const i = (sent * 7919) % N;
            const gen = String(++sent);
            const p = podFor(template, i);
            sentAt.set(gen, performance.now());
            inFlight++;
            void writer
              .resource(PODS)
              .namespace(p.metadata!.namespace!)
              .patch(p.metadata!.name!, 'application/merge-patch+json', {
                metadata: { labels: { gen } },
              })
              .catch((err: unknown) => {
                if (failed++ === 0) console.warn(`first failed update: ${String(err)}`);
              })
              .then(() => ackedAt.set(gen, performance.now()))
              .finally(() => inFlight--);
          }
          await new Promise((r) => setTimeout(r, 5));
        }
        const streamMs = performance.now() - start;
        const drainUntil = performance.now() + 5000;
        while (
          (inFlight > 0 || latencies.length < sent - failed) &&
          performance.now() < drainUntil
        ) {
          await new Promise((r) => setTimeout(r, 20));
        }
        latencies.sort((x, y) => x - y);
        const q = (p: number, xs = latencies): number =>
          xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
        const fromAck = [...receivedAt]
          .map(([gen, t]) => Math.max(0, t - (ackedAt.get(gen) ?? t)))
          .sort((x, y) => x - y);
        console.log(
          [
            `seeded ${N} pods into etcd in ${seedMs.toFixed(0)} ms (storage format, bypassing admission)`,
            `bare list over gRPC: ${pages} pages of 500 (${listed} pods) ${pagedMs.toFixed(0)} ms ` +
              `(CPU: server ${pagedCpu.server.toFixed(0)} ms, client ${pagedCpu.client.toFixed(0)} ms); ` +
              `one unpaginated list ${fullMs.toFixed(0)} ms`,
            `initial sync of ${N} pods over gRPC from kubets-apiserver: ${syncMs.toFixed(0)} ms (goal < 5000 ms); ` +
              `CPU: server ${syncServerCpu.toFixed(0)} ms, client ${((syncCpu.user + syncCpu.system) / 1000).toFixed(0)} ms`,
            `heap: objects ${objectsMiB.toFixed(1)} MiB, informer cache ${cachedMiB.toFixed(1)} MiB, ` +
              `overhead ${overheadBytes.toFixed(0)} B per cached pod beyond the object (goal < 2048 B)`,
            `updates: ${sent} merge patches sent in ${streamMs.toFixed(0)} ms (${((sent * 1000) / streamMs).toFixed(0)}/s, target ${UPDATES_PER_SECOND}/s), ${failed} failed, ${latencies.length} delivered`,
            `delivery (write sent -> handler): p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${q(1).toFixed(1)} ms`,
            `delivery (write acknowledged -> handler): p50 ${q(0.5, fromAck).toFixed(1)} ms, p99 ${q(0.99, fromAck).toFixed(1)} ms, max ${q(1, fromAck).toFixed(1)} ms`,
          ].join('\n'),
        );
        stop.abort();
        await done;
        reader.close();
        writer.close();
      } finally {
        await server?.stop();
        await etcd.stop();
        pki.remove();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
