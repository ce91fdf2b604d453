/**
 * The contract between the API server and the resource registry: @kubets/api's
 * `ResourceDefinition` and its parts, re-exported so the server's modules import them from one
 * place, plus small helpers over them. Built-in resources and CRD-backed ones (both produced by
 * @kubets/api) go through the same code path here.
 */
import type { ResourceDefinition, ResourceVersionDefinition } from '@kubets/api';
import type { OpenAPINode } from './fieldmanager/schema.js';

export type {
  FieldSelectorSupport,
  ResourceDefinition,
  ResourceStrategy,
  ResourceVersionDefinition,
  ScaleSpec,
  StatusStrategy,
  StrategyContext,
  SubresourceDefinition,
  TableDefinition,
} from '@kubets/api';

/** The OpenAPI definitions of a version, typed for the field manager. */
export function versionSchemas(
  v: ResourceVersionDefinition,
): Readonly<Record<string, OpenAPINode>> {
  return v.schemas;
}

/** The version objects are stored in. */
export function storageVersion(def: ResourceDefinition): ResourceVersionDefinition {
  const v = def.versions.find((x) => x.storage) ?? def.versions[0];
  if (!v) throw new Error(`resource ${def.plural}.${def.group} has no versions`);
  return v;
}

/** `apps/v1` or `v1`. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function hasSubresource(v: ResourceVersionDefinition, name: string): boolean {
  return v.subresources.some((s) => s.name === name);
}
