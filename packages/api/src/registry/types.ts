/**
 * The shape of one entry in the resource registry. Built-ins and CustomResourceDefinitions produce
 * the same ResourceDefinition, so the API server serves both through one code path: discovery,
 * storage keys, defaulting, validation, tables, field selectors, scale and OpenAPI.
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
import type { OpenAPISchema } from '../schema/dsl.js';

/** What strategies may need to know beyond the object (from server flags). */
export interface StrategyContext {
  /** `--service-node-port-range`; node ports outside it are rejected. */
  nodePortRange?: { base: number; size: number };
}

/** upstream's RESTCreateStrategy / RESTUpdateStrategy, for one resource. All hooks mutate in place. */
export interface ResourceStrategy {
  /** SetDefaults: applied when an object is decoded (create, update, patch results). */
  default(obj: KubeObject): void;
  /** Before create: reset status, set generation... */
  prepareForCreate(obj: KubeObject): void;
  /** Before update of the main resource: keep status, bump generation on spec changes... */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  /** Validation of a new object (after system fields such as uid are filled). */
  validate(obj: KubeObject, ctx: StrategyContext): FieldError[];
  validateUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
  /** Non-fatal warnings returned in `Warning` headers. */
  warnings?(obj: KubeObject, old?: KubeObject): string[];
  /** PUT may create a missing object (true for nodes, namespaces' finalize is false...). */
  allowCreateOnUpdate: boolean;
  /** PUT without metadata.resourceVersion is accepted (no optimistic concurrency). */
  allowUnconditionalUpdate: boolean;
}

/** The `status` subresource's strategy: only status changes, only status is validated. */
export interface StatusStrategy {
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validateUpdate(obj: KubeObject, old: KubeObject, ctx: StrategyContext): FieldError[];
}

/** The scale subresource: where replicas live, and how the selector string is made. */
export interface ScaleSpec {
  /** JSON path of the desired replicas, e.g. `.spec.replicas`. */
  specReplicasPath: string;
  /** JSON path of the observed replicas, e.g. `.status.replicas`. */
  statusReplicasPath: string;
  /** JSON path of a label-selector string (CRDs), e.g. `.status.selector`. */
  labelSelectorPath?: string;
  /** For built-ins: the selector string from the object (spec.selector as a LabelSelector). */
  selector?(obj: KubeObject): string;
}

export interface SubresourceDefinition {
  /** `status`, `scale`, `binding`, `eviction`, `log`, `exec`, `finalize`... */
  name: string;
  /** The kind the subresource accepts/returns, for discovery's responseKind. */
  kind: GroupVersionKind;
  verbs: string[];
}

/** The table a version prints: columns and the row function (`now` in ms since the epoch). */
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
  /** Name of the kind's schema in `schemas` (the components.schemas key). */
  schemaName: string;
  /** The definitions `schemaName` refers to (for built-ins: all built-in definitions). */
  schemas: Readonly<Record<string, OpenAPISchema>>;
  table: TableDefinition;
  subresources: SubresourceDefinition[];
}

export interface FieldSelectorSupport {
  /** Fields selectable besides metadata.name/metadata.namespace. */
  fields: string[];
  /** The field set of an object (all supported fields, absent ones as ''). */
  fieldsOf(obj: KubeObject): Record<string, string>;
  /**
   * True when unsupported fields get `field label not supported: X` (resources with a field label
   * conversion func upstream); false for the default `"X" is not a known field selector` message.
   */
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
  /** namespaces/finalize: only spec.finalizers changes. */
  finalizeStrategy?: StatusStrategy;
  scale?: ScaleSpec;
  fieldSelectors: FieldSelectorSupport;
  /** Strategic merge patch metadata; undefined when SMP is not supported (custom resources). */
  patchSchema?(version: string): PatchSchema;
  /**
   * Drops fields the object's version schema does not declare and returns their paths
   * (`spec.foo`), for fieldValidation=Strict (error) / Warn (warning) / Ignore.
   */
  pruneUnknownFields(obj: KubeObject): string[];
  /** Where the object came from. */
  source: 'builtin' | 'crd';
  /** For CRDs: the CRD's name (`crontabs.stable.example.com`). */
  crdName?: string;
}

/** A group/version/resource triple. */
export interface GVR {
  group: string;
  version: string;
  resource: string;
}
