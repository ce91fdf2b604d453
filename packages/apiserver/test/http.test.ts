/**
 * The REST API over HTTP against real etcd, with @kubets/api's built-in resources: discovery,
 * OpenAPI, version, health, metrics, content negotiation (Tables), watch streaming, errors as
 * Status objects, field validation, dryRun, subresources, services, namespaces, pods.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissingReason } from './helpers/etcd.js';
import { startTestCluster, type TestCluster } from './helpers/apiserver.js';

const skip = etcdMissingReason();
if (skip) console.warn(`skipping HTTP API tests: ${skip}`);

let cluster: TestCluster;

interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.body =
      typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(cluster.url + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

const TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

const pod = (name: string, labels: Record<string, string> = {}): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

/** Opens a watch and collects lines; resolves when `count` events arrived or the stream ended. */
function watch(
  path: string,
  count: number,
  accept = 'application/json',
): Promise<{ status: number; headersAt: number; events: any[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const events: any[] = [];
    let headersAt = -1;
    let buf = '';
    const req = request(cluster.url + path, { headers: { accept } }, (res) => {
      headersAt = Date.now() - started;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
          if (events.length >= count) {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, headersAt, events, ended: false });
          }
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headersAt, events, ended: true }));
    });
    req.on('error', (err) => (events.length >= count ? undefined : reject(err)));
    req.end();
  });
}

describe.skipIf(skip)('REST API', () => {
  beforeAll(async () => {
    cluster = await startTestCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  describe('discovery and metadata', () => {
    it('reports version 1.32 for kubectl', async () => {
      const r = await call('GET', '/version?timeout=32s');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        major: '1',
        minor: '32',
        gitVersion: expect.stringMatching(/^v1\.32\.0-kubets/),
      });
    });

    it('serves aggregated discovery with the exact content type kubectl checks', async () => {
      const api = await call('GET', '/api?timeout=32s', undefined, { accept: AGGREGATED });
      expect(api.headers.get('content-type')).toBe(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      );
      expect(api.body.kind).toBe('APIGroupDiscoveryList');
      expect(api.body.items).toHaveLength(1);
      const pods = api.body.items[0].versions[0].resources.find((r: any) => r.resource === 'pods');
      expect(pods).toMatchObject({
        scope: 'Namespaced',
        singularResource: 'pod',
        shortNames: ['po'],
        categories: ['all'],
      });
      expect(pods.subresources.find((s: any) => s.subresource === 'eviction').responseKind).toEqual(
        {
          group: 'policy',
          version: 'v1',
          kind: 'Eviction',
        },
      );
      const apis = await call('GET', '/apis', undefined, { accept: AGGREGATED });
      const apps = apis.body.items.find((g: any) => g.metadata.name === 'apps');
      expect(apps.versions[0].version).toBe('v1');
      expect(
        apps.versions[0].resources.find((r: any) => r.resource === 'deployments').shortNames,
      ).toEqual(['deploy']);
      const beta = await call('GET', '/apis', undefined, {
        accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
      });
      expect(beta.body.apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
    });

    it('serves legacy discovery, including pods/eviction in policy/v1', async () => {
      expect((await call('GET', '/api')).body).toMatchObject({
        kind: 'APIVersions',
        versions: ['v1'],
      });
      const groups = await call('GET', '/apis');
      expect(groups.headers.get('content-type')).toBe('application/json');
      expect(groups.body.groups.map((g: any) => g.name)).toContain('apps');
      const v1 = await call('GET', '/api/v1');
      expect(v1.body.kind).toBe('APIResourceList');
      expect(v1.body.resources.find((r: any) => r.name === 'pods/eviction')).toMatchObject({
        group: 'policy',
        version: 'v1',
        kind: 'Eviction',
      });
      expect((await call('GET', '/apis/apps')).body.preferredVersion.version).toBe('v1');
      expect(
        (await call('GET', '/apis/apps/v1')).body.resources.find(
          (r: any) => r.name === 'deployments/scale',
        ),
      ).toMatchObject({
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
      });
      expect((await call('GET', '/apis/nope/v1')).status).toBe(404);
    });

    it('serves OpenAPI v3 with GVK and fieldValidation on PATCH operations', async () => {
      const index = await call('GET', '/openapi/v3?timeout=32s');
      const appsURL = index.body.paths['apis/apps/v1'].serverRelativeURL as string;
      expect(appsURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
      const doc = await call('GET', appsURL);
      expect(doc.headers.get('cache-control')).toBe('public, immutable');
      const patch = doc.body.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
      expect(patch['x-kubernetes-group-version-kind']).toEqual({
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
      });
      expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
      expect(Object.keys(patch.requestBody.content)).not.toContain(
        'application/strategic-merge-patch+json',
      );
      const schema = doc.body.components.schemas['io.k8s.api.apps.v1.Deployment'];
      expect(schema['x-kubernetes-group-version-kind']).toEqual([
        { group: 'apps', kind: 'Deployment', version: 'v1' },
      ]);
      expect(doc.body.components.schemas['io.k8s.api.core.v1.PodSpec']).toBeDefined();
      expect((await call('GET', '/openapi/v2')).status).toBe(200);
    });

    it('serves health endpoints with an etcd check, and metrics with upstream names', async () => {
      const ready = await call('GET', '/readyz?verbose');
      expect(ready.status).toBe(200);
      expect(ready.text).toContain('[+]etcd ok');
      expect((await call('GET', '/livez')).text).toBe('ok');
      expect((await call('GET', '/healthz/etcd')).text).toBe('ok');
      await call('GET', '/api/v1/namespaces/default/configmaps');
      // A write, so admission observes its plugins.
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'metrics-probe' } };
      expect((await call('POST', '/api/v1/namespaces/default/configmaps', cm)).status).toBe(201);
      const metrics = await call('GET', '/metrics');
      expect(metrics.text).toMatch(
        /apiserver_request_total\{verb="LIST",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="200"\} \d+/,
      );
      for (const name of [
        'apiserver_request_duration_seconds_bucket{le="0.005",verb="LIST",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver"}',
        // The /metrics request itself is in flight while it is read.
        'apiserver_current_inflight_requests{request_kind="readOnly"} 1\n',
        'apiserver_current_inflight_requests{request_kind="mutating"} 0\n',
        'apiserver_admission_step_admission_duration_seconds_count{type="validate",operation="CREATE",rejected="false"} ',
        'apiserver_admission_controller_admission_duration_seconds_bucket{le="+Inf",name="NamespaceLifecycle",type="validate",operation="CREATE",rejected="false"} ',
        'etcd_request_duration_seconds_bucket',
        'apiserver_storage_objects{resource="namespaces"} 4',
      ]) {
        expect(metrics.text).toContain(name);
      }
    });
  });

  describe('reads', () => {
    it('answers Tables with the printer columns and PartialObjectMetadata rows', async () => {
      await call('POST', '/api/v1/namespaces/default/pods', pod('tbl', { app: 'tbl' }));
      const t = await call('GET', '/api/v1/namespaces/default/pods?limit=500', undefined, {
        accept: TABLE,
      });
      expect(t.body.kind).toBe('Table');
      expect(t.body.columnDefinitions.map((c: any) => c.name)).toEqual([
        'Name',
        'Ready',
        'Status',
        'Restarts',
        'Age',
        'IP',
        'Node',
        'Nominated Node',
        'Readiness Gates',
      ]);
      const row = t.body.rows.find((r: any) => r.cells[0] === 'tbl');
      expect(row.cells.slice(0, 4)).toEqual(['tbl', '0/1', 'Pending', '0']);
      expect(row.object).toMatchObject({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { name: 'tbl', labels: { app: 'tbl' } },
      });
      const full = await call(
        'GET',
        '/api/v1/namespaces/default/pods?includeObject=Object',
        undefined,
        { accept: TABLE },
      );
      expect(full.body.rows[0].object.kind).toBe('Pod');
      const one = await call('GET', '/api/v1/namespaces/default/pods/tbl', undefined, {
        accept: TABLE,
      });
      expect(one.body.rows).toHaveLength(1);
    });

    it('pages with limit and continue, across namespaces too', async () => {
      for (const n of ['pg1', 'pg2', 'pg3'])
        await call('POST', '/api/v1/namespaces/default/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: n },
        });
      const first = await call('GET', '/api/v1/namespaces/default/configmaps?limit=2');
      expect(first.body.items).toHaveLength(2);
      expect(first.body.metadata.continue).toBeTruthy();
      const next = await call(
        'GET',
        `/api/v1/namespaces/default/configmaps?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`,
      );
      expect(next.body.items.length).toBeGreaterThanOrEqual(1);
      const all = await call('GET', '/api/v1/configmaps');
      expect(all.body.kind).toBe('ConfigMapList');
      expect(all.body.metadata.resourceVersion).toMatch(/^\d+$/);
    });

    it('streams watches: headers flushed before any event, events as JSON lines, timeoutSeconds honoured', async () => {
      const list = await call('GET', '/api/v1/namespaces/default/pods');
      const rv = list.body.metadata.resourceVersion;
      const pending = watch(
        `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}&timeoutSeconds=5`,
        2,
      );
      await new Promise((r) => setTimeout(r, 200));
      await call('POST', '/api/v1/namespaces/default/pods', pod('w1'));
      await call('DELETE', '/api/v1/namespaces/default/pods/w1');
      const w = await pending;
      expect(w.status).toBe(200);
      expect(w.events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual([
        'ADDED:w1',
        'DELETED:w1',
      ]);
      // An idle watch: the headers arrive at once; the stream ends after timeoutSeconds.
      const idle = await watch(
        `/api/v1/namespaces/default/pods?watch=1&resourceVersion=${rv}999&timeoutSeconds=1&fieldSelector=metadata.name%3Dnone`,
        1,
      );
      expect(idle.headersAt).toBeLessThan(500);
      expect(idle.ended).toBe(true);
      expect(idle.events).toEqual([]);
    });

    it('watches as Tables for kubectl get -w', async () => {
      const rv = (await call('GET', '/api/v1/namespaces/default/pods')).body.metadata
        .resourceVersion;
      const pending = watch(
        `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}&timeoutSeconds=5`,
        1,
        TABLE,
      );
      await new Promise((r) => setTimeout(r, 200));
      await call('POST', '/api/v1/namespaces/default/pods', pod('tw'));
      const w = await pending;
      expect(w.events[0].type).toBe('ADDED');
      expect(w.events[0].object.kind).toBe('Table');
      expect(w.events[0].object.rows[0].cells[0]).toBe('tw');
    });

    it('answers 410 Expired as an ERROR event for a compacted watch', async () => {
      // Events are not in the watch cache (as upstream): their watches read etcd directly.
      const ev = (name: string): Record<string, unknown> => ({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name },
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'x' },
        reason: 'Test',
        message: 'test',
        type: 'Normal',
      });
      const first = await call('POST', '/api/v1/namespaces/default/events', ev('e1'));
      expect(first.status).toBe(201);
      const rv = BigInt(first.body.metadata.resourceVersion);
      await call('POST', '/api/v1/namespaces/default/events', ev('e2'));
      await cluster.server.client.compact(rv + 1n);
      const w = await watch(
        `/api/v1/namespaces/default/events?watch=true&resourceVersion=${rv - 1n}`,
        1,
      );
      expect(w.events[0]).toMatchObject({
        type: 'ERROR',
        object: { kind: 'Status', code: 410, reason: 'Expired' },
      });
    });
  });

  describe('writes and errors', () => {
    it('errors are Status objects with upstream reasons and messages', async () => {
      const missing = await call('GET', '/api/v1/namespaces/default/pods/nosuch');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'pods "nosuch" not found',
        reason: 'NotFound',
        details: { name: 'nosuch', kind: 'pods' },
        code: 404,
      });
      const bad = await call('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion":', {
        'content-type': 'application/json',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.reason).toBe('BadRequest');
      const unknownPath = await call('GET', '/apis/example.com/v1/widgets');
      expect(unknownPath.status).toBe(404);
      expect(unknownPath.body.message).toBe('the server could not find the requested resource');
      const wrongKind = await call('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'x' },
      });
      expect(wrongKind.status).toBe(400);
      const invalid = await call('POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'Bad_Name' },
      });
      expect(invalid.status).toBe(422);
      expect(invalid.body.reason).toBe('Invalid');
      expect(invalid.body.details.causes[0].field).toBe('metadata.name');
      const huge = await call(
        'POST',
        '/api/v1/namespaces/default/configmaps',
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'big' },
          data: { a: 'x'.repeat(3 * 1024 * 1024) },
        }),
      );
      expect(huge.status).toBe(413);
      expect(huge.body.reason).toBe('RequestEntityTooLarge');
      const media = await call('PATCH', '/api/v1/namespaces/default/configmaps/pg1', '{}', {
        'content-type': 'text/plain',
      });
      expect(media.status).toBe(415);
      expect((await call('GET', '/api/v1/namespaces/default/configmaps/big')).status).toBe(404);
    });

    it('creates from YAML, honours dryRun and fieldValidation (Strict 400, Warn header)', async () => {
      const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fromyaml\ndata:\n  k: v\n';
      const created = await call('POST', '/api/v1/namespaces/default/configmaps', yaml, {
        'content-type': 'application/yaml',
      });
      expect(created.status).toBe(201);
      expect(created.body.data).toEqual({ k: 'v' });
      const dry = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'dry' },
      });
      expect(dry.status).toBe(201);
      expect((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
      const extra = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'strict' },
        spec: { foo: 1 },
      };
      const strict = await call(
        'POST',
        '/api/v1/namespaces/default/configmaps?fieldValidation=Strict',
        extra,
      );
      expect(strict.status).toBe(400);
      expect(strict.body.message).toBe(
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
      );
      const warn = await call(
        'POST',
        '/api/v1/namespaces/default/configmaps?fieldValidation=Warn',
        extra,
      );
      expect(warn.status).toBe(201);
      expect(warn.headers.get('warning')).toBe('299 - "unknown field \\"spec\\""');
    });

    it('accepts kubectl protobuf bodies', async () => {
      const { readFileSync } = await import('node:fs');
      const fixtures = JSON.parse(
        readFileSync(new URL('./fixtures/kubectl-protobuf-bodies.json', import.meta.url), 'utf8'),
      );
      const ns = fixtures.bodies.find((b: any) => b.command === 'kubectl create namespace pbns');
      const r = await call('POST', '/api/v1/namespaces', Buffer.from(ns.hex, 'hex'), {
        'content-type': 'application/vnd.kubernetes.protobuf',
        accept: 'application/vnd.kubernetes.protobuf,application/json',
      });
      expect(r.status).toBe(201);
      // Namespaces are answered in protobuf to a client that prefers it (src/http/protobuf.ts).
      expect(r.headers.get('content-type')).toBe('application/vnd.kubernetes.protobuf');
      expect(r.text).toContain('pbns');
      const back = await call('GET', '/api/v1/namespaces/pbns');
      expect(back.body.metadata.name).toBe('pbns');
    });

    it('PUT is optimistic; status and scale subresources are separate', async () => {
      const d = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'n', image: 'nginx' }] },
          },
        },
      };
      const created = (await call('POST', '/apis/apps/v1/namespaces/default/deployments', d)).body;
      const updated = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', {
        ...created,
        spec: { ...created.spec, replicas: 2 },
      });
      expect(updated.status).toBe(200);
      expect(updated.body.metadata.generation).toBe(2);
      const stale = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', created);
      expect(stale.status).toBe(409);
      expect(stale.body.message).toBe(
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      );
      const status = await call(
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/web/status',
        { status: { replicas: 2, observedGeneration: 2 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(status.body.status).toMatchObject({ replicas: 2, observedGeneration: 2 });
      expect(status.body.metadata.generation).toBe(2);
      const scale = await call(
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/web/scale',
        { spec: { replicas: 3 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(scale.body).toMatchObject({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        spec: { replicas: 3 },
        status: { replicas: 2, selector: 'app=web' },
      });
      const after = (await call('GET', '/apis/apps/v1/namespaces/default/deployments/web')).body;
      expect(after.spec.replicas).toBe(3);
      expect(after.metadata.generation).toBe(3);
    });

    it('answers creates, patches and PUTs with exactly the stored object; a no-op patch writes nothing', async () => {
      const base = '/api/v1/namespaces/default/pods';
      const created = await call('POST', base, pod('answer', { app: 'a' }));
      expect(created.status).toBe(201);
      // The answer is the text of the etcd write plus the resourceVersion: byte for byte what
      // a read of the stored object gives.
      const read = async (): Promise<Reply> => call('GET', `${base}/answer`);
      expect((await read()).text).toBe(created.text);
      const patched = await call(
        'PATCH',
        `${base}/answer`,
        { metadata: { annotations: { 'x/y': '1' } } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(patched.status).toBe(200);
      expect((await read()).text).toBe(patched.text);
      expect(patched.body.metadata.managedFields).toHaveLength(1);
      const again = await call(
        'PATCH',
        `${base}/answer`,
        { metadata: { annotations: { 'x/y': '1' } } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(again.body.metadata.resourceVersion).toBe(patched.body.metadata.resourceVersion);
      const put = await call('PUT', `${base}/answer`, {
        ...patched.body,
        metadata: { ...patched.body.metadata, labels: { app: 'b' } },
      });
      expect(put.status).toBe(200);
      expect(put.body.metadata.labels).toEqual({ app: 'b' });
      expect((await read()).text).toBe(put.text);
      expect(put.body.metadata.generation).toBe(patched.body.metadata.generation);
    });

    it('server-side apply conflicts are 409 with upstream messages; force takes over', async () => {
      const cfg = (replicas: number) => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'ssa' },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'ssa' } },
          template: {
            metadata: { labels: { app: 'ssa' } },
            spec: { containers: [{ name: 'n', image: 'nginx' }] },
          },
        },
      });
      const path = '/apis/apps/v1/namespaces/default/deployments/ssa';
      const ct = { 'content-type': 'application/apply-patch+yaml' };
      expect(
        (await call('PATCH', `${path}?fieldManager=alice&force=false`, cfg(1), ct)).status,
      ).toBe(201);
      const conflict = await call('PATCH', `${path}?fieldManager=bob`, cfg(2), ct);
      expect(conflict.status).toBe(409);
      expect(conflict.body.message).toBe(
        'Apply failed with 1 conflict: conflict with "alice": .spec.replicas',
      );
      const forced = await call('PATCH', `${path}?fieldManager=bob&force=true`, cfg(2), ct);
      expect(forced.status).toBe(200);
      expect(forced.body.spec.replicas).toBe(2);
    });

    it('allocates cluster IPs and node ports, refuses taken ones, releases on delete', async () => {
      const svc = (name: string, spec: object) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { ports: [{ port: 80 }], ...spec },
      });
      const a = (
        await call('POST', '/api/v1/namespaces/default/services', svc('a', { type: 'NodePort' }))
      ).body;
      expect(a.spec.clusterIP).toMatch(/^10\.96\.0\.\d+$/);
      expect(a.spec.clusterIPs).toEqual([a.spec.clusterIP]);
      expect(a.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
      expect(a.spec.ports[0].nodePort).toBeLessThanOrEqual(30010);
      const taken = await call(
        'POST',
        '/api/v1/namespaces/default/services',
        svc('b', { clusterIP: a.spec.clusterIP }),
      );
      expect(taken.status).toBe(422);
      expect(taken.body.message).toBe(
        `Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"${a.spec.clusterIP}"}: failed to allocate IP ${a.spec.clusterIP}: provided IP is already allocated`,
      );
      const port = await call(
        'POST',
        '/api/v1/namespaces/default/services',
        svc('c', { type: 'NodePort', ports: [{ port: 80, nodePort: a.spec.ports[0].nodePort }] }),
      );
      expect(port.status).toBe(422);
      expect(port.body.message).toContain('spec.ports[0].nodePort: Invalid value:');
      const headless = (
        await call('POST', '/api/v1/namespaces/default/services', svc('h', { clusterIP: 'None' }))
      ).body;
      expect(headless.spec.clusterIP).toBe('None');
      // Updating without the allocated values keeps them.
      const patched = await call(
        'PATCH',
        '/api/v1/namespaces/default/services/a',
        { metadata: { labels: { x: 'y' } } },
        { 'content-type': 'application/strategic-merge-patch+json' },
      );
      expect(patched.body.spec.clusterIP).toBe(a.spec.clusterIP);
      expect((await call('DELETE', '/api/v1/namespaces/default/services/a')).status).toBe(200);
      const reuse = await call(
        'POST',
        '/api/v1/namespaces/default/services',
        svc('d', { clusterIP: a.spec.clusterIP }),
      );
      expect(reuse.status).toBe(201);
    });

    it('enforces the namespace lifecycle', async () => {
      const missing = await call('POST', '/api/v1/namespaces/nope/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x' },
      });
      expect(missing.status).toBe(404);
      expect(missing.body.message).toBe('namespaces "nope" not found');
      const immortal = await call('DELETE', '/api/v1/namespaces/default');
      expect(immortal.status).toBe(403);
      expect(immortal.body.message).toBe(
        'namespaces "default" is forbidden: this namespace may not be deleted',
      );
      await call('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'doomed' },
      });
      const del = await call('DELETE', '/api/v1/namespaces/doomed');
      expect(del.status).toBe(200);
      expect(del.body.status.phase).toBe('Terminating');
      expect(del.body.metadata.deletionTimestamp).toBeTruthy();
      const refused = await call('POST', '/api/v1/namespaces/doomed/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x' },
      });
      expect(refused.status).toBe(403);
      expect(refused.body.message).toBe(
        'configmaps "x" is forbidden: unable to create new content in namespace doomed because it is being terminated',
      );
      // The namespace controller's finalize, then the namespace goes away.
      const ns = (await call('GET', '/api/v1/namespaces/doomed')).body;
      const fin = await call('PUT', '/api/v1/namespaces/doomed/finalize', {
        ...ns,
        spec: { finalizers: [] },
      });
      expect(fin.status).toBe(200);
      await call('DELETE', '/api/v1/namespaces/doomed');
      expect((await call('GET', '/api/v1/namespaces/doomed')).status).toBe(404);
    });

    it('binds pods once and evicts through disruption budgets', async () => {
      await call('POST', '/api/v1/namespaces/default/pods', pod('bindme', { app: 'pdb' }));
      const binding = {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'bindme' },
        target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
      };
      const bound = await call('POST', '/api/v1/namespaces/default/pods/bindme/binding', binding);
      expect(bound.status).toBe(201);
      expect(bound.body).toMatchObject({ kind: 'Status', status: 'Success' });
      const p = (await call('GET', '/api/v1/namespaces/default/pods/bindme')).body;
      expect(p.spec.nodeName).toBe('node-1');
      expect(p.status.conditions.find((c: any) => c.type === 'PodScheduled').status).toBe('True');
      const again = await call('POST', '/api/v1/namespaces/default/bindings', binding);
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(
        'Operation cannot be fulfilled on pods "bindme": pod bindme is already assigned to node "node-1"',
      );
      // A running pod covered by a budget that allows no disruption: 429.
      await call(
        'PATCH',
        '/api/v1/namespaces/default/pods/bindme/status',
        { status: { phase: 'Running' } },
        { 'content-type': 'application/merge-patch+json' },
      );
      await call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'pdb' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'pdb' } } },
      });
      await call(
        'PATCH',
        '/apis/policy/v1/namespaces/default/poddisruptionbudgets/pdb/status',
        {
          status: {
            disruptionsAllowed: 0,
            currentHealthy: 1,
            desiredHealthy: 1,
            expectedPods: 1,
            observedGeneration: 1,
          },
        },
        { 'content-type': 'application/merge-patch+json' },
      );
      const eviction = {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'bindme', namespace: 'default' },
      };
      const blocked = await call(
        'POST',
        '/api/v1/namespaces/default/pods/bindme/eviction',
        eviction,
      );
      expect(blocked.status).toBe(429);
      expect(blocked.body.message).toBe(
        "Cannot evict pod as it would violate the pod's disruption budget.",
      );
      await call(
        'PATCH',
        '/apis/policy/v1/namespaces/default/poddisruptionbudgets/pdb/status',
        { status: { disruptionsAllowed: 1 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      const evicted = await call('POST', '/api/v1/namespaces/default/pods/bindme/eviction', {
        ...eviction,
        deleteOptions: { gracePeriodSeconds: 0 },
      });
      expect(evicted.status).toBe(201);
      expect((await call('GET', '/api/v1/namespaces/default/pods/bindme')).status).toBe(404);
      const pdb = (await call('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/pdb'))
        .body;
      expect(pdb.status.disruptionsAllowed).toBe(0);
      expect(Object.keys(pdb.status.disruptedPods)).toEqual(['bindme']);
    });

    it('deletes pods gracefully once scheduled, and collections by selector', async () => {
      await call('POST', '/api/v1/namespaces/default/pods', {
        ...pod('grace'),
        spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'i' }] },
      });
      const del = await call('DELETE', '/api/v1/namespaces/default/pods/grace', {
        propagationPolicy: 'Background',
      });
      expect(del.status).toBe(200);
      expect(del.body.metadata.deletionGracePeriodSeconds).toBe(30);
      const force = await call('DELETE', '/api/v1/namespaces/default/pods/grace', {
        gracePeriodSeconds: 0,
      });
      expect(force.body.kind).toBe('Pod');
      expect((await call('GET', '/api/v1/namespaces/default/pods/grace')).status).toBe(404);
      for (const n of ['dc1', 'dc2'])
        await call('POST', '/api/v1/namespaces/default/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: n, labels: { dc: 'yes' } },
        });
      const coll = await call(
        'DELETE',
        '/api/v1/namespaces/default/configmaps?labelSelector=dc%3Dyes',
      );
      expect(coll.body.items.map((i: any) => i.metadata.name)).toEqual(['dc1', 'dc2']);
    });
  });
});
