/**
 * The kubets-apiserver binary (the committed bin shim over dist/): flags, usage errors, serving
 * against real etcd, and graceful shutdown on SIGTERM. Needs `npm run build` first (CI builds
 * before testing); skipped with a reason otherwise.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissingReason, freePort, startEtcd, type EtcdProcess } from './helpers/etcd.js';

const BIN = fileURLToPath(new URL('../bin/kubets-apiserver.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/bin/kubets-apiserver.js', import.meta.url));
const skip = existsSync(BUILT) ? etcdMissingReason() : 'dist/ is not built (run npm run build)';
if (skip) console.warn(`skipping kubets-apiserver binary tests: ${skip}`);

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
    const usage = await run(['--secure-port=x']);
    expect(usage.code).toBe(2);
    // Three process starts: seconds each on a loaded machine.
  }, 20_000);

  it('serves against etcd and shuts down gracefully on SIGTERM', async () => {
    const port = await freePort();
    const grpcPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        BIN,
        `--etcd-servers=${etcd.endpoint}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        `--grpc-port=${grpcPort}`,
        '--etcd-prefix=/kubets-bin',
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
    try {
      const deadline = Date.now() + 15_000;
      let ready = false;
      while (!ready && Date.now() < deadline) {
        try {
          ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(ready).toBe(true);
      expect(stderr).toContain('serving PLAIN HTTP');
      const version = (await (await fetch(`http://127.0.0.1:${port}/version`)).json()) as {
        minor: string;
      };
      expect(version.minor).toBe('32');
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('kubets_build_info{component="kubets-apiserver"');
      expect(metrics).toMatch(
        /apiserver_request_total\{verb="GET",dry_run="",group="",version="v1",resource="namespaces"/,
      );
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 30_000);
});
