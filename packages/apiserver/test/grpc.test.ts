/**
 * The gRPC resource API (kubets.api.v1.Resources) with a real grpc-js client against the API
 * server on real etcd: the verbs on built-in and custom resources, subresources, selectors and
 * pagination, watch streams (bookmarks, 410 as OUT_OF_RANGE), the Status in trailers for every
 * error class, dry run, server-side apply, one storage path with REST, the security guard, the
 * shared max-inflight limits, and TLS with client certificates.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials as grpcCredentials, Metadata, status } from '@grpc/grpc-js';
import type { ResourcesClient } from '@kubets/api/grpc';
import { newForbidden, newUnauthorized } from '@kubets/apimachinery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Credentials, RequestAttributes, RequestGuard, UserInfo } from '../src/auth/types.js';
import type { WriteOptions } from '../src/registry/resource-registry.js';
import { startApiServer, type ApiServerOptions, type RunningApiServer } from '../src/server.js';
import { startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { etcdMissingReason } from './helpers/etcd.js';
import { call, failure, json, parse, resourcesClient, watch } from './helpers/grpc.js';
import { issue, OPENSSL, selfSigned } from './helpers/pki.js';
import { testServerOptions } from './helpers/server-options.js';

const skip = etcdMissingReason();
if (skip) console.warn(`skipping gRPC API tests: ${skip}`);

const POD = { group: '', version: 'v1', resource: 'pods' };
const CM = { group: '', version: 'v1', resource: 'configmaps' };
const DEPLOY = { group: 'apps', version: 'v1', resource: 'deployments' };

const pod = (name: string, labels: Record<string, string> = {}): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

const configMap = (name: string, labels: Record<string, string> = {}): object => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { k: 'v' },
});

async function startServer(
  etcdEndpoint: string,
  extra: Partial<ApiServerOptions>,
): Promise<RunningApiServer> {
  return startApiServer({
    ...testServerOptions(etcdEndpoint),
    grpcPort: 0,
    serviceClusterIPRange: '10.96.0.0/24',
    serviceNodePortRange: '30000-30010',
    ...extra,
  });
}

describe.skipIf(skip)('gRPC resource API', () => {
  let cluster: TestCluster;
  let client: ResourcesClient;

  beforeAll(async () => {
    // Secrets are not cached here, so a compacted revision reaches etcd (the cache's window would
    // otherwise still replay it, as upstream's does).
    cluster = await startTestCluster({ server: { grpcPort: 0 }, watchCacheSizes: ['secrets#0'] });
    client = resourcesClient(cluster.server.grpcAddress!);
  }, 30_000);
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('serves discovery: resources with kinds, scope, verbs and subresources', async () => {
    const res = await call(client, 'Discovery', {});
    const pods = res.resources.find((r: any) => r.group === '' && r.resource === 'pods');
    expect(pods).toMatchObject({ kind: 'Pod', namespaced: true, preferred_version: true });
    expect(pods.verbs).toEqual(expect.arrayContaining(['create', 'get', 'list', 'watch']));
    expect(pods.subresources.map((s: any) => s.name)).toEqual(
      expect.arrayContaining(['status', 'binding', 'eviction']),
    );
    const deploy = res.resources.find((r: any) => r.resource === 'deployments');
    expect(deploy.subresources).toContainEqual(
      expect.objectContaining({ name: 'scale', group: 'autoscaling', kind: 'Scale' }),
    );
    expect(res.resources.find((r: any) => r.resource === 'namespaces').namespaced).toBe(false);
  });

  it('creates, gets, updates, patches and deletes pods; REST sees the same objects', async () => {
    const created = await call(client, 'Create', {
      ref: { ...POD, namespace: 'default' },
      object: json(pod('g1', { app: 'a' })),
    });
    expect(created.created).toBe(true);
    const obj = parse(created.object);
    expect(obj.metadata.uid).toMatch(/-/);
    expect(obj.spec.restartPolicy).toBe('Always'); // defaulted by the shared registry

    // One storage path: REST reads what gRPC wrote, gRPC reads what REST wrote.
    const viaRest: any = await (
      await fetch(`${cluster.url}/api/v1/namespaces/default/pods/g1`)
    ).json();
    expect(viaRest.metadata.uid).toBe(obj.metadata.uid);
    expect(viaRest.metadata.resourceVersion).toBe(obj.metadata.resourceVersion);
    await fetch(`${cluster.url}/api/v1/namespaces/default/pods`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(pod('r1')),
    });
    const got = parse(
      (await call(client, 'Get', { ref: { ...POD, namespace: 'default', name: 'r1' } })).object,
    );
    expect(got.metadata.name).toBe('r1');

    const updated = await call(client, 'Update', {
      ref: { ...POD, namespace: 'default', name: 'g1' },
      object: json({ ...obj, metadata: { ...obj.metadata, labels: { app: 'b' } } }),
    });
    expect(updated.created).toBe(false);
    expect(parse(updated.object).metadata.labels).toEqual({ app: 'b' });

    const merged = await call(client, 'Patch', {
      ref: { ...POD, namespace: 'default', name: 'g1' },
      type: 'PATCH_TYPE_MERGE',
      patch: json({ metadata: { annotations: { note: 'x' } } }),
    });
    expect(parse(merged.object).metadata.annotations).toEqual({ note: 'x' });
    const strategic = await call(client, 'Patch', {
      ref: { ...POD, namespace: 'default', name: 'g1' },
      type: 'PATCH_TYPE_STRATEGIC_MERGE',
      patch: json({ spec: { containers: [{ name: 'c', image: 'nginx' }] } }),
    });
    expect(parse(strategic.object).spec.containers).toHaveLength(1);
    expect(parse(strategic.object).spec.containers[0].image).toBe('nginx');
    const jsonPatched = await call(client, 'Patch', {
      ref: { ...POD, namespace: 'default', name: 'g1' },
      type: 'PATCH_TYPE_JSON',
      patch: json([{ op: 'add', path: '/metadata/labels/tier', value: 'web' }]),
    });
    expect(parse(jsonPatched.object).metadata.labels).toEqual({ app: 'b', tier: 'web' });

    // Pods answer DELETE with the object; grace period 0 removes it at once.
    const deleted = await call(client, 'Delete', {
      ref: { ...POD, namespace: 'default', name: 'g1' },
      options: { grace_period_seconds: 0 },
    });
    expect(parse(deleted.object).metadata.name).toBe('g1');
    const gone = await failure(
      call(client, 'Get', { ref: { ...POD, namespace: 'default', name: 'g1' } }),
    );
    expect(gone.code).toBe(status.NOT_FOUND);
    expect((await fetch(`${cluster.url}/api/v1/namespaces/default/pods/g1`)).status).toBe(404);
  });

  it('maps every error class to its gRPC code with the full Status in kubets-status-bin', async () => {
    const ref = { ...CM, namespace: 'default' };
    await call(client, 'Create', { ref, object: json(configMap('e1')) });

    const notFound = await failure(call(client, 'Get', { ref: { ...ref, name: 'nope' } }));
    expect(notFound.code).toBe(status.NOT_FOUND);
    expect(notFound.status).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
      message: 'configmaps "nope" not found',
      details: { name: 'nope', kind: 'configmaps' },
    });
    expect(notFound.details).toBe('configmaps "nope" not found');

    const exists = await failure(call(client, 'Create', { ref, object: json(configMap('e1')) }));
    expect(exists.code).toBe(status.ALREADY_EXISTS);
    expect(exists.status).toMatchObject({ reason: 'AlreadyExists', code: 409 });

    const current = parse((await call(client, 'Get', { ref: { ...ref, name: 'e1' } })).object);
    await call(client, 'Update', {
      ref: { ...ref, name: 'e1' },
      object: json({ ...current, data: { k: 'v2' } }),
    });
    const conflict = await failure(
      call(client, 'Update', {
        ref: { ...ref, name: 'e1' },
        object: json({ ...current, data: { k: 'v3' } }),
      }),
    );
    expect(conflict.code).toBe(status.ABORTED);
    expect(conflict.status).toMatchObject({ reason: 'Conflict', code: 409 });

    const invalid = await failure(
      call(client, 'Create', {
        ref: { ...POD, namespace: 'default' },
        object: json({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: {} }),
      }),
    );
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    expect(invalid.status?.reason).toBe('Invalid');
    expect(invalid.status?.code).toBe(422);
    expect(invalid.status?.details?.causes?.map((c) => c.field)).toEqual(
      expect.arrayContaining(['metadata.name', 'spec.containers']),
    );

    const malformed = await failure(
      call(client, 'Create', { ref, object: Buffer.from('{"kind": ') }),
    );
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(malformed.status).toMatchObject({ reason: 'BadRequest', code: 400 });

    const badDryRun = await failure(
      call(client, 'Create', {
        ref,
        object: json(configMap('e2')),
        options: { dry_run: ['Some'] },
      }),
    );
    expect(badDryRun.status?.message).toBe(
      'dryRun: Unsupported value: "Some": supported values: "All"',
    );

    const unserved = await failure(
      call(client, 'List', { ref: { group: 'nope.io', version: 'v1', resource: 'things' } }),
    );
    expect(unserved.code).toBe(status.NOT_FOUND);
    expect(unserved.status?.message).toBe('the server could not find the requested resource');

    const notAllowed = await failure(
      call(client, 'Get', {
        ref: { ...POD, namespace: 'default', name: 'x', subresource: 'binding' },
      }),
    );
    expect(notAllowed.code).toBe(status.UNIMPLEMENTED);
    expect(notAllowed.status).toMatchObject({ reason: 'MethodNotAllowed', code: 405 });

    const clusterScopedInNs = await failure(
      call(client, 'Get', {
        ref: { group: '', version: 'v1', resource: 'namespaces', namespace: 'x', name: 'y' },
      }),
    );
    expect(clusterScopedInNs.code).toBe(status.NOT_FOUND);

    const noName = await failure(call(client, 'Get', { ref }));
    expect(noName.code).toBe(status.INVALID_ARGUMENT);
  });

  it('serves the status, scale, binding and eviction subresources', async () => {
    const ns = 'default';
    const created = parse(
      (
        await call(client, 'Create', {
          ref: { ...POD, namespace: ns },
          object: json(pod('sub1')),
        })
      ).object,
    );
    const withStatus = await call(client, 'Update', {
      ref: { ...POD, namespace: ns, name: 'sub1', subresource: 'status' },
      object: json({
        ...created,
        spec: { ...created.spec, nodeName: 'ignored' },
        status: { phase: 'Running' },
      }),
    });
    const afterStatus = parse(withStatus.object);
    expect(afterStatus.status.phase).toBe('Running');
    expect(afterStatus.spec.nodeName).toBeUndefined(); // status writes keep the spec

    const bound = await call(client, 'Create', {
      ref: { ...POD, namespace: ns, name: 'sub1', subresource: 'binding' },
      object: json({
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'sub1' },
        target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
      }),
    });
    expect(bound.created).toBe(true);
    expect(parse(bound.object)).toMatchObject({ kind: 'Status', status: 'Success' });
    const boundPod = parse(
      (await call(client, 'Get', { ref: { ...POD, namespace: ns, name: 'sub1' } })).object,
    );
    expect(boundPod.spec.nodeName).toBe('node-1');

    // pods/eviction: an unscheduled pod goes at once.
    await call(client, 'Create', { ref: { ...POD, namespace: ns }, object: json(pod('ev1')) });
    const evicted = await call(client, 'Create', {
      ref: { ...POD, namespace: ns, name: 'ev1', subresource: 'eviction' },
      object: json({
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'ev1', namespace: ns },
      }),
    });
    expect(evicted.created).toBe(true);
    expect(
      (await failure(call(client, 'Get', { ref: { ...POD, namespace: ns, name: 'ev1' } }))).code,
    ).toBe(status.NOT_FOUND);

    await call(client, 'Create', {
      ref: { ...DEPLOY, namespace: ns },
      object: json({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      }),
    });
    const scaleRef = { ...DEPLOY, namespace: ns, name: 'web', subresource: 'scale' };
    const scale = parse((await call(client, 'Get', { ref: scaleRef })).object);
    expect(scale).toMatchObject({
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      spec: { replicas: 2 },
    });
    const patched = await call(client, 'Patch', {
      ref: scaleRef,
      type: 'PATCH_TYPE_MERGE',
      patch: json({ spec: { replicas: 5 } }),
    });
    expect(parse(patched.object).spec.replicas).toBe(5);
    const put = await call(client, 'Update', {
      ref: scaleRef,
      object: json({
        ...scale,
        spec: { replicas: 3 },
        metadata: { ...scale.metadata, resourceVersion: undefined },
      }),
    });
    expect(parse(put.object).spec.replicas).toBe(3);
    const deployment = parse(
      (await call(client, 'Get', { ref: { ...DEPLOY, namespace: ns, name: 'web' } })).object,
    );
    expect(deployment.spec.replicas).toBe(3);
  });

  it('lists with label and field selectors and paginates with continue', async () => {
    const ns = 'kube-public';
    for (let i = 0; i < 5; i++) {
      await call(client, 'Create', {
        ref: { ...CM, namespace: ns },
        object: json(configMap(`page-${i}`, { set: 'pages', parity: i % 2 ? 'odd' : 'even' })),
      });
    }
    const odd = await call(client, 'List', {
      ref: { ...CM, namespace: ns },
      options: { label_selector: 'set=pages,parity=odd' },
    });
    expect(odd).toMatchObject({ api_version: 'v1', kind: 'ConfigMapList' });
    expect(odd.items.map((b: Buffer) => parse(b).metadata.name)).toEqual(['page-1', 'page-3']);
    expect(parse(odd.items[0]).kind).toBe('ConfigMap');

    const byName = await call(client, 'List', {
      ref: { ...CM, namespace: ns },
      options: { field_selector: 'metadata.name=page-2' },
    });
    expect(byName.items).toHaveLength(1);

    const names: string[] = [];
    let cont = '';
    let pages = 0;
    const first = await call(client, 'List', {
      ref: { ...CM, namespace: ns },
      options: { label_selector: 'set=pages', limit: 2 },
    });
    expect(first.continue).not.toBe('');
    // Upstream leaves remainingItemCount out when a selector filters the list.
    expect(first.remaining_item_count).toBeUndefined();
    const unfiltered = await call(client, 'List', {
      ref: { ...CM, namespace: ns },
      options: { limit: 1 },
    });
    expect(unfiltered.remaining_item_count).toBe(4);
    names.push(...first.items.map((b: Buffer) => parse(b).metadata.name));
    cont = first.continue;
    while (cont !== '' && pages < 10) {
      pages++;
      const page = await call(client, 'List', {
        ref: { ...CM, namespace: ns },
        options: { label_selector: 'set=pages', limit: 2, continue: cont },
      });
      expect(page.resource_version).toBe(first.resource_version);
      names.push(...page.items.map((b: Buffer) => parse(b).metadata.name));
      cont = page.continue;
    }
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);

    const badSelector = await failure(
      call(client, 'List', { ref: { ...CM, namespace: ns }, options: { field_selector: 'x=y' } }),
    );
    expect(badSelector.code).toBe(status.INVALID_ARGUMENT);

    // Across all namespaces.
    const all = await call(client, 'List', {
      ref: CM,
      options: { label_selector: 'set=pages' },
    });
    expect(all.items).toHaveLength(5);

    const removed = await call(client, 'DeleteCollection', {
      ref: { ...CM, namespace: ns },
      list_options: { label_selector: 'parity=even' },
    });
    expect(removed.items).toHaveLength(3);
    const left = await call(client, 'List', {
      ref: { ...CM, namespace: ns },
      options: { label_selector: 'set=pages' },
    });
    expect(left.items.map((b: Buffer) => parse(b).metadata.name)).toEqual(['page-1', 'page-3']);
  });

  it('streams watch events with bookmarks and ends at timeoutSeconds with OK', async () => {
    const ns = 'kube-node-lease';
    const rv = (await call(client, 'List', { ref: { ...CM, namespace: ns } })).resource_version;
    const w = watch(client, {
      ref: { ...CM, namespace: ns },
      options: { resource_version: rv, allow_watch_bookmarks: true, timeout_seconds: 3 },
    });
    await w.established;
    await call(client, 'Create', { ref: { ...CM, namespace: ns }, object: json(configMap('w1')) });
    await call(client, 'Patch', {
      ref: { ...CM, namespace: ns, name: 'w1' },
      type: 'PATCH_TYPE_MERGE',
      patch: json({ data: { k: 'v2' } }),
    });
    await call(client, 'Delete', { ref: { ...CM, namespace: ns, name: 'w1' } });
    await w.waitFor((ev) => ev.some((e) => e.type === 'DELETED'));
    const changes = w.events.filter((e) => e.type !== 'BOOKMARK');
    expect(changes.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(changes[1]!.object.data).toEqual({ k: 'v2' });
    expect(await w.ended).toEqual({ code: status.OK, status: undefined });
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1' });
    expect(BigInt(bookmark!.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(BigInt(rv));
  }, 15_000);

  it('ends a watch on a compacted resourceVersion with OUT_OF_RANGE and the 410 Status', async () => {
    const ref = { group: '', version: 'v1', resource: 'secrets', namespace: 'default' };
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cmp' }, data: {} };
    await call(client, 'Create', { ref, object: json(secret) });
    const rv = BigInt((await call(client, 'List', { ref })).resource_version);
    await call(client, 'Patch', {
      ref: { ...ref, name: 'cmp' },
      type: 'PATCH_TYPE_MERGE',
      patch: json({ data: { x: 'MQ==' } }),
    });
    await cluster.server.client.compact(rv + 1n);
    const w = watch(client, { ref, options: { resource_version: String(rv - 1n) } });
    const end = await w.ended;
    expect(end.code).toBe(status.OUT_OF_RANGE);
    expect(end.status).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(w.events).toEqual([]);
  });

  it('watches one object by name and stops when the client cancels', async () => {
    const ref = { ...CM, namespace: 'default' };
    await call(client, 'Create', { ref, object: json(configMap('one')) });
    await call(client, 'Create', { ref, object: json(configMap('other')) });
    const w = watch(client, { ref: { ...ref, name: 'one' }, options: { resource_version: '0' } });
    await w.waitFor((ev) => ev.length >= 1);
    expect(w.events.map((e) => e.object.metadata.name)).toEqual(['one']);
    w.cancel();
    expect((await w.ended).code).toBe(status.CANCELLED);
  });

  it('runs dry-run writes through validation without storing anything; field validation', async () => {
    const ref = { ...CM, namespace: 'default' };
    const dry = await call(client, 'Create', {
      ref,
      object: json(configMap('dry')),
      options: { dry_run: ['All'] },
    });
    expect(parse(dry.object).metadata.name).toBe('dry');
    expect((await failure(call(client, 'Get', { ref: { ...ref, name: 'dry' } }))).code).toBe(
      status.NOT_FOUND,
    );
    // fieldValidation: Warn (default) answers warnings in the response, Strict refuses.
    const warned = await call(client, 'Create', {
      ref,
      object: json({ ...configMap('warned'), spec: { x: 1 } }),
    });
    expect(warned.warnings).toEqual(['unknown field "spec"']);
    const strict = await failure(
      call(client, 'Create', {
        ref,
        object: json({ ...configMap('strict'), spec: { x: 1 } }),
        options: { field_validation: 'Strict' },
      }),
    );
    expect(strict.code).toBe(status.INVALID_ARGUMENT);
    expect(strict.status?.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
    );
    await call(client, 'Create', { ref, object: json(configMap('keep')) });
    await call(client, 'Delete', {
      ref: { ...ref, name: 'keep' },
      options: { dry_run: ['All'] },
    });
    await call(client, 'Get', { ref: { ...ref, name: 'keep' } });
  });

  it('server-side applies through Patch: managers, conflicts, force', async () => {
    const ref = { ...CM, namespace: 'default', name: 'ssa' };
    const apply = (manager: string, data: Record<string, string>, force = false): Promise<any> =>
      call(client, 'Patch', {
        ref,
        type: 'PATCH_TYPE_APPLY',
        patch: Buffer.from(
          `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n${Object.entries(data)
            .map(([k, v]) => `  ${k}: "${v}"`)
            .join('\n')}\n`,
        ),
        options: { field_manager: manager },
        force,
      });
    const first = await apply('alice', { a: '1' });
    expect(first.created).toBe(true);
    expect(parse(first.object).metadata.managedFields[0]).toMatchObject({
      manager: 'alice',
      operation: 'Apply',
    });
    const conflict = await failure(apply('bob', { a: '2' }));
    expect(conflict.code).toBe(status.ABORTED);
    expect(conflict.status?.reason).toBe('Conflict');
    expect(conflict.status?.details?.causes?.[0]).toMatchObject({
      reason: 'FieldManagerConflict',
      field: '.data.a',
    });
    const forced = await apply('bob', { a: '2' }, true);
    expect(parse(forced.object).data).toEqual({ a: '2' });

    // Without fieldManager, the manager is the User-Agent's product, as on REST.
    const scheduler = resourcesClient(cluster.server.grpcAddress!, undefined, {
      'grpc.primary_user_agent': 'kube-scheduler/v1.32.0',
    });
    try {
      const labelled = await call(scheduler, 'Patch', {
        ref,
        type: 'PATCH_TYPE_MERGE',
        patch: json({ metadata: { labels: { by: 'scheduler' } } }),
      });
      expect(
        parse(labelled.object).metadata.managedFields.map((m: any) => [m.manager, m.operation]),
      ).toContainEqual(['kube-scheduler', 'Update']);
    } finally {
      scheduler.close();
    }

    const noManager = await failure(
      call(client, 'Patch', { ref, type: 'PATCH_TYPE_APPLY', patch: json({}) }),
    );
    expect(noManager.code).toBe(status.INVALID_ARGUMENT);
    const forceOnMerge = await failure(
      call(client, 'Patch', { ref, type: 'PATCH_TYPE_MERGE', patch: json({}), force: true }),
    );
    expect(forceOnMerge.status?.message).toBe(
      'force: Forbidden: may not be specified for non-apply patch',
    );
  });

  it('serves custom resources through the same path, with their status subresource', async () => {
    const crdRef = {
      group: 'apiextensions.k8s.io',
      version: 'v1',
      resource: 'customresourcedefinitions',
    };
    await call(client, 'Create', {
      ref: crdRef,
      object: json({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      properties: { size: { type: 'integer', default: 1 } },
                    },
                    status: { type: 'object', properties: { ready: { type: 'boolean' } } },
                  },
                },
              },
            },
          ],
        },
      }),
    });
    const deadline = Date.now() + 10_000;
    let served = false;
    while (!served && Date.now() < deadline) {
      const d = await call(client, 'Discovery', {});
      served = d.resources.some((r: any) => r.group === 'example.com' && r.kind === 'Widget');
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    expect(served).toBe(true);
    const W = { group: 'example.com', version: 'v1', resource: 'widgets', namespace: 'default' };
    const created = parse(
      (
        await call(client, 'Create', {
          ref: W,
          object: json({
            apiVersion: 'example.com/v1',
            kind: 'Widget',
            metadata: { name: 'w' },
            spec: { extra: 'pruned' },
          }),
        })
      ).object,
    );
    expect(created.spec).toEqual({ size: 1 }); // defaulted and pruned by the schema
    const status1 = await call(client, 'Update', {
      ref: { ...W, name: 'w', subresource: 'status' },
      object: json({ ...created, status: { ready: true } }),
    });
    expect(parse(status1.object).status).toEqual({ ready: true });
    const smp = await failure(
      call(client, 'Patch', {
        ref: { ...W, name: 'w' },
        type: 'PATCH_TYPE_STRATEGIC_MERGE',
        patch: json({ spec: { size: 2 } }),
      }),
    );
    expect(smp.code).toBe(status.INVALID_ARGUMENT);
    expect(smp.status?.reason).toBe('UnsupportedMediaType');
    const list = await call(client, 'List', { ref: W });
    expect(list.kind).toBe('WidgetList');
    expect(list.items).toHaveLength(1);
    const viaRest: any = await (
      await fetch(`${cluster.url}/apis/example.com/v1/namespaces/default/widgets/w`)
    ).json();
    expect(viaRest.status).toEqual({ ready: true });
    await call(client, 'Delete', { ref: { ...crdRef, name: 'widgets.example.com' } });
  });

  it('records apiserver_request_total and grpc_server_handled_total for gRPC calls', async () => {
    const text = await (await fetch(`${cluster.url}/metrics`)).text();
    expect(text).toMatch(
      /apiserver_request_total\{verb="POST",dry_run="",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver",code="201"\} \d+/,
    );
    expect(text).toMatch(/apiserver_request_total\{verb="APPLY",[^}]*resource="configmaps"/);
    expect(text).toMatch(
      /grpc_server_handled_total\{grpc_type="unary",grpc_service="kubets.api.v1.Resources",grpc_method="Get",grpc_code="NOT_FOUND"\} \d+/,
    );
    expect(text).toMatch(
      /grpc_server_handled_total\{grpc_type="server_stream",grpc_service="kubets.api.v1.Resources",grpc_method="Watch",grpc_code="OUT_OF_RANGE"\} 1/,
    );
    expect(text).toMatch(
      /apiserver_watch_events_total\{group="",version="v1",resource="configmaps"\}/,
    );
  });
});

describe.skipIf(skip)('gRPC security and limits', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('authenticates from metadata, authorizes with the request attributes, passes the user to writes; denial writes nothing', async () => {
    const seen: { creds: Credentials[]; attrs: RequestAttributes[] } = { creds: [], attrs: [] };
    const alice: UserInfo = { username: 'alice', groups: ['devs', 'system:authenticated'] };
    const guard: RequestGuard = {
      authenticate: (creds) => {
        seen.creds.push(creds);
        if (creds.authorization !== 'Bearer good')
          return Promise.reject(newUnauthorized('Unauthorized'));
        return Promise.resolve(alice);
      },
      authorize: (user, attrs) => {
        seen.attrs.push(attrs);
        if (attrs.kind === 'resource' && attrs.verb === 'create' && attrs.resource === 'secrets') {
          return Promise.reject(
            newForbidden(
              { group: '', resource: 'secrets' },
              '',
              new Error(`User "${user.username}" cannot create resource "secrets"`),
            ),
          );
        }
        return Promise.resolve();
      },
    };
    const server = await startServer(cluster.etcd.endpoint, { etcdPrefix: '/guarded', guard });
    const client = resourcesClient(server.grpcAddress!);
    const configmaps = server.catalog.get('', 'configmaps')!;
    const writes: WriteOptions[] = [];
    const create = configmaps.create.bind(configmaps);
    configmaps.create = (ns, body, opts = {}, version) => {
      writes.push(opts);
      return create(ns, body, opts, version);
    };
    try {
      const md = new Metadata();
      md.set('authorization', 'Bearer good');
      md.set('impersonate-user', 'bob');
      md.add('impersonate-group', 'g1');
      md.add('impersonate-group', 'g2');
      md.set('impersonate-extra-scopes', 'view');
      const created = await call(
        client,
        'Create',
        { ref: { ...CM, namespace: 'default' }, object: json(configMap('ok')) },
        md,
      );
      expect(parse(created.object).metadata.name).toBe('ok');
      // The authenticated user reaches the registry (admission) in WriteOptions.user.
      expect(writes[0]?.user).toEqual(alice);
      expect(seen.creds[0]).toEqual({
        authorization: 'Bearer good',
        impersonate: { user: 'bob', groups: ['g1', 'g2'], extra: { scopes: ['view'] } },
      });
      expect(seen.attrs[0]).toEqual({
        kind: 'resource',
        verb: 'create',
        group: '',
        version: 'v1',
        resource: 'configmaps',
        subresource: '',
        namespace: 'default',
        name: '',
      });

      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'denied' },
        stringData: { a: 'b' },
      };
      const denied = await failure(
        call(
          client,
          'Create',
          {
            ref: { group: '', version: 'v1', resource: 'secrets', namespace: 'default' },
            object: json(secret),
          },
          md,
        ),
      );
      expect(denied.code).toBe(status.PERMISSION_DENIED);
      expect(denied.status).toMatchObject({ reason: 'Forbidden', code: 403 });
      const stillMissing = await failure(
        call(
          client,
          'Get',
          {
            ref: {
              group: '',
              version: 'v1',
              resource: 'secrets',
              namespace: 'default',
              name: 'denied',
            },
          },
          md,
        ),
      );
      expect(stillMissing.code).toBe(status.NOT_FOUND);

      const anonymous = await failure(
        call(client, 'List', { ref: { ...CM, namespace: 'default' } }),
      );
      expect(anonymous.code).toBe(status.UNAUTHENTICATED);
      expect(anonymous.status).toMatchObject({ reason: 'Unauthorized', code: 401 });
      const anonWatch = watch(client, { ref: { ...CM, namespace: 'default' } });
      expect((await anonWatch.ended).code).toBe(status.UNAUTHENTICATED);

      await call(client, 'Discovery', {}, md);
      expect(seen.attrs.at(-1)).toEqual({ kind: 'nonresource', verb: 'get', path: '/apis' });

      // A failure that is not a StatusError is a 500 InternalError, as on REST.
      const events = server.catalog.get('', 'events')!;
      events.list = () => Promise.reject(new Error('storage exploded'));
      const internal = await failure(
        call(client, 'List', { ref: { group: '', version: 'v1', resource: 'events' } }, md),
      );
      expect(internal.code).toBe(status.INTERNAL);
      expect(internal.status).toMatchObject({ reason: 'InternalError', code: 500 });
      expect(internal.status?.message).toContain('storage exploded');
    } finally {
      client.close();
      await server.close();
    }
  }, 30_000);

  it('shares --max-mutating-requests-inflight with REST: the next write is 429 / RESOURCE_EXHAUSTED', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let waiting = 0;
    const guard: RequestGuard = {
      authenticate: () => Promise.resolve({ username: 'u', groups: [] }),
      authorize: async (_u, attrs) => {
        if (attrs.kind === 'resource' && attrs.verb === 'create') {
          waiting++;
          await gate;
        }
      },
    };
    const server = await startServer(cluster.etcd.endpoint, {
      etcdPrefix: '/limited',
      guard,
      maxMutatingRequestsInflight: 1,
      maxRequestsInflight: 0,
    });
    const client = resourcesClient(server.grpcAddress!);
    try {
      const ref = { ...CM, namespace: 'default' };
      const first = call(client, 'Create', { ref, object: json(configMap('slow')) });
      const deadline = Date.now() + 5_000;
      while (waiting === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const second = await failure(
        call(client, 'Create', { ref, object: json(configMap('fast')) }),
      );
      expect(second.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(second.status).toMatchObject({
        reason: 'TooManyRequests',
        code: 429,
        details: { retryAfterSeconds: 1 },
      });
      const rest = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(configMap('rest')),
      });
      expect(rest.status).toBe(429);
      // Reads are limited separately (unlimited here).
      await call(client, 'List', { ref });
      release();
      expect(parse((await first).object).metadata.name).toBe('slow');
      await call(client, 'Create', { ref, object: json(configMap('after')) });
    } finally {
      release();
      client.close();
      await server.close();
    }
  }, 30_000);
});

const skipTLS = skip ?? (OPENSSL ? undefined : 'openssl not found');
if (!skip && skipTLS) console.warn(`skipping gRPC TLS tests: ${skipTLS}`);

describe.skipIf(skipTLS)('gRPC over TLS', () => {
  let cluster: TestCluster;
  let dir: string;
  const pem = (name: string): Buffer => readFileSync(join(dir, name));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-grpc-tls-'));
    const ca = selfSigned(dir, 'ca', { cn: 'client-ca' });
    selfSigned(dir, 'server', { cn: 'kubets-apiserver', subjectAltName: 'IP:127.0.0.1' });
    issue(dir, ca, 'client', { cn: 'alice', orgs: ['devs'] });
    cluster = await startTestCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves with the REST serving certificate and hands verified client certificates to the guard', async () => {
    const creds: Credentials[] = [];
    const guard: RequestGuard = {
      authenticate: (c) => {
        creds.push(c);
        return Promise.resolve({ username: 'x', groups: [] });
      },
      authorize: () => Promise.resolve(),
    };
    const server = await startServer(cluster.etcd.endpoint, {
      etcdPrefix: '/tls',
      tls: { cert: pem('server.crt'), key: pem('server.key') },
      clientCA: pem('ca.crt'),
      guard,
    });
    const withCert = resourcesClient(
      server.grpcAddress!,
      grpcCredentials.createSsl(pem('server.crt'), pem('client.key'), pem('client.crt')),
    );
    const tokenOnly = resourcesClient(
      server.grpcAddress!,
      grpcCredentials.createSsl(pem('server.crt')),
    );
    const plain = resourcesClient(server.grpcAddress!);
    try {
      expect(server.url.startsWith('https://')).toBe(true);
      await call(withCert, 'List', { ref: { ...CM, namespace: 'default' } });
      const der = new X509Certificate(pem('client.crt')).raw;
      expect(creds[0]?.peerCertificates?.[0]?.equals(der)).toBe(true);
      // Client certificates are asked for, not required: token clients connect too.
      await call(tokenOnly, 'List', { ref: { ...CM, namespace: 'default' } });
      expect(creds[1]?.peerCertificates).toBeUndefined();
      // No plaintext on the TLS port.
      const refused = await failure(call(plain, 'List', { ref: { ...CM, namespace: 'default' } }));
      expect(refused.code).toBe(status.UNAVAILABLE);
    } finally {
      withCert.close();
      tokenOnly.close();
      plain.close();
      await server.close();
    }
  }, 30_000);
});
