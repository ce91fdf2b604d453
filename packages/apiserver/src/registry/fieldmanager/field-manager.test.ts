import { describe, expect, it } from 'vitest';
import { StatusError } from '@kubets/apimachinery';
import type { ApiObject } from '../../storage/codec.js';
import { FieldSet, formatPath } from './fieldpath.js';
import {
  applyConfiguration,
  ignoreFor,
  updateManagedFields,
  updateManagedFieldsByDecoding,
} from './field-manager.js';
import { SchemaConverter, type OpenAPINode } from './schema.js';
import { compare, merge, toFieldSet } from './typed.js';

// A Deployment-like schema with the markers upstream publishes.
const defs: Record<string, OpenAPINode> = {
  Deploy: {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: '#/components/schemas/Meta' },
      spec: { $ref: '#/components/schemas/Spec' },
      status: { type: 'object', properties: { replicas: { type: 'integer' } } },
    },
  },
  Meta: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      namespace: { type: 'string' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      finalizers: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
    },
  },
  Spec: {
    type: 'object',
    properties: {
      replicas: { type: 'integer' },
      selector: {
        type: 'object',
        'x-kubernetes-map-type': 'atomic',
        properties: { app: { type: 'string' } },
      },
      containers: {
        type: 'array',
        items: { $ref: '#/components/schemas/Container' },
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
      args: { type: 'array', items: { type: 'string' } },
    },
  },
  Container: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      image: { type: 'string' },
      pullPolicy: { type: 'string' },
    },
  },
};
const type = new SchemaConverter(defs).named('Deploy');
const now = new Date('2026-11-29T12:00:00Z');
const opts = { type, apiVersion: 'apps/v1', subresource: '', ignore: ignoreFor('', true), now };

function deploy(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec,
    ...extra,
  };
}

describe('field sets', () => {
  it('serialize to FieldsV1 as upstream does', () => {
    const set = toFieldSet(
      deploy({
        replicas: 2,
        containers: [{ name: 'nginx', image: 'nginx' }],
        selector: { app: 'x' },
      }),
      type,
    );
    expect(set.toFieldsV1()).toEqual({
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': { 'f:name': {}, 'f:namespace': {} },
      'f:spec': {
        'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
        'f:replicas': {},
        'f:selector': {},
      },
    });
    expect(FieldSet.fromFieldsV1(set.toFieldsV1()).toFieldsV1()).toEqual(set.toFieldsV1());
    expect(() => FieldSet.fromFieldsV1({ bad: {} })).toThrow(/invalid fieldsV1 path element/);
  });

  it('formats paths like conflict messages', () => {
    expect(formatPath(['f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image'])).toBe(
      '.spec.containers[name="nginx"].image',
    );
    expect(formatPath(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]');
    expect(formatPath(['f:spec', 'f:args', 'i:2'])).toBe('.spec.args[2]');
  });

  it('compares by list keys and leaves', () => {
    const a = deploy({
      replicas: 1,
      containers: [
        { name: 'a', image: '1' },
        { name: 'b', image: '1' },
      ],
    });
    const b = deploy({
      replicas: 2,
      containers: [
        { name: 'b', image: '2' },
        { name: 'c', image: '1' },
      ],
    });
    const c = compare(a, b, type);
    expect([...c.modified.paths()].map(formatPath)).toEqual([
      '.spec.containers[name="b"].image',
      '.spec.replicas',
    ]);
    expect([...c.added.paths()].map(formatPath)).toContain('.spec.containers[name="c"]');
    expect([...c.removed.paths()].map(formatPath)).toContain('.spec.containers[name="a"].image');
  });

  it('compares copies that share nothing: equal content is no change, whatever its order', () => {
    const spec = {
      replicas: 1,
      selector: { app: 'web' },
      args: ['x', 'y'],
      containers: [
        { name: 'a', image: '1', pullPolicy: 'Always' },
        { name: 'b', image: '1' },
      ],
    };
    const a = deploy(spec, { status: { replicas: 1 } });
    const copy = JSON.parse(JSON.stringify(a)) as ApiObject;
    const none = compare(a, copy, type);
    expect([none.added, none.removed, none.modified].every((s) => s.isEmpty())).toBe(true);
    // Members in another order, keyed items swapped, one leaf changed deep in an item.
    const b = deploy(
      {
        containers: [
          { name: 'b', image: '1' },
          { pullPolicy: 'Never', image: '1', name: 'a' },
        ],
        args: ['x', 'y'],
        selector: { app: 'web' },
        replicas: 1,
      },
      { status: { replicas: 1 } },
    );
    const c = compare(a, b, type);
    expect([...c.modified.paths()].map(formatPath)).toEqual([
      '.spec.containers[name="a"].pullPolicy',
    ]);
    expect(c.added.isEmpty() && c.removed.isEmpty()).toBe(true);
  });

  it('merges keyed lists item by item and replaces atomic values', () => {
    const live = deploy({
      args: ['x'],
      containers: [{ name: 'a', image: '1', pullPolicy: 'Always' }],
    });
    const cfg = deploy({
      args: ['y'],
      containers: [
        { name: 'a', image: '2' },
        { name: 'b', image: '1' },
      ],
    });
    expect((merge(live as never, cfg as never, type) as any).spec).toEqual({
      args: ['y'],
      containers: [
        { name: 'a', image: '2', pullPolicy: 'Always' },
        { name: 'b', image: '1' },
      ],
    });
  });
});

describe('server-side apply', () => {
  it('creates, records the applier and owns only applied fields', () => {
    const out = applyConfiguration(undefined, deploy({ replicas: 1 }), 'kubectl', false, opts);
    expect(out.spec).toEqual({ replicas: 1 });
    expect(out.metadata?.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2026-11-29T12:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ]);
  });

  it('conflicts with another manager that owns a changed field, with upstream messages', () => {
    const created = applyConfiguration(undefined, deploy({ replicas: 1 }), 'alice', false, opts);
    // Same value: shared ownership, no conflict.
    const shared = applyConfiguration(created, deploy({ replicas: 1 }), 'bob', false, opts);
    expect(shared.metadata?.managedFields?.map((m) => m.manager)).toEqual(['alice', 'bob']);
    let err: unknown;
    try {
      applyConfiguration(created, deploy({ replicas: 3 }), 'bob', false, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    const status = (err as StatusError).status;
    expect(status.code).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toBe(
      'Apply failed with 1 conflict: conflict with "alice": .spec.replicas',
    );
    expect(status.details?.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.replicas' },
    ]);
    const forced = applyConfiguration(created, deploy({ replicas: 3 }), 'bob', true, opts);
    expect(forced.spec).toEqual({ replicas: 3 });
    expect(forced.metadata?.managedFields?.map((m) => m.manager)).toEqual(['bob']);
  });

  it('names update managers with their apiVersion and lists several conflicts', () => {
    const created = updateManagedFields(
      undefined,
      deploy({ replicas: 1, containers: [{ name: 'a', image: '1' }] }),
      'kubectl-client-side-apply',
      opts,
    );
    let message = '';
    try {
      applyConfiguration(
        created,
        deploy({ replicas: 2, containers: [{ name: 'a', image: '2' }] }),
        'kubectl',
        false,
        opts,
      );
    } catch (e) {
      message = (e as StatusError).message;
    }
    expect(message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.containers[name="a"].image\n- .spec.replicas',
    );
  });

  it('removes fields the applier stopped applying, unless another manager owns them', () => {
    const v1 = applyConfiguration(
      undefined,
      deploy({ replicas: 1, args: ['a'] }),
      'me',
      false,
      opts,
    );
    const v2 = applyConfiguration(v1, deploy({ replicas: 1 }), 'me', false, opts);
    expect(v2.spec).toEqual({ replicas: 1 });
    const withOther = updateManagedFields(
      v1,
      { ...v1, metadata: { ...v1.metadata, labels: { x: 'y' } } },
      'other',
      opts,
    );
    const v3 = applyConfiguration(withOther, deploy({}), 'me', false, opts);
    expect(v3.spec).toEqual({});
    expect(v3.metadata?.labels).toEqual({ x: 'y' });
  });

  it('does not track status on the main resource', () => {
    const out = applyConfiguration(
      undefined,
      deploy({ replicas: 1 }, { status: { replicas: 5 } }),
      'me',
      false,
      opts,
    );
    expect(out.metadata?.managedFields?.[0]?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });
});

describe('update tracking', () => {
  it('gives the updater what it changed and takes it from others', () => {
    const created = applyConfiguration(
      undefined,
      deploy({ replicas: 1, args: ['a'] }),
      'applier',
      false,
      opts,
    );
    const scaled = updateManagedFields(
      created,
      { ...created, spec: { replicas: 5, args: ['a'] } },
      'kubectl',
      {
        ...opts,
        subresource: 'scale',
      },
    );
    const entries = scaled.metadata!.managedFields!;
    expect(entries.map((e) => [e.manager, e.operation, e.subresource])).toEqual([
      ['applier', 'Apply', undefined],
      ['kubectl', 'Update', 'scale'],
    ]);
    expect(entries[0]!.fieldsV1).toEqual({ 'f:spec': { 'f:args': {} } });
    expect(entries[1]!.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('records a create like an update from nothing, without touching the request object', () => {
    const body = deploy(
      { replicas: 1, containers: [{ name: 'nginx', image: 'nginx' }], args: ['a'] },
      { status: { replicas: 0 } },
    );
    body.metadata = { ...body.metadata, labels: { app: 'web' }, finalizers: ['x'], uid: 'u' };
    const before = JSON.parse(JSON.stringify(body)) as ApiObject;
    const created = updateManagedFields(undefined, body, 'kubectl', opts);
    // The general path (an empty managedFields list sent is no reset) gives the same entry.
    const general = updateManagedFields(
      undefined,
      { ...body, metadata: { ...body.metadata, managedFields: [] } },
      'kubectl',
      opts,
    );
    expect(created).toEqual(general);
    const [entry] = created.metadata!.managedFields!;
    expect(entry).toMatchObject({
      manager: 'kubectl',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2026-11-29T12:00:00Z',
    });
    expect(entry!.fieldsV1!['f:spec']).toEqual({
      'f:args': {},
      'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
      'f:replicas': {},
    });
    expect(body).toEqual(before);
  });
});

describe('update tracking on the changed fields', () => {
  // Several managers (an applier, updaters, a status writer) take turns; after every write the
  // entries must be exactly what decoding and re-encoding every entry gives.
  it('matches the full decode and encode, write after write', () => {
    const at = (s: number): Date => new Date(Date.UTC(2026, 10, 29, 12, 0, s));
    let live = applyConfiguration(
      undefined,
      deploy(
        { replicas: 1, containers: [{ name: 'nginx', image: 'nginx' }], args: ['a'] },
        { metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } } },
      ),
      'applier',
      false,
      { ...opts, now: at(0) },
    );
    type Step = [manager: string, subresource: string, change: (o: ApiObject) => ApiObject];
    const spec = (o: ApiObject): Record<string, unknown> => o.spec as Record<string, unknown>;
    const steps: Step[] = [
      ['kubectl', '', (o) => ({ ...o, spec: { ...spec(o), replicas: 3 } })],
      ['kubectl', '', (o) => ({ ...o, spec: { ...spec(o), replicas: 4 } })],
      ['kubectl', '', (o) => o],
      ['editor', '', (o) => ({ ...o, metadata: { ...o.metadata, labels: { app: 'x', t: '1' } } })],
      [
        'editor',
        '',
        (o) => ({
          ...o,
          spec: { ...spec(o), containers: [{ name: 'nginx', image: 'nginx:2' }, { name: 'side' }] },
        }),
      ],
      ['kubectl', '', (o) => ({ ...o, spec: { ...spec(o), args: [] } })],
      ['controller', 'status', (o) => ({ ...o, status: { replicas: 4 } })],
      ['controller', 'status', (o) => ({ ...o, status: { replicas: 5 } })],
      ['kubectl', '', (o) => ({ ...o, metadata: { ...o.metadata, labels: { app: 'x' } } })],
      ['editor', '', (o) => ({ ...o, spec: { replicas: 4 } })],
      ['kubectl', '', (o) => ({ ...o, spec: { ...spec(o), replicas: 1 } })],
      // Additions only, by a manager that already has an entry: inserted into its stored FieldsV1.
      ['kubectl', '', (o) => ({ ...o, metadata: { ...o.metadata, annotations: { m: '1' } } })],
      [
        'kubectl',
        '',
        (o) => ({ ...o, metadata: { ...o.metadata, annotations: { a: '1', m: '1', z: '2' } } }),
      ],
      ['kubectl', '', (o) => ({ ...o, spec: { ...spec(o), minReadySeconds: 5, paused: true } })],
      [
        'kubectl',
        '',
        (o) => ({
          ...o,
          spec: {
            ...spec(o),
            containers: [{ name: 'nginx', image: 'nginx:3', ports: [{ containerPort: 80 }] }],
          },
        }),
      ],
      [
        'editor',
        '',
        (o) => ({
          ...o,
          spec: { ...spec(o), template: { metadata: { labels: { app: 'web', tier: 'fe' } } } },
        }),
      ],
      ['editor', '', (o) => ({ ...o, metadata: { ...o.metadata, labels: { app: 'x', b: 'y' } } })],
      [
        'controller',
        'status',
        (o) => ({ ...o, status: { replicas: 5, conditions: [{ type: 'Available' }] } }),
      ],
    ];
    steps.forEach(([manager, subresource, change], i) => {
      const o = {
        ...opts,
        subresource,
        ignore: ignoreFor(subresource, true),
        now: at(i + 1),
      };
      const next = change(live);
      const fast = updateManagedFields(live, next, manager, o);
      const full = updateManagedFieldsByDecoding(live, next, manager, o);
      expect(fast, `step ${i}`).toEqual(full);
      // Member order too: the entries are stored and served as they are.
      expect(JSON.stringify(fast), `step ${i}`).toBe(JSON.stringify(full));
      if (i === 1) {
        // Another manager's untouched entry is kept as it was, not decoded and encoded again.
        const applier = (x: ApiObject) =>
          x.metadata!.managedFields!.find((e) => e.manager === 'applier');
        expect(applier(fast)).toBe(applier(live));
      }
      live = fast;
    });
    expect(live.metadata!.managedFields!.map((e) => e.manager)).toContain('controller');
  });
});
