/**
 * Clusters of real member processes on loopback for the benchmarks (kubets-store or etcd: the
 * same etcd flags for both), each member with its own data dir and a log file beside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort } from '../test/support/ports.js';

export interface BenchMember {
  name: string;
  child: ChildProcess;
  dataDir: string;
  /** host:port of its client URL. */
  endpoint: string;
}

export interface BenchCluster {
  name: string;
  members: BenchMember[];
  /** Every member's client endpoint, in member order. */
  endpoints: string[];
  /** Index in `members` of the leader seen at start. */
  leader: number;
}

export interface BenchClusterOptions {
  /** The system's name (and a prefix of its data dirs). */
  name: string;
  /** The executable and what comes before the member flags (e.g. node options and a script). */
  command: readonly string[];
  /** More flags after the member flags. */
  extraArgs?: readonly string[];
  members: number;
  /** Where the data dirs are made. */
  dataParent: string;
  /** --initial-cluster-token. */
  token: string;
}

/** The etcd flags of one member of a loopback cluster. */
export function memberFlags(
  name: string,
  dir: string,
  client: number,
  peer: number,
  initialCluster: string,
  token: string,
): string[] {
  return [
    `--name=${name}`,
    `--data-dir=${dir}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-token=${token}`,
  ];
}

/** Starts the members and waits (30 s at most) until every one of them reports a leader. */
export async function startBenchCluster(o: BenchClusterOptions): Promise<BenchCluster> {
  const specs: Array<{ member: string; dir: string; client: number; peer: number }> = [];
  for (let i = 1; i <= o.members; i++) {
    specs.push({
      member: `m${i}`,
      dir: mkdtempSync(join(o.dataParent, `bench-${o.name.replace(/\W/g, '')}-m${i}-`)),
      client: await freePort(),
      peer: await freePort(),
    });
  }
  const initial = specs.map((s) => `${s.member}=http://127.0.0.1:${s.peer}`).join(',');
  const [cmd, ...pre] = o.command;
  const members: BenchMember[] = specs.map((s) => {
    const log = openSync(`${s.dir}.log`, 'w');
    const child = spawn(
      cmd!,
      [
        ...pre,
        ...memberFlags(s.member, s.dir, s.client, s.peer, initial, o.token),
        ...(o.extraArgs ?? []),
      ],
      { stdio: ['ignore', log, log] },
    );
    return { name: s.member, child, dataDir: s.dir, endpoint: `127.0.0.1:${s.client}` };
  });
  const cluster: BenchCluster = {
    name: o.name,
    members,
    endpoints: members.map((m) => m.endpoint),
    leader: -1,
  };
  const deadline = Date.now() + 30_000;
  try {
    for (const [i, m] of members.entries()) {
      const c = new Etcd3({ hosts: m.endpoint });
      try {
        for (;;) {
          const dead = members.find((x) => x.child.exitCode !== null);
          if (dead)
            throw new Error(
              `${o.name} member exited: ${readFileSync(`${dead.dataDir}.log`, 'utf8').slice(-2000)}`,
            );
          try {
            const st = await c.maintenance.status();
            if (st.leader !== '0') {
              if (st.leader === st.header.member_id) cluster.leader = i;
              break;
            }
          } catch {
            // not up yet
          }
          if (Date.now() > deadline) throw new Error(`${o.name} did not start`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        c.close();
      }
    }
  } catch (err) {
    await stopBenchCluster(cluster);
    throw err;
  }
  return cluster;
}

/**
 * Stops every member (SIGTERM, by PID) and removes its data dir and, unless `keepLogs`, its
 * log.
 */
export async function stopBenchCluster(c: BenchCluster, keepLogs = false): Promise<void> {
  await Promise.all(
    c.members.map(async (m) => {
      if (m.child.exitCode === null && m.child.signalCode === null) {
        const exited = new Promise((r) => m.child.once('exit', r));
        m.child.kill('SIGTERM');
        await exited;
      }
      rmSync(m.dataDir, { recursive: true, force: true });
      if (!keepLogs) rmSync(`${m.dataDir}.log`, { force: true });
    }),
  );
}
