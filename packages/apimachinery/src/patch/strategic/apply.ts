/**
 * Applying a strategic merge patch (`application/strategic-merge-patch+json`): JSON merge patch
 * extended with per-field list strategies and directives, as kubectl sends it. A port of the
 * apply half of k8s.io/apimachinery/pkg/util/strategicpatch (StrategicMergeMapPatch), so the same
 * patch yields the same object, list order included:
 *
 * - lists with strategy `merge` merge elements by `patchMergeKey` (maps) or as a set (scalars);
 *   other lists are replaced;
 * - `$patch: replace|delete|merge` on maps and list elements;
 * - `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`, `$retainKeys`;
 * - null deletes a map key.
 */
import {
  deepCopyJson,
  hasOwn,
  hasProtoKey,
  isJsonObject,
  jsonEqual,
  type JsonObject,
  type JsonValue,
} from '../../util/json.js';
import { goSprintV, goTypeName } from '../../util/go-format.js';
import {
  badArgType,
  badJSONDoc,
  badPatchFormatForPrimitiveList,
  badPatchFormatForRetainKeys,
  badPatchFormatForSetElementOrderList,
  badPatchType,
  noListOfLists,
  noMergeKey,
  otherError,
  protoKeyNotAllowed,
} from './errors.js';
import type { PatchSchema } from './schema.js';

export const DIRECTIVE_MARKER = '$patch';
export const DELETE_DIRECTIVE = 'delete';
export const REPLACE_DIRECTIVE = 'replace';
export const MERGE_DIRECTIVE = 'merge';
export const RETAIN_KEYS_STRATEGY = 'retainKeys';
export const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
export const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';
export const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';

/** How a merge treats directives and nulls (upstream's MergeOptions). */
export interface MergeOptions {
  /** Apply `$deleteFromPrimitiveList` / `$setElementOrder` (server side) instead of keeping them. */
  mergeParallelList: boolean;
  /** Drop nulls that have nothing to delete instead of keeping them in the result. */
  ignoreUnmatchedNulls: boolean;
}

/** The options StrategicMergeMapPatch uses on the server. */
export const SERVER_MERGE_OPTIONS: MergeOptions = {
  mergeParallelList: true,
  ignoreUnmatchedNulls: true,
};

export type ElementKind = 'map' | 'scalar';

/**
 * Applies a strategic merge patch to an object. Neither input is modified. A null patch changes
 * nothing; a patch or original that is not an object is `invalid JSON document`.
 * Throws StrategicMergePatchError (use `toStatusError()` for the API response).
 */
export function strategicMergePatch(
  original: JsonValue,
  patch: JsonValue,
  schema: PatchSchema,
): JsonObject {
  if (!isJsonObject(original)) throw badJSONDoc();
  if (patch === null) return deepCopyJson(original);
  if (!isJsonObject(patch)) throw badJSONDoc();
  if (hasProtoKey(original) || hasProtoKey(patch)) throw protoKeyNotAllowed();
  return mergeMap(deepCopyJson(original), deepCopyJson(patch), schema, SERVER_MERGE_OPTIONS);
}

/** Like strategicMergePatch, with explicit options; both inputs are consumed (mutated). */
export function mergeMapInPlace(
  original: JsonObject,
  patch: JsonObject,
  schema: PatchSchema,
  options: MergeOptions,
): JsonObject {
  return mergeMap(original, patch, schema, options);
}

function keyEquals(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  return typeof a === 'object' && typeof b === 'object' && jsonEqual(a, b);
}

/** extractRetainKeysPatchStrategy: [has retainKeys, the other strategy]. */
export function extractRetainKeysPatchStrategy(strategies: readonly string[]): [boolean, string] {
  switch (strategies.length) {
    case 0:
      return [false, ''];
    case 1:
      return strategies[0] === RETAIN_KEYS_STRATEGY ? [true, ''] : [false, strategies[0]!];
    case 2:
      if (strategies[0] === RETAIN_KEYS_STRATEGY) return [true, strategies[1]!];
      if (strategies[1] === RETAIN_KEYS_STRATEGY) return [true, strategies[0]!];
      break;
  }
  throw otherError(`unexpected patch strategy: ${goSprintV(strategies)}`);
}

function handleDirectiveInMergeMap(
  directive: JsonValue | undefined,
  patch: JsonObject,
): JsonObject {
  if (directive === REPLACE_DIRECTIVE) {
    // Use the patch as the new map, without merging.
    delete patch[DIRECTIVE_MARKER];
    return patch;
  }
  if (directive === DELETE_DIRECTIVE) return {};
  throw badPatchType(directive, patch);
}

function containsDirectiveMarker(item: unknown): boolean {
  return isJsonObject(item) && hasOwn(item, DIRECTIVE_MARKER);
}

export function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (mergeKey.length === 0) return keyEquals(left, right);
  if (!isJsonObject(left)) throw badArgType('map', left);
  if (!isJsonObject(right)) throw badArgType('map', right);
  if (!hasOwn(left, mergeKey)) throw noMergeKey(left, mergeKey);
  if (!hasOwn(right, mergeKey)) throw noMergeKey(right, mergeKey);
  return keyEquals(left[mergeKey], right[mergeKey]);
}

function extractKey(s: string, prefix: string): string {
  const i = s.indexOf('/');
  if (i < 0 || s.slice(0, i) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST_PREFIX) throw badPatchFormatForPrimitiveList();
    if (prefix === SET_ELEMENT_ORDER_PREFIX) throw badPatchFormatForSetElementOrderList();
    throw otherError(`fail to find unknown prefix "${prefix}" in ${s}\n`);
  }
  return s.slice(i + 1);
}

/**
 * The patch list must be a subset of the $setElementOrder list in the same relative order
 * (deletions ignored).
 */
function validatePatchWithSetOrderList(
  patchList: JsonValue[] | undefined,
  setOrderList: JsonValue[],
  mergeKey: string,
): void {
  const list = patchList ?? [];
  if (setOrderList.length === 0 || list.length === 0) return;
  const nonDelete = mergeKey.length > 0 ? extractToDeleteItems(list)[0] : list;
  let pi = 0;
  let si = 0;
  while (pi < nonDelete.length && si < setOrderList.length) {
    if (containsDirectiveMarker(nonDelete[pi])) {
      pi++;
      continue;
    }
    if (mergeKeyValueEqual(nonDelete[pi], setOrderList[si], mergeKey)) pi++;
    si++;
  }
  if (pi < nonDelete.length && si >= setOrderList.length) {
    throw otherError(
      `The order in patch list:\n${goSprintV(list)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goSprintV(setOrderList)}\n`,
    );
  }
}

/**
 * $retainKeys: keys of the original missing from the list are cleared, and the patch may only
 * set listed keys.
 */
function applyRetainKeysDirective(
  original: JsonObject,
  patch: JsonObject,
  options: MergeOptions,
): void {
  if (!hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const inPatch = patch[RETAIN_KEYS_DIRECTIVE]!;
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!options.mergeParallelList) {
    // Merging two patches: the directives must agree; keep one.
    if (hasOwn(original, RETAIN_KEYS_DIRECTIVE)) {
      if (!jsonEqual(original[RETAIN_KEYS_DIRECTIVE], inPatch)) {
        throw otherError(
          `${goSprintV(original[RETAIN_KEYS_DIRECTIVE])} and ${goSprintV(inPatch)} are not deep equal: this may happen when calculating the 3-way diff patch`,
        );
      }
    } else {
      original[RETAIN_KEYS_DIRECTIVE] = inPatch;
    }
    return;
  }
  if (!Array.isArray(inPatch)) throw badPatchFormatForRetainKeys();
  const retain = new Set<unknown>(inPatch);
  for (const [k, v] of Object.entries(patch)) {
    if (
      v === null ||
      k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) ||
      k.startsWith(SET_ELEMENT_ORDER_PREFIX)
    ) {
      continue;
    }
    if (!retain.has(k)) throw badPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!retain.has(k)) delete original[k];
}

/**
 * $setElementOrder/<list>: merges the list with its patch (if any), then orders the result: the
 * $setElementOrder order first, then the patch's, then the live object's.
 */
function mergePatchIntoOriginal(
  original: JsonObject,
  patch: JsonObject,
  schema: PatchSchema,
  options: MergeOptions,
): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER_PREFIX) || !hasOwn(patch, key)) continue;
    const setElementOrder = patch[key]!;
    if (!options.mergeParallelList) {
      if (hasOwn(original, key)) {
        if (!jsonEqual(original[key], setElementOrder))
          throw badPatchFormatForSetElementOrderList();
      } else {
        original[key] = setElementOrder;
      }
    }
    delete patch[key];
    if (!Array.isArray(setElementOrder)) throw badArgType('slice', setElementOrder);
    const originalKey = extractKey(key, SET_ELEMENT_ORDER_PREFIX);
    const foundOriginal = hasOwn(original, originalKey);
    const foundPatch = hasOwn(patch, originalKey);
    let originalFieldValue: JsonValue[] | undefined;
    let patchFieldValue: JsonValue[] | undefined;
    if (foundOriginal) {
      const v = original[originalKey]!;
      if (!Array.isArray(v)) throw badArgType('slice', v);
      originalFieldValue = v;
    }
    if (foundPatch) {
      const v = patch[originalKey]!;
      if (!Array.isArray(v)) throw badArgType('slice', v);
      patchFieldValue = v;
    }
    const { schema: subschema, meta } = schema.lookupSlice(originalKey);
    const [, patchStrategy] = extractRetainKeysPatchStrategy(meta.strategies);
    validatePatchWithSetOrderList(patchFieldValue, setElementOrder, meta.mergeKey);

    let merged: JsonValue[];
    if (foundOriginal && !foundPatch) {
      merged = originalFieldValue!;
    } else if (!foundOriginal && foundPatch) {
      merged = removeDirectives(patchFieldValue!)[0] as JsonValue[];
    } else if (foundOriginal && foundPatch) {
      merged = mergeSliceHandler(
        originalFieldValue!,
        patchFieldValue!,
        subschema,
        patchStrategy,
        meta.mergeKey,
        false,
        options,
      );
    } else {
      continue;
    }

    const [patchItems, serverOnlyItems] =
      meta.mergeKey.length === 0
        ? partitionPrimitivesByPresentInList(merged, setElementOrder)
        : partitionMapsByPresentInList(merged, setElementOrder, meta.mergeKey);
    const kind = sliceElementKind(originalFieldValue ?? [], patchFieldValue ?? []);
    original[originalKey] = normalizeElementOrder(
      patchItems,
      serverOnlyItems,
      setElementOrder,
      originalFieldValue ?? [],
      meta.mergeKey,
      kind,
    );
    delete patch[originalKey];
  }
}

function partitionPrimitivesByPresentInList(
  original: JsonValue[],
  partitionBy: JsonValue[],
): [JsonValue[], JsonValue[]] {
  const inPatch = new Set<unknown>(partitionBy);
  const patch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of original) (inPatch.has(v) ? patch : serverOnly).push(v);
  return [patch, serverOnly];
}

function partitionMapsByPresentInList(
  original: JsonValue[],
  partitionBy: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const patch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of original) {
    if (!isJsonObject(v)) throw badArgType('map', v);
    if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(partitionBy, mergeKey, v[mergeKey]!);
    (found ? patch : serverOnly).push(v);
  }
  return [patch, serverOnly];
}

/**
 * Removes `$patch` directives from a value about to be stored; a map that is itself a
 * directive is dropped. Returns the value and whether to keep it. Mutates maps.
 */
function removeDirectives(obj: JsonValue): [JsonValue, boolean] {
  if (obj === null) return [obj, true];
  if (isJsonObject(obj)) {
    if (hasOwn(obj, DIRECTIVE_MARKER)) return [null, false];
    for (const [k, v] of Object.entries(obj)) {
      const [nv, keep] = removeDirectives(v);
      if (keep) obj[k] = nv;
      else delete obj[k];
    }
    return [obj, true];
  }
  if (Array.isArray(obj)) {
    const res: JsonValue[] = [];
    for (const v of obj) {
      const [nv, keep] = removeDirectives(v);
      if (keep) res.push(nv);
    }
    return [res, true];
  }
  return [obj, true];
}

/** Drops null members everywhere in a value newly added to the object. Mutates. */
function discardNullValuesFromPatch(v: JsonValue): void {
  if (isJsonObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else discardNullValuesFromPatch(x);
    }
  } else if (Array.isArray(v)) {
    for (const x of v) discardNullValuesFromPatch(x);
  }
}

/** Merges `patch` into `original` (both consumed). */
function mergeMap(
  original: JsonObject | null,
  patch: JsonObject,
  schema: PatchSchema,
  options: MergeOptions,
): JsonObject {
  if (hasOwn(patch, DIRECTIVE_MARKER))
    return handleDirectiveInMergeMap(patch[DIRECTIVE_MARKER], patch);
  const orig = original ?? {};
  applyRetainKeysDirective(orig, patch, options);
  mergePatchIntoOriginal(orig, patch, schema, options);

  for (const patchKey of Object.keys(patch)) {
    const patchV = patch[patchKey]!;
    let k = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
      if (!options.mergeParallelList) {
        orig[patchKey] = patchV;
        continue;
      }
      k = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST_PREFIX);
      isDeleteList = true;
    }

    // null deletes the key; when nulls are not ignored it is kept as an explicit null.
    if (patchV === null) {
      delete orig[k];
      if (options.ignoreUnmatchedNulls) continue;
    }

    if (!hasOwn(orig, k) || goTypeName(orig[k]) !== goTypeName(patchV)) {
      // New key, or a different type: take the patch value as it is (a deletion list has
      // nothing to delete from).
      if (!isDeleteList) {
        if (options.ignoreUnmatchedNulls) discardNullValuesFromPatch(patchV);
        const [v, keep] = removeDirectives(patchV);
        if (keep) orig[k] = v;
        else delete orig[k];
      }
      continue;
    }

    const current = orig[k]!;
    if (isJsonObject(current)) {
      const { schema: subschema, meta } = schema.lookupStruct(k);
      const [, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
      orig[k] = mergeMapHandler(current, patchV, subschema, strategy, options);
    } else if (Array.isArray(current)) {
      const { schema: subschema, meta } = schema.lookupSlice(k);
      const [, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
      orig[k] = mergeSliceHandler(
        current,
        patchV,
        subschema,
        strategy,
        meta.mergeKey,
        isDeleteList,
        options,
      );
    } else {
      const [v, keep] = removeDirectives(patchV);
      if (keep) orig[k] = v;
      else delete orig[k];
    }
  }
  return orig;
}

function mergeMapHandler(
  original: JsonValue,
  patch: JsonValue,
  schema: PatchSchema,
  strategy: string,
  options: MergeOptions,
): JsonObject {
  if (!isJsonObject(original)) throw badArgType('map', original);
  if (!isJsonObject(patch)) throw badArgType('map', patch);
  return strategy !== REPLACE_DIRECTIVE ? mergeMap(original, patch, schema, options) : patch;
}

function mergeSliceHandler(
  original: JsonValue,
  patch: JsonValue,
  schema: PatchSchema,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
  options: MergeOptions,
): JsonValue[] {
  if (!Array.isArray(original)) throw badArgType('slice', original);
  if (!Array.isArray(patch)) throw badArgType('slice', patch);
  // Deletion lists apply whatever the field's strategy is.
  if (strategy === MERGE_DIRECTIVE || isDeleteList) {
    return mergeSlice(original, patch, schema, mergeKey, options, isDeleteList);
  }
  return patch;
}

/**
 * The common element kind of the lists; all elements must have the same type and not be lists.
 */
export function sliceElementKind(...slices: JsonValue[][]): ElementKind {
  let prev: string | undefined;
  for (const s of slices) {
    for (const v of s) {
      const t = goTypeName(v);
      if (prev === undefined) {
        prev = t;
        if (Array.isArray(v)) throw noListOfLists();
      } else if (prev !== t) {
        throw otherError(`list element types are not identical: ${goSprintV(slices)}`);
      }
    }
  }
  if (prev === undefined) throw otherError('no elements in any of the given slices');
  return prev === 'map[string]interface {}' ? 'map' : 'scalar';
}

/**
 * A Go slice over a JS array: removal and append work in place like Go's `append`, so the caller's
 * view of the original list changes the way upstream's does. Upstream's $setElementOrder handling
 * orders the merged list against that (mutated) original, and the result order depends on it.
 */
class GoSlice {
  private constructor(
    private buf: JsonValue[],
    private len: number,
    private cap: number,
  ) {}

  static over(array: JsonValue[]): GoSlice {
    return new GoSlice(array, array.length, array.length);
  }

  get length(): number {
    return this.len;
  }

  at(i: number): JsonValue {
    return this.buf[i]!;
  }

  set(i: number, v: JsonValue): void {
    this.buf[i] = v;
  }

  /** `s = append(s[:i], s[i+1:]...)`: shifts left in place; the stale last element stays. */
  removeAt(i: number): void {
    for (let k = i; k < this.len - 1; k++) this.buf[k] = this.buf[k + 1]!;
    this.len--;
  }

  /** `s = append(s, v)`: in place while capacity lasts, else into a new array. */
  push(v: JsonValue): void {
    if (this.len < this.cap) {
      this.buf[this.len++] = v;
      return;
    }
    this.buf = this.buf.slice(0, this.len);
    this.buf.push(v);
    this.len = this.buf.length;
    this.cap = Infinity;
  }

  toArray(): JsonValue[] {
    return this.buf.slice(0, this.len);
  }
}

function mergeSlice(
  original: JsonValue[],
  patch: JsonValue[],
  schema: PatchSchema,
  mergeKey: string,
  options: MergeOptions,
  isDeleteList: boolean,
): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  let merged: JsonValue[];
  let serverOrder: JsonValue[];
  let plainPatch: JsonValue[];
  if (kind !== 'map') {
    if (options.mergeParallelList && isDeleteList) return deleteFromSlice(original, patch);
    merged = deduplicateScalars([...original, ...patch]);
    serverOrder = original;
    plainPatch = patch;
  } else {
    if (mergeKey === '')
      throw otherError(`cannot merge lists without merge key for ${schema.name()}`);
    let slice: GoSlice;
    [slice, plainPatch] = mergeSliceWithSpecialElements(GoSlice.over(original), patch, mergeKey);
    serverOrder = slice.toArray();
    merged = mergeSliceWithoutSpecialElements(slice, plainPatch, mergeKey, schema, options);
  }
  const [patchItems, serverOnlyItems] =
    mergeKey.length === 0
      ? partitionPrimitivesByPresentInList(merged, plainPatch)
      : partitionMapsByPresentInList(merged, plainPatch, mergeKey);
  return normalizeElementOrder(
    patchItems,
    serverOnlyItems,
    plainPatch,
    serverOrder,
    mergeKey,
    kind,
  );
}

/** Applies `$patch: delete|replace` list elements; returns the new original and the plain patch. */
function mergeSliceWithSpecialElements(
  original: GoSlice,
  patch: JsonValue[],
  mergeKey: string,
): [GoSlice, JsonValue[]] {
  const plain: JsonValue[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!hasOwn(item, DIRECTIVE_MARKER)) {
      plain.push(v);
      continue;
    }
    const directive = item[DIRECTIVE_MARKER];
    if (directive === DELETE_DIRECTIVE) {
      if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      deleteMatchingEntries(original, mergeKey, item[mergeKey]!);
    } else if (directive === REPLACE_DIRECTIVE) {
      // Keep scanning to drop any other directive elements.
      replace = true;
    } else if (directive === MERGE_DIRECTIVE) {
      throw otherError('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, item);
    }
  }
  return replace ? [GoSlice.over(plain), []] : [original, plain];
}

function deleteMatchingEntries(original: GoSlice, mergeKey: string, value: JsonValue): void {
  for (;;) {
    const i = findMapIndex(original, mergeKey, value);
    if (i < 0) return;
    original.removeAt(i);
  }
}

function mergeSliceWithoutSpecialElements(
  original: GoSlice,
  patch: JsonValue[],
  mergeKey: string,
  schema: PatchSchema,
  options: MergeOptions,
): JsonValue[] {
  for (const v of patch) {
    const item = v as JsonObject;
    if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const i = findMapIndex(original, mergeKey, item[mergeKey]!);
    if (i >= 0) original.set(i, mergeMap(original.at(i) as JsonObject, item, schema, options));
    else original.push(v);
  }
  return original.toArray();
}

function deleteFromSlice(current: JsonValue[], toDelete: JsonValue[]): JsonValue[] {
  const del = new Set<unknown>(toDelete);
  return current.filter((v) => !del.has(v));
}

function findMapIndex(list: JsonValue[] | GoSlice, key: string, value: JsonValue): number {
  const at = (i: number): JsonValue => (list instanceof GoSlice ? list.at(i) : list[i]!);
  for (let i = 0; i < list.length; i++) {
    const v = at(i);
    if (!isJsonObject(v)) throw otherError(`value for key ${i} is not a map.`);
    if (hasOwn(v, key) && keyEquals(v[key], value)) return i;
  }
  return -1;
}

function findMapInSliceBasedOnKeyValue(list: JsonValue[], key: string, value: JsonValue): boolean {
  return findMapIndex(list, key, value) >= 0;
}

/**
 * Upstream's in-place de-duplication, which moves the last element into the slot of a
 * duplicate; kept as is because the result order feeds the ordering step.
 */
export function deduplicateScalars(s: JsonValue[]): JsonValue[] {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (keyEquals(s[i], s[j])) {
        s[j] = s[length]!;
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

function extractToDeleteItems(list: JsonValue[]): [JsonValue[], JsonValue[]] {
  const nonDelete: JsonValue[] = [];
  const toDelete: JsonValue[] = [];
  for (const v of list) {
    if (!isJsonObject(v)) throw badArgType('map', v);
    if (hasOwn(v, DIRECTIVE_MARKER) && v[DIRECTIVE_MARKER] === DELETE_DIRECTIVE) toDelete.push(v);
    else nonDelete.push(v);
  }
  return [nonDelete, toDelete];
}

export function validateMergeKeyInLists(mergeKey: string, ...lists: JsonValue[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isJsonObject(item)) throw badArgType('map', item);
      if (!hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    }
  }
}

/** Position of an item in a list: by merge key value for maps, by value for scalars. */
function indexIn(list: JsonValue[], item: JsonValue, mergeKey: string, kind: ElementKind): number {
  const val = (x: JsonValue): unknown =>
    kind === 'map' ? (isJsonObject(x) ? x[mergeKey] : null) : x;
  const wanted = val(item);
  for (let i = 0; i < list.length; i++) if (keyEquals(wanted, val(list[i]!))) return i;
  return -1;
}

/** Sorts `toSort` by the positions of its items in `order` (stable); deletions go last. */
export function normalizeSliceOrder(
  toSort: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  let items = toSort;
  let toDelete: JsonValue[] = [];
  if (kind === 'map') {
    validateMergeKeyInLists(mergeKey, toSort, order);
    [items, toDelete] = extractToDeleteItems(toSort);
  }
  const keyed = items.map((item, i) => ({ item, i, pos: indexIn(order, item, mergeKey, kind) }));
  keyed.sort((a, b) => (a.pos >= 0 && b.pos >= 0 ? a.pos - b.pos : 0) || a.i - b.i);
  return [...keyed.map((k) => k.item), ...toDelete];
}

/**
 * Interleaves the server-only items (`left`) into the patch items (`right`), both already
 * sorted, keeping each list's relative order; a server-only item goes before a patch item only
 * when the live object had it earlier.
 */
function mergeSortedSlice(
  left: JsonValue[],
  right: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  const less = (l: JsonValue, r: JsonValue): boolean => {
    const li = indexIn(serverOrder, l, mergeKey, kind);
    const ri = indexIn(serverOrder, r, mergeKey, kind);
    return li >= 0 && ri >= 0 && li < ri;
  };
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else if (less(left[i]!, right[j]!)) out.push(left[i++]!);
    else out.push(right[j++]!);
  }
  return out;
}

function normalizeElementOrder(
  patch: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}
