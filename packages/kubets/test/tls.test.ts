/**
 * The real thing: certificates from `kubets pki init` used over real TLS.
 *
 * A `node:https` server on 127.0.0.1 serves with apiserver.crt/key and asks for client
 * certificates against ca.crt, as kube-apiserver does with `--client-ca-file`: a connection
 * without a valid certificate is still accepted (another authenticator may take it), and the
 * request handler authenticates the peer certificate with this package's x509 authenticator.
 * OpenSSL's own verdict (`socket.authorized`) is recorded next to ours, so every case also
 * cross-checks the library against OpenSSL. Then:
 *  1. Node's https client with the admin certificate from admin.conf is admin/system:masters;
 *     no certificate, another CA's certificate, or a serving certificate are refused;
 *  2. real kubectl with admin.conf (only the server URL rewritten to the test port):
 *     `kubectl get --raw /version` succeeds, proving kubectl accepts the CA, the SANs and the
 *     client certificate; with another cluster's CA data kubectl refuses the server;
 *  3. `openssl verify` checks chains and purposes.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseCertificate } from '../src/pki/pem.js';
import { authenticateClientCertificate } from '../src/pki/verify.js';
import { x509 } from '../src/pki/x509.js';
import { makeTempDir, testCli } from './helpers.js';

const VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' };

function toolPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}
const kubectl = toolPath('kubectl');
const openssl = toolPath('openssl');
if (kubectl === undefined)
  console.log('tls.test: kubectl not found on PATH, skipping the kubectl test');
if (openssl === undefined)
  console.log('tls.test: openssl not found on PATH, skipping openssl verify');

interface Seen {
  /** OpenSSL's verdict on the client certificate and its error code. */
  opensslAuthorized: boolean;
  opensslError: string | undefined;
  /** This package's verdict. */
  user: { name: string; groups: string[] } | undefined;
  reason: string | undefined;
  userAgent: string;
}

let dir: string;
let otherDir: string;
let remove: (() => Promise<void>) | undefined;
let server: Server | undefined;
let port: number;
const seen: Seen[] = [];

const read = (name: string, base = dir) => readFile(join(base, name), 'utf8');

beforeAll(async () => {
  const temp = await makeTempDir('kubets-tls-');
  remove = temp.remove;
  dir = join(temp.dir, 'pki');
  otherDir = join(temp.dir, 'other');
  const cli = testCli({ now: new Date() }); // the real clock: kubectl and OpenSSL check validity
  expect((await cli.run('pki', 'init', `--dir=${dir}`, '--node-name=node1')).code).toBe(0);
  expect((await cli.run('pki', 'init', `--dir=${otherDir}`, '--node-name=node1')).code).toBe(0);

  const clientCas = [parseCertificate(await read('ca.crt'))];
  server = createServer(
    {
      key: await read('apiserver.key'),
      cert: await read('apiserver.crt'),
      ca: await read('ca.crt'),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate(false) as { raw?: Buffer };
      const presented = peer.raw === undefined ? [] : [new x509.X509Certificate(peer.raw)];
      authenticateClientCertificate(presented, clientCas, new Date())
        .then((result) => {
          seen.push({
            opensslAuthorized: socket.authorized,
            opensslError: socket.authorizationError?.toString(),
            user: result.authenticated ? result.user : undefined,
            reason: result.authenticated ? undefined : result.reason,
            userAgent: req.headers['user-agent'] ?? '',
          });
          if (!result.authenticated) {
            res.writeHead(401, { 'content-type': 'application/json' });
            res.end(
              JSON.stringify({
                kind: 'Status',
                status: 'Failure',
                reason: 'Unauthorized',
                code: 401,
              }),
            );
            return;
          }
          // kubectl adds ?timeout=... from --request-timeout.
          if (new URL(req.url ?? '/', 'https://127.0.0.1').pathname !== '/version') {
            res.writeHead(404).end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(VERSION));
        })
        .catch((err: unknown) => res.writeHead(500).end(String(err)));
    },
  );
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 30_000);

afterAll(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  }
  await remove?.();
});

async function credentials(file: string, base = dir): Promise<{ cert: string; key: string }> {
  const user = parse(await read(file, base)).users[0].user;
  return {
    cert: Buffer.from(user['client-certificate-data'], 'base64').toString(),
    key: Buffer.from(user['client-key-data'], 'base64').toString(),
  };
}

function get(options: {
  cert?: string;
  key?: string;
  ca: string;
  servername?: string;
}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/version', ...options }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends one request and returns what the server concluded about its client certificate. */
async function authenticateOnce(
  options: Parameters<typeof get>[0],
): Promise<{ status: number; seen: Seen }> {
  seen.length = 0;
  const status = await get(options);
  expect(seen).toHaveLength(1);
  return { status, seen: seen[0]! };
}

describe('mutual TLS with the generated PKI', () => {
  it("authenticates node's https client with admin.conf's certificate as admin / system:masters", async () => {
    const result = await authenticateOnce({
      ...(await credentials('admin.conf')),
      ca: await read('ca.crt'),
    });
    expect(result).toEqual({
      status: 200,
      seen: {
        opensslAuthorized: true,
        opensslError: undefined,
        user: { name: 'admin', groups: ['system:masters'] },
        reason: undefined,
        userAgent: '',
      },
    });
  });

  it('authenticates the node and controller identities from their kubeconfigs', async () => {
    const ca = await read('ca.crt');
    const node = await authenticateOnce({ ...(await credentials('kubelet.conf')), ca });
    expect(node.seen.user).toEqual({ name: 'system:node:node1', groups: ['system:nodes'] });
    const scheduler = await authenticateOnce({ ...(await credentials('scheduler.conf')), ca });
    expect(scheduler.seen.user).toEqual({ name: 'system:kube-scheduler', groups: [] });
  });

  it('refuses what OpenSSL refuses: no certificate, another CA, a serving certificate', async () => {
    const ca = await read('ca.crt');
    const none = await authenticateOnce({ ca });
    expect(none.status).toBe(401);
    expect(none.seen).toMatchObject({
      opensslAuthorized: false,
      reason: 'no client certificate presented',
    });

    const foreign = await authenticateOnce({ ...(await credentials('admin.conf', otherDir)), ca });
    expect(foreign.status).toBe(401);
    expect(foreign.seen.opensslAuthorized).toBe(false);
    expect(foreign.seen.reason).toMatch(/is not signed by the key of "CN=kubernetes"/);

    const serving = await authenticateOnce({
      cert: await read('apiserver.crt'),
      key: await read('apiserver.key'),
      ca,
    });
    expect(serving.status).toBe(401);
    expect(serving.seen).toMatchObject({
      opensslAuthorized: false,
      opensslError: 'INVALID_PURPOSE',
    });
    expect(serving.seen.reason).toMatch(
      /incompatible key usage \(has serverAuth, needs clientAuth\)/,
    );
  });

  it('is verified by SAN: 127.0.0.1 and kubernetes.default.svc pass, other names and CAs fail', async () => {
    const admin = await credentials('admin.conf');
    const ca = await read('ca.crt');
    expect(await get({ ...admin, ca, servername: 'kubernetes.default.svc' })).toBe(200);
    await expect(get({ ...admin, ca, servername: 'evil.example.com' })).rejects.toThrow(
      /Hostname\/IP does not match certificate's altnames/,
    );
    await expect(get({ ...admin, ca: await read('ca.crt', otherDir) })).rejects.toThrow(
      /unable to verify|self[- ]signed/i,
    );
  });

  it.skipIf(kubectl === undefined)(
    'serves real kubectl using admin.conf unchanged but for the port',
    async () => {
      const config = parse(await read('admin.conf'));
      expect(config.clusters[0].cluster.server).toBe('https://127.0.0.1:6443');
      config.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
      const kubeconfig = join(dir, 'kubectl-test.conf');
      await writeFile(kubeconfig, stringify(config), { mode: 0o600 });

      seen.length = 0;
      const ok = await runKubectl(['--kubeconfig', kubeconfig, 'get', '--raw', '/version']);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual(VERSION);
      // Every request came in as admin. The image's kubectl may be a dispatcher that first asks
      // /version itself to pick a version, then runs the real kubectl/v1.x binary.
      expect(seen.length).toBeGreaterThanOrEqual(1);
      for (const request of seen) {
        expect(request).toMatchObject({
          opensslAuthorized: true,
          user: { name: 'admin', groups: ['system:masters'] },
        });
      }
      expect(seen.some((request) => /^kubectl\/v1\./.test(request.userAgent))).toBe(true);

      // The same kubeconfig with another cluster's CA: kubectl must refuse the server.
      config.clusters[0].cluster['certificate-authority-data'] = Buffer.from(
        await read('ca.crt', otherDir),
      ).toString('base64');
      await writeFile(kubeconfig, stringify(config), { mode: 0o600 });
      const refused = await runKubectl(['--kubeconfig', kubeconfig, 'get', '--raw', '/version']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/certificate signed by unknown authority/);
    },
    40_000,
  );

  it.skipIf(openssl === undefined)('passes openssl verify with the right purposes', () => {
    const verify = (...args: string[]) =>
      spawnSync(openssl as string, ['verify', ...args], { cwd: dir, encoding: 'utf8' });
    const ok = verify('-CAfile', 'ca.crt', 'apiserver.crt');
    expect(ok.stdout).toBe('apiserver.crt: OK\n');
    expect(ok.status).toBe(0);
    expect(verify('-CAfile', 'ca.crt', '-purpose', 'sslserver', 'apiserver.crt').status).toBe(0);
    expect(
      verify('-CAfile', 'ca.crt', '-purpose', 'sslclient', 'apiserver-kubelet-client.crt').status,
    ).toBe(0);
    expect(
      verify('-CAfile', 'front-proxy-ca.crt', '-purpose', 'sslclient', 'front-proxy-client.crt')
        .status,
    ).toBe(0);
    expect(
      verify('-CAfile', 'etcd/ca.crt', '-purpose', 'sslserver', 'etcd/server.crt').status,
    ).toBe(0);
    expect(verify('-CAfile', 'etcd/ca.crt', '-purpose', 'sslclient', 'etcd/peer.crt').status).toBe(
      0,
    );
    expect(
      verify('-CAfile', 'etcd/ca.crt', '-purpose', 'sslclient', 'apiserver-etcd-client.crt').status,
    ).toBe(0);
    // Negative controls: wrong purpose, wrong CA.
    expect(verify('-CAfile', 'ca.crt', '-purpose', 'sslclient', 'apiserver.crt').status).not.toBe(
      0,
    );
    expect(verify('-CAfile', 'ca.crt', 'etcd/server.crt').status).not.toBe(0);
  });
});

function runKubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      kubectl as string,
      [...args, '--cache-dir', join(dir, '.kube-cache'), '--request-timeout=10s'],
      { env: { PATH: process.env.PATH, HOME: dir }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
