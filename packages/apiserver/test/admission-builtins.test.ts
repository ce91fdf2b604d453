/**
 * The built-in admission plugins on a kubets API server over real etcd, driven by the real
 * kubectl where a user would: ServiceAccount token volumes, DefaultTolerationSeconds,
 * LimitRanger defaults, PodSecurity enforce/warn, ResourceQuota exactness under 20 concurrent
 * creates against a quota of 5 and replenishment after deletes, NodeRestriction for a kubelet
 * identity (set on the write, as the authentication layer does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRegistry } from '../src/registry/resource-registry.js';
import { etcdMissingReason } from './helpers/etcd.js';
import { apiRequest, startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { KUBECTL, kubectlFor, type Kubectl } from './helpers/kubectl.js';

const skip = etcdMissingReason() ?? (KUBECTL ? undefined : 'kubectl not found on PATH');
if (skip) console.warn(`skipping built-in admission tests: ${skip}`);

let cluster: TestCluster;
let k: Kubectl;

const api = (method: string, path: string, body?: unknown) =>
  apiRequest(cluster.url, method, path, body);

async function ok(args: string[], stdin?: string): Promise<{ stdout: string; stderr: string }> {
  const r = await k.run(args, stdin);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const node = (name: string) => ({
  username: `system:node:${name}`,
  groups: ['system:nodes', 'system:authenticated'],
});

describe.skipIf(skip)('built-in admission plugins', () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ admission: { enablePlugins: ['NodeRestriction'] } });
    k = kubectlFor(cluster.url);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    k?.cleanup();
  });

  it('ServiceAccount and DefaultTolerationSeconds shape a new pod', async () => {
    await ok(['create', 'namespace', 'sa']);
    await until('the default service account', async () =>
      (await api('GET', '/api/v1/namespaces/sa/serviceaccounts/default')).status === 200
        ? true
        : undefined,
    );
    await ok(['-n', 'sa', 'run', 'web', '--image=nginx']);
    const pod = JSON.parse((await ok(['-n', 'sa', 'get', 'pod', 'web', '-o', 'json'])).stdout);
    expect(pod.spec.serviceAccountName).toBe('default');
    const volume = pod.spec.volumes.find((v: any) => v.name.startsWith('kube-api-access-'));
    expect(volume.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(volume.projected.sources[0]).toEqual({
      serviceAccountToken: { path: 'token', expirationSeconds: 3607 },
    });
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({
      name: volume.name,
      readOnly: true,
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
    expect(pod.spec.tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    const ghost = await k.run([
      '-n',
      'sa',
      'run',
      'ghost',
      '--image=nginx',
      '--overrides={"spec":{"serviceAccountName":"ghost"}}',
    ]);
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toContain(
      'pods "ghost" is forbidden: error looking up service account sa/ghost: serviceaccount "ghost" not found',
    );
  });

  it('LimitRanger fills container defaults from the namespace LimitRange', async () => {
    await ok(['create', 'namespace', 'limits']);
    await ok(
      ['-n', 'limits', 'apply', '-f', '-'],
      `apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 128Mi}
    defaultRequest: {cpu: 100m, memory: 64Mi}
    max: {cpu: "1"}
`,
    );
    await ok(['-n', 'limits', 'run', 'small', '--image=nginx']);
    const pod = JSON.parse(
      (await ok(['-n', 'limits', 'get', 'pod', 'small', '-o', 'json'])).stdout,
    );
    expect(pod.spec.containers[0].resources).toEqual({
      limits: { cpu: '500m', memory: '128Mi' },
      requests: { cpu: '100m', memory: '64Mi' },
    });
    expect(pod.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container small; cpu, memory limit for container small',
    );
    const big = await k.run([
      '-n',
      'limits',
      'run',
      'big',
      '--image=nginx',
      '--overrides={"spec":{"containers":[{"name":"big","image":"nginx","resources":{"limits":{"cpu":"2"}}}]}}',
    ]);
    expect(big.stderr).toContain(
      'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
  });

  it('PodSecurity: enforce refuses with upstream message, warn and workloads warn', async () => {
    await ok(['create', 'namespace', 'secure']);
    await ok([
      'label',
      'namespace',
      'secure',
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/warn=baseline',
    ]);
    const refused = await k.run(['-n', 'secure', 'run', 'nginx', '--image=nginx']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'Error from server (Forbidden): pods "nginx" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    expect((await api('GET', '/api/v1/namespaces/secure/pods/nginx')).status).toBe(404);
    const compliant = await k.run([
      '-n',
      'secure',
      'run',
      'good',
      '--image=nginx',
      '--overrides={"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"good","image":"nginx","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}',
    ]);
    expect(compliant.code, compliant.stderr).toBe(0);
    const deploy = await ok(['-n', 'secure', 'create', 'deployment', 'web', '--image=nginx']);
    expect(deploy.stderr).toContain(
      'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false',
    );

    await ok(['create', 'namespace', 'watched']);
    await ok(['label', 'namespace', 'watched', 'pod-security.kubernetes.io/warn=baseline']);
    const warned = await ok([
      '-n',
      'watched',
      'run',
      'hostnet',
      '--image=nginx',
      '--overrides={"spec":{"hostNetwork":true}}',
    ]);
    expect(warned.stderr).toContain(
      'Warning: would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)',
    );
  });

  it('PodSecurity: raising a namespace enforce level warns about existing pods; bad labels are refused', async () => {
    await ok(['create', 'namespace', 'relabel']);
    await ok(['-n', 'relabel', 'run', 'one', '--image=nginx']);
    await ok(['-n', 'relabel', 'run', 'two', '--image=nginx']);
    const labelled = await ok([
      'label',
      'namespace',
      'relabel',
      'pod-security.kubernetes.io/enforce=restricted',
    ]);
    expect(labelled.stderr).toContain(
      'Warning: existing pods in namespace "relabel" violate the new PodSecurity enforce level "restricted:latest"',
    );
    expect(labelled.stderr).toContain(
      'Warning: one (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    );
    const bad = await k.run([
      'label',
      'namespace',
      'relabel',
      'pod-security.kubernetes.io/warn=strict',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "strict": must be one of privileged, baseline, restricted',
    );
  });

  it('hands audit annotations to the caller of a write', async () => {
    await ok(['create', 'namespace', 'audited']);
    await ok(['label', 'namespace', 'audited', 'pod-security.kubernetes.io/audit=restricted']);
    const pods = cluster.server.catalog.get('', 'pods') as ResourceRegistry;
    const auditAnnotations: Record<string, string> = {};
    await pods.create(
      'audited',
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'a' },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
      { auditAnnotations },
    );
    expect(auditAnnotations['pod-security.kubernetes.io/enforce-policy']).toBe('privileged:latest');
    expect(auditAnnotations['pod-security.kubernetes.io/audit-violations']).toMatch(
      /^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
  });

  it('ResourceQuota stays exact under 20 concurrent creates against a quota of 5, and replenishes on delete', async () => {
    await ok(['create', 'namespace', 'quota']);
    await ok(
      ['-n', 'quota', 'apply', '-f', '-'],
      'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: five}\nspec:\n  hard: {configmaps: "5", count/secrets: "1"}\n',
    );
    await until('the quota status', async () => {
      const q = await api('GET', '/api/v1/namespaces/quota/resourcequotas/five');
      return q.body.status?.used?.configmaps === '0' ? true : undefined;
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api('POST', '/api/v1/namespaces/quota/configmaps', { metadata: { name: `cm-${i}` } }),
      ),
    );
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 201)).toHaveLength(5);
    expect(codes.filter((c) => c === 403)).toHaveLength(15);
    const refused = results.find((r) => r.status === 403)!;
    expect(refused.body.message).toMatch(
      /^configmaps "cm-\d+" is forbidden: exceeded quota: five, requested: configmaps=1, used: configmaps=5, limited: configmaps=5$/,
    );
    const list = await api('GET', '/api/v1/namespaces/quota/configmaps');
    expect(list.body.items).toHaveLength(5);
    let q = await api('GET', '/api/v1/namespaces/quota/resourcequotas/five');
    expect(q.body.status.used).toEqual({ configmaps: '5', 'count/secrets': '0' });

    const dry = await api('POST', '/api/v1/namespaces/quota/secrets?dryRun=All', {
      metadata: { name: 's' },
    });
    expect(dry.status).toBe(201);
    q = await api('GET', '/api/v1/namespaces/quota/resourcequotas/five');
    expect(q.body.status.used['count/secrets']).toBe('0');

    const kept = list.body.items.map((i: any) => i.metadata.name as string);
    await ok(['-n', 'quota', 'delete', 'configmap', kept[0]!, kept[1]!]);
    await until('replenished usage', async () => {
      const cur = await api('GET', '/api/v1/namespaces/quota/resourcequotas/five');
      return cur.body.status.used.configmaps === '3' ? true : undefined;
    });
    const quotaOut = (await ok(['-n', 'quota', 'describe', 'quota', 'five'])).stdout;
    expect(quotaOut).toMatch(/configmaps\s+3\s+5/);
    expect(
      (await api('POST', '/api/v1/namespaces/quota/configmaps', { metadata: { name: 'again' } }))
        .status,
    ).toBe(201);
  });

  it('NodeRestriction: a kubelet writes only its own Node and Lease', async () => {
    const nodes = cluster.server.catalog.get('', 'nodes') as ResourceRegistry;
    const leases = cluster.server.catalog.get('coordination.k8s.io', 'leases') as ResourceRegistry;
    const nodeBody = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    });
    await nodes.create(undefined, nodeBody('n1'), { user: node('n1') });
    await expect(nodes.create(undefined, nodeBody('n2'), { user: node('n1') })).rejects.toThrow(
      'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"',
    );
    await nodes.create(undefined, nodeBody('n2'));
    await expect(
      nodes.patch(
        undefined,
        'n1',
        'merge',
        { metadata: { labels: { 'node-restriction.kubernetes.io/pool': 'gold' } } },
        { user: node('n1') },
      ),
    ).rejects.toThrow('is not allowed to modify labels: node-restriction.kubernetes.io/pool');
    await nodes.patch(
      undefined,
      'n1',
      'merge',
      { metadata: { labels: { 'example.com/rack': 'r1' } } },
      { user: node('n1') },
    );
    await expect(
      nodes.delete(undefined, 'n2', {}, false, undefined, { user: node('n1') }),
    ).rejects.toThrow('node "n1" is not allowed to modify node "n2"');
    const lease = (name: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name },
      spec: { holderIdentity: name },
    });
    await leases.create('kube-node-lease', lease('n1'), { user: node('n1') });
    await expect(
      leases.create('kube-node-lease', lease('n2'), { user: node('n1') }),
    ).rejects.toThrow('can only access node lease with the same name as the requesting node');
    expect((await api('GET', '/api/v1/nodes/n1')).body.metadata.labels).toEqual({
      'kubernetes.io/hostname': 'n1',
      'example.com/rack': 'r1',
    });
  });
});
