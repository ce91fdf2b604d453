/**
 * Authentication and authorization end to end: a secured API server (HTTPS, client CA, token
 * file, service-account keys, bootstrap tokens, --authorization-mode=Node,RBAC) on real etcd,
 * driven by real HTTPS clients with certificates and tokens and by real kubectl (`auth can-i
 * --as`, `--list`, `whoami`, `create token`, `create role`). Every refused write is checked to
 * have written nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApiServer } from '../src/server.js';
import { etcdMissingReason, startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { KUBECTL } from './helpers/kubectl.js';
import { issue, makeCA, OPENSSL, writeKubeconfig, type CertFiles } from './helpers/pki.js';
import {
  call,
  ISSUER,
  makeTestPki,
  startSecureServer,
  type Identity,
  type TestPki,
} from './helpers/secure-cluster.js';

const skip =
  etcdMissingReason() ??
  (OPENSSL ? undefined : 'openssl not found') ??
  (KUBECTL ? undefined : 'kubectl not found');
if (skip) console.warn(`skipping authentication/authorization tests: ${skip}`);

const TOKENS = [
  'alice-token,alice,uid-alice,"dev,qa"',
  'carol-token,carol,uid-carol',
  'dave-token,dave,uid-dave,auditors',
].join('\n');

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

describe.skipIf(skip)('authentication and authorization', () => {
  let dir: string;
  let pki: TestPki;
  let etcd: EtcdProcess;
  let server: RunningApiServer;
  let anonOff: RunningApiServer;
  const id: Record<string, Identity> = {};
  let evil: CertFiles;

  const as = (
    who: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string | string[]>,
  ) => call(server, pki, who ? id[who] : undefined, method, path, body, headers);

  async function kubectl(
    kubeconfig: string,
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        KUBECTL!,
        [`--kubeconfig=${kubeconfig}`, `--cache-dir=${join(dir, 'kcache')}`, ...args],
        { timeout: 30_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }
  const kubeconfigs: Record<string, string> = {};

  async function admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const r = await as('admin', method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  }

  async function exists(path: string): Promise<boolean> {
    const r = await as('admin', 'GET', path);
    if (r.status !== 200 && r.status !== 404) throw new Error(`GET ${path}: ${r.status}`);
    return r.status === 200;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-auth-'));
    pki = makeTestPki(dir);
    id.admin = {
      cert: issue(dir, pki.ca, 'admin', { cn: 'kubernetes-admin', orgs: ['system:masters'] }),
    };
    id.bob = { cert: issue(dir, pki.ca, 'bob', { cn: 'bob' }) };
    id.n1 = { cert: issue(dir, pki.ca, 'n1', { cn: 'system:node:n1', orgs: ['system:nodes'] }) };
    id.alice = { token: 'alice-token' };
    id.carol = { token: 'carol-token' };
    id.dave = { token: 'dave-token' };
    const evilCA = makeCA(dir, 'evil-ca');
    evil = issue(dir, evilCA, 'evil-admin', { cn: 'kubernetes-admin', orgs: ['system:masters'] });
    id.evil = { cert: evil };
    etcd = await startEtcd();
    server = await startSecureServer(etcd, pki, {
      prefix: '/secure',
      tokens: TOKENS,
      metrics: true,
    });
    anonOff = await startSecureServer(etcd, pki, { prefix: '/anonoff', anonymous: false });
    for (const [name, who] of Object.entries(id)) {
      kubeconfigs[name] = writeKubeconfig(
        join(dir, `${name}.kubeconfig`),
        server.url,
        pki.ca.cert,
        who,
      );
    }

    await admin('POST', '/api/v1/namespaces', { metadata: { name: 'team' } });
    const crb = (name: string, role: string, subjects: unknown[]) =>
      admin('POST', `${RBAC}/clusterrolebindings`, {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects,
      });
    const rb = (name: string, kind: string, role: string, subjects: unknown[]) =>
      admin('POST', `${RBAC}/namespaces/team/rolebindings`, {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role },
        subjects,
      });
    const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
    await crb('bob-view', 'view', [user('bob')]);
    await crb('auditors-view', 'view', [
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'auditors' },
    ]);
    await rb('alice-edit', 'ClusterRole', 'edit', [user('alice')]);
    await rb('builder-view', 'ClusterRole', 'view', [{ kind: 'ServiceAccount', name: 'builder' }]);
    await admin('POST', `${RBAC}/namespaces/team/roles`, {
      metadata: { name: 'rbac-writer' },
      rules: [
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['roles', 'rolebindings'],
          verbs: ['create', 'get', 'list', 'patch'],
        },
      ],
    });
    await rb('carol-rbac', 'Role', 'rbac-writer', [user('carol')]);
    await admin('POST', `${RBAC}/clusterroles`, {
      metadata: { name: 'bind-view' },
      rules: [
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['clusterroles'],
          verbs: ['bind'],
          resourceNames: ['view'],
        },
      ],
    });
    await rb('carol-bind-view', 'ClusterRole', 'bind-view', [user('carol')]);
    await admin('POST', '/api/v1/namespaces/team/serviceaccounts', {
      metadata: { name: 'builder' },
    });
    for (const n of ['n1', 'n2']) await admin('POST', '/api/v1/nodes', { metadata: { name: n } });
    for (const s of ['s1', 's2']) {
      await admin('POST', '/api/v1/namespaces/team/secrets', {
        metadata: { name: s },
        data: { k: 'dg==' },
      });
    }
    await admin('POST', '/api/v1/namespaces/team/configmaps', {
      metadata: { name: 'c1' },
      data: { a: 'b' },
    });
    await admin('POST', '/api/v1/namespaces/team/pods', {
      metadata: { name: 'p1' },
      spec: {
        nodeName: 'n1',
        containers: [{ name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: 'c1' } }] }],
        volumes: [{ name: 'v', secret: { secretName: 's1' } }],
      },
    });
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    await anonOff?.close();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // ---------------------------------------------------------------------------------------------
  // The matrix: [who, impersonation for kubectl, verb, resource (group-qualified), namespace, name, allowed]
  type Row = [string, string[], string, string, string, string, boolean];
  const SA = ['--as=system:serviceaccount:team:builder'];
  const MATRIX: Row[] = [
    [
      'admin',
      ['--as=kubernetes-admin', '--as-group=system:masters'],
      'delete',
      'nodes',
      '',
      '',
      true,
    ],
    ['bob', ['--as=bob'], 'list', 'pods', 'team', '', true],
    ['bob', ['--as=bob'], 'list', 'pods', 'default', '', true],
    ['bob', ['--as=bob'], 'get', 'secrets', 'team', 's1', false],
    ['bob', ['--as=bob'], 'create', 'deployments.apps', 'team', '', false],
    ['bob', ['--as=bob'], 'list', 'nodes', '', '', false],
    [
      'alice',
      ['--as=alice', '--as-group=dev', '--as-group=qa'],
      'create',
      'deployments.apps',
      'team',
      '',
      true,
    ],
    ['alice', ['--as=alice'], 'get', 'secrets', 'team', 's1', true],
    ['alice', ['--as=alice'], 'create', 'deployments.apps', 'default', '', false],
    ['alice', ['--as=alice'], 'create', 'roles.rbac.authorization.k8s.io', 'team', '', false],
    ['alice', ['--as=alice'], 'update', 'deployments.apps/scale', 'team', 'web', true],
    ['dave', ['--as=dave', '--as-group=auditors'], 'list', 'pods', 'default', '', true],
    ['dave', ['--as=dave'], 'list', 'pods', 'default', '', false],
    ['builder', SA, 'list', 'pods', 'team', '', true],
    ['builder', SA, 'list', 'pods', 'default', '', false],
    ['builder', SA, 'get', 'secrets', 'team', 's1', false],
    ['carol', ['--as=carol'], 'create', 'roles.rbac.authorization.k8s.io', 'team', '', true],
    ['carol', ['--as=carol'], 'list', 'pods', 'team', '', false],
    [
      'n1',
      ['--as=system:node:n1', '--as-group=system:nodes'],
      'get',
      'secrets',
      'team',
      's1',
      true,
    ],
    [
      'n1',
      ['--as=system:node:n1', '--as-group=system:nodes'],
      'get',
      'secrets',
      'team',
      's2',
      false,
    ],
    [
      'n1',
      ['--as=system:node:n1', '--as-group=system:nodes'],
      'list',
      'secrets',
      'team',
      '',
      false,
    ],
    ['n1', ['--as=system:node:n1', '--as-group=system:nodes'], 'patch', 'nodes', '', 'n2', false],
    ['n1', ['--as=system:node:n1', '--as-group=system:nodes'], 'patch', 'nodes', '', 'n1', true],
  ];

  function resourceAttributes(row: Row): Record<string, string> {
    const [, , verb, qualified, ns, name] = row;
    const [resourcePart, sub = ''] = qualified.split('/');
    const dot = resourcePart!.indexOf('.');
    const resource = dot < 0 ? resourcePart! : resourcePart!.slice(0, dot);
    const group = dot < 0 ? '' : resourcePart!.slice(dot + 1);
    return { verb, resource, group, namespace: ns, name, subresource: sub };
  }

  it("answers the matrix through SubjectAccessReview and the subjects' own SelfSubjectAccessReviews", async () => {
    for (const row of MATRIX) {
      const [who, impersonation, , , , , allowed] = row;
      const ra = resourceAttributes(row);
      const user = impersonation.find((a) => a.startsWith('--as='))!.slice(5);
      const groups =
        who === 'builder'
          ? ['system:serviceaccounts', 'system:serviceaccounts:team']
          : impersonation.filter((a) => a.startsWith('--as-group=')).map((a) => a.slice(11));
      const sar = await admin('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        spec: { resourceAttributes: ra, user, groups },
      });
      expect((sar.status as { allowed: boolean }).allowed, `SAR ${JSON.stringify(row)}`).toBe(
        allowed,
      );
      // The subject asks itself with its own credentials (dave without his group: SAR only).
      if (!id[who] || (who === 'dave' && groups.length === 0)) continue;
      const self = await as(who, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        spec: { resourceAttributes: ra },
      });
      expect(self.status).toBe(201);
      expect(
        (self.body.status as { allowed: boolean }).allowed,
        `SSAR ${JSON.stringify(row)}`,
      ).toBe(allowed);
    }
  });

  it('answers the matrix through real kubectl auth can-i --as', async () => {
    const results = await Promise.all(
      MATRIX.map(async (row) => {
        const [, impersonation, verb, resource, ns, name] = row;
        const target = name ? `${resource}/${name}` : resource;
        const r = await kubectl(kubeconfigs.admin!, [
          'auth',
          'can-i',
          verb,
          target,
          ...(ns ? ['-n', ns] : []),
          ...impersonation,
        ]);
        return { row, answer: r.stdout.trim().split('\n')[0], code: r.code, stderr: r.stderr };
      }),
    );
    for (const { row, answer, code, stderr } of results) {
      // `no` may carry the authorizer's reason: `no - no relationship found between node ...`.
      expect(answer?.split(' - ')[0], `kubectl can-i ${JSON.stringify(row)}: ${stderr}`).toBe(
        row[6] ? 'yes' : 'no',
      );
      expect(code).toBe(row[6] ? 0 : 1);
    }
  });

  it('enforces the matrix on real requests of read verbs, and on dry-run writes', async () => {
    const paths: [string, string, string, unknown, boolean][] = [
      ['bob', 'GET', '/api/v1/namespaces/team/pods', undefined, true],
      ['bob', 'GET', '/api/v1/namespaces/team/secrets/s1', undefined, false],
      [
        'bob',
        'POST',
        '/apis/apps/v1/namespaces/team/deployments?dryRun=All',
        deployment('d1'),
        false,
      ],
      [
        'alice',
        'POST',
        '/apis/apps/v1/namespaces/team/deployments?dryRun=All',
        deployment('d1'),
        true,
      ],
      [
        'alice',
        'POST',
        '/apis/apps/v1/namespaces/default/deployments?dryRun=All',
        deployment('d1'),
        false,
      ],
      ['alice', 'GET', '/api/v1/namespaces/team/secrets/s1', undefined, true],
      ['dave', 'GET', '/api/v1/namespaces/default/pods', undefined, true],
      ['carol', 'GET', '/api/v1/namespaces/team/pods', undefined, false],
      ['n1', 'GET', '/api/v1/namespaces/team/secrets/s1', undefined, true],
      ['n1', 'GET', '/api/v1/namespaces/team/configmaps/c1', undefined, true],
      ['n1', 'GET', '/api/v1/nodes', undefined, true],
    ];
    for (const [who, method, path, body, allowed] of paths) {
      const r = await as(who, method, path, body);
      expect(r.status, `${who} ${method} ${path}: ${r.text}`).toBe(
        allowed ? (method === 'POST' ? 201 : 200) : 403,
      );
    }
    expect(await exists('/apis/apps/v1/namespaces/team/deployments/d1')).toBe(false);
  });

  it("answers Forbidden with upstream's message and writes nothing when reading or writing without permission", async () => {
    const read = await as('bob', 'GET', '/api/v1/namespaces/team/secrets/s1');
    expect(read.status).toBe(403);
    expect(read.body).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message:
        'secrets "s1" is forbidden: User "bob" cannot get resource "secrets" in API group "" in the namespace "team"',
      details: { name: 's1', kind: 'secrets' },
    });
    const write = await as('bob', 'POST', '/api/v1/namespaces/team/configmaps', {
      metadata: { name: 'bob-cm' },
    });
    expect(write.status).toBe(403);
    expect(write.body.message).toBe(
      'configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "team"',
    );
    expect(await exists('/api/v1/namespaces/team/configmaps/bob-cm')).toBe(false);
    const cluster = await as('bob', 'GET', '/api/v1/nodes');
    expect(cluster.body.message).toBe(
      'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    const metrics = await as('bob', 'GET', '/metrics');
    expect(metrics.status).toBe(403);
    expect(metrics.body.message).toBe('forbidden: User "bob" cannot get path "/metrics"');
  });

  it('prevents RBAC escalation: no role with more than the creator holds, no binding of a role without holding it or bind', async () => {
    const role = await as('carol', 'POST', `${RBAC}/namespaces/team/roles`, {
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    });
    expect(role.status).toBe(403);
    expect(role.body.message).toBe(
      'roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}',
    );
    expect(await exists(`${RBAC}/namespaces/team/roles/secret-reader`)).toBe(false);

    const toAdmin = await as('carol', 'POST', `${RBAC}/namespaces/team/rolebindings`, {
      metadata: { name: 'carol-admin' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'carol' }],
    });
    expect(toAdmin.status).toBe(403);
    expect(toAdmin.body.message).toContain(
      'rolebindings.rbac.authorization.k8s.io "carol-admin" is forbidden: user "carol"',
    );
    expect(await exists(`${RBAC}/namespaces/team/rolebindings/carol-admin`)).toBe(false);

    // `bind` on view lets carol bind view without holding its permissions.
    const viaBind = await as('carol', 'POST', `${RBAC}/namespaces/team/rolebindings`, {
      metadata: { name: 'carol-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'carol' }],
    });
    expect(viaBind.status).toBe(201);
    // A role within what carol holds is fine.
    const within = await as('carol', 'POST', `${RBAC}/namespaces/team/roles`, {
      metadata: { name: 'role-maker' },
      rules: [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create'] },
      ],
    });
    expect(within.status).toBe(201);

    // Real kubectl shows the refusal.
    const k = await kubectl(kubeconfigs.carol!, [
      'create',
      'role',
      'sneaky',
      '-n',
      'team',
      '--verb=delete',
      '--resource=nodes',
    ]);
    expect(k.code).not.toBe(0);
    expect(k.stderr).toContain('is attempting to grant RBAC permissions not currently held');
    expect(await exists(`${RBAC}/namespaces/team/roles/sneaky`)).toBe(false);
    const b = await kubectl(kubeconfigs.carol!, [
      'create',
      'rolebinding',
      'carol-edit',
      '-n',
      'team',
      '--clusterrole=edit',
      '--user=carol',
    ]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain(
      'rolebindings.rbac.authorization.k8s.io "carol-edit" is forbidden: user "carol"',
    );
    expect(await exists(`${RBAC}/namespaces/team/rolebindings/carol-edit`)).toBe(false);
    // The same through kubectl with bind permission succeeds (a protobuf RoleBinding).
    const ok = await kubectl(kubeconfigs.carol!, [
      'create',
      'rolebinding',
      'carol-view2',
      '-n',
      'team',
      '--clusterrole=view',
      '--user=carol',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const stored = await admin('GET', `${RBAC}/namespaces/team/rolebindings/carol-view2`);
    expect(stored.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'view',
    });
    expect(stored.subjects).toEqual([
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'carol' },
    ]);
  });

  it('applies RBAC changes at once: cached decisions are dropped, and patches cannot escalate', async () => {
    const team = '/api/v1/namespaces/team/configmaps';
    expect((await as('dave', 'GET', team)).status).toBe(200);
    await admin('DELETE', `${RBAC}/clusterrolebindings/auditors-view`);
    await until(async () => (await as('dave', 'GET', team)).status === 403);
    await admin('POST', `${RBAC}/clusterrolebindings`, {
      metadata: { name: 'auditors-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'auditors' }],
    });
    await until(async () => (await as('dave', 'GET', team)).status === 200);

    // carol may create roles, but a merge patch that adds rules she lacks is refused like a create.
    const path = `${RBAC}/namespaces/team/roles/role-maker`;
    const before = await admin('GET', path);
    const patched = await as(
      'carol',
      'PATCH',
      path,
      { rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }] },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    expect(patched.status).toBe(403);
    expect(patched.body.message).toContain(
      'is attempting to grant RBAC permissions not currently held',
    );
    expect((await admin('GET', path)).rules).toEqual(before.rules);
  });

  it('aggregates a ClusterRole labelled for view into view, edit and admin, and drops it again', async () => {
    await admin('POST', `${RBAC}/clusterroles`, {
      metadata: {
        name: 'priorityclasses-view',
        labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
      },
      rules: [
        {
          apiGroups: ['scheduling.k8s.io'],
          resources: ['priorityclasses'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    });
    const hasAggregated = async (role: string) =>
      JSON.stringify((await admin('GET', `${RBAC}/clusterroles/${role}`)).rules).includes(
        'priorityclasses',
      );
    await until(
      async () =>
        (await hasAggregated('view')) &&
        (await hasAggregated('edit')) &&
        (await hasAggregated('admin')),
    );
    const bob = await kubectl(kubeconfigs.admin!, [
      'auth',
      'can-i',
      'list',
      'priorityclasses.scheduling.k8s.io',
      '--as=bob',
    ]);
    expect(bob.stdout.trim().split('\n')[0], bob.stderr).toBe('yes');
    const alice = await as(
      'alice',
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        spec: {
          resourceAttributes: {
            verb: 'list',
            group: 'scheduling.k8s.io',
            resource: 'priorityclasses',
            namespace: 'team',
          },
        },
      },
    );
    expect((alice.body.status as { allowed: boolean }).allowed).toBe(true);
    await admin('DELETE', `${RBAC}/clusterroles/priorityclasses-view`);
    await until(async () => !(await hasAggregated('view')));
    const after = await kubectl(kubeconfigs.admin!, [
      'auth',
      'can-i',
      'list',
      'priorityclasses.scheduling.k8s.io',
      '--as=bob',
    ]);
    expect(after.stdout.trim().split('\n')[0]).toBe('no');
  });

  it('lists the rules of a user with kubectl auth can-i --list --as, and whoami shows the user', async () => {
    const list = await kubectl(kubeconfigs.admin!, [
      'auth',
      'can-i',
      '--list',
      '-n',
      'team',
      '--as=bob',
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]/m);
    expect(list.stdout).toMatch(
      /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/,
    );
    expect(list.stdout).not.toMatch(/^secrets\s/m);
    const healthz = await kubectl(kubeconfigs.admin!, [
      'auth',
      'can-i',
      'get',
      '/healthz',
      '--as=bob',
    ]);
    expect(healthz.stdout.trim()).toBe('yes');
    const metrics = await kubectl(kubeconfigs.admin!, [
      'auth',
      'can-i',
      'get',
      '/metrics',
      '--as=bob',
    ]);
    expect(metrics.stdout.trim()).toBe('no');
    const whoami = await kubectl(kubeconfigs.alice!, ['auth', 'whoami', '-o', 'json']);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout).status.userInfo).toEqual({
      username: 'alice',
      uid: 'uid-alice',
      groups: ['dev', 'qa', 'system:authenticated'],
    });
  });

  it('reconciles the namespaced bootstrap roles (leader locking in kube-system)', async () => {
    expect(
      await exists(`${RBAC}/namespaces/kube-system/roles/system::leader-locking-kube-scheduler`),
    ).toBe(true);
    const r = await kubectl(kubeconfigs.admin!, [
      'auth',
      'can-i',
      'update',
      'configmaps/kube-scheduler',
      '-n',
      'kube-system',
      '--as=system:kube-scheduler',
    ]);
    expect(r.stdout.trim()).toBe('yes');
  });

  it('lists the review APIs and serviceaccounts/token in discovery', async () => {
    const k = await kubectl(kubeconfigs.admin!, [
      'api-resources',
      '--api-group=authorization.k8s.io',
      '-o',
      'name',
    ]);
    expect(k.stdout.trim().split('\n')).toEqual([
      'localsubjectaccessreviews.authorization.k8s.io',
      'selfsubjectaccessreviews.authorization.k8s.io',
      'selfsubjectrulesreviews.authorization.k8s.io',
      'subjectaccessreviews.authorization.k8s.io',
    ]);
    const core = await admin('GET', '/api/v1');
    expect(core.resources).toContainEqual({
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      kind: 'TokenRequest',
      verbs: ['create'],
      group: 'authentication.k8s.io',
      version: 'v1',
    });
    const authn = await admin('GET', '/apis/authentication.k8s.io/v1');
    expect((authn.resources as { name: string }[]).map((r) => r.name)).toEqual([
      'selfsubjectreviews',
      'tokenreviews',
    ]);
  });

  it('impersonates only with the impersonate verb', async () => {
    const asBob = await as('admin', 'GET', '/api/v1/namespaces/team/secrets/s1', undefined, {
      'Impersonate-User': 'bob',
    });
    expect(asBob.status).toBe(403);
    expect(asBob.body.message).toContain('User "bob" cannot get resource "secrets"');
    const bobAsAlice = await as('bob', 'GET', '/api/v1/namespaces/team/secrets/s1', undefined, {
      'Impersonate-User': 'alice',
    });
    expect(bobAsAlice.status).toBe(403);
    expect(bobAsAlice.body.message).toBe(
      'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    // edit holds impersonate on serviceaccounts: alice may act as the team's builder.
    const aliceAsSA = await as('alice', 'GET', '/api/v1/namespaces/team/pods', undefined, {
      'Impersonate-User': 'system:serviceaccount:team:builder',
    });
    expect(aliceAsSA.status).toBe(200);
  });

  it('refuses requests without credentials as anonymous (403) and with --anonymous-auth=false (401); public info stays open', async () => {
    expect((await as(undefined, 'GET', '/healthz')).status).toBe(200);
    expect((await as(undefined, 'GET', '/version')).status).toBe(200);
    const pods = await as(undefined, 'GET', '/api/v1/namespaces/default/pods');
    expect(pods.status).toBe(403);
    expect(pods.body.message).toContain('User "system:anonymous" cannot list resource "pods"');
    const write = await as(undefined, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'anon' },
    });
    expect(write.status).toBe(403);
    expect(await exists('/api/v1/namespaces/default/configmaps/anon')).toBe(false);

    const off = await call(anonOff, pki, undefined, 'GET', '/api/v1/namespaces/default/pods');
    expect(off.status).toBe(401);
    expect(off.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      message: 'Unauthorized',
      code: 401,
    });
    expect((await call(anonOff, pki, undefined, 'GET', '/healthz')).status).toBe(401);
    const offWrite = await call(
      anonOff,
      pki,
      undefined,
      'POST',
      '/api/v1/namespaces/default/configmaps',
      { metadata: { name: 'anon' } },
    );
    expect(offWrite.status).toBe(401);
    expect(
      (await call(anonOff, pki, id.admin, 'GET', '/api/v1/namespaces/default/configmaps/anon'))
        .status,
    ).toBe(404);
  });

  it('does not authenticate a client certificate signed by another CA, nor a wrong token (401, nothing written)', async () => {
    const r = await as('evil', 'GET', '/api/v1/namespaces');
    expect(r.status).toBe(401);
    const w = await as('evil', 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'evil' },
    });
    expect(w.status).toBe(401);
    expect(await exists('/api/v1/namespaces/default/configmaps/evil')).toBe(false);
    const k = await kubectl(kubeconfigs.evil!, ['get', 'namespaces']);
    expect(k.code).not.toBe(0);
    expect(k.stderr).toContain('Unauthorized');
    expect((await call(server, pki, { token: 'nope' }, 'GET', '/api/v1/namespaces')).status).toBe(
      401,
    );
  });

  it('issues bound service-account tokens (TokenRequest) that stop working once their pod or account is deleted; expired tokens fail', async () => {
    await admin('POST', '/api/v1/namespaces/team/pods', {
      metadata: { name: 'p2' },
      spec: { serviceAccountName: 'builder', containers: [{ name: 'c', image: 'busybox' }] },
    });
    const pod = await admin('GET', '/api/v1/namespaces/team/pods/p2');
    const tr = await admin('POST', '/api/v1/namespaces/team/serviceaccounts/builder/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        expirationSeconds: 600,
        boundObjectRef: {
          kind: 'Pod',
          apiVersion: 'v1',
          name: 'p2',
          uid: (pod.metadata as { uid: string }).uid,
        },
      },
    });
    const token = (tr.status as { token: string }).token;
    const bound = { token };
    const ok = await call(server, pki, bound, 'GET', '/api/v1/namespaces/team/pods');
    expect(ok.status).toBe(200);
    const review = await admin('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      spec: { token },
    });
    expect(review.status).toMatchObject({
      authenticated: true,
      user: {
        username: 'system:serviceaccount:team:builder',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/pod-name': ['p2'] },
      },
      audiences: [ISSUER],
    });
    await admin('DELETE', '/api/v1/namespaces/team/pods/p2?gracePeriodSeconds=0');
    await until(async () => !(await exists('/api/v1/namespaces/team/pods/p2')));
    expect((await call(server, pki, bound, 'GET', '/api/v1/namespaces/team/pods')).status).toBe(
      401,
    );
    const revoked = await admin('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      spec: { token },
    });
    expect((revoked.status as { authenticated?: boolean }).authenticated).toBeUndefined();

    // kubectl create token (a protobuf TokenRequest), for an account deleted afterwards.
    await admin('POST', '/api/v1/namespaces/team/serviceaccounts', { metadata: { name: 'temp' } });
    await admin('POST', `${RBAC}/namespaces/team/rolebindings`, {
      metadata: { name: 'temp-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'temp', namespace: 'team' }],
    });
    const created = await kubectl(kubeconfigs.admin!, ['create', 'token', 'temp', '-n', 'team']);
    expect(created.code, created.stderr).toBe(0);
    const temp = { token: created.stdout.trim() };
    expect((await call(server, pki, temp, 'GET', '/api/v1/namespaces/team/pods')).status).toBe(200);
    await admin('DELETE', '/api/v1/namespaces/team/serviceaccounts/temp');
    expect((await call(server, pki, temp, 'GET', '/api/v1/namespaces/team/pods')).status).toBe(401);

    // A token signed with the right key but expired two hours ago.
    const sa = await admin('GET', '/api/v1/namespaces/team/serviceaccounts/builder');
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({
      'kubernetes.io': {
        namespace: 'team',
        serviceaccount: { name: 'builder', uid: (sa.metadata as { uid: string }).uid },
      },
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(ISSUER)
      .setSubject('system:serviceaccount:team:builder')
      .setAudience(ISSUER)
      .setIssuedAt(now - 3 * 3600)
      .setNotBefore(now - 3 * 3600)
      .setExpirationTime(now - 2 * 3600)
      .sign(createPrivateKey(readFileSync(pki.sa.key)));
    const r = await call(
      server,
      pki,
      { token: expired },
      'POST',
      '/api/v1/namespaces/team/configmaps',
      { metadata: { name: 'expired' } },
    );
    expect(r.status).toBe(401);
    expect(await exists('/api/v1/namespaces/team/configmaps/expired')).toBe(false);
  });

  it('authenticates bootstrap tokens from kube-system secrets until they expire', async () => {
    const secret = (id: string, secretPart: string, expiration?: string) => ({
      metadata: { name: `bootstrap-token-${id}` },
      type: 'bootstrap.kubernetes.io/token',
      stringData: {
        'token-id': id,
        'token-secret': secretPart,
        'usage-bootstrap-authentication': 'true',
        'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
        ...(expiration ? { expiration } : {}),
      },
    });
    await admin(
      'POST',
      '/api/v1/namespaces/kube-system/secrets',
      secret('abcdef', '0123456789abcdef'),
    );
    await admin(
      'POST',
      '/api/v1/namespaces/kube-system/secrets',
      secret('zzzzzz', '0123456789abcdef', '2020-01-01T00:00:00Z'),
    );
    const who = await call(
      server,
      pki,
      { token: 'abcdef.0123456789abcdef' },
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {},
    );
    expect(who.status).toBe(201);
    expect((who.body.status as { userInfo: unknown }).userInfo).toEqual({
      username: 'system:bootstrap:abcdef',
      groups: [
        'system:bootstrappers',
        'system:bootstrappers:kubeadm:default-node-token',
        'system:authenticated',
      ],
    });
    expect(
      (await call(server, pki, { token: 'abcdef.0123456789abcdee' }, 'GET', '/version')).status,
    ).toBe(401);
    expect(
      (await call(server, pki, { token: 'zzzzzz.0123456789abcdef' }, 'GET', '/version')).status,
    ).toBe(401);
  });

  it('lets a node read only what its pods reference and write only its own Node and Lease', async () => {
    const other = await as('n1', 'GET', '/api/v1/namespaces/team/secrets/s2');
    expect(other.status).toBe(403);
    expect(other.body.message).toBe(
      `secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node 'n1' and this object`,
    );
    const patch = { metadata: { labels: { hacked: 'yes' } } };
    const headers = { 'Content-Type': 'application/merge-patch+json' };
    const n2 = await as('n1', 'PATCH', '/api/v1/nodes/n2', patch, headers);
    expect(n2.status).toBe(403);
    expect(
      ((await admin('GET', '/api/v1/nodes/n2')).metadata as { labels?: Record<string, string> })
        .labels?.hacked,
    ).toBeUndefined();
    const own = await as(
      'n1',
      'PATCH',
      '/api/v1/nodes/n1',
      { metadata: { labels: { mine: 'yes' } } },
      headers,
    );
    expect(own.status).toBe(200);
    const lease = (name: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name },
      spec: { holderIdentity: name, leaseDurationSeconds: 40 },
    });
    const leases = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    expect((await as('n1', 'POST', leases, lease('n1'))).status).toBe(201);
    await admin('POST', leases, lease('n2'));
    const steal = await as('n1', 'PUT', `${leases}/n2`, {
      ...lease('n2'),
      spec: { holderIdentity: 'n1' },
    });
    expect(steal.status).toBe(403);
    expect(
      ((await admin('GET', `${leases}/n2`)).spec as { holderIdentity: string }).holderIdentity,
    ).toBe('n2');
    // A pod newly bound to n1 opens its secret to n1.
    await admin('POST', '/api/v1/namespaces/team/pods', {
      metadata: { name: 'p3' },
      spec: {
        nodeName: 'n1',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's2', key: 'k' } } }],
          },
        ],
      },
    });
    await until(
      async () => (await as('n1', 'GET', '/api/v1/namespaces/team/secrets/s2')).status === 200,
    );
  });

  it('counts authentication attempts and authorization decisions', async () => {
    const r = await as('admin', 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^authentication_attempts\{result="success"\} \d+/m);
    expect(r.text).toMatch(/^authentication_attempts\{result="failure"\} [1-9]/m);
    expect(r.text).toMatch(
      /^apiserver_authorization_decisions_total\{type="RBAC",name="rbac",decision="allowed"\} [1-9]/m,
    );
    expect(r.text).toMatch(
      /^apiserver_authorization_decisions_total\{type="none",name="none",decision="denied"\} [1-9]/m,
    );
  });
});

function deployment(name: string): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  };
}

async function until(cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}
