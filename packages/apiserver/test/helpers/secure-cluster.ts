/**
 * A secured in-process API server for authentication and authorization tests: real etcd, HTTPS
 * with a client CA, a token file, service-account keys, bootstrap tokens and
 * `--authorization-mode=Node,RBAC`, plus an HTTPS client that presents a certificate or token.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { createMetrics, HealthChecks } from '@kubets/component-base';
import { builtinDefinitions } from '../../src/cli/run.js';
import { startApiServer, type RunningApiServer } from '../../src/server.js';
import { versionInfo } from '../../src/version.js';
import { publicKeysFromPem } from '../../src/auth/authn/serviceaccount.js';
import { parseTokenFile } from '../../src/auth/authn/token-file.js';
import type { SecurityOptions } from '../../src/auth/security.js';
import type { EtcdProcess } from './etcd.js';
import { issue, makeCA, makeServiceAccountKey, type CertFiles } from './pki.js';

export interface Identity {
  cert?: CertFiles;
  token?: string;
}

export interface Response {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

export interface TestPki {
  dir: string;
  ca: CertFiles;
  serving: CertFiles;
  sa: { key: string; pub: string };
}

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function makeTestPki(dir: string): TestPki {
  const ca = makeCA(dir, 'ca');
  const serving = issue(dir, ca, 'apiserver', { cn: 'kube-apiserver' }, 'server');
  return { dir, ca, serving, sa: makeServiceAccountKey(dir) };
}

export async function startSecureServer(
  etcd: EtcdProcess,
  pki: TestPki,
  opts: {
    prefix: string;
    tokens?: string;
    anonymous?: boolean;
    metrics?: boolean;
    /** Serve the gRPC door too (on a free port). */
    grpc?: boolean;
  },
): Promise<RunningApiServer> {
  const tokenFile = join(pki.dir, `${opts.prefix.replace(/\W/g, '')}-tokens.csv`);
  writeFileSync(tokenFile, opts.tokens ?? '');
  const security: SecurityOptions = {
    clientCA: readFileSync(pki.ca.cert),
    tokens: parseTokenFile(readFileSync(tokenFile, 'utf8')).users,
    serviceAccounts: {
      publicKeys: publicKeysFromPem(readFileSync(pki.sa.pub, 'utf8')),
      signingKeyPem: readFileSync(pki.sa.key, 'utf8'),
      issuers: [ISSUER],
    },
    enableBootstrapTokenAuth: true,
    anonymousAuth: opts.anonymous ?? true,
    authorizationModes: ['Node', 'RBAC'],
    // Revocation is checked right after deletes: no reuse of earlier successes.
    tokenSuccessCacheTTLMs: 0,
  };
  return startApiServer({
    etcdServers: etcd.endpoint,
    etcdPrefix: opts.prefix,
    bindAddress: '127.0.0.1',
    securePort: 0,
    tls: { cert: readFileSync(pki.serving.cert), key: readFileSync(pki.serving.key) },
    definitions: builtinDefinitions(),
    version: versionInfo('0.1.0'),
    health: new HealthChecks(),
    ...(opts.metrics
      ? {
          metrics: createMetrics({
            component: 'kubets-apiserver',
            version: '0.1.0',
            defaultMetrics: false,
          }),
        }
      : {}),
    compactionIntervalMs: 0,
    serviceClusterIPRange: '10.96.0.0/24',
    serviceNodePortRange: '30000-30010',
    security,
    ...(opts.grpc ? { grpcPort: 0 } : {}),
  });
}

/** One HTTPS request as `who` (certificate and/or bearer token, or nobody). */
export function call(
  server: RunningApiServer,
  pki: TestPki,
  who: Identity | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string | string[]> = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        ca: readFileSync(pki.ca.cert),
        ...(who?.cert
          ? { cert: readFileSync(who.cert.cert), key: readFileSync(who.cert.key) }
          : {}),
        headers: {
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
          ...(who?.token ? { Authorization: `Bearer ${who.token}` } : {}),
          ...headers,
        },
        agent: false,
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON (health endpoints)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}
