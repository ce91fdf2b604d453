/**
 * The API server under test, in its own process (forked by apiserver-bench.ts with --expose-gc so
 * the heap can be measured after a full collection). Speaks to the driver over IPC:
 * `ready` {url, grpc} once serving; `heap` -> {heapUsed, cachedPods, cpu}; `cpu` -> {cpu (process.cpuUsage()),
 * dispatch (the pods cache's fan-out batches, when it counts them), loop (since the previous
 * `cpu`: the watch phase's per-update stages, store calls, GC pauses, event-loop delay and
 * longest stalls; see the functions below)};
 * `stop` -> closes and exits.
 *
 * The stage probes only observe (node:diagnostics_channel, wrappers around the etcd client's
 * HTTP/2 unary calls and around the pods cache's `dispatch`); the server's code is not changed for them. Set
 * BENCH_DISPATCH=ratio,capMs[,busyScale] to try other dispatch pacing for the pods cache;
 * BENCH_WATCH_WRITE_THREADS=N to have N threads write the watch bytes (default 0: the loop).
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { H2ClientConnection } from '@kubets/component-base/grpc-client';
import { getHeapSpaceStatistics } from 'node:v8';
import { readFileSync } from 'node:fs';
import { customResourceSupport } from '../src/cli/run.js';
import { startApiServer } from '../src/server.js';
import { testServerOptions } from '../test/helpers/server-options.js';

interface Request {
  type: 'heap' | 'cpu' | 'stop';
}

/**
 * What stalls the event loop, between two `cpu` requests (so the driver's samples around the
 * watch phase bracket it): garbage collections by kind (count, total and longest pause), the
 * event loop's delay (p99 / max) and the longest stalls with when they started, so a stall can be
 * matched to a GC.
 */
function loopWatch(): () => unknown {
  const gc = { minor: [0, 0, 0], major: [0, 0, 0], other: [0, 0, 0] };
  const long: { at: number; ms: number; what: string }[] = [];
  const kinds: Record<number, keyof typeof gc> = {
    1: 'minor',
    4: 'major',
    8: 'other',
    16: 'other',
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as { detail?: { kind?: number } }).detail;
      const k = kinds[detail?.kind ?? 0] ?? 'other';
      const t = gc[k];
      t[0]!++;
      t[1]! += e.duration;
      t[2] = Math.max(t[2]!, e.duration);
      if (e.duration >= 20)
        long.push({ at: Math.round(e.startTime), ms: Math.round(e.duration), what: `gc ${k}` });
    }
  }).observe({ entryTypes: ['gc'] });
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  // The event loop's share of the interval, and the main thread's CPU against the process's
  // (the difference is other threads: the thread pool's socket writes, GC helpers).
  let elu = performance.eventLoopUtilization();
  let cpuAt = { t: performance.now(), main: mainThreadCpuSeconds(), all: process.cpuUsage() };
  // A coarse stall sampler with timestamps (the histogram has none).
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - 10;
    if (late >= 40) long.push({ at: Math.round(last), ms: Math.round(late), what: 'loop' });
    last = now;
  }, 10).unref();
  return () => {
    const out = {
      // Per kind: collections, total and longest pause in ms.
      gc: Object.fromEntries(
        Object.entries(gc).map(([k, [n, ms, max]]) => [
          k,
          { n, ms: Math.round(ms!), maxMs: Math.round(max!) },
        ]),
      ),
      loopDelayP99Ms: Math.round(eld.percentile(99) / 1e6),
      loopDelayMaxMs: Math.round(eld.max / 1e6),
      newSpace: getHeapSpaceStatistics()
        .filter((h) => h.space_name === 'new_space')
        .map((h) => Math.round(h.space_size / 1024)),
      long: long
        .splice(0)
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 12),
    };
    const nowElu = performance.eventLoopUtilization();
    const t = performance.now();
    const main = mainThreadCpuSeconds();
    const all = process.cpuUsage();
    const seconds = (t - cpuAt.t) / 1000;
    const allS = (all.user + all.system - cpuAt.all.user - cpuAt.all.system) / 1e6;
    Object.assign(out, {
      eventLoopUtilization: Number(
        performance.eventLoopUtilization(nowElu, elu).utilization.toFixed(3),
      ),
      cpuPerSecond: {
        process: Number((allS / seconds).toFixed(3)),
        mainThread: Number(((main - cpuAt.main) / seconds).toFixed(3)),
      },
    });
    elu = nowElu;
    cpuAt = { t, main, all };
    for (const v of Object.values(gc)) v.fill(0);
    eld.reset();
    return out;
  };
}

/** User + system CPU seconds of this process's main thread (Linux /proc; 0 elsewhere). */
function mainThreadCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s (Linux's USER_HZ).
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Stages of the watch phase's PATCHes, seen from inside the server (node:diagnostics_channel, so
 * the server's code is not touched): from the driver sending it (its `x-bench-sent-at` header,
 * wall clock) to the handler getting the request ("in": the event loop's queue plus parsing),
 * and from there to the response finishing ("handled": the update path, the store write
 * included). The driver's own latency minus both is the answer's way back.
 */
function requestStages(): () => unknown {
  const started = new WeakMap<IncomingMessage, number>();
  let inMs: number[] = [];
  let handledMs: number[] = [];
  subscribe('http.server.request.start', (m) => {
    const req = (m as { request: IncomingMessage }).request;
    const sent = req.headers['x-bench-sent-at'];
    if (typeof sent !== 'string') return;
    inMs.push(performance.timeOrigin + performance.now() - Number(sent));
    started.set(req, performance.now());
  });
  subscribe('http.server.response.finish', (m) => {
    const req = (m as { request: IncomingMessage }).request;
    const t = started.get(req);
    if (t !== undefined) handledMs.push(performance.now() - t);
  });
  return () => {
    const out = { in: pct(inMs), handled: pct(handledMs) };
    inMs = [];
    handledMs = [];
    return out;
  };
}

/**
 * Stages of each event in the pods watch cache (the cacher's private `dispatch` wrapped here, in
 * the bench only): from the update being sent (its `bench/sent-at` annotation) to the cache
 * recording the event from the store's watch ("cached"), to its fan-out starting ("dispatched"),
 * and the fan-out's own length.
 */
function cacheStages(cacher: unknown, pct: (a: number[]) => string): () => unknown {
  const c = cacher as {
    dispatch?: (
      events: {
        object: { metadata?: { annotations?: Record<string, string> } };
        recordTime: number;
      }[],
    ) => void;
  };
  const original = c.dispatch;
  if (!original) return () => undefined;
  let cached: number[] = [];
  let waited: number[] = [];
  let fanout: number[] = [];
  c.dispatch = function (events) {
    const now = performance.timeOrigin + performance.now();
    for (const e of events) {
      const sent = Number(e.object.metadata?.annotations?.['bench/sent-at']);
      if (!sent) continue;
      cached.push(e.recordTime - sent);
      waited.push(now - e.recordTime);
    }
    const t = performance.now();
    const cpu = process.cpuUsage();
    const switches = process.resourceUsage().involuntaryContextSwitches;
    original.call(this, events);
    const ms = performance.now() - t;
    fanout.push(ms);
    // The longest fan-outs with their batch size, CPU and preemptions: a long one that cost
    // little CPU was preempted; one that cost much was a big batch.
    const c = process.cpuUsage(cpu);
    slowest.push({
      at: Math.round(t),
      ms: Math.round(ms),
      events: events.length,
      cpuMs: Math.round((c.user + c.system) / 1000),
      preempted: process.resourceUsage().involuntaryContextSwitches - switches,
    });
    slowest.sort((a, b) => b.ms - a.ms);
    if (slowest.length > 8) slowest.length = 8;
  };
  let slowest: { at: number; ms: number; events: number; cpuMs: number; preempted: number }[] = [];
  return () => {
    const out = {
      cached: pct(cached),
      waited: pct(waited),
      fanout: pct(fanout),
      slowestFanouts: JSON.stringify(slowest),
    };
    cached = [];
    waited = [];
    fanout = [];
    slowest = [];
    return out;
  };
}

function pct(a: number[]): string {
  if (a.length === 0) return '-';
  a.sort((x, y) => x - y);
  const at = (p: number): string => a[Math.min(a.length - 1, Math.floor(a.length * p))]!.toFixed(1);
  return `${at(0.5)} / ${at(0.99)} / ${a[a.length - 1]!.toFixed(1)} ms (${a.length})`;
}

/**
 * The store's unary calls (the etcd client's JavaScript HTTP/2 connection, ADR 0040) timed from
 * the call to its outcome's callback, per method: the store's answer time as the server sees
 * it, its event loop included. `H2ClientConnection.prototype.unary` is wrapped (bench only).
 * BENCH_STORE_CALLERS=1 also counts who issues each Range (key prefix and calling functions).
 */
function storeCalls(pct: (a: number[]) => string): () => unknown {
  let times = new Map<string, number[]>();
  let callers = new Map<string, number>();
  const proto = H2ClientConnection.prototype;
  // Called below with the connection as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const unary = proto.unary;
  proto.unary = function (this: H2ClientConnection, request, callback) {
    const t = performance.now();
    const method = request.path.slice(request.path.lastIndexOf('/') + 1);
    if (process.env.BENCH_STORE_CALLERS && method === 'Range') {
      const where = (new Error().stack ?? '')
        .split('\n')
        .filter((l) => l.includes('/src/') && !l.includes('/etcd/'))
        .slice(0, 3)
        .map((l) =>
          l
            .trim()
            .replace(/^at (async )?/, '')
            .replace(/ \(.*\/src\//, ' ('),
        )
        .join(' < ');
      const keyText = /\/registry\/[\x20-\x7e]*/.exec(request.body.toString('latin1'))?.[0] ?? '?';
      const k = `${keyText.slice(0, 40)} <- ${where}`;
      callers.set(k, (callers.get(k) ?? 0) + 1);
    }
    return unary.call(this, request, (outcome) => {
      let a = times.get(method);
      if (!a) times.set(method, (a = []));
      a.push(performance.now() - t);
      callback(outcome);
    });
  };
  return () => {
    const out: Record<string, unknown> = Object.fromEntries(
      [...times].map(([k, v]) => [k, pct(v)]),
    );
    if (callers.size > 0) out.rangeCallers = Object.fromEntries(callers);
    times = new Map();
    callers = new Map();
    return out;
  };
}

async function main(): Promise<void> {
  const calls = storeCalls(pct);
  const loop = loopWatch();
  const stages = requestStages();
  const etcdServers = (process.argv[2] ?? '').split(',');
  const watchCache = process.argv[3] !== 'no-cache';
  const server = await startApiServer({
    ...testServerOptions(etcdServers),
    customResources: customResourceSupport,
    watchCache,
    // The gRPC resource API beside REST (plaintext: the server has no TLS here).
    grpcPort: 0,
    // BENCH_WATCH_WRITE_THREADS=N: threads writing the watch bytes (default: the server's, 0,
    // the event loop; ADR 0031).
    ...(process.env.BENCH_WATCH_WRITE_THREADS
      ? { watchWriteThreads: Number(process.env.BENCH_WATCH_WRITE_THREADS) }
      : {}),
  });
  const cache = cacheStages(server.watchCaches.get('/registry/pods/'), pct);
  // BENCH_DISPATCH=ratio,capMs[,busyScale]: the pods cache's dispatch pacing (experiments only).
  // An empty value means unset (a shell loop's default arm), not a ratio of 0.
  const pacing = process.env.BENCH_DISPATCH
    ? process.env.BENCH_DISPATCH.split(',').map(Number)
    : undefined;
  if (pacing) {
    if (pacing.length < 2 || pacing.some((v) => !Number.isFinite(v))) {
      throw new Error(
        `BENCH_DISPATCH=${process.env.BENCH_DISPATCH}: expected ratio,capMs[,busyScale]`,
      );
    }
    const o = (
      server.watchCaches.get('/registry/pods/') as unknown as { o: Record<string, number> }
    ).o;
    o.dispatchCostRatio = pacing[0]!;
    o.maxDispatchDelayMs = pacing[1]!;
    if (pacing[2] !== undefined) o.busyDispatchScale = pacing[2];
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: Request) => {
    if (m.type === 'heap') {
      gc?.();
      gc?.();
      const pods = server.watchCaches.get('/registry/pods/');
      process.send?.({
        type: 'heap',
        heapUsed: process.memoryUsage().heapUsed,
        cachedPods: pods?.cache.size ?? 0,
        cpu: process.cpuUsage(),
      });
    } else if (m.type === 'cpu') {
      const pods = server.watchCaches.get('/registry/pods/');
      process.send?.({
        type: 'cpu',
        cpu: process.cpuUsage(),
        dispatch: (pods as { dispatchStats?: unknown } | undefined)?.dispatchStats,
        loop: { patch: stages(), store: calls(), cache: cache(), ...(loop() as object) },
      });
    } else if (m.type === 'stop') {
      void server.close().finally(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', url: server.url, grpc: server.grpcAddress });
}

/**
 * BENCH_SERVER_WORKERS=N (N > 1): this process is the node:cluster primary; N workers each run a
 * full server (main above) on the same ports. The driver's requests are relayed to every worker
 * and the answers combined: CPU summed, dispatch counters summed, loop stats per worker.
 */
async function primary(n: number): Promise<void> {
  const cluster = (await import('node:cluster')).default;
  const workers = Array.from({ length: n }, () =>
    cluster.fork({ ...process.env, BENCH_SERVER_WORKER: '1' }),
  );
  const next = <T>(w: (typeof workers)[number], type: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (m: { type: string }): void => {
        if (m.type !== type) return;
        w.off('message', on);
        resolve(m as T);
      };
      w.on('message', on);
    });
  cluster.on('exit', (w, code) => {
    if (!stopping) {
      console.error(`bench server worker ${w.process.pid} exited with ${code}`);
      process.exit(1);
    }
  });
  let stopping = false;
  const readies = await Promise.all(
    workers.map((w) => next<{ url: string; grpc?: string }>(w, 'ready')),
  );
  const ready = readies[0];
  const ask = <T>(type: string): Promise<T[]> =>
    Promise.all(
      workers.map((w) => {
        const r = next<T>(w, type);
        w.send({ type });
        return r;
      }),
    );
  const sumCpu = (cs: NodeJS.CpuUsage[]): NodeJS.CpuUsage => {
    const own = process.cpuUsage();
    return cs.reduce((a, c) => ({ user: a.user + c.user, system: a.system + c.system }), own);
  };
  const lastCpu: number[] = [0];
  process.on('message', (m: Request) => {
    void (async () => {
      if (m.type === 'heap') {
        const rs = await ask<{ heapUsed: number; cachedPods: number; cpu: NodeJS.CpuUsage }>(
          'heap',
        );
        // Every worker caches every pod: the heap per cached object is one worker's.
        process.send?.({ ...rs[0], cpu: sumCpu(rs.map((r) => r.cpu)) });
      } else if (m.type === 'cpu') {
        const rs = await ask<{
          cpu: NodeJS.CpuUsage;
          dispatch?: Record<string, number>;
          loop: unknown;
        }>('cpu');
        const dispatch: Record<string, number> = {};
        for (const r of rs) {
          for (const [k, v] of Object.entries(r.dispatch ?? {})) {
            dispatch[k] =
              k === 'maxWaitMs' ? Math.max(dispatch[k] ?? 0, v) : (dispatch[k] ?? 0) + v;
          }
        }
        const loop: Record<string, unknown> = {};
        const own = process.cpuUsage();
        loop['primary CPU s'] = ((own.user + own.system - lastCpu[0]!) / 1e6).toFixed(2);
        lastCpu[0] = own.user + own.system;
        rs.forEach((r, i) => {
          // CPU seconds since the previous `cpu` request (the watch phase, between its samples).
          const total = r.cpu.user + r.cpu.system;
          loop[`worker${i + 1} CPU s`] = ((total - (lastCpu[i + 1] ?? 0)) / 1e6).toFixed(2);
          lastCpu[i + 1] = total;
          for (const [k, v] of Object.entries(r.loop as object)) loop[`worker${i + 1} ${k}`] = v;
        });
        process.send?.({
          type: 'cpu',
          cpu: sumCpu(rs.map((r) => r.cpu)),
          dispatch,
          loop,
          pids: [process.pid, ...workers.map((w) => w.process.pid)],
        });
      } else if (m.type === 'stop') {
        stopping = true;
        for (const w of workers) w.send({ type: 'stop' });
        await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
        process.exit(0);
      }
    })();
  });
  process.send?.({ type: 'ready', ...ready });
}

const workerCount = Number(process.env.BENCH_SERVER_WORKERS ?? '1');
(workerCount > 1 && !process.env.BENCH_SERVER_WORKER ? primary(workerCount) : main()).catch(
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
