/**
 * etcdctl (Debian's etcd-client 3.4) against kubets-store and against a real etcd 3.4, with the
 * same assertions. Skipped, with a printed reason, only when etcdctl (or etcd, for the
 * reference run) is not installed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSnapshotFile } from '../src/storage/snapshot-file.js';
import {
  ETCDCTL_BIN,
  ETCD_BIN,
  missingTool,
  startEtcdProcess,
  startStoreProcess,
  type Target,
} from './support/targets.js';

const etcdctlMissing = missingTool(ETCDCTL_BIN, 'etcd-client');
const etcdMissing = missingTool(ETCD_BIN, 'etcd-server');

/** Runs etcdctl asynchronously (an in-process server must keep serving meanwhile). */
function ctl(
  endpoint: string,
  args: string[],
  input?: string,
): Promise<{ stdout: string; stderr: string; status: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL_BIN, [`--endpoints=${endpoint}`, '--command-timeout=5s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status: code ?? -1 });
    });
    child.stdin.end(input ?? '');
  });
}

async function ok(endpoint: string, args: string[], input?: string): Promise<string> {
  const r = await ctl(endpoint, args, input);
  if (r.status !== 0)
    throw new Error(`etcdctl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const targets: Array<{ name: string; start: () => Promise<Target>; skip: string | undefined }> = [
  { name: 'kubets-store', start: () => startStoreProcess(), skip: etcdctlMissing },
  { name: 'etcd 3.4', start: () => startEtcdProcess(), skip: etcdctlMissing ?? etcdMissing },
];

for (const target of targets) {
  describe.skipIf(target.skip !== undefined)(`etcdctl against ${target.name}`, () => {
    let t: Target;
    let ep: string;

    beforeAll(async () => {
      t = await target.start();
      ep = t.endpoint;
    }, 30_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('put, get (plain, prefix, json) and del', async () => {
      expect(await ok(ep, ['put', '/registry/foo', 'bar'])).toBe('OK\n');
      expect(await ok(ep, ['put', '/registry/foo2', 'baz'])).toBe('OK\n');
      expect(await ok(ep, ['get', '/registry/foo'])).toBe('/registry/foo\nbar\n');
      expect(await ok(ep, ['get', '--prefix', '/registry/', '--keys-only'])).toBe(
        '/registry/foo\n\n/registry/foo2\n\n',
      );
      const json = JSON.parse(await ok(ep, ['get', '/registry/foo', '-w', 'json'])) as {
        kvs: Array<{ key: string; value: string; version: number }>;
        count: number;
      };
      expect(Buffer.from(json.kvs[0]!.value, 'base64').toString()).toBe('bar');
      expect(json.count).toBe(1);
      const limited = JSON.parse(
        await ok(ep, ['get', '--prefix', '/registry/', '--limit=1', '-w', 'json']),
      ) as {
        kvs: unknown[];
        count: number;
        more: boolean;
      };
      expect([limited.kvs.length, limited.count, limited.more]).toEqual([1, 2, true]);
      expect(await ok(ep, ['del', '--prefix', '/registry/'])).toBe('2\n');
      expect(await ok(ep, ['get', '/registry/foo'])).toBe('');
    });

    it('txn from stdin: compare, success and failure branches', async () => {
      await ok(ep, ['put', 'txkey', 'v1']);
      const script = 'value("txkey") = "v1"\n\nput txkey v2\n\nget txkey\n\n';
      expect(await ok(ep, ['txn'], script)).toBe('SUCCESS\n\nOK\n');
      expect(await ok(ep, ['txn'], script)).toBe('FAILURE\n\ntxkey\nv2\n');
    });

    it('watch prints events as they happen', async () => {
      const child = spawn(ETCDCTL_BIN, [`--endpoints=${ep}`, 'watch', '--prefix', 'watched/'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await new Promise((r) => setTimeout(r, 500)); // let the watch be created
        await ok(ep, ['put', 'watched/a', '1']);
        await ok(ep, ['del', 'watched/a']);
        const deadline = Date.now() + 10_000;
        while (!out.includes('DELETE') && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
      } finally {
        child.kill('SIGTERM');
      }
      expect(out).toBe('PUT\nwatched/a\n1\nDELETE\nwatched/a\n\n');
    });

    it('lease grant, put with lease, keep-alive, timetolive, list, revoke', async () => {
      const grant = await ok(ep, ['lease', 'grant', '60']);
      const m = /^lease ([0-9a-f]+) granted with TTL\(60s\)\n$/.exec(grant);
      expect(m).not.toBeNull();
      const id = m![1]!;
      expect(await ok(ep, ['put', '--lease', id, 'leased', 'v'])).toBe('OK\n');
      expect(await ok(ep, ['lease', 'keep-alive', '--once', id])).toBe(
        `lease ${id} keepalived with TTL(60)\n`,
      );
      expect(await ok(ep, ['lease', 'timetolive', '--keys', id])).toMatch(
        new RegExp(
          `^lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased\\]\\)\\n$`,
        ),
      );
      expect(await ok(ep, ['lease', 'list'])).toContain(id);
      expect(await ok(ep, ['lease', 'revoke', id])).toBe(`lease ${id} revoked\n`);
      expect(await ok(ep, ['get', 'leased'])).toBe('');
      expect(await ok(ep, ['lease', 'timetolive', id])).toBe(`lease ${id} already expired\n`);
      const bad = await ctl(ep, ['lease', 'revoke', id]);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toContain('etcdserver: requested lease not found');
    });

    it('member list and endpoint status', async () => {
      const members = JSON.parse(await ok(ep, ['member', 'list', '-w', 'json'])) as {
        members: Array<{ ID: number; name: string; clientURLs: string[]; peerURLs: string[] }>;
      };
      expect(members.members).toHaveLength(1);
      expect(members.members[0]!.name).toBeTruthy();
      expect(members.members[0]!.peerURLs.length).toBe(1);
      const status = JSON.parse(await ok(ep, ['endpoint', 'status', '-w', 'json'])) as Array<{
        Endpoint: string;
        Status: {
          header: { member_id: number };
          leader: number;
          version: string;
          raftIndex: number;
        };
      }>;
      expect(status[0]!.Endpoint).toBe(ep);
      expect(status[0]!.Status.leader).toBe(status[0]!.Status.header.member_id);
      expect(status[0]!.Status.raftIndex).toBeGreaterThan(0);
      const health = await ctl(ep, ['endpoint', 'health']);
      expect(health.status).toBe(0);
      expect(health.stdout + health.stderr).toContain('is healthy');
    });

    it('compaction errors and alarms', async () => {
      await ok(ep, ['put', 'c', '1']);
      const got = JSON.parse(await ok(ep, ['get', 'c', '-w', 'json'])) as {
        header: { revision: number };
      };
      const rev = got.header.revision;
      await ok(ep, ['put', 'c', '2']);
      expect(await ok(ep, ['compaction', String(rev)])).toBe(`compacted revision ${rev}\n`);
      const old = await ctl(ep, ['get', 'c', `--rev=${rev - 1}`]);
      expect(old.status).not.toBe(0);
      expect(old.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
      expect(await ok(ep, ['alarm', 'list'])).toBe('');
    });

    it('snapshot save writes the stream to a file', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'snap-'));
      try {
        const path = join(dir, 'backup.db');
        const out = await ctl(ep, ['snapshot', 'save', path]);
        expect(out.stderr + out.stdout).toContain('Snapshot saved');
        expect(out.stdout + out.stderr).toContain(`Snapshot saved at ${path}`);
        const data = readFileSync(path);
        expect(data.length).toBeGreaterThan(32);
        if (target.name === 'kubets-store') {
          // Our format: a kubets-store snapshot file, then its SHA-256 (etcd appends one too).
          const body = data.subarray(0, data.length - 32);
          expect(createHash('sha256').update(body).digest()).toEqual(
            data.subarray(data.length - 32),
          );
          expect(decodeSnapshotFile(body, path).state.length).toBeGreaterThan(0);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
