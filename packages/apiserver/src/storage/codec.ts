/**
 * How objects are stored: JSON bytes with `apiVersion` and `kind`, without `resourceVersion`
 * (APIObjectVersioner.PrepareObjectForStorage clears it: the store revision is the version).
 * Reading sets `metadata.resourceVersion` from the etcd `mod_revision`.
 *
 * Upstream stores built-in kinds as protobuf and custom resources as JSON; kubets stores JSON
 * for everything (readable with `etcdctl get`), a decision recorded in docs/apiserver.md.
 */
import type { KubeObject } from '@kubets/apimachinery';

/** Any API object as JSON: typed metadata plus arbitrary members. */
export type ApiObject = KubeObject & { [key: string]: unknown };

export class StorageDecodeError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`cannot decode object stored at ${key}: ${reason}`);
    this.name = 'StorageDecodeError';
  }
}

/** The bytes stored for `obj` (resourceVersion and selfLink removed, as upstream does). */
export function encodeObject(obj: ApiObject): Buffer {
  const meta = obj.metadata;
  if (meta && (meta.resourceVersion !== undefined || meta.selfLink !== undefined)) {
    const { resourceVersion: _rv, selfLink: _sl, ...rest } = meta;
    return Buffer.from(JSON.stringify({ ...obj, metadata: rest }));
  }
  return Buffer.from(JSON.stringify(obj));
}

/** Decodes stored bytes and stamps `resourceVersion` with the revision. */
export function decodeObject(key: string, value: Buffer, revision: bigint | string): ApiObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new StorageDecodeError(key, (err as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StorageDecodeError(key, 'not a JSON object');
  }
  const obj = parsed as ApiObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: revision.toString() };
  return obj;
}
