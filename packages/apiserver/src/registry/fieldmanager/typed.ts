/**
 * Schema-driven operations on JSON values that server-side apply is built from (the typed
 * package of structured-merge-diff): the field set of a value, the comparison of two values,
 * the merge of an applied configuration into a live object, and removal of paths.
 */
import {
  deepCopyJson,
  isJsonObject,
  jsonEqual,
  type JsonObject,
  type JsonValue,
} from '@kubets/apimachinery';
import {
  fieldElement,
  FieldSet,
  indexElement,
  keyElement,
  valueElement,
  type PathElement,
} from './fieldpath.js';
import { DEDUCED, fieldType, type TypeNode } from './schema.js';

type Value = JsonValue | undefined;

/** How a node is treated: a leaf (compared as a whole), a granular map, or a granular list. */
function shape(t: TypeNode, v: Value): 'leaf' | 'map' | 'list' {
  if (t.kind === 'scalar') return 'leaf';
  if (t.kind === 'deduced') return isJsonObject(v) ? 'map' : 'leaf';
  if (t.kind === 'map') return t.atomic ? 'leaf' : 'map';
  return t.listType === 'atomic' ? 'leaf' : 'list';
}

function mapType(t: TypeNode): TypeNode {
  return t.kind === 'deduced' ? { kind: 'map', elements: DEDUCED, atomic: false } : t;
}

function isPureMap(t: TypeNode): boolean {
  return t.kind === 'map' && !t.atomic && t.fields === undefined && t.elements !== undefined;
}

/** The path element of a list item; index when the item lacks its key (upstream errors). */
function itemElement(t: TypeNode & { kind: 'list' }, item: JsonValue, index: number): PathElement {
  if (t.listType === 'map' && isJsonObject(item))
    return keyElement(item, t.keys) ?? indexElement(index);
  if (t.listType === 'set') return valueElement(item);
  return indexElement(index);
}

function listItems(t: TypeNode & { kind: 'list' }, v: Value): Map<PathElement, JsonValue> {
  const out = new Map<PathElement, JsonValue>();
  if (!Array.isArray(v)) return out;
  v.forEach((item, i) => out.set(itemElement(t, item, i), item));
  return out;
}

/** Every field the value sets (ToFieldSet). */
export function toFieldSet(value: unknown, t: TypeNode): FieldSet {
  const set = new FieldSet();
  const walk = (v: Value, type: TypeNode, path: PathElement[]): void => {
    if (v === undefined) return;
    const s = shape(type, v);
    if (s === 'leaf') {
      if (path.length > 0) set.insert(path);
      return;
    }
    if (s === 'map') {
      if (!isJsonObject(v)) return;
      const mt = mapType(type);
      for (const [k, child] of Object.entries(v))
        walk(child, fieldType(mt, k), [...path, fieldElement(k)]);
      return;
    }
    const lt = type as TypeNode & { kind: 'list' };
    for (const [pe, item] of listItems(lt, v)) {
      const p = [...path, pe];
      set.insert(p);
      if (lt.listType !== 'set') walk(item, lt.items, p);
    }
  };
  walk(value as Value, t, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

/**
 * What changed from `before` to `after` (typed.Compare). One walk over both values with one
 * path stack (FieldSet.insert copies what it keeps): this runs on every update of every object.
 * Identical references and equal subtrees are unchanged and are not walked.
 */
export function compare(beforeIn: unknown, afterIn: unknown, t: TypeNode): Comparison {
  const before = beforeIn as Value;
  const after = afterIn as Value;
  const result: Comparison = {
    added: new FieldSet(),
    removed: new FieldSet(),
    modified: new FieldSet(),
  };
  const path: PathElement[] = [];
  const addAll = (target: FieldSet, v: Value, type: TypeNode): void => {
    if (shape(type, v) === 'leaf') {
      if (path.length > 0) target.insert(path);
      return;
    }
    // A map (labels, data...) that appears or disappears as a whole is tracked as a node too,
    // as upstream records it ("." in FieldsV1); structs are not.
    if (path.length > 0 && isPureMap(type) && isJsonObject(v)) target.insert(path);
    target.insertUnder(path, toFieldSet(v, type));
  };
  const walk = (a: Value, b: Value, type: TypeNode): void => {
    if (a === b) return;
    if (a === undefined) return addAll(result.added, b, type);
    if (b === undefined) return addAll(result.removed, a, type);
    // Equal content adds nothing to any set (the walk below would match every member and item
    // and find every leaf equal). An update copies the whole object (patch appliers, decoded
    // bodies), so most subtrees are equal but not identical; an allocation-free equality check
    // skips them instead of walking them with key arrays, path elements and item maps. Below
    // the root only: the root nearly always differs.
    if (path.length > 0 && typeof a === 'object' && a !== null && jsonEqual(a, b)) return;
    const sa = shape(type, a);
    const sb = shape(type, b);
    if (sa !== sb || sa === 'leaf') {
      if (sa === 'leaf' && sb === 'leaf') {
        if (path.length > 0 && !jsonEqual(a, b)) result.modified.insert(path);
        return;
      }
      addAll(result.removed, a, type);
      addAll(result.added, b, type);
      return;
    }
    if (sa === 'map') {
      if (!isJsonObject(a) || !isJsonObject(b)) {
        if (path.length > 0 && !jsonEqual(a, b)) result.modified.insert(path);
        return;
      }
      const mt = mapType(type);
      for (const k of Object.keys(a)) {
        path.push(fieldElement(k));
        walk(a[k], Object.prototype.hasOwnProperty.call(b, k) ? b[k] : undefined, fieldType(mt, k));
        path.pop();
      }
      for (const k of Object.keys(b)) {
        if (Object.prototype.hasOwnProperty.call(a, k)) continue;
        path.push(fieldElement(k));
        walk(undefined, b[k], fieldType(mt, k));
        path.pop();
      }
      return;
    }
    const lt = type as TypeNode & { kind: 'list' };
    const ia = listItems(lt, a);
    const ib = listItems(lt, b);
    const each = (pe: PathElement, x: Value, y: Value): void => {
      path.push(pe);
      if (x === undefined) {
        result.added.insert(path);
        if (lt.listType !== 'set') addAll(result.added, y, lt.items);
      } else if (y === undefined) {
        result.removed.insert(path);
        if (lt.listType !== 'set') addAll(result.removed, x, lt.items);
      } else if (lt.listType !== 'set') {
        walk(x, y, lt.items);
      }
      path.pop();
    };
    for (const [pe, x] of ia) each(pe, x, ib.get(pe));
    for (const [pe, y] of ib) if (!ia.has(pe)) each(pe, undefined, y);
  };
  walk(before, after, t);
  return result;
}

/**
 * The applied configuration merged into the live object (typed.Merge): maps merge by key,
 * granular lists merge items by key or value (live order, new items appended), leaves and atomic
 * nodes take the configuration's value.
 */
export function merge(liveIn: unknown, configIn: unknown, t: TypeNode): JsonValue | undefined {
  const live = liveIn as Value;
  const config = configIn as Value;
  if (config === undefined) return live === undefined ? undefined : deepCopyJson(live);
  if (live === undefined) return deepCopyJson(config);
  const sl = shape(t, live);
  const sc = shape(t, config);
  if (sl !== sc || sc === 'leaf') return deepCopyJson(config);
  if (sc === 'map') {
    if (!isJsonObject(live) || !isJsonObject(config)) return deepCopyJson(config);
    const mt = mapType(t);
    // Members the configuration sets are merged, the others copied: each copied once (a copy of
    // the whole live map first would copy the merged members twice).
    const out: JsonObject = {};
    for (const k of Object.keys(live)) {
      const v = live[k];
      if (v === undefined) continue;
      setMember(out, k, Object.prototype.hasOwnProperty.call(config, k) ? null : deepCopyJson(v));
    }
    for (const [k, v] of Object.entries(config)) {
      const own = Object.prototype.hasOwnProperty.call(live, k);
      const merged = merge(own ? live[k] : undefined, v, fieldType(mt, k));
      if (merged !== undefined) setMember(out, k, merged);
      else if (own && live[k] !== undefined) setMember(out, k, deepCopyJson(live[k]));
    }
    return out;
  }
  const lt = t as TypeNode & { kind: 'list' };
  if (!Array.isArray(live) || !Array.isArray(config)) return deepCopyJson(config);
  const out: JsonValue[] = live.map((v) => deepCopyJson(v));
  const index = new Map<PathElement, number>();
  out.forEach((item, i) => index.set(itemElement(lt, item, i), i));
  config.forEach((item, i) => {
    const pe = itemElement(lt, item, i);
    const at = index.get(pe);
    if (at === undefined || pe.startsWith('i:')) {
      index.set(pe, out.length);
      out.push(deepCopyJson(item));
    } else if (lt.listType !== 'set') {
      out[at] = merge(out[at], item, lt.items) ?? null;
    }
  });
  return out;
}

/** A copy of `value` without the paths in `set` (typed.RemoveItems). */
export function removeItems(valueIn: unknown, set: FieldSet, t: TypeNode): JsonValue | undefined {
  const value = valueIn as Value;
  if (value === undefined) return undefined;
  const s = shape(t, value);
  if (s === 'leaf') return deepCopyJson(value);
  if (s === 'map' && isJsonObject(value)) {
    const mt = mapType(t);
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const pe = fieldElement(k);
      if (set.hasMember(pe)) continue;
      const below = set.childAt(pe);
      const kept = below ? removeItems(v, below, fieldType(mt, k)) : deepCopyJson(v);
      if (kept !== undefined) out[k] = kept;
    }
    return out;
  }
  if (s === 'list' && Array.isArray(value)) {
    const lt = t as TypeNode & { kind: 'list' };
    const out: JsonValue[] = [];
    value.forEach((item, i) => {
      const pe = itemElement(lt, item, i);
      if (set.hasMember(pe)) return;
      const below = set.childAt(pe);
      out.push(
        below && lt.listType !== 'set'
          ? (removeItems(item, below, lt.items) ?? null)
          : deepCopyJson(item),
      );
    });
    return out;
  }
  return deepCopyJson(value);
}

/** out[k] = v, also for a `__proto__` member (a plain assignment would set the prototype). */
function setMember(out: JsonObject, k: string, v: JsonValue): void {
  if (k === '__proto__') {
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[k] = v;
  }
}
