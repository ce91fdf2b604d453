/**
 * Snapshot save and restore with real processes and the real etcdctl: `etcdctl snapshot save`
 * from a running kubets-store, `kubets-store snapshot restore` into a new data dir (etcdutl's
 * flags), and a new member started on it serves the same keys at the same revisions (HashKV
 * equal), with the lease kept. Maintenance.Hash answers and agrees across the members of a
 * cluster. A corrupted snapshot and an existing data dir are refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGrpcObject } from '../src/gen/etcd/load.js';
import type { HashKVResponse__Output } from '../src/gen/etcd/types/etcdserverpb/HashKVResponse.js';
import type { HashResponse__Output } from '../src/gen/etcd/types/etcdserverpb/HashResponse.js';
import {
  ETCDCTL_BIN,
  STORE_BIN,
  missingTool,
  startStoreCluster,
  startStoreProcess,
  waitFor,
  type ProcessTarget,
  type StoreClusterTarget,
} from './support/targets.js';

const proto = loadGrpcObject().etcdserverpb;
const insecure = grpc.credentials.createInsecure();
const noEtcdctl = missingTool(ETCDCTL_BIN, 'etcd-client');

function etcdctl(endpoint: string, ...args: string[]): string {
  const r = spawnSync(ETCDCTL_BIN, [`--endpoints=${endpoint}`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`etcdctl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function restore(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [STORE_BIN, 'snapshot', 'restore', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function unary<T>(call: (cb: grpc.requestCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    call((err, res) =>
      err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res),
    ),
  );
}

async function hashKV(endpoint: string): Promise<HashKVResponse__Output> {
  const m = new proto.Maintenance(endpoint, insecure);
  try {
    return await unary<HashKVResponse__Output>((cb) => m.HashKV({ revision: 0 }, cb));
  } finally {
    m.close();
  }
}

async function hash(endpoint: string): Promise<HashResponse__Output> {
  const m = new proto.Maintenance(endpoint, insecure);
  try {
    return await unary<HashResponse__Output>((cb) => m.Hash({}, cb));
  } finally {
    m.close();
  }
}

describe('kubets-store snapshot restore', () => {
  const work = mkdtempSync(join(tmpdir(), 'kubets-restore-'));
  const running: Array<ProcessTarget | StoreClusterTarget> = [];
  afterAll(async () => {
    for (const t of running) await t.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it.skipIf(noEtcdctl !== undefined)(
    'restores what etcdctl snapshot save took into a new data dir that serves the same data',
    async () => {
      const source = await startStoreProcess();
      running.push(source);
      const ep = source.endpoint;
      for (let i = 0; i < 20; i++) etcdctl(ep, 'put', `r/${i}`, `v${i}`);
      etcdctl(ep, 'del', 'r/3');
      const leaseId = /lease ([0-9a-f]+) granted/.exec(etcdctl(ep, 'lease', 'grant', '3600'))![1]!;
      etcdctl(ep, 'put', 'r/leased', 'x', `--lease=${leaseId}`);
      const before = await hashKV(ep);
      const file = join(work, 'snap.db');
      etcdctl(ep, 'snapshot', 'save', file);

      // etcdutl's flags; the member starts with the same name, peer URL and token.
      const dataDir = join(work, 'restored');
      const flags = [
        `--data-dir=${dataDir}`,
        '--name=default',
        '--initial-cluster=default=http://127.0.0.1:2380',
        '--initial-advertise-peer-urls=http://127.0.0.1:2380',
        '--initial-cluster-token=etcd-cluster',
      ];
      const r = restore(file, ...flags);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`restored snapshot into ${dataDir}`);

      // Restoring again over the now non-empty data dir is refused.
      const again = restore(file, ...flags);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain(`data-dir "${dataDir}" exists`);

      // A corrupted snapshot fails the integrity check.
      const bad = readFileSync(file);
      bad[100] = bad[100]! ^ 0xff;
      const badFile = join(work, 'bad.db');
      writeFileSync(badFile, bad);
      const corrupt = restore(badFile, `--data-dir=${join(work, 'bad')}`);
      expect(corrupt.status).toBe(1);
      expect(corrupt.stderr).toContain('snapshot file integrity check failed');

      const restored = await startStoreProcess({ dataDir });
      running.push(restored);
      const after = await hashKV(restored.endpoint);
      expect(after.hash).toBe(before.hash);
      expect(after.header?.revision).toBe(before.header?.revision);
      expect(etcdctl(restored.endpoint, 'get', 'r/7', '--print-value-only').trim()).toBe('v7');
      expect(etcdctl(restored.endpoint, 'get', 'r/3').trim()).toBe('');
      expect(etcdctl(restored.endpoint, 'lease', 'timetolive', leaseId, '--keys')).toContain(
        'r/leased',
      );
      // The restored member is a new cluster that takes writes.
      etcdctl(restored.endpoint, 'put', 'r/new', 'n');
      expect(etcdctl(restored.endpoint, 'get', 'r/new', '--print-value-only').trim()).toBe('n');
    },
    90_000,
  );

  it('Maintenance.Hash answers and agrees across the members of a cluster', async () => {
    const cluster = await startStoreCluster(3);
    running.push(cluster);
    const kv = new proto.KV(cluster.endpoint, insecure);
    try {
      for (let i = 0; i < 10; i++)
        await unary((cb) =>
          kv.Put({ key: Buffer.from(`h/${i}`), value: Buffer.from(String(i)) }, cb),
        );
    } finally {
      kv.close();
    }
    let hashes: number[] = [];
    await waitFor('every member to report the same hash', async () => {
      hashes = (await Promise.all(cluster.endpoints.map((e) => hash(e)))).map((h) => h.hash);
      return hashes.every((h) => h === hashes[0]);
    });
    expect(hashes[0]).not.toBe(0);
  }, 60_000);
});
