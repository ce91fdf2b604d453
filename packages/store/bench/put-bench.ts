/**
 * `npm run bench -w @kubets/store`: puts and reads through the npm etcd3 client against a
 * kubets-store member and against a real etcd (Debian's 3.4), both started here on temporary
 * data dirs and free 127.0.0.1 ports, one after the other with the same load. Prints
 * throughput, p50 and p99 latency of each and the ratio kubets-store / etcd.
 *
 * Environment: BENCH_PUTS (puts per round, default 4000), BENCH_VALUE_BYTES (default 256),
 * BENCH_DATA_DIR (parent of the data dirs, default the OS temp dir; put it on tmpfs to take the
 * disk out of the comparison), ETCD_BIN (default /usr/bin/etcd).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

const PUTS = Number(process.env.BENCH_PUTS ?? 4000);
const VALUE_BYTES = Number(process.env.BENCH_VALUE_BYTES ?? 256);
const DATA_PARENT = process.env.BENCH_DATA_DIR ?? tmpdir();
const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
const STORE_BIN = new URL('../dist/bin/kubets-store.js', import.meta.url).pathname;

interface Server {
  name: string;
  endpoint: string;
  child: ChildProcess;
  dataDir: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() =>
        a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port')),
      );
    });
  });
}

async function start(
  name: string,
  command: string,
  args: (dir: string, client: number, peer: number) => string[],
): Promise<Server> {
  const dataDir = mkdtempSync(join(DATA_PARENT, `bench-${name}-`));
  const [client, peer] = [await freePort(), await freePort()];
  const log = openSync(`${dataDir}.log`, 'w');
  const child = spawn(command, args(dataDir, client, peer), { stdio: ['ignore', log, log] });
  const endpoint = `127.0.0.1:${client}`;
  const c = new Etcd3({ hosts: endpoint });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited: ${readFileSync(`${dataDir}.log`, 'utf8').slice(-2000)}`);
    try {
      const st = await c.maintenance.status();
      if (st.leader !== '0') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  c.close();
  return { name, endpoint, child, dataDir };
}

async function stop(s: Server): Promise<void> {
  if (s.child.exitCode === null) {
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
  }
  rmSync(s.dataDir, { recursive: true, force: true });
  rmSync(`${s.dataDir}.log`, { force: true });
}

interface Result {
  opsPerSec: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Runs `total` operations spread over `concurrency` clients (one Etcd3 instance each). */
async function drive(
  endpoint: string,
  concurrency: number,
  total: number,
  op: (c: Etcd3, i: number) => Promise<unknown>,
): Promise<Result> {
  const clients = Array.from({ length: concurrency }, () => new Etcd3({ hosts: endpoint }));
  // Warm the connections up.
  await Promise.all(clients.map((c) => c.get('warmup').string()));
  const latencies: number[] = [];
  let next = 0;
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
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  return {
    opsPerSec: total / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

const value = Buffer.alloc(VALUE_BYTES, 'x');
const workloads: Array<{
  name: string;
  concurrency: number;
  total: number;
  op: (c: Etcd3, i: number) => Promise<unknown>;
}> = [
  {
    name: 'put, 1 client',
    concurrency: 1,
    total: Math.ceil(PUTS / 4),
    op: (c, i) =>
      c
        .put(`bench/${i % 1000}`)
        .value(value)
        .exec(),
  },
  {
    name: 'put, 50 clients',
    concurrency: 50,
    total: PUTS,
    op: (c, i) =>
      c
        .put(`bench/${i % 1000}`)
        .value(value)
        .exec(),
  },
  {
    name: 'get linearizable, 50 clients',
    concurrency: 50,
    total: PUTS,
    op: (c, i) => c.get(`bench/${i % 1000}`).buffer(),
  },
  {
    name: 'get serializable, 50 clients',
    concurrency: 50,
    total: PUTS,
    op: (c, i) => c.kv.range({ key: Buffer.from(`bench/${i % 1000}`), serializable: true }),
  },
];

const fmt = (n: number, d = 0): string => n.toFixed(d).padStart(8);

async function main(): Promise<void> {
  if (!existsSync(STORE_BIN))
    throw new Error(`${STORE_BIN} missing: build first (npm run build -w @kubets/store)`);
  const servers: Server[] = [];
  try {
    servers.push(
      await start('kubets-store', process.execPath, (dir, client, peer) => [
        STORE_BIN,
        '--name=bench',
        `--data-dir=${dir}`,
        `--listen-client-urls=http://127.0.0.1:${client}`,
        `--advertise-client-urls=http://127.0.0.1:${client}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=bench=http://127.0.0.1:${peer}`,
      ]),
    );
    if (existsSync(ETCD_BIN)) {
      servers.push(
        await start('etcd', ETCD_BIN, (dir, client, peer) => [
          '--name=bench',
          `--data-dir=${dir}`,
          `--listen-client-urls=http://127.0.0.1:${client}`,
          `--advertise-client-urls=http://127.0.0.1:${client}`,
          `--listen-peer-urls=http://127.0.0.1:${peer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
          `--initial-cluster=bench=http://127.0.0.1:${peer}`,
        ]),
      );
    } else {
      console.log(
        `${ETCD_BIN} not installed (Debian etcd-server): printing kubets-store figures only`,
      );
    }
    const load = loadavg()[0]!.toFixed(2);
    console.log(
      `\n${PUTS} ops per round (puts with 1 client: ${Math.ceil(PUTS / 4)}), ${VALUE_BYTES}-byte values, single member each, data under ${DATA_PARENT}, load average ${load} on ${cpus().length} CPUs`,
    );
    console.log(
      'Both servers run side by side; each workload runs on one, then on the other, so machine noise hits both alike.\n',
    );
    console.log(
      `${'workload'.padEnd(32)}${'system'.padEnd(14)}${'ops/s'.padStart(8)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}`,
    );
    for (const w of workloads) {
      const results = new Map<string, Result>();
      for (const s of servers) {
        const r = await drive(s.endpoint, w.concurrency, w.total, w.op);
        results.set(s.name, r);
        console.log(
          `${w.name.padEnd(32)}${s.name.padEnd(14)}${fmt(r.opsPerSec)}${fmt(r.p50, 2)}${fmt(r.p99, 2)}`,
        );
      }
      const k = results.get('kubets-store');
      const e = results.get('etcd');
      if (k && e) {
        console.log(
          `${''.padEnd(32)}${'ratio k/e'.padEnd(14)}${fmt(k.opsPerSec / e.opsPerSec, 2)}${fmt(k.p50 / e.p50, 2)}${fmt(k.p99 / e.p99, 2)}`,
        );
      }
    }
  } finally {
    for (const s of servers) await stop(s);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
