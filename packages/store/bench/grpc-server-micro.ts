/**
 * `npm run bench:grpc -w @kubets/store`: the CPU the client API's gRPC server costs per unary
 * call, grpc-js's server against component-base's node:http2 server (ADR 0018). A child process
 * serves etcd's KV service with one server or the other; this process drives it with the npm
 * etcd3 client (grpc-js) and reads the child's on-CPU time from /proc, so the client's own CPU
 * is not counted and other load on the box changes the figure little.
 *
 * Two handlers: `echo` answers Put and Range with a fixed response (the server layer alone);
 * `etcd` is a single in-process kubets-store member behind the real handlers (what a member
 * spends per call; the difference between the servers is the same layer).
 *
 * With the etcd handlers a fan-out follows: BENCH_WATCHERS watchers (default 1000) on one
 * prefix over 10 client connections, BENCH_WATCH_EVENTS puts (default 200) each delivered to
 * every watcher; `fan-out µs` is server CPU per put.
 *
 * Environment: BENCH_OPS (puts and as many ranges per round, default 4000), BENCH_ROUNDS
 * (default 3; the server order alternates), BENCH_CLIENTS (concurrent calls, default 32),
 * BENCH_DATA_DIR (default /dev/shm when present), BENCH_NODE_ARGS (node options for the serving
 * process, such as --cpu-prof), BENCH_ONLY (`echo` or `etcd`: one handler only), BENCH_IMPLS
 * (servers compared, default `grpc-js,http2,js`: grpc-js's server, GrpcServer on node:http2,
 * GrpcServer on the JavaScript HTTP/2 layer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '@kubets/component-base';
import { GrpcServer, type ServiceDefinition } from '@kubets/component-base/grpc-server';
import { Etcd3 } from 'etcd3';
import { loadGrpcObject } from '../src/gen/etcd/load.js';
import { EtcdServer } from '../src/server/etcd-server.js';
import { addEtcdServices } from '../src/server/grpc-services.js';
import { grpcServerOptions } from '../src/server/listen.js';
import { NodeFs } from '../src/storage/fs.js';
import { threadsCpuNs } from '@kubets/component-base/testing';

type Impl = 'grpc-js' | 'http2' | 'js';
type Handler = 'echo' | 'etcd';

const OPS = Number(process.env.BENCH_OPS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 1000);
const WATCH_STREAMS = 10;
const WATCH_PUTS = Number(process.env.BENCH_WATCH_EVENTS ?? 200);
const IMPLS = (process.env.BENCH_IMPLS ?? 'grpc-js,http2,js').split(',') as Impl[];
const DATA_PARENT = process.env.BENCH_DATA_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

/** Child: serve KV with one server implementation; print the port. */
async function serve(impl: Impl, handler: Handler): Promise<void> {
  const logger = createLogger({
    component: 'bench',
    verbosity: 0,
    destination: { write: () => true },
  });
  const registrar =
    impl !== 'grpc-js'
      ? new GrpcServer(
          grpcServerOptions(1.5 * 1024 * 1024, undefined, impl === 'js' ? 'js' : 'node-http2'),
        )
      : new grpc.Server({
          'grpc.max_receive_message_length': 2 * 1024 * 1024,
          'grpc.enable_channelz': 0,
        });
  if (handler === 'etcd') {
    const dataDir = mkdtempSync(join(DATA_PARENT, 'grpc-micro-'));
    process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
    const etcd = await EtcdServer.start({
      name: 'default',
      fs: new NodeFs(dataDir),
      initialCluster: [{ name: 'default', peerURLs: ['http://127.0.0.1:2380'] }],
      initialClusterState: 'new',
      initialClusterToken: 'etcd-cluster',
      clientURLs: ['http://127.0.0.1:2379'],
      heartbeatMs: 100,
      electionMs: 1000,
      snapshotCount: 100_000,
      quotaBytes: 1 << 30,
      logger,
    });
    // The handlers use only what both servers' call objects have (request, callback, write,
    // end, events). grpc-js frames messages itself: pre-framed watch responses lose the prefix
    // (a view, no copy), which is the path grpc-js served before.
    const target =
      registrar instanceof GrpcServer
        ? registrar
        : ({
            addService: (def: ServiceDefinition, impl: object) =>
              registrar.addService(
                Object.fromEntries(
                  Object.entries(def).map(([k, m]) => [
                    k,
                    m.responseFramed
                      ? {
                          ...m,
                          responseSerialize: (v: unknown) => m.responseSerialize(v).subarray(5),
                        }
                      : m,
                  ]),
                ) as unknown as grpc.ServiceDefinition,
                impl as grpc.UntypedServiceImplementation,
              ),
          } as unknown as GrpcServer);
    addEtcdServices(target, { etcd, logger });
  } else {
    const header = { cluster_id: '1', member_id: '1', revision: '7', raft_term: '2' };
    const kv = {
      Range: (_call: unknown, cb: (e: null, r: unknown) => void) =>
        cb(null, {
          header,
          kvs: [{ key: Buffer.from('k'), value: Buffer.alloc(256), mod_revision: '7' }],
          count: '1',
        }),
      Put: (_call: unknown, cb: (e: null, r: unknown) => void) => cb(null, { header }),
    };
    registrar.addService(loadGrpcObject().etcdserverpb.KV.service, kv);
  }
  let port: number;
  if (registrar instanceof GrpcServer) {
    port = await registrar.listen({ host: '127.0.0.1', port: 0 });
  } else {
    port = await new Promise<number>((resolve, reject) =>
      registrar.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
  }
  // A clean exit writes --cpu-prof profiles.
  process.on('SIGTERM', () => process.exit(0));
  console.log(`port ${port}`);
}

async function startChild(
  impl: Impl,
  handler: Handler,
): Promise<{ child: ChildProcess; port: number }> {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, process.argv[1]!, 'serve', impl, handler], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start')), 30_000);
    lines.on('line', (l) => {
      const m = /^port (\d+)$/.exec(l);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, port };
}

async function drive(n: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < n) await op(next++);
    }),
  );
}

/** Server CPU per put delivered to WATCHERS watchers over WATCH_STREAMS clients, in µs. */
async function fanOut(pid: number, port: number): Promise<number> {
  const clients = Array.from(
    { length: WATCH_STREAMS },
    () => new Etcd3({ hosts: `127.0.0.1:${port}` }),
  );
  try {
    let delivered = 0;
    for (let i = 0; i < WATCHERS; i++) {
      const w = await clients[i % clients.length]!.watch().prefix('fan/').create();
      w.on('put', () => delivered++);
    }
    const expected = WATCHERS * WATCH_PUTS;
    const t = threadsCpuNs(pid);
    const writer = clients[0]!;
    for (let i = 0; i < WATCH_PUTS; i++)
      await writer
        .put(`fan/${i % 10}`)
        .value('v')
        .exec();
    const deadline = Date.now() + 60_000;
    while (delivered < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (delivered < expected) throw new Error(`fan-out: ${delivered} of ${expected} events`);
    return (threadsCpuNs(pid) - t) / 1000 / WATCH_PUTS;
  } finally {
    for (const c of clients) c.close();
  }
}

/** Microseconds of server CPU per Put and per Range (and per fanned-out put), one server. */
async function measure(
  impl: Impl,
  handler: Handler,
): Promise<{ put: number; range: number; fan: number }> {
  const { child, port } = await startChild(impl, handler);
  const client = new Etcd3({ hosts: `127.0.0.1:${port}` });
  try {
    const value = 'v'.repeat(256);
    await drive(500, (i) =>
      client
        .put(`warm/${i % 100}`)
        .value(value)
        .exec(),
    );
    await drive(500, (i) => client.get(`warm/${i % 100}`).string());
    let t = threadsCpuNs(child.pid!);
    await drive(OPS, (i) =>
      client
        .put(`key/${i % 1000}`)
        .value(value)
        .exec(),
    );
    const put = (threadsCpuNs(child.pid!) - t) / 1000 / OPS;
    t = threadsCpuNs(child.pid!);
    await drive(OPS, (i) => client.get(`key/${i % 1000}`).string());
    const range = (threadsCpuNs(child.pid!) - t) / 1000 / OPS;
    const fan = handler === 'etcd' ? await fanOut(child.pid!, port) : NaN;
    return { put, range, fan };
  } finally {
    client.close();
    child.kill('SIGTERM');
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  if (process.argv[2] === 'serve') {
    await serve(process.argv[3] as Impl, process.argv[4] as Handler);
    return;
  }
  const loadBefore = loadavg()[0]!.toFixed(2);
  console.log(
    `${'handler'.padEnd(8)}${'server'.padEnd(10)}${'put µs'.padStart(10)}${'range µs'.padStart(10)}`,
  );
  const handlers = (['echo', 'etcd'] as const).filter((h) =>
    h.includes(process.env.BENCH_ONLY ?? ''),
  );
  for (const handler of handlers) {
    const results = Object.fromEntries(
      IMPLS.map((impl) => [
        impl,
        { put: [] as number[], range: [] as number[], fan: [] as number[] },
      ]),
    ) as Record<Impl, { put: number[]; range: number[]; fan: number[] }>;
    for (let round = 0; round < ROUNDS; round++) {
      const order: Impl[] = round % 2 === 0 ? IMPLS : [...IMPLS].reverse();
      for (const impl of order) {
        const r = await measure(impl, handler);
        results[impl].put.push(r.put);
        results[impl].range.push(r.range);
        results[impl].fan.push(r.fan);
      }
    }
    for (const impl of IMPLS) {
      console.log(
        `${handler.padEnd(8)}${impl.padEnd(10)}${median(results[impl].put).toFixed(1).padStart(10)}${median(results[impl].range).toFixed(1).padStart(10)}${median(results[impl].fan).toFixed(0).padStart(12)}`,
      );
    }
  }
  console.log(
    `server-process CPU per call (median of ${ROUNDS} rounds, ${OPS} calls each, ${CLIENTS} concurrent); load average ${loadBefore} before, ${loadavg()[0]!.toFixed(2)} after.`,
  );
}

await main();
// The etcd3 clients leave handles behind after close().
if (process.argv[2] !== 'serve') process.exit(0);
