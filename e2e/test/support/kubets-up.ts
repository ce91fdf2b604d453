/**
 * Drives `kubets up` for the e2e tests: four free ports, the process started and waited for until
 * it reports the cluster up, and kubectl bound to the admin.conf it writes.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StopWaiting, freePort, startProcess, waitFor, type RunningProcess } from './process.js';

export const KUBETS = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../packages/kubets/bin/kubets.js',
);

/** API server, store client, store peer and gRPC ports, in that order. */
export interface UpPorts {
  api: number;
  storeClient: number;
  storePeer: number;
  grpc: number;
}

export async function freeUpPorts(): Promise<UpPorts> {
  return {
    api: await freePort(),
    storeClient: await freePort(),
    storePeer: await freePort(),
    grpc: await freePort(),
  };
}

/** Starts `kubets up` on `dataDir` and resolves once it says the cluster is up. */
export async function startKubetsUp(
  dataDir: string,
  ports: UpPorts,
  options: { extraArgs?: string[]; timeoutMs?: number } = {},
): Promise<RunningProcess> {
  const proc = startProcess(process.execPath, [
    KUBETS,
    'up',
    ...(options.extraArgs ?? []),
    `--data-dir=${dataDir}`,
    `--apiserver-port=${ports.api}`,
    `--store-client-port=${ports.storeClient}`,
    `--store-peer-port=${ports.storePeer}`,
    `--grpc-port=${ports.grpc}`,
  ]);
  await waitFor(
    'kubets up to report the cluster is up',
    () => {
      if (proc.child.exitCode !== null)
        throw new StopWaiting(`kubets up exited early:\n${proc.output()}`);
      return Promise.resolve(proc.output().includes('kubets: local cluster is up') || undefined);
    },
    options.timeoutMs ?? 90_000,
  );
  return proc;
}

/** Runs kubectl with the cluster's admin.conf. */
export function kubectlWith(
  kubectl: string,
  dataDir: string,
): (...args: string[]) => SpawnSyncReturns<string> {
  return (...args) =>
    spawnSync(kubectl, [`--kubeconfig=${join(dataDir, 'admin.conf')}`, ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
}
