/**
 * Small object helpers shared by the registry: version conversion (kubets converts between
 * versions of a kind by relabelling `apiVersion`, the "None" conversion CRDs use; built-in kinds
 * are served in one version each), Status objects for successful deletes, and JSON-path access
 * for the scale subresource.
 */
import {
  deepCopyJson,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type Status,
} from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';

/** A copy of `obj` labelled with `apiVersion` and `kind`. */
export function asVersion(obj: ApiObject, apiVersion: string, kind: string): ApiObject {
  const out = deepCopyJson(obj);
  // Keep apiVersion and kind first, as upstream serializes them.
  const { apiVersion: _a, kind: _k, ...rest } = out;
  return { apiVersion, kind, ...rest };
}

/** The Status a DELETE answers with when the kind does not return the deleted object. */
export function deleteSuccessStatus(group: string, resource: string, obj: ApiObject): Status {
  const details: Status['details'] = { name: obj.metadata?.name ?? '' };
  if (group) details.group = group;
  details.kind = resource;
  if (obj.metadata?.uid) details.uid = obj.metadata.uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** Splits `.spec.replicas` into its members; throws on anything but a simple dotted path. */
export function parseSimplePath(path: string): string[] {
  if (!/^(\.[A-Za-z0-9_-]+)+$/.test(path))
    throw new Error(`unsupported JSON path ${JSON.stringify(path)}`);
  return path.slice(1).split('.');
}

export function getPath(obj: unknown, path: string): JsonValue | undefined {
  let cur: unknown = obj;
  for (const k of parseSimplePath(path)) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur as JsonValue | undefined;
}

/** Sets a value at a dotted path, creating objects on the way. Mutates `obj`. */
export function setPath(obj: ApiObject, path: string, value: JsonValue): void {
  const keys = parseSimplePath(path);
  let cur = obj as unknown as JsonObject;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (!isJsonObject(next)) cur[k] = {};
    cur = cur[k] as JsonObject;
  }
  cur[keys[keys.length - 1]!] = value;
}
