/** Finalizer bookkeeping (controllerutil.AddFinalizer / RemoveFinalizer / ContainsFinalizer). */
import type { KubeObject } from '../meta/types.js';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return (obj.metadata?.finalizers ?? []).includes(finalizer);
}

/** Appends the finalizer if absent. Returns true if the object changed. */
export function addFinalizer(obj: KubeObject, finalizer: string): boolean {
  if (hasFinalizer(obj, finalizer)) return false;
  const meta = (obj.metadata ??= {});
  meta.finalizers = [...(meta.finalizers ?? []), finalizer];
  return true;
}

/** Removes every occurrence of the finalizer. Returns true if the object changed. */
export function removeFinalizer(obj: KubeObject, finalizer: string): boolean {
  const list = obj.metadata?.finalizers ?? [];
  const kept = list.filter((f) => f !== finalizer);
  if (kept.length === list.length) return false;
  if (kept.length === 0) delete obj.metadata!.finalizers;
  else obj.metadata!.finalizers = kept;
  return true;
}
