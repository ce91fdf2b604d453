/**
 * `kubets-apiserver --workers=2` (the committed bin shim over dist/) on real etcd: two worker
 * processes behind one port. Every request below opens a connection of its own, and the primary
 * hands connections to the workers in turn, so writes, reads and watches land on both workers:
 * a write through any connection is seen by every watch and by the next consistent list;
 * `/metrics` counts the requests of both; a killed worker is started again; SIGTERM stops every
 * process. Needs `npm run build` first; skipped with a reason otherwise.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissingReason, freePort, startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { KUBECTL, kubectlFor } from './helpers/kubectl.js';

const BIN = fileURLToPath(new URL('../bin/kubets-apiserver.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/bin/kubets-apiserver.js', import.meta.url));
const skip = existsSync(BUILT) ? etcdMissingReason() : 'dist/ is not built (run npm run build)';
if (skip) console.warn(`skipping kubets-apiserver --workers tests: ${skip}`);

interface Reply {
  status: number;
  body: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The worker processes of a primary: its children (Linux ps). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skip)('kubets-apiserver --workers=2', () => {
  let etcd: EtcdProcess;
  let dir: string;
  let child: ChildProcess;
  let stderr = '';
  let exited: Promise<number | null>;
  let base: string;
  let ca: Buffer;

  /** One request on a connection of its own (agent: false), so it may land on either worker. */
  const call = (path: string, method = 'GET', body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${base}${path}`,
        {
          method,
          ca,
          agent: false,
          headers: data ? { 'content-type': 'application/json' } : {},
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      // A connection handed to a worker at the moment it is killed gets no answer.
      req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
      req.on('error', reject);
      req.end(data);
    });

  const waitReady = async (timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await call('/readyz')).status === 200) return true;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    return false;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    dir = mkdtempSync(join(tmpdir(), 'kubets-workers-'));
    const port = await freePort();
    const grpcPort = await freePort();
    writeFileSync(
      join(dir, 'policy.yaml'),
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n',
    );
    child = spawn(
      process.execPath,
      [
        BIN,
        '--workers=2',
        `--etcd-servers=${etcd.endpoint}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        `--grpc-port=${grpcPort}`,
        '--etcd-prefix=/kubets-workers',
        `--cert-dir=${join(dir, 'certs')}`,
        `--audit-policy-file=${join(dir, 'policy.yaml')}`,
        `--audit-log-path=${join(dir, 'audit.log')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    base = `https://127.0.0.1:${port}`;
    const certDeadline = Date.now() + 60_000;
    while (!existsSync(join(dir, 'certs', 'apiserver.crt')) && Date.now() < certDeadline) {
      await sleep(100);
    }
    ca = readFileSync(join(dir, 'certs', 'apiserver.crt'));
    if (!(await waitReady(90_000))) throw new Error(`not ready:\n${stderr.slice(-3000)}`);
  }, 120_000);

  afterAll(async () => {
    if (process.env.KUBETS_TEST_LOG) writeFileSync(process.env.KUBETS_TEST_LOG, stderr);
    const pid = child?.pid;
    const workers = pid !== undefined ? childrenOf(pid) : [];
    if (pid !== undefined && child.exitCode === null) process.kill(pid, 'SIGKILL');
    for (const w of workers) if (alive(w)) process.kill(w, 'SIGKILL');
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs two worker processes; the primary created the certificate once', async () => {
    // The primary's log line may reach the pipe just after a worker's /readyz answer.
    const logged = Date.now() + 5_000;
    while (!stderr.includes('All workers serving') && Date.now() < logged) await sleep(50);
    expect(childrenOf(child.pid!)).toHaveLength(2);
    expect(stderr.match(/Generated self-signed cert/g)).toHaveLength(1);
    expect(stderr).toContain('All workers serving');
  });

  it('a write through one connection reaches every watch and every consistent list', async () => {
    const list = JSON.parse((await call('/api/v1/namespaces/default/configmaps')).body) as {
      metadata: { resourceVersion: string };
    };
    // Watches on connections of their own, opened together: the primary spreads them.
    const watches = Array.from({ length: 4 }, () => {
      const seen: { type: string; name: string; rv: string }[] = [];
      let buffered = '';
      const req = request(
        `${base}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
        { ca, agent: false },
        (res) => {
          res.on('data', (d: Buffer) => {
            buffered += d.toString();
            let nl;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              if (process.env.KUBETS_TEST_LOG) stderr += `watch: ${buffered.slice(0, nl)}\n`;
              const e = JSON.parse(buffered.slice(0, nl)) as {
                type: string;
                object: { metadata: { name: string; resourceVersion: string } };
              };
              buffered = buffered.slice(nl + 1);
              seen.push({
                type: e.type,
                name: e.object.metadata.name,
                rv: e.object.metadata.resourceVersion,
              });
            }
          });
        },
      );
      req.on('error', () => undefined);
      req.end();
      return { seen, req };
    });
    try {
      const written: string[] = [];
      for (let i = 0; i < 8; i++) {
        const created = await call('/api/v1/namespaces/default/configmaps', 'POST', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `w-${i}` },
          data: { i: String(i) },
        });
        expect(created.status).toBe(201);
        const rv = (JSON.parse(created.body) as { metadata: { resourceVersion: string } }).metadata
          .resourceVersion;
        written.push(rv);
        // The next connection may be the other worker: its consistent list has the write, at a
        // resourceVersion not older than the write's.
        const after = JSON.parse((await call('/api/v1/namespaces/default/configmaps')).body) as {
          metadata: { resourceVersion: string };
          items: { metadata: { name: string } }[];
        };
        expect(after.items.map((c) => c.metadata.name)).toContain(`w-${i}`);
        expect(BigInt(after.metadata.resourceVersion) >= BigInt(rv)).toBe(true);
        const got = await call(`/api/v1/namespaces/default/configmaps/w-${i}`);
        expect(got.status).toBe(200);
      }
      const deadline = Date.now() + 20_000;
      while (watches.some((w) => w.seen.length < 8) && Date.now() < deadline) await sleep(100);
      for (const w of watches) {
        // Every event, once, in order, with the resourceVersions the writes answered.
        expect(w.seen.map((e) => e.name)).toEqual(written.map((_, i) => `w-${i}`));
        expect(w.seen.map((e) => e.rv)).toEqual(written);
        expect(w.seen.every((e) => e.type === 'ADDED')).toBe(true);
      }
    } finally {
      for (const w of watches) w.req.destroy();
    }
  }, 60_000);

  it('kubectl works across workers (create, get, watch)', async () => {
    if (!KUBECTL) {
      console.warn('kubectl not found: skipping the kubectl part of the --workers test');
      return;
    }
    const k = kubectlFor(base, { caFile: join(dir, 'certs', 'apiserver.crt') });
    try {
      const watch = spawn(KUBECTL, k.argv(['get', 'secrets', '--watch', '-o', 'name']), {
        env: k.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await sleep(1_500);
        for (let i = 0; i < 4; i++) {
          await k.ok(['create', 'secret', 'generic', `s-${i}`, `--from-literal=k=${i}`]);
        }
        for (let i = 0; i < 4; i++) {
          expect(await k.ok(['get', 'secret', `s-${i}`, '-o', 'jsonpath={.data.k}'])).toBe(
            Buffer.from(String(i)).toString('base64'),
          );
        }
        const deadline = Date.now() + 20_000;
        while (!out.includes('secret/s-3') && Date.now() < deadline) await sleep(100);
        expect(out.split('\n').filter((l) => /^secret\/s-\d$/.test(l))).toEqual([
          'secret/s-0',
          'secret/s-1',
          'secret/s-2',
          'secret/s-3',
        ]);
      } finally {
        watch.kill('SIGKILL');
      }
    } finally {
      k.cleanup();
    }
  }, 60_000);

  it('serves /metrics for the whole server: a counter is the sum of both workers', async () => {
    const count = (text: string): number => {
      const m =
        /^apiserver_request_total\{verb="GET",[^}]*resource="persistentvolumes"[^}]*code="404"\} (\d+)$/m.exec(
          text,
        );
      return m ? Number(m[1]) : 0;
    };
    const before = count((await call('/metrics')).body);
    for (let i = 0; i < 10; i++) {
      expect((await call(`/api/v1/persistentvolumes/missing-${i}`)).status).toBe(404);
    }
    const metrics = (await call('/metrics')).body;
    expect(count(metrics) - before).toBe(10);
    // One build info line and one storage count per resource, not one per worker.
    expect(metrics.match(/^kubets_build_info\{/gm)).toHaveLength(1);
    const ns = /^apiserver_storage_objects\{resource="namespaces"\} (\d+)$/m.exec(metrics);
    expect(Number(ns?.[1])).toBe(4);
    // Each worker writes its own audit file.
    const audits = readdirSync(dir).filter((f) => /^audit\.worker\d\.log$/.test(f));
    expect(audits.sort()).toEqual(['audit.worker1.log', 'audit.worker2.log']);
    // Both served writes of the tests above (connections go to the workers in turn).
    for (const f of audits) expect(readFileSync(join(dir, f), 'utf8')).toContain('"verb":"create"');
  }, 30_000);

  it('starts a killed worker again; the first worker takes its controllers up again', async () => {
    // The first worker: it runs the quota controller, which its restart must not lose.
    const victim = Number(/"worker":1,"pid":(\d+),"msg":"Worker serving"/.exec(stderr)?.[1]);
    expect(childrenOf(child.pid!)).toContain(victim);
    process.kill(victim, 'SIGKILL');
    // The primary's view: while the worker is down (it is started again after a second), the
    // surviving worker's /readyz says so.
    // (A connection accepted at the very moment of the kill may be handed to the dead worker
    // and get no answer; polling starts once the primary has seen the exit.)
    const seenBy = Date.now() + 10_000;
    while (!stderr.includes('Worker exited; starting it again') && Date.now() < seenBy) {
      await sleep(20);
    }
    let down: Reply | undefined;
    const downBy = Date.now() + 5_000;
    while (!down && Date.now() < downBy) {
      const r = await call('/readyz?verbose').catch(() => undefined);
      if (r?.status === 500) down = r;
      else await sleep(50);
    }
    expect(down?.body).toContain('[-]workers failed: reason withheld');
    const deadline = Date.now() + 60_000;
    let workers: number[] = [];
    while (Date.now() < deadline) {
      workers = childrenOf(child.pid!);
      const serving = stderr.match(/Worker serving/g)?.length ?? 0;
      if (workers.length === 2 && !workers.includes(victim) && serving >= 3) break;
      await sleep(200);
    }
    expect(stderr).toContain('Worker exited; starting it again');
    expect(workers).toHaveLength(2);
    expect(workers).not.toContain(victim);
    expect(await waitReady(60_000)).toBe(true);
    // Both workers answer again: a handful of fresh connections all succeed.
    for (let i = 0; i < 4; i++) {
      expect((await call('/api/v1/namespaces/default')).status).toBe(200);
    }
    // The quota controller runs again: a new ResourceQuota gets its status (hard and used).
    const created = await call('/api/v1/namespaces/default/resourcequotas', 'POST', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'after-restart' },
      spec: { hard: { configmaps: '50' } },
    });
    expect(created.status).toBe(201);
    let status: { hard?: Record<string, string>; used?: Record<string, string> } = {};
    const statusBy = Date.now() + 20_000;
    while (status.used === undefined && Date.now() < statusBy) {
      const got = await call('/api/v1/namespaces/default/resourcequotas/after-restart');
      status = (JSON.parse(got.body) as { status?: typeof status }).status ?? {};
      if (status.used === undefined) await sleep(200);
    }
    expect(status.hard).toEqual({ configmaps: '50' });
    expect(status.used?.configmaps).toMatch(/^\d+$/);
  }, 90_000);

  it('stops every process on SIGTERM', async () => {
    const workers = childrenOf(child.pid!);
    expect(workers).toHaveLength(2);
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    const deadline = Date.now() + 10_000;
    while (workers.some(alive) && Date.now() < deadline) await sleep(100);
    expect(workers.filter(alive)).toEqual([]);
  }, 60_000);
});
