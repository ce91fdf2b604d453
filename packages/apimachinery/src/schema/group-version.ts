/**
 * Group, version, kind and resource identifiers (k8s.io/apimachinery/pkg/runtime/schema) and
 * their upstream string forms. The core group is the empty string: `apiVersion: v1`.
 */

export interface GroupVersion {
  group: string;
  version: string;
}

export interface GroupKind {
  group: string;
  kind: string;
}

export interface GroupResource {
  group: string;
  resource: string;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/**
 * schema.ParseGroupVersion: `v1` is the core group, `apps/v1` is group `apps`. The empty string
 * and `/` parse to the empty GroupVersion. More than one slash is an error.
 */
export function parseGroupVersion(gv: string): GroupVersion {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const slashes = gv.split('/').length - 1;
  if (slashes === 0) return { group: '', version: gv };
  if (slashes === 1) {
    const i = gv.indexOf('/');
    return { group: gv.slice(0, i), version: gv.slice(i + 1) };
  }
  throw new Error(`unexpected GroupVersion string: ${gv}`);
}

/** GroupVersion.String(): `apps/v1`, or just `v1` for the core group. */
export function groupVersionString(gv: GroupVersion): string {
  return gv.group.length > 0 ? `${gv.group}/${gv.version}` : gv.version;
}

/** The apiVersion field value for a GVK or GV. Same as groupVersionString. */
export function toAPIVersion(gv: GroupVersion): string {
  return groupVersionString(gv);
}

/**
 * schema.FromAPIVersionAndKind: an unparsable apiVersion yields a GVK with only the kind set,
 * as upstream does (validation then reports the empty version).
 */
export function fromAPIVersionAndKind(apiVersion: string, kind: string): GroupVersionKind {
  try {
    const gv = parseGroupVersion(apiVersion);
    return { group: gv.group, version: gv.version, kind };
  } catch {
    return { group: '', version: '', kind };
  }
}

/** GroupVersionKind.ToAPIVersionAndKind() */
export function toAPIVersionAndKind(gvk: GroupVersionKind): { apiVersion: string; kind: string } {
  return { apiVersion: groupVersionString(gvk), kind: gvk.kind };
}

/** GroupVersionKind.String(): `apps/v1, Kind=Deployment` (`/v1, Kind=Pod` for core). */
export function gvkString(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`;
}

/** GroupVersionResource.String(): `apps/v1, Resource=deployments`. */
export function gvrString(gvr: GroupVersionResource): string {
  return `${gvr.group}/${gvr.version}, Resource=${gvr.resource}`;
}

/** GroupResource.String(): `deployments.apps`, or `pods` for core. */
export function groupResourceString(gr: GroupResource): string {
  return gr.group.length === 0 ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** GroupKind.String(): `Deployment.apps`, or `Pod` for core. */
export function groupKindString(gk: GroupKind): string {
  return gk.group.length === 0 ? gk.kind : `${gk.kind}.${gk.group}`;
}

/** True when the GroupResource names nothing (used by error constructors). */
export function isEmptyGroupResource(gr: GroupResource): boolean {
  return gr.group.length === 0 && gr.resource.length === 0;
}

/** schema.ParseGroupResource: `deployments.apps` -> {resource: deployments, group: apps}. */
export function parseGroupResource(gr: string): GroupResource {
  const i = gr.indexOf('.');
  if (i >= 0) return { resource: gr.slice(0, i), group: gr.slice(i + 1) };
  return { group: '', resource: gr };
}

/** schema.ParseGroupKind: `Deployment.apps` -> {kind: Deployment, group: apps}. */
export function parseGroupKind(gk: string): GroupKind {
  const i = gk.indexOf('.');
  if (i >= 0) return { kind: gk.slice(0, i), group: gk.slice(i + 1) };
  return { group: '', kind: gk };
}

/**
 * schema.ParseResourceArg: `deployments.v1.apps` may be resource.version.group; the GVR form is
 * returned when there are at least three dot-separated parts, the GroupResource form always.
 */
export function parseResourceArg(arg: string): {
  gvr: GroupVersionResource | null;
  groupResource: GroupResource;
} {
  let gvr: GroupVersionResource | null = null;
  const parts = arg.split('.');
  if (parts.length >= 3) {
    gvr = { resource: parts[0]!, version: parts[1]!, group: parts.slice(2).join('.') };
  }
  return { gvr, groupResource: parseGroupResource(arg) };
}

/** Kinds whose lower-cased name is already plural. */
const UNPLURALIZED_SUFFIXES = ['endpoints'];

/**
 * meta.UnsafeGuessKindToResource: the default kind -> resource mapping used when no explicit
 * plural is registered. `Pod` -> `pods`, `Ingress` -> `ingresses`, `NetworkPolicy` ->
 * `networkpolicies`, `Endpoints` -> `endpoints`. Like upstream it is a guess: `Gateway` becomes
 * `gatewaies`, so registries should name irregular plurals explicitly.
 */
export function unsafeGuessKindToResource(gvk: GroupVersionKind): {
  plural: GroupVersionResource;
  singular: GroupVersionResource;
} {
  if (gvk.kind.length === 0) {
    const empty = { group: '', version: '', resource: '' };
    return { plural: empty, singular: { ...empty } };
  }
  const singularName = gvk.kind.toLowerCase();
  const make = (resource: string): GroupVersionResource => ({
    group: gvk.group,
    version: gvk.version,
    resource,
  });
  const singular = make(singularName);
  for (const skip of UNPLURALIZED_SUFFIXES) {
    if (singularName.endsWith(skip)) return { plural: make(singularName), singular };
  }
  const last = singularName[singularName.length - 1];
  if (last === 's') return { plural: make(singularName + 'es'), singular };
  if (last === 'y') return { plural: make(singularName.slice(0, -1) + 'ies'), singular };
  return { plural: make(singularName + 's'), singular };
}
