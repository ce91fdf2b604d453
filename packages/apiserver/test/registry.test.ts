/**
 * The generic registry against a real etcd: create/update/patch/apply/delete semantics,
 * subresources, dryRun, field validation and selectors, with small fixture kinds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError } from '@kubets/apimachinery';
import { EtcdClient } from '../src/storage/etcd/etcd-client.js';
import { ResourceStore } from '../src/storage/store.js';
import type { ApiObject } from '../src/storage/codec.js';
import { ResourceRegistry, type RegistryDeps } from '../src/registry/resource-registry.js';
import { podGracePeriod } from '../src/registry/deletion.js';
import type { ResourceDefinition } from '../src/registry/definition.js';
import { configMapDefinition, deploymentDefinition, podDefinition } from './helpers/fixtures.js';
import { etcdMissingReason, startEtcd, type EtcdProcess } from './helpers/etcd.js';

const skip = etcdMissingReason();
if (skip) console.warn(`skipping registry tests: ${skip}`);

let etcd: EtcdProcess;
let client: EtcdClient;
let clock = new Date('2026-11-29T10:00:00Z');
let uid = 0;
let prefixN = 0;

function registry(def: ResourceDefinition, extra: Partial<RegistryDeps> = {}): ResourceRegistry {
  const store = new ResourceStore({
    client,
    groupResource: { group: def.group, resource: def.plural },
    pathPrefix: `/r${++prefixN}`,
    resourcePrefix: def.plural,
    namespaced: def.namespaced,
  });
  return new ResourceRegistry(def, {
    store,
    now: () => clock,
    newUID: () => `uid-${++uid}`,
    randomIntn: (n) => 7 % n,
    ...extra,
  });
}

async function statusOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

const cm = (
  name: string,
  data: Record<string, string> = { a: '1' },
  labels?: Record<string, string>,
): ApiObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

const deploy = (name: string, replicas = 1, image = 'nginx'): ApiObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
  },
});

describe.skipIf(skip)('generic registry on real etcd', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    client = new EtcdClient({ endpoints: etcd.endpoint });
  }, 20_000);
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  describe('create', () => {
    it('fills system metadata and records the field manager', async () => {
      const r = registry(configMapDefinition());
      const { object, created } = await r.create('default', cm('one'), {
        fieldManager: 'kubectl-create',
      });
      expect(created).toBe(true);
      expect(object.metadata).toMatchObject({
        name: 'one',
        namespace: 'default',
        uid: expect.stringMatching(/^uid-/),
        creationTimestamp: '2026-11-29T10:00:00Z',
        resourceVersion: expect.stringMatching(/^\d+$/),
      });
      expect(object.metadata?.managedFields).toEqual([
        {
          manager: 'kubectl-create',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2026-11-29T10:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } },
        },
      ]);
      expect(await r.get('default', 'one')).toEqual(object);
    });

    it('completes generateName and refuses invalid names with 422', async () => {
      const r = registry(configMapDefinition());
      const { object } = await r.create('default', {
        ...cm(''),
        metadata: { generateName: 'gen-' },
      });
      expect(object.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
      const bad = await statusOf(r.create('default', cm('Not_Valid')));
      expect(bad.code).toBe(422);
      expect(bad.message).toMatch(
        /^ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid"/,
      );
    });

    it('answers AlreadyExists, namespace mismatches and type mismatches', async () => {
      const r = registry(configMapDefinition());
      await r.create('default', cm('dup'));
      expect((await statusOf(r.create('default', cm('dup')))).message).toBe(
        'configmaps "dup" already exists',
      );
      const ns = await statusOf(
        r.create('default', { ...cm('x'), metadata: { name: 'x', namespace: 'other' } }),
      );
      expect(ns.code).toBe(400);
      expect(ns.message).toBe(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
      const kind = await statusOf(r.create('default', { ...cm('x'), apiVersion: 'apps/v1' }));
      expect(kind.message).toBe(
        'the API version in the data (apps/v1) does not match the expected API version (v1)',
      );
    });

    it('does not persist under dryRun', async () => {
      const r = registry(configMapDefinition());
      const { object } = await r.create('default', cm('dry'), { dryRun: true });
      expect(object.metadata?.uid).toBeTruthy();
      expect((await statusOf(r.get('default', 'dry'))).code).toBe(404);
    });

    it('rejects unknown fields under Strict, warns and drops them under Warn', async () => {
      const r = registry(configMapDefinition());
      const withExtra = { ...cm('strict'), spec: { foo: 1 }, data: { a: '1' } };
      const strict = await statusOf(r.create('default', withExtra, { fieldValidation: 'Strict' }));
      expect(strict.code).toBe(400);
      expect(strict.message).toBe(
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
      );
      const warned = await r.create('default', withExtra, { fieldValidation: 'Warn' });
      expect(warned.warnings).toEqual(['unknown field "spec"']);
      expect(warned.object.spec).toBeUndefined();
    });
  });

  describe('update', () => {
    it('is optimistic: a stale resourceVersion is a 409 Conflict', async () => {
      const r = registry(configMapDefinition());
      const { object } = await r.create('default', cm('occ'));
      await r.update('default', 'occ', { ...object, data: { a: '2' } });
      const err = await statusOf(r.update('default', 'occ', { ...object, data: { a: '3' } }));
      expect(err.code).toBe(409);
      expect(err.message).toBe(
        'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
      );
      // Without a resourceVersion the update is unconditional.
      const { resourceVersion: _rv, ...meta } = object.metadata!;
      const ok = await r.update('default', 'occ', { ...object, metadata: meta, data: { a: '4' } });
      expect(ok.object.data).toEqual({ a: '4' });
    });

    it('redoes an update judged on a stale cached object from the request body as sent', async () => {
      const r = registry(configMapDefinition());
      const { object: v1 } = await r.create('default', cm('stale'));
      const { object: v2 } = await r.update('default', 'stale', { ...v1, data: { a: '2' } });
      // A watch cache that has not seen v2 yet: the first attempt fails on it (409 against the
      // cached resourceVersion) and is redone on the stored object with the body decoded again.
      const cacher = { getFromCache: () => ({ object: v1 }) } as unknown as RegistryDeps['cacher'];
      const behind = new ResourceRegistry(configMapDefinition(), {
        store: r.store,
        cacher,
        now: () => clock,
        newUID: () => `uid-${++uid}`,
        randomIntn: (n) => 7 % n,
      });
      const body = { ...v2, data: { a: '3' }, extra: 'x' } as ApiObject;
      const sent = JSON.stringify(body);
      const { object, warnings } = await behind.update('default', 'stale', body);
      expect(object.data).toEqual({ a: '3' });
      expect(object).not.toHaveProperty('extra');
      expect(warnings).toEqual(['unknown field "extra"']);
      expect(JSON.stringify(body)).toBe(sent);
    });

    it('bumps generation on spec changes only and keeps status out of the main resource', async () => {
      const r = registry(deploymentDefinition());
      const { object } = await r.create('default', deploy('gen'));
      expect(object.metadata?.generation).toBe(1);
      expect(object.status).toEqual({});
      const labelled = await r.update('default', 'gen', {
        ...object,
        metadata: { ...object.metadata, labels: { x: 'y' } },
        status: { replicas: 9 },
      });
      expect(labelled.object.metadata?.generation).toBe(1);
      expect(labelled.object.status).toEqual({});
      const scaled = await r.update('default', 'gen', {
        ...labelled.object,
        spec: { ...(labelled.object.spec as object), replicas: 3 },
      });
      expect(scaled.object.metadata?.generation).toBe(2);
      const status = await r.update(
        'default',
        'gen',
        { ...scaled.object, status: { replicas: 3 }, spec: { replicas: 99 } },
        {},
        undefined,
        'status',
      );
      expect(status.object.status).toEqual({ replicas: 3 });
      expect((status.object.spec as { replicas: number }).replicas).toBe(3);
      expect(status.object.metadata?.generation).toBe(2);
    });
  });

  describe('patch', () => {
    it('applies merge, JSON and strategic patches', async () => {
      const r = registry(configMapDefinition());
      await r.create('default', cm('p', { a: '1' }));
      const merged = await r.patch(
        'default',
        'p',
        'merge',
        { metadata: { labels: { tier: 'web' } }, data: { b: '2' } },
        { fieldManager: 'kubectl-label' },
      );
      expect(merged.object.metadata?.labels).toEqual({ tier: 'web' });
      expect(merged.object.data).toEqual({ a: '1', b: '2' });
      const json = await r.patch('default', 'p', 'json', [{ op: 'remove', path: '/data/a' }]);
      expect(json.object.data).toEqual({ b: '2' });
      const smp = await r.patch('default', 'p', 'strategic', { data: { c: '3' } });
      expect(smp.object.data).toEqual({ b: '2', c: '3' });
      const bad = await statusOf(
        r.patch('default', 'p', 'json', [{ op: 'test', path: '/data/b', value: 'x' }]),
      );
      expect(bad.code).toBeGreaterThanOrEqual(400);
      expect(bad.code).toBeLessThan(500);
      expect((await statusOf(r.patch('default', 'missing', 'merge', {}))).code).toBe(404);
    });

    it('server-side apply creates, updates owned fields, conflicts and forces', async () => {
      const r = registry(deploymentDefinition());
      const first = await r.patch('default', 'ssa', 'apply', deploy('ssa', 2) as never, {
        fieldManager: 'kubectl',
      });
      expect(first.created).toBe(true);
      expect(first.object.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([
        ['kubectl', 'Apply'],
      ]);
      const again = await r.patch('default', 'ssa', 'apply', deploy('ssa', 2) as never, {
        fieldManager: 'kubectl',
      });
      expect(again.created).toBe(false);
      expect(again.object.metadata?.resourceVersion).toBe(first.object.metadata?.resourceVersion);
      const owned = await r.patch('default', 'ssa', 'apply', deploy('ssa', 3) as never, {
        fieldManager: 'kubectl',
      });
      expect((owned.object.spec as { replicas: number }).replicas).toBe(3);
      expect(owned.object.metadata?.generation).toBe(2);
      const conflict = await statusOf(
        r.patch('default', 'ssa', 'apply', deploy('ssa', 5) as never, { fieldManager: 'other' }),
      );
      expect(conflict.code).toBe(409);
      expect(conflict.message).toBe(
        'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
      );
      const forced = await r.patch('default', 'ssa', 'apply', deploy('ssa', 5) as never, {
        fieldManager: 'other',
        force: true,
      });
      expect((forced.object.spec as { replicas: number }).replicas).toBe(5);
      const missingManager = await statusOf(
        r.patch('default', 'ssa', 'apply', deploy('ssa') as never, {}),
      );
      expect(missingManager.code).toBe(422);
      expect(missingManager.message).toContain(
        'fieldManager: Required value: is required for apply patch',
      );
    });

    it('conflicts with a manager that changed a field through scale', async () => {
      const r = registry(deploymentDefinition());
      await r.patch('default', 'sc', 'apply', deploy('sc', 1) as never, {
        fieldManager: 'kubectl',
      });
      await r.updateScale('default', 'sc', (s) => ({ ...s, spec: { replicas: 4 } }), {
        userAgent: 'kubectl/v1.32.4 (linux/amd64)',
      });
      const err = await statusOf(
        r.patch('default', 'sc', 'apply', deploy('sc', 1) as never, { fieldManager: 'kubectl' }),
      );
      expect(err.message).toBe(
        'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
      );
    });
  });

  describe('delete', () => {
    it('deletes at once and answers with a Success status', async () => {
      const r = registry(configMapDefinition());
      const { object } = await r.create('default', cm('gone'));
      const res = await r.delete('default', 'gone');
      expect(res.deleted).toBe(true);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: 'gone', kind: 'configmaps', uid: object.metadata?.uid },
      });
      expect((await statusOf(r.get('default', 'gone'))).code).toBe(404);
    });

    it('keeps objects with finalizers until the last one is removed', async () => {
      const r = registry(configMapDefinition());
      await r.create('default', {
        ...cm('fin'),
        metadata: { name: 'fin', finalizers: ['example.com/hold'] },
      });
      const res = await r.delete('default', 'fin');
      expect(res.deleted).toBe(false);
      const marked = res.body as ApiObject;
      expect(marked.metadata?.deletionTimestamp).toBe('2026-11-29T10:00:00Z');
      expect(marked.metadata?.deletionGracePeriodSeconds).toBe(0);
      expect((await r.get('default', 'fin')).metadata?.deletionTimestamp).toBeTruthy();
      await r.patch('default', 'fin', 'merge', { metadata: { finalizers: null } });
      expect((await statusOf(r.get('default', 'fin'))).code).toBe(404);
    });

    it('records propagationPolicy as the garbage collector finalizers', async () => {
      const r = registry(deploymentDefinition());
      await r.create('default', deploy('fg'));
      const fg = await r.delete('default', 'fg', { propagationPolicy: 'Foreground' });
      expect((fg.body as ApiObject).metadata?.finalizers).toEqual(['foregroundDeletion']);
      await r.create('default', deploy('orph'));
      const orphan = await r.delete('default', 'orph', { propagationPolicy: 'Orphan' });
      expect((orphan.body as ApiObject).metadata?.finalizers).toEqual(['orphan']);
      await r.create('default', deploy('bg'));
      expect((await r.delete('default', 'bg', { propagationPolicy: 'Background' })).deleted).toBe(
        true,
      );
    });

    it('deletes scheduled pods gracefully and unscheduled ones at once', async () => {
      const r = registry(podDefinition(), {
        gracePeriod: podGracePeriod,
        returnDeletedObject: true,
      });
      const pod = (name: string, nodeName?: string): ApiObject => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'i' }] },
      });
      await r.create('default', pod('bound', 'node-1'));
      const graceful = await r.delete('default', 'bound');
      expect(graceful.deleted).toBe(false);
      expect((graceful.body as ApiObject).metadata).toMatchObject({
        deletionTimestamp: '2026-11-29T10:00:30Z',
        deletionGracePeriodSeconds: 30,
      });
      // A second delete without a shorter grace period changes nothing.
      expect((await r.delete('default', 'bound')).deleted).toBe(false);
      // The kubelet's final delete (grace 0) removes it.
      const final = await r.delete('default', 'bound', { gracePeriodSeconds: 0 });
      expect(final.deleted).toBe(true);
      expect((final.body as ApiObject).kind).toBe('Pod');
      await r.create('default', pod('pending'));
      expect((await r.delete('default', 'pending')).deleted).toBe(true);
    });

    it('checks preconditions and supports dryRun', async () => {
      const r = registry(configMapDefinition());
      const { object } = await r.create('default', cm('pre'));
      const uidErr = await statusOf(r.delete('default', 'pre', { preconditions: { uid: 'nope' } }));
      expect(uidErr.code).toBe(409);
      expect(uidErr.message).toBe(
        `Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: nope, UID in object meta: ${object.metadata?.uid}`,
      );
      expect((await r.delete('default', 'pre', {}, true)).deleted).toBe(true);
      expect((await r.get('default', 'pre')).metadata?.name).toBe('pre');
    });

    it('deletes collections by label selector', async () => {
      const r = registry(configMapDefinition());
      await r.create('default', cm('a1', {}, { app: 'x' }));
      await r.create('default', cm('a2', {}, { app: 'x' }));
      await r.create('default', cm('b1', {}, { app: 'y' }));
      const deleted = await r.deleteCollection('default', { labelSelector: 'app=x' });
      expect((deleted.items as ApiObject[]).map((i) => i.metadata?.name)).toEqual(['a1', 'a2']);
      const left = await r.list('default', {});
      expect((left.items as ApiObject[]).map((i) => i.metadata?.name)).toEqual(['b1']);
    });
  });

  describe('scale', () => {
    it('reads and writes replicas through an autoscaling/v1 Scale and bumps generation', async () => {
      const r = registry(deploymentDefinition());
      await r.create('default', deploy('web', 1));
      const scale = await r.getScale('default', 'web');
      expect(scale).toMatchObject({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'web', namespace: 'default' },
        spec: { replicas: 1 },
        status: { replicas: 0, selector: 'app=web' },
      });
      const up = await r.updateScale('default', 'web', (s) => ({ ...s, spec: { replicas: 3 } }));
      expect((up.object.spec as { replicas: number }).replicas).toBe(3);
      const d = await r.get('default', 'web');
      expect((d.spec as { replicas: number }).replicas).toBe(3);
      expect(d.metadata?.generation).toBe(2);
      const stale = await statusOf(
        r.updateScale('default', 'web', (s) => ({
          ...s,
          metadata: { ...(s.metadata as object), resourceVersion: '1' },
        })),
      );
      expect(stale.code).toBe(409);
      const negative = await statusOf(
        r.updateScale('default', 'web', (s) => ({ ...s, spec: { replicas: -1 } })),
      );
      expect(negative.code).toBe(422);
    });
  });

  describe('list', () => {
    it('filters by label and supported field selectors, refusing unknown fields', async () => {
      const r = registry(podDefinition());
      const pod = (name: string, app: string): ApiObject => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app } },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      });
      await r.create('default', pod('p1', 'x'));
      await r.create('default', pod('p2', 'y'));
      const list = await r.list('default', {
        labelSelector: 'app=x',
        fieldSelector: 'status.phase=',
      });
      expect(list.kind).toBe('PodList');
      expect((list.items as ApiObject[]).map((p) => p.metadata?.name)).toEqual(['p1']);
      const err = await statusOf(r.list('default', { fieldSelector: 'spec.foo=a' }));
      expect(err.code).toBe(400);
      expect(err.message).toBe('field label not supported: spec.foo');
      const cms = registry(configMapDefinition());
      const err2 = await statusOf(cms.list('default', { fieldSelector: 'data.a=1' }));
      expect(err2.status.message).toBe(
        '"data.a" is not a known field selector: only "metadata.name", "metadata.namespace"',
      );
    });
  });

  it('advances the injected clock', () => {
    clock = new Date(clock.getTime() + 1000);
    expect(clock.toISOString()).toBe('2026-11-29T10:00:01.000Z');
  });
});
