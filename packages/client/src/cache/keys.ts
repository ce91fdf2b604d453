/**
 * Object keys for caches (`namespace/name`, or `name` for cluster-scoped objects) and the
 * tombstone a delete carries when the final state of the object is not known.
 */
import type { KubeObject } from '@kubets/apimachinery';

/**
 * cache.DeletedFinalStateUnknown: delivered to delete handlers when an object vanished while the
 * watch was disconnected, so its last state was never seen. `obj` is the last state the cache
 * had, which may be stale (or undefined if the cache never had it).
 */
export class DeletedFinalStateUnknown<T> {
  constructor(
    readonly key: string,
    readonly obj: T | undefined,
  ) {}
}

export function isDeletedFinalStateUnknown<T>(v: unknown): v is DeletedFinalStateUnknown<T> {
  return v instanceof DeletedFinalStateUnknown;
}

/** A key function; it must accept tombstones (use {@link deletionHandlingKeyFunc} to add that). */
export type KeyFunc<T> = (obj: T | DeletedFinalStateUnknown<T>) => string;

/** The error for an object a key cannot be computed for. */
export class KeyError extends Error {
  constructor(
    readonly object: unknown,
    message: string,
  ) {
    super(`couldn't create key for object: ${message}`);
    this.name = 'KeyError';
  }
}

/** cache.MetaNamespaceKeyFunc: `namespace/name`, or `name` when there is no namespace. */
export function metaNamespaceKeyFunc(obj: KubeObject): string {
  const meta = obj.metadata;
  const name = meta?.name;
  if (!name) throw new KeyError(obj, 'object has no metadata.name');
  const ns = meta.namespace;
  return ns ? `${ns}/${name}` : name;
}

/** cache.DeletionHandlingMetaNamespaceKeyFunc: tombstones give their recorded key. */
export function deletionHandlingKeyFunc<T extends KubeObject>(
  keyFunc: (obj: T) => string = metaNamespaceKeyFunc,
): KeyFunc<T> {
  return (obj) => (obj instanceof DeletedFinalStateUnknown ? obj.key : keyFunc(obj));
}

/** The default key function of informers and stores. */
export const defaultKeyFunc: KeyFunc<KubeObject> = deletionHandlingKeyFunc(metaNamespaceKeyFunc);

/** cache.SplitMetaNamespaceKey: `ns/name` -> { namespace, name }; `name` -> { '', name }. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 1 && parts[0] !== '') return { namespace: '', name: parts[0]! };
  if (parts.length === 2 && parts[1] !== '') return { namespace: parts[0]!, name: parts[1]! };
  throw new KeyError(key, `unexpected key format: ${JSON.stringify(key)}`);
}
