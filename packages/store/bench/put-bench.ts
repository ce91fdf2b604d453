/**
 * `npm run bench -w @kubets/store`: puts, reads and watches from a lean load generator
 * (load-clients.ts; BENCH_CLIENT=etcd3 for the npm etcd3 client instead) against a
 * 3-member kubets-store cluster and a 3-member real etcd cluster (Debian's 3.4), both started
 * here on loopback (each member on its own temporary data dir and free 127.0.0.1 ports), one
 * after the other with the same load. Every client is given every member's endpoint (as
 * kube-apiserver's --etcd-servers), so requests reach followers and the leader alike. Prints
 * throughput, p50 and p99 latency of each and the ratio kubets-store / etcd.
 *
 * Environment: BENCH_PUTS (ops per round, default 20000), BENCH_MEMBERS (default 3),
 * BENCH_CLIENTS (concurrent clients, default 100), BENCH_VALUE_BYTES (default 256),
 * BENCH_DATA_DIR (parent of the data dirs, default the OS temp dir; put it on tmpfs to take the
 * disk out of the comparison), ETCD_BIN (default /usr/bin/etcd), BENCH_WATCHERS (watchers in
 * the fan-out workload, default 1000), BENCH_WATCH_EVENTS (puts under the watched prefix,
 * default 1000; each is delivered to every watcher), KUBETS_STORE_BIN (the kubets-store entry
 * point, default this package's dist build; another build for an A/B comparison), BENCH_ONLY
 * (run only the workloads whose name contains this text), BENCH_WARMUP (size of the unmeasured
 * warm-up round relative to the measured one, default 1), KUBETS_STORE_ARGS (more kubets-store
 * flags for the members, such as --experimental-grpc-transport=js), KUBETS_STORE_NODE_ARGS (node options
 * for the kubets-store members, such as --cpu-prof), BENCH_KEEP_LOGS (keep each member's log beside its data
 * dir, e.g. for --trace-gc output), BENCH_LATENCY_DIR (write each round's latencies, in completion
 * order, as JSON files there: the shape of a distribution), BENCH_CLIENT (the load generator:
 * lean, the default, or etcd3; decision 0044), BENCH_TARGET (all members, the default, or only
 * the leader or the followers).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, tmpdir } from 'node:os';
import { loadClient, type KvClient } from './load-clients.js';
import { startBenchCluster, stopBenchCluster, type BenchCluster } from './cluster.js';
import { processCpuSeconds } from '@kubets/component-base/testing';

/**
 * Ops per measured round. 20,000 (5,000 puts with one client): at 4,000 a 100-client round
 * lasted under a second, so one 50-80 ms stall anywhere on the shared machine (a GC in the
 * bench's own clients, another process) delayed several percent of its operations and decided
 * its p99 alone, for either system (decision 0037).
 */
const PUTS = Number(process.env.BENCH_PUTS ?? 20000);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 3);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 100);
const VALUE_BYTES = Number(process.env.BENCH_VALUE_BYTES ?? 256);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 1000);
/**
 * Puts in the fan-out round. 1,000 (a million deliveries, about a second): at 200 the round
 * lasted 0.2-0.3 s, about ten of kubets-store's 20 ms watch holds (decision 0046), so where one
 * hold or one stall fell decided the throughput; the ratio swung 0.77-1.69 between whole runs
 * of the same build (decision 0049).
 */
const WATCH_EVENTS = Number(process.env.BENCH_WATCH_EVENTS ?? 1000);
const DATA_PARENT = process.env.BENCH_DATA_DIR ?? tmpdir();
/**
 * Size of the unmeasured warm-up round relative to the measured one: one whole round, so the
 * members are measured in the steady state a long-running member is in. With half a round
 * kubets-store's members were still partly unoptimized by V8 (decision 0034: 1-client puts at
 * 0.75–0.91 ms of CPU per put against 0.40–0.45 ms once warm); etcd gets the same round.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
const CLIENT = loadClient();
const STORE_BIN =
  process.env.KUBETS_STORE_BIN ??
  new URL('../../dist/bin/kubets-store.js', import.meta.url).pathname;

type Server = BenchCluster;

interface Result {
  /** Said under the tables (e.g. the fan-out's events per WatchResponse). */
  note?: string;
  opsPerSec: number;
  p50: number;
  p99: number;
  /** The latency distribution (ms): p75, p90, p95, p99.9 and the mean (1 / throughput of one client). */
  dist: { p75: number; p90: number; p95: number; p999: number; mean: number };
  /** Operations the workload counted (for CPU per operation). */
  ops: number;
  /**
   * CPU seconds this process (the load generator) used during the workload: the load generator
   * shares the machine with the members, so what a server makes its clients spend shows.
   */
  clientCpu: number;
}

/** CPU seconds (user + system) of this process since `since` (a process.cpuUsage() value). */
function cpuSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/** CPU seconds used by every member of a cluster so far. */
function clusterCpu(s: Server): number {
  let total = 0;
  for (const m of s.members) total += processCpuSeconds(m.child.pid);
  return total;
}

/**
 * Seconds the threads of every member of a cluster have waited on a CPU run queue so far
 * (`/proc/<pid>/task/<tid>/schedstat`, second field): on a shared machine, the time a member was
 * ready to run and did not get a CPU; `mainThreadOnly`: only the thread whose id is the process's
 * (kubets-store's event loop; for etcd just one of the Go runtime's threads). Threads that exited
 * are not counted.
 */
function clusterRunqueueWait(s: Server, mainThreadOnly = false): number {
  let ns = 0;
  for (const m of s.members) {
    const pid = m.child.pid;
    if (pid === undefined) continue;
    try {
      for (const tid of mainThreadOnly ? [String(pid)] : readdirSync(`/proc/${pid}/task`)) {
        const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
        ns += Number(fields[1] ?? 0);
      }
    } catch {
      // exited, or no schedstat (kernel without CONFIG_SCHEDSTATS)
    }
  }
  return ns / 1e9;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** The rest of a sorted latency list's distribution, for the slow part below p99. */
function distribution(sorted: number[]): Result['dist'] {
  let sum = 0;
  for (const l of sorted) sum += l;
  return {
    p75: percentile(sorted, 0.75),
    p90: percentile(sorted, 0.9),
    p95: percentile(sorted, 0.95),
    p999: percentile(sorted, 0.999),
    mean: sorted.length > 0 ? sum / sorted.length : 0,
  };
}

/** The last round's latencies in completion order (BENCH_LATENCY_DIR writes them out). */
let lastLatencies: number[] = [];

/** Runs `total` operations spread over `concurrency` clients of the load generator. */
async function drive(
  endpoints: string[],
  concurrency: number,
  total: number,
  op: (c: KvClient, i: number) => Promise<unknown>,
): Promise<Result> {
  // Connected and warmed up (one get each) before the clock starts.
  const kv = await CLIENT.kvClients(endpoints, concurrency);
  const clients = kv.clients;
  const latencies: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = performance.now();
        await op(c, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Before the sort below: the client's CPU is what it spent while the servers ran.
  const clientCpu = cpuSince(cpu0);
  kv.close();
  lastLatencies = latencies.slice();
  latencies.sort((a, b) => a - b);
  return {
    opsPerSec: total / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    dist: distribution(latencies),
    ops: total,
    clientCpu,
  };
}

let fanOutRuns = 0;
/** Watch streams the fan-out's watchers are spread over (the etcd3 driver: one client each). */
const WATCH_STREAMS = 10;

/**
 * Watch fan-out: `watchers` watchers on one prefix (spread over 10 watch streams), then
 * `events` puts under it from 10 concurrent writers. Every event must reach every watcher
 * exactly once, or the run fails. Latency is from just before the put is sent to the event's
 * arrival at a watcher; throughput is events delivered (to all watchers together) per second,
 * from the first put to the last delivery.
 */
async function watchFanOut(endpoints: string[], watchers: number, events: number): Promise<Result> {
  const prefix = `fan/${fanOutRuns++}/`;
  const sentAt = new Float64Array(events);
  /** Per watcher and put: delivered yet (a second delivery fails the run). */
  const seen = new Uint8Array(watchers * events);
  const latencies: number[] = [];
  const expected = watchers * events;
  let lastDelivery = 0;
  let onAll: () => void = () => undefined;
  let onFailure: (err: Error) => void = () => undefined;
  const all = new Promise<void>((resolve, reject) => {
    onAll = resolve;
    onFailure = reject;
  });
  const watches = await CLIENT.watch({
    endpoints,
    prefix,
    watchers,
    streams: WATCH_STREAMS,
    onPut: (watcher, seq) => {
      const now = performance.now();
      const at = watcher * events + seq;
      if (!(seq < events) || seen[at] !== 0) {
        onFailure(new Error(`watch fan-out: watcher ${watcher} got put ${seq} again or unasked`));
        return;
      }
      seen[at] = 1;
      latencies.push(now - sentAt[seq]!);
      lastDelivery = now;
      if (latencies.length === expected) onAll();
    },
    onError: (err) => onFailure(err),
  });
  const writer = await CLIENT.kvClients(endpoints, 1).catch((err: unknown) => {
    watches.close();
    throw err;
  });
  try {
    const put = writer.clients[0]!;
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (;;) {
          const seq = next++;
          if (seq >= events) return;
          sentAt[seq] = performance.now();
          await put.put(`${prefix}${seq}`, value);
        }
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      all,
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`watch fan-out: ${latencies.length} of ${expected} events arrived`)),
          120_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    // Before sorting 200,000 latencies (a quarter of the lean client's CPU otherwise).
    const clientCpu = cpuSince(cpu0);
    const messages = watches.eventMessages?.();
    latencies.sort((a, b) => a - b);
    return {
      ...(messages === undefined
        ? {}
        : { note: `${(expected / messages).toFixed(2)} events per WatchResponse` }),
      opsPerSec: expected / ((lastDelivery - started) / 1000),
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      dist: distribution(latencies),
      // CPU per put (each delivered to every watcher).
      ops: events,
      clientCpu,
    };
  } finally {
    watches.close();
    writer.close();
  }
}

const value = Buffer.alloc(VALUE_BYTES, 'x');

interface Workload {
  name: string;
  /** Runs the workload (`scale` 1 measured, less for the warm-up round). */
  run: (endpoints: string[], scale: number) => Promise<Result>;
}

/** A workload of `total` operations over `concurrency` clients. */
function ops(
  name: string,
  concurrency: number,
  total: number,
  op: (c: KvClient, i: number) => Promise<unknown>,
): Workload {
  return {
    name,
    run: (endpoints, scale) => drive(endpoints, concurrency, Math.ceil(total * scale), op),
  };
}

const allWorkloads: Workload[] = [
  ops('put, 1 client', 1, Math.ceil(PUTS / 4), (c, i) => c.put(`bench/${i % 1000}`, value)),
  ops(`put, ${CLIENTS} clients`, CLIENTS, PUTS, (c, i) => c.put(`bench/${i % 1000}`, value)),
  ops(`get linearizable, ${CLIENTS} clients`, CLIENTS, PUTS, (c, i) =>
    c.get(`bench/${i % 1000}`, false),
  ),
  ops(`get serializable, ${CLIENTS} clients`, CLIENTS, PUTS, (c, i) =>
    c.get(`bench/${i % 1000}`, true),
  ),
  {
    name: `watch fan-out, ${WATCHERS} watchers`,
    run: (endpoints, scale) =>
      watchFanOut(endpoints, WATCHERS, Math.max(10, Math.ceil(WATCH_EVENTS * scale))),
  },
];

/** BENCH_ONLY: run only the workloads whose name contains this text (profiling one of them). */
const workloads = allWorkloads.filter((w) => w.name.includes(process.env.BENCH_ONLY ?? ''));

/**
 * BENCH_TARGET: the endpoints the clients are given: `all` (the default, as kube-apiserver's
 * --etcd-servers), `leader` or `followers` (the leader seen at start), to tell a tail that
 * comes from forwarding a follower's writes from one every put has.
 */
function targets(s: Server): string[] {
  const target = process.env.BENCH_TARGET ?? 'all';
  if (target === 'all') return s.endpoints;
  if (s.leader < 0) throw new Error(`BENCH_TARGET=${target}: no leader seen at start`);
  if (target === 'leader') return [s.endpoints[s.leader]!];
  if (target === 'followers') return s.endpoints.filter((_, i) => i !== s.leader);
  throw new Error(`BENCH_TARGET=${target}: use all, leader or followers`);
}

/** The same for both systems (the same etcd flags too). */
const clusterOptions = { members: MEMBERS, dataParent: DATA_PARENT, token: 'bench' };

const fmt = (n: number, d = 0): string => n.toFixed(d).padStart(8);

async function main(): Promise<void> {
  if (!existsSync(STORE_BIN))
    throw new Error(`${STORE_BIN} missing: build first (npm run build -w @kubets/store)`);
  const servers: Server[] = [];
  try {
    servers.push(
      await startBenchCluster({
        name: 'kubets-store',
        command: [
          process.execPath,
          // KUBETS_STORE_NODE_ARGS: node options for the members (e.g. --cpu-prof).
          ...(process.env.KUBETS_STORE_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
          STORE_BIN,
        ],
        // KUBETS_STORE_ARGS: more kubets-store flags (e.g. --experimental-grpc-transport=js).
        extraArgs: (process.env.KUBETS_STORE_ARGS ?? '').split(' ').filter((a) => a !== ''),
        ...clusterOptions,
      }),
    );
    if (existsSync(ETCD_BIN)) {
      servers.push(
        await startBenchCluster({ name: 'etcd', command: [ETCD_BIN], ...clusterOptions }),
      );
    } else {
      console.log(
        `${ETCD_BIN} not installed (Debian etcd-server): printing kubets-store figures only`,
      );
    }
    // One unmeasured round on each system first: kubets-store runs on V8, which interprets a
    // function until it has run often enough to be compiled with its optimizing compiler, so
    // the first few thousand requests of a fresh process measure the compiler, not the server
    // (a long-running member is always warm). etcd gets the same round.
    for (const s of servers) {
      for (const w of workloads) await w.run(targets(s), WARMUP);
    }
    // Which member leads matters where load is uneven over the members (the fan-out's 10 watch
    // streams go round-robin from the first member: 4, 3, 3).
    for (const s of servers) console.log(`${s.name}: leader ${s.members[s.leader]?.name ?? '?'}`);
    const loadBefore = loadavg()[0]!.toFixed(2);
    const rows: string[] = [];
    const distRows: string[] = [];
    const notes: string[] = [];
    for (const w of workloads) {
      const results = new Map<string, Result>();
      const cpu = new Map<string, number>();
      for (const s of servers) {
        const cpuBefore = clusterCpu(s);
        const waitBefore = clusterRunqueueWait(s);
        const mainWaitBefore = clusterRunqueueWait(s, true);
        const r = await w.run(targets(s), 1);
        const perOp = (seconds: number): number => (seconds * 1000) / r.ops / s.members.length;
        const waitPerOp = perOp(clusterRunqueueWait(s) - waitBefore);
        const mainWaitPerOp = perOp(clusterRunqueueWait(s, true) - mainWaitBefore);
        // Milliseconds of CPU per operation per member (user + system, from /proc).
        const cpuPerOp = ((clusterCpu(s) - cpuBefore) * 1000) / r.ops / s.members.length;
        results.set(s.name, r);
        if (r.note !== undefined) notes.push(`${w.name}, ${s.name}: ${r.note}`);
        cpu.set(s.name, cpuPerOp);
        if (process.env.BENCH_LATENCY_DIR !== undefined)
          writeFileSync(
            join(process.env.BENCH_LATENCY_DIR, `${s.name}-${w.name.replace(/\W+/g, '-')}.json`),
            JSON.stringify(lastLatencies),
          );
        const row = `${w.name.padEnd(34)}${s.name.padEnd(14)}${fmt(r.opsPerSec)}${fmt(r.p50, 2)}${fmt(r.p99, 2)}${fmt(cpuPerOp, 3)}${((r.clientCpu * 1000) / r.ops).toFixed(3).padStart(10)}`;
        rows.push(row);
        console.error(row);
        const d = r.dist;
        distRows.push(
          `${w.name.padEnd(34)}${s.name.padEnd(14)}${fmt(r.p50, 2)}${fmt(d.p75, 2)}${fmt(d.p90, 2)}${fmt(d.p95, 2)}${fmt(r.p99, 2)}${fmt(d.p999, 2)}${fmt(d.mean, 3)}${fmt(waitPerOp, 3)}${fmt(mainWaitPerOp, 3)}`,
        );
      }
      const k = results.get('kubets-store');
      const e = results.get('etcd');
      if (k && e) {
        // The goal: throughput at least etcd's, p99 at most 1.5x etcd's.
        const met = k.opsPerSec >= e.opsPerSec && k.p99 <= 1.5 * e.p99;
        rows.push(
          `${''.padEnd(34)}${'ratio k/e'.padEnd(14)}${fmt(k.opsPerSec / e.opsPerSec, 2)}${fmt(k.p50 / e.p50, 2)}${fmt(k.p99 / e.p99, 2)}${fmt(cpu.get('kubets-store')! / cpu.get('etcd')!, 2)}  ${met ? 'goal met' : 'goal missed'}`,
        );
      }
    }
    const loadAfter = loadavg()[0]!.toFixed(2);
    console.log(
      `\n${PUTS} ops per round (puts with 1 client: ${Math.ceil(PUTS / 4)}), ${VALUE_BYTES}-byte values, watch fan-out ${WATCHERS} watchers x ${WATCH_EVENTS} events, ${MEMBERS} members each, data under ${DATA_PARENT}`,
    );
    console.log(
      `load average ${loadBefore} before, ${loadAfter} after, on ${cpus().length} CPUs; each system had one unmeasured warm-up round; each workload runs on one system, then on the other.`,
    );
    console.log('Goal (issue): ops/s ratio >= 1 and p99 ratio <= 1.5.');
    console.log(
      `cpu ms: CPU (user + system) per operation per member, from /proc (for watch fan-out: per put);\nclient ms: the same for this process (the load generator: ${CLIENT.name}), which shares the machine.\n`,
    );
    console.log(
      `${'workload'.padEnd(34)}${'system'.padEnd(14)}${'ops/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'cpu ms'.padStart(8)}${'client ms'.padStart(10)}`,
    );
    for (const row of rows) console.log(row);
    console.log(
      `\nlatency distribution (ms; for one client, throughput = 1 / mean); rq wait: ms per operation per member its threads were ready to run but waited for a CPU (rq main: its main thread):\n${'workload'.padEnd(34)}${'system'.padEnd(14)}${'p50'.padStart(8)}${'p75'.padStart(8)}${'p90'.padStart(8)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'p99.9'.padStart(8)}${'mean'.padStart(8)}${'rq wait'.padStart(8)}${'rq main'.padStart(8)}`,
    );
    for (const row of distRows) console.log(row);
    if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
  } finally {
    for (const s of servers) await stopBenchCluster(s, process.env.BENCH_KEEP_LOGS !== undefined);
  }
}

main().then(
  // The etcd3 clients' watch machinery can keep a handle open after close(): exit explicitly.
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
