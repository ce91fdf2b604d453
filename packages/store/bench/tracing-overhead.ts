/**
 * `node .bench/bench/tracing-overhead.js` (after `tsc -p bench/tsconfig.json`): the CPU a kubets-store
 * process spends per client request with distributed tracing off, on at sampling rate 0, and
 * on sampling everything (spans exported to a discarding OTLP receiver in this process). CPU is
 * the process's on-CPU time summed over its threads (/proc/<pid>/task/<tid>/schedstat, ns), so
 * load from other processes on the box changes it little. Each run is a fresh member on a fresh
 * data dir; the order of configurations rotates from round to round; medians are printed.
 *
 * Environment: BENCH_OPS (puts and as many linearizable gets per round, default 3000),
 * BENCH_ROUNDS (default 3), BENCH_CLIENTS (concurrent requests, default 32), BENCH_DATA_DIR
 * (default /dev/shm when present), BENCH_BASELINE_BIN (another kubets-store build to compare,
 * e.g. one built from the commit before tracing; run with tracing flags off).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort } from '../test/support/ports.js';
import { threadsCpuNs } from '@kubets/component-base/testing';

const OPS = Number(process.env.BENCH_OPS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const DATA_PARENT = process.env.BENCH_DATA_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const STORE_BIN = new URL('../../dist/bin/kubets-store.js', import.meta.url).pathname;

interface Config {
  name: string;
  bin: string;
  args: (receiver: string) => string[];
}

async function runRound(config: Config, receiver: string): Promise<number> {
  const dir = mkdtempSync(join(DATA_PARENT, 'kubets-trace-bench-'));
  const [client, peer] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      config.bin,
      '--name=bench',
      `--data-dir=${dir}`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=bench=http://127.0.0.1:${peer}`,
      ...config.args(receiver),
    ],
    { stdio: 'ignore' },
  );
  const etcd = new Etcd3({ hosts: `127.0.0.1:${client}` });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await etcd.put('warm').value('x');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const value = 'v'.repeat(256);
    const work = async (n: number): Promise<void> => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < n) {
            const i = next++;
            await etcd.put(`k/${i % 500}`).value(value);
            await etcd.get(`k/${(i * 7) % 500}`).string();
          }
        }),
      );
    };
    await work(Math.min(500, OPS)); // warm-up: JIT, connections
    const before = threadsCpuNs(child.pid!);
    await work(OPS);
    return (threadsCpuNs(child.pid!) - before) / (2 * OPS) / 1000; // µs per request
  } finally {
    etcd.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
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
  const tracing = (rate: number) => (r: string) => [
    '--experimental-enable-distributed-tracing',
    `--experimental-distributed-tracing-address=${r}`,
    `--experimental-distributed-tracing-sampling-rate=${rate}`,
  ];
  const configs: Config[] = [
    ...(process.env.BENCH_BASELINE_BIN
      ? [{ name: 'baseline build', bin: process.env.BENCH_BASELINE_BIN, args: () => [] }]
      : []),
    { name: 'tracing off', bin: STORE_BIN, args: () => [] },
    { name: 'on, rate 0', bin: STORE_BIN, args: tracing(0) },
    { name: 'on, rate 1e6', bin: STORE_BIN, args: tracing(1_000_000) },
  ];
  const results = new Map<string, number[]>(configs.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < configs.length; i++) {
      const c = configs[(i + round) % configs.length]!;
      const us = await runRound(c, receiver);
      results.get(c.name)!.push(us);
      console.log(`round ${round + 1} ${c.name}: ${us.toFixed(1)} µs CPU/request`);
    }
  }
  sink.close();
  console.log(
    `\n${OPS} puts + ${OPS} linearizable gets per round, ${CLIENTS} concurrent, ${ROUNDS} rounds, load ${loadavg()
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
