/**
 * Starts a real kubets-store member (`packages/store/bin/kubets-store.js`, run as a separate
 * process with etcd's flags) on free 127.0.0.1 ports with a throwaway data directory, so suites
 * can run the API server on kubets-store as well as on etcd. Stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../../src/storage/etcd/etcd-client.js';
import { freePort, type EtcdProcess } from './etcd.js';

const STORE_SHIM = new URL('../../../store/bin/kubets-store.js', import.meta.url).pathname;
const STORE_BUILT = new URL('../../../store/dist/bin/kubets-store.js', import.meta.url).pathname;

/** Why kubets-store tests are skipped, or undefined when the built store is available. */
export function storeMissingReason(): string | undefined {
  return existsSync(STORE_BUILT)
    ? undefined
    : `kubets-store is not built (${STORE_BUILT}); run npm run build -w @kubets/store`;
}

export async function startKubetsStore(): Promise<EtcdProcess> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = mkdtempSync(join(base, 'kubets-apiserver-store-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    STORE_SHIM,
    '--name=test',
    `--data-dir=${join(dataDir, 'data')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=test=${peer}`,
  ];
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
    const log = openSync(join(dataDir, 'store.log'), 'a');
    const c = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
    child = c;
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const probe = new EtcdClient({ endpoints: client });
    const deadline = Date.now() + 30_000;
    try {
      for (;;) {
        if (c.exitCode !== null) {
          throw new Error(
            `kubets-store exited with ${c.exitCode}: ${readFileSync(join(dataDir, 'store.log'), 'utf8').slice(-2000)}`,
          );
        }
        try {
          const st = await probe.status();
          if (st.leader !== '0') return;
        } catch {
          // not serving yet
        }
        if (Date.now() > deadline) {
          await kill();
          throw new Error('kubets-store did not elect itself leader within 30 s');
        }
        await new Promise((r) => setTimeout(r, 100));
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
