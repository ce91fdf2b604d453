/**
 * A 3-member kubets-store cluster on loopback with a probe module preloaded into every member
 * (`node --import <probe>`), for the one-client put diagnostics: put-timeline.ts
 * (member-probe.ts: GC pauses, WAL writes) and put-hops.ts (hop-probe.ts: socket, WAL, GC and
 * timer events). The probes write their records under `probeDir` (PROBE_DIR in their
 * environment).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort } from '../test/support/ports.js';

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
  storeBin: string;
  /** Parent of the temporary directory (BENCH_DATA_DIR). */
  dataParent: string;
  /** `--initial-cluster-token`, and the temporary directory's prefix. */
  token: string;
  nodeArgs?: readonly string[];
  storeArgs?: readonly string[];
}): Promise<ProbedCluster> {
  const work = mkdtempSync(join(o.dataParent, `put-${o.token}-`));
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
        ...(o.nodeArgs ?? []),
        o.storeBin,
        `--name=${s.name}`,
        `--data-dir=${s.dir}`,
        `--listen-client-urls=http://127.0.0.1:${s.client}`,
        `--advertise-client-urls=http://127.0.0.1:${s.client}`,
        `--listen-peer-urls=http://127.0.0.1:${s.peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${s.peer}`,
        `--initial-cluster=${cluster}`,
        `--initial-cluster-token=${o.token}`,
        ...(o.storeArgs ?? []),
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
