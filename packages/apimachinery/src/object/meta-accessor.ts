/**
 * meta.Accessor-style access to ObjectMeta of any object, plus the system fields the API server
 * fills on create. Objects are plain JSON; the accessor creates `metadata` on first write.
 */
import type { KubeObject, ObjectMeta } from '../meta/types.js';
import { formatTime } from '../meta/time.js';
import { generateName, type RandomIntn } from './generate-name.js';

/** The object's metadata, or an empty one (not attached) when it has none. */
export function getMeta(obj: KubeObject): ObjectMeta {
  return obj.metadata ?? {};
}

/** The object's metadata, created if missing. */
export function ensureMeta(obj: KubeObject): ObjectMeta {
  obj.metadata ??= {};
  return obj.metadata;
}

export const getName = (obj: KubeObject): string => obj.metadata?.name ?? '';
export const getNamespace = (obj: KubeObject): string => obj.metadata?.namespace ?? '';
export const getUID = (obj: KubeObject): string => obj.metadata?.uid ?? '';
export const getResourceVersion = (obj: KubeObject): string => obj.metadata?.resourceVersion ?? '';
export const getGeneration = (obj: KubeObject): number => obj.metadata?.generation ?? 0;
export const getLabels = (obj: KubeObject): Record<string, string> => obj.metadata?.labels ?? {};
export const getAnnotations = (obj: KubeObject): Record<string, string> =>
  obj.metadata?.annotations ?? {};

export function setResourceVersion(obj: KubeObject, rv: string): void {
  ensureMeta(obj).resourceVersion = rv;
}

/** `namespace/name`, or `name` for cluster-scoped objects (cache.MetaNamespaceKeyFunc). */
export function namespacedKey(obj: KubeObject): string {
  const ns = getNamespace(obj);
  return ns ? `${ns}/${getName(obj)}` : getName(obj);
}

/** Splits a `namespace/name` key (cache.SplitMetaNamespaceKey). */
export function splitNamespacedKey(key: string): { namespace: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 1) return { namespace: '', name: parts[0]! };
  if (parts.length === 2) return { namespace: parts[0]!, name: parts[1]! };
  throw new Error(`unexpected key format: ${JSON.stringify(key)}`);
}

/** True once deletion has started (deletionTimestamp set). */
export function isBeingDeleted(obj: KubeObject): boolean {
  return !!obj.metadata?.deletionTimestamp;
}

export interface CreateSystemFields {
  /** The creation instant. */
  now: Date | number;
  /** A new UID (the caller's generator). */
  uid: string;
  /** For generateName; required only when the object has generateName and no name. */
  randomIntn?: RandomIntn;
}

/**
 * What the API server does to metadata on create (rest.BeforeCreate / FillObjectMetaSystemFields):
 * completes generateName, sets uid and creationTimestamp, clears fields clients may not set
 * (deletionTimestamp, deletionGracePeriodSeconds, resourceVersion is left to storage).
 * Mutates and returns the object.
 */
export function fillObjectMetaSystemFields<T extends KubeObject>(
  obj: T,
  fields: CreateSystemFields,
): T {
  const meta = ensureMeta(obj);
  if (meta.generateName && !meta.name) {
    if (!fields.randomIntn) throw new Error('generateName needs a random source');
    meta.name = generateName(meta.generateName, fields.randomIntn);
  }
  meta.uid = fields.uid;
  meta.creationTimestamp = formatTime(fields.now);
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  return obj;
}
