/**
 * What a DELETE does to an object, decided without I/O (upstream's rest.BeforeDelete,
 * deletionFinalizersForGarbageCollection and the graceful-deletion paths of the generic store):
 *
 * - an object with finalizers — including the `orphan` / `foregroundDeletion` finalizers a
 *   `propagationPolicy` asks for — is only marked: `deletionTimestamp` set, kept in storage;
 * - a graceful kind (pods) with a grace period > 0 is marked with `deletionTimestamp = now +
 *   grace` and `deletionGracePeriodSeconds`; the kubelet deletes it later with grace 0;
 * - an object already terminating gracefully may only get a shorter grace period;
 * - otherwise the object is removed now.
 */
import {
  deepCopyJson,
  FINALIZER_DELETE_DEPENDENTS,
  FINALIZER_ORPHAN_DEPENDENTS,
  formatTime,
  parseTime,
  type DeleteOptions,
} from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';

/** A graceful kind's grace period for this delete (pods: spec/status dependent); 0 = immediate. */
export type GracePeriodFn = (obj: ApiObject, requested: number | undefined) => number;

export type DeletionDecision =
  /** Remove from storage now. */
  | { kind: 'delete' }
  /** Store this object (now terminating); it is not deleted yet. */
  | { kind: 'update'; object: ApiObject }
  /** Already terminating; nothing changes. */
  | { kind: 'pending'; object: ApiObject };

type GCPolicy = Pick<DeleteOptions, 'propagationPolicy' | 'orphanDependents'>;

function shouldOrphan(finalizers: readonly string[], o: GCPolicy): boolean {
  if (o.orphanDependents !== undefined) return o.orphanDependents;
  if (o.propagationPolicy === 'Orphan') return true;
  if (o.propagationPolicy === 'Background' || o.propagationPolicy === 'Foreground') return false;
  if (finalizers.includes(FINALIZER_ORPHAN_DEPENDENTS)) return true;
  return false;
}

function shouldDeleteInForeground(finalizers: readonly string[], o: GCPolicy): boolean {
  if (o.orphanDependents !== undefined) return false;
  if (o.propagationPolicy === 'Foreground') return true;
  if (o.propagationPolicy === 'Background' || o.propagationPolicy === 'Orphan') return false;
  for (const f of finalizers) {
    if (f === FINALIZER_DELETE_DEPENDENTS) return true;
    if (f === FINALIZER_ORPHAN_DEPENDENTS) return false;
  }
  return false;
}

/**
 * The finalizers after applying the delete's propagation policy (the garbage collector acts on
 * `orphan` and `foregroundDeletion`); `changed` when they differ as a set.
 */
export function finalizersForGC(
  finalizers: readonly string[],
  options: GCPolicy,
): { changed: boolean; finalizers: string[] } {
  const orphan = shouldOrphan(finalizers, options);
  const foreground = shouldDeleteInForeground(finalizers, options);
  const next = finalizers.filter(
    (f) => f !== FINALIZER_ORPHAN_DEPENDENTS && f !== FINALIZER_DELETE_DEPENDENTS,
  );
  if (orphan) next.push(FINALIZER_ORPHAN_DEPENDENTS);
  if (foreground) next.push(FINALIZER_DELETE_DEPENDENTS);
  const a = new Set(finalizers);
  const b = new Set(next);
  const changed = a.size !== b.size || [...a].some((f) => !b.has(f));
  return { changed, finalizers: changed ? next : [...finalizers] };
}

function addSeconds(t: Date, seconds: number): Date {
  return new Date(t.getTime() + seconds * 1000);
}

export function decideDeletion(
  current: ApiObject,
  options: DeleteOptions,
  now: Date,
  gracePeriod?: GracePeriodFn,
): DeletionDecision {
  const obj = deepCopyJson(current);
  const meta = (obj.metadata ??= {});
  // Negative grace periods count as 1 s, as upstream.
  const requested =
    options.gracePeriodSeconds !== undefined && options.gracePeriodSeconds < 0
      ? 1
      : options.gracePeriodSeconds;

  if (meta.deletionTimestamp) {
    const currentGrace = meta.deletionGracePeriodSeconds ?? 0;
    if (gracePeriod && currentGrace > 0) {
      // Terminating gracefully: only a shorter grace period changes anything.
      if (requested === undefined || requested >= currentGrace)
        return { kind: 'pending', object: current };
      const started = addSeconds(new Date(parseTime(meta.deletionTimestamp)), -currentGrace);
      meta.deletionTimestamp = formatTime(addSeconds(started, requested));
      meta.deletionGracePeriodSeconds = requested;
      if (requested === 0 && (meta.finalizers ?? []).length === 0) return { kind: 'delete' };
      return { kind: 'update', object: obj };
    }
    const gc = finalizersForGC(meta.finalizers ?? [], options);
    if (gc.finalizers.length > 0) {
      if (!gc.changed) return { kind: 'pending', object: current };
      meta.finalizers = gc.finalizers;
      return { kind: 'update', object: obj };
    }
    return { kind: 'delete' };
  }

  let graceful = false;
  if (gracePeriod) {
    const period = gracePeriod(obj, requested);
    if (period > 0) {
      graceful = true;
      meta.deletionTimestamp = formatTime(addSeconds(now, period));
      meta.deletionGracePeriodSeconds = period;
      if ((meta.generation ?? 0) > 0) meta.generation = meta.generation! + 1;
    }
  }
  const gc = finalizersForGC(meta.finalizers ?? [], options);
  if (gc.changed) meta.finalizers = gc.finalizers;
  if (gc.finalizers.length === 0 && meta.finalizers !== undefined && meta.finalizers.length === 0) {
    delete meta.finalizers;
  }
  if (gc.finalizers.length > 0) {
    if (!graceful) {
      meta.deletionTimestamp = formatTime(now);
      meta.deletionGracePeriodSeconds = 0;
    }
    return { kind: 'update', object: obj };
  }
  if (graceful) return { kind: 'update', object: obj };
  return { kind: 'delete' };
}

/**
 * After an update: a terminating object whose last finalizer is gone (and whose grace period
 * ran out) is deleted (upstream's ShouldDeleteDuringUpdate).
 */
export function shouldDeleteDuringUpdate(updated: ApiObject, old: ApiObject): boolean {
  return (
    !!updated.metadata?.deletionTimestamp &&
    (updated.metadata.finalizers ?? []).length === 0 &&
    old.metadata?.deletionGracePeriodSeconds !== undefined &&
    old.metadata.deletionGracePeriodSeconds === 0
  );
}

/** Pods' CheckGracefulDelete: the requested period, else spec.terminationGracePeriodSeconds; 0 when unscheduled or finished. */
export const podGracePeriod: GracePeriodFn = (obj, requested) => {
  const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const status = (obj.status ?? {}) as { phase?: string };
  let period = requested ?? spec.terminationGracePeriodSeconds ?? 0;
  if (!spec.nodeName) period = 0;
  if (status.phase === 'Failed' || status.phase === 'Succeeded') period = 0;
  return period;
};
