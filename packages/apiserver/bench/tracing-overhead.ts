/**
 * `npx tsc -p bench/tsconfig.json && node .bench/bench/tracing-overhead.js`: the CPU the API
 * server process spends per request (REST creates and gets of ConfigMaps, against a real etcd)
 * with tracing off, on at sampling rate 0, and on sampling everything (exported to a discarding
 * OTLP receiver here). CPU is the server process's on-CPU time over all its threads
 * (/proc/<pid>/task/<tid>/schedstat), so other load on the box changes it little. Each run gets
 * a fresh etcd (a store filling up round after round would favour whichever runs first), and
 * the order of configurations rotates from round to round; medians are printed.
 *
 * Environment: BENCH_OPS (creates and as many gets per round, default 1500), BENCH_ROUNDS
 * (default 3), BENCH_CLIENTS (default 16), BENCH_BASELINE_DIST (the dist/ directory of another
 * build, e.g. the commit before tracing, run with tracing off), KUBETS_ETCD_BINARY (default /usr/bin/etcd).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../test/helpers/etcd.js';
import { threadsCpuNs } from '@kubets/component-base/testing';

const OPS = Number(process.env.BENCH_OPS ?? 1500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
const SERVER = fileURLToPath(new URL('./tracing-server.js', import.meta.url));

async function round(dist: string, mode: string, receiver: string, tag: string) {
  const store = await startEtcd();
  await new Promise((r) => setTimeout(r, 1500));
  const etcd = store.endpoint;
  const child: ChildProcess = fork(SERVER, [dist, etcd, mode, receiver], { stdio: 'ignore' });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const base = `${url}/api/v1/namespaces/default/configmaps`;
  const work = async (n: number, prefix: string): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < n) {
          const name = `${prefix}-${next++}`;
          const created = await fetch(base, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name },
              data: { k: 'v' },
            }),
          });
          await created.arrayBuffer();
          if (created.status !== 201) throw new Error(`create ${name}: ${created.status}`);
          await (await fetch(`${base}/${name}`)).arrayBuffer();
        }
      }),
    );
  };
  try {
    await work(300, `${tag}-warm`);
    const before = threadsCpuNs(child.pid!);
    await work(OPS, tag);
    return (threadsCpuNs(child.pid!) - before) / (2 * OPS) / 1000;
  } finally {
    child.send({ type: 'stop' });
    await new Promise((r) => child.once('exit', r));
    await store.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const sink = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const receiver = `127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const configs: [string, string, string][] = [
    ...(process.env.BENCH_BASELINE_DIST
      ? [['baseline build', process.env.BENCH_BASELINE_DIST, 'off'] as [string, string, string]]
      : []),
    ['tracing off', DIST, 'off'],
    ['on, rate 0', DIST, '0'],
    ['on, rate 1e6', DIST, '1000000'],
  ];
  const results = new Map<string, number[]>(configs.map(([n]) => [n, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < configs.length; i++) {
        const [name, dist, mode] = configs[(i + r) % configs.length]!;
        const us = await round(dist, mode, receiver, `r${r}`);
        results.get(name)!.push(us);
        console.log(`round ${r + 1} ${name}: ${us.toFixed(1)} µs CPU/request`);
      }
    }
  } finally {
    sink.close();
  }
  console.log(
    `\n${OPS} creates + ${OPS} gets per round, ${CLIENTS} concurrent, ${ROUNDS} rounds, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const off = median(results.get('tracing off')!);
  for (const [name, xs] of results) {
    const m = median(xs);
    console.log(
      `${name.padEnd(16)} median ${m.toFixed(1)} µs CPU/request (${((m / off - 1) * 100).toFixed(1)}% vs off)  [${xs.map((x) => x.toFixed(1)).join(', ')}]`,
    );
  }
}

await main();
