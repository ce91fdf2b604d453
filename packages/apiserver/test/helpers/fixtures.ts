/**
 * Small resource definitions for registry tests, independent of @kubets/api's catalog: a
 * ConfigMap-like kind (no status), a Deployment-like kind (status, scale, generation) and a
 * Pod-like kind (graceful deletion). Their schemas carry the same markers upstream's do.
 */
import {
  deepCopyJson,
  jsonEqual,
  labelSelectorAsSelector,
  nameIsDNSSubdomain,
  objectMetaFieldsSet,
  UNSTRUCTURED,
  validateObjectMeta,
  validateObjectMetaUpdate,
  invalid,
  Path,
  type KubeObject,
  type FieldError,
} from '@kubets/apimachinery';
import { pruneBySchema, type OpenAPISchema } from '@kubets/api';
import type {
  ResourceDefinition,
  ResourceVersionDefinition,
} from '../../src/registry/definition.js';

const META = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    generateName: { type: 'string' },
    namespace: { type: 'string' },
    uid: { type: 'string' },
    resourceVersion: { type: 'string' },
    generation: { type: 'integer' },
    creationTimestamp: { type: 'string' },
    deletionTimestamp: { type: 'string' },
    deletionGracePeriodSeconds: { type: 'integer' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: {
      type: 'array',
      items: { type: 'string' },
      'x-kubernetes-list-type': 'set',
      'x-kubernetes-patch-strategy': 'merge',
    },
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          uid: { type: 'string' },
          name: { type: 'string' },
          kind: { type: 'string' },
          apiVersion: { type: 'string' },
        },
      },
    },
    managedFields: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          manager: { type: 'string' },
          operation: { type: 'string' },
          apiVersion: { type: 'string' },
          time: { type: 'string' },
          fieldsType: { type: 'string' },
          fieldsV1: { type: 'object' },
          subresource: { type: 'string' },
        },
      },
    },
  },
};

const CONTAINER = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    image: { type: 'string' },
    imagePullPolicy: { type: 'string' },
  },
};

function kindSchema(properties: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: '#/components/schemas/Meta' },
      ...properties,
    },
  };
}

const SCHEMAS: Readonly<Record<string, OpenAPISchema>> = {
  Meta: META,
  Container: CONTAINER,
  ConfigMap: kindSchema({ data: { type: 'object', additionalProperties: { type: 'string' } } }),
  Deployment: kindSchema({
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        selector: {
          type: 'object',
          properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } },
        },
        template: {
          type: 'object',
          properties: {
            metadata: { $ref: '#/components/schemas/Meta' },
            spec: {
              type: 'object',
              properties: {
                containers: {
                  type: 'array',
                  items: { $ref: '#/components/schemas/Container' },
                  'x-kubernetes-list-type': 'map',
                  'x-kubernetes-list-map-keys': ['name'],
                  'x-kubernetes-patch-merge-key': 'name',
                  'x-kubernetes-patch-strategy': 'merge',
                },
              },
            },
          },
        },
      },
    },
    status: {
      type: 'object',
      properties: { replicas: { type: 'integer' }, observedGeneration: { type: 'integer' } },
    },
  }),
  Pod: kindSchema({
    spec: {
      type: 'object',
      properties: {
        nodeName: { type: 'string' },
        terminationGracePeriodSeconds: { type: 'integer' },
        containers: {
          type: 'array',
          items: { $ref: '#/components/schemas/Container' },
          'x-kubernetes-patch-merge-key': 'name',
          'x-kubernetes-patch-strategy': 'merge',
        },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  }),
};

function version(
  name: string,
  schemaName: string,
  subresources: string[],
): ResourceVersionDefinition {
  return {
    name,
    served: true,
    storage: true,
    schemaName,
    schemas: SCHEMAS,
    table: {
      columns: [
        { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
        { name: 'Age', type: 'date', format: '', description: 'Age', priority: 0 },
      ],
      row: (obj) => [obj.metadata?.name ?? '', obj.metadata?.creationTimestamp ?? ''],
    },
    subresources: subresources.map((s) => ({
      name: s,
      kind: { group: '', version: 'v1', kind: 'X' },
      verbs: ['get', 'patch', 'update'],
    })),
  };
}

function metaErrors(obj: KubeObject, namespaced: boolean): FieldError[] {
  return validateObjectMeta(obj.metadata ?? {}, {
    requiresNamespace: namespaced,
    nameFn: nameIsDNSSubdomain,
  });
}

type Obj = KubeObject & Record<string, unknown>;

function base(
  group: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  opts: {
    status?: boolean;
    generation?: boolean;
    defaults?: (o: Obj) => void;
    validate?: (o: Obj) => FieldError[];
  } = {},
): ResourceDefinition {
  const validate = (obj: KubeObject): FieldError[] => [
    ...metaErrors(obj, namespaced),
    ...(opts.validate?.(obj as Obj) ?? []),
  ];
  return {
    group,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames: [],
    categories: [],
    namespaced,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    versions: [version('v1', kind, opts.status ? ['status'] : [])],
    pruneUnknownFields: (o) => pruneBySchema(o, SCHEMAS[kind]!, SCHEMAS),
    strategy: {
      default: (o) => opts.defaults?.(o as Obj),
      prepareForCreate(o) {
        const x = o as Obj;
        if (opts.status) x.status = {};
        if (opts.generation) o.metadata!.generation = 1;
      },
      prepareForUpdate(o, old) {
        const x = o as Obj;
        const y = old as Obj;
        if (opts.status) x.status = deepCopyJson(y.status ?? {});
        o.metadata!.creationTimestamp = old.metadata?.creationTimestamp;
        if (old.metadata?.deletionTimestamp)
          o.metadata!.deletionTimestamp = old.metadata.deletionTimestamp;
        if (old.metadata?.deletionGracePeriodSeconds !== undefined) {
          o.metadata!.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
        }
        if (opts.generation) {
          const g = old.metadata?.generation ?? 1;
          o.metadata!.generation = jsonEqual(x.spec ?? null, y.spec ?? null) ? g : g + 1;
        } else {
          delete o.metadata!.generation;
        }
      },
      validate,
      validateUpdate: (o, old) => [
        ...validateObjectMetaUpdate(o.metadata ?? {}, old.metadata ?? {}),
        ...validate(o),
      ],
      allowCreateOnUpdate: false,
      allowUnconditionalUpdate: true,
    },
    ...(opts.status
      ? {
          statusStrategy: {
            prepareForUpdate(o, old) {
              const x = o as Obj;
              const y = old as Obj;
              x.spec = deepCopyJson(y.spec);
              o.metadata = {
                ...deepCopyJson(old.metadata ?? {}),
                resourceVersion: o.metadata?.resourceVersion,
                managedFields: o.metadata?.managedFields,
              };
            },
            validateUpdate: () => [],
          },
        }
      : {}),
    fieldSelectors: {
      fields: kind === 'Pod' ? ['spec.nodeName', 'status.phase'] : [],
      customConversion: kind === 'Pod',
      fieldsOf: (o) => {
        const x = o as Obj & { spec?: { nodeName?: string }; status?: { phase?: string } };
        return {
          ...objectMetaFieldsSet(o.metadata, namespaced),
          ...(kind === 'Pod'
            ? { 'spec.nodeName': x.spec?.nodeName ?? '', 'status.phase': x.status?.phase ?? '' }
            : {}),
        };
      },
    },
    patchSchema: () => UNSTRUCTURED,
    source: 'builtin',
  };
}

export function configMapDefinition(): ResourceDefinition {
  return base('', 'ConfigMap', 'configmaps', true);
}

export function deploymentDefinition(): ResourceDefinition {
  const def = base('apps', 'Deployment', 'deployments', true, {
    status: true,
    generation: true,
    defaults: (o) => {
      const spec = (o.spec ??= {}) as { replicas?: number };
      spec.replicas ??= 1;
    },
    validate: (o) => {
      const r = (o.spec as { replicas?: number } | undefined)?.replicas;
      return typeof r === 'number' && r < 0
        ? [invalid(Path.new('spec', 'replicas'), r, 'must be greater than or equal to 0')]
        : [];
    },
  });
  def.scale = {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    selector: (o) => {
      const sel = (o as Obj & { spec?: { selector?: { matchLabels?: Record<string, string> } } })
        .spec?.selector;
      return sel ? labelSelectorAsSelector(sel).toString() : '';
    },
  };
  def.versions[0]!.subresources.push({
    name: 'scale',
    kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    verbs: ['get', 'patch', 'update'],
  });
  return def;
}

export function podDefinition(): ResourceDefinition {
  return base('', 'Pod', 'pods', true, {
    status: true,
    defaults: (o) => {
      const spec = (o.spec ??= {}) as { terminationGracePeriodSeconds?: number };
      spec.terminationGracePeriodSeconds ??= 30;
    },
  });
}

export function namespaceDefinition(): ResourceDefinition {
  return base('', 'Namespace', 'namespaces', false, { status: true });
}
