/**
 * The resource registry: one table of ResourceDefinitions, built-in and CRD-made alike, with the
 * lookups the API server and kubectl-style clients need (GVR, GVK, plural, singular, short name,
 * kind, `resource.group`), scale conversion and field-selector support.
 */
import {
  FieldSelectorError,
  defaultMetaFieldTransform,
  deepCopyJson,
  supportedFieldsTransform,
  type FieldSelector,
  type GroupVersionKind,
  type KubeObject,
} from '@kubets/apimachinery';
import { resourceFromCRD } from '../crd/resource.js';
import { evaluateJSONPath, parseJSONPath } from '../crd/jsonpath.js';
import type { CustomResourceDefinition } from '../types/apiextensions-v1.js';
import type { Scale } from '../types/groups.js';
import { builtinResources } from './builtin.js';
import type { GVR, ResourceDefinition, ResourceVersionDefinition } from './types.js';

export class ResourceConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceConflictError';
  }
}

export interface ResolvedResource {
  def: ResourceDefinition;
  version: ResourceVersionDefinition;
}

const key = (group: string, plural: string): string => `${group}/${plural}`;

export class ResourceRegistry {
  private readonly byGR = new Map<string, ResourceDefinition>();

  constructor(defs: Iterable<ResourceDefinition> = []) {
    for (const d of defs) this.add(d);
  }

  /** A registry holding every built-in resource. */
  static withBuiltins(): ResourceRegistry {
    return new ResourceRegistry(builtinResources());
  }

  /** Adds (or replaces, for the same group/plural) a resource. */
  add(def: ResourceDefinition): void {
    this.byGR.set(key(def.group, def.plural), def);
  }

  remove(group: string, plural: string): boolean {
    return this.byGR.delete(key(group, plural));
  }

  /** All resources, built-ins first in registration order. */
  all(): ResourceDefinition[] {
    return [...this.byGR.values()];
  }

  byGroupResource(group: string, plural: string): ResourceDefinition | undefined {
    return this.byGR.get(key(group, plural));
  }

  /** The resource and served version for a GVR (undefined if not served). */
  byGVR(gvr: GVR): ResolvedResource | undefined {
    const def = this.byGroupResource(gvr.group, gvr.resource);
    const version = def?.versions.find((v) => v.name === gvr.version && v.served);
    return def && version ? { def, version } : undefined;
  }

  byGVK(gvk: GroupVersionKind): ResolvedResource | undefined {
    for (const def of this.byGR.values()) {
      if (def.group !== gvk.group || def.kind !== gvk.kind) continue;
      const version = def.versions.find((v) => v.name === gvk.version && v.served);
      if (version) return { def, version };
    }
    return undefined;
  }

  /** Resources with this kind in any group (`Event` is in core and events.k8s.io). */
  byKind(kind: string): ResourceDefinition[] {
    return this.all().filter((d) => d.kind === kind);
  }

  /**
   * kubectl-style resolution of a resource argument: plural, singular, short name or kind (any
   * case), optionally qualified as `name.group` or `name.version.group`. Core group wins ties,
   * as kubectl's preferred ordering does.
   */
  resolve(arg: string): ResourceDefinition | undefined {
    const lower = arg.toLowerCase();
    const candidates: [string, string | undefined][] = [[lower, undefined]];
    const dot = lower.indexOf('.');
    if (dot > 0) {
      candidates.push([lower.slice(0, dot), lower.slice(dot + 1)]);
      const second = lower.indexOf('.', dot + 1);
      if (second > 0) candidates.push([lower.slice(0, dot), lower.slice(second + 1)]);
    }
    for (const [name, group] of candidates) {
      const matches = this.all().filter(
        (d) =>
          (group === undefined || d.group === group) &&
          (d.plural === name ||
            d.singular === name ||
            d.kind.toLowerCase() === name ||
            d.shortNames.includes(name)),
      );
      if (matches.length > 0) return matches.find((d) => d.group === '') ?? matches[0];
    }
    return undefined;
  }

  /** Resources in a category (`all` for `kubectl get all`). */
  category(name: string): ResourceDefinition[] {
    return this.all().filter((d) => d.categories.includes(name));
  }

  /** API groups with their served versions, preferred (storage, else first served) first. */
  groups(): { name: string; versions: string[]; preferredVersion: string }[] {
    const out = new Map<string, { versions: Set<string>; preferred: string }>();
    for (const def of this.byGR.values()) {
      const served = def.versions.filter((v) => v.served);
      if (served.length === 0) continue;
      const entry = out.get(def.group) ?? { versions: new Set<string>(), preferred: '' };
      for (const v of served) entry.versions.add(v.name);
      if (!entry.preferred) entry.preferred = (served.find((v) => v.storage) ?? served[0]!).name;
      out.set(def.group, entry);
    }
    return [...out.entries()].map(([name, e]) => ({
      name,
      preferredVersion: e.preferred,
      versions: [
        e.preferred,
        ...[...e.versions].filter((v) => v !== e.preferred).sort(compareKubeVersions),
      ],
    }));
  }

  /**
   * Registers the resource a CRD defines. Refuses a CRD whose group/plural belongs to a built-in,
   * or whose short names or kind clash within its group.
   */
  registerCRD(crd: CustomResourceDefinition): ResourceDefinition {
    const def = resourceFromCRD(crd);
    const existing = this.byGroupResource(def.group, def.plural);
    if (existing && existing.source === 'builtin') {
      throw new ResourceConflictError(`${def.plural}.${def.group} is a built-in resource`);
    }
    for (const other of this.all()) {
      if (other === existing || other.group !== def.group) continue;
      if (other.kind === def.kind)
        throw new ResourceConflictError(
          `kind ${def.kind} is already used by ${other.plural}.${other.group}`,
        );
      const clash = def.shortNames.find((s) => other.shortNames.includes(s) || other.plural === s);
      if (clash)
        throw new ResourceConflictError(
          `short name ${clash} is already used by ${other.plural}.${other.group}`,
        );
    }
    this.add(def);
    return def;
  }

  /** Removes the resource of a CRD (by its name `plural.group`). */
  unregisterCRD(crdName: string): boolean {
    for (const def of this.all()) {
      if (def.source === 'crd' && def.crdName === crdName)
        return this.remove(def.group, def.plural);
    }
    return false;
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2). */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (!pa) return 1;
  if (!pb) return -1;
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i]! - pa[i]!;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Field selectors

/**
 * Validates a parsed field selector against a resource: unsupported fields throw
 * FieldSelectorError with upstream's message. Returns the selector to match with.
 */
export function checkFieldSelector(
  def: ResourceDefinition,
  selector: FieldSelector,
): FieldSelector {
  const fs = def.fieldSelectors;
  return selector.transform(
    fs.customConversion ? supportedFieldsTransform(fs.fields) : defaultMetaFieldTransform,
  );
}

/** True when the object matches the (checked) field selector. */
export function matchesFieldSelector(
  def: ResourceDefinition,
  selector: FieldSelector,
  obj: KubeObject,
): boolean {
  return selector.matches(def.fieldSelectors.fieldsOf(obj));
}

export { FieldSelectorError };

// ---------------------------------------------------------------------------------------------
// Scale subresource

function getAt(obj: unknown, path: string): unknown {
  const r = evaluateJSONPath(parseJSONPath(path), obj);
  return r[0];
}

function setAt(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur: Record<string, unknown> = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** The autoscaling/v1 Scale of an object (GET .../scale). */
export function scaleOf(def: ResourceDefinition, obj: KubeObject): Scale {
  const spec = def.scale;
  if (!spec) throw new Error(`${def.plural}.${def.group} has no scale subresource`);
  const specReplicas = getAt(obj, spec.specReplicasPath);
  const statusReplicas = getAt(obj, spec.statusReplicasPath);
  let selector = '';
  if (spec.selector) selector = spec.selector(obj);
  else if (spec.labelSelectorPath) {
    const s = getAt(obj, spec.labelSelectorPath);
    if (typeof s === 'string') selector = s;
  }
  const m = obj.metadata ?? {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    },
    // ScaleSpec.replicas is `omitempty` upstream: zero replicas serialize as `spec: {}`.
    spec: typeof specReplicas === 'number' && specReplicas !== 0 ? { replicas: specReplicas } : {},
    status: {
      replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
      ...(selector ? { selector } : {}),
    },
  };
}

/** The object with the Scale's spec.replicas written to its replicas path (PUT/PATCH .../scale). */
export function applyScale(def: ResourceDefinition, obj: KubeObject, scale: Scale): KubeObject {
  const spec = def.scale;
  if (!spec) throw new Error(`${def.plural}.${def.group} has no scale subresource`);
  const out = deepCopyJson(obj);
  setAt(
    out as unknown as Record<string, unknown>,
    spec.specReplicasPath,
    scale.spec?.replicas ?? 0,
  );
  if (scale.metadata?.resourceVersion)
    (out.metadata ??= {}).resourceVersion = scale.metadata.resourceVersion;
  return out;
}
