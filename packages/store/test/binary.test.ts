/**
 * The kubets-store binary (dist/bin/kubets-store.js) as an operator runs it: help and flag
 * errors, refusal of bad configuration and foreign data dirs, metrics, and durability across
 * SIGKILL. Processes are started and stopped by PID on free 127.0.0.1 ports.
 */
import { execFile } from 'node:child_process';
import * as http2 from 'node:http2';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/ports.js';
import { STORE_BIN, startStoreProcess, type ProcessTarget } from './support/targets.js';

/** Runs the binary to completion (asynchronously, so independent runs can overlap). */
function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [STORE_BIN, ...args],
      { encoding: 'utf8', timeout: 20_000 },
      (err, stdout, stderr) => {
        // A non-zero exit is a result here; a spawn failure or timeout (no numeric code) is not.
        const code: unknown = err?.code;
        if (err && typeof code !== 'number')
          reject(new Error(`kubets-store ${args.join(' ')}: ${err.message}`));
        else resolve({ status: typeof code === 'number' ? code : 0, stdout, stderr });
      },
    );
  });
}

describe('kubets-store binary', () => {
  const dirs: string[] = [];
  let running: ProcessTarget | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'kubets-bin-'));
    dirs.push(d);
    return d;
  };

  it('prints usage with etcd flag names for --help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.status).toBe(0);
    for (const flag of [
      '--name',
      '--data-dir',
      '--listen-client-urls',
      '--advertise-client-urls',
      '--listen-peer-urls',
      '--initial-advertise-peer-urls',
      '--initial-cluster',
      '--initial-cluster-state',
      '--initial-cluster-token',
      '--listen-metrics-urls',
      '--quota-backend-bytes',
      '--auto-compaction-mode',
      '--auto-compaction-retention',
      '--snapshot-count',
      '--heartbeat-interval',
      '--election-timeout',
      '--grpc-transport',
      '--grpc-keepalive-interval',
      '--grpc-keepalive-timeout',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('rejects unknown flags (exit 2) and bad configuration (exit 1) with the flag named', async () => {
    const [unknown, notMember, election, transport] = await Promise.all([
      run(['--no-such-flag']),
      run(['--name=x', '--initial-cluster=y=http://127.0.0.1:2380', `--data-dir=${tmp()}`]),
      run(['--heartbeat-interval=100', '--election-timeout=200', `--data-dir=${tmp()}`]),
      // The transport flag's former name is still read (and checked).
      run(['--experimental-grpc-transport=h3', `--data-dir=${tmp()}`]),
    ]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no-such-flag');
    expect(notMember.status).toBe(1);
    expect(notMember.stderr).toContain(
      '--initial-cluster does not contain this member\'s --name "x"',
    );
    expect(election.status).toBe(1);
    expect(election.stderr).toContain(
      '--election-timeout[200ms] should be at least as 5 times as --heartbeat-interval[100ms]',
    );
    expect(transport.status).toBe(1);
    expect(transport.stderr).toContain('--experimental-grpc-transport');
  }, 30_000);

  it('refuses an etcd data dir, naming it', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'member', 'snap'), { recursive: true });
    writeFileSync(join(dir, 'member', 'snap', 'db'), Buffer.alloc(4096));
    const port = await freePort();
    const r = await run([`--data-dir=${dir}`, `--listen-client-urls=http://127.0.0.1:${port}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`data dir ${dir} was written by etcd`);
  });

  it('keeps every acknowledged write across SIGKILL and restart', async () => {
    const dataDir = tmp();
    running = await startStoreProcess({ dataDir });
    let client = new Etcd3({ hosts: running.endpoint });
    const acked: Record<string, string> = {};
    // Concurrent writers, so batches share fsyncs; every awaited put was acknowledged.
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 40; i++) {
          await client.put(`crash/${w}/${i}`).value(`v${i}`);
          acked[`crash/${w}/${i}`] = `v${i}`;
        }
      }),
    );
    client.close();
    await running.kill();
    running = await startStoreProcess({ dataDir });
    client = new Etcd3({ hosts: running.endpoint });
    try {
      expect(await client.getAll().prefix('crash/').strings()).toEqual(acked);
    } finally {
      client.close();
    }
  }, 30_000);

  // etcd's --grpc-keepalive-interval / --grpc-keepalive-timeout: the server PINGs an idle
  // connection every interval, on either HTTP/2 layer.
  it.each(['js', 'node-http2'])(
    'sends keepalive PINGs every --grpc-keepalive-interval (--grpc-transport=%s)',
    async (transport) => {
      running = await startStoreProcess({
        extraArgs: [
          `--grpc-transport=${transport}`,
          '--grpc-keepalive-interval=200ms',
          '--grpc-keepalive-timeout=5s',
        ],
      });
      const session = http2.connect(`http://${running.endpoint}`);
      try {
        let pings = 0;
        session.on('ping', () => pings++);
        await new Promise<void>((resolve, reject) => {
          session.once('connect', () => resolve());
          session.once('error', reject);
        });
        const until = Date.now() + 5_000;
        while (pings < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        expect(pings).toBeGreaterThanOrEqual(3);
      } finally {
        session.destroy();
      }
    },
    30_000,
  );

  it('serves etcd metrics on --listen-metrics-urls', async () => {
    const metricsPort = await freePort();
    running = await startStoreProcess({
      extraArgs: [`--listen-metrics-urls=http://127.0.0.1:${metricsPort}`],
    });
    const client = new Etcd3({ hosts: running.endpoint });
    await client.put('m').value('1');
    client.close();
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^etcd_server_has_leader 1$/m);
    expect(text).toMatch(/^etcd_server_is_leader 1$/m);
    expect(text).toMatch(/^etcd_server_proposals_committed_total \d+$/m);
    expect(text).toMatch(/^etcd_disk_wal_fsync_duration_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^etcd_debugging_mvcc_keys_total 1$/m);
    expect(text).toMatch(/^etcd_disk_backend_commit_duration_seconds_count [1-9]\d*$/m);
    expect(text).toContain(
      'grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Put",grpc_code="OK"} 1',
    );
    const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
    expect(ready.status).toBe(200);
  });
});
