/**
 * A 3-member kubets-store cluster on loopback with a probe module preloaded into every member
 * (`node --import <probe>`), for the one-client put diagnostics: put-timeline.ts
 * (member-probe.ts: GC pauses, WAL writes) and put-hops.ts (hop-probe.ts: socket, WAL, GC and
 * timer events). The probes write their records under `probeDir` (PROBE_DIR in their
 * environment).
 *
 * Environment (both benchmarks): BENCH_DATA_DIR (parent of the data dirs, default the OS temp
 * dir), KUBETS_STORE_BIN (another build's binary, for an A/B), KUBETS_STORE_NODE_ARGS (node
 * options for the members), KUBETS_STORE_ARGS (more kubets-store flags), BENCH_KEEP (a
 * directory for the probes' files), BENCH_VALUE_BYTES (the put's value, default 256).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort } from '../test/support/ports.js';

const VALUE = Buffer.alloc(Number(process.env.BENCH_VALUE_BYTES ?? 256), 'x');
const words = (v: string | undefined): string[] => (v ?? '').split(' ').filter((a) => a !== '');

export interface MemberSpec {
  name: string;
  dir: string;
  client: number;
  peer: number;
}

export interface ProbedCluster {
  /** The temporary directory holding the data dirs and the members' logs. */
  work: string;
  /** Where the probes write (BENCH_KEEP when set, else `work`). */
  probeDir: string;
  specs: MemberSpec[];
  members: ChildProcess[];
  /** Each member's client endpoint, `127.0.0.1:<port>`, in member order. */
  endpoints: string[];
}

export async function startProbedCluster(o: {
  /** Path of the compiled probe module to preload. */
  probe: string;
  /** `--initial-cluster-token`, and the temporary directory's prefix. */
  token: string;
}): Promise<ProbedCluster> {
  const storeBin =
    process.env.KUBETS_STORE_BIN ??
    new URL('../../dist/bin/kubets-store.js', import.meta.url).pathname;
  const work = mkdtempSync(join(process.env.BENCH_DATA_DIR ?? tmpdir(), `put-${o.token}-`));
  const probeDir = process.env.BENCH_KEEP ?? work;
  mkdirSync(probeDir, { recursive: true });
  const specs: MemberSpec[] = [];
  for (let i = 1; i <= 3; i++) {
    specs.push({
      name: `m${i}`,
      dir: join(work, `m${i}`),
      client: await freePort(),
      peer: await freePort(),
    });
  }
  const cluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',');
  const members = specs.map((s) => {
    const log = openSync(join(work, `${s.name}.log`), 'w');
    return spawn(
      process.execPath,
      [
        '--import',
        o.probe,
        ...words(process.env.KUBETS_STORE_NODE_ARGS),
        storeBin,
        `--name=${s.name}`,
        `--data-dir=${s.dir}`,
        `--listen-client-urls=http://127.0.0.1:${s.client}`,
        `--advertise-client-urls=http://127.0.0.1:${s.client}`,
        `--listen-peer-urls=http://127.0.0.1:${s.peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${s.peer}`,
        `--initial-cluster=${cluster}`,
        `--initial-cluster-token=${o.token}`,
        ...words(process.env.KUBETS_STORE_ARGS),
      ],
      { stdio: ['ignore', log, log], env: { ...process.env, PROBE_DIR: probeDir } },
    );
  });
  return { work, probeDir, specs, members, endpoints: specs.map((s) => `127.0.0.1:${s.client}`) };
}

/**
 * Waits (30 s at most) until every member knows a leader; returns the leader's index in
 * `endpoints`.
 */
export async function waitForLeader(endpoints: readonly string[]): Promise<number> {
  let leader = -1;
  for (const [i, endpoint] of endpoints.entries()) {
    const c = new Etcd3({ hosts: endpoint });
    try {
      for (let k = 0; ; k++) {
        if (k > 300) throw new Error(`no leader at ${endpoint}`);
        const st = await c.maintenance.status().catch(() => undefined);
        if (st !== undefined && st.leader !== '0') {
          if (st.header.member_id === st.leader) leader = i;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      c.close();
    }
  }
  return leader;
}

/** One put of the benchmarks' value, on one of 1,000 keys. */
export async function putOne(client: Etcd3, i: number): Promise<void> {
  await client
    .put(`bench/${i % 1000}`)
    .value(VALUE)
    .exec();
}

/** Stops every member (SIGTERM, by PID) and waits for each to exit. */
export async function stopMembers(members: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    members.map(
      (m) =>
        new Promise((resolve) => {
          if (m.exitCode !== null) return resolve(undefined);
          m.once('exit', resolve);
          m.kill('SIGTERM');
        }),
    ),
  );
}
