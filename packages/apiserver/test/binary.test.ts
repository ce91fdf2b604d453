/**
 * The kubets-apiserver binary (the committed bin shim over dist/): flags, usage errors, serving
 * HTTPS only (a self-signed certificate generated in --cert-dir) against real etcd, with the
 * audit log and encryption at rest flags, and graceful shutdown on SIGTERM. Needs
 * `npm run build` first (CI builds before testing); skipped with a reason otherwise.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
if (skip) console.warn(`skipping kubets-apiserver binary tests: ${skip}`);

/** GET over HTTPS trusting `ca` (the generated apiserver.crt). */
function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(skip)('kubets-apiserver binary', () => {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 20_000);
  afterAll(async () => {
    await etcd?.stop();
  });

  it('prints usage with kube-apiserver flag names', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--etcd-servers',
      '--etcd-prefix',
      '--bind-address',
      '--secure-port',
      '--service-cluster-ip-range',
      '--service-node-port-range',
      '--etcd-compaction-interval',
      '--max-requests-inflight',
      '--tls-cert-file',
      '--grpc-port',
      '--grpc-bind-address',
      '--cert-dir',
      '--audit-policy-file',
      '--audit-log-path',
      '--audit-log-maxsize',
      '--encryption-provider-config',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('refuses bad command lines with a message naming the flag', async () => {
    const missing = await run(['--secure-port=0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: --etcd-servers must be specified');
    const bad = await run(['--etcd-servers=http://127.0.0.1:1', '--service-node-port-range=abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--service-node-port-range: invalid port range "abc"');
    const dir = mkdtempSync(join(tmpdir(), 'kubets-bin-bad-'));
    try {
      writeFileSync(
        join(dir, 'enc.yaml'),
        'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm: {keys: [{name: k, secret: c2hvcnQ=}]}\n',
      );
      writeFileSync(
        join(dir, 'policy.yaml'),
        'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n',
      );
      const common = ['--etcd-servers=http://127.0.0.1:1', `--cert-dir=${join(dir, 'certs')}`];
      const enc = await run([...common, `--encryption-provider-config=${join(dir, 'enc.yaml')}`]);
      expect(enc.code).toBe(1);
      expect(enc.stderr).toContain(
        'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 5, expected one of [16 24 32]',
      );
      const policy = await run([
        ...common,
        `--audit-policy-file=${join(dir, 'policy.yaml')}`,
        `--audit-log-path=${join(dir, 'audit.log')}`,
      ]);
      expect(policy.code).toBe(1);
      expect(policy.stderr).toContain('rules[0].level: Unsupported value: "Everything"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const usage = await run(['--secure-port=x']);
    expect(usage.code).toBe(2);
  }, 60_000);

  it('serves HTTPS against etcd and shuts down gracefully on SIGTERM', async () => {
    const port = await freePort();
    const grpcPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'kubets-bin-'));
    const certDir = join(dir, 'certs');
    writeFileSync(
      join(dir, 'policy.yaml'),
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n',
    );
    writeFileSync(
      join(dir, 'encryption.yaml'),
      `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - secretbox: {keys: [{name: k1, secret: ${Buffer.alloc(32, 9).toString('base64')}}]}
`,
    );
    const child = spawn(
      process.execPath,
      [
        BIN,
        `--etcd-servers=${etcd.endpoint}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        `--grpc-port=${grpcPort}`,
        '--etcd-prefix=/kubets-bin',
        `--cert-dir=${certDir}`,
        `--audit-policy-file=${join(dir, 'policy.yaml')}`,
        `--audit-log-path=${join(dir, 'audit.log')}`,
        `--encryption-provider-config=${join(dir, 'encryption.yaml')}`,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const base = `https://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 15_000;
      let ready = false;
      while (!ready && Date.now() < deadline) {
        try {
          ready =
            (await get(`${base}/readyz`, readFileSync(join(certDir, 'apiserver.crt')))).status ===
            200;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(ready).toBe(true);
      expect(stderr).toContain('Generated self-signed cert');
      const ca = readFileSync(join(certDir, 'apiserver.crt'));
      // HTTPS only: plain HTTP on the port gets no API answer.
      const plain = await fetch(`http://127.0.0.1:${port}/version`).then(
        (r) => r.status,
        () => 0,
      );
      expect(plain).not.toBe(200);
      const version = JSON.parse((await get(`${base}/version`, ca)).body) as { minor: string };
      expect(version.minor).toBe('32');
      expect((await get(`${base}/api/v1/namespaces/default`, ca)).status).toBe(200);
      if (KUBECTL) {
        // Real kubectl trusts the generated certificate as its CA, or skips verification.
        const trusting = kubectlFor(base, { caFile: join(certDir, 'apiserver.crt') });
        const insecure = kubectlFor(base, { insecureSkipTLSVerify: true });
        try {
          await trusting.ok([
            'create',
            'secret',
            'generic',
            'bin',
            '--from-literal=k=s3cr3t-value',
          ]);
          expect(await insecure.ok(['get', 'secret', 'bin', '-o', 'jsonpath={.data.k}'])).toBe(
            Buffer.from('s3cr3t-value').toString('base64'),
          );
        } finally {
          trusting.cleanup();
          insecure.cleanup();
        }
        const audit = readFileSync(join(dir, 'audit.log'), 'utf8');
        expect(audit).toContain('"verb":"create"');
        expect(audit).not.toContain('s3cr3t');
        const stored = await new Promise<Buffer>((resolve, reject) =>
          execFile(
            '/usr/bin/etcdctl',
            [
              '--endpoints',
              etcd.endpoint,
              'get',
              '/kubets-bin/secrets/default/bin',
              '--print-value-only',
            ],
            { encoding: 'buffer', env: { ...process.env, ETCDCTL_API: '3' } },
            (err, out) => (err ? reject(new Error(err.message)) : resolve(out)),
          ),
        );
        expect(stored.toString('latin1')).toMatch(/^k8s:enc:secretbox:v1:k1:/);
      } else {
        console.warn('kubectl not found: skipping the kubectl part of the binary test');
      }
      const metrics = (await get(`${base}/metrics`, ca)).body;
      expect(metrics).toContain('kubets_build_info{component="kubets-apiserver"');
      expect(metrics).toMatch(
        /apiserver_request_total\{verb="GET",dry_run="",group="",version="v1",resource="namespaces"/,
      );
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    }
    expect(await exited).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
});
