/**
 * Owner references: who controls an object (metav1.GetControllerOf / NewControllerRef /
 * IsControlledBy) and adding or removing references without duplicates.
 */
import type { KubeObject, OwnerReference } from '../meta/types.js';
import type { GroupVersionKind } from '../schema/group-version.js';
import { groupVersionString } from '../schema/group-version.js';

/** The reference with controller=true, if any. */
export function getControllerOf(obj: KubeObject): OwnerReference | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
}

/** True if `owner` (by UID) is the controller of `obj`. */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = getControllerOf(obj);
  return ref !== undefined && ref.uid === owner.metadata?.uid;
}

/**
 * metav1.NewControllerRef: a controller reference to `owner` that blocks the owner's foreground
 * deletion until this dependent is gone.
 */
export function newControllerRef(owner: KubeObject, gvk: GroupVersionKind): OwnerReference {
  return {
    apiVersion: groupVersionString(gvk),
    kind: gvk.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    blockOwnerDeletion: true,
    controller: true,
  };
}

/** Adds or replaces (by UID) an owner reference. Returns true if the object changed. */
export function setOwnerReference(obj: KubeObject, ref: OwnerReference): boolean {
  const meta = (obj.metadata ??= {});
  const refs = meta.ownerReferences ?? [];
  const i = refs.findIndex((r) => r.uid === ref.uid);
  if (i >= 0) {
    const cur = refs[i]!;
    const same =
      cur.apiVersion === ref.apiVersion &&
      cur.kind === ref.kind &&
      cur.name === ref.name &&
      (cur.controller ?? false) === (ref.controller ?? false) &&
      (cur.blockOwnerDeletion ?? false) === (ref.blockOwnerDeletion ?? false);
    if (same) return false;
    meta.ownerReferences = refs.map((r, j) => (j === i ? { ...ref } : r));
    return true;
  }
  meta.ownerReferences = [...refs, { ...ref }];
  return true;
}

/** Removes the reference with this UID. Returns true if it was there. */
export function removeOwnerReference(obj: KubeObject, uid: string): boolean {
  const refs = obj.metadata?.ownerReferences ?? [];
  const kept = refs.filter((r) => r.uid !== uid);
  if (kept.length === refs.length) return false;
  if (kept.length === 0) delete obj.metadata!.ownerReferences;
  else obj.metadata!.ownerReferences = kept;
  return true;
}
