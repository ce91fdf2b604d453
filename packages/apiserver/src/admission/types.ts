/**
 * The admission contract, as upstream's k8s.io/apiserver/pkg/admission: the attributes of a
 * request (operation, resource, subresource, object, old object, user, dryRun) and the two kinds
 * of plugins. Mutating plugins may change `attrs.object` in place; validating plugins may only
 * accept (resolve) or refuse (reject with a StatusError). Plugins add Warning headers through
 * `attrs.warnings` and audit annotations through `attrs.annotations`.
 */
import type { ApiObject } from '../storage/codec.js';
import type { UserInfo } from '../auth/types.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface AdmissionAttributes {
  operation: Operation;
  resource: GroupVersionResource;
  subresource: string;
  kind: GroupVersionKind;
  /** Empty for cluster-scoped resources. */
  namespace: string;
  /** Empty when a create names the object through generateName. */
  name: string;
  /** The new object (create, update); undefined on delete. Mutating plugins change it in place. */
  object: ApiObject | undefined;
  /** The stored object (update, delete). */
  oldObject: ApiObject | undefined;
  /** CreateOptions / UpdateOptions / DeleteOptions, as webhooks see them. */
  options?: ApiObject;
  dryRun: boolean;
  userInfo: UserInfo;
  /** Warning headers for the client (upstream's warning.AddWarning). */
  warnings: string[];
  /** Audit annotations (key -> value), e.g. PodSecurity's audit-violations. */
  annotations: Record<string, string>;
  /**
   * Set by a mutating plugin that changed the object; the registry re-applies defaults after
   * webhook mutations, as upstream re-decodes a patched object.
   */
  mutated?: boolean;
  /** Reads shared by the plugins of one request (the namespace, service account, ...). */
  memo?: Map<string, Promise<unknown>>;
}

/** Reads `key` once per request: plugins of the same request share the answer. */
export function requestMemo<T>(
  a: Pick<AdmissionAttributes, 'memo'>,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  a.memo ??= new Map();
  let p = a.memo.get(key) as Promise<T> | undefined;
  if (!p) {
    p = read();
    a.memo.set(key, p);
  }
  return p;
}

/** What every plugin has. */
export interface AdmissionPlugin {
  readonly name: string;
  /** Whether the plugin looks at this operation at all (upstream's Handles). */
  handles(operation: Operation): boolean;
}

export interface MutatingPlugin extends AdmissionPlugin {
  admit(attrs: AdmissionAttributes): Promise<void>;
}

export interface ValidatingPlugin extends AdmissionPlugin {
  validate(attrs: AdmissionAttributes): Promise<void>;
}

export function isMutating(p: AdmissionPlugin): p is MutatingPlugin {
  return typeof (p as Partial<MutatingPlugin>).admit === 'function';
}

export function isValidating(p: AdmissionPlugin): p is ValidatingPlugin {
  return typeof (p as Partial<ValidatingPlugin>).validate === 'function';
}

/** The registry's view of admission: both phases over one set of attributes. */
export interface AdmissionController {
  /** Runs the mutating phase (built-in mutating plugins, then mutating webhooks). */
  admit(attrs: AdmissionAttributes): Promise<void>;
  /** Runs the validating phase (built-in validating plugins, then validating webhooks). */
  validate(attrs: AdmissionAttributes): Promise<void>;
}

/** `apps`, `v1` -> `apps/v1`; `''`, `v1` -> `v1`. */
export function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** `pods` or `pods/status`. */
export function resourceWithSub(attrs: Pick<AdmissionAttributes, 'resource' | 'subresource'>) {
  return attrs.subresource
    ? `${attrs.resource.resource}/${attrs.subresource}`
    : attrs.resource.resource;
}

/** Plain objects for plugins: `obj.spec` and friends, typed loosely. */
export type Obj = Record<string, unknown>;
