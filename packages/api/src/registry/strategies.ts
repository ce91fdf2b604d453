/**
 * Strategy building blocks shared by every resource (upstream's rest.BeforeCreate/BeforeUpdate
 * plus the per-kind strategies): status reset and preservation, generation bumps on spec
 * changes, status-subresource isolation, and the pod-specific QoS computation.
 */
import {
  Quantity,
  deepCopyJson,
  jsonEqual,
  type FieldError,
  type KubeObject,
  type ObjectMeta,
} from '@kubets/apimachinery';
import type { Container, Pod, PodQOSClass } from '../types/core-v1.js';
import type { ResourceStrategy, StatusStrategy, StrategyContext } from './types.js';

type Obj = Record<string, unknown> & { status?: unknown };

function meta(obj: KubeObject): ObjectMeta {
  return (obj.metadata ??= {});
}

/**
 * The generic part of BeforeUpdate: clients cannot change generation, uid, creationTimestamp,
 * deletionTimestamp or (remove) deletionGracePeriodSeconds through an update.
 */
export function preserveSystemMetaOnUpdate(obj: KubeObject, old: KubeObject): void {
  const m = meta(obj);
  const o = old.metadata ?? {};
  if (o.generation !== undefined) m.generation = o.generation;
  else delete m.generation;
  if (!m.uid && o.uid) m.uid = o.uid;
  if (o.creationTimestamp) m.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined && m.deletionGracePeriodSeconds === undefined) {
    m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  }
}

/** metav1.ResetObjectMetaForStatus: a status write may not touch these metadata fields. */
export function resetObjectMetaForStatus(obj: KubeObject, old: KubeObject): void {
  const m = meta(obj);
  const o = old.metadata ?? {};
  const copy = <K extends keyof ObjectMeta>(k: K): void => {
    if (o[k] === undefined) delete m[k];
    else m[k] = deepCopyJson(o[k]);
  };
  copy('deletionTimestamp');
  copy('generation');
  copy('selfLink');
  copy('labels');
  copy('annotations');
  copy('finalizers');
  copy('ownerReferences');
}

export interface GenericStrategyOptions {
  default: (obj: KubeObject) => void;
  validate: (obj: KubeObject, ctx: StrategyContext) => FieldError[];
  validateUpdate: (obj: KubeObject, old: KubeObject, ctx: StrategyContext) => FieldError[];
  /** The object has a status the main resource may not write (reset on create, kept on update). */
  hasStatus?: boolean;
  /** Initial status on create (default `{}` when hasStatus). */
  initialStatus?(obj: KubeObject): unknown;
  /** metadata.generation starts at 1 and is bumped when these top-level fields change. */
  generationFields?: readonly string[];
  /** Annotations changes bump the generation too (Deployment). */
  annotationsBumpGeneration?: boolean;
  extraPrepareForCreate?(obj: KubeObject): void;
  extraPrepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  warnings?: (obj: KubeObject, old?: KubeObject) => string[];
  allowCreateOnUpdate?: boolean;
  allowUnconditionalUpdate?: boolean;
}

/** A strategy from the common options; per-kind quirks go in the extra hooks. */
export function genericStrategy(o: GenericStrategyOptions): ResourceStrategy {
  return {
    default: o.default,
    prepareForCreate(obj) {
      const x = obj as unknown as Obj;
      if (o.hasStatus) x.status = o.initialStatus?.(obj) ?? {};
      if (o.generationFields) meta(obj).generation = 1;
      o.extraPrepareForCreate?.(obj);
    },
    prepareForUpdate(obj, old) {
      preserveSystemMetaOnUpdate(obj, old);
      const x = obj as unknown as Obj;
      const y = old as unknown as Obj;
      if (o.hasStatus) {
        if (y.status === undefined) delete x.status;
        else x.status = deepCopyJson(y.status);
      }
      if (o.generationFields) {
        const changed =
          o.generationFields.some((f) => !jsonEqual(x[f] ?? null, y[f] ?? null)) ||
          (o.annotationsBumpGeneration === true &&
            !jsonEqual(obj.metadata?.annotations ?? {}, old.metadata?.annotations ?? {}));
        const base = old.metadata?.generation ?? 0;
        meta(obj).generation = changed ? base + 1 : base;
      }
      o.extraPrepareForUpdate?.(obj, old);
    },
    validate: o.validate,
    validateUpdate: o.validateUpdate,
    ...(o.warnings ? { warnings: o.warnings } : {}),
    allowCreateOnUpdate: o.allowCreateOnUpdate ?? false,
    allowUnconditionalUpdate: o.allowUnconditionalUpdate ?? true,
  };
}

/**
 * The status subresource: everything but status comes from the stored object (spec and the
 * metadata ResetObjectMetaForStatus protects), and only status is validated.
 */
export function genericStatusStrategy(
  validateUpdate: (obj: KubeObject, old: KubeObject, ctx: StrategyContext) => FieldError[],
  extra?: (obj: KubeObject, old: KubeObject) => void,
): StatusStrategy {
  return {
    prepareForUpdate(obj, old) {
      preserveSystemMetaOnUpdate(obj, old);
      const x = obj as unknown as Obj;
      const y = old as unknown as Obj;
      for (const k of Object.keys(x)) {
        if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'status') delete x[k];
      }
      for (const k of Object.keys(y)) {
        if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'status') {
          x[k] = deepCopyJson(y[k]);
        }
      }
      resetObjectMetaForStatus(obj, old);
      extra?.(obj, old);
    },
    validateUpdate,
  };
}

// ---------------------------------------------------------------------------------------------
// Pod QoS

const QOS_RESOURCES = ['cpu', 'memory'] as const;

function sumInto(
  target: Map<string, Quantity>,
  list: Record<string, string> | undefined,
): Set<string> {
  const found = new Set<string>();
  for (const name of QOS_RESOURCES) {
    const v = list?.[name];
    if (v === undefined) continue;
    let q: Quantity;
    try {
      q = Quantity.parse(v);
    } catch {
      continue;
    }
    if (q.isZero() || q.sign() < 0) continue;
    found.add(name);
    const prev = target.get(name);
    target.set(name, prev ? prev.add(q) : q);
  }
  return found;
}

/** qos.GetPodQOS: BestEffort without cpu/memory requests or limits, Guaranteed when they all match. */
export function computePodQOS(pod: Pod): PodQOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const containers: Container[] = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []),
  ];
  for (const c of containers) {
    sumInto(requests, c.resources?.requests);
    const found = sumInto(limits, c.resources?.limits);
    if (!QOS_RESOURCES.every((r) => found.has(r))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, q] of requests) {
      const l = limits.get(name);
      if (!l || l.cmp(q) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  if (guaranteed && requests.size === limits.size) return 'Guaranteed';
  return 'Burstable';
}

/** Pods created with scheduling gates carry PodScheduled=False/SchedulingGated from the start. */
export function applySchedulingGatedCondition(pod: Pod): void {
  if ((pod.spec?.schedulingGates?.length ?? 0) === 0) return;
  const status = (pod.status ??= {});
  const conditions = (status.conditions ??= []);
  if (conditions.some((c) => c.type === 'PodScheduled')) return;
  conditions.push({
    type: 'PodScheduled',
    status: 'False',
    reason: 'SchedulingGated',
    message: 'Scheduling is blocked due to non-empty scheduling gates',
  });
}
