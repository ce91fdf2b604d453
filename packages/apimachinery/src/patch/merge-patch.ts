/**
 * JSON merge patch (RFC 7386, `application/merge-patch+json`) with the exact behaviour of the
 * library the API server uses (evanphx/json-patch MergePatch): null deletes a member, objects
 * merge recursively, everything else replaces; nulls inside newly added objects are dropped.
 * Neither input is modified.
 */
import {
  deepCopyJson,
  hasProtoKey,
  isJsonObject,
  jsonEqual,
  type JsonObject,
  type JsonValue,
} from '../util/json.js';

export class MergePatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergePatchError';
  }
}

/** Drops null members of objects, recursively (also inside arrays, whose nulls stay). */
function pruneNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map((v) => (v === null ? null : pruneNulls(v)));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = pruneNulls(v);
    return out;
  }
  return value;
}

function mergeDocs(doc: JsonObject, patch: JsonObject): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = Object.prototype.hasOwnProperty.call(doc, k) ? doc[k] : undefined;
    if (cur === undefined || cur === null) {
      doc[k] = pruneNulls(deepCopyJson(v));
    } else if (!isJsonObject(cur)) {
      doc[k] = pruneNulls(deepCopyJson(v));
    } else if (!isJsonObject(v)) {
      // Upstream keeps the patch value as given here (no pruning).
      doc[k] = deepCopyJson(v);
    } else {
      mergeDocs(cur, v);
    }
  }
}

/**
 * Applies a merge patch to a document. A patch that is not an object replaces the document
 * (arrays keep their nulls, objects lose theirs); a null patch or document is rejected like
 * upstream (`Invalid JSON Patch` / `Invalid JSON Document`).
 */
export function applyMergePatch(document: JsonValue, patch: JsonValue): JsonValue {
  if (patch === null) throw new MergePatchError('Invalid JSON Patch');
  if (document === null) throw new MergePatchError('Invalid JSON Document');
  if (hasProtoKey(patch)) throw protoKeyError();
  // The document is checked for `__proto__` while it is copied (one walk instead of two).
  const out = isJsonObject(document) ? (copyWithoutProtoKey(document) as JsonObject) : undefined;
  if (out === undefined && hasProtoKey(document)) throw protoKeyError();
  if (!isJsonObject(patch)) {
    if (Array.isArray(patch)) return pruneNulls(deepCopyJson(patch));
    throw new MergePatchError('Invalid JSON Patch');
  }
  if (out === undefined) return pruneNulls(deepCopyJson(patch));
  mergeDocs(out, patch);
  return out;
}

function protoKeyError(): MergePatchError {
  return new MergePatchError('Invalid JSON Patch: the key "__proto__" is not allowed');
}

/** deepCopyJson of a document that throws protoKeyError on an own `__proto__` member. */
function copyWithoutProtoKey(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out: JsonValue[] = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyWithoutProtoKey(value[i]!);
    return out;
  }
  const out: JsonObject = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === '__proto__') throw protoKeyError();
    const v = value[k];
    if (v !== undefined) out[k] = copyWithoutProtoKey(v);
  }
  return out;
}

/**
 * A merge patch turning `original` into `modified` (jsonpatch.CreateMergePatch): changed and
 * added members, null for removed ones, nested objects diffed recursively, arrays replaced whole.
 */
export function createMergePatch(original: JsonObject, modified: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const [k, v] of Object.entries(modified)) {
    const o = Object.prototype.hasOwnProperty.call(original, k) ? original[k] : undefined;
    if (o === undefined) {
      patch[k] = deepCopyJson(v);
    } else if (isJsonObject(o) && isJsonObject(v)) {
      const sub = createMergePatch(o, v);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (!jsonEqual(o, v)) {
      patch[k] = deepCopyJson(v);
    }
  }
  for (const k of Object.keys(original)) {
    if (!Object.prototype.hasOwnProperty.call(modified, k)) patch[k] = null;
  }
  return patch;
}
