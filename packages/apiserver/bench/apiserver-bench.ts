/**
 * `npm run bench -w @kubets/apiserver`: the API server on a 3-member kubets-store cluster and on a
 * 3-member real etcd (Debian's 3.4), one after the other with the same load, each member a real
 * process on loopback. For each backend:
 *
 * 1. create BENCH_PODS pods with BENCH_CLIENTS concurrent clients, per client kind (REST and gRPC; BENCH_KINDS picks),
 *    each kind in its own namespace (the first kind's is `bench`); objects/s, p50/p99 latency;
 * 2. heap per cached object: the server's heap after a full GC, before and after the creates,
 *    divided by the number of cached pods;
 * 3. list the BENCH_PODS pods of `bench` (consistent read, served from the watch cache) and with
 *    resourceVersion=0, and paginated with limit=500 (served from etcd, as upstream): objects/s,
 *    p50/p99 latency;
 * 4. hold BENCH_WATCHERS watches on the pods of `bench` (in BENCH_WATCH_PROCS client processes) while
 *    updating pods at BENCH_UPDATE_RATE per second for BENCH_UPDATE_SECONDS: the delivery latency
 *    of every event at every watcher, from the moment its update was sent (so it includes the
 *    write itself), p50/p99, and how many of the expected events arrived; with the fan-out's
 *    wall and CPU time per batch (wall well above CPU: the server waited for a core), how long
 *    a batch's oldest event waited for dispatch, bytes per event and the CPU of every process.
 *
 * Configuration by environment or `--name=value` flags (same names, lower case, without BENCH_):
 * BENCH_PODS (10000), BENCH_CLIENTS (50), BENCH_LISTS (5), BENCH_WATCHERS (1000),
 * BENCH_WATCH_PROCS (2), BENCH_UPDATE_RATE (500), BENCH_UPDATE_SECONDS (10),
 * BENCH_BACKENDS (kubets-store,etcd), BENCH_WATCH_CLIENT (native: bench/watch-client.c built with
 * `cc -O2`, falling back to node with a printed reason when there is no cc; node:
 * bench/watch-client.ts), BENCH_CLIENT_SCHED (batch: the native clients run SCHED_BATCH so
 * that they do not preempt the co-located server at each write; normal), BENCH_WATCH_ENCODING
 * (json: the watchers ask for JSON lines; protobuf: `application/vnd.kubernetes.protobuf`, the
 * form client-go's components use), BENCH_UPDATE_PATH
 * (api; `store` puts the updates straight
 * into the store so the API server's CPU is the watch fan-out alone), BENCH_KINDS (REST,gRPC: the create client kinds), BENCH_DATA_DIR (default /dev/shm when present: tmpfs takes
 * the disk out of the comparison), ETCD_BIN (/usr/bin/etcd), KUBETS_STORE_BIN and
 * BENCH_STORE_NODE_ARGS, BENCH_STORE_TARGET (leader: see below), BENCH_SERVER_WORKERS (1: the API
 * server as N worker processes behind one port, as `--workers=N`, see bench/server.ts; the
 * watch phase then prints each worker's CPU and loop stages, and the server's CPU is their sum),
 * BENCH_WATCH_WRITE_THREADS (unset: the server's default, 0, the event loop writes the watch
 * bytes; N: N write threads, ADR 0031), BENCH_SERVER_JS (another build's `bench/server.js`, for A/B runs
 * against an older server in one sitting).
 * Small run: `BENCH_PODS=500 BENCH_WATCHERS=50 BENCH_UPDATE_SECONDS=3 npm run bench -w @kubets/apiserver`.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../src/storage/etcd/etcd-client.js';
import {
  compileNativeWatchClient,
  startNativeWatchClient,
  startNodeWatchClient,
  type WatchClient,
  type WatchReport,
} from './watch-clients.js';
import { call as grpcCall, json, resourcesClient } from '../test/helpers/grpc.js';
import { freePort } from '../test/helpers/etcd.js';
import { processCpuSeconds } from '@kubets/component-base/testing';

function setting(name: string, fallback: string): string {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (flag) return flag.slice(name.length + 3);
  return process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? fallback;
}

const PODS = Number(setting('pods', '10000'));
const CLIENTS = Number(setting('clients', '50'));
const LISTS = Number(setting('lists', '5'));
const WATCHERS = Number(setting('watchers', '1000'));
const WATCH_PROCS = Math.max(1, Number(setting('watch-procs', '2')));
const UPDATE_RATE = Number(setting('update-rate', '500'));
const UPDATE_SECONDS = Number(setting('update-seconds', '10'));
const BACKENDS = setting('backends', 'kubets-store,etcd').split(',').filter(Boolean);
/**
 * Where the watch phase's updates go: `api` (PATCH through the API server, the default) or
 * `store` (put straight into the store, bypassing the API server's write path: the server's CPU
 * is then the watch fan-out alone).
 */
const UPDATE_PATH = setting('update-path', 'api');
const DATA_PARENT = setting('data-dir', existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
const HERE = new URL('.', import.meta.url).pathname;
/** KUBETS_STORE_BIN: another build's `bin/kubets-store.js` (A/B runs of the store in one sitting). */
const STORE_BIN =
  process.env.KUBETS_STORE_BIN ??
  new URL('../../../store/bin/kubets-store.js', import.meta.url).pathname;
/**
 * BENCH_STORE_NODE_ARGS: node options for the kubets-store members, space-separated (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`); `{name}` is replaced by the member's name (m1…m3).
 */
const STORE_NODE_ARGS = (process.env.BENCH_STORE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const NAMESPACE = 'bench';

/**
 * The watch load generator: `native` (bench/watch-client.c, compiled here with `cc -O2`; the
 * default when cc works) or `node` (bench/watch-client.ts). The Node client needs ~2 µs of CPU
 * per delivered event, a core at 500,000 deliveries/s, which starves the server on a small box.
 */
function chooseWatchClient(): { kind: 'native'; binary: string } | { kind: 'node'; why: string } {
  const wanted = setting('watch-client', 'native');
  if (wanted === 'node') return { kind: 'node', why: 'BENCH_WATCH_CLIENT=node' };
  if (wanted !== 'native') throw new Error(`BENCH_WATCH_CLIENT=${wanted}: native or node`);
  const built = compileNativeWatchClient(
    join(HERE, '../../bench/watch-client.c'),
    join(HERE, 'watch-client'),
  );
  return 'binary' in built
    ? { kind: 'native', binary: built.binary }
    : { kind: 'node', why: built.reason };
}
const WATCH_CLIENT = chooseWatchClient();
/**
 * BENCH_CLIENT_SCHED (batch): the native watch clients run as SCHED_BATCH so that, sharing the
 * machine with the server, they do not preempt it at each of its writes (a real server's
 * clients run elsewhere); `normal` to compare.
 */
const CLIENT_SCHED = setting('client-sched', 'batch') === 'normal' ? 'normal' : 'batch';
/** BENCH_WATCH_ENCODING (json): what the watchers ask for, `json` or `protobuf`. */
const WATCH_ENCODING = ((): 'json' | 'protobuf' => {
  const e = setting('watch-encoding', 'json');
  if (e !== 'json' && e !== 'protobuf') {
    throw new Error(`BENCH_WATCH_ENCODING=${e}: json or protobuf`);
  }
  return e;
})();
/**
 * BENCH_SERVER_WORKERS (1): the API server as N processes behind its ports (`--workers=N`'s
 * model: node:cluster, connections handed to the workers in turn). 1 by default: on this 2-core
 * machine, shared with the watch clients, the store members and the driver, the second worker's
 * extra CPU per update (each worker decodes every event) outweighed its core (ADR 0028).
 */
const SERVER_WORKERS = Math.max(1, Number(setting('server-workers', '1')));

// ---------------------------------------------------------------------------------------------
// Statistics

interface Stats {
  count: number;
  seconds: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function stats(latencies: number[], seconds: number, objects = latencies.length): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { count: objects, seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

// ---------------------------------------------------------------------------------------------
// Backends: 3 real processes each

interface Backend {
  name: string;
  endpoints: string[];
  children: ChildProcess[];
  dirs: string[];
  /** Index of the leader after start-up (-1 unknown): the API server calls the first member. */
  leader: number;
}

async function startBackend(name: string): Promise<Backend> {
  const members = await Promise.all(
    [1, 2, 3].map(async (i) => ({
      name: `m${i}`,
      dir: mkdtempSync(join(DATA_PARENT, `apiserver-bench-${name}-m${i}-`)),
      client: await freePort(),
      peer: await freePort(),
    })),
  );
  const cluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const backend: Backend = {
    name,
    endpoints: members.map((m) => `http://127.0.0.1:${m.client}`),
    children: [],
    dirs: members.map((m) => m.dir),
    leader: -1,
  };
  for (const m of members) {
    const flags = [
      `--name=${m.name}`,
      `--data-dir=${join(m.dir, 'data')}`,
      `--listen-client-urls=http://127.0.0.1:${m.client}`,
      `--advertise-client-urls=http://127.0.0.1:${m.client}`,
      `--listen-peer-urls=http://127.0.0.1:${m.peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${m.peer}`,
      `--initial-cluster=${cluster}`,
      '--initial-cluster-token=bench',
    ];
    const log = openSync(join(m.dir, 'member.log'), 'w');
    const child =
      name === 'etcd'
        ? spawn(ETCD_BIN, flags, { stdio: ['ignore', log, log] })
        : spawn(
            process.execPath,
            [...STORE_NODE_ARGS.map((a) => a.replaceAll('{name}', m.name)), STORE_BIN, ...flags],
            { stdio: ['ignore', log, log] },
          );
    backend.children.push(child);
  }
  const client = new EtcdClient({ endpoints: backend.endpoints });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      const dead = backend.children.findIndex((c) => c.exitCode !== null);
      if (dead >= 0) {
        const log = readFileSync(join(backend.dirs[dead]!, 'member.log'), 'utf8');
        throw new Error(`${name} member exited: ${log.slice(-2000)}`);
      }
      try {
        const st = await client.status();
        if (st.leader !== '0') break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`${name} did not elect a leader in 60 s`);
      await sleep(200);
    }
    // Which member leads: a follower the API server calls forwards each write to the leader,
    // so the members' CPU split (and sum) depends on the roles.
    for (const [i, endpoint] of backend.endpoints.entries()) {
      const one = new EtcdClient({ endpoints: [endpoint] });
      try {
        const st = await one.status();
        if (st.leader === st.header?.member_id) backend.leader = i;
      } finally {
        one.close();
      }
    }
  } catch (err) {
    await stopBackend(backend);
    throw err;
  } finally {
    client.close();
  }
  return backend;
}

async function stopBackend(b: Backend): Promise<void> {
  await Promise.all(b.children.map((c) => stopChild(c)));
  for (const d of b.dirs) rmSync(d, { recursive: true, force: true });
}

async function stopChild(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The API server process and HTTP helpers

interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** host:port of the gRPC resource API. */
  grpc: string | undefined;
  ask<T>(type: string): Promise<T>;
}

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }): void => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null): void => reject(new Error(`child exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function startServer(endpoints: string[]): Promise<ServerProcess> {
  // BENCH_SERVER_JS: another build's bench/server.js (A/B against an older server in one sitting).
  const script = process.env.BENCH_SERVER_JS ?? join(HERE, 'server.js');
  const child = fork(script, [endpoints.join(',')], {
    env: { ...process.env, BENCH_SERVER_WORKERS: String(SERVER_WORKERS) },
    execArgv: [
      '--expose-gc',
      '--max-old-space-size=4096',
      // BENCH_SERVER_PROF=dir: a V8 CPU profile of the API server, for finding hot spots.
      ...(process.env.BENCH_SERVER_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`]
        : []),
      // BENCH_SERVER_NODE_OPTIONS: more node flags for the server (e.g. --perf-basic-prof for perf).
      ...(process.env.BENCH_SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
    ],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const { url, grpc } = await nextMessage<{ url: string; grpc?: string }>(child, 'ready');
  return {
    child,
    url,
    grpc,
    ask: <T>(type: string) => {
      const reply = nextMessage<T>(child, type);
      child.send({ type });
      return reply;
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
/** Updates in flight at most in the watch phase (the driver's connection pool size). */
const MAX_UPDATES_IN_FLIGHT = 150;

function call(
  url: string,
  method: string,
  body?: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      { method, agent, headers: data ? { ...headers, 'content-type': contentType } : headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, bytes: buf.length, text: buf.toString() });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function pod(namespace: string, i: number): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `bench-${i}`,
      namespace,
      labels: { app: 'bench', shard: String(i % 16) },
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.9',
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Client kinds for the create phase: REST and gRPC.

interface CreateClientKind {
  name: string;
  /** Creates pod `i` in `namespace`; resolves when the server answered success. */
  connect(
    server: ServerProcess,
    namespace: string,
  ): Promise<{ create(i: number): Promise<void>; close(): void }>;
}

const restClient: CreateClientKind = {
  name: 'REST',
  connect: (server, namespace) =>
    Promise.resolve({
      create: async (i: number) => {
        // Retried like a client would on 429/5xx; a 409 after a failed attempt means it landed.
        for (let attempt = 0; ; attempt++) {
          const r = await call(
            `${server.url}/api/v1/namespaces/${namespace}/pods`,
            'POST',
            pod(namespace, i),
          );
          if (r.status === 201 || (r.status === 409 && attempt > 0)) return;
          if (attempt >= 4 || (r.status < 500 && r.status !== 429)) {
            throw new Error(`create answered ${r.status}: ${r.text.slice(0, 200)}`);
          }
          await sleep(100);
        }
      },
      close: () => undefined,
    }),
};

/** kubets.api.v1.Resources/Create: every call multiplexed on one HTTP/2 channel. */
const grpcClient: CreateClientKind = {
  name: 'gRPC',
  connect: (server, namespace) => {
    if (!server.grpc) throw new Error('the server serves no gRPC');
    const client = resourcesClient(server.grpc);
    const ref = { group: '', version: 'v1', resource: 'pods', namespace };
    return Promise.resolve({
      create: async (i: number) => {
        await grpcCall(client, 'Create', { ref, object: json(pod(namespace, i)) });
      },
      close: () => client.close(),
    });
  },
};

/**
 * The namespace client kind `k` creates its pods in: the first kind's is NAMESPACE, the one the
 * lists, watches and updates use, so they see BENCH_PODS pods however many kinds ran.
 */
function createNamespace(k: number): string {
  return k === 0 ? NAMESPACE : `${NAMESPACE}-${CLIENT_KINDS[k]!.name.toLowerCase()}`;
}

/** BENCH_KINDS (REST,gRPC) picks the create client kinds. */
export const CLIENT_KINDS: CreateClientKind[] = [restClient, grpcClient].filter((k) =>
  setting('kinds', 'REST,gRPC').split(',').includes(k.name),
);

/** Runs `total` operations over `concurrency` workers; returns latencies (ms) and seconds. */
async function drive(
  total: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Phases

/** CPU milliseconds per create, of the API server and of the backend's members together. */
interface CreateCpu {
  server: number;
  backend: number;
}

/** User + system CPU time (ms) of a process from /proc (Linux); 0 where unavailable. */

interface BackendResult {
  creates: Map<string, Stats>;
  createCpu: Map<string, CreateCpu>;
  heapPerObject: number;
  cachedPods: number;
  listFull: Stats;
  listZero: Stats;
  listPaged: Stats;
  pagedPass: number;
  updates: Stats;
  updateRate: number;
  updateErrors: number;
  /** CPU seconds of each process over the update phase (until the last event arrived). */
  watchCpu: {
    wall: number;
    server: number;
    clients: number;
    /** Of which in the kernel (system time: socket reads, epoll). */
    clientsSystem: number;
    store: number;
    /** Of each member (in start order). */
    members: number[];
    /** Index of the leader in `members` (-1 unknown). */
    leader: number;
    driver: number;
    load: number;
  } & FanoutCounters;
  delivery: {
    p50: number;
    p99: number;
    max: number;
    received: number;
    expected: number;
    /** Update sent -> first watcher has it. */
    firstP50: number;
    firstP99: number;
    /** First watcher has it -> last watcher has it (the fan-out itself). */
    spreadP50: number;
    spreadP99: number;
  };
}

async function serverCpuMs(server: ServerProcess): Promise<number> {
  const { cpu } = await server.ask<{ cpu: NodeJS.CpuUsage }>('cpu');
  return (cpu.user + cpu.system) / 1000;
}

const backendCpuMs = (b: Backend): number =>
  b.children.reduce((a, c) => a + processCpuSeconds(c.pid) * 1000, 0);

/**
 * BENCH_STORE_TARGET: which member the API server calls (it calls its first endpoint):
 * `leader` (the default) puts the leader first, so that both backends serve the API server
 * from the same role; `m1` keeps the start order, whichever member won the election (a
 * follower forwards every write to the leader: the members' CPU then splits and sums
 * differently, decision 0038).
 */
const STORE_TARGET = setting('store-target', 'leader');

function serverEndpoints(backend: Backend): string[] {
  if (STORE_TARGET !== 'leader' || backend.leader < 0) return backend.endpoints;
  const leader = backend.endpoints[backend.leader]!;
  return [leader, ...backend.endpoints.filter((e) => e !== leader)];
}

async function runBackend(backend: Backend): Promise<BackendResult> {
  const server = await startServer(serverEndpoints(backend));
  const base = server.url;
  try {
    for (const name of CLIENT_KINDS.map((_, k) => createNamespace(k))) {
      const ns = await call(`${base}/api/v1/namespaces`, 'POST', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
      if (ns.status !== 201) throw new Error(`namespace ${name}: ${ns.status} ${ns.text}`);
    }
    const before = await server.ask<{ heapUsed: number }>('heap');

    // 1. Creates, per client kind (each kind creates its own share of names, in its namespace).
    const creates = new Map<string, Stats>();
    const createCpu = new Map<string, CreateCpu>();
    let offset = 0;
    for (const [k, kind] of CLIENT_KINDS.entries()) {
      const client = await kind.connect(server, createNamespace(k));
      const cpu0 = await serverCpuMs(server);
      const store0 = backendCpuMs(backend);
      const { latencies, seconds } = await drive(PODS, CLIENTS, (i) => client.create(offset + i));
      const cpu = {
        server: ((await serverCpuMs(server)) - cpu0) / PODS,
        backend: (backendCpuMs(backend) - store0) / PODS,
      };
      client.close();
      creates.set(kind.name, stats(latencies, seconds));
      createCpu.set(kind.name, cpu);
      offset += PODS;
      log(
        `  create ${kind.name}: ${(PODS / seconds).toFixed(0)}/s, CPU per create: server ` +
          `${cpu.server.toFixed(2)} ms, ${backend.name} members ${cpu.backend.toFixed(2)} ms; ` +
          `load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
    // The lists, the watches and the updates are on the first kind's namespace: BENCH_PODS pods
    // (the goal's 10,000), whatever other kinds created beside them.
    const total = PODS;

    // 2. Heap per cached object.
    const after = await server.ask<{ heapUsed: number; cachedPods: number }>('heap');
    const heapPerObject = (after.heapUsed - before.heapUsed) / Math.max(1, after.cachedPods);

    // 3. Lists.
    const podsUrl = `${base}/api/v1/namespaces/${NAMESPACE}/pods`;
    const listRound = async (query: string): Promise<Stats> => {
      const lat: number[] = [];
      let objects = 0;
      const t = performance.now();
      for (let i = 0; i < LISTS; i++) {
        const t0 = performance.now();
        const r = await call(`${podsUrl}${query}`, 'GET');
        lat.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`list ${query}: ${r.status}`);
        objects += total;
      }
      return stats(lat, (performance.now() - t) / 1000, objects);
    };
    await listRound(''); // warm up
    const listed = (JSON.parse((await call(podsUrl, 'GET')).text) as { items: unknown[] }).items;
    if (listed.length !== total)
      throw new Error(`the list has ${listed.length} pods, not ${total}`);
    const listFull = await listRound('');
    const listZero = await listRound('?resourceVersion=0');
    const pageLat: number[] = [];
    const tPaged = performance.now();
    let pagedObjects = 0;
    for (let pass = 0; pass < LISTS; pass++) {
      let cont = '';
      for (;;) {
        const t0 = performance.now();
        const r = await call(
          `${podsUrl}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
          'GET',
        );
        pageLat.push(performance.now() - t0);
        const body = JSON.parse(r.text) as { metadata: { continue?: string }; items: unknown[] };
        pagedObjects += body.items.length;
        if (!body.metadata.continue) break;
        cont = body.metadata.continue;
      }
    }
    const pagedSeconds = (performance.now() - tPaged) / 1000;
    const listPaged = stats(pageLat, pagedSeconds, pagedObjects);
    log(`  lists done`);

    // 4. Watchers while updating.
    // The update driver's connections are opened first, while the server is idle, as a real
    // client holds its connections (client-go multiplexes one HTTP/2 connection; HTTP/1.1 here
    // needs one per request in flight). Opened inside the measured phase they would measure
    // libuv's accept rate under load instead: it accepts one connection per event-loop turn
    // (libuv PR #3696, in Node 20), so 150 new connections into a saturated server waited up
    // to 3 s to be accepted (ADR 0022).
    if (UPDATE_PATH === 'api') {
      await Promise.all(
        Array.from({ length: MAX_UPDATES_IN_FLIGHT }, () => call(`${podsUrl}/bench-0`, 'GET')),
      );
    }
    const listRV = (
      JSON.parse((await call(`${podsUrl}?limit=1`, 'GET')).text) as {
        metadata: { resourceVersion: string };
      }
    ).metadata.resourceVersion;
    const clients: WatchClient[] = [];
    const perProc = Math.ceil(WATCHERS / WATCH_PROCS);
    const watchPath = `/api/v1/namespaces/${NAMESPACE}/pods?watch=true&resourceVersion=${listRV}&allowWatchBookmarks=true`;
    let opened = 0;
    for (let p = 0; p < WATCH_PROCS && opened < WATCHERS; p++) {
      const count = Math.min(perProc, WATCHERS - opened);
      opened += count;
      clients.push(
        WATCH_CLIENT.kind === 'native'
          ? await startNativeWatchClient(
              WATCH_CLIENT.binary,
              base,
              watchPath,
              count,
              CLIENT_SCHED,
              WATCH_ENCODING,
            )
          : await startNodeWatchClient(
              join(HERE, 'watch-client.js'),
              base,
              watchPath,
              count,
              WATCH_ENCODING,
              // BENCH_CLIENT_PROF=dir: CPU profiles of the (Node) watch client processes.
              process.env.BENCH_CLIENT_PROF
                ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLIENT_PROF}`]
                : [],
            ),
      );
    }
    log(`  ${WATCHERS} watchers open`);
    // CPU of every process during the update phase (the box is shared: wall time alone misleads).
    const cpuOf = async (): Promise<CpuSample> => {
      const [srv, ...cl] = await Promise.all([
        server.ask<{
          cpu: NodeJS.CpuUsage;
          dispatch?: Partial<DispatchStats>;
          loop?: unknown;
          pids?: number[];
        }>('cpu'),
        ...clients.map((c) => c.report()),
      ]);
      return {
        at: performance.now(),
        server: cpuSeconds(srv.cpu),
        dispatches: srv.dispatch?.dispatches ?? 0,
        dispatchedEvents: srv.dispatch?.events ?? 0,
        fanoutMs: srv.dispatch?.fanoutMs ?? 0,
        fanoutCpuMs: srv.dispatch?.fanoutCpuMs ?? 0,
        waitMs: srv.dispatch?.waitMs ?? 0,
        maxWaitMs: srv.dispatch?.maxWaitMs ?? 0,
        busyDispatches: srv.dispatch?.busyDispatches ?? 0,
        bytes: cl.reduce((a, r) => a + (r.bytes ?? 0), 0),
        reads: cl.reduce((a, r) => a + (r.reads ?? 0), 0),
        clients: cl.reduce((a, r) => a + cpuSeconds(r.cpu), 0),
        clientsSystem: cl.reduce((a, r) => a + r.cpu.system / 1e6, 0),
        store: backend.children.reduce((a, c) => a + processCpuSeconds(c.pid), 0),
        members: backend.children.map((c) => processCpuSeconds(c.pid)),
        driver: cpuSeconds(process.cpuUsage()),
        // Every server process: the workers too when there are several.
        serverPreempted: (srv.pids ?? [server.child.pid]).reduce<number>(
          (a, pid) => a + preemptions(pid),
          0,
        ),
        loop: srv.loop,
      };
    };
    const direct = UPDATE_PATH === 'store' ? await directUpdater(backend) : undefined;
    const cpuBefore = await cpuOf();
    const updates = Math.round(UPDATE_RATE * UPDATE_SECONDS);
    const updLat: number[] = [];
    let inFlight = 0;
    let sent = 0;
    let done = 0;
    let updateErrors = 0;
    const tUpd = performance.now();
    await new Promise<void>((resolve) => {
      // BENCH_UPDATE_SECONDS=0 (or rate 0): no update phase.
      if (updates === 0) {
        resolve();
        return;
      }
      const timer = setInterval(() => {
        const due = Math.min(
          updates,
          Math.floor(((performance.now() - tUpd) / 1000) * UPDATE_RATE),
        );
        while (sent < due && inFlight < MAX_UPDATES_IN_FLIGHT) {
          const i = sent++;
          inFlight++;
          const sentAt = performance.timeOrigin + performance.now();
          const t0 = performance.now();
          const settle = (ok: boolean): void => {
            inFlight--;
            done++;
            if (ok) updLat.push(performance.now() - t0);
            else updateErrors++;
            if (done === updates) {
              clearInterval(timer);
              resolve();
            }
          };
          const update =
            direct !== undefined
              ? direct.put(i % total, sentAt.toFixed(3))
              : call(
                  `${podsUrl}/bench-${i % total}`,
                  'PATCH',
                  { metadata: { annotations: { 'bench/sent-at': sentAt.toFixed(3) } } },
                  'application/merge-patch+json',
                  // Read by bench/server.ts only (not by the API server): how long the request
                  // took to reach the server's handler.
                  { 'x-bench-sent-at': sentAt.toFixed(3) },
                );
          update.then(
            (r) => {
              if (r.status !== 200 && updateErrors < 3) {
                log(`  update answered ${r.status}: ${r.text.slice(0, 300)}`);
              }
              settle(r.status === 200);
            },
            () => settle(false),
          );
        }
      }, 5);
    });
    const updSeconds = (performance.now() - tUpd) / 1000;
    // Let the last events arrive.
    const expected = updLat.length * WATCHERS;
    const reports = async (): Promise<Report[]> => Promise.all(clients.map((c) => c.report()));
    let got = await reports();
    const waitUntil = Date.now() + 30_000;
    while (got.reduce((a, r) => a + r.received, 0) < expected && Date.now() < waitUntil) {
      await sleep(500);
      got = await reports();
    }
    const cpuAfter = await cpuOf();
    // Per-update stages, GC pauses, event-loop delay and the longest stalls of the server over
    // the watch phase.
    // Stages are p50 / p99 / max (count): see bench/server.ts.
    log(`  server, watch phase (bench/server.ts):`);
    for (const [k, v] of Object.entries((cpuAfter.loop ?? {}) as Record<string, unknown>)) {
      log(`    ${k}: ${JSON.stringify(v)}`);
    }
    direct?.close();
    await Promise.all(clients.map((c) => c.stop()));
    const merged = new Map<number, number>();
    for (const r of got) for (const [b, n] of r.buckets) merged.set(b, (merged.get(b) ?? 0) + n);
    const received = got.reduce((a, r) => a + r.received, 0);
    // Fan-out spread: per update, from the first watcher receiving it to the last one.
    const firstLast = new Map<number, [number, number]>();
    for (const r of got) {
      for (const [k, first, last] of r.firstLast) {
        const cur = firstLast.get(k);
        if (!cur) firstLast.set(k, [first, last]);
        else firstLast.set(k, [Math.min(cur[0], first), Math.max(cur[1], last)]);
      }
    }
    const spreads = [...firstLast.values()].map(([a, b]) => b - a).sort((a, b) => a - b);
    const firsts = [...firstLast.entries()].map(([k, [a]]) => a - k).sort((a, b) => a - b);
    const sortedBuckets = [...merged.entries()].sort((a, b) => a[0] - b[0]);
    const at = (p: number): number => {
      const target = received * p;
      let seen = 0;
      for (const [b, n] of sortedBuckets) {
        seen += n;
        if (seen >= target) return b / 10;
      }
      return 0;
    };
    return {
      creates,
      createCpu,
      heapPerObject,
      cachedPods: after.cachedPods,
      listFull,
      listZero,
      listPaged,
      pagedPass: pagedSeconds / LISTS,
      updates: stats(updLat, updSeconds),
      updateRate: updLat.length / updSeconds,
      updateErrors,
      watchCpu: {
        wall: (cpuAfter.at - cpuBefore.at) / 1000,
        server: cpuAfter.server - cpuBefore.server,
        clients: cpuAfter.clients - cpuBefore.clients,
        clientsSystem: cpuAfter.clientsSystem - cpuBefore.clientsSystem,
        store: cpuAfter.store - cpuBefore.store,
        members: cpuAfter.members.map((v, i) => v - (cpuBefore.members[i] ?? 0)),
        leader: backend.leader,
        driver: cpuAfter.driver - cpuBefore.driver,
        load: loadavg()[0]!,
        dispatches: cpuAfter.dispatches - cpuBefore.dispatches,
        dispatchedEvents: cpuAfter.dispatchedEvents - cpuBefore.dispatchedEvents,
        fanoutMs: cpuAfter.fanoutMs - cpuBefore.fanoutMs,
        fanoutCpuMs: cpuAfter.fanoutCpuMs - cpuBefore.fanoutCpuMs,
        waitMs: cpuAfter.waitMs - cpuBefore.waitMs,
        maxWaitMs: cpuAfter.maxWaitMs,
        busyDispatches: cpuAfter.busyDispatches - cpuBefore.busyDispatches,
        bytes: cpuAfter.bytes - cpuBefore.bytes,
        reads: cpuAfter.reads - cpuBefore.reads,
        serverPreempted: cpuAfter.serverPreempted - cpuBefore.serverPreempted,
      },
      delivery: {
        p50: at(0.5),
        p99: at(0.99),
        max: sortedBuckets.length ? sortedBuckets[sortedBuckets.length - 1]![0] / 10 : 0,
        received,
        expected,
        firstP50: percentile(firsts, 0.5),
        firstP99: percentile(firsts, 0.99),
        spreadP50: percentile(spreads, 0.5),
        spreadP99: percentile(spreads, 0.99),
      },
    };
  } finally {
    server.child.send({ type: 'stop' });
    await Promise.race([new Promise((r) => server.child.once('exit', r)), sleep(10_000)]);
    await stopChild(server.child, 'SIGKILL');
  }
}

/**
 * Updates that bypass the API server (BENCH_UPDATE_PATH=store): the stored pods are read once,
 * and each update puts a pod back with its `bench/sent-at` annotation set.
 */
async function directUpdater(backend: Backend): Promise<{
  put(i: number, sentAt: string): Promise<{ status: number; text: string }>;
  close(): void;
}> {
  const client = new EtcdClient({ endpoints: backend.endpoints });
  const prefix = `/registry/pods/${NAMESPACE}/`;
  const stored = new Map<string, { metadata: { annotations?: Record<string, string> } }>();
  let key = Buffer.from(prefix);
  const end = Buffer.from(
    prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1),
  );
  for (;;) {
    const resp = await client.range({ key, range_end: end, limit: '1000' });
    for (const kv of resp.kvs) stored.set(kv.key.toString(), JSON.parse(kv.value.toString()));
    const last = resp.kvs[resp.kvs.length - 1];
    if (!resp.more || !last) break;
    key = Buffer.concat([last.key, Buffer.from([0])]);
  }
  return {
    put: async (i, sentAt) => {
      const k = `${prefix}bench-${i}`;
      const obj = stored.get(k);
      if (!obj) return { status: 404, text: `${k} not stored` };
      obj.metadata.annotations = { ...obj.metadata.annotations, 'bench/sent-at': sentAt };
      await client.put({ key: Buffer.from(k), value: Buffer.from(JSON.stringify(obj)) });
      return { status: 200, text: '' };
    },
    close: () => client.close(),
  };
}

/** The watch phase's fan-out counters: sampled before and after, reported as differences. */
interface FanoutCounters {
  /** The pods watch cache's fan-out batches and the events in them (0 for older servers). */
  dispatches: number;
  dispatchedEvents: number;
  /** Wall ms the pods cache spent in fan-out; summed and largest wait of a batch's oldest event. */
  fanoutMs: number;
  fanoutCpuMs: number;
  waitMs: number;
  maxWaitMs: number;
  /** Fan-outs after which the wait was lengthened because the loop was busy (ADR 0029). */
  busyDispatches: number;
  /** Body bytes and reads of the watch clients. */
  bytes: number;
  reads: number;
  /** The server's involuntary context switches (preempted while runnable). */
  serverPreempted: number;
}

interface CpuSample extends FanoutCounters {
  at: number;
  server: number;
  clients: number;
  clientsSystem: number;
  store: number;
  members: number[];
  driver: number;
  loop?: unknown;
}

/** Involuntary context switches of a process (Linux /proc; 0 where unavailable). */
function preemptions(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /nonvoluntary_ctxt_switches:\s*(\d+)/.exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pods cache's dispatch counters (bench/server.ts passes the Cacher's dispatchStats). */
interface DispatchStats {
  dispatches: number;
  events: number;
  fanoutMs: number;
  fanoutCpuMs: number;
  waitMs: number;
  maxWaitMs: number;
  busyDispatches: number;
}

const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;

/** CPU seconds (user + system) of a child process, from /proc (0 where there is none). */
type Report = WatchReport;

// ---------------------------------------------------------------------------------------------
// Output

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;
const rate = (s: Stats): string => `${(s.count / s.seconds).toFixed(0)}/s`;

function report(results: Map<string, BackendResult>): void {
  const names = [...results.keys()];
  const rows: [string, ...string[]][] = [];
  const row = (label: string, f: (r: BackendResult) => string): void => {
    rows.push([label, ...names.map((n) => f(results.get(n)!))]);
  };
  for (const kind of CLIENT_KINDS) {
    row(`create ${kind.name} (${CLIENTS} clients) objects/s`, (r) =>
      rate(r.creates.get(kind.name)!),
    );
    row(`create ${kind.name} p50 / p99`, (r) => {
      const s = r.creates.get(kind.name)!;
      return `${ms(s.p50)} / ${ms(s.p99)}`;
    });
    row(`create ${kind.name} CPU ms/create server / store`, (r) => {
      const c = r.createCpu.get(kind.name)!;
      return `${c.server.toFixed(2)} / ${c.backend.toFixed(2)}`;
    });
  }
  row('heap per cached pod', (r) => `${(r.heapPerObject / 1024).toFixed(2)} KiB (${r.cachedPods})`);
  row(`list ${PODS} pods (consistent, cache) objects/s`, (r) => rate(r.listFull));
  row(
    `list ${PODS} pods (consistent, cache) p50 / p99`,
    (r) => `${ms(r.listFull.p50)} / ${ms(r.listFull.p99)}`,
  );
  row(
    `list ${PODS} pods (rv=0, cache) p50 / p99`,
    (r) => `${ms(r.listZero.p50)} / ${ms(r.listZero.p99)}`,
  );
  row('list limit=500 (etcd) objects/s', (r) => rate(r.listPaged));
  row('list limit=500 page p50 / p99', (r) => `${ms(r.listPaged.p50)} / ${ms(r.listPaged.p99)}`);
  row('list limit=500 whole pass', (r) => ms(r.pagedPass * 1000));
  row(`updates (target ${UPDATE_RATE}/s) achieved`, (r) => `${r.updateRate.toFixed(0)}/s`);
  row('update p50 / p99', (r) => `${ms(r.updates.p50)} / ${ms(r.updates.p99)}`);
  row('failed updates (5xx, 429, network)', (r) => String(r.updateErrors));
  row(
    `delivery to ${WATCHERS} watchers p50 / p99`,
    (r) => `${ms(r.delivery.p50)} / ${ms(r.delivery.p99)}`,
  );
  row('delivery max', (r) => ms(r.delivery.max));
  row(
    '  of which: sent -> first watcher p50 / p99',
    (r) => `${ms(r.delivery.firstP50)} / ${ms(r.delivery.firstP99)}`,
  );
  row(
    '  of which: first -> last watcher p50 / p99',
    (r) => `${ms(r.delivery.spreadP50)} / ${ms(r.delivery.spreadP99)}`,
  );
  row('watch phase CPU s/s: server / watch clients', (r) => {
    const c = r.watchCpu;
    return `${(c.server / c.wall).toFixed(2)} / ${(c.clients / c.wall).toFixed(2)}`;
  });
  row('watch phase CPU s/s: store members / driver', (r) => {
    const c = r.watchCpu;
    return `${(c.store / c.wall).toFixed(2)} / ${(c.driver / c.wall).toFixed(2)}`;
  });
  // `*` marks the leader (which the API server calls unless BENCH_STORE_TARGET=m1).
  row('member CPU ms per update: m1, m2, m3 / sum', (r) => {
    const n = r.updates.count;
    if (n === 0) return '-';
    const each = r.watchCpu.members
      .map((v, i) => ((v / n) * 1e3).toFixed(2) + (i === r.watchCpu.leader ? '*' : ''))
      .join(', ');
    return `${each} / ${((r.watchCpu.store / n) * 1e3).toFixed(2)}`;
  });
  row('server CPU per delivered event', (r) =>
    r.delivery.received > 0
      ? `${((r.watchCpu.server / r.delivery.received) * 1e6).toFixed(2)} µs`
      : '-',
  );
  row(`${WATCH_CLIENT.kind} watch clients CPU per delivered event`, (r) =>
    r.delivery.received > 0
      ? `${((r.watchCpu.clients / r.delivery.received) * 1e6).toFixed(2)} µs (kernel ${((r.watchCpu.clientsSystem / r.delivery.received) * 1e6).toFixed(2)})`
      : '-',
  );
  row('server CPU per update (incl. fan-out)', (r) =>
    r.updates.count > 0 ? `${((r.watchCpu.server / r.updates.count) * 1e3).toFixed(2)} ms` : '-',
  );
  row('fan-out batches/s, events per batch, busy-paced', (r) => {
    const c = r.watchCpu;
    if (c.dispatches === 0) return '-';
    return `${(c.dispatches / c.wall).toFixed(0)}/s, ${(c.dispatchedEvents / c.dispatches).toFixed(1)}, ${((100 * c.busyDispatches) / c.dispatches).toFixed(0)}%`;
  });
  // Wall vs CPU per fan-out: how much of a batch's time the server waited for a core.
  row('fan-out per batch: wall / CPU', (r) => {
    const c = r.watchCpu;
    if (c.dispatches === 0) return '-';
    return `${ms(c.fanoutMs / c.dispatches)} / ${ms(c.fanoutCpuMs / c.dispatches)}`;
  });
  // How long a batch's oldest event waited before its fan-out began (dispatch pacing + queueing).
  row('batch wait for dispatch mean / max', (r) => {
    const c = r.watchCpu;
    if (c.dispatches === 0) return '-';
    return `${ms(c.waitMs / c.dispatches)} / ${ms(c.maxWaitMs)}`;
  });
  row('server preempted (involuntary switches) per s', (r) =>
    (r.watchCpu.serverPreempted / r.watchCpu.wall).toFixed(0),
  );
  row('bytes per delivered event, events per client read', (r) => {
    const c = r.watchCpu;
    if (r.delivery.received === 0 || c.reads === 0) return '-';
    return `${(c.bytes / r.delivery.received).toFixed(0)} B, ${(r.delivery.received / c.reads).toFixed(1)}`;
  });
  row('load average after the watch phase', (r) => r.watchCpu.load.toFixed(2));
  row('events delivered / expected', (r) => `${r.delivery.received} / ${r.delivery.expected}`);
  const width = [Math.max(...rows.map((r) => r[0].length)) + 2, ...names.map(() => 26)];
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(width[0]!) : c.padStart(width[i]!))).join('');
  console.log(line(['', ...names]));
  for (const r of rows) console.log(line(r));
  console.log(
    `\ngoals: create p99 < 1 s at >= 1000/s; list of ${PODS} pods from the cache p99 < 1 s; delivery p99 < 100 ms`,
  );
}

async function main(): Promise<void> {
  if (!existsSync(STORE_BIN) && BACKENDS.includes('kubets-store')) {
    throw new Error(`${STORE_BIN} missing: build @kubets/store first`);
  }
  console.log(
    `kubets-apiserver benchmark: ${PODS} pods, ${CLIENTS} clients, ${WATCHERS} watchers, ${UPDATE_RATE} updates/s for ${UPDATE_SECONDS} s (through ${UPDATE_PATH === 'store' ? 'the store directly' : 'the API server'}); ` +
      `3 members per backend, data under ${DATA_PARENT}; load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} CPUs\n`,
  );
  console.log(
    WATCH_CLIENT.kind === 'native'
      ? `watch clients: native (bench/watch-client.c, cc -O2) in ${WATCH_PROCS} processes, scheduled ${CLIENT_SCHED === 'batch' ? 'SCHED_BATCH' : 'normally'}, asking for ${WATCH_ENCODING}\n`
      : `watch clients: Node (bench/watch-client.ts) in ${WATCH_PROCS} processes (${WATCH_CLIENT.why}), asking for ${WATCH_ENCODING}\n`,
  );
  console.log(
    `API server: ${SERVER_WORKERS === 1 ? 'one process' : `${SERVER_WORKERS} worker processes behind one port (node:cluster)`}\n`,
  );
  const results = new Map<string, BackendResult>();
  for (const name of BACKENDS) {
    if (name === 'etcd' && !existsSync(ETCD_BIN)) {
      console.log(`${ETCD_BIN} not installed: skipping the etcd backend`);
      continue;
    }
    log(`${name}: starting 3 members`);
    const backend = await startBackend(name);
    try {
      results.set(name, await runBackend(backend));
    } finally {
      await stopBackend(backend);
    }
  }
  agent.destroy();
  report(results);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
