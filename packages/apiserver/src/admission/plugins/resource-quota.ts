/**
 * ResourceQuota: a create is admitted only while every matching quota in its namespace stays
 * within `status.hard`, and the usage is charged to `status.used` in the same step with a
 * compare-and-swap on the quota's resourceVersion (etcd mod revision), retried on conflicts
 * against the fresh quota, so concurrent creates never exceed a quota. As upstream, a quota
 * only constrains once its status is known (the controller below fills `status.hard`/`used`);
 * dry runs are checked but not charged; updates are not re-charged.
 */
import { deepCopyJson } from '@kubets/apimachinery';
import type { ApiObject } from '../../storage/codec.js';
import type { ResourceStore } from '../../storage/store.js';
import { forbidden } from '../errors.js';
import {
  addLists,
  exceeded,
  mask,
  matchingResourceNames,
  missingComputeConstraints,
  prettyPrint,
  scopesMatch,
  usageOf,
  type ResourceList,
} from '../quota/usage.js';
import type { AdmissionAttributes, Operation, ValidatingPlugin } from '../types.js';

interface QuotaStatus {
  hard?: ResourceList;
  used?: ResourceList;
}

function statusOf(q: ApiObject): QuotaStatus {
  return q.status ?? {};
}

/** The charge a create makes on one quota, or undefined when the quota does not apply. */
export function chargeFor(
  quota: ApiObject,
  a: Pick<AdmissionAttributes, 'resource' | 'object'>,
): { names: string[]; delta: ResourceList } | undefined {
  const status = statusOf(quota);
  const hardNames = Object.keys(status.hard ?? {});
  const names = matchingResourceNames(a.resource.group, a.resource.resource, hardNames);
  if (names.length === 0 || !a.object) return undefined;
  if (!scopesMatch(quota.spec ?? {}, a.resource.group, a.resource.resource, a.object))
    return undefined;
  return { names, delta: mask(usageOf(a.resource.group, a.resource.resource, a.object), names) };
}

/** Checks one quota; returns the quota with the charge applied, or throws upstream's 403. */
export function charge(quota: ApiObject, a: AdmissionAttributes): ApiObject | undefined {
  const c = chargeFor(quota, a);
  if (!c) return undefined;
  const name = quota.metadata?.name ?? '';
  const status = statusOf(quota);
  const used = status.used ?? {};
  const hard = status.hard ?? {};
  const unknown = c.names.filter((n) => used[n] === undefined);
  if (unknown.length > 0) {
    throw forbidden(a, `status unknown for quota: ${name}, resources: ${unknown.sort().join(',')}`);
  }
  if (a.resource.group === '' && a.resource.resource === 'pods') {
    const missing = missingComputeConstraints(a.object!.spec ?? {}, c.names);
    if (missing) throw forbidden(a, `failed quota: ${name}: ${missing}`);
  }
  const next = addLists(used, c.delta);
  const over = exceeded(mask(next, Object.keys(c.delta)), hard);
  if (over.length > 0) {
    throw forbidden(
      a,
      `exceeded quota: ${name}, requested: ${prettyPrint(mask(c.delta, over))}, used: ${prettyPrint(
        mask(used, over),
      )}, limited: ${prettyPrint(mask(hard, over))}`,
    );
  }
  if (Object.keys(c.delta).length === 0) return undefined;
  const updated = deepCopyJson(quota);
  updated.status = { ...status, used: next };
  return updated;
}

export class ResourceQuotaPlugin implements ValidatingPlugin {
  readonly name = 'ResourceQuota';

  constructor(
    private readonly quotas: () => ResourceStore | undefined,
    /**
     * The namespace's quotas to check against (default: listed from `quotas()`); the charge
     * itself is always a compare-and-swap on the stored quota.
     */
    private readonly listQuotas?: (namespace: string) => Promise<ApiObject[]>,
  ) {}

  handles(op: Operation): boolean {
    return op === 'CREATE';
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const store = this.quotas();
    if (!store || !a.namespace || a.subresource !== '' || !a.object) return;
    const all = this.listQuotas
      ? await this.listQuotas(a.namespace)
      : (await store.list(a.namespace, {})).items;
    // Check everything first so a refusal charges nothing.
    const applicable = all.filter((q) => charge(q, a) !== undefined);
    if (a.dryRun || applicable.length === 0) return;
    const charged: string[] = [];
    try {
      for (const q of applicable) {
        const name = q.metadata!.name!;
        await store.guaranteedUpdate(a.namespace, name, (current) => {
          if (!current) throw forbidden(a, `quota ${name} is gone`);
          return charge(current, a) ?? current;
        });
        charged.push(name);
      }
    } catch (err) {
      // Give back what was charged before the refusal (best effort; the controller corrects).
      for (const name of charged) {
        await store
          .guaranteedUpdate(a.namespace, name, (current) => refund(current!, a))
          .catch(() => undefined);
      }
      throw err;
    }
  }
}

function refund(quota: ApiObject, a: AdmissionAttributes): ApiObject {
  const c = chargeFor(quota, a);
  if (!c) return quota;
  const used = { ...(statusOf(quota).used ?? {}) };
  const negative = Object.fromEntries(
    Object.entries(c.delta).map(([k, v]) => [k, v.startsWith('-') ? v.slice(1) : `-${v}`]),
  );
  const next = deepCopyJson(quota);
  next.status = { ...statusOf(quota), used: addLists(used, negative) };
  return next;
}
