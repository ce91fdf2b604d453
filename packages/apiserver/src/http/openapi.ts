/**
 * OpenAPI v3 as kube-apiserver serves it: `/openapi/v3` (an index of group-versions with
 * `?hash=` URLs) and one document per group-version with paths and `components.schemas`.
 *
 * What kubectl relies on (kubectl-wire.md §1.8): every PATCH operation carries the object's
 * `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter, so `create`/`apply`
 * validate on the server instead of downloading OpenAPI v2; schemas carry the schema-level
 * `x-kubernetes-group-version-kind` `explain` searches for. The PATCH request bodies do not list
 * the strategic-merge-patch type, so kubectl computes apply patches from its built-in types.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '@kubets/apimachinery';
import type { Catalog, ServedResource } from '../registry/catalog.js';

const REF = '#/components/schemas/';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

/** Minimal definitions for the meta types operations refer to, used when the catalog lacks them. */
const FALLBACK_META: Record<string, JsonObject> = {
  [`${META}Status`]: {
    type: 'object',
    description: "Status is a return value for calls that don't return other objects.",
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      code: { type: 'integer', format: 'int32' },
      message: { type: 'string' },
      reason: { type: 'string' },
      status: { type: 'string' },
      details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
  },
  [`${META}DeleteOptions`]: {
    type: 'object',
    description: 'DeleteOptions may be provided when deleting an API object.',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      dryRun: { type: 'array', items: { type: 'string' } },
      gracePeriodSeconds: { type: 'integer', format: 'int64' },
      orphanDependents: { type: 'boolean' },
      preconditions: {
        type: 'object',
        properties: { resourceVersion: { type: 'string' }, uid: { type: 'string' } },
      },
      propagationPolicy: { type: 'string' },
    },
  },
  [`${META}Patch`]: {
    type: 'object',
    description:
      'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  },
  [`${META}WatchEvent`]: {
    type: 'object',
    description: 'Event represents a single event to a watched resource.',
    required: ['type', 'object'],
    properties: {
      type: { type: 'string' },
      object: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  },
};

function queryParam(name: string, description: string, type = 'string'): JsonObject {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const DRY_RUN = queryParam(
  'dryRun',
  'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed',
);
const FIELD_MANAGER = queryParam(
  'fieldManager',
  'fieldManager is a name associated with the actor or entity that is making these changes.',
);
const FIELD_VALIDATION = queryParam(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
);
const FORCE = queryParam('force', 'Force is going to "force" Apply requests.', 'boolean');
const LIST_PARAMS = [
  queryParam(
    'allowWatchBookmarks',
    'allowWatchBookmarks requests watch events with type "BOOKMARK".',
    'boolean',
  ),
  queryParam(
    'continue',
    'The continue option should be set when retrieving more results from the server.',
  ),
  queryParam(
    'fieldSelector',
    'A selector to restrict the list of returned objects by their fields.',
  ),
  queryParam(
    'labelSelector',
    'A selector to restrict the list of returned objects by their labels.',
  ),
  queryParam(
    'limit',
    'limit is a maximum number of responses to return for a list call.',
    'integer',
  ),
  queryParam(
    'resourceVersion',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  queryParam(
    'resourceVersionMatch',
    'resourceVersionMatch determines how resourceVersion is applied to list calls.',
  ),
  queryParam('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  queryParam('watch', 'Watch for changes to the described resources.', 'boolean'),
];

function pathParam(name: string, description: string): JsonObject {
  return {
    name,
    in: 'path',
    description,
    required: true,
    schema: { type: 'string', uniqueItems: true },
  };
}

function response(ref: string): JsonObject {
  return { description: 'OK', content: { 'application/json': { schema: { $ref: REF + ref } } } };
}

function body(ref: string, types: string[] = ['application/json']): JsonObject {
  return {
    required: true,
    content: Object.fromEntries(types.map((t) => [t, { schema: { $ref: REF + ref } }])),
  };
}

function opId(verb: string, s: ServedResource, suffix = ''): string {
  const g =
    s.def.group === '' ? 'Core' : s.def.group.split('.')[0]!.replace(/^./, (c) => c.toUpperCase());
  const v = s.version.name.replace(/^./, (c) => c.toUpperCase());
  return `${verb}${g}${v}${s.def.namespaced ? 'Namespaced' : ''}${s.def.kind}${suffix}`;
}

interface GV {
  group: string;
  version: string;
  kind: string;
}

function operations(
  s: ServedResource,
  refs: { object: string; list: string },
  gvk: GV,
  sub: string,
): { collection: JsonObject; item: JsonObject } {
  const tags = [`${s.def.group === '' ? 'core' : s.def.group.split('.')[0]}_${s.version.name}`];
  const x = (action: string): JsonObject => ({
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk as unknown as JsonValue,
  });
  const suffix = sub ? sub.replace(/^./, (c) => c.toUpperCase()) : '';
  const item: JsonObject = {
    get: {
      operationId: opId('read', s, suffix),
      tags,
      responses: { '200': response(refs.object) },
      ...x('get'),
    },
    put: {
      operationId: opId('replace', s, suffix),
      tags,
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: body(refs.object),
      responses: { '200': response(refs.object), '201': response(refs.object) },
      ...x('put'),
    },
    patch: {
      operationId: opId('patch', s, suffix),
      tags,
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
      requestBody: body(`${META}Patch`, [
        'application/json-patch+json',
        'application/merge-patch+json',
        'application/apply-patch+yaml',
      ]),
      responses: { '200': response(refs.object), '201': response(refs.object) },
      ...x('patch'),
    },
  };
  if (sub === '') {
    item.delete = {
      operationId: opId('delete', s),
      tags,
      parameters: [
        DRY_RUN,
        queryParam(
          'gracePeriodSeconds',
          'The duration in seconds before the object should be deleted.',
          'integer',
        ),
        queryParam('propagationPolicy', 'Whether and how garbage collection will be performed.'),
      ],
      requestBody: {
        content: { 'application/json': { schema: { $ref: `${REF}${META}DeleteOptions` } } },
      },
      responses: { '200': response(refs.object), '202': response(refs.object) },
      ...x('delete'),
    };
  }
  const collection: JsonObject = {
    get: {
      operationId: opId('list', s),
      tags,
      parameters: LIST_PARAMS,
      responses: { '200': response(refs.list) },
      ...x('list'),
    },
    post: {
      operationId: opId('create', s),
      tags,
      parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: body(refs.object),
      responses: {
        '200': response(refs.object),
        '201': response(refs.object),
        '202': response(refs.object),
      },
      ...x('post'),
    },
    delete: {
      operationId: opId('deleteCollection', s),
      tags,
      parameters: [DRY_RUN, ...LIST_PARAMS],
      responses: { '200': response(`${META}Status`) },
      ...x('deletecollection'),
    },
  };
  return { collection, item };
}

function collectRefs(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, out);
    return;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF)) out.add(v.slice(REF.length));
      else collectRefs(v, out);
    }
  }
}

/** The OpenAPI v3 document of one group-version. */
export function groupVersionDocument(
  catalog: Catalog,
  group: string,
  version: string,
  gitVersion: string,
): JsonObject | undefined {
  const served = catalog.inGroupVersion(group, version);
  if (served.length === 0) return undefined;
  const root = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const paths: JsonObject = {};
  const schemaSources: Record<string, unknown> = { ...FALLBACK_META };
  const wanted = new Set<string>(Object.keys(FALLBACK_META));
  for (const s of served) {
    const schemas = s.version.schemas as Record<string, unknown>;
    const objectRef = s.version.schemaName;
    const listRef = schemas[`${objectRef}List`] ? `${objectRef}List` : `${META}Status`;
    for (const [k, v] of Object.entries(schemas))
      if (!(k in schemaSources) || k in FALLBACK_META) schemaSources[k] = v;
    wanted.add(objectRef);
    wanted.add(listRef);
    const gvk = { group: s.def.group, version: s.version.name, kind: s.def.kind };
    const ops = operations(s, { object: objectRef, list: listRef }, gvk, '');
    const nsParam = pathParam(
      'namespace',
      'object name and auth scope, such as for teams and projects',
    );
    const nameParam = pathParam('name', `name of the ${s.def.kind}`);
    const base = s.def.namespaced
      ? `${root}/namespaces/{namespace}/${s.def.plural}`
      : `${root}/${s.def.plural}`;
    paths[base] = { ...ops.collection, parameters: s.def.namespaced ? [nsParam] : [] };
    paths[`${base}/{name}`] = {
      ...ops.item,
      parameters: s.def.namespaced ? [nameParam, nsParam] : [nameParam],
    };
    if (s.def.namespaced) {
      const listAll = (ops.collection as { get: JsonObject }).get;
      paths[`${root}/${s.def.plural}`] = {
        get: {
          ...listAll,
          operationId: `${opId('list', { ...s, def: { ...s.def, namespaced: false } })}ForAllNamespaces`,
        },
      };
    }
    for (const sub of s.version.subresources) {
      if (sub.name !== 'status' && sub.name !== 'scale') continue;
      const subRef = sub.name === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : objectRef;
      if (sub.name === 'scale') wanted.add(subRef);
      const subOps = operations(
        s,
        { object: subRef, list: listRef },
        { group: sub.kind.group, version: sub.kind.version, kind: sub.kind.kind },
        sub.name,
      );
      paths[`${base}/{name}/${sub.name}`] = {
        ...subOps.item,
        parameters: s.def.namespaced ? [nameParam, nsParam] : [nameParam],
      };
    }
  }
  // Transitive closure of the referenced schemas.
  const components: JsonObject = {};
  const queue = [...wanted];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const schema =
      schemaSources[name] ??
      (name === 'io.k8s.api.autoscaling.v1.Scale' ? SCALE_SCHEMA : undefined);
    if (schema === undefined) continue;
    components[name] = schema as JsonValue;
    const refs = new Set<string>();
    collectRefs(schema, refs);
    for (const r of refs) if (!seen.has(r)) queue.push(r);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: gitVersion },
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.entries(components).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
    },
  };
}

const SCALE_SCHEMA: JsonObject = {
  type: 'object',
  description: 'Scale represents a scaling request for a resource.',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { allOf: [{ $ref: `${REF}${META}ObjectMeta` }], default: {} },
    spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } },
    status: {
      type: 'object',
      required: ['replicas'],
      properties: {
        replicas: { type: 'integer', format: 'int32', default: 0 },
        selector: { type: 'string' },
      },
    },
  },
  'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
};

/** upstream's hash of a document: upper-case hex SHA-512 of its JSON. */
export function documentHash(json: string): string {
  return createHash('sha512').update(json).digest('hex').toUpperCase();
}

/** Serves `/openapi/v3` and `/openapi/v3/<gv>`, caching documents until the catalog changes. */
export class OpenAPIService {
  private cachedGeneration = -1;
  private docs = new Map<string, { json: string; hash: string }>();

  constructor(
    private readonly catalog: Catalog,
    private readonly gitVersion: string,
  ) {}

  private refresh(): void {
    if (this.cachedGeneration === this.catalog.generation) return;
    this.docs = new Map();
    for (const g of this.catalog.groups()) {
      for (const v of g.versions) {
        const doc = groupVersionDocument(this.catalog, g.name, v, this.gitVersion);
        if (!doc) continue;
        const key = g.name === '' ? `api/${v}` : `apis/${g.name}/${v}`;
        const json = JSON.stringify(doc);
        this.docs.set(key, { json, hash: documentHash(json) });
      }
    }
    this.cachedGeneration = this.catalog.generation;
  }

  index(): JsonObject {
    this.refresh();
    const paths: JsonObject = {};
    for (const [key, d] of [...this.docs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${d.hash}` };
    }
    return { paths };
  }

  /** The document of `key` (`api/v1`, `apis/apps/v1`), with its hash. */
  document(key: string): { json: string; hash: string } | undefined {
    this.refresh();
    return this.docs.get(key);
  }
}
