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
 * TXN_MODE=update replays kube-apiserver's update instead (decision 0038): TXN_KEYS keys (default
 * 3000) created first, then each write is Txn(compare mod_revision == the key's last revision,
 * put, else range of the key) at TXN_RATE writes/s (default 500; paced, as the API bench's
 * PATCHes, not closed-loop), over the TXN_CLIENTS clients in turn, while one more client
 * watches the keys' prefix (the API server's watch cache); a round ends when every event has
 * arrived, and its CPU covers the watch delivery too. TXN_TARGET: which members the writers call
 * (`all`, the default; `leader`; `follower`, one follower, as an API server whose local member
 * does not lead: that member forwards every write).
 *
 * Environment: TXN_CLIENTS (default "10,50"), TXN_OPS (writes per round, default 2000),
 * TXN_ROUNDS (alternations, default 3), BENCH_VALUE_BYTES (default 2500), BENCH_DATA_DIR,
 * KUBETS_STORE_NODE_ARGS (node options for the kubets-store members, e.g. --cpu-prof),
 * KUBETS_STORE_NODE_ARGS_B (the second build's, when they differ), BENCH_KEEP_LOGS (keep the
 * members' logs beside their removed data dirs).
 */
import { existsSync, readFileSync } from 'node:fs';
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
const MODE = process.env.TXN_MODE ?? 'create';
const KEYS = Number(process.env.TXN_KEYS ?? 3000);
const RATE = Number(process.env.TXN_RATE ?? 500);
const TARGET = process.env.TXN_TARGET ?? 'all';
const NODE_ARGS = (process.env.KUBETS_STORE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
/** Node options of the second build's members (default: NODE_ARGS), e.g. to compare V8 flags. */
const NODE_ARGS_B =
  process.env.KUBETS_STORE_NODE_ARGS_B === undefined
    ? NODE_ARGS
    : process.env.KUBETS_STORE_NODE_ARGS_B.split(' ').filter((a) => a !== '');

type Cluster = BenchCluster;

/** A cluster of 3 members of one system, `command` the executable and what precedes the flags. */
function startCluster(name: string, command: string[]): Promise<Cluster> {
  return startBenchCluster({ name, command, members: 3, dataParent: DATA_PARENT, token: 'txn' });
}

let runs = 0;

/** `total` creates over `n` clients; returns writes/s, p50, p99 (ms). */
/** The endpoints the writers call (TXN_TARGET). */
function targets(c: Cluster): string[] {
  if (TARGET === 'leader') return [c.members[c.leader]!.endpoint];
  if (TARGET === 'follower') return [c.members[(c.leader + 1) % c.members.length]!.endpoint];
  return c.members.map((m) => m.endpoint);
}

async function creates(c: Cluster, n: number, total: number): Promise<number[]> {
  const hosts = targets(c);
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

/** Per cluster in update mode: the keys' last mod revisions and the prefix watch's count. */
interface UpdateState {
  modRev: string[];
  events: number;
  watchClient: Etcd3;
}
const updateStates = new Map<Cluster, UpdateState>();
const UPDATE_PREFIX = 'registry/pods/bench/';

async function updateState(c: Cluster): Promise<UpdateState> {
  let st = updateStates.get(c);
  if (st) return st;
  // The watch on the member the writers call, as the API server's watches and writes share
  // its one member (where the watch stream sits moves a member's CPU per write).
  const hosts = targets(c);
  const watchClient = new Etcd3({ hosts: hosts.slice(0, 1) });
  st = { modRev: [], events: 0, watchClient };
  const state = st;
  const w = await watchClient.watch().prefix(UPDATE_PREFIX).create();
  w.on('data', (res: { events: unknown[] }) => {
    state.events += res.events.length;
  });
  const cl = new Etcd3({ hosts });
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= KEYS) return;
        const r = await cl.put(`${UPDATE_PREFIX}bench-${i}`).value(VALUE).exec();
        state.modRev[i] = r.header.revision;
      }
    }),
  );
  cl.close();
  updateStates.set(c, st);
  return st;
}

/**
 * `total` kube-apiserver updates at RATE/s over `n` clients, then waits for the prefix watch
 * to see them all; returns writes/s (achieved), p50, p99 (ms).
 */
async function updates(c: Cluster, n: number, total: number): Promise<number[]> {
  const st = await updateState(c);
  const clients = Array.from({ length: n }, () => new Etcd3({ hosts: targets(c) }));
  await Promise.all(clients.map((cl) => cl.get('warmup').string()));
  const lat: number[] = [];
  const eventsAtEnd = st.events + total;
  let sent = 0;
  let done = 0;
  let cursor = runs++ * 7919;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
      // Bounded in flight: each key at most once at a time (KEYS is far above this).
      while (sent < due && sent - done < 200) {
        const i = cursor++ % KEYS;
        const cl = clients[sent++ % n]!;
        const key = `${UPDATE_PREFIX}bench-${i}`;
        const s = performance.now();
        cl.if(key, 'Mod', '==', st.modRev[i]!)
          .then(cl.put(key).value(VALUE))
          .else(cl.get(key))
          .commit()
          .then((r) => {
            if (!r.succeeded) throw new Error(`update of ${key} failed its compare`);
            st.modRev[i] = r.header.revision;
            lat.push(performance.now() - s);
            if (++done === total) {
              clearInterval(timer);
              resolve();
            }
          })
          .catch((err: unknown) => {
            clearInterval(timer);
            reject(err instanceof Error ? err : new Error(String(err)));
          });
      }
    }, 5);
  });
  const secs = (performance.now() - t0) / 1000;
  for (let i = 0; i < 600 && st.events < eventsAtEnd; i++) await sleep(50);
  if (st.events < eventsAtEnd) throw new Error(`watch saw ${st.events} of ${eventsAtEnd} events`);
  for (const cl of clients) cl.close();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  return [total / secs, pct(0.5), pct(0.99)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const writes = MODE === 'update' ? updates : creates;

/** read + write system calls of a process so far (/proc/<pid>/io; 0 where unavailable). */
function syscalls(pid: number | undefined): number {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? 0);
    return field('syscr') + field('syscw');
  } catch {
    return 0;
  }
}

interface Tally {
  leader: number;
  followers: number;
  /** read + write system calls of the leader and of the followers. */
  leaderSys: number;
  followerSys: number;
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
      clusters.push(
        await startCluster('kubets-B', [process.execPath, ...NODE_ARGS_B, STORE_BIN_B]),
      );
    if (existsSync(ETCD_BIN)) clusters.push(await startCluster('etcd', [ETCD_BIN]));
    else console.log(`${ETCD_BIN} missing: no etcd column`);
    // Warm-up (V8 compiles the hot paths after a few thousand calls).
    for (const c of clusters) for (const n of CLIENTS) await writes(c, n, OPS / 2);
    const load0 = loadavg()[0]!.toFixed(2);
    const tallies = new Map<string, Tally>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const n of CLIENTS) {
        const order = r % 2 === 0 ? clusters : [...clusters].reverse();
        for (const c of order) {
          const before = c.members.map((m) => processCpuSeconds(m.child.pid));
          const sysBefore = c.members.map((m) => syscalls(m.child.pid));
          const [rate, p50, p99] = await writes(c, n, OPS);
          const used = c.members.map((m, i) => processCpuSeconds(m.child.pid) - before[i]!);
          const sys = c.members.map((m, i) => syscalls(m.child.pid) - sysBefore[i]!);
          const key = `${c.name}|${n}`;
          const t = tallies.get(key) ?? {
            leader: 0,
            followers: 0,
            leaderSys: 0,
            followerSys: 0,
            ops: 0,
            rate: [],
            p50: [],
            p99: [],
          };
          t.leader += used[c.leader] ?? 0;
          t.followers += used.reduce((a, b) => a + b, 0) - (used[c.leader] ?? 0);
          t.leaderSys += sys[c.leader] ?? 0;
          t.followerSys += sys.reduce((a, b) => a + b, 0) - (sys[c.leader] ?? 0);
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
      MODE === 'update'
        ? `\nkube-apiserver updates (Txn compare mod_revision==N, put, else range; a prefix watch), ${VALUE.length}-byte values, writers call ${TARGET}, ${RATE}/s paced, ${OPS} per round, ${ROUNDS} alternated rounds; load ${load0} -> ${load1}`
        : `\ncreates (Txn compare mod_revision==0 + put, ${VALUE.length}-byte values), ${OPS} per round, ${ROUNDS} alternated rounds; load ${load0} -> ${load1}`,
    );
    console.log(
      `${'system'.padEnd(10)}${'clients'.padStart(8)}${'leader ms'.padStart(11)}${'follower ms'.padStart(13)}${'member avg'.padStart(12)}${'writes/s'.padStart(10)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'syscalls/write L, F'.padStart(21)}`,
    );
    for (const n of CLIENTS)
      for (const c of clusters) {
        const t = tallies.get(`${c.name}|${n}`)!;
        const l = (t.leader * 1000) / t.ops;
        const f = (t.followers * 1000) / t.ops / 2;
        console.log(
          `${c.name.padEnd(10)}${String(n).padStart(8)}${l.toFixed(3).padStart(11)}${f.toFixed(3).padStart(13)}${((l + 2 * f) / 3).toFixed(3).padStart(12)}${med(t.rate).toFixed(0).padStart(10)}${med(t.p50).toFixed(1).padStart(8)}${med(t.p99).toFixed(1).padStart(8)}${`${(t.leaderSys / t.ops).toFixed(1)}, ${(t.followerSys / t.ops / 2).toFixed(1)}`.padStart(21)}`,
        );
      }
  } finally {
    for (const st of updateStates.values()) st.watchClient.close();
    for (const c of clusters) await stopBenchCluster(c, process.env.BENCH_KEEP_LOGS !== undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
