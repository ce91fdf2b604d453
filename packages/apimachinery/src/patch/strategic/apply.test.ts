import { describe, expect, it } from 'vitest';
import { parseYamlLite } from '../../../test/yaml-lite.js';
import { RAW_CASES } from '../../../test/fixtures/smp-raw-cases.js';
import type { JsonObject, JsonValue } from '../../util/json.js';
import { isBadRequest } from '../../errors/status-error.js';
import { strategicMergePatch } from './apply.js';
import { StrategicMergePatchError } from './errors.js';
import {
  field,
  kindNode,
  lazy,
  listOf,
  mapOf,
  mergeList,
  nodeFromOpenAPI,
  objectMetaNode,
  patchSchema,
  scalar,
  struct,
  UNSTRUCTURED,
  type SchemaNode,
} from './schema.js';

const y = (s: string): JsonObject => (parseYamlLite(s) ?? {}) as JsonObject;

// Upstream's test type (patch_test.go MergeItem / RetainKeysMergeItem).
const mergeItem: SchemaNode = lazy(() =>
  struct('MergeItem', {
    name: scalar,
    value: scalar,
    other: scalar,
    mergingList: mergeList(mergeItem, 'name'),
    nonMergingList: listOf(mergeItem),
    mergingIntList: field(listOf(scalar), { patchStrategy: 'merge' }),
    nonMergingIntList: listOf(scalar),
    mergeItemPtr: mergeList(mergeItem, 'name'),
    simpleMap: mapOf(scalar),
    replacingItem: field(mapOf(scalar), { patchStrategy: 'replace' }),
    retainKeysMap: field(retainKeysMergeItem, { patchStrategy: 'retainKeys' }),
    retainKeysMergingList: mergeList(mergeItem, 'name', true),
  }),
);
const retainKeysMergeItem = struct('RetainKeysMergeItem', {
  name: scalar,
  value: scalar,
  other: scalar,
  simpleMap: mapOf(scalar),
  mergingIntList: field(listOf(scalar), { patchStrategy: 'merge' }),
  mergingList: mergeList(mergeItem, 'name'),
  nonMergingList: listOf(mergeItem),
});
const schema = patchSchema(mergeItem);

const apply = (original: JsonValue, patch: JsonValue): JsonObject =>
  strategicMergePatch(original, patch, schema);

describe('upstream raw test cases (apply side)', () => {
  for (const c of RAW_CASES) {
    it(`${c.description}: two-way patch onto original`, () => {
      expect(apply(y(c.original), y(c.twoWay))).toEqual(y(c.twoWayResult ?? c.modified));
    });
    it(`${c.description}: three-way patch onto current`, () => {
      expect(apply(y(c.current), y(c.threeWay))).toEqual(y(c.result));
    });
  }
});

describe('directives and strategies', () => {
  it('replaces a list with $patch: replace, dropping other directives', () => {
    expect(
      apply(
        { mergingList: [{ name: 1 }, { name: 2 }] },
        { mergingList: [{ name: 3 }, { $patch: 'replace' }, { name: 1, $patch: 'delete' }] },
      ),
    ).toEqual({ mergingList: [{ name: 3 }] });
  });

  it('replaces a map with $patch: replace and empties it with $patch: delete', () => {
    expect(
      apply({ simpleMap: { a: '1', b: '2' } }, { simpleMap: { c: '3', $patch: 'replace' } }),
    ).toEqual({
      simpleMap: { c: '3' },
    });
    expect(apply({ simpleMap: { a: '1' } }, { simpleMap: { $patch: 'delete' } })).toEqual({
      simpleMap: {},
    });
    expect(apply({ a: 1 }, { $patch: 'replace', b: 2 })).toEqual({ b: 2 });
    expect(apply({ a: 1 }, { $patch: 'delete' })).toEqual({});
  });

  it('does not add a key whose patch value is only a directive', () => {
    expect(apply({}, { simpleMap: { $patch: 'delete' } })).toEqual({});
  });

  it('replaces fields with the replace strategy instead of merging', () => {
    expect(apply({ replacingItem: { a: '1' } }, { replacingItem: { b: '2' } })).toEqual({
      replacingItem: { b: '2' },
    });
  });

  it('replaces lists without a merge strategy', () => {
    expect(
      apply({ nonMergingList: [{ name: 1 }, { name: 2 }] }, { nonMergingList: [{ name: 3 }] }),
    ).toEqual({
      nonMergingList: [{ name: 3 }],
    });
    expect(apply({ nonMergingIntList: [1, 2] }, { nonMergingIntList: [3] })).toEqual({
      nonMergingIntList: [3],
    });
  });

  it('merges primitive lists as a set; without $setElementOrder a new item goes first', () => {
    expect(apply({ mergingIntList: [1, 2] }, { mergingIntList: [3] })).toEqual({
      mergingIntList: [3, 1, 2],
    });
    expect(apply({ mergingIntList: [1, 2] }, { mergingIntList: [2, 3] })).toEqual({
      mergingIntList: [1, 2, 3],
    });
  });

  it('prepends new list elements without $setElementOrder, as upstream', () => {
    expect(
      apply({ mergingList: [{ name: 'a' }, { name: 'b' }] }, { mergingList: [{ name: 'c' }] }),
    ).toEqual({
      mergingList: [{ name: 'c' }, { name: 'a' }, { name: 'b' }],
    });
  });

  it('deletes from primitive lists', () => {
    expect(
      apply({ mergingIntList: [1, 2, 3, 2] }, { '$deleteFromPrimitiveList/mergingIntList': [2] }),
    ).toEqual({
      mergingIntList: [1, 3],
    });
    expect(apply({}, { '$deleteFromPrimitiveList/mergingIntList': [2] })).toEqual({});
  });

  it('deletes keys with null and drops unmatched nulls in new values', () => {
    expect(apply({ simpleMap: { a: '1', b: '2' } }, { simpleMap: { a: null } })).toEqual({
      simpleMap: { b: '2' },
    });
    expect(apply({ value: 'x' }, { value: null, other: null })).toEqual({});
    expect(
      apply({}, { simpleMap: { a: null, b: '1' }, mergingList: [{ name: 'x', value: null }] }),
    ).toEqual({
      simpleMap: { b: '1' },
      mergingList: [{ name: 'x' }],
    });
  });

  it('replaces a value of another type', () => {
    expect(apply({ value: 'x' }, { value: { a: null, b: 1 } })).toEqual({ value: { b: 1 } });
    expect(apply({ simpleMap: { a: '1' } }, { simpleMap: ['x'] })).toEqual({ simpleMap: ['x'] });
  });

  it('does not modify its inputs', () => {
    const original = y('mergingList:\n- name: 1\n- name: 2');
    const patch = y('mergingList:\n- name: 1\n  $patch: delete');
    const o = JSON.stringify(original);
    const p = JSON.stringify(patch);
    apply(original, patch);
    expect(JSON.stringify(original)).toBe(o);
    expect(JSON.stringify(patch)).toBe(p);
  });

  it('treats a null patch as no change', () => {
    expect(apply({ a: 1 }, null)).toEqual({ a: 1 });
  });
});

describe('errors with upstream messages and HTTP mapping', () => {
  const fails = (original: JsonValue, patch: JsonValue, message: string, code: number) => {
    let err: unknown;
    try {
      apply(original, patch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StrategicMergePatchError);
    expect((err as Error).message).toBe(message);
    expect((err as StrategicMergePatchError).toStatusError().code).toBe(code);
  };

  it('rejects documents that are not objects', () => {
    fails({}, [1], 'invalid JSON document', 400);
    fails('x', {}, 'invalid JSON document', 400);
    expect(isBadRequest(new StrategicMergePatchError('bad-request', 'x').toStatusError())).toBe(
      true,
    );
  });

  it('rejects unknown directives', () => {
    fails(
      { simpleMap: {} },
      { simpleMap: { $patch: 'explode' } },
      'unknown patch type: explode in map: map[$patch:explode]',
      500,
    );
    fails(
      { mergingList: [{ name: 1 }] },
      { mergingList: [{ name: 1, $patch: 'merge' }] },
      'merging lists cannot yet be specified in the patch',
      500,
    );
  });

  it('needs the merge key', () => {
    fails(
      { mergingList: [{ name: 1 }] },
      { mergingList: [{ value: 1 }] },
      'map: map[value:1] does not contain declared merge key: name',
      500,
    );
    fails(
      { mergingList: [{ name: 1 }] },
      { mergingList: [{ $patch: 'delete' }] },
      'map: map[$patch:delete] does not contain declared merge key: name',
      500,
    );
  });

  it('rejects lists of lists and mixed lists', () => {
    fails(
      { mergingIntList: [[1]] },
      { mergingIntList: [[2]] },
      'lists of lists are not supported',
      422,
    );
    fails(
      { mergingIntList: [1] },
      { mergingIntList: ['a'] },
      'list element types are not identical: [[1] [a]]',
      500,
    );
    const status = new StrategicMergePatchError(
      'unprocessable',
      'lists of lists are not supported',
    ).toStatusError();
    expect(status.message).toBe('the server rejected our request due to an error in our request');
  });

  it('rejects malformed parallel lists', () => {
    fails(
      { mergingIntList: [1] },
      { $deleteFromPrimitiveListmergingIntList: [1] },
      'invalid patch format of primitive list',
      400,
    );
    fails(
      { mergingIntList: [1] },
      { '$setElementOrder/mergingIntList': 'x' },
      'expected a []interface {}, but received a string',
      500,
    );
    fails(
      { mergingIntList: [1] },
      { $setElementOrderX: [1] },
      'invalid patch format of setElementOrder list',
      400,
    );
    fails(
      { mergingList: [{ name: 1 }] },
      { '$setElementOrder/mergingList': [{ name: 1 }], mergingList: [{ name: 2 }] },
      "The order in patch list:\n[map[name:2]]\n doesn't match $setElementOrder list:\n[map[name:1]]\n",
      500,
    );
  });

  it('enforces $retainKeys', () => {
    fails(
      { retainKeysMap: { name: 'a' } },
      { retainKeysMap: { $retainKeys: ['name'], value: 'x' } },
      'invalid patch format of retainKeys',
      400,
    );
    fails(
      { retainKeysMap: { name: 'a' } },
      { retainKeysMap: { $retainKeys: 'name' } },
      'invalid patch format of retainKeys',
      400,
    );
  });
});

// Patch bodies as kubectl sends them (shared/reference/kubectl-wire.md), against a Deployment schema
// with the upstream patch tags.
const containerPort = struct('ContainerPort', {
  containerPort: scalar,
  protocol: scalar,
  name: scalar,
});
const envVar = struct('EnvVar', { name: scalar, value: scalar, valueFrom: mapOf(mapOf()) });
const container = struct('Container', {
  name: scalar,
  image: scalar,
  args: listOf(),
  ports: mergeList(containerPort, 'containerPort'),
  env: mergeList(envVar, 'name'),
  resources: struct('ResourceRequirements', { limits: mapOf(), requests: mapOf() }),
});
const volume = struct('Volume', {
  name: scalar,
  emptyDir: mapOf(),
  configMap: mapOf(),
  hostPath: mapOf(),
});
const podSpec = struct('PodSpec', {
  containers: mergeList(container, 'name'),
  initContainers: mergeList(container, 'name'),
  volumes: mergeList(volume, 'name', true),
  nodeSelector: mapOf(),
  tolerations: listOf(mapOf()),
});
const deployment = kindNode('Deployment', {
  spec: struct('DeploymentSpec', {
    replicas: scalar,
    selector: mapOf(mapOf()),
    template: struct('PodTemplateSpec', { metadata: objectMetaNode, spec: podSpec }),
    strategy: field(struct('DeploymentStrategy', { type: scalar, rollingUpdate: mapOf() }), {
      patchStrategy: 'retainKeys',
    }),
  }),
  status: mapOf(),
});
const deploySchema = patchSchema(deployment);

function liveDeployment(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}',
        'deployment.kubernetes.io/revision': '1',
      },
      finalizers: ['example.com/a', 'example.com/b'],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
    status: { replicas: 2 },
  };
}

describe('kubectl patch bodies', () => {
  it('apply: image change by merge key with $setElementOrder/containers', () => {
    const patch: JsonObject = {
      metadata: {
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' },
      },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'sidecar' }],
            containers: [{ image: 'nginx:1.26', name: 'nginx' }],
          },
        },
      },
    };
    const out = strategicMergePatch(liveDeployment(), patch, deploySchema);
    const containers = (out.spec as any).template.spec.containers;
    expect(containers.map((c: any) => c.name)).toEqual(['nginx', 'sidecar']);
    expect(containers[0].image).toBe('nginx:1.26');
    expect(containers[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect((out.metadata as any).annotations).toEqual({
      'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}',
      'deployment.kubernetes.io/revision': '1',
    });
    expect(out.status).toEqual({ replicas: 2 });
  });

  it('apply: removing a container with $patch: delete', () => {
    const patch: JsonObject = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }],
            containers: [{ $patch: 'delete', name: 'sidecar' }],
          },
        },
      },
    };
    const out = strategicMergePatch(liveDeployment(), patch, deploySchema);
    expect((out.spec as any).template.spec.containers.map((c: any) => c.name)).toEqual(['nginx']);
  });

  it('apply: reordering and adding containers, env vars and ports', () => {
    const patch: JsonObject = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [
              { name: 'sidecar' },
              { name: 'log' },
              { name: 'nginx' },
            ],
            containers: [
              { name: 'log', image: 'fluentbit' },
              {
                name: 'nginx',
                '$setElementOrder/env': [{ name: 'C' }, { name: 'A' }, { name: 'B' }],
                env: [{ name: 'C', value: '3' }],
                '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 443 }],
                ports: [{ containerPort: 443, protocol: 'TCP' }],
              },
            ],
          },
        },
      },
    };
    const out = strategicMergePatch(liveDeployment(), patch, deploySchema);
    const containers = (out.spec as any).template.spec.containers;
    expect(containers.map((c: any) => c.name)).toEqual(['sidecar', 'log', 'nginx']);
    expect(containers[2].env.map((e: any) => e.name)).toEqual(['C', 'A', 'B']);
    expect(containers[2].ports.map((p: any) => p.containerPort)).toEqual([80, 443]);
  });

  it('apply: $retainKeys on the deployment strategy clears rollingUpdate', () => {
    const patch: JsonObject = {
      spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } },
    };
    const out = strategicMergePatch(liveDeployment(), patch, deploySchema);
    expect((out.spec as any).strategy).toEqual({ type: 'Recreate' });
  });

  it('apply: removing a volume under retainKeys merge list', () => {
    const patch: JsonObject = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/volumes': [{ name: 'cfg' }],
            volumes: [
              { $retainKeys: ['configMap', 'name'], name: 'cfg', configMap: { name: 'x' } },
              { $patch: 'delete', name: 'data' },
            ],
          },
        },
      },
    };
    const out = strategicMergePatch(liveDeployment(), patch, deploySchema);
    // A newly added element is taken as sent, directives included, exactly as upstream; the typed
    // decoding after the patch (field validation) rejects or drops the unknown "$retainKeys".
    expect((out.spec as any).template.spec.volumes).toEqual([
      { $retainKeys: ['configMap', 'name'], name: 'cfg', configMap: { name: 'x' } },
    ]);
  });

  it('rollout restart: template annotation', () => {
    const patch: JsonObject = {
      spec: {
        template: {
          metadata: {
            annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T12:00:00Z' },
          },
        },
      },
    };
    const out = strategicMergePatch(liveDeployment(), patch, deploySchema);
    expect((out.spec as any).template.metadata).toEqual({
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T12:00:00Z' },
    });
  });

  it('finalizers: $deleteFromPrimitiveList and set merge', () => {
    const out = strategicMergePatch(
      liveDeployment(),
      {
        metadata: {
          '$deleteFromPrimitiveList/finalizers': ['example.com/a'],
          finalizers: ['example.com/c'],
        },
      },
      deploySchema,
    );
    expect((out.metadata as any).finalizers).toEqual(['example.com/c', 'example.com/b']);
  });

  it('cordon/uncordon: scalar set and null delete', () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDR: '10.0.0.0/24' },
    };
    const nodeSchema = patchSchema(
      kindNode('Node', { spec: struct('NodeSpec', { unschedulable: scalar, podCIDR: scalar }) }),
    );
    const cordoned = strategicMergePatch(node, { spec: { unschedulable: true } }, nodeSchema);
    expect(cordoned.spec).toEqual({ podCIDR: '10.0.0.0/24', unschedulable: true });
    expect(
      strategicMergePatch(cordoned, { spec: { unschedulable: null } }, nodeSchema).spec,
    ).toEqual({ podCIDR: '10.0.0.0/24' });
  });

  it('owner references merge by uid', () => {
    const obj = {
      metadata: {
        ownerReferences: [{ uid: 'a', name: 'x', kind: 'ReplicaSet', apiVersion: 'apps/v1' }],
      },
    };
    const out = strategicMergePatch(
      obj,
      {
        metadata: {
          ownerReferences: [
            { uid: 'a', controller: true },
            { uid: 'b', name: 'y', kind: 'K', apiVersion: 'v1' },
          ],
        },
      },
      patchSchema(kindNode('X', {})),
    );
    expect((out.metadata as any).ownerReferences).toEqual([
      { uid: 'a', name: 'x', kind: 'ReplicaSet', apiVersion: 'apps/v1', controller: true },
      { uid: 'b', name: 'y', kind: 'K', apiVersion: 'v1' },
    ]);
  });
});

describe('schemas', () => {
  it('treats unknown fields as plain data: maps merge, lists replace', () => {
    expect(
      strategicMergePatch({ a: { b: 1, c: [1, 2] } }, { a: { d: 2, c: [3] } }, UNSTRUCTURED),
    ).toEqual({
      a: { b: 1, c: [3], d: 2 },
    });
    expect(strategicMergePatch({ spec: { x: [1] } }, { spec: { x: [2] } }, deploySchema)).toEqual({
      spec: { x: [2] },
    });
  });

  it('reads patch metadata from OpenAPI schemas', () => {
    const schemas = {
      'io.k8s.api.core.v1.PodSpec': {
        type: 'object',
        properties: {
          containers: {
            type: 'array',
            items: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }] },
            'x-kubernetes-patch-strategy': 'merge',
            'x-kubernetes-patch-merge-key': 'name',
          },
          nodeSelector: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      'io.k8s.api.core.v1.Container': {
        type: 'object',
        properties: {
          name: { type: 'string' },
          image: { type: 'string' },
          env: {
            type: 'array',
            items: { $ref: '#/components/schemas/io.k8s.api.core.v1.EnvVar' },
            'x-kubernetes-patch-strategy': 'merge',
            'x-kubernetes-patch-merge-key': 'name',
          },
        },
      },
      'io.k8s.api.core.v1.EnvVar': {
        type: 'object',
        properties: { name: { type: 'string' }, value: { type: 'string' } },
      },
    };
    const s = patchSchema(nodeFromOpenAPI(schemas, 'io.k8s.api.core.v1.PodSpec'));
    const out = strategicMergePatch(
      {
        containers: [{ name: 'a', image: 'x', env: [{ name: 'E', value: '1' }] }],
        nodeSelector: { k: 'v' },
      },
      { containers: [{ name: 'a', env: [{ name: 'F', value: '2' }] }], nodeSelector: { k2: 'v2' } },
      s,
    );
    expect(out).toEqual({
      containers: [
        {
          name: 'a',
          image: 'x',
          env: [
            { name: 'F', value: '2' },
            { name: 'E', value: '1' },
          ],
        },
      ],
      nodeSelector: { k: 'v', k2: 'v2' },
    });
  });
});

describe('__proto__ keys', () => {
  it('are refused with a 400', () => {
    const patch = JSON.parse('{"simpleMap":{"__proto__":{"polluted":true}}}');
    expect(() => apply({ simpleMap: {} }, patch)).toThrow('the key "__proto__" is not allowed');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
