/**
 * An in-memory API server for unit tests: resources with the storage semantics that controllers
 * depend on, so code tested against it behaves the same against the real one.
 *
 * - One global, increasing resourceVersion (an etcd revision) for every write.
 * - Optimistic concurrency: an update carrying a stale resourceVersion is a 409 Conflict.
 * - generateName, uid, creationTimestamp, generation (bumped when anything but metadata and
 *   status changes), status subresource, finalizers (deletion sets deletionTimestamp, the object
 *   goes when its last finalizer does), delete preconditions, dry run.
 * - Lists with label and field selectors, limit/continue pagination over a consistent snapshot,
 *   and resourceVersion semantics (unset, "0", NotOlderThan, Exact).
 * - Watches from any retained resourceVersion, fanned out to every watcher, with selector
 *   transitions (an object leaving a selector is a DELETED event), bookmarks and timeouts.
 * - A bounded history: resourceVersions older than the retained window are answered with 410
 *   Expired, for watches, exact lists and continue tokens alike, as after an etcd compaction.
 *
 * Everything is synchronous; the fake client wraps it in promises. There is no garbage collector:
 * propagationPolicy is validated but owner references are not followed.
 */
import type {
  DeleteOptions,
  FieldSelector,
  GroupResource,
  GroupVersionResource,
  JsonValue,
  KubeObject,
  ListOptions,
  Selector,
} from '@kubets/apimachinery';
import {
  FieldSelectorError,
  LabelSelectorError,
  Path,
  decodeContinue,
  deepCopyJson,
  encodeContinue,
  everything,
  everythingFields,
  fillObjectMetaSystemFields,
  formatTime,
  InvalidContinueTokenError,
  jsonEqual,
  listOptionsError,
  nameIsDNSSubdomain,
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newExpiredContinue,
  newGenerateNameConflict,
  newInvalid,
  newMethodNotSupported,
  newNotFound,
  newResourceExpired,
  newTooLargeResourceVersion,
  newTooOldResourceVersion,
  newUnsupportedMediaType,
  notSupported,
  parseFieldSelector,
  parseSelector,
  resolveListSemantics,
  resolveWatchSemantics,
  applyJsonPatch,
  applyMergePatch,
  strategicMergePatch,
  StatusError,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '@kubets/apimachinery';
import { ConnectionError } from '../rest/errors.js';
import type { ListResult, PatchType, WatchEvent } from '../rest/interfaces.js';
import { WatchChannel } from '../rest/watch-channel.js';
import type { Random } from '../util/backoff.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { BUILTIN_RESOURCES, apiVersionOf, type ResourceDescriptor } from './resources.js';

type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Change {
  rv: number;
  res: Resource;
  key: string;
  type: ChangeType;
  /** The new state; for DELETED the final state, stamped with the deletion's resourceVersion. */
  object: KubeObject;
  /** The state before, undefined for ADDED. */
  prev: KubeObject | undefined;
}

interface Watcher {
  res: Resource;
  namespace: string;
  labels: Selector;
  fields: FieldSelector;
  bookmarks: boolean;
  channel: WatchChannel<KubeObject>;
  timer?: Timer;
}

interface Resource {
  desc: ResourceDescriptor;
  gr: GroupResource;
  /** Storage key prefix, for continue tokens: `/registry/<group>/<resource>/`. */
  prefix: string;
  objects: Map<string, KubeObject>;
  sortedKeys: string[] | undefined;
  watchers: Set<Watcher>;
}

export interface ObjectTrackerOptions {
  /** Resources served; default {@link BUILTIN_RESOURCES}. More can be added with `register`. */
  resources?: readonly ResourceDescriptor[];
  clock?: Clock;
  /** For uids and generated names; seed it for reproducible tests. */
  random?: Random;
  /**
   * Changes retained for watches, exact lists and continue tokens (the compaction window).
   * Older resourceVersions get 410 Expired. Default 10,000.
   */
  historyLimit?: number;
}

export interface CloseWatchesOptions {
  /** Only watches of this resource. */
  resource?: GroupVersionResource;
  /** End the streams with this error (e.g. a ConnectionError), instead of a clean close. */
  error?: unknown;
}

const KNOWN_DRY_RUN = ['All'];
const PROPAGATION = ['Orphan', 'Background', 'Foreground'];

function resKey(gvr: GroupVersionResource): string {
  return `${gvr.group}/${gvr.version}/${gvr.resource}`;
}

function lowerBound(keys: readonly string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The value at a dotted path, as a field selector sees it ('' when absent). */
function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return '';
}

/** Converts library errors to the StatusErrors the API server would answer with. */
function asStatusError(err: unknown): unknown {
  if (err instanceof StatusError) return err;
  if (typeof err === 'object' && err !== null && 'toStatusError' in err) {
    const fn = (err as { toStatusError?: unknown }).toStatusError;
    if (typeof fn === 'function') return (fn as () => StatusError).call(err);
  }
  if (err instanceof LabelSelectorError || err instanceof FieldSelectorError) {
    return newBadRequest(err.message);
  }
  if (err instanceof Error && err.name === 'MergePatchError') return newBadRequest(err.message);
  return err;
}

/** The `status` of an object of any kind (objects are plain JSON here). */
function statusOf(obj: KubeObject): unknown {
  return (obj as { status?: unknown }).status;
}

function setStatus(obj: KubeObject, status: unknown): void {
  const o = obj as { status?: unknown };
  if (status === undefined) delete o.status;
  else o.status = status;
}

/** Everything but metadata and status: what a change to bumps `generation`. */
function specOf(obj: KubeObject): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...obj };
  delete rest.metadata;
  delete rest.status;
  delete rest.apiVersion;
  delete rest.kind;
  return rest;
}

export class ObjectTracker {
  private readonly resources = new Map<string, Resource>();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly historyLimit: number;
  private rv = 0;
  /** Changes after this resourceVersion are retained; older ones are compacted away. */
  private compactedRV = 0;
  private log: Change[] = [];
  private logHead = 0;
  private watchesOpened = 0;

  constructor(options: ObjectTrackerOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.historyLimit = options.historyLimit ?? 10_000;
    if (!Number.isInteger(this.historyLimit) || this.historyLimit < 1) {
      throw new RangeError(`historyLimit must be an integer >= 1, got ${this.historyLimit}`);
    }
    for (const d of options.resources ?? BUILTIN_RESOURCES) this.register(d);
  }

  /** Serves another resource (a custom resource, say). */
  register(desc: ResourceDescriptor): void {
    const key = resKey(desc);
    if (this.resources.has(key)) throw new Error(`resource ${key} is already registered`);
    this.resources.set(key, {
      desc,
      gr: { group: desc.group, resource: desc.resource },
      prefix: `/registry/${desc.group === '' ? 'core' : desc.group}/${desc.resource}/`,
      objects: new Map(),
      sortedKeys: undefined,
      watchers: new Set(),
    });
  }

  /** The descriptor serving `gvr`, or undefined. */
  describe(gvr: GroupVersionResource): ResourceDescriptor | undefined {
    return this.resources.get(resKey(gvr))?.desc;
  }

  /** The descriptor of a kind (for seeding objects by apiVersion/kind). */
  descriptorForKind(apiVersion: string, kind: string): ResourceDescriptor | undefined {
    for (const r of this.resources.values()) {
      if (r.desc.kind === kind && apiVersionOf(r.desc) === apiVersion) return r.desc;
    }
    return undefined;
  }

  /** The current resourceVersion (the last write's). */
  resourceVersion(): string {
    return String(this.rv);
  }

  /** The oldest resourceVersion still answerable; older ones get 410. */
  compactedResourceVersion(): string {
    return String(this.compactedRV);
  }

  /** Forgets history up to `rv` (default: everything), like an etcd compaction. */
  compact(rv: number = this.rv): void {
    if (!Number.isInteger(rv) || rv < 0 || rv > this.rv) {
      throw new RangeError(`cannot compact at ${rv}: current resourceVersion is ${this.rv}`);
    }
    if (rv <= this.compactedRV) return;
    this.compactedRV = rv;
    while (this.logHead < this.log.length && this.log[this.logHead]!.rv <= rv) this.logHead++;
    this.trimLog();
  }

  /** Open watches (of one resource, or all). */
  watchCount(gvr?: GroupVersionResource): number {
    if (gvr) return this.res(gvr).watchers.size;
    let n = 0;
    for (const r of this.resources.values()) n += r.watchers.size;
    return n;
  }

  /** Watches opened since the tracker was created. */
  get totalWatchesOpened(): number {
    return this.watchesOpened;
  }

  /**
   * Ends open watches, as a restarting API server or a cut network would. With `error`, the
   * consumer's iteration throws it (after the events already sent).
   */
  closeWatches(options: CloseWatchesOptions = {}): number {
    const targets = options.resource ? [this.res(options.resource)] : [...this.resources.values()];
    let n = 0;
    for (const r of targets) {
      for (const w of [...r.watchers]) {
        this.endWatcher(w, options.error);
        n++;
      }
    }
    return n;
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for them. */
  bookmark(gvr?: GroupVersionResource): number {
    const targets = gvr ? [this.res(gvr)] : [...this.resources.values()];
    let n = 0;
    for (const r of targets) {
      for (const w of r.watchers) {
        if (!w.bookmarks) continue;
        w.channel.push({
          type: 'BOOKMARK',
          object: {
            apiVersion: apiVersionOf(r.desc),
            kind: r.desc.kind,
            metadata: { resourceVersion: String(this.rv) },
          },
        });
        n++;
      }
    }
    return n;
  }

  get<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string,
    name: string,
  ): T {
    const r = this.res(gvr);
    const obj = r.objects.get(this.key(r, namespace, name));
    if (!obj) throw newNotFound(r.gr, name);
    return deepCopyJson(obj) as T;
  }

  list<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string,
    options: ListOptions = {},
  ): ListResult<T> {
    const r = this.res(gvr);
    try {
      return this.doList(r, this.scope(r, namespace), options) as ListResult<T>;
    } catch (err) {
      throw asStatusError(err);
    }
  }

  watch(
    gvr: GroupVersionResource,
    namespace: string,
    options: ListOptions = {},
  ): WatchChannel<KubeObject> {
    const r = this.res(gvr);
    try {
      return this.doWatch(r, this.scope(r, namespace), options);
    } catch (err) {
      throw asStatusError(err);
    }
  }

  create<T extends KubeObject>(
    gvr: GroupVersionResource,
    namespace: string,
    obj: T,
    options: { dryRun?: string[] } = {},
  ): T & KubeObject {
    const r = this.res(gvr);
    this.checkDryRun(options.dryRun);
    const o: KubeObject = deepCopyJson(obj);
    o.metadata ??= {};
    const meta = o.metadata;
    if (r.desc.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw newBadRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace || meta.namespace || '';
      if (!meta.namespace)
        throw newBadRequest('the namespace of the object is required for a namespaced resource');
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion) {
      throw newBadRequest('resourceVersion should not be set on objects to be created');
    }
    const generated = !meta.name && !!meta.generateName;
    fillObjectMetaSystemFields(o, {
      now: this.clock.now(),
      uid: this.newUID(),
      randomIntn: (n) => Math.floor(this.random() * n),
    });
    meta.generation = 1;
    o.apiVersion = apiVersionOf(r.desc);
    o.kind = r.desc.kind;
    const errs = validateObjectMeta(meta, {
      requiresNamespace: r.desc.namespaced,
      nameFn: r.desc.nameFn ?? nameIsDNSSubdomain,
    });
    if (errs.length > 0)
      throw newInvalid({ group: r.desc.group, kind: r.desc.kind }, meta.name ?? '', errs);
    const key = this.key(r, meta.namespace ?? '', meta.name ?? '');
    if (r.objects.has(key)) {
      throw generated
        ? newGenerateNameConflict(r.gr, meta.name ?? '', 1)
        : newAlreadyExists(r.gr, meta.name ?? '');
    }
    if (options.dryRun?.length) return o as T;
    meta.resourceVersion = String(++this.rv);
    this.store(r, key, o);
    this.record(r, key, 'ADDED', o, undefined);
    return deepCopyJson(o) as T;
  }

  /**
   * Replaces an object (`subresource` 'status' changes only its status). A resourceVersion in
   * the object is a precondition.
   */
  update<T extends KubeObject>(
    gvr: GroupVersionResource,
    namespace: string,
    obj: T,
    options: { dryRun?: string[]; subresource?: string } = {},
  ): T & KubeObject {
    const r = this.res(gvr);
    this.checkDryRun(options.dryRun);
    const name = obj.metadata?.name ?? '';
    if (!name) throw newBadRequest('resource name may not be empty');
    const ns = r.desc.namespaced ? namespace || obj.metadata?.namespace || '' : '';
    if (
      r.desc.namespaced &&
      obj.metadata?.namespace &&
      namespace &&
      obj.metadata.namespace !== namespace
    ) {
      throw newBadRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const key = this.key(r, ns, name);
    const existing = r.objects.get(key);
    if (!existing) throw newNotFound(r.gr, name);
    const incoming: KubeObject = deepCopyJson(obj);
    const oldMeta = existing.metadata ?? {};
    const inRV = incoming.metadata?.resourceVersion;
    if (inRV && inRV !== oldMeta.resourceVersion) throw newConflict(r.gr, name);
    const inUID = incoming.metadata?.uid;
    if (inUID && inUID !== oldMeta.uid) {
      throw newConflict(
        r.gr,
        name,
        `Precondition failed: UID in precondition: ${inUID}, UID in object meta: ${oldMeta.uid ?? ''}`,
      );
    }
    let next: KubeObject;
    const sub = options.subresource ?? '';
    if (sub === 'status') {
      if (!r.desc.statusSubresource) throw newNotFound(r.gr, `${name}/status`);
      next = deepCopyJson(existing);
      setStatus(next, statusOf(incoming));
    } else if (sub !== '') {
      throw newMethodNotSupported(r.gr, `update of subresource ${sub}`);
    } else {
      next = incoming;
      next.metadata ??= {};
      const m = next.metadata;
      // System fields cannot be changed by clients.
      m.name = oldMeta.name;
      if (r.desc.namespaced) m.namespace = oldMeta.namespace;
      else delete m.namespace;
      m.uid = oldMeta.uid;
      m.creationTimestamp = oldMeta.creationTimestamp;
      if (oldMeta.deletionTimestamp) m.deletionTimestamp = oldMeta.deletionTimestamp;
      else delete m.deletionTimestamp;
      if (oldMeta.deletionGracePeriodSeconds !== undefined) {
        m.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
      } else delete m.deletionGracePeriodSeconds;
      delete m.selfLink;
      if (r.desc.statusSubresource) setStatus(next, deepCopyJson(statusOf(existing)));
      next.apiVersion = apiVersionOf(r.desc);
      next.kind = r.desc.kind;
      // An unconditional update (no resourceVersion) applies to the current version.
      m.resourceVersion = oldMeta.resourceVersion;
      m.generation = jsonEqual(specOf(next), specOf(existing))
        ? (oldMeta.generation ?? 1)
        : (oldMeta.generation ?? 1) + 1;
      const errs = [
        ...validateObjectMeta(m, {
          requiresNamespace: r.desc.namespaced,
          nameFn: r.desc.nameFn ?? nameIsDNSSubdomain,
        }),
        ...validateObjectMetaUpdate(m, oldMeta),
      ];
      if (errs.length > 0) throw newInvalid({ group: r.desc.group, kind: r.desc.kind }, name, errs);
    }
    next.metadata!.resourceVersion = oldMeta.resourceVersion;
    // A write that changes nothing is not a write: no new resourceVersion, no event.
    if (jsonEqual(next, existing)) return deepCopyJson(existing) as T;
    if (options.dryRun?.length) return next as T;
    const rv = ++this.rv;
    next.metadata!.resourceVersion = String(rv);
    if (next.metadata!.deletionTimestamp && (next.metadata!.finalizers ?? []).length === 0) {
      // The last finalizer is gone: the deletion completes.
      r.objects.delete(key);
      r.sortedKeys = undefined;
      this.record(r, key, 'DELETED', next, existing);
      return deepCopyJson(next) as T;
    }
    this.store(r, key, next);
    this.record(r, key, 'MODIFIED', next, existing);
    return deepCopyJson(next) as T;
  }

  patch<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
    namespace: string,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: { dryRun?: string[]; subresource?: string } = {},
  ): T {
    const r = this.res(gvr);
    const key = this.key(r, namespace, name);
    const existing = r.objects.get(key);
    if (!existing) throw newNotFound(r.gr, name);
    let patched: JsonValue;
    try {
      const doc = deepCopyJson(existing) as unknown as JsonValue;
      switch (patchType) {
        case 'application/json-patch+json':
          patched = applyJsonPatch(doc, patch);
          break;
        case 'application/merge-patch+json':
          patched = applyMergePatch(doc, patch as JsonValue);
          break;
        case 'application/strategic-merge-patch+json':
          if (!r.desc.patchSchema) {
            throw newUnsupportedMediaType([
              'application/json-patch+json',
              'application/merge-patch+json',
            ]);
          }
          patched = strategicMergePatch(doc, patch as JsonValue, r.desc.patchSchema);
          break;
        default:
          throw newUnsupportedMediaType([
            'application/json-patch+json',
            'application/merge-patch+json',
            ...(r.desc.patchSchema ? ['application/strategic-merge-patch+json'] : []),
          ]);
      }
    } catch (err) {
      throw asStatusError(err);
    }
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) {
      throw newBadRequest('the patch did not produce an object');
    }
    const obj = patched as unknown as KubeObject;
    if ((obj.metadata?.name ?? '') !== name) {
      throw newBadRequest(
        `the name of the object (${obj.metadata?.name ?? ''}) does not match the name on the URL (${name})`,
      );
    }
    return this.update(gvr, namespace, obj as T, options);
  }

  delete(
    gvr: GroupVersionResource,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject | undefined {
    const r = this.res(gvr);
    this.checkDryRun(options.dryRun);
    if (
      options.propagationPolicy !== undefined &&
      !PROPAGATION.includes(options.propagationPolicy)
    ) {
      throw newInvalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', [
        notSupported(Path.new('propagationPolicy'), options.propagationPolicy, PROPAGATION),
      ]);
    }
    const key = this.key(r, namespace, name);
    const existing = r.objects.get(key);
    if (!existing) throw newNotFound(r.gr, name);
    const meta = existing.metadata ?? {};
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== meta.uid) {
      throw newConflict(
        r.gr,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw newConflict(
        r.gr,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${meta.resourceVersion ?? ''}`,
      );
    }
    if (options.dryRun?.length) return deepCopyJson(existing);
    if ((meta.finalizers ?? []).length > 0) {
      // Finalizers keep the object until their controllers remove them.
      if (meta.deletionTimestamp) return deepCopyJson(existing);
      const next = deepCopyJson(existing);
      next.metadata!.deletionTimestamp = formatTime(this.clock.now());
      next.metadata!.deletionGracePeriodSeconds = 0;
      next.metadata!.resourceVersion = String(++this.rv);
      this.store(r, key, next);
      this.record(r, key, 'MODIFIED', next, existing);
      return deepCopyJson(next);
    }
    const final = deepCopyJson(existing);
    final.metadata!.resourceVersion = String(++this.rv);
    r.objects.delete(key);
    r.sortedKeys = undefined;
    this.record(r, key, 'DELETED', final, existing);
    return undefined;
  }

  deleteCollection(
    gvr: GroupVersionResource,
    namespace: string,
    options: DeleteOptions = {},
    listOptions: ListOptions = {},
  ): number {
    const items = this.list(gvr, namespace, {
      ...listOptions,
      limit: undefined,
      continue: undefined,
    }).items;
    const { preconditions: _ignored, ...rest } = options;
    for (const item of items) {
      this.delete(gvr, item.metadata?.namespace ?? '', item.metadata?.name ?? '', rest);
    }
    return items.length;
  }

  // ------------------------------------------------------------------------------------------

  private res(gvr: GroupVersionResource): Resource {
    const r = this.resources.get(resKey(gvr));
    if (!r) {
      throw new StatusError({
        status: 'Failure',
        code: 404,
        reason: 'NotFound',
        message: `the server could not find the requested resource (${resKey(gvr)})`,
        details: { group: gvr.group, kind: gvr.resource },
      });
    }
    return r;
  }

  /** The namespace a request is scoped to ('' = all / cluster). */
  private scope(r: Resource, namespace: string): string {
    return r.desc.namespaced ? namespace : '';
  }

  private key(r: Resource, namespace: string, name: string): string {
    if (!name) throw newBadRequest('resource name may not be empty');
    if (!r.desc.namespaced) return name;
    if (!namespace) throw newBadRequest(`a namespace is required for ${r.desc.resource}`);
    return `${namespace}/${name}`;
  }

  private checkDryRun(dryRun: string[] | undefined): void {
    for (const v of dryRun ?? []) {
      if (!KNOWN_DRY_RUN.includes(v)) {
        throw newBadRequest(`Unsupported value: ${JSON.stringify(v)}: supported values: "All"`);
      }
    }
  }

  private newUID(): string {
    let hex = '';
    for (let i = 0; i < 32; i++) hex += Math.floor(this.random() * 16).toString(16);
    // RFC 4122 version 4 layout.
    const v = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${v}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  private store(r: Resource, key: string, obj: KubeObject): void {
    if (!r.objects.has(key)) r.sortedKeys = undefined;
    r.objects.set(key, obj);
  }

  private record(
    r: Resource,
    key: string,
    type: ChangeType,
    object: KubeObject,
    prev: KubeObject | undefined,
  ): void {
    const change: Change = { rv: this.rv, res: r, key, type, object, prev };
    this.log.push(change);
    this.trimLog();
    for (const w of [...r.watchers]) this.deliver(w, change);
  }

  private trimLog(): void {
    while (this.log.length - this.logHead > this.historyLimit) {
      this.compactedRV = this.log[this.logHead]!.rv;
      this.logHead++;
    }
    if (this.logHead > 1024 && this.logHead * 2 > this.log.length) {
      this.log = this.log.slice(this.logHead);
      this.logHead = 0;
    }
  }

  private sorted(r: Resource): string[] {
    r.sortedKeys ??= [...r.objects.keys()].sort(byteOrder);
    return r.sortedKeys;
  }

  /**
   * The resource's state at `atRV`: the current objects with the changes after `atRV` undone.
   * Only the changed keys are materialized.
   */
  private snapshot(
    r: Resource,
    atRV: number,
  ): { get: (key: string) => KubeObject | undefined; keys: string[] } {
    const overrides = new Map<string, KubeObject | undefined>();
    for (let i = this.log.length - 1; i >= this.logHead; i--) {
      const c = this.log[i]!;
      if (c.rv <= atRV) break;
      if (c.res === r) overrides.set(c.key, c.prev);
    }
    if (overrides.size === 0) return { get: (k) => r.objects.get(k), keys: this.sorted(r) };
    let keys = this.sorted(r);
    const added = [...overrides]
      .filter(([k, v]) => v !== undefined && !r.objects.has(k))
      .map(([k]) => k);
    if (added.length > 0) keys = [...keys, ...added].sort(byteOrder);
    return {
      get: (k) => (overrides.has(k) ? overrides.get(k) : r.objects.get(k)),
      keys,
    };
  }

  private selectors(
    r: Resource,
    options: ListOptions,
  ): { labels: Selector; fields: FieldSelector } {
    const labels = options.labelSelector ? parseSelector(options.labelSelector) : everything();
    let fields = options.fieldSelector
      ? parseFieldSelector(options.fieldSelector)
      : everythingFields();
    const supported = new Set([
      'metadata.name',
      'metadata.namespace',
      ...(r.desc.selectableFields ?? []),
    ]);
    fields = fields.transform((field, value) => {
      if (!supported.has(field)) {
        throw new FieldSelectorError(`field label not supported: ${field}`);
      }
      return [field, value];
    });
    return { labels, fields };
  }

  private matches(
    r: Resource,
    obj: KubeObject,
    namespace: string,
    labels: Selector,
    fields: FieldSelector,
  ): boolean {
    const meta = obj.metadata ?? {};
    if (namespace !== '' && meta.namespace !== namespace) return false;
    if (!labels.empty() && !labels.matches(meta.labels ?? {})) return false;
    if (fields.empty()) return true;
    const set: Record<string, string> = {};
    for (const req of fields.requirements()) {
      set[req.field] =
        req.field === 'metadata.name'
          ? (meta.name ?? '')
          : req.field === 'metadata.namespace'
            ? r.desc.namespaced
              ? (meta.namespace ?? '')
              : ''
            : fieldValue(obj, req.field);
    }
    return fields.matches(set);
  }

  private doList(r: Resource, namespace: string, options: ListOptions): ListResult<KubeObject> {
    const invalid = listOptionsError({ ...options, watch: false });
    if (invalid) throw invalid;
    const limit = options.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw newBadRequest(`invalid limit: ${limit}`);
    const { labels, fields } = this.selectors(r, options);
    const semantics = resolveListSemantics(options);
    let atRV = this.rv;
    let startKey = '';
    switch (semantics.kind) {
      case 'MostRecent':
      case 'Any':
        break;
      case 'NotOlderThan':
        if (semantics.resourceVersion > BigInt(this.rv)) {
          throw newTooLargeResourceVersion(semantics.resourceVersion, this.rv, 1);
        }
        break;
      case 'Exact': {
        const want = Number(semantics.resourceVersion);
        if (want > this.rv) throw newTooLargeResourceVersion(semantics.resourceVersion, this.rv, 1);
        if (want < this.compactedRV) {
          throw newResourceExpired('The resourceVersion for the provided list is too old.');
        }
        atRV = want;
        break;
      }
      case 'Continue': {
        const { fromKey, resourceVersion } = decodeContinue(options.continue ?? '', r.prefix);
        const want = Number(resourceVersion);
        if (want < this.compactedRV) throw newExpiredContinue();
        if (want > this.rv)
          throw new InvalidContinueTokenError(
            'continue key is not valid: resourceVersion from the future',
          );
        atRV = want;
        startKey = fromKey.slice(r.prefix.length);
        break;
      }
    }
    const snap = this.snapshot(r, atRV);
    const keys = snap.keys;
    const nsPrefix = namespace === '' ? '' : `${namespace}/`;
    let i = lowerBound(keys, startKey > nsPrefix ? startKey : nsPrefix);
    const items: KubeObject[] = [];
    let lastKey = '';
    let more = false;
    const unfiltered = labels.empty() && fields.empty();
    for (; i < keys.length; i++) {
      const k = keys[i]!;
      if (nsPrefix !== '' && !k.startsWith(nsPrefix)) break;
      const obj = snap.get(k);
      if (!obj) continue;
      if (limit > 0 && items.length >= limit) {
        more = true;
        break;
      }
      lastKey = k;
      if (!this.matches(r, obj, namespace, labels, fields)) continue;
      items.push(deepCopyJson(obj));
    }
    const result: ListResult<KubeObject> = { items, resourceVersion: String(atRV) };
    if (more) {
      result.continue = encodeContinue(r.prefix + lastKey + '\u0000', r.prefix, atRV);
      if (unfiltered) {
        let remaining = 0;
        for (; i < keys.length; i++) {
          const k = keys[i]!;
          if (nsPrefix !== '' && !k.startsWith(nsPrefix)) break;
          if (snap.get(k)) remaining++;
        }
        result.remainingItemCount = remaining;
      }
    }
    return result;
  }

  private doWatch(r: Resource, namespace: string, options: ListOptions): WatchChannel<KubeObject> {
    const invalid = listOptionsError({ ...options, watch: true });
    if (invalid) throw invalid;
    const { labels, fields } = this.selectors(r, options);
    const semantics = resolveWatchSemantics(options);
    const channel = new WatchChannel<KubeObject>();
    this.watchesOpened++;
    const w: Watcher = {
      res: r,
      namespace,
      labels,
      fields,
      bookmarks: options.allowWatchBookmarks ?? false,
      channel,
    };
    if (semantics.kind === 'After') {
      const from = Number(semantics.resourceVersion);
      if (from < this.compactedRV) {
        // What the API server does: the watch opens and its first event is a 410.
        channel.push({
          type: 'ERROR',
          object: newTooOldResourceVersion(from, this.compactedRV).status,
        });
        channel.end();
        return channel;
      }
      for (let i = this.logHead; i < this.log.length; i++) {
        const c = this.log[i]!;
        if (c.rv > from && c.res === r) this.deliver(w, c);
      }
    } else {
      // No resourceVersion: the current state as ADDED events, then changes.
      for (const k of this.sorted(r)) {
        const obj = r.objects.get(k)!;
        if (this.matches(r, obj, namespace, labels, fields)) {
          channel.push({ type: 'ADDED', object: deepCopyJson(obj) });
        }
      }
    }
    r.watchers.add(w);
    channel.onClose(() => {
      r.watchers.delete(w);
      w.timer?.cancel();
    });
    const timeout = options.timeoutSeconds ?? 0;
    if (timeout > 0) w.timer = this.clock.setTimer(() => this.endWatcher(w), timeout * 1000);
    return channel;
  }

  private endWatcher(w: Watcher, error?: unknown): void {
    w.res.watchers.delete(w);
    w.timer?.cancel();
    w.channel.end(error);
  }

  /** Sends a change to a watcher as the event its selectors make of it. */
  private deliver(w: Watcher, c: Change): void {
    const r = w.res;
    const now =
      c.type === 'DELETED' ? false : this.matches(r, c.object, w.namespace, w.labels, w.fields);
    const before = c.prev !== undefined && this.matches(r, c.prev, w.namespace, w.labels, w.fields);
    let event: WatchEvent<KubeObject> | undefined;
    if (c.type === 'DELETED') {
      if (before) event = { type: 'DELETED', object: deepCopyJson(c.object) };
    } else if (now && before) event = { type: 'MODIFIED', object: deepCopyJson(c.object) };
    else if (now) event = { type: 'ADDED', object: deepCopyJson(c.object) };
    else if (before) {
      // Left the selector: the watcher sees the last state it matched, at the new version.
      const gone = deepCopyJson(c.prev!);
      gone.metadata = { ...gone.metadata, resourceVersion: String(c.rv) };
      event = { type: 'DELETED', object: gone };
    }
    if (event) w.channel.push(event);
  }
}

/** A ConnectionError as a broken watch stream would raise. */
export function connectionReset(message = 'connection reset by peer'): ConnectionError {
  return new ConnectionError(message, { requestSent: true, code: 'ECONNRESET' });
}

/** A ConnectionError for an unreachable server (the request never left). */
export function connectionRefused(message = 'connection refused'): ConnectionError {
  return new ConnectionError(message, { requestSent: false, code: 'ECONNREFUSED' });
}
