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
  // Keep apiVersion and kind first, as upstream serializes them. Members copied in a loop
  // rather than by rest destructuring and spread (two copies, the first through V8's slow
  // runtime path for excluded keys): this runs two or three times per write.
  const out: Record<string, unknown> = { apiVersion, kind };
  const src = obj as Record<string, unknown>;
  for (const k in src) {
    if (k === 'apiVersion' || k === 'kind' || !Object.prototype.hasOwnProperty.call(src, k))
      continue;
    if (k === '__proto__') {
      // A plain assignment would set the prototype; spread defined an own member.
      Object.defineProperty(out, k, {
        value: src[k],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[k] = src[k];
    }
  }
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
