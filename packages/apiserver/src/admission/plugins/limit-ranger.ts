/**
 * LimitRanger: the LimitRange objects of a pod's namespace give containers their default limits
 * and requests (annotated `kubernetes.io/limit-ranger`), then bound containers and pods by min,
 * max and maxLimitRequestRatio, with upstream's messages. Pods only (PersistentVolumeClaim
 * limits are not enforced by kubets).
 */
import { Quantity } from '@kubets/apimachinery';
import type { ApiObject } from '../../storage/codec.js';
import { aggregate, forbidden } from '../errors.js';
import { isPodCreate, podSpec, type ContainerLike, type PodSpecLike } from '../pod-spec.js';
import {
  requestMemo,
  type AdmissionAttributes,
  type MutatingPlugin,
  type Operation,
  type ValidatingPlugin,
} from '../types.js';

type ResourceList = Record<string, string>;

export interface LimitRangeItem {
  type?: string;
  max?: ResourceList;
  min?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

function itemsOf(lr: ApiObject): LimitRangeItem[] {
  return ((lr.spec as { limits?: LimitRangeItem[] } | undefined)?.limits ?? []).map(
    withItemDefaults,
  );
}

/** SetDefaults_LimitRangeItem: default <- max, defaultRequest <- default, then min. */
export function withItemDefaults(item: LimitRangeItem): LimitRangeItem {
  if (item.type !== 'Container') return item;
  const def: ResourceList = { ...(item.default ?? {}) };
  const req: ResourceList = { ...(item.defaultRequest ?? {}) };
  for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
  for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in req)) req[k] = v;
  return { ...item, default: def, defaultRequest: req };
}

/** Applies container defaults; returns upstream's annotation parts for what was set. */
export function defaultContainers(spec: PodSpecLike, items: LimitRangeItem[]): string[] {
  const limits: ResourceList = {};
  const requests: ResourceList = {};
  for (const item of items) {
    if (item.type !== 'Container') continue;
    Object.assign(limits, item.default ?? {});
    Object.assign(requests, item.defaultRequest ?? {});
  }
  const notes: string[] = [];
  const merge = (c: ContainerLike, prefix: string): void => {
    const r = (c.resources ??= {});
    const setL: string[] = [];
    const setR: string[] = [];
    for (const [k, v] of Object.entries(limits)) {
      if (r.limits?.[k] === undefined) {
        r.limits = { ...(r.limits ?? {}), [k]: v };
        setL.push(k);
      }
    }
    for (const [k, v] of Object.entries(requests)) {
      if (r.requests?.[k] === undefined) {
        r.requests = { ...(r.requests ?? {}), [k]: v };
        setR.push(k);
      }
    }
    if (setR.length) notes.push(`${setR.sort().join(', ')} request for ${prefix} ${c.name}`);
    if (setL.length) notes.push(`${setL.sort().join(', ')} limit for ${prefix} ${c.name}`);
  };
  for (const c of spec.containers ?? []) merge(c, 'container');
  for (const c of spec.initContainers ?? []) merge(c, 'init container');
  return notes;
}

function q(v: string): Quantity {
  return Quantity.parse(v);
}

function minConstraint(
  kind: string,
  name: string,
  min: string,
  req: ResourceList,
  lim: ResourceList,
): string | undefined {
  const r = req[name];
  const l = lim[name];
  const m = q(min);
  if (r === undefined)
    return `minimum ${name} usage per ${kind} is ${m.toString()}.  No request is specified`;
  if (q(r).cmp(m) < 0)
    return `minimum ${name} usage per ${kind} is ${m.toString()}, but request is ${q(r).toString()}`;
  if (l !== undefined && q(l).cmp(m) < 0)
    return `minimum ${name} usage per ${kind} is ${m.toString()}, but limit is ${q(l).toString()}`;
  return undefined;
}

function maxConstraint(
  kind: string,
  name: string,
  max: string,
  req: ResourceList,
  lim: ResourceList,
): string | undefined {
  const r = req[name];
  const l = lim[name];
  const m = q(max);
  if (l === undefined)
    return `maximum ${name} usage per ${kind} is ${m.toString()}.  No limit is specified`;
  if (q(l).cmp(m) > 0)
    return `maximum ${name} usage per ${kind} is ${m.toString()}, but limit is ${q(l).toString()}`;
  if (r !== undefined && q(r).cmp(m) > 0)
    return `maximum ${name} usage per ${kind} is ${m.toString()}, but request is ${q(r).toString()}`;
  return undefined;
}

function ratioConstraint(
  kind: string,
  name: string,
  ratio: string,
  req: ResourceList,
  lim: ResourceList,
): string | undefined {
  const r = req[name] !== undefined ? q(req[name]) : undefined;
  const l = lim[name] !== undefined ? q(lim[name]) : undefined;
  const e = q(ratio);
  if (!r || r.isZero())
    return `${name} max limit to request ratio per ${kind} is ${e.toString()}, but no request is specified or request is 0`;
  if (!l || l.isZero())
    return `${name} max limit to request ratio per ${kind} is ${e.toString()}, but no limit is specified or limit is 0`;
  const observed = Number(l.milliValue()) / Number(r.milliValue());
  if (observed * 1000 > Number(e.milliValue())) {
    return `${name} max limit to request ratio per ${kind} is ${e.toString()}, but provided ratio is ${observed.toFixed(6)}`;
  }
  return undefined;
}

function check(
  kind: string,
  item: LimitRangeItem,
  req: ResourceList,
  lim: ResourceList,
  errs: string[],
): void {
  for (const [name, v] of Object.entries(item.min ?? {})) {
    const e = minConstraint(kind, name, v, req, lim);
    if (e) errs.push(e);
  }
  for (const [name, v] of Object.entries(item.max ?? {})) {
    const e = maxConstraint(kind, name, v, req, lim);
    if (e) errs.push(e);
  }
  for (const [name, v] of Object.entries(item.maxLimitRequestRatio ?? {})) {
    const e = ratioConstraint(kind, name, v, req, lim);
    if (e) errs.push(e);
  }
}

/** Sum over containers, max with each init container (the pod's effective requests/limits). */
export function podResources(spec: PodSpecLike, which: 'requests' | 'limits'): ResourceList {
  const sum = new Map<string, Quantity>();
  for (const c of spec.containers ?? []) {
    for (const [k, v] of Object.entries(c.resources?.[which] ?? {})) {
      sum.set(k, (sum.get(k) ?? Quantity.zero()).add(q(v)));
    }
  }
  for (const c of spec.initContainers ?? []) {
    for (const [k, v] of Object.entries(c.resources?.[which] ?? {})) {
      const cur = sum.get(k);
      if (!cur || q(v).cmp(cur) > 0) sum.set(k, q(v));
    }
  }
  return Object.fromEntries([...sum].map(([k, v]) => [k, v.toString()]));
}

/** The violations of one LimitRange by a pod (empty when it complies). */
export function podViolations(spec: PodSpecLike, items: LimitRangeItem[]): string[] {
  const errs: string[] = [];
  for (const item of items) {
    if (item.type === 'Container') {
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        check('Container', item, c.resources?.requests ?? {}, c.resources?.limits ?? {}, errs);
      }
    } else if (item.type === 'Pod') {
      check('Pod', item, podResources(spec, 'requests'), podResources(spec, 'limits'), errs);
    }
  }
  return errs;
}

export type LimitRangeLister = (namespace: string) => Promise<ApiObject[]>;

export class LimitRanger implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'LimitRanger';

  constructor(private readonly list: LimitRangeLister) {}

  handles(op: Operation): boolean {
    return op === 'CREATE';
  }

  private ranges(a: AdmissionAttributes): Promise<ApiObject[]> {
    return requestMemo(a, `limitranges/${a.namespace}`, () => this.list(a.namespace));
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!isPodCreate(a) || !a.object) return;
    const ranges = await this.ranges(a);
    const notes: string[] = [];
    for (const lr of ranges) notes.push(...defaultContainers(podSpec(a.object), itemsOf(lr)));
    if (notes.length > 0) {
      const meta = (a.object.metadata ??= {});
      meta.annotations = {
        ...(meta.annotations ?? {}),
        [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}`,
      };
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!isPodCreate(a) || !a.object) return;
    for (const lr of await this.ranges(a)) {
      const errs = podViolations(podSpec(a.object), itemsOf(lr));
      if (errs.length > 0) throw forbidden(a, aggregate(errs));
    }
  }
}
