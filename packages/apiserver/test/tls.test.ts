/**
 * HTTPS serving (--tls-cert-file / --tls-private-key-file): real kubectl verifies the server
 * certificate against the CA in its kubeconfig. The certificate is made with openssl.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, HealthChecks } from '@kubets/component-base';
import { builtinDefinitions } from '../src/cli/run.js';
import { startApiServer, type RunningApiServer } from '../src/server.js';
import { versionInfo } from '../src/version.js';
import { etcdMissingReason, startEtcd, type EtcdProcess } from './helpers/etcd.js';

const kubectl = (process.env.PATH ?? '')
  .split(':')
  .map((d) => join(d, 'kubectl'))
  .find((p) => existsSync(p));
const openssl = (process.env.PATH ?? '')
  .split(':')
  .map((d) => join(d, 'openssl'))
  .find((p) => existsSync(p));
const skip =
  etcdMissingReason() ??
  (kubectl ? undefined : 'kubectl not found') ??
  (openssl ? undefined : 'openssl not found');
if (skip) console.warn(`skipping TLS tests: ${skip}`);

describe.skipIf(skip)('HTTPS serving', () => {
  let dir: string;
  let etcd: EtcdProcess;
  let server: RunningApiServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-tls-'));
    execFileSync(
      openssl!,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=kubets-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    etcd = await startEtcd();
    server = await startApiServer({
      etcdServers: etcd.endpoint,
      bindAddress: '127.0.0.1',
      securePort: 0,
      tls: { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) },
      definitions: builtinDefinitions(),
      version: versionInfo('0.1.0'),
      health: new HealthChecks(),
      metrics: createMetrics({
        component: 'kubets-apiserver',
        version: '0.1.0',
        defaultMetrics: false,
      }),
      compactionIntervalMs: 0,
    });
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves kubectl over TLS with a verified certificate', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(join(dir, 'cert.pem')).toString('base64');
    // kubectl asks for a username on https without credentials; the token is not checked (the
    // server has no authentication yet).
    writeFileSync(
      join(dir, 'kubeconfig'),
      `apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: ${server.url}\n    certificate-authority-data: ${ca}\ncontexts:\n- name: k\n  context: {cluster: k, user: u}\ncurrent-context: k\nusers:\n- name: u\n  user: {token: not-checked-yet}\n`,
    );
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        kubectl!,
        [
          '--kubeconfig',
          join(dir, 'kubeconfig'),
          '--cache-dir',
          join(dir, 'cache'),
          'get',
          'ns',
          'default',
        ],
        { env: { ...process.env, HOME: dir } },
        (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
      );
    });
    expect(out).toMatch(/^default\s+Active\s+\d+s$/m);
  });
});
