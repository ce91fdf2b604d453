/**
 * Client TLS with etcd's flags (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth)
 * on the kubets-store binary, and peer TLS (--peer-cert-file, --peer-key-file,
 * --peer-trusted-ca-file, --peer-client-cert-auth) between the members of a 3-member cluster,
 * with certificates made by openssl for the test. Skipped, with a printed reason, only when
 * openssl is not installed.
 */
import * as http2 from 'node:http2';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardLogger } from '@kubets/component-base';
import { makeTestPki } from '@kubets/component-base/testing';
import { startEmbeddedStore } from '../src/embedded.js';
import { freePort } from './support/ports.js';
import {
  ETCDCTL_BIN,
  missingTool,
  startStoreCluster,
  startStoreProcess,
  waitFor,
  which,
  type ProcessTarget,
  type StoreClusterTarget,
} from './support/targets.js';

const opensslMissing = missingTool('openssl', 'openssl');

/** The test's PKI folder: a CA, server and client certificates, and one for peers. */
function makePki(): string {
  return makeTestPki(
    [
      {
        name: 'server',
        subject: '/CN=kubets-store',
        extensions: 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth',
      },
      { name: 'client', subject: '/CN=root', extensions: 'extendedKeyUsage=clientAuth' },
      // Members dial each other with the same certificate they serve with.
      {
        name: 'peer',
        subject: '/CN=kubets-store-peer',
        extensions:
          'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth',
      },
    ],
    { prefix: 'kubets-pki-' },
  ).dir;
}

describe.skipIf(opensslMissing !== undefined)('embedded store with client TLS', () => {
  it('serves only clients with a certificate of the trusted CA, as the binary does', async () => {
    const pki = makePki();
    const dataDir = mkdtempSync(join(tmpdir(), 'kubets-embedded-tls-'));
    const store = await startEmbeddedStore({
      dataDir,
      logger: discardLogger('kubets-store'),
      tls: {
        certFile: join(pki, 'server.crt'),
        keyFile: join(pki, 'server.key'),
        trustedCaFile: join(pki, 'ca.crt'),
        clientCertAuth: true,
      },
    });
    const withCert = new Etcd3({
      hosts: `https://${store.endpoint}`,
      credentials: {
        rootCertificate: readFileSync(join(pki, 'ca.crt')),
        certChain: readFileSync(join(pki, 'client.crt')),
        privateKey: readFileSync(join(pki, 'client.key')),
      },
    });
    const withoutCert = new Etcd3({
      hosts: `https://${store.endpoint}`,
      credentials: { rootCertificate: readFileSync(join(pki, 'ca.crt')) },
      // One attempt, no retry policy: the refusal is the answer (as in the binary's test below).
      faultHandling: {
        host: () => ({ execute: (fn: any) => fn({ signal: new AbortController().signal }) }) as any,
        global: { execute: (fn: any) => fn({ signal: new AbortController().signal }) } as any,
      },
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100 },
    });
    try {
      await withCert.put('secure').value('yes');
      expect(await withCert.get('secure').string()).toBe('yes');
      await expect(withoutCert.get('secure').string()).rejects.toThrow();
    } finally {
      withCert.close();
      withoutCert.close();
      await store.close();
      rmSync(pki, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(opensslMissing !== undefined)('client TLS', () => {
  let pki: string;
  let store: ProcessTarget;

  beforeAll(async () => {
    pki = makePki();
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

describe.skipIf(opensslMissing !== undefined)('peer TLS', () => {
  let pki: string;
  let cluster: StoreClusterTarget | undefined;

  beforeAll(() => {
    pki = makePki();
  });

  afterAll(async () => {
    await cluster?.stop();
    if (pki) rmSync(pki, { recursive: true, force: true });
  });

  it('replicates between members over mutual TLS and refuses peers without a certificate', async () => {
    cluster = await startStoreCluster(3, {
      peerTls: {
        ca: join(pki, 'ca.crt'),
        cert: join(pki, 'peer.crt'),
        key: join(pki, 'peer.key'),
        clientCertAuth: true,
      },
    });
    const c = cluster;
    // Started means every member saw a leader: votes and heartbeats crossed the TLS links.
    const writer = new Etcd3({ hosts: c.members[0]!.endpoint });
    try {
      await writer.put('peer-tls').value('replicated');
    } finally {
      writer.close();
    }
    for (const m of c.members) {
      const reader = new Etcd3({ hosts: m.endpoint });
      try {
        await waitFor(`${m.name} to apply the write`, async () => {
          const r = await reader.kv.range({ key: Buffer.from('peer-tls'), serializable: true });
          return r.kvs[0]?.value.toString() === 'replicated';
        });
      } finally {
        reader.close();
      }
    }

    // The peer port speaks TLS only, and with --peer-client-cert-auth wants a client cert.
    const peerAddress = new URL(c.members[1]!.peerURL).host;
    const ca = readFileSync(join(pki, 'ca.crt'));
    /** The HTTP status of a GET /members, or the connection error's code. */
    const probe = (url: string, opts: http2.SecureClientSessionOptions): Promise<string> =>
      new Promise((resolve) => {
        const session = http2.connect(url, opts);
        let answered = false;
        const done = (what: string): void => {
          if (answered) return;
          answered = true;
          session.destroy();
          resolve(what);
        };
        session.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'error'));
        session.on('close', () => done('closed'));
        const timer = setTimeout(() => done('timeout'), 10_000);
        session.on('close', () => clearTimeout(timer));
        const req = session.request({ ':method': 'POST', ':path': '/raft/stream' });
        req.on('response', (h) => done(String(h[':status'])));
        req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'error'));
        req.on('close', () => done('closed'));
        req.end();
      });
    // Plaintext, and TLS without a client certificate: the connection itself fails.
    expect(await probe(`http://${peerAddress}`, {})).not.toMatch(/^\d+$/);
    expect(await probe(`https://${peerAddress}`, { ca })).not.toMatch(/^\d+$/);
    // With the peer certificate the request reaches the member, which refuses a stream that
    // names no cluster (412, as rafthttp answers a cluster ID mismatch).
    expect(
      await probe(`https://${peerAddress}`, {
        ca,
        key: readFileSync(join(pki, 'peer.key')),
        cert: readFileSync(join(pki, 'peer.crt')),
      }),
    ).toBe('412');
  }, 90_000);
});
