/**
 * Encryption at rest on real etcd: Secrets created with real kubectl are stored as
 * `k8s:enc:aesgcm:v1:key1:<ciphertext>` (read back raw with real etcdctl), read back in clear
 * through the API, re-encrypted with a new key by `kubectl replace`, still readable in plaintext
 * while identity is listed, and a value no key opens is a 500 naming the key, never garbage.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type ComponentMetrics } from '@kubets/component-base';
import { startApiServer, type RunningApiServer } from '../src/server.js';
import { EncryptionAtRest, transformationMetrics } from '../src/storage/encryption/encryption.js';
import { etcdMissingReason, startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { KUBECTL, kubectlFor, type Kubectl } from './helpers/kubectl.js';
import { testServerOptions } from './helpers/server-options.js';

const ETCDCTL = '/usr/bin/etcdctl';
const skip =
  etcdMissingReason() ??
  (existsSync(ETCDCTL) ? undefined : 'etcdctl not found') ??
  (KUBECTL ? undefined : 'kubectl not found');
if (skip) console.warn(`skipping encryption at rest tests: ${skip}`);

const KEY1 = Buffer.alloc(32, 0x11).toString('base64');
const KEY2 = Buffer.alloc(32, 0x22).toString('base64');
const OTHER = Buffer.alloc(32, 0x33).toString('base64');
const PASSWORD = 'hunter2-plaintext-password';

describe.skipIf(skip)('encryption at rest', () => {
  let dir: string;
  let etcd: EtcdProcess;
  let server: RunningApiServer | undefined;
  let encryption: EncryptionAtRest | undefined;
  let metrics: ComponentMetrics;
  let kubectl: Kubectl;

  async function restart(providers: string | undefined): Promise<void> {
    await server?.close();
    encryption?.close();
    server = undefined;
    encryption = undefined;
    metrics = createMetrics({
      component: 'kubets-apiserver',
      version: '0.1.0',
      defaultMetrics: false,
    });
    if (providers !== undefined) {
      const path = join(dir, 'encryption.yaml');
      writeFileSync(
        path,
        `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
${providers}`,
      );
      encryption = EncryptionAtRest.load(path, { observer: transformationMetrics(metrics) });
    }
    server = await startApiServer({
      ...testServerOptions(etcd.endpoint),
      metrics,
      ...(encryption ? { encryption } : {}),
    });
    kubectl.setServer(server.url);
  }

  function raw(key: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      execFile(
        ETCDCTL,
        ['--endpoints', etcd.endpoint, 'get', key, '--print-value-only'],
        { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'buffer', timeout: 10_000 },
        (err, stdout) => (err ? reject(new Error(err.message)) : resolve(stdout)),
      );
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-encryption-'));
    etcd = await startEtcd();
    kubectl = kubectlFor('http://127.0.0.1:1');
    // A Secret written before encryption was configured.
    await restart(undefined);
    await kubectl.ok([
      'create',
      'secret',
      'generic',
      'legacy',
      '--from-literal=token=legacy-plain',
    ]);
    expect((await raw('/registry/secrets/default/legacy')).toString()).toContain('"kind":"Secret"');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    encryption?.close();
    await etcd?.stop();
    kubectl?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores new Secrets encrypted with the first key and serves them in clear', async () => {
    await restart(`  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}
  - identity: {}`);
    await kubectl.ok(['create', 'secret', 'generic', 's1', `--from-literal=password=${PASSWORD}`]);
    const stored = await raw('/registry/secrets/default/s1');
    expect(stored.subarray(0, 23).toString()).toBe('k8s:enc:aesgcm:v1:key1:');
    expect(stored.includes(PASSWORD)).toBe(false);
    expect(stored.includes(Buffer.from(PASSWORD).toString('base64'))).toBe(false);
    expect(stored.includes('"kind"')).toBe(false);
    const read = await kubectl.ok(['get', 'secret', 's1', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(read, 'base64').toString()).toBe(PASSWORD);
    // Other resources are not encrypted.
    await kubectl.ok(['create', 'configmap', 'plain', '--from-literal=a=b']);
    expect((await raw('/registry/configmaps/default/plain')).toString()).toContain('"a":"b"');
    // The Secret written before encryption still reads (identity is listed).
    const legacy = await kubectl.ok(['get', 'secret', 'legacy', '-o', 'jsonpath={.data.token}']);
    expect(Buffer.from(legacy, 'base64').toString()).toBe('legacy-plain');
    const scrape = await metrics.scrape();
    expect(scrape).toContain(
      'apiserver_storage_transformation_operations_total{transformation_type="to_storage",transformer_prefix="k8s:enc:aesgcm:v1:key1:",status="OK"}',
    );
    expect(scrape).toContain(
      'apiserver_storage_transformation_duration_seconds_count{transformation_type="from_storage",transformer_prefix="identity"}',
    );
  }, 60_000);

  it('rotates keys by rewriting: kubectl get -o json | kubectl replace -f -', async () => {
    await restart(`  - aesgcm: {keys: [{name: key2, secret: ${KEY2}}, {name: key1, secret: ${KEY1}}]}
  - identity: {}`);
    // Still readable with the old key.
    const read = await kubectl.ok(['get', 'secret', 's1', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(read, 'base64').toString()).toBe(PASSWORD);
    expect((await raw('/registry/secrets/default/s1')).toString('latin1')).toMatch(
      /^k8s:enc:aesgcm:v1:key1:/,
    );
    const all = await kubectl.ok(['get', 'secrets', '-A', '-o', 'json']);
    writeFileSync(join(dir, 'secrets.json'), all);
    // --validate=false: kubectl validates a v1 List against /openapi/v2, which kubets does not
    // serve (the items themselves are validated by the server).
    await kubectl.ok(['replace', '--validate=false', '-f', join(dir, 'secrets.json')]);
    for (const name of ['s1', 'legacy']) {
      const stored = await raw(`/registry/secrets/default/${name}`);
      expect(stored.toString('latin1')).toMatch(/^k8s:enc:aesgcm:v1:key2:/);
    }
    // key1 can go now.
    await restart(`  - aesgcm: {keys: [{name: key2, secret: ${KEY2}}]}`);
    const after = await kubectl.ok(['get', 'secret', 'legacy', '-o', 'jsonpath={.data.token}']);
    expect(Buffer.from(after, 'base64').toString()).toBe('legacy-plain');
  }, 90_000);

  it('a value no provider can decrypt is an InternalError naming the key', async () => {
    await restart(`  - aesgcm: {keys: [{name: key2, secret: ${OTHER}}]}`);
    const r = await kubectl.run(['get', 'secret', 's1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'Internal error occurred: unable to transform key "/registry/secrets/default/s1": cipher: message authentication failed',
    );
    const res = await fetch(`${server!.url}/api/v1/namespaces/default/secrets`);
    expect(res.status).toBe(500);
    const status = (await res.json()) as { reason: string; message: string };
    expect(status.reason).toBe('InternalError');
    expect(status.message).not.toContain(PASSWORD);
  }, 60_000);
});
