/**
 * PATCH bodies by content type, applied to the current object as upstream's patcher does:
 * JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch (with the kind's
 * patch metadata; not for custom resources). Server-side apply is handled by the field manager.
 */
import {
  applyJsonPatch,
  applyMergePatch,
  isJsonObject,
  JsonPatchError,
  MergePatchError,
  newBadRequest,
  newUnsupportedMediaType,
  strategicMergePatch,
  StrategicMergePatchError,
  type JsonValue,
  type PatchSchema,
} from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The media types a resource accepts for PATCH (custom resources have no SMP). */
export function acceptedPatchTypes(strategic: boolean): string[] {
  return Object.entries(PATCH_CONTENT_TYPES)
    .filter(([, t]) => strategic || t !== 'strategic')
    .map(([ct]) => ct);
}

/** The patch type for a Content-Type header (parameters ignored); 415 when not a patch type. */
export function patchTypeFor(contentType: string | undefined, strategic: boolean): PatchType {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const t = PATCH_CONTENT_TYPES[mediaType];
  if (!t || (t === 'strategic' && !strategic))
    throw newUnsupportedMediaType(acceptedPatchTypes(strategic));
  return t;
}

/** Applies a json, merge or strategic patch; errors are 400/422 StatusErrors. */
export function applyPatch(
  type: Exclude<PatchType, 'apply'>,
  current: ApiObject,
  patch: JsonValue,
  schema: PatchSchema | undefined,
): ApiObject {
  let out: JsonValue;
  try {
    switch (type) {
      case 'json':
        out = applyJsonPatch(current as unknown as JsonValue, patch);
        break;
      case 'merge':
        out = applyMergePatch(current as unknown as JsonValue, patch);
        break;
      case 'strategic':
        if (!schema) throw newUnsupportedMediaType(acceptedPatchTypes(false));
        out = strategicMergePatch(current as unknown as JsonValue, patch, schema);
        break;
    }
  } catch (err) {
    if (err instanceof JsonPatchError || err instanceof StrategicMergePatchError) {
      throw err.toStatusError();
    }
    if (err instanceof MergePatchError) throw newBadRequest(err.message);
    throw err;
  }
  if (!isJsonObject(out)) throw newBadRequest('the patched object is not a JSON object');
  return out;
}

/**
 * managedFields left out of a patch's copy. A merge or strategic patch that does not mention
 * `metadata.managedFields` leaves the list as it is, yet the patch applier would deep-copy it
 * (a third of a pod's objects) and the field manager would then compare that copy with the live
 * list member by member to learn that the client did not reset it. `withoutManagedFields` gives
 * the applier a view of the current object whose list is a `null` placeholder (same member
 * position, so the result keeps its member order); `restoreManagedFields` puts the live list back
 * into the decoded result, after pruning (which never walks it: nothing below writes into it, and
 * the field manager builds a new list). Anything unusual (a patch naming managedFields or using
 * `$` directives on the object or its metadata, a list that is not an array) takes the ordinary
 * path.
 */
export interface SharedManagedFields {
  /** The current object for the patch applier, managedFields replaced by the placeholder. */
  view: ApiObject;
  /** The live list, shared (read-only). */
  entries: unknown[];
}

export function withoutManagedFields(
  type: Exclude<PatchType, 'apply'>,
  current: ApiObject,
  patch: JsonValue,
): SharedManagedFields | undefined {
  if (type === 'json' || !isJsonObject(patch)) return undefined;
  const meta = current.metadata as Record<string, unknown> | undefined;
  const entries = meta?.managedFields;
  if (!Array.isArray(entries)) return undefined;
  for (const k in patch) if (k.startsWith('$')) return undefined;
  const patchMeta = patch.metadata;
  if (patchMeta !== undefined) {
    if (!isJsonObject(patchMeta)) return undefined;
    for (const k in patchMeta)
      if (k.startsWith('$') || k.includes('managedFields')) return undefined;
  }
  const view = { ...current, metadata: { ...meta, managedFields: null } } as unknown as ApiObject;
  return { view, entries };
}

/** Puts the live list back where the placeholder survived the patch (see withoutManagedFields). */
export function restoreManagedFields(obj: ApiObject, shared: SharedManagedFields): void {
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (
    meta &&
    Object.prototype.hasOwnProperty.call(meta, 'managedFields') &&
    meta.managedFields === null
  ) {
    meta.managedFields = shared.entries;
  }
}
