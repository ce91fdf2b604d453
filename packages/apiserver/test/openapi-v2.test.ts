/**
 * `/openapi/v2` as JSON and as the protobuf kubectl 1.27/1.28 download for `explain` and for
 * computing `apply` patches, checked with those kubectl binaries themselves (they sit next to the
 * installed kubectl as kubectl.1.27, kubectl.1.28).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissingReason } from './helpers/etcd.js';
import { startTestCluster, type TestCluster } from './helpers/apiserver.js';

function oldKubectl(minor: number): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d, 'kubectl');
    if (d === '' || !existsSync(p)) continue;
    const candidate = join(dirname(realpathSync(p)), `kubectl.1.${minor}`);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const KUBECTL_127 = oldKubectl(27);
const KUBECTL_128 = oldKubectl(28);
const skip = etcdMissingReason();
if (skip) console.warn(`skipping OpenAPI v2 tests: ${skip}`);
const skipKubectl =
  skip ?? (KUBECTL_127 && KUBECTL_128 ? undefined : 'kubectl.1.27/1.28 not found');
if (skipKubectl && !skip) console.warn(`skipping old kubectl tests: ${skipKubectl}`);

let cluster: TestCluster;
let dir: string;

function kubectl(binary: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      binary,
      [
        '--kubeconfig',
        join(dir, 'kubeconfig'),
        '--cache-dir',
        join(dir, `cache-${binary.slice(-2)}`),
        ...args,
      ],
      { timeout: 30_000, env: { ...process.env, HOME: dir } },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const deployment = (replicas: number, image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: old-kubectl, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: old}}
  template:
    metadata: {labels: {app: old}}
    spec:
      containers:
      - name: app
        image: ${image}
`;

describe.skipIf(!!skip)('OpenAPI v2', () => {
  beforeAll(async () => {
    cluster = await startTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'kubets-openapi-v2-'));
    writeFileSync(
      join(dir, 'kubeconfig'),
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${cluster.url}"}}]
users: [{name: u, user: {}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves Swagger 2.0 JSON with GVK extensions and fieldValidation on PATCH', async () => {
    const res = await fetch(`${cluster.url}/openapi/v2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = (await res.json()) as {
      swagger: string;
      definitions: Record<string, Record<string, unknown>>;
      paths: Record<
        string,
        Record<string, { parameters?: { name: string }[] } & Record<string, unknown>>
      >;
    };
    expect(doc.swagger).toBe('2.0');
    const pod = doc.definitions['io.k8s.api.core.v1.Pod']!;
    expect(pod['x-kubernetes-group-version-kind']).toEqual([
      { group: '', kind: 'Pod', version: 'v1' },
    ]);
    expect(JSON.stringify(doc.definitions)).not.toContain('#/components/schemas/');
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch!;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    expect(patch.parameters?.map((p) => p.name)).toContain('fieldValidation');
  });

  it('serves the protobuf form on request, with an ETag', async () => {
    const res = await fetch(`${cluster.url}/openapi/v2`, {
      headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/com.github.proto-openapi.spec.v2.v1.0+protobuf',
    );
    const body = Buffer.from(await res.arrayBuffer());
    // Field 1 (swagger) = "2.0".
    expect([...body.subarray(0, 5)]).toEqual([0x0a, 3, 0x32, 0x2e, 0x30]);
    const etag = res.headers.get('etag')!;
    const again = await fetch(`${cluster.url}/openapi/v2`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it.skipIf(!!skipKubectl)(
    'kubectl 1.27 explain and apply work',
    async () => {
      const explain = await kubectl(KUBECTL_127!, ['explain', 'pods.spec.containers']);
      expect(explain.code, explain.out).toBe(0);
      expect(explain.out).toMatch(/KIND:\s+Pod/);
      expect(explain.out).toContain('image');
      const f = join(dir, 'd.yaml');
      writeFileSync(f, deployment(1, 'nginx:1.25'));
      const created = await kubectl(KUBECTL_127!, ['apply', '-f', f]);
      expect(created.code, created.out).toBe(0);
      expect(created.out).toContain('deployment.apps/old-kubectl created');
      writeFileSync(f, deployment(2, 'nginx:1.26'));
      const configured = await kubectl(KUBECTL_127!, ['apply', '-f', f]);
      expect(configured.code, configured.out).toBe(0);
      expect(configured.out).toContain('deployment.apps/old-kubectl configured');
      const got = await fetch(
        `${cluster.url}/apis/apps/v1/namespaces/default/deployments/old-kubectl`,
      );
      const obj = (await got.json()) as {
        spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
      };
      expect(obj.spec.replicas).toBe(2);
      // The containers list was merged by name (strategic merge patch from the v2 models).
      expect(obj.spec.template.spec.containers).toHaveLength(1);
      expect(obj.spec.template.spec.containers[0]!.image).toBe('nginx:1.26');
    },
    90_000,
  );

  it.skipIf(!!skipKubectl)(
    'kubectl 1.28 explain and apply work',
    async () => {
      const explain = await kubectl(KUBECTL_128!, ['explain', 'deployment.spec.replicas']);
      expect(explain.code, explain.out).toBe(0);
      expect(explain.out).toContain('FIELD: replicas <integer>');
      const f = join(dir, 'd.yaml');
      writeFileSync(f, deployment(3, 'nginx:1.26'));
      const r = await kubectl(KUBECTL_128!, ['apply', '-f', f]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('deployment.apps/old-kubectl configured');
    },
    90_000,
  );
});
