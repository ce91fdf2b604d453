/**
 * A compact builder for OpenAPI v3 schemas in the shape upstream publishes under
 * `/openapi/v3/...` `components.schemas`: struct-valued fields reference named definitions through
 * `allOf: [{$ref}]`, lists carry `x-kubernetes-list-type` / `-map-keys` and the strategic merge
 * patch markers `x-kubernetes-patch-merge-key` / `-strategy`. One schema per type serves
 * `kubectl explain`, server-side field validation (unknown fields) and, through
 * apimachinery's nodeFromOpenAPI, the strategic-merge-patch metadata: one source of truth.
 */

/** An OpenAPI v3 schema object (the subset Kubernetes uses), as plain JSON. */
export interface OpenAPISchema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, OpenAPISchema>;
  required?: string[];
  items?: OpenAPISchema;
  additionalProperties?: OpenAPISchema | boolean;
  allOf?: OpenAPISchema[];
  oneOf?: OpenAPISchema[];
  anyOf?: OpenAPISchema[];
  $ref?: string;
  default?: unknown;
  enum?: unknown[];
  nullable?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-unions'?: unknown[];
  [extension: string]: unknown;
}

export const REF_PREFIX = '#/components/schemas/';

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const CORE = 'io.k8s.api.core.v1.';

export const str = (description?: string): OpenAPISchema =>
  description ? { type: 'string', description } : { type: 'string' };
export const int32 = (description?: string): OpenAPISchema => ({
  type: 'integer',
  format: 'int32',
  ...(description ? { description } : {}),
});
export const int64 = (description?: string): OpenAPISchema => ({
  type: 'integer',
  format: 'int64',
  ...(description ? { description } : {}),
});
export const bool = (description?: string): OpenAPISchema =>
  description ? { type: 'boolean', description } : { type: 'boolean' };
export const num = (): OpenAPISchema => ({ type: 'number', format: 'double' });
export const bytes = (): OpenAPISchema => ({ type: 'string', format: 'byte' });

/** A reference to a named definition, wrapped as upstream does so a description can sit beside it. */
export function ref(name: string, description?: string): OpenAPISchema {
  return {
    allOf: [{ $ref: REF_PREFIX + name }],
    ...(description ? { description } : {}),
  };
}

export const quantity = (): OpenAPISchema => ref('io.k8s.apimachinery.pkg.api.resource.Quantity');
export const intOrString = (): OpenAPISchema =>
  ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
export const time = (): OpenAPISchema => ref(META + 'Time');
export const microTime = (): OpenAPISchema => ref(META + 'MicroTime');
export const objectMeta = (): OpenAPISchema =>
  ref(
    META + 'ObjectMeta',
    "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  );
export const labelSelector = (): OpenAPISchema => ref(META + 'LabelSelector');
export const core = (name: string, description?: string): OpenAPISchema =>
  ref(CORE + name, description);

/** map[string]V: `strMap()` for map[string]string (labels, nodeSelector...). */
export function mapOf(values: OpenAPISchema): OpenAPISchema {
  return { type: 'object', additionalProperties: values };
}
export const strMap = (description?: string): OpenAPISchema => ({
  ...mapOf({ type: 'string', default: '' }),
  ...(description ? { description } : {}),
});
export const quantityMap = (): OpenAPISchema => mapOf(quantity());

/** An atomic list (replaced whole by patches). */
export function list(items: OpenAPISchema, description?: string): OpenAPISchema {
  return {
    type: 'array',
    items,
    'x-kubernetes-list-type': 'atomic',
    ...(description ? { description } : {}),
  };
}

/** A set of scalars merged by strategic merge patch (finalizers, ...). */
export function setList(items: OpenAPISchema = str()): OpenAPISchema {
  return {
    type: 'array',
    items,
    'x-kubernetes-list-type': 'set',
    'x-kubernetes-patch-strategy': 'merge',
  };
}

/**
 * A list of objects merged by key (`containers` by `name`). `mapKeys` defaults to the patch merge
 * key; some upstream lists (container ports) declare several map keys for server-side apply.
 */
export function mergeList(
  items: OpenAPISchema,
  mergeKey: string,
  options: { mapKeys?: string[]; strategy?: string; description?: string } = {},
): OpenAPISchema {
  return {
    type: 'array',
    items,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': options.mapKeys ?? [mergeKey],
    'x-kubernetes-patch-merge-key': mergeKey,
    'x-kubernetes-patch-strategy': options.strategy ?? 'merge',
    ...(options.description ? { description: options.description } : {}),
  };
}

/** A struct definition; `required` lists the fields upstream marks required. */
export function struct(
  properties: Record<string, OpenAPISchema>,
  options: { required?: string[]; description?: string } = {},
): OpenAPISchema {
  return {
    type: 'object',
    ...(options.description ? { description: options.description } : {}),
    properties,
    ...(options.required && options.required.length > 0 ? { required: options.required } : {}),
  };
}

/** A top-level kind: apiVersion, kind, metadata plus the given fields, tagged with its GVK. */
export function kind(
  gvk: { group: string; version: string; kind: string },
  description: string,
  properties: Record<string, OpenAPISchema>,
  required: string[] = [],
): OpenAPISchema {
  return {
    type: 'object',
    description,
    properties: {
      apiVersion: str(
        'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
      ),
      kind: str(
        'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
      ),
      metadata: objectMeta(),
      ...properties,
    },
    ...(required.length > 0 ? { required } : {}),
    'x-kubernetes-group-version-kind': [gvk],
  };
}

/** A `List` kind for a resource (`PodList`...). */
export function listKind(
  gvk: { group: string; version: string; kind: string },
  itemRef: string,
): OpenAPISchema {
  return {
    type: 'object',
    description: `${gvk.kind} is a list of ${gvk.kind.replace(/List$/, '')} objects.`,
    properties: {
      apiVersion: str(),
      items: { type: 'array', items: ref(itemRef) },
      kind: str(),
      metadata: ref(META + 'ListMeta'),
    },
    required: ['items'],
    'x-kubernetes-group-version-kind': [gvk],
  };
}
