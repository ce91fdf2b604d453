/**
 * etcdctl (Debian's etcd-client 3.4) against a 3-member kubets-store cluster of real processes
 * and against a real etcd 3.4, with the same assertions. etcdctl is given every member's
 * endpoint, so requests land on followers as well as the leader. Skipped, with a printed reason, only when etcdctl (or etcd, for the
 * reference run) is not installed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { decodeSnapshotFile } from '../../src/storage/snapshot-file.js';
import { ETCDCTL_BIN, type Target } from '../support/targets.js';

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

/** Registers the etcdctl tests; `target()` is the running server (set in a beforeAll). */
export function etcdctlSuite(target: () => Target): void {
  /** Every member (etcdctl balances over them). */
  let ep = '';
  let t: Target;
  beforeAll(() => {
    t = target();
    ep = t.endpoints.join(',');
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
    expect(members.members).toHaveLength(t.endpoints.length);
    for (const m of members.members) {
      expect(m.name).toBeTruthy();
      expect(m.peerURLs.length).toBe(1);
    }
    expect(members.members.flatMap((m) => m.clientURLs).sort()).toEqual(
      t.endpoints.map((e) => `http://${e}`).sort(),
    );
    const status = JSON.parse(await ok(ep, ['endpoint', 'status', '-w', 'json'])) as Array<{
      Endpoint: string;
      Status: {
        header: { member_id: number };
        leader: number;
        version: string;
        raftIndex: number;
      };
    }>;
    expect(status.map((s) => s.Endpoint)).toEqual(t.endpoints);
    // Every member names the same leader, and exactly one member is it.
    const leader = status[0]!.Status.leader;
    expect(status.every((s) => s.Status.leader === leader)).toBe(true);
    expect(status.filter((s) => s.Status.header.member_id === leader)).toHaveLength(1);
    for (const s of status) expect(s.Status.raftIndex).toBeGreaterThan(0);
    const health = await ctl(ep, ['endpoint', 'health']);
    expect(health.status).toBe(0);
    expect((health.stdout + health.stderr).match(/is healthy/g)).toHaveLength(t.endpoints.length);
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
      // etcdctl asks one member only for a snapshot.
      const out = await ctl(t.endpoint, ['snapshot', 'save', path]);
      expect(out.stderr + out.stdout).toContain('Snapshot saved');
      expect(out.stdout + out.stderr).toContain(`Snapshot saved at ${path}`);
      const data = readFileSync(path);
      expect(data.length).toBeGreaterThan(32);
      if (t.kind === 'kubets-store') {
        // Our format: a kubets-store snapshot file, then its SHA-256 (etcd appends one too).
        const body = data.subarray(0, data.length - 32);
        expect(createHash('sha256').update(body).digest()).toEqual(data.subarray(data.length - 32));
        expect(decodeSnapshotFile(body, path).state.length).toBeGreaterThan(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
