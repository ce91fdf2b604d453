/**
 * A CustomResourceDefinition as a registry entry, so custom resources are served by the same code
 * as built-ins: versions (one storage), scope, names, subresources, printer columns from JSONPath,
 * selectable fields, and a strategy that defaults, prunes and validates against the version's
 * structural schema.
 */
import {
  deepCopyJson,
  jsonEqual,
  nameIsDNSSubdomain,
  objectMetaFieldsSet,
  parseGroupVersion,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type FieldError,
  type JsonValue,
  type KubeObject,
  type TableColumnDefinition,
} from '@kubets/apimachinery';
import { builtinDefinitions } from '../schema/openapi.js';
import type { OpenAPISchema } from '../schema/dsl.js';
import { timeSince } from '../printers/duration.js';
import { genericStatusStrategy, preserveSystemMetaOnUpdate } from '../registry/strategies.js';
import type {
  ResourceDefinition,
  ResourceStrategy,
  ResourceVersionDefinition,
  TableDefinition,
} from '../registry/types.js';
import type {
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
  JSONSchemaProps,
} from '../types/apiextensions-v1.js';
import { evaluateJSONPath, parseJSONPath, printJSONPathValue } from './jsonpath.js';
import { applyDefaults, pruneUnknownFields, validateAgainstSchema } from './schema.js';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const CREATION_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** The OpenAPI definition name of a custom kind: reversed group, version, kind (`com.example.stable.v1.CronTab`). */
export function customResourceDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/** cellForJSONValue: the typed cell of a printer column value. */
function cell(type: string, value: unknown, now: number): JsonValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      if (typeof value !== 'string') return null;
      return Number.isNaN(Date.parse(value)) ? '<invalid>' : timeSince(value, now);
    default:
      return printJSONPathValue(value);
  }
}

function tableFor(v: CustomResourceDefinitionVersion): TableDefinition {
  const declared = v.additionalPrinterColumns ?? [];
  const specs =
    declared.length > 0
      ? declared
      : [
          {
            name: 'Age',
            type: 'date',
            description: CREATION_DESCRIPTION,
            jsonPath: '.metadata.creationTimestamp',
          },
        ];
  const columns: TableColumnDefinition[] = [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 },
    ...specs.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
  const paths = specs.map((c) => {
    try {
      return parseJSONPath(c.jsonPath);
    } catch {
      return undefined;
    }
  });
  return {
    columns,
    row: (obj, now) => [
      obj.metadata?.name ?? '',
      ...specs.map((c, i) => {
        const steps = paths[i];
        if (!steps) return null;
        const results = evaluateJSONPath(steps, obj);
        return results.length === 0 ? null : cell(c.type, results[0], now);
      }),
    ],
  };
}

/** The OpenAPI schema of the kind: the CRD schema with apiVersion/kind/metadata and the GVK tag. */
function openAPIFor(
  group: string,
  version: string,
  kind: string,
  schema: JSONSchemaProps | undefined,
): OpenAPISchema {
  const s = deepCopyJson(
    (schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as OpenAPISchema,
  );
  s.properties = {
    ...(s.properties ?? {}),
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: {
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
    },
  };
  s.type = 'object';
  s['x-kubernetes-group-version-kind'] = [{ group, version, kind }];
  return s;
}

function versionOf(obj: KubeObject, def: { group: string; storage: string }): string {
  try {
    return parseGroupVersion(obj.apiVersion ?? '').version || def.storage;
  } catch {
    return def.storage;
  }
}

/** Builds the registry entry of a CRD. The CRD is assumed valid (validateCustomResourceDefinition). */
export function resourceFromCRD(crd: CustomResourceDefinition): ResourceDefinition {
  const spec = crd.spec;
  const { group } = spec;
  const names = spec.names;
  const kind = names.kind;
  const namespaced = spec.scope === 'Namespaced';
  const storageVersion = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? '';
  const schemaOf = new Map<string, JSONSchemaProps>();
  for (const v of spec.versions) {
    if (v.schema?.openAPIV3Schema) schemaOf.set(v.name, v.schema.openAPIV3Schema);
  }
  const versionInfo = new Map(spec.versions.map((v) => [v.name, v]));
  const hasStatus = (version: string): boolean =>
    versionInfo.get(version)?.subresources?.status !== undefined;
  const key = { group, storage: storageVersion };
  const shared = builtinDefinitions();

  const versions: ResourceVersionDefinition[] = spec.versions.map((v) => {
    const schemaName = customResourceDefinitionName(group, v.name, kind);
    const subresources = [];
    if (v.subresources?.status)
      subresources.push({
        name: 'status',
        kind: { group, version: v.name, kind },
        verbs: ['get', 'patch', 'update'],
      });
    if (v.subresources?.scale)
      subresources.push({
        name: 'scale',
        kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'patch', 'update'],
      });
    return {
      name: v.name,
      served: v.served,
      storage: v.storage,
      ...(v.deprecated ? { deprecated: true } : {}),
      ...(v.deprecationWarning ? { deprecationWarning: v.deprecationWarning } : {}),
      schemaName,
      schemas: {
        ...shared,
        [schemaName]: openAPIFor(group, v.name, kind, v.schema?.openAPIV3Schema),
      },
      table: tableFor(v),
      subresources,
    };
  });

  const validateSchema = (obj: KubeObject): FieldError[] => {
    const schema = schemaOf.get(versionOf(obj, key));
    return schema ? validateAgainstSchema(obj, schema) : [];
  };
  const validateMetaNew = (obj: KubeObject): FieldError[] =>
    validateObjectMeta(obj.metadata ?? {}, {
      requiresNamespace: namespaced,
      nameFn: nameIsDNSSubdomain,
    });
  const nonMeta = (o: KubeObject, dropStatus: boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...(o as unknown as Record<string, unknown>) };
    delete out.metadata;
    delete out.apiVersion;
    delete out.kind;
    if (dropStatus) delete out.status;
    return out;
  };

  const strategy: ResourceStrategy = {
    default(obj) {
      applyDefaults(obj, schemaOf.get(versionOf(obj, key)));
    },
    prepareForCreate(obj) {
      if (hasStatus(versionOf(obj, key))) delete (obj as unknown as Record<string, unknown>).status;
      (obj.metadata ??= {}).generation = 1;
    },
    prepareForUpdate(obj, old) {
      preserveSystemMetaOnUpdate(obj, old);
      const status = hasStatus(versionOf(obj, key));
      const o = obj as unknown as Record<string, unknown>;
      if (status) {
        const prev = (old as unknown as Record<string, unknown>).status;
        if (prev === undefined) delete o.status;
        else o.status = deepCopyJson(prev);
      }
      const changed = !jsonEqual(nonMeta(obj, status), nonMeta(old, status));
      const base = old.metadata?.generation ?? 0;
      (obj.metadata ??= {}).generation = changed ? base + 1 : base;
    },
    validate: (obj) => [...validateMetaNew(obj), ...validateSchema(obj)],
    validateUpdate: (obj, old) => [
      ...validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {}),
      ...validateSchema(obj),
    ],
    warnings: (obj) => {
      const v = versionInfo.get(versionOf(obj, key));
      if (!v?.deprecated) return [];
      return [v.deprecationWarning ?? `${group}/${v.name} ${kind} is deprecated`];
    },
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: false,
  };

  const selectable = new Map<string, ReturnType<typeof parseJSONPath>>();
  for (const v of spec.versions) {
    for (const f of v.selectableFields ?? []) {
      try {
        selectable.set(f.jsonPath.replace(/^\./, ''), parseJSONPath(f.jsonPath));
      } catch {
        // validated on create; ignore unparsable leftovers
      }
    }
  }

  const scale =
    spec.versions.find((v) => v.name === storageVersion)?.subresources?.scale ??
    spec.versions.find((v) => v.subresources?.scale)?.subresources?.scale;

  const def: ResourceDefinition = {
    group,
    kind,
    listKind: names.listKind ?? `${kind}List`,
    plural: names.plural,
    singular: names.singular ?? kind.toLowerCase(),
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    namespaced,
    verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
    versions,
    strategy,
    fieldSelectors: {
      fields: [...selectable.keys()],
      customConversion: selectable.size > 0,
      fieldsOf(obj) {
        const out: Record<string, string> = {};
        for (const [name, steps] of selectable) {
          const r = evaluateJSONPath(steps, obj);
          out[name] =
            r.length === 0 || r[0] === null || r[0] === undefined ? '' : printJSONPathValue(r[0]);
        }
        return { ...out, ...objectMetaFieldsSet(obj.metadata, namespaced) };
      },
    },
    pruneUnknownFields(obj) {
      const schema = schemaOf.get(versionOf(obj, key));
      return schema ? pruneUnknownFields(obj, schema) : [];
    },
    source: 'crd',
    crdName: crd.metadata?.name ?? `${names.plural}.${group}`,
  };
  if (spec.versions.some((v) => v.subresources?.status)) {
    def.statusStrategy = genericStatusStrategy((obj, old) => [
      ...validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {}),
      ...validateSchema(obj).filter(
        (e) =>
          e.field === 'status' || e.field.startsWith('status.') || e.field.startsWith('status['),
      ),
    ]);
  }
  if (scale) {
    def.scale = {
      specReplicasPath: scale.specReplicasPath,
      statusReplicasPath: scale.statusReplicasPath,
      ...(scale.labelSelectorPath ? { labelSelectorPath: scale.labelSelectorPath } : {}),
    };
  }
  return def;
}

/** Removes fields unknown to the object's version schema; returns their paths. */
export function pruneCustomResource(crd: CustomResourceDefinition, obj: KubeObject): string[] {
  const version = versionOf(obj, {
    group: crd.spec.group,
    storage: crd.spec.versions.find((v) => v.storage)?.name ?? '',
  });
  const schema = crd.spec.versions.find((v) => v.name === version)?.schema?.openAPIV3Schema;
  return schema ? pruneUnknownFields(obj, schema) : [];
}

/** Conversion between versions of a CRD with the `None` strategy: only apiVersion changes. */
export function convertCustomResource(
  obj: KubeObject,
  group: string,
  toVersion: string,
): KubeObject {
  const out = deepCopyJson(obj);
  out.apiVersion = `${group}/${toVersion}`;
  return out;
}
