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

export async function startEtcd(): Promise<EtcdProcess> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = mkdtempSync(join(base, 'kubets-apiserver-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
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
  ];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

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
    stderr = '';
    const c = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`etcd exited with ${c.exitCode}: ${stderr}`);
      try {
        const res = await fetch(`${client}/health`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`etcd did not become healthy within 15s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
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
