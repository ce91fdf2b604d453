/**
 * What an object costs against a ResourceQuota (upstream's quota evaluators) and the ResourceList
 * arithmetic of quota/v1, pure: object counts (`count/<resource>[.<group>]` and the legacy names
 * `pods`, `services`, `configmaps`, `secrets`, `persistentvolumeclaims`, ...), pod compute
 * requests and limits, services' load balancers and node ports, claims' storage requests; the
 * quota scopes Terminating/NotTerminating/BestEffort/NotBestEffort.
 */
import { Quantity } from '@kubets/apimachinery';
import type { ApiObject } from '../../storage/codec.js';
import { podResources } from '../plugins/limit-ranger.js';
import type { ContainerLike, PodSpecLike } from '../pod-spec.js';

export type ResourceList = Record<string, string>;

const LEGACY_COUNTS: Record<string, string> = {
  '/pods': 'pods',
  '/services': 'services',
  '/configmaps': 'configmaps',
  '/secrets': 'secrets',
  '/persistentvolumeclaims': 'persistentvolumeclaims',
  '/replicationcontrollers': 'replicationcontrollers',
  '/resourcequotas': 'resourcequotas',
};

export function countName(group: string, resource: string): string {
  return group === '' ? `count/${resource}` : `count/${resource}.${group}`;
}

const COMPUTE = new Set([
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
  'ephemeral-storage',
  'requests.ephemeral-storage',
  'limits.ephemeral-storage',
]);

/** The quota resource names an object of this resource can be charged under. */
export function matchingResourceNames(group: string, resource: string, names: string[]): string[] {
  const key = `${group}/${resource}`;
  return names.filter((n) => {
    if (n === countName(group, resource) || n === LEGACY_COUNTS[key]) return true;
    if (key === '/pods') return COMPUTE.has(n) || n.startsWith('requests.hugepages-');
    if (key === '/services') return n === 'services.loadbalancers' || n === 'services.nodeports';
    if (key === '/persistentvolumeclaims') return n === 'requests.storage';
    return false;
  });
}

function add(into: Record<string, Quantity>, name: string, q: Quantity): void {
  into[name] = (into[name] ?? Quantity.zero()).add(q);
}

function computeUsage(requests: ResourceList, limits: ResourceList): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (requests[r] !== undefined) {
      add(out, r, Quantity.parse(requests[r]));
      add(out, `requests.${r}`, Quantity.parse(requests[r]));
    }
    if (limits[r] !== undefined) add(out, `limits.${r}`, Quantity.parse(limits[r]));
  }
  return out;
}

/** Whether a pod still counts (terminal pods do not). */
export function podCounts(pod: ApiObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** The full usage of one object (count names included). */
export function usageOf(group: string, resource: string, obj: ApiObject): ResourceList {
  const out: Record<string, Quantity> = {};
  const one = Quantity.fromInt(1);
  const key = `${group}/${resource}`;
  if (key === '/pods' && !podCounts(obj)) return {};
  add(out, countName(group, resource), one);
  const legacy = LEGACY_COUNTS[key];
  if (legacy) add(out, legacy, one);
  if (key === '/pods') {
    const spec = (obj.spec ?? {}) as PodSpecLike;
    const requests = podResources(spec, 'requests');
    const limits = podResources(spec, 'limits');
    for (const [k, v] of Object.entries(spec.overhead ?? {})) {
      if (requests[k] !== undefined)
        requests[k] = Quantity.parse(requests[k]).add(Quantity.parse(v)).toString();
      if (limits[k] !== undefined)
        limits[k] = Quantity.parse(limits[k]).add(Quantity.parse(v)).toString();
    }
    for (const [k, v] of Object.entries(computeUsage(requests, limits))) add(out, k, v);
  } else if (key === '/services') {
    const spec = (obj.spec ?? {}) as { type?: string; ports?: { nodePort?: number }[] };
    if (spec.type === 'LoadBalancer') add(out, 'services.loadbalancers', one);
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      add(out, 'services.nodeports', Quantity.fromInt((spec.ports ?? []).length));
    }
  } else if (key === '/persistentvolumeclaims') {
    const storage = (obj.spec as { resources?: { requests?: ResourceList } } | undefined)?.resources
      ?.requests?.storage;
    if (storage) add(out, 'requests.storage', Quantity.parse(storage));
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toString()]));
}

/** The compute names every container must set when a quota limits them (pod Constraints). */
export function missingComputeConstraints(spec: PodSpecLike, hard: string[]): string | undefined {
  const required = hard.filter((n) =>
    ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'].includes(n),
  );
  if (required.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  const visit = (c: ContainerLike): void => {
    const usage = computeUsage(c.resources?.requests ?? {}, c.resources?.limits ?? {});
    for (const r of required) {
      if (usage[r] === undefined) {
        const set = missing.get(r) ?? new Set<string>();
        set.add(c.name);
        missing.set(r, set);
      }
    }
  };
  for (const c of spec.containers ?? []) visit(c);
  for (const c of spec.initContainers ?? []) visit(c);
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()]
    .sort()
    .map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

export interface QuotaSpec {
  hard?: ResourceList;
  scopes?: string[];
  scopeSelector?: unknown;
}

function isBestEffort(spec: PodSpecLike): boolean {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].every((c) => {
    const r = c.resources ?? {};
    return (
      Object.keys(r.requests ?? {}).every((k) => k !== 'cpu' && k !== 'memory') &&
      Object.keys(r.limits ?? {}).every((k) => k !== 'cpu' && k !== 'memory')
    );
  });
}

/** Whether the quota's scopes select the object (unsupported scopes select nothing). */
export function scopesMatch(
  quota: QuotaSpec,
  group: string,
  resource: string,
  obj: ApiObject,
): boolean {
  const scopes = quota.scopes ?? [];
  if (quota.scopeSelector) return false;
  if (scopes.length === 0) return true;
  if (group !== '' || resource !== 'pods') return false;
  const spec = (obj.spec ?? {}) as PodSpecLike & { activeDeadlineSeconds?: number };
  return scopes.every((s) => {
    switch (s) {
      case 'Terminating':
        return spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds >= 0;
      case 'NotTerminating':
        return spec.activeDeadlineSeconds === undefined;
      case 'BestEffort':
        return isBestEffort(spec);
      case 'NotBestEffort':
        return !isBestEffort(spec);
      default:
        return false;
    }
  });
}

export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = out[k] !== undefined ? Quantity.parse(out[k]).add(Quantity.parse(v)).toString() : v;
  }
  return out;
}

export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const keep = new Set(names);
  return Object.fromEntries(Object.entries(list).filter(([k]) => keep.has(k)));
}

/** The names where `a` exceeds `b` (names only in one list are ignored). */
export function exceeded(a: ResourceList, b: ResourceList): string[] {
  return Object.keys(a)
    .filter((k) => b[k] !== undefined && Quantity.parse(a[k]!).cmp(Quantity.parse(b[k])) > 0)
    .sort();
}

/** `cpu=1,pods=2`, as upstream's prettyPrint. */
export function prettyPrint(list: ResourceList): string {
  return Object.keys(list)
    .sort()
    .map((k) => `${k}=${Quantity.parse(list[k]!).toString()}`)
    .join(',');
}

export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every(
    (k) => b[k] !== undefined && Quantity.parse(a[k]!).cmp(Quantity.parse(b[k])) === 0,
  );
}
