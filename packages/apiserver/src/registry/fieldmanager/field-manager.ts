/**
 * Server-side apply and managed-fields tracking (k8s.io/apiserver fieldmanager over
 * structured-merge-diff's Updater), for JSON objects:
 *
 * - `update(live, new, manager)`: a non-apply write (create, update, patch) — the manager takes
 *   ownership of every field it added or changed, and loses what it removed; other managers lose
 *   fields that changed under them (no conflicts: an update always wins);
 * - `apply(live, config, manager, force)`: merges the applied configuration, removes fields this
 *   manager applied before and no longer applies (unless someone else owns them), and fails with
 *   409 listing the fields another manager owns and this apply would change, unless `force`,
 *   which takes them over.
 *
 * Ownership is stored in `metadata.managedFields` (FieldsV1), entries identified as upstream by
 * manager, operation, subresource and — for updates only — apiVersion.
 */
import {
  formatTime,
  isJsonObject,
  jsonEqual,
  newApplyConflict,
  newBadRequest,
  type JsonObject,
  type JsonValue,
  type ManagedFieldsEntry,
  type StatusCause,
  type StatusError,
} from '@kubets/apimachinery';
import type { ApiObject } from '../../storage/codec.js';
import {
  compareElements,
  fieldElement,
  FieldSet,
  formatPath,
  type FieldPath,
  type PathElement,
} from './fieldpath.js';
import type { TypeNode } from './schema.js';
import { compare, merge, removeItems, toFieldSet } from './typed.js';

interface ManagerState {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource: string;
  time: string | undefined;
  set: FieldSet;
}

/** Fields never tracked (stripmeta in upstream's fieldmanager). */
const STRIPPED: FieldPath[] = [
  [fieldElement('apiVersion')],
  [fieldElement('kind')],
  [fieldElement('metadata'), fieldElement('name')],
  [fieldElement('metadata'), fieldElement('namespace')],
  [fieldElement('metadata'), fieldElement('creationTimestamp')],
  [fieldElement('metadata'), fieldElement('selfLink')],
  [fieldElement('metadata'), fieldElement('uid')],
  [fieldElement('metadata'), fieldElement('clusterName')],
  [fieldElement('metadata'), fieldElement('generation')],
  [fieldElement('metadata'), fieldElement('managedFields')],
  [fieldElement('metadata'), fieldElement('resourceVersion')],
  [fieldElement('metadata'), fieldElement('deletionTimestamp')],
  [fieldElement('metadata'), fieldElement('deletionGracePeriodSeconds')],
];

export interface FieldManagerOptions {
  /** The object's type (for list/map semantics). */
  type: TypeNode;
  /** `apps/v1`: recorded on entries. */
  apiVersion: string;
  /** The subresource written through (`status`, `scale`), '' for the main resource. */
  subresource: string;
  /**
   * Top-level fields (path elements such as `f:status`) this endpoint may not change and that
   * are therefore not tracked: `status` on the main resource of a kind with a status
   * subresource; everything but `status` on it.
   */
  ignore: (topLevel: PathElement) => boolean;
  now: Date;
}

/** The manager identity as upstream's BuildManagerIdentifier encodes it. */
/** An entry's manager and the fields it owns, its optional parts defaulted as upstream. */
function managerState(
  e: ManagedFieldsEntry,
  operation: 'Apply' | 'Update',
  set: FieldSet,
): ManagerState {
  return {
    manager: e.manager ?? '',
    operation,
    apiVersion: e.apiVersion ?? '',
    subresource: e.subresource ?? '',
    time: e.time,
    set,
  };
}

function identity(
  m: Pick<ManagerState, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  return JSON.stringify({
    manager: m.manager,
    operation: m.operation,
    ...(m.operation === 'Update' ? { apiVersion: m.apiVersion } : {}),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  });
}

/** How a conflicting manager is named in messages (printManager). */
function describe(m: ManagerState): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** Decodes `metadata.managedFields`; throws 400 on malformed entries. */
export function decodeManagedFields(
  entries: readonly ManagedFieldsEntry[] | undefined,
): Map<string, ManagerState> {
  const out = new Map<string, ManagerState>();
  for (const [i, e] of (entries ?? []).entries()) {
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') {
      throw newBadRequest(
        `metadata.managedFields[${i}].fieldsType: Unsupported value: "${e.fieldsType}"`,
      );
    }
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      throw newBadRequest(
        `metadata.managedFields[${i}].operation: Unsupported value: "${e.operation ?? ''}"`,
      );
    }
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1 ?? {});
    } catch (err) {
      throw newBadRequest(`metadata.managedFields[${i}].fieldsV1: ${(err as Error).message}`);
    }
    const state = managerState(e, e.operation, set);
    const key = identity(state);
    const existing = out.get(key);
    if (existing) existing.set = existing.set.union(set);
    else out.set(key, state);
  }
  return out;
}

/** Encodes managers back, in upstream's order (Apply before Update, then time, name...). */
export function encodeManagedFields(managers: Map<string, ManagerState>): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => !m.set.isEmpty());
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      cmp(p.time ?? '', q.time ?? '') ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource, q.subresource),
  );
  return list.map(entryOf);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** STRIPPED as a lookup: top-level fields, and fields directly under metadata. */
const STRIPPED_TOP = new Set(STRIPPED.filter((s) => s.length === 1).map((s) => s[0]!));
const STRIPPED_META = new Set(
  STRIPPED.filter((s) => s.length === 2 && s[0] === fieldElement('metadata')).map((s) => s[1]!),
);
const METADATA = fieldElement('metadata');

/** The set without ignored top-level fields and the STRIPPED paths (one pass over the trie). */
function strip(set: FieldSet, ignore: (topLevel: PathElement) => boolean): FieldSet {
  return set.pruned((pe) => ignore(pe) || STRIPPED_TOP.has(pe), METADATA, STRIPPED_META);
}

/**
 * The object without metadata.managedFields for reading only (comparisons): a shallow view that
 * shares everything else with `obj`, instead of a deep copy on every write.
 */
function viewWithoutManagedFields(obj: ApiObject | undefined): JsonObject | undefined {
  if (!obj) return undefined;
  const json = obj as unknown as JsonObject;
  const meta = json.metadata;
  if (!isJsonObject(meta) || !('managedFields' in meta)) return json;
  const rest: JsonObject = { ...meta };
  delete rest.managedFields;
  return { ...json, metadata: rest };
}

/** The conflict error upstream returns (`Apply failed with 1 conflict: conflict with ...`). */
export function conflictError(
  conflicts: { manager: ManagerState; path: FieldPath }[],
): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describe(c.manager)}`,
    field: formatPath(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    message = `Apply failed with 1 conflict: conflict with ${describe(c.manager)}: ${formatPath(c.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const name = describe(c.manager);
      byManager.set(name, [...(byManager.get(name) ?? []), formatPath(c.path)]);
    }
    const lines: string[] = [];
    for (const name of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${name}:`);
      for (const p of byManager.get(name)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return newApplyConflict(causes, message);
}

/**
 * Ownership changes for a write from `live` to `next` by `acting` (the shared part of apply and
 * update). Returns conflicts with other managers instead of applying them when `force` is false.
 */
function reconcile(
  managers: Map<string, ManagerState>,
  actingKey: string,
  live: JsonObject | undefined,
  next: JsonObject,
  opts: FieldManagerOptions,
  force: boolean,
): {
  conflicts: { manager: ManagerState; path: FieldPath }[];
  comparison: ReturnType<typeof compare>;
} {
  const comparison = compare(live ?? {}, next, opts.type);
  const changed = strip(comparison.modified.union(comparison.added), opts.ignore);
  const removed = strip(comparison.removed, opts.ignore);
  const conflicts: { manager: ManagerState; path: FieldPath }[] = [];
  for (const [key, m] of managers) {
    if (key === actingKey) continue;
    const overlap = m.set.intersection(changed);
    if (!overlap.isEmpty())
      for (const path of overlap.paths()) conflicts.push({ manager: m, path });
  }
  if (conflicts.length > 0 && !force) return { conflicts, comparison };
  for (const [key, m] of managers) {
    if (key === actingKey) continue;
    m.set = m.set.difference(changed).difference(removed);
    if (m.set.isEmpty()) managers.delete(key);
  }
  return { conflicts: [], comparison };
}

export interface FieldManagerResult {
  object: ApiObject;
}

/**
 * Records a non-apply write: `next` is the object about to be stored. Returns it with updated
 * managedFields. Managed fields the client sent explicitly (different from the live ones) are
 * taken as the new baseline, as upstream allows. `next` is not modified: the result shares all
 * but its metadata with it.
 */
export function updateManagedFields(
  live: ApiObject | undefined,
  next: ApiObject,
  manager: string,
  opts: FieldManagerOptions,
): ApiObject {
  return recordUpdate(live, next, manager, opts, true);
}

/**
 * updateManagedFields decoding every entry and encoding them all again: the reference the
 * changed-fields path must match (tests compare the two).
 */
export function updateManagedFieldsByDecoding(
  live: ApiObject | undefined,
  next: ApiObject,
  manager: string,
  opts: FieldManagerOptions,
): ApiObject {
  return recordUpdate(live, next, manager, opts, false);
}

function recordUpdate(
  live: ApiObject | undefined,
  next: ApiObject,
  manager: string,
  opts: FieldManagerOptions,
  onChangedFields: boolean,
): ApiObject {
  const liveEntries = live?.metadata?.managedFields;
  const sentEntries = next.metadata?.managedFields;
  if (!live && sentEntries === undefined) return createdManagedFields(next, manager, opts);
  const resetByClient =
    sentEntries !== undefined &&
    sentEntries !== liveEntries &&
    !jsonEqual(sentEntries, liveEntries ?? []);
  const acting: ManagerState = {
    manager,
    operation: 'Update',
    apiVersion: opts.apiVersion,
    subresource: opts.subresource,
    time: undefined,
    set: new FieldSet(),
  };
  const key = identity(acting);
  const liveJson = viewWithoutManagedFields(live);
  const nextJson = viewWithoutManagedFields(next)!;
  const comparison = compare(liveJson ?? {}, nextJson, opts.type);
  // Something differs when the comparison found a difference; only an empty one needs the full
  // equality check (a reordered list, a change where nothing is tracked).
  const changed =
    !(
      comparison.added.isEmpty() &&
      comparison.removed.isEmpty() &&
      comparison.modified.isEmpty()
    ) || !jsonEqual(liveJson ?? null, nextJson);
  const out = { ...next };
  if (!resetByClient && onChangedFields) {
    const entries = updatedEntries(liveEntries ?? [], key, acting, comparison, changed, opts);
    if (entries) {
      setManagedFields(out, entries);
      return out;
    }
  }
  const managers = decodeManagedFields(resetByClient ? sentEntries : liveEntries);
  const previous = managers.get(key);
  reconcileComparison(managers, key, comparison, opts);
  const base = previous?.set ?? new FieldSet();
  acting.set = strip(
    base.difference(comparison.removed).union(comparison.modified).union(comparison.added),
    opts.ignore,
  );
  acting.time = changed || !previous ? formatTime(opts.now) : previous.time;
  managers.set(key, acting);
  const entries = resetByClient && sentEntries.length === 0 ? [] : encodeManagedFields(managers);
  setManagedFields(out, entries);
  return out;
}

/** reconcile's update half (force, no conflicts) on a comparison already made. */
function reconcileComparison(
  managers: Map<string, ManagerState>,
  actingKey: string,
  comparison: ReturnType<typeof compare>,
  opts: FieldManagerOptions,
): void {
  const changed = strip(comparison.modified.union(comparison.added), opts.ignore);
  const removed = strip(comparison.removed, opts.ignore);
  for (const [key, m] of managers) {
    if (key === actingKey) continue;
    m.set = m.set.difference(changed).difference(removed);
    if (m.set.isEmpty()) managers.delete(key);
  }
}

/**
 * The entries after an update, worked out on the changed fields only (upstream's update runs on
 * the comparison too): another manager's entry is kept as it is stored unless it owns a field
 * that changed or went away, and the acting manager's FieldsV1 is kept when the write changed
 * only fields it already owns. Entries are only decoded when their set changes. Returns
 * undefined when the live entries are not in the form this server writes (an entry's identity
 * repeated, an unknown operation or fieldsType, malformed FieldsV1): the full decode handles
 * (or refuses) those.
 */
function updatedEntries(
  liveEntries: readonly ManagedFieldsEntry[],
  actingKey: string,
  acting: ManagerState,
  comparison: ReturnType<typeof compare>,
  changed: boolean,
  opts: FieldManagerOptions,
): ManagedFieldsEntry[] | undefined {
  const changedSet = strip(comparison.modified.union(comparison.added), opts.ignore);
  const removedSet = strip(comparison.removed, opts.ignore);
  const touched: FieldPath[] = [];
  changedSet.forEachPath((p) => touched.push([...p]));
  removedSet.forEachPath((p) => touched.push([...p]));
  const seen = new Set<string>();
  const out: ManagedFieldsEntry[] = [];
  let previous: ManagedFieldsEntry | undefined;
  for (const e of liveEntries) {
    if (e.fieldsType !== 'FieldsV1') return undefined;
    if (e.operation !== 'Apply' && e.operation !== 'Update') return undefined;
    if (!isJsonObject(e.fieldsV1 ?? {})) return undefined;
    const k = identity({
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      subresource: e.subresource ?? '',
    });
    if (seen.has(k)) return undefined;
    seen.add(k);
    if (k === actingKey) {
      previous = e;
      continue;
    }
    const fields = e.fieldsV1 ?? {};
    let affected = false;
    for (const p of touched) {
      const member = fieldsV1Has(fields, p);
      if (member === undefined) return undefined;
      if (member) {
        affected = true;
        break;
      }
    }
    if (!affected) {
      if (Object.keys(fields).length > 0) out.push(e);
      continue;
    }
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(fields);
    } catch {
      return undefined;
    }
    set = set.difference(changedSet).difference(removedSet);
    if (set.isEmpty()) continue;
    out.push(entryOf(managerState(e, e.operation, set)));
  }
  // The acting manager: what it owned, minus what went away, plus what it changed.
  const base = previous?.fieldsV1 ?? {};
  let fieldsV1: JsonObject | undefined;
  if (previous && isStripped(base, opts)) {
    let keep = true;
    changedSet.forEachPath((p) => {
      if (keep && fieldsV1Has(base, p) !== true) keep = false;
    });
    removedSet.forEachPath((p) => {
      if (keep && fieldsV1Has(base, p) !== false) keep = false;
    });
    // Nothing of its set changes: its stored FieldsV1 stays as it is.
    if (keep) fieldsV1 = base;
    // Only additions (a field it did not own yet, e.g. a new annotation): they are inserted
    // into a copy of the stored FieldsV1 along their paths, instead of decoding the whole set
    // and encoding it again.
    else if (removedSet.isEmpty()) fieldsV1 = withAddedPaths(base, changedSet);
  }
  if (fieldsV1 === undefined) {
    let baseSet: FieldSet;
    try {
      baseSet = FieldSet.fromFieldsV1(base);
    } catch {
      return undefined;
    }
    const set = strip(
      baseSet.difference(comparison.removed).union(comparison.modified).union(comparison.added),
      opts.ignore,
    );
    fieldsV1 = set.isEmpty() ? {} : set.toFieldsV1();
  }
  if (Object.keys(fieldsV1).length > 0) {
    acting.time = changed || !previous ? formatTime(opts.now) : previous.time;
    out.push({
      manager: acting.manager,
      operation: acting.operation,
      apiVersion: acting.apiVersion,
      ...(acting.time ? { time: acting.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1,
      ...(acting.subresource ? { subresource: acting.subresource } : {}),
    });
  }
  out.sort(
    (p, q) =>
      cmp(p.operation ?? '', q.operation ?? '') ||
      cmp(p.time ?? '', q.time ?? '') ||
      cmp(p.manager ?? '', q.manager ?? '') ||
      cmp(p.apiVersion ?? '', q.apiVersion ?? '') ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return out;
}

/**
 * Whether `path` is a member of a FieldsV1 set, read on its wire form: the node at the path is
 * `{}` or has a `"."` member. Undefined when the form is malformed on the way.
 */
function fieldsV1Has(fields: JsonObject, path: FieldPath): boolean | undefined {
  let node: JsonValue = fields;
  for (const pe of path) {
    if (!isJsonObject(node)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(node, pe)) return false;
    node = node[pe]!;
  }
  if (!isJsonObject(node)) return undefined;
  for (const k in node) if (k === '.') return true;
  return Object.keys(node).length === 0;
}

/**
 * `fields` (a FieldsV1 this server wrote: elements in upstream's order at every level) with the
 * member paths of `added` in it, as `toFieldsV1` of the union would write it: a new element in
 * its sorted place, a path's missing levels as plain nodes, a leaf member that gains children
 * as `{".": {}, ...}`, an intermediate node that becomes a member with `"."` first. Only the
 * nodes along the added paths are copied; the rest is shared with `fields`. Undefined when
 * something is not in that form (the caller decodes instead).
 */
function withAddedPaths(fields: JsonObject, added: FieldSet): JsonObject | undefined {
  let out: JsonObject | undefined = fields;
  added.forEachPath((p) => {
    if (out !== undefined) out = addPath(out, p, 0);
  });
  return out;
}

function addPath(node: JsonObject, path: FieldPath, i: number): JsonObject | undefined {
  const pe = path[i]!;
  const last = i === path.length - 1;
  if (!Object.prototype.hasOwnProperty.call(node, pe)) {
    let value: JsonObject = {};
    for (let j = path.length - 1; j > i; j--) value = { [path[j]!]: value };
    // Insert in upstream's order ("." stays first).
    const out: JsonObject = {};
    let placed = false;
    for (const k of Object.keys(node)) {
      if (!placed && k !== '.' && compareElements(pe, k) < 0) {
        out[pe] = value;
        placed = true;
      }
      out[k] = node[k]!;
    }
    if (!placed) out[pe] = value;
    return out;
  }
  const existing = node[pe];
  if (!isJsonObject(existing)) return undefined;
  let value: JsonObject | undefined;
  const leaf = Object.keys(existing).length === 0;
  if (last) {
    // Already a member (a leaf, or a node with "."): nothing to add.
    if (leaf || Object.prototype.hasOwnProperty.call(existing, '.')) return node;
    value = { '.': {}, ...existing };
  } else {
    value = addPath(leaf ? { '.': {} } : existing, path, i + 1);
    if (value === undefined) return undefined;
  }
  return { ...node, [pe]: value };
}

/** Whether a stored FieldsV1 holds nothing strip() would drop (true of what this server wrote). */
function isStripped(fields: JsonObject, opts: FieldManagerOptions): boolean {
  for (const pe of Object.keys(fields)) {
    if (opts.ignore(pe) || STRIPPED_TOP.has(pe)) return false;
  }
  const meta = fields[METADATA];
  if (isJsonObject(meta))
    for (const pe of Object.keys(meta)) if (STRIPPED_META.has(pe)) return false;
  return true;
}

/** One encoded entry (encodeManagedFields' form). */
function entryOf(m: ManagerState): ManagedFieldsEntry {
  return {
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: m.set.toFieldsV1(),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  };
}

/**
 * updateManagedFields for a create that sends no managedFields (nearly every create): the one
 * entry owns every field of the object — what compare({}, next) reports as added — stamped now.
 * `next` is the create's own object: the result shares all but its metadata with it.
 */
function createdManagedFields(
  next: ApiObject,
  manager: string,
  opts: FieldManagerOptions,
): ApiObject {
  const { added, modified } = compare({}, viewWithoutManagedFields(next)!, opts.type);
  const state: ManagerState = {
    manager,
    operation: 'Update',
    apiVersion: opts.apiVersion,
    subresource: opts.subresource,
    time: formatTime(opts.now),
    set: strip(modified.isEmpty() ? added : added.union(modified), opts.ignore),
  };
  const out = { ...next };
  setManagedFields(out, encodeManagedFields(new Map([[identity(state), state]])));
  return out;
}

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined when creating). Throws the
 * 409 conflict error unless `force`.
 */
export function applyConfiguration(
  live: ApiObject | undefined,
  config: ApiObject,
  manager: string,
  force: boolean,
  opts: FieldManagerOptions,
): ApiObject {
  if (config.metadata?.managedFields !== undefined) {
    throw newBadRequest('metadata.managedFields must be nil');
  }
  const managers = decodeManagedFields(live?.metadata?.managedFields);
  const state: ManagerState = {
    manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    subresource: opts.subresource,
    time: formatTime(opts.now),
    set: new FieldSet(),
  };
  const key = identity(state);
  // Kept before reconcile changes the map: the entry as stored (for the no-op check below).
  const previous = live ? managers.get(key) : undefined;
  const lastSet = managers.get(key)?.set;
  // A view: merge, removeItems and the comparisons below build new values and never write to it.
  const liveJson = viewWithoutManagedFields(live) ?? {};
  const configJson = config as unknown as JsonObject;
  let merged = merge(liveJson, configJson, opts.type) as JsonObject;
  const configSet = strip(toFieldSet(configJson, opts.type), opts.ignore);
  state.set = configSet;
  managers.set(key, state);
  if (lastSet && !lastSet.isEmpty()) {
    // Fields this manager applied last time and no longer does go away, unless someone else
    // (including this manager's new configuration) still owns them.
    let others = configSet;
    for (const [k, m] of managers) if (k !== key) others = others.union(m.set);
    const toRemove = FieldSet.fromPaths([...lastSet.paths()].filter((p) => !others.hasPrefix(p)));
    if (!toRemove.isEmpty()) merged = removeItems(merged, toRemove, opts.type) as JsonObject;
  }
  const { conflicts } = reconcile(managers, key, liveJson, merged, opts, force);
  if (conflicts.length > 0) throw conflictError(conflicts);
  const unchanged = live !== undefined && jsonEqual(liveJson, merged);
  if (
    unchanged &&
    previous &&
    previous.set.size() === configSet.size() &&
    previous.set.difference(configSet).isEmpty()
  ) {
    // A no-op apply keeps the entry's time, so re-applying does not write.
    state.time = previous.time;
  }
  const out = merged as unknown as ApiObject;
  setManagedFields(out, encodeManagedFields(managers));
  return out;
}

function setManagedFields(obj: ApiObject, entries: ManagedFieldsEntry[]): void {
  const meta = { ...(obj.metadata ?? {}) };
  if (entries.length > 0) meta.managedFields = entries;
  else delete meta.managedFields;
  obj.metadata = meta;
}

/** `ignore` for an endpoint: the main resource ignores `status` when a status subresource exists. */
export function ignoreFor(
  subresource: string,
  hasStatusSubresource: boolean,
): (topLevel: PathElement) => boolean {
  const status = fieldElement('status');
  if (subresource === 'status') return (pe) => pe !== status;
  if (subresource === '' && hasStatusSubresource) return (pe) => pe === status;
  return () => false;
}
