/**
 * Computing strategic merge patches, the client side of `kubectl apply`
 * (CreateTwoWayMergePatch / CreateThreeWayMergePatch of k8s.io/apimachinery strategicpatch).
 * The results match upstream's, including `$setElementOrder`, `$deleteFromPrimitiveList`,
 * `$retainKeys` and `$patch: delete` entries, so a server (ours or upstream) applies them the same.
 */
import { goSprintV } from '../../util/go-format.js';
import {
  deepCopyJson,
  hasOwn,
  isJsonObject,
  jsonEqual,
  type JsonObject,
  type JsonValue,
} from '../../util/json.js';
import {
  DELETE_DIRECTIVE,
  DELETE_FROM_PRIMITIVE_LIST_PREFIX,
  DIRECTIVE_MARKER,
  extractRetainKeysPatchStrategy,
  MERGE_DIRECTIVE,
  mergeKeyValueEqual,
  mergeMapInPlace,
  normalizeSliceOrder,
  REPLACE_DIRECTIVE,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER_PREFIX,
  sliceElementKind,
  deduplicateScalars,
} from './apply.js';
import {
  badArgType,
  badJSONDoc,
  noMergeKey,
  otherError,
  StrategicMergePatchError,
} from './errors.js';
import type { PatchSchema } from './schema.js';

interface DiffOptions {
  /** Emit `$setElementOrder` lists. */
  setElementOrder: boolean;
  ignoreChangesAndAdditions: boolean;
  ignoreDeletions: boolean;
  /** Emit `$retainKeys` for this level (the field's strategy includes retainKeys). */
  buildRetainKeysDirective: boolean;
}

const DEFAULT_DIFF: DiffOptions = {
  setElementOrder: false,
  ignoreChangesAndAdditions: false,
  ignoreDeletions: false,
  buildRetainKeysDirective: false,
};

/** The string a scalar sorts and compares by (Go's `%v`). */
const sv = (v: unknown): string => goSprintV(v);

function sortScalars(s: JsonValue[]): JsonValue[] {
  // In place, like upstream; callers rely on (and in one place are affected by) the mutation.
  return s.sort((a, b) => (sv(a) < sv(b) ? -1 : sv(a) > sv(b) ? 1 : 0));
}

function sortMapsByField(list: JsonValue[], field: string): JsonValue[] {
  return [...list].sort((a, b) => {
    const x = sv((a as JsonObject)[field]);
    const y = sv((b as JsonObject)[field]);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function diffMaps(
  original: JsonObject,
  modified: JsonObject,
  schema: PatchSchema,
  options: DiffOptions,
): JsonObject {
  const patch: JsonObject = {};
  const retainKeys: JsonValue[] = [];
  for (const [key, modifiedValue] of Object.entries(modified)) {
    if (options.buildRetainKeysDirective && modifiedValue !== null) retainKeys.push(key);
    if (!hasOwn(original, key)) {
      if (!options.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    const originalValue = original[key]!;
    if (key === DIRECTIVE_MARKER) {
      if (typeof originalValue !== 'string' || typeof modifiedValue !== 'string') {
        throw otherError(`invalid value for special key: ${DIRECTIVE_MARKER}`);
      }
      if (originalValue !== modifiedValue) patch[DIRECTIVE_MARKER] = modifiedValue;
      continue;
    }
    if (kindOf(originalValue) !== kindOf(modifiedValue)) {
      if (!options.ignoreChangesAndAdditions) patch[key] = modifiedValue;
      continue;
    }
    if (isJsonObject(originalValue)) {
      handleMapDiff(key, originalValue, modifiedValue as JsonObject, patch, schema, options);
    } else if (Array.isArray(originalValue)) {
      handleSliceDiff(key, originalValue, modifiedValue as JsonValue[], patch, schema, options);
    } else if (!options.ignoreChangesAndAdditions && !jsonEqual(originalValue, modifiedValue)) {
      patch[key] = modifiedValue;
    }
  }
  if (!options.ignoreDeletions) {
    for (const key of Object.keys(original)) if (!hasOwn(modified, key)) patch[key] = null;
  }
  if (
    retainKeys.length > 0 &&
    (Object.keys(patch).length > 0 || hasAdditionalNewField(original, modified))
  ) {
    patch[RETAIN_KEYS_DIRECTIVE] = sortScalars(retainKeys);
  }
  return patch;
}

/** The Go type class that decides whether two values are diffed or replaced. */
function kindOf(v: JsonValue): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v;
}

function hasAdditionalNewField(original: JsonObject, modified: JsonObject): boolean {
  return Object.entries(original).some(([k, v]) => v !== null && !hasOwn(modified, k));
}

function handleMapDiff(
  key: string,
  original: JsonObject,
  modified: JsonObject,
  patch: JsonObject,
  schema: PatchSchema,
  options: DiffOptions,
): void {
  const { schema: subschema, meta } = schema.lookupStruct(key);
  const [retainKeys, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
  const opts = { ...options, buildRetainKeysDirective: retainKeys };
  if (strategy === REPLACE_DIRECTIVE) {
    if (!opts.ignoreChangesAndAdditions) patch[key] = modified;
    return;
  }
  const value = diffMaps(original, modified, subschema, opts);
  if (Object.keys(value).length > 0) patch[key] = value;
}

function handleSliceDiff(
  key: string,
  original: JsonValue[],
  modified: JsonValue[],
  patch: JsonObject,
  schema: PatchSchema,
  options: DiffOptions,
): void {
  const { schema: subschema, meta } = schema.lookupSlice(key);
  const [retainKeys, strategy] = extractRetainKeysPatchStrategy(meta.strategies);
  if (strategy !== MERGE_DIRECTIVE) {
    if (!options.ignoreChangesAndAdditions && !jsonEqual(original, modified)) patch[key] = modified;
    return;
  }
  const opts = { ...options, buildRetainKeysDirective: retainKeys };
  const [add, del, order] = diffLists(original, modified, subschema, meta.mergeKey, opts);
  if (add.length > 0) patch[key] = add;
  if (del.length > 0) patch[`${DELETE_FROM_PRIMITIVE_LIST_PREFIX}/${key}`] = del;
  if (order.length > 0) patch[`${SET_ELEMENT_ORDER_PREFIX}/${key}`] = order;
}

function diffLists(
  original: JsonValue[],
  modified: JsonValue[],
  schema: PatchSchema,
  mergeKey: string,
  options: DiffOptions,
): [JsonValue[], JsonValue[], JsonValue[]] {
  if (original.length === 0) {
    if (modified.length === 0 || options.ignoreChangesAndAdditions) return [[], [], []];
    return [modified, [], []];
  }
  const kind = sliceElementKind(original, modified);
  let setOrder: JsonValue[] = [];
  if (kind === 'map') {
    const [changes, deletions] = diffListsOfMaps(original, modified, schema, mergeKey, options);
    const orderSame = isOrderSame(original, modified, mergeKey);
    // Deletion directives go after the changes; nothing is left for a deletion list.
    const patchList = [...normalizeSliceOrder(changes, modified, mergeKey, kind), ...deletions];
    if (
      options.setElementOrder &&
      ((!options.ignoreChangesAndAdditions && (patchList.length > 0 || !orderSame)) ||
        (!options.ignoreDeletions && patchList.length > 0))
    ) {
      setOrder = modified.map((v) => ({ [mergeKey]: (v as JsonObject)[mergeKey]! }));
    }
    return [patchList, [], setOrder];
  }
  const [additions, deleteList] = diffListsOfScalars(original, modified, options);
  const patchList = normalizeSliceOrder(additions, modified, mergeKey, kind);
  // `original` was sorted in place by diffListsOfScalars, as upstream's is.
  if (
    options.setElementOrder &&
    ((!options.ignoreDeletions && deleteList.length > 0) ||
      (!options.ignoreChangesAndAdditions && !jsonEqual(original, modified)))
  ) {
    setOrder = modified;
  }
  return [patchList, deleteList, setOrder];
}

function isOrderSame(original: JsonValue[], modified: JsonValue[], mergeKey: string): boolean {
  if (original.length !== modified.length) return false;
  return modified.every((m, i) => mergeKeyValueEqual(original[i], m, mergeKey));
}

function diffListsOfScalars(
  original: JsonValue[],
  modified: JsonValue[],
  options: DiffOptions,
): [JsonValue[], JsonValue[]] {
  const o = sortScalars(original);
  const m = sortScalars([...modified]);
  const add: JsonValue[] = [];
  const del: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < o.length || j < m.length) {
    const oIn = i < o.length;
    const mIn = j < m.length;
    const os = oIn ? sv(o[i]) : '';
    const ms = mIn ? sv(m[j]) : '';
    if (oIn && mIn && os === ms) {
      i++;
      j++;
    } else if (!oIn || (oIn && mIn && os > ms)) {
      if (!options.ignoreChangesAndAdditions) add.push(m[j]!);
      j++;
    } else {
      if (!options.ignoreDeletions) del.push(o[i]!);
      i++;
    }
  }
  return [add, deduplicateScalars(del)];
}

function mergeKeyOf(v: JsonValue, mergeKey: string): JsonValue {
  if (!isJsonObject(v)) throw badArgType('map', v);
  if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
  return v[mergeKey]!;
}

function diffListsOfMaps(
  original: JsonValue[],
  modified: JsonValue[],
  schema: PatchSchema,
  mergeKey: string,
  options: DiffOptions,
): [JsonValue[], JsonValue[]] {
  const patch: JsonValue[] = [];
  const deletions: JsonValue[] = [];
  const os = sortMapsByField(original, mergeKey);
  const ms = sortMapsByField(modified, mergeKey);
  let i = 0;
  let j = 0;
  while (i < os.length || j < ms.length) {
    const oIn = i < os.length;
    const mIn = j < ms.length;
    const oKey = oIn ? mergeKeyOf(os[i]!, mergeKey) : null;
    const mKey = mIn ? mergeKeyOf(ms[j]!, mergeKey) : null;
    const oStr = oIn ? sv(oKey) : '';
    const mStr = mIn ? sv(mKey) : '';
    if (oIn && mIn && oStr === mStr) {
      const value = diffMaps(os[i] as JsonObject, ms[j] as JsonObject, schema, options);
      if (Object.keys(value).length > 0) {
        value[mergeKey] = mKey;
        patch.push(value);
      }
      i++;
      j++;
    } else if (!oIn || (oIn && mIn && oStr > mStr)) {
      if (!options.ignoreChangesAndAdditions) patch.push(ms[j]!);
      j++;
    } else {
      if (!options.ignoreDeletions)
        deletions.push({ [mergeKey]: oKey, [DIRECTIVE_MARKER]: DELETE_DIRECTIVE });
      i++;
    }
  }
  return [patch, deletions];
}

function asObject(v: JsonValue | undefined): JsonObject {
  if (v === undefined || v === null) return {};
  if (!isJsonObject(v)) throw badJSONDoc();
  return v;
}

/**
 * A patch that turns `original` into `modified` (CreateTwoWayMergePatch), with
 * `$setElementOrder` lists so the server keeps the modified order.
 */
export function createTwoWayMergePatch(
  original: JsonValue | undefined,
  modified: JsonValue | undefined,
  schema: PatchSchema,
): JsonObject {
  return diffMaps(deepCopyJson(asObject(original)), deepCopyJson(asObject(modified)), schema, {
    ...DEFAULT_DIFF,
    setElementOrder: true,
  });
}

/** Thrown by createThreeWayMergePatch when the live object changed what the patch changes. */
export class MergePatchConflictError extends StrategicMergePatchError {
  constructor(
    readonly patch: JsonObject,
    readonly changes: JsonObject,
  ) {
    super(
      'other',
      `patch:\n${JSON.stringify(patch)}\nconflicts with changes made from original to current:\n${JSON.stringify(changes)}\n`,
    );
    this.name = 'MergePatchConflictError';
  }
}

export interface ThreeWayOptions {
  /** false: fail with MergePatchConflictError when current changed what the patch changes. */
  overwrite?: boolean;
}

/**
 * The `kubectl apply` patch (CreateThreeWayMergePatch): the changes from `current` (the live
 * object) to `modified` (the new manifest) without deletions, plus the deletions from `original`
 * (the last-applied configuration) to `modified`. Fields set by others in `current` survive.
 */
export function createThreeWayMergePatch(
  original: JsonValue | undefined,
  modified: JsonValue | undefined,
  current: JsonValue | undefined,
  schema: PatchSchema,
  options: ThreeWayOptions = {},
): JsonObject {
  const o = asObject(original);
  const m = asObject(modified);
  const c = asObject(current);
  const delta = diffMaps(deepCopyJson(c), deepCopyJson(m), schema, {
    ...DEFAULT_DIFF,
    ignoreDeletions: true,
    setElementOrder: true,
  });
  const deletions = diffMaps(deepCopyJson(o), deepCopyJson(m), schema, {
    ...DEFAULT_DIFF,
    setElementOrder: true,
    ignoreChangesAndAdditions: true,
  });
  const patch = mergeMapInPlace(deletions, delta, schema, {
    mergeParallelList: false,
    ignoreUnmatchedNulls: false,
  });
  if (options.overwrite === false) {
    const changed = diffMaps(deepCopyJson(o), deepCopyJson(c), schema, DEFAULT_DIFF);
    if (mergingMapsHaveConflicts(patch, changed, schema))
      throw new MergePatchConflictError(patch, changed);
  }
  return patch;
}

/**
 * MergingMapsHaveConflicts: whether two patches set the same field to different values (merge
 * lists compared element by merge key, scalar lists as sets).
 */
export function mergingMapsHaveConflicts(
  left: JsonObject,
  right: JsonObject,
  schema: PatchSchema,
): boolean {
  return fieldsHaveConflicts(left, right, schema, '', '');
}

function fieldsHaveConflicts(
  left: JsonValue,
  right: JsonValue,
  schema: PatchSchema,
  strategy: string,
  mergeKey: string,
): boolean {
  if (isJsonObject(left)) {
    if (!isJsonObject(right)) return true;
    const l = hasOwn(left, DIRECTIVE_MARKER);
    const r = hasOwn(right, DIRECTIVE_MARKER);
    if (l || r) {
      if (l !== r) return true;
      if (left[DIRECTIVE_MARKER] !== right[DIRECTIVE_MARKER]) return true;
    }
    if (strategy === REPLACE_DIRECTIVE) return false;
    return mapsHaveConflicts(left, right, schema);
  }
  if (Array.isArray(left)) {
    if (!Array.isArray(right)) return true;
    return slicesHaveConflicts(left, right, schema, strategy, mergeKey);
  }
  return !jsonEqual(left, right);
}

function mapsHaveConflicts(left: JsonObject, right: JsonObject, schema: PatchSchema): boolean {
  for (const [key, lv] of Object.entries(left)) {
    if (key === DIRECTIVE_MARKER || key === RETAIN_KEYS_DIRECTIVE || !hasOwn(right, key)) continue;
    let sub = schema;
    let strategy = '';
    let mergeKey = '';
    if (Array.isArray(lv)) {
      const r = schema.lookupSlice(key);
      sub = r.schema;
      strategy = extractRetainKeysPatchStrategy(r.meta.strategies)[1];
      mergeKey = r.meta.mergeKey;
    } else if (isJsonObject(lv)) {
      const r = schema.lookupStruct(key);
      sub = r.schema;
      strategy = extractRetainKeysPatchStrategy(r.meta.strategies)[1];
      mergeKey = r.meta.mergeKey;
    }
    if (fieldsHaveConflicts(lv, right[key]!, sub, strategy, mergeKey)) return true;
  }
  return false;
}

function slicesHaveConflicts(
  left: JsonValue[],
  right: JsonValue[],
  schema: PatchSchema,
  strategy: string,
  mergeKey: string,
): boolean {
  let kind: string;
  try {
    kind = sliceElementKind(left, right);
  } catch (e) {
    if (e instanceof StrategicMergePatchError) return true;
    throw e;
  }
  if (strategy === MERGE_DIRECTIVE) {
    if (kind !== 'map') return false;
    const byKey = (list: JsonValue[]): Map<string, JsonValue> => {
      const out = new Map<string, JsonValue>();
      for (const v of list) {
        if (!isJsonObject(v))
          throw otherError(`invalid element type in merging list:${goSprintV(list)}`);
        if (!hasOwn(v, mergeKey)) {
          throw otherError(
            `cannot find merge key \`${mergeKey}\` in merging list element:${goSprintV(v)}`,
          );
        }
        out.set(sv(v[mergeKey]), v);
      }
      return out;
    };
    const l = byKey(left);
    const r = byKey(right);
    for (const [k, lv] of l) {
      const rv = r.get(k);
      if (rv !== undefined && fieldsHaveConflicts(lv, rv, schema, '', '')) return true;
    }
    return false;
  }
  if (left.length !== right.length) return true;
  let l = left;
  let r = right;
  if (kind !== 'map') {
    l = sortScalars(deduplicateScalars([...left]));
    r = sortScalars(deduplicateScalars([...right]));
  }
  return l.some((lv, i) => fieldsHaveConflicts(lv, r[i]!, schema, '', ''));
}
