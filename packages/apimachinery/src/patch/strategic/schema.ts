/**
 * Patch metadata for strategic merge patch: which lists merge by which key, which fields are
 * replaced whole, which clear unlisted keys (`retainKeys`). Upstream reads it from Go struct tags
 * (`patchStrategy:"merge" patchMergeKey:"name"`) or from OpenAPI extensions
 * (`x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`); here a type is described by a
 * small schema tree ({@link struct}, {@link listOf}, {@link mapOf}...) or derived from OpenAPI.
 */

/** The patch strategies of one field, e.g. `['merge', 'retainKeys']`, and its merge key. */
export interface PatchMeta {
  readonly strategies: readonly string[];
  readonly mergeKey: string;
}

/** What the merge algorithm asks of a schema: upstream's LookupPatchMeta. */
export interface PatchSchema {
  /** The field `key` holding an object or map: its schema and patch metadata. */
  lookupStruct(key: string): { schema: PatchSchema; meta: PatchMeta };
  /** The field `key` holding a list: the schema of its elements and its patch metadata. */
  lookupSlice(key: string): { schema: PatchSchema; meta: PatchMeta };
  /** A name for messages. */
  name(): string;
}

export type SchemaNode = StructNode | MapNode | ListNode | ScalarNode | LazyNode;

export interface StructNode {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldNode>>;
}

/** map[string]X: every key has the value schema and no patch metadata. */
export interface MapNode {
  readonly kind: 'map';
  readonly values: SchemaNode;
}

export interface ListNode {
  readonly kind: 'list';
  readonly items: SchemaNode;
}

export interface ScalarNode {
  readonly kind: 'scalar';
}

/** A deferred node, for recursive types (JSONSchemaProps) and forward references. */
export interface LazyNode {
  readonly kind: 'lazy';
  readonly resolve: () => SchemaNode;
}

export interface FieldNode {
  readonly type: SchemaNode;
  /** `merge`, `replace`, `retainKeys`, or `merge,retainKeys`. Lists default to replace. */
  readonly patchStrategy?: string;
  readonly patchMergeKey?: string;
}

export const scalar: ScalarNode = { kind: 'scalar' };

/** A struct type with named fields; a field given as a bare node has no patch metadata. */
export function struct(name: string, fields: Record<string, FieldNode | SchemaNode>): StructNode {
  const out: Record<string, FieldNode> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = 'kind' in v ? { type: v } : v;
  return { kind: 'struct', name, fields: out };
}

/** map[string]values */
export function mapOf(values: SchemaNode = scalar): MapNode {
  return { kind: 'map', values };
}

/** []items */
export function listOf(items: SchemaNode = scalar): ListNode {
  return { kind: 'list', items };
}

/** A reference resolved on first use (for recursion). */
export function lazy(resolve: () => SchemaNode): LazyNode {
  let cached: SchemaNode | undefined;
  return {
    kind: 'lazy',
    resolve: () => (cached ??= resolve()),
  };
}

/** A field with patch metadata: `field(listOf(container), { patchStrategy: 'merge', patchMergeKey: 'name' })`. */
export function field(
  type: SchemaNode,
  meta: { patchStrategy?: string; patchMergeKey?: string } = {},
): FieldNode {
  return { type, ...meta };
}

/** A list merged by key: `mergeList(container, 'name')`. */
export function mergeList(items: SchemaNode, mergeKey: string, retainKeys = false): FieldNode {
  return {
    type: listOf(items),
    patchStrategy: retainKeys ? 'merge,retainKeys' : 'merge',
    patchMergeKey: mergeKey,
  };
}

/** A list of scalars merged as a set (finalizers). */
export function mergeSet(items: SchemaNode = scalar): FieldNode {
  return { type: listOf(items), patchStrategy: 'merge' };
}

const NO_META: PatchMeta = { strategies: [], mergeKey: '' };

function resolve(node: SchemaNode): SchemaNode {
  let n = node;
  while (n.kind === 'lazy') n = n.resolve();
  return n;
}

function metaOf(f: FieldNode): PatchMeta {
  return {
    strategies: f.patchStrategy ? f.patchStrategy.split(',') : [],
    mergeKey: f.patchMergeKey ?? '',
  };
}

class NodeSchema implements PatchSchema {
  constructor(private readonly node: SchemaNode) {}

  name(): string {
    const n = resolve(this.node);
    return n.kind === 'struct' ? n.name : n.kind;
  }

  lookupStruct(key: string): { schema: PatchSchema; meta: PatchMeta } {
    const n = resolve(this.node);
    if (n.kind === 'map') return { schema: new NodeSchema(n.values), meta: NO_META };
    if (n.kind === 'struct') {
      const f = Object.prototype.hasOwnProperty.call(n.fields, key) ? n.fields[key] : undefined;
      if (f) return { schema: new NodeSchema(f.type), meta: metaOf(f) };
    }
    // Unknown field: merge objects, replace lists (the default strategies).
    return { schema: UNSTRUCTURED, meta: NO_META };
  }

  lookupSlice(key: string): { schema: PatchSchema; meta: PatchMeta } {
    const { schema, meta } = this.lookupStruct(key);
    if (schema instanceof NodeSchema) {
      const t = resolve(schema.node);
      if (t.kind === 'list') return { schema: new NodeSchema(t.items), meta };
    }
    return { schema: UNSTRUCTURED, meta };
  }
}

class UnstructuredSchema implements PatchSchema {
  name(): string {
    return 'unstructured';
  }
  lookupStruct(): { schema: PatchSchema; meta: PatchMeta } {
    return { schema: this, meta: NO_META };
  }
  lookupSlice(): { schema: PatchSchema; meta: PatchMeta } {
    return { schema: this, meta: NO_META };
  }
}

/**
 * The schema of data without patch metadata: objects merge key by key, lists are replaced. This
 * is also what unknown fields of a described type get.
 */
export const UNSTRUCTURED: PatchSchema = new UnstructuredSchema();

/** A PatchSchema over a schema tree. */
export function patchSchema(node: SchemaNode): PatchSchema {
  return new NodeSchema(node);
}

/** metav1.OwnerReference (no patch metadata inside). */
export const ownerReferenceNode: StructNode = struct('OwnerReference', {
  apiVersion: scalar,
  kind: scalar,
  name: scalar,
  uid: scalar,
  controller: scalar,
  blockOwnerDeletion: scalar,
});

/** metav1.ObjectMeta with its tags: finalizers merge as a set, ownerReferences merge by uid. */
export const objectMetaNode: StructNode = struct('ObjectMeta', {
  name: scalar,
  generateName: scalar,
  namespace: scalar,
  selfLink: scalar,
  uid: scalar,
  resourceVersion: scalar,
  generation: scalar,
  creationTimestamp: scalar,
  deletionTimestamp: scalar,
  deletionGracePeriodSeconds: scalar,
  labels: mapOf(),
  annotations: mapOf(),
  ownerReferences: mergeList(ownerReferenceNode, 'uid'),
  finalizers: mergeSet(),
  managedFields: listOf(struct('ManagedFieldsEntry', {})),
});

/**
 * A top-level kind: apiVersion, kind, ObjectMeta and the given fields (spec, status, data...).
 */
export function kindNode(name: string, fields: Record<string, FieldNode | SchemaNode>): StructNode {
  return struct(name, { apiVersion: scalar, kind: scalar, metadata: objectMetaNode, ...fields });
}

// ---------------------------------------------------------------------------------------------
// OpenAPI (v2 definitions or v3 components.schemas) as patch metadata.

/** The subset of an OpenAPI schema object the patch metadata needs. */
export interface OpenAPISchemaObject {
  $ref?: string;
  allOf?: OpenAPISchemaObject[];
  type?: string | string[];
  properties?: Record<string, OpenAPISchemaObject>;
  items?: OpenAPISchemaObject;
  additionalProperties?: OpenAPISchemaObject | boolean;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
}

/**
 * A schema tree from OpenAPI schemas (`definitions` of v2, `components.schemas` of v3), reading
 * `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` like upstream's
 * PatchMetaFromOpenAPI. `name` is the schema name, e.g. `io.k8s.api.apps.v1.Deployment`.
 * References are resolved lazily, so recursive schemas are fine.
 */
export function nodeFromOpenAPI(
  schemas: Readonly<Record<string, OpenAPISchemaObject>>,
  name: string,
): SchemaNode {
  const cache = new Map<string, SchemaNode>();
  const byRef = (ref: string): SchemaNode => {
    const refName = ref.replace(/^#\/(definitions|components\/schemas)\//, '');
    let node = cache.get(refName);
    if (!node) {
      node = lazy(() => {
        const s = schemas[refName];
        return s ? convert(s, refName) : scalar;
      });
      cache.set(refName, node);
    }
    return node;
  };
  const convert = (s: OpenAPISchemaObject, label: string): SchemaNode => {
    if (s.$ref) return byRef(s.$ref);
    if (s.allOf && s.allOf.length > 0) {
      // Upstream's generated schemas wrap references as allOf: [{$ref}] to add a description.
      const ref = s.allOf.find((x) => x.$ref);
      if (ref?.$ref) return byRef(ref.$ref);
    }
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
    if (s.properties || type === 'object') {
      if (s.properties) {
        const fields: Record<string, FieldNode> = {};
        for (const [k, v] of Object.entries(s.properties)) {
          fields[k] = {
            type: convert(v, `${label}.${k}`),
            patchStrategy: v['x-kubernetes-patch-strategy'],
            patchMergeKey: v['x-kubernetes-patch-merge-key'],
          };
        }
        return { kind: 'struct', name: label, fields };
      }
      if (typeof s.additionalProperties === 'object') {
        return mapOf(convert(s.additionalProperties, `${label}[]`));
      }
      return mapOf(scalar);
    }
    if (type === 'array' || s.items)
      return listOf(s.items ? convert(s.items, `${label}[]`) : scalar);
    return scalar;
  };
  return byRef(name);
}
