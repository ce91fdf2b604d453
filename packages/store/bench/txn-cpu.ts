/**
 * `npm run bench:txn -w @kubets/store`: member CPU per write at moderate concurrency, the way
 * kube-apiserver writes: N concurrent etcd3 clients each doing Txn(compare mod_revision == 0,
 * put) (a create) of ~2.5 KB values on a 3-member cluster, every client given every member's
 * endpoint. Prints, per system and per N, the CPU (user + system, /proc) per write of the
 * leader and of each follower, the writes per second and p50/p99.
 *
 * Systems: kubets-store of this package's dist build, optionally a second build
 * (KUBETS_STORE_BIN_B, e.g. /work/main/packages/store/bin/kubets-store.js) and etcd (ETCD_BIN,
 * default /usr/bin/etcd, skipped with a message if absent). Every system's clusters run at the
 * same time (idle ones cost nothing) and the measured rounds alternate between them ROUNDS
 * times, so a change in the machine's load hits each system alike.
 *
 * Environment: TXN_CLIENTS (default "10,50"), TXN_OPS (writes per round, default 2000),
 * TXN_ROUNDS (alternations, default 3), BENCH_VALUE_BYTES (default 2500), BENCH_DATA_DIR,
 * KUBETS_STORE_NODE_ARGS (node options for the kubets-store members, e.g. --cpu-prof).
 */
import { existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { Etcd3 } from 'etcd3';
import { startBenchCluster, stopBenchCluster, type BenchCluster } from './cluster.js';
import { processCpuSeconds } from '@kubets/component-base/testing';

const CLIENTS = (process.env.TXN_CLIENTS ?? '10,50').split(',').map(Number);
const OPS = Number(process.env.TXN_OPS ?? 2000);
const ROUNDS = Number(process.env.TXN_ROUNDS ?? 3);
const VALUE = Buffer.alloc(Number(process.env.BENCH_VALUE_BYTES ?? 2500), 'x');
const DATA_PARENT = process.env.BENCH_DATA_DIR ?? tmpdir();
const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
const STORE_BIN =
  process.env.KUBETS_STORE_BIN ??
  new URL('../../dist/bin/kubets-store.js', import.meta.url).pathname;
const STORE_BIN_B = process.env.KUBETS_STORE_BIN_B;
const NODE_ARGS = (process.env.KUBETS_STORE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

type Cluster = BenchCluster;

/** A cluster of 3 members of one system, `command` the executable and what precedes the flags. */
function startCluster(name: string, command: string[]): Promise<Cluster> {
  return startBenchCluster({ name, command, members: 3, dataParent: DATA_PARENT, token: 'txn' });
}

let runs = 0;

/** `total` creates over `n` clients; returns writes/s, p50, p99 (ms). */
async function creates(c: Cluster, n: number, total: number): Promise<number[]> {
  const hosts = c.members.map((m) => m.endpoint);
  const clients = Array.from({ length: n }, () => new Etcd3({ hosts }));
  await Promise.all(clients.map((cl) => cl.get('warmup').string()));
  const prefix = `pods/${runs++}/`;
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (cl) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const key = `${prefix}${i}`;
        const s = performance.now();
        const r = await cl.if(key, 'Mod', '==', 0).then(cl.put(key).value(VALUE)).commit();
        if (!r.succeeded) throw new Error(`create ${key} failed its compare`);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  for (const cl of clients) cl.close();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  return [total / secs, pct(0.5), pct(0.99)];
}

interface Tally {
  leader: number;
  followers: number;
  ops: number;
  rate: number[];
  p50: number[];
  p99: number[];
}

async function main(): Promise<void> {
  const clusters: Cluster[] = [];
  try {
    clusters.push(await startCluster('kubets', [process.execPath, ...NODE_ARGS, STORE_BIN]));
    if (STORE_BIN_B)
      clusters.push(await startCluster('kubets-B', [process.execPath, ...NODE_ARGS, STORE_BIN_B]));
    if (existsSync(ETCD_BIN)) clusters.push(await startCluster('etcd', [ETCD_BIN]));
    else console.log(`${ETCD_BIN} missing: no etcd column`);
    // Warm-up (V8 compiles the hot paths after a few thousand calls).
    for (const c of clusters) for (const n of CLIENTS) await creates(c, n, OPS / 2);
    const load0 = loadavg()[0]!.toFixed(2);
    const tallies = new Map<string, Tally>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const n of CLIENTS) {
        const order = r % 2 === 0 ? clusters : [...clusters].reverse();
        for (const c of order) {
          const before = c.members.map((m) => processCpuSeconds(m.child.pid));
          const [rate, p50, p99] = await creates(c, n, OPS);
          const used = c.members.map((m, i) => processCpuSeconds(m.child.pid) - before[i]!);
          const key = `${c.name}|${n}`;
          const t = tallies.get(key) ?? {
            leader: 0,
            followers: 0,
            ops: 0,
            rate: [],
            p50: [],
            p99: [],
          };
          t.leader += used[c.leader] ?? 0;
          t.followers += used.reduce((a, b) => a + b, 0) - (used[c.leader] ?? 0);
          t.ops += OPS;
          t.rate.push(rate!);
          t.p50.push(p50!);
          t.p99.push(p99!);
          tallies.set(key, t);
        }
      }
    }
    const load1 = loadavg()[0]!.toFixed(2);
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
    console.log(
      `\ncreates (Txn compare mod_revision==0 + put, ${VALUE.length}-byte values), ${OPS} per round, ${ROUNDS} alternated rounds; load ${load0} -> ${load1}`,
    );
    console.log(
      `${'system'.padEnd(10)}${'clients'.padStart(8)}${'leader ms'.padStart(11)}${'follower ms'.padStart(13)}${'member avg'.padStart(12)}${'writes/s'.padStart(10)}${'p50'.padStart(8)}${'p99'.padStart(8)}`,
    );
    for (const n of CLIENTS)
      for (const c of clusters) {
        const t = tallies.get(`${c.name}|${n}`)!;
        const l = (t.leader * 1000) / t.ops;
        const f = (t.followers * 1000) / t.ops / 2;
        console.log(
          `${c.name.padEnd(10)}${String(n).padStart(8)}${l.toFixed(3).padStart(11)}${f.toFixed(3).padStart(13)}${((l + 2 * f) / 3).toFixed(3).padStart(12)}${med(t.rate).toFixed(0).padStart(10)}${med(t.p50).toFixed(1).padStart(8)}${med(t.p99).toFixed(1).padStart(8)}`,
        );
      }
  } finally {
    for (const c of clusters) await stopBenchCluster(c);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
