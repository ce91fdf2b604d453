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
