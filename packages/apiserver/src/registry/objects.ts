/**
 * Small object helpers shared by the registry: version conversion (kubets converts between
 * versions of a kind by relabelling `apiVersion`, the "None" conversion CRDs use; built-in kinds
 * are served in one version each) and Status objects for successful deletes.
 */
import { deepCopyJson, type Status } from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';
import { rememberRelabelled } from '../storage/encoded.js';

/** A copy of `obj` labelled with `apiVersion` and `kind`. */
export function asVersion(obj: ApiObject, apiVersion: string, kind: string): ApiObject {
  return relabel(deepCopyJson(obj), apiVersion, kind);
}

/**
 * `obj` labelled with `apiVersion` and `kind` without copying: it shares every other member with
 * `obj`, so only for objects the caller owns (a body just copied, an object just stored).
 */
export function relabel(obj: ApiObject, apiVersion: string, kind: string): ApiObject {
  // Keep apiVersion and kind first, as upstream serializes them.
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  const out = { apiVersion, kind, ...rest };
  rememberRelabelled(out, obj, apiVersion, kind);
  return out;
}

/** The Status a DELETE answers with when the kind does not return the deleted object. */
export function deleteSuccessStatus(group: string, resource: string, obj: ApiObject): Status {
  const details: Status['details'] = { name: obj.metadata?.name ?? '' };
  if (group) details.group = group;
  details.kind = resource;
  if (obj.metadata?.uid) details.uid = obj.metadata.uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
