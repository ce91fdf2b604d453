/**
 * gRPC create benchmark: `kubets-apiserver` (the built binary, its own process) on a real etcd,
 * and N pod creates through kubets.api.v1.Resources/Create with C calls in flight at once
 * (HTTP/2 streams on one channel, as @kubets/client multiplexes). Prints objects/s and the
 * p50/p99 latency of a create; the goals are p99 < 1 s and >= 1,000 creates/s.
 *
 *   npm run build -w @kubets/apiserver && npm run bench:grpc -w @kubets/apiserver
 *   GRPC_BENCH_PODS=10000 GRPC_BENCH_CONCURRENCY=50 npm run bench:grpc -w @kubets/apiserver
 *
 * KUBETS_BENCH_ETCD=http://host:port uses an existing etcd (or kubets-store) instead of
 * starting one; GRPC_BENCH_REST=1 also runs the same creates over REST for comparison.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bench, describe } from 'vitest';
import { etcdMissingReason, freePort, startEtcd } from '../test/helpers/etcd.js';
import { call, json, resourcesClient } from '../test/helpers/grpc.js';

const PODS = Number(process.env.GRPC_BENCH_PODS ?? 10_000);
const CONCURRENCY = Number(process.env.GRPC_BENCH_CONCURRENCY ?? 50);
const BIN = fileURLToPath(new URL('../bin/kubets-apiserver.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/bin/kubets-apiserver.js', import.meta.url));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function startApiServerProcess(
  etcd: string,
): Promise<{ grpc: string; rest: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const grpcPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      // e.g. GRPC_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
      ...(process.env.GRPC_BENCH_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
      BIN,
      `--etcd-servers=${etcd}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--grpc-port=${grpcPort}`,
      `--etcd-prefix=/grpc-bench-${Date.now()}`,
      '--etcd-compaction-interval=0',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200)
        return {
          grpc: `127.0.0.1:${grpcPort}`,
          rest: `http://127.0.0.1:${port}`,
          child,
          stop,
        };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('kubets-apiserver did not become ready in 30 s');
}

interface Result {
  latencies: number[];
  failures: number;
  seconds: number;
}

/** Creates PODS pods named `<prefix>-<i>` with CONCURRENCY calls in flight. */
async function measure(
  prefix: string,
  create: (name: string, shard: number) => Promise<void>,
): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < PODS) {
      const i = next++;
      const t0 = performance.now();
      try {
        await create(`${prefix}-${i}`, i);
        latencies.push(performance.now() - t0);
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  latencies.sort((a, b) => a - b);
  return { latencies, failures, seconds: (performance.now() - started) / 1000 };
}

function report(door: string, r: Result): void {
  const rate = r.latencies.length / r.seconds;
  console.log(
    `FIGURE: ${door} create: ${r.latencies.length} pods (${r.failures} failed), ${CONCURRENCY} concurrent, ` +
      `${rate.toFixed(0)} objects/s, p50 ${quantile(r.latencies, 0.5).toFixed(1)} ms, ` +
      `p99 ${quantile(r.latencies, 0.99).toFixed(1)} ms, max ${(r.latencies.at(-1) ?? NaN).toFixed(1)} ms ` +
      `(goals: p99 < 1000 ms, >= 1000 objects/s)`,
  );
}

async function run(): Promise<void> {
  const external = process.env.KUBETS_BENCH_ETCD;
  const etcd = external ? undefined : await startEtcd();
  const server = await startApiServerProcess(external ?? etcd!.endpoint);
  const client = resourcesClient(server.grpc);
  try {
    const ref = { group: '', version: 'v1', resource: 'pods', namespace: 'default' };
    const body = (name: string, shard: number): Buffer =>
      json({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'bench', shard: String(shard % 10) } },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
      });
    // Warm up the channel and the server's code paths.
    for (let i = 0; i < 20; i++)
      await call(client, 'Create', { ref, object: body(`warm-${i}`, i) });

    const grpcCreate = async (name: string, shard: number): Promise<void> => {
      await call(client, 'Create', { ref, object: body(name, shard) });
    };
    report('grpc', await measure('grpc', grpcCreate));
    if (process.env.GRPC_BENCH_REST === '1') {
      // The same creates over REST on the same server, for comparison (the REST benchmark
      // proper is bench/ of the REST owner).
      const restCreate = async (name: string, shard: number): Promise<void> => {
        const res = await fetch(`${server.rest}/api/v1/namespaces/default/pods`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(name, shard),
        });
        await res.arrayBuffer();
        if (res.status !== 201) throw new Error(`REST create: ${res.status}`);
      };
      report('rest', await measure('rest', restCreate));
    }
  } finally {
    client.close();
    await server.stop();
    await etcd?.stop();
  }
}

const skip =
  (process.env.KUBETS_BENCH_ETCD ? undefined : etcdMissingReason()) ??
  (existsSync(DIST) ? undefined : `${DIST} missing: run npm run build first`);
if (skip) console.warn(`skipping the gRPC create benchmark: ${skip}`);

describe('gRPC resource API', () => {
  bench.skipIf(!!skip)(`create ${PODS} pods, ${CONCURRENCY} concurrent`, run, {
    iterations: 1,
    warmupIterations: 0,
    time: 0,
    warmupTime: 0,
  });
});
