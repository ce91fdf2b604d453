/**
 * The JSON value model every module of this package works on: objects as they come out of
 * `JSON.parse`, which is what the API server stores and what patches are applied to.
 */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonObject | JsonValue[];
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep copy of a JSON-shaped value. Faster than `structuredClone` for plain data and, unlike it,
 * drops `undefined` members the same way `JSON.stringify` would, so a copy serializes identically.
 */
export function deepCopyJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = deepCopyJson(value[i] as unknown);
    return out as T;
  }
  // Object.keys and an index loop: this copies whole objects on every write, and
  // Object.entries' pair arrays cost more than the copy itself.
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keys = Object.keys(src);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = src[k];
    if (v === undefined) continue;
    if (k === '__proto__') {
      // A plain assignment would replace the prototype instead of copying the member.
      Object.defineProperty(out, k, {
        value: deepCopyJson(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[k] = deepCopyJson(v);
    }
  }
  return out as T;
}

/**
 * True if an object anywhere in the value has an own `__proto__` member (which JSON.parse
 * creates). Patch code refuses such documents rather than risk rewriting prototypes.
 */
export function hasProtoKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasProtoKey(value[i])) return true;
    return false;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === '__proto__' || hasProtoKey(obj[k])) return true;
  }
  return false;
}

/**
 * Structural equality of JSON values (reflect.DeepEqual on unstructured data). Members whose value
 * is `undefined` count as absent, matching what would be serialized.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  // Counted rather than filtered into arrays, and `for...in` (own members only) rather than
  // Object.keys: this compares whole objects on every write, and a keys array per object was
  // the largest allocation of an update (about twice as slow over a whole pod).
  let defined = 0;
  for (const k in ao) {
    if (!hasOwn(ao, k)) continue;
    const v = ao[k];
    if (v === undefined) continue;
    defined++;
    if (!hasOwn(bo, k) || !jsonEqual(v, bo[k])) return false;
  }
  let bDefined = 0;
  for (const k in bo) if (bo[k] !== undefined && hasOwn(bo, k)) bDefined++;
  return defined === bDefined;
}

/** Own-property check that cannot be fooled by a `hasOwnProperty` key in the data. */
export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}
