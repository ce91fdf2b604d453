/**
 * The gRPC door behind the same security chain as REST, on a secured server (client CA, token
 * file, Node,RBAC) on real etcd: unknown tokens are UNAUTHENTICATED, anonymous callers and users
 * without a role are PERMISSION_DENIED with upstream's Forbidden Status, RBAC writes run as the
 * caller (escalation prevention sees who asks), and a refused write stores nothing.
 */
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApiServer } from '../src/server.js';
import { etcdMissingReason, startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { call, failure, json, resourcesClient } from './helpers/grpc.js';
import { OPENSSL } from './helpers/pki.js';
import { makeTestPki, startSecureServer, type TestPki } from './helpers/secure-cluster.js';
import type { ResourcesClient } from '@kubets/api/grpc';

const skip = etcdMissingReason() ?? (OPENSSL ? undefined : 'openssl not found');
if (skip) console.warn(`skipping gRPC security tests: ${skip}`);

const TOKENS = ['admin-token,admin,1,"system:masters"', 'dev-token,dev,2,""'].join('\n');

const ROLES = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles' };
const BINDINGS = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };

function as(token: string | undefined): Metadata {
  const md = new Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return md;
}

const role = (name: string, rules: unknown[]): object => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name, namespace: 'default' },
  rules,
});

describe.skipIf(skip)('gRPC door security', () => {
  let dir: string;
  let pki: TestPki;
  let etcd: EtcdProcess;
  let server: RunningApiServer;
  let client: ResourcesClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-grpc-sec-'));
    pki = makeTestPki(dir);
    etcd = await startEtcd();
    server = await startSecureServer(etcd, pki, { prefix: '/grpcsec', tokens: TOKENS, grpc: true });
    client = resourcesClient(
      server.grpcAddress!,
      credentials.createSsl(readFileSync(pki.ca.cert)),
      {},
    );
    // dev may write Roles in default (and nothing else): enough to test escalation prevention.
    await call(
      client,
      'Create',
      {
        ref: { ...ROLES, namespace: 'default' },
        object: json(
          role('role-writer', [
            { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create'] },
          ]),
        ),
      },
      as('admin-token'),
    );
    await call(
      client,
      'Create',
      {
        ref: { ...BINDINGS, namespace: 'default' },
        object: json({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'dev-writes-roles', namespace: 'default' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'role-writer' },
          subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'dev' }],
        }),
      },
      as('admin-token'),
    );
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await server?.close();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unknown token with UNAUTHENTICATED and anonymous callers with PERMISSION_DENIED', async () => {
    const bad = await failure(
      call(client, 'List', { ref: { ...SECRETS, namespace: 'default' } }, as('nope')),
    );
    expect(bad.code).toBe(status.UNAUTHENTICATED);
    expect(bad.status).toMatchObject({ code: 401, reason: 'Unauthorized' });
    const anon = await failure(
      call(client, 'List', { ref: { ...SECRETS, namespace: 'default' } }, as(undefined)),
    );
    expect(anon.code).toBe(status.PERMISSION_DENIED);
    expect(anon.status?.message).toBe(
      'secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" in the namespace "default"',
    );
  });

  it('lets RBAC decide per user, and a refused create stores nothing', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' } };
    const denied = await failure(
      call(
        client,
        'Create',
        { ref: { ...SECRETS, namespace: 'default' }, object: json(secret) },
        as('dev-token'),
      ),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    const get = await failure(
      call(
        client,
        'Get',
        { ref: { ...SECRETS, namespace: 'default', name: 's1' } },
        as('admin-token'),
      ),
    );
    expect(get.code).toBe(status.NOT_FOUND);
  });

  it('runs RBAC writes as the caller: within its permissions allowed, beyond them refused', async () => {
    const ref = { ...ROLES, namespace: 'default' };
    const within = role('also-writes-roles', [
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create'] },
    ]);
    await call(client, 'Create', { ref, object: json(within) }, as('dev-token'));

    const beyond = role('reads-secrets', [
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    const refused = await failure(
      call(client, 'Create', { ref, object: json(beyond) }, as('dev-token')),
    );
    expect(refused.code).toBe(status.PERMISSION_DENIED);
    expect(refused.status?.message).toContain(
      'is attempting to grant RBAC permissions not currently held',
    );
    const stored = await failure(
      call(client, 'Get', { ref: { ...ref, name: 'reads-secrets' } }, as('admin-token')),
    );
    expect(stored.code).toBe(status.NOT_FOUND);
  });
});
