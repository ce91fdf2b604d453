/**
 * The contract between the API server and the resource registry of @kubets/api: what the server
 * needs to know about a resource to serve it. It is the structural subset of @kubets/api's
 * `ResourceDefinition` the server uses, so built-in resources and CRD-backed ones (both produced
 * by @kubets/api) go through the same code path here.
 */
import type {
  FieldError,
  GroupVersionKind,
  JsonValue,
  KubeObject,
  PatchSchema,
  TableColumnDefinition,
  TableRowCondition,
} from '@kubets/apimachinery';
import type { OpenAPINode } from './fieldmanager/schema.js';

export interface StrategyContext {
  nodePortRange?: { base: number; size: number };
}

export interface ResourceStrategy {
  default(obj: KubeObject): void;
  prepareForCreate(obj: KubeObject): void;
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validate(obj: KubeObject, ctx: StrategyContext): FieldError[];
  validateUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  warnings?(obj: KubeObject, old?: KubeObject): string[];
  allowCreateOnUpdate: boolean;
  allowUnconditionalUpdate: boolean;
}

export interface StatusStrategy {
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validateUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
}

export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
  selector?(obj: KubeObject): string;
}

export interface SubresourceDefinition {
  name: string;
  kind: GroupVersionKind;
  verbs: string[];
}

export interface TableDefinition {
  columns: TableColumnDefinition[];
  row(obj: KubeObject, now: number): JsonValue[];
  conditions?(obj: KubeObject): TableRowCondition[];
}

export interface ResourceVersionDefinition {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schemaName: string;
  schemas: Readonly<Record<string, unknown>>;
  table: TableDefinition;
  subresources: SubresourceDefinition[];
}

export interface FieldSelectorSupport {
  fields: string[];
  fieldsOf(obj: KubeObject): Record<string, string>;
  customConversion: boolean;
}

export interface ResourceDefinition {
  group: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  verbs: string[];
  versions: ResourceVersionDefinition[];
  strategy: ResourceStrategy;
  statusStrategy?: StatusStrategy;
  finalizeStrategy?: StatusStrategy;
  scale?: ScaleSpec;
  fieldSelectors: FieldSelectorSupport;
  patchSchema?(version: string): PatchSchema;
  /** Structural pruning (custom resources): removes unknown fields, returns their paths. */
  pruneUnknownFields?(obj: KubeObject): string[];
  source: 'builtin' | 'crd';
  crdName?: string;
}

/** The OpenAPI definitions of a version, typed for the field manager. */
export function versionSchemas(
  v: ResourceVersionDefinition,
): Readonly<Record<string, OpenAPINode>> {
  return v.schemas as Readonly<Record<string, OpenAPINode>>;
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
