/**
 * Starts a real kubets-store member (`packages/store/bin/kubets-store.js`, run as a separate
 * process with etcd's flags) on free 127.0.0.1 ports with a throwaway data directory, so suites
 * can run the API server on kubets-store as well as on etcd. Stopped by PID.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdClient } from '../../src/storage/etcd/etcd-client.js';
import { startMember, type EtcdProcess } from './etcd.js';

const STORE_SHIM = new URL('../../../store/bin/kubets-store.js', import.meta.url).pathname;
const STORE_BUILT = new URL('../../../store/dist/bin/kubets-store.js', import.meta.url).pathname;

/** Why kubets-store tests are skipped, or undefined when the built store is available. */
export function storeMissingReason(): string | undefined {
  return existsSync(STORE_BUILT)
    ? undefined
    : `kubets-store is not built (${STORE_BUILT}); run npm run build -w @kubets/store`;
}

/** `args` are further flags (e.g. tracing); `env` is added to the process environment. */
export function startKubetsStore(
  options: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<EtcdProcess> {
  return startMember({
    name: 'kubets-store',
    dirPrefix: 'kubets-apiserver-store-',
    spawn: ({ dataDir, client, peer }) => {
      const logFile = join(dataDir, 'store.log');
      const log = openSync(logFile, 'a');
      const child = spawn(
        process.execPath,
        [
          STORE_SHIM,
          '--name=test',
          `--data-dir=${join(dataDir, 'data')}`,
          `--listen-client-urls=${client}`,
          `--advertise-client-urls=${client}`,
          `--listen-peer-urls=${peer}`,
          `--initial-advertise-peer-urls=${peer}`,
          `--initial-cluster=test=${peer}`,
          ...(options.args ?? []),
        ],
        {
          stdio: ['ignore', log, log],
          ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
        },
      );
      return { child, output: () => readFileSync(logFile, 'utf8').slice(-2000) };
    },
    probe: (client) => {
      const etcd = new EtcdClient({ endpoints: client });
      return {
        ready: async () => (await etcd.status()).leader !== '0',
        close: () => etcd.close(),
      };
    },
    readiness: 'elect itself leader',
    readyWithinMs: 30_000,
    pollMs: 100,
  });
}
