/**
 * HTTPS serving (--tls-cert-file / --tls-private-key-file): real kubectl verifies the server
 * certificate against the CA in its kubeconfig. The certificate is made with openssl.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../src/server.js';
import { etcdMissingReason, startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { KUBECTL, kubectlFor } from './helpers/kubectl.js';
import { OPENSSL, selfSigned, type CertFiles } from './helpers/pki.js';
import { testServerOptions } from './helpers/server-options.js';

const skip =
  etcdMissingReason() ??
  (KUBECTL ? undefined : 'kubectl not found') ??
  (OPENSSL ? undefined : 'openssl not found');
if (skip) console.warn(`skipping TLS tests: ${skip}`);

describe.skipIf(skip)('HTTPS serving', () => {
  let dir: string;
  let etcd: EtcdProcess;
  let server: RunningApiServer;
  let serving: CertFiles;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-tls-'));
    serving = selfSigned(dir, 'apiserver', {
      cn: 'kubets-apiserver',
      subjectAltName: 'IP:127.0.0.1',
    });
    etcd = await startEtcd();
    server = await startApiServer({
      ...testServerOptions(etcd.endpoint),
      tls: { cert: readFileSync(serving.cert), key: readFileSync(serving.key) },
    });
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves kubectl over TLS with a verified certificate', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // kubectl asks for a username on https without credentials; kubectlFor gives it a token
    // that is not checked (the server has no authentication).
    const k = kubectlFor(server.url, { caFile: serving.cert });
    try {
      expect(await k.ok(['get', 'ns', 'default'])).toMatch(/^default\s+Active\s+\d+s$/m);
    } finally {
      k.cleanup();
    }
  });
});
