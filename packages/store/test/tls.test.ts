/**
 * Client TLS with etcd's flags (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth)
 * on the kubets-store binary, with certificates made by openssl for the test. Skipped, with a
 * printed reason, only when openssl is not installed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/ports.js';
import {
  ETCDCTL_BIN,
  missingTool,
  startStoreProcess,
  which,
  type ProcessTarget,
} from './support/targets.js';

const opensslMissing = missingTool('openssl', 'openssl');

function makePki(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=kubets-test-ca',
  );
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subj] of [
    ['server', '/CN=kubets-store'],
    ['client', '/CN=root'],
  ] as const) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subj,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
}

describe.skipIf(opensslMissing !== undefined)('client TLS', () => {
  let pki: string;
  let store: ProcessTarget;

  beforeAll(async () => {
    pki = mkdtempSync(join(tmpdir(), 'kubets-pki-'));
    makePki(pki);
    store = await startStoreProcess({
      extraArgs: [
        `--cert-file=${join(pki, 'server.crt')}`,
        `--key-file=${join(pki, 'server.key')}`,
        `--trusted-ca-file=${join(pki, 'ca.crt')}`,
        '--client-cert-auth',
      ],
      tls: {
        ca: join(pki, 'ca.crt'),
        cert: join(pki, 'client.crt'),
        key: join(pki, 'client.key'),
      },
    });
  }, 60_000);

  afterAll(async () => {
    await store?.stop();
    if (pki) rmSync(pki, { recursive: true, force: true });
  });

  it('serves a client presenting a certificate signed by the trusted CA', async () => {
    const client = new Etcd3({
      hosts: `https://${store.endpoint}`,
      credentials: {
        rootCertificate: readFileSync(join(pki, 'ca.crt')),
        certChain: readFileSync(join(pki, 'client.crt')),
        privateKey: readFileSync(join(pki, 'client.key')),
      },
    });
    try {
      await client.put('secure').value('yes');
      expect(await client.get('secure').string()).toBe('yes');
    } finally {
      client.close();
    }
  });

  it('refuses a client without a certificate', async () => {
    const client = new Etcd3({
      hosts: `https://${store.endpoint}`,
      credentials: { rootCertificate: readFileSync(join(pki, 'ca.crt')) },
      faultHandling: {
        host: () => ({ execute: (fn: any) => fn({ signal: new AbortController().signal }) }) as any,
        global: { execute: (fn: any) => fn({ signal: new AbortController().signal }) } as any,
      },
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100 },
    });
    try {
      await expect(client.get('secure').string()).rejects.toThrow();
    } finally {
      client.close();
    }
  });

  it.skipIf(which(ETCDCTL_BIN) === undefined)(
    'works with etcdctl --cacert/--cert/--key',
    async () => {
      const { execFile } = await import('node:child_process');
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          ETCDCTL_BIN,
          [
            `--endpoints=https://${store.endpoint}`,
            `--cacert=${join(pki, 'ca.crt')}`,
            `--cert=${join(pki, 'client.crt')}`,
            `--key=${join(pki, 'client.key')}`,
            'get',
            'secure',
          ],
          { env: { ...process.env, ETCDCTL_API: '3' } },
          (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
        ),
      );
      expect(out).toBe('secure\nyes\n');
    },
  );

  it('names a missing certificate file in its error', async () => {
    const port = await freePort();
    const { spawnSync } = await import('node:child_process');
    const { STORE_BIN } = await import('./support/targets.js');
    const r = spawnSync(
      process.execPath,
      [
        STORE_BIN,
        `--data-dir=${join(pki, 'd')}`,
        `--listen-client-urls=https://127.0.0.1:${port}`,
        '--cert-file=/nonexistent.crt',
        '--key-file=/nonexistent.key',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read cert file /nonexistent.crt');
  });
});
