/**
 * Starts a real etcd (`/usr/bin/etcd`) on free 127.0.0.1 ports with a throwaway data directory
 * (on /dev/shm when available: fsync on tmpfs keeps tests fast), and stops it by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BINARY = process.env.KUBETS_ETCD_BINARY ?? '/usr/bin/etcd';

/** Why etcd tests are skipped, or undefined when etcd is available. */
export function etcdMissingReason(): string | undefined {
  return existsSync(ETCD_BINARY) ? undefined : `etcd binary not found at ${ETCD_BINARY}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface EtcdProcess {
  endpoint: string;
  readonly pid: number;
  dataDir: string;
  /** Stops etcd and removes its data. */
  stop(): Promise<void>;
  /** Kills etcd and starts it again on the same ports and data (a member restart). */
  restart(): Promise<void>;
}

/** How to run and probe one single-member etcd-compatible server (etcd or kubets-store). */
export interface MemberSpec {
  /** For messages: `etcd`, `kubets-store`. */
  name: string;
  /** The data directory's prefix. */
  dirPrefix: string;
  /** Starts the process; `output` returns what it logged so far (for error messages). */
  spawn(urls: { dataDir: string; client: string; peer: string }): {
    child: ChildProcess;
    output(): string;
  };
  /** A readiness check against the client URL; `close` releases it. */
  probe(client: string): { ready(): Promise<boolean>; close(): void };
  /** What readiness means, for the timeout message (`become healthy`). */
  readiness: string;
  readyWithinMs: number;
  pollMs: number;
}

/**
 * Starts a member on free 127.0.0.1 ports with a throwaway data directory (on /dev/shm when
 * available: fsync on tmpfs keeps tests fast), waits until it is ready, and stops it by PID.
 */
export async function startMember(spec: MemberSpec): Promise<EtcdProcess> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = mkdtempSync(join(base, spec.dirPrefix));
  const client = `http://127.0.0.1:${await freePort()}`;
  const peer = `http://127.0.0.1:${await freePort()}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const kill = async (): Promise<void> => {
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      process.kill(c.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const launch = async (): Promise<void> => {
    const started = spec.spawn({ dataDir, client, peer });
    const c = started.child;
    child = c;
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const probe = spec.probe(client);
    const deadline = Date.now() + spec.readyWithinMs;
    try {
      for (;;) {
        if (c.exitCode !== null) {
          throw new Error(`${spec.name} exited with ${c.exitCode}: ${started.output()}`);
        }
        try {
          if (await probe.ready()) return;
        } catch {
          // not serving yet
        }
        if (Date.now() > deadline) {
          await kill();
          throw new Error(
            `${spec.name} did not ${spec.readiness} within ${spec.readyWithinMs / 1000}s: ${started.output()}`,
          );
        }
        await new Promise((r) => setTimeout(r, spec.pollMs));
      }
    } finally {
      probe.close();
    }
  };
  try {
    await launch();
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: client,
    get pid() {
      return child?.pid ?? 0;
    },
    dataDir,
    stop: async () => {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async () => {
      await kill();
      await launch();
    },
  };
}

export function startEtcd(): Promise<EtcdProcess> {
  return startMember({
    name: 'etcd',
    dirPrefix: 'kubets-apiserver-etcd-',
    spawn: ({ dataDir, client, peer }) => {
      let stderr = '';
      const child = spawn(
        ETCD_BINARY,
        [
          '--name',
          'test',
          '--data-dir',
          join(dataDir, 'data'),
          '--listen-client-urls',
          client,
          '--advertise-client-urls',
          client,
          '--listen-peer-urls',
          peer,
          '--initial-advertise-peer-urls',
          peer,
          '--initial-cluster',
          `test=${peer}`,
          '--logger=zap',
          `--log-outputs=${join(dataDir, 'etcd.log')}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      return { child, output: () => stderr };
    },
    probe: (client) => ({
      ready: async () => (await fetch(`${client}/health`)).ok,
      close: () => {},
    }),
    readiness: 'become healthy',
    readyWithinMs: 15_000,
    pollMs: 50,
  });
}
