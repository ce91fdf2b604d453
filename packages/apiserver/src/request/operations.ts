/**
 * The resource verbs behind both front doors. REST and gRPC decode their transport into a
 * ResourceTarget, parsed options and a decoded body, then call these: one path from the catalog
 * lookup through the registry (defaulting, validation, admission, storage) and the action
 * subresources, so the doors cannot drift apart.
 */
import {
  isJsonObject,
  newBadRequest,
  newMethodNotSupported,
  StatusError,
  type DeleteOptions,
  type JsonValue,
} from '@kubets/apimachinery';
import type { Catalog, ServedResource } from '../registry/catalog.js';
import type { ResourceDefinition } from '../registry/definition.js';
import { applyPatch, type PatchType } from '../registry/patch.js';
import type {
  ListParams,
  PatchRequestOptions,
  ResourceRegistry,
  WriteOptions,
} from '../registry/resource-registry.js';
import type { ApiObject } from '../storage/codec.js';

/** A POST-only subresource with its own semantics (pods/binding, pods/eviction). */
export interface ActionSubresource {
  create(
    namespace: string,
    name: string,
    body: JsonValue,
    opts: WriteOptions,
  ): Promise<{ code: number; body: unknown; warnings?: string[] }>;
}

/** `group/resource/subresource` (or `group/resource` for a collection's create) -> handler. */
export type ActionMap = ReadonlyMap<string, ActionSubresource>;

export type ResourceVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** What a request addresses: the REST path's segments. */
export interface ResourceTarget {
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** The answer of a verb: REST's status code and body, and its warnings. */
export interface Reply {
  code: number;
  body: unknown;
  warnings: string[];
}

/** Subresources the registry serves itself; any other is an action. */
export const STANDARD_SUBRESOURCES: ReadonlySet<string> = new Set(['status', 'scale', 'finalize']);

export interface ResolvedTarget {
  served: ServedResource;
  registry: ResourceRegistry;
  def: ResourceDefinition;
  /** The namespace for the registry (undefined for cluster-scoped resources). */
  ns: string | undefined;
  /** The served API version's name. */
  version: string;
  namespace: string;
  name: string;
  subresource: string;
  /** Set for an action subresource (pods/binding, pods/eviction). */
  action?: ActionSubresource;
}

/** The 404 upstream answers for a path it does not serve. */
export function notServed(): StatusError {
  return new StatusError({
    status: 'Failure',
    message: 'the server could not find the requested resource',
    reason: 'NotFound',
    details: {},
    code: 404,
  });
}

/**
 * Finds the registry for a target and checks scope and subresource: 404 for what is not served
 * (as REST answers for an unknown path), 405 for a verb an action subresource does not take.
 * `method` names the verb in the 405 message (REST: the HTTP method).
 */
export function resolveTarget(
  catalog: Catalog,
  actions: ActionMap | undefined,
  t: ResourceTarget,
  verb: ResourceVerb,
  method: string,
): ResolvedTarget {
  const served = catalog.lookup(t.group, t.version, t.resource);
  if (!served) throw notServed();
  const { def } = served;
  // Namespaced resources are addressed per namespace except for lists and watches across all.
  if (def.namespaced && t.namespace === '' && verb !== 'list' && verb !== 'watch')
    throw notServed();
  if (!def.namespaced && t.namespace !== '') throw notServed();
  const sub = t.subresource;
  if (
    sub !== '' &&
    !served.version.subresources.some((s) => s.name === sub) &&
    !actions?.has(`${def.group}/${def.plural}/${sub}`)
  )
    throw notServed();
  const resolved: ResolvedTarget = {
    served,
    registry: served.registry,
    def,
    ns: def.namespaced ? t.namespace : undefined,
    version: served.version.name,
    namespace: t.namespace,
    name: t.name,
    subresource: sub,
  };
  if (sub !== '' && !STANDARD_SUBRESOURCES.has(sub)) {
    const action = actions?.get(`${def.group}/${def.plural}/${sub}`);
    if (!action || verb !== 'create') {
      throw newMethodNotSupported({ group: def.group, resource: `${def.plural}/${sub}` }, method);
    }
    resolved.action = action;
  }
  return resolved;
}

export async function getObject(
  t: ResolvedTarget,
  resourceVersion: string | undefined,
): Promise<ApiObject> {
  if (t.subresource === 'scale') return t.registry.getScale(t.ns, t.name);
  return t.registry.get(t.ns, t.name, resourceVersion, t.version);
}

export function listObjects(t: ResolvedTarget, params: ListParams): Promise<ApiObject> {
  return t.registry.list(t.ns, { ...params, version: t.version });
}

export async function createObject(
  t: ResolvedTarget,
  actions: ActionMap | undefined,
  body: JsonValue,
  opts: WriteOptions,
): Promise<Reply> {
  if (t.action) {
    const r = await t.action.create(t.namespace, t.name, body, opts);
    return { code: r.code, body: r.body, warnings: r.warnings ?? [] };
  }
  if (!isJsonObject(body)) throw newBadRequest('the body of the request must be an object');
  // Collections whose create is an action on another object (core/v1 bindings).
  const collectionAction = actions?.get(`${t.def.group}/${t.def.plural}`);
  if (collectionAction) {
    const target = (body.metadata as { name?: string } | undefined)?.name ?? '';
    const r = await collectionAction.create(t.namespace, target, body, opts);
    return { code: r.code, body: r.body, warnings: r.warnings ?? [] };
  }
  const result = await t.registry.create(t.ns, body, opts, t.version);
  return { code: 201, body: result.object, warnings: result.warnings };
}

export async function updateObject(
  t: ResolvedTarget,
  body: JsonValue,
  opts: WriteOptions,
): Promise<Reply> {
  if (!isJsonObject(body)) throw newBadRequest('the body of the request must be an object');
  if (t.subresource === 'scale') {
    const r = await t.registry.updateScale(t.ns, t.name, () => body, opts);
    return { code: 200, body: r.object, warnings: r.warnings };
  }
  const r = await t.registry.update(t.ns, t.name, body, opts, t.version, t.subresource);
  return { code: r.created ? 201 : 200, body: r.object, warnings: r.warnings };
}

/** `forceGiven`: the caller set `force` at all (it may only be set for apply). */
export async function patchObject(
  t: ResolvedTarget,
  type: PatchType,
  patch: JsonValue,
  opts: PatchRequestOptions,
  forceGiven: boolean,
): Promise<Reply> {
  if (forceGiven && type !== 'apply') {
    throw newBadRequest('force: Forbidden: may not be specified for non-apply patch');
  }
  if (t.subresource === 'scale') {
    if (type === 'apply')
      throw newBadRequest('apply patches are not supported on the scale subresource');
    const r = await t.registry.updateScale(
      t.ns,
      t.name,
      // A Scale has no merge keys: strategic merge behaves as a merge patch on it.
      (current) => applyPatch(type === 'strategic' ? 'merge' : type, current, patch, undefined),
      opts,
    );
    return { code: 200, body: r.object, warnings: r.warnings };
  }
  const r = await t.registry.patch(t.ns, t.name, type, patch, opts, t.version, t.subresource);
  return { code: r.created ? 201 : 200, body: r.object, warnings: r.warnings };
}

export async function deleteObject(
  t: ResolvedTarget,
  options: DeleteOptions,
  dryRun: boolean,
  writeOptions: WriteOptions = {},
): Promise<Reply> {
  if (t.subresource !== '')
    throw newMethodNotSupported(
      { group: t.def.group, resource: `${t.def.plural}/${t.subresource}` },
      'delete',
    );
  const r = await t.registry.delete(t.ns, t.name, options, dryRun, t.version, writeOptions);
  return { code: 200, body: r.body, warnings: [] };
}

export async function deleteCollection(
  t: ResolvedTarget,
  params: ListParams,
  options: DeleteOptions,
  dryRun: boolean,
  writeOptions: WriteOptions = {},
): Promise<ApiObject> {
  return t.registry.deleteCollection(
    t.ns,
    { ...params, version: t.version },
    options,
    dryRun,
    writeOptions,
  );
}
