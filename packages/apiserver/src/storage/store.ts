/**
 * Kubernetes storage semantics over etcd v3 for one resource, after
 * k8s.io/apiserver/pkg/storage/etcd3/store.go:
 *
 * - resourceVersion is the etcd `mod_revision` of the key (the revision of a list);
 * - create is a transaction guarded by `create_revision == 0` (else 409 AlreadyExists);
 * - update is a compare-and-swap on `mod_revision`, retried with fresh state on a lost race
 *   ("guaranteed update"); preconditions (uid, resourceVersion) give 409 Conflict;
 * - list honours limit / continue and the resourceVersion / resourceVersionMatch semantics;
 * - delete is a transaction on `mod_revision` with the same preconditions.
 *
 * Errors come out as Kubernetes Status errors with this resource's name in them.
 */
import {
  decodeContinue,
  deepCopyJson,
  encodeContinue,
  InvalidContinueTokenError,
  jsonEqual,
  type JsonValue,
  newAlreadyExists,
  newConflict,
  newExpiredContinue,
  newInternalError,
  newNotFound,
  newResourceExpired,
  newTooLargeResourceVersion,
  parseResourceVersion,
  resolveListSemantics,
  StatusError,
  type GroupResource,
  type ListOptions,
  type Preconditions,
} from '@kubets/apimachinery';
import type { KeyValue__Output } from '../gen/etcd/types/mvccpb/KeyValue.js';
import { decodeObject, type ApiObject } from './codec.js';
import { encodeMembers, rememberStored } from './encoded.js';
import type { EtcdClient } from './etcd/etcd-client.js';
import { prefixRangeEnd } from './etcd/endpoints.js';
import { isCompactedError, isFutureRevisionError } from './etcd/errors.js';
import type { ValueTransformer } from './encryption/transformer.js';
import { KeyLayout } from './keys.js';
import { StorageWatcher, type WatchOptions, type WatchSink, type StorageWatch } from './watcher.js';

/** Observes every etcd request (`etcd_request_duration_seconds{operation,type}`). */
export interface StorageObserver {
  request(operation: string, type: string, seconds: number): void;
}

export interface ResourceStoreOptions {
  client: EtcdClient;
  groupResource: GroupResource;
  /** `--etcd-prefix`, e.g. `/registry`. */
  pathPrefix: string;
  /** e.g. `pods`, `services/specs`. */
  resourcePrefix: string;
  namespaced: boolean;
  observer?: StorageObserver;
  /** Seconds clients are told to wait on a too-large resourceVersion; default 1. */
  retryAfterSeconds?: number;
  /**
   * Encryption at rest: applied to the stored bytes only, so everything above the store (the
   * watch cache, registries) sees plaintext. The etcd key is the authenticated data.
   */
  transformer?: ValueTransformer;
}

export interface ListResult {
  items: ApiObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface StoreListOptions extends Pick<
  ListOptions,
  'resourceVersion' | 'resourceVersionMatch' | 'limit' | 'continue'
> {
  /** Label/field filtering; `undefined` selects everything (enables remainingItemCount). */
  predicate?: (obj: ApiObject) => boolean;
}

/**
 * Computes the new object from the current one (undefined when it does not exist and
 * ignoreNotFound is set). May throw a StatusError to abort. Must not mutate `current`.
 */
export type UpdateFunc = (current: ApiObject | undefined) => ApiObject | Promise<ApiObject>;

export interface GuaranteedUpdateOptions {
  preconditions?: Preconditions;
  /** Call tryUpdate with `undefined` instead of failing when the object does not exist. */
  ignoreNotFound?: boolean;
  /**
   * The object as the watch cache has it, used as the first guess of the current state (saves a
   * read, as upstream's cacher passes it). Never trusted for a result: a failing or no-op
   * attempt on it is redone on a fresh read, and a stale guess fails the compare-and-swap.
   */
  cachedExisting?: ApiObject;
  /**
   * tryUpdate never mutates `current` (nor anything reachable from it) and builds its result
   * from copies: it is then handed the object itself (the watch cache's shared copy when that is
   * the guess) instead of a deep copy per attempt.
   */
  readOnlyCurrent?: boolean;
}

interface CurrentState {
  obj: ApiObject | undefined;
  modRevision: bigint;
  /** The plaintext bytes. */
  data: Buffer | undefined;
  /** Read with an older key or provider: rewrite even when unchanged (key rotation). */
  stale: boolean;
}

const NO_STATE: CurrentState = { obj: undefined, modRevision: 0n, data: undefined, stale: false };

/** How far a filtered list reads ahead per etcd request when a limit is given. */
const MAX_FILTERED_PAGE = 10_000;

export class ResourceStore {
  readonly keys: KeyLayout;
  readonly groupResource: GroupResource;
  private readonly client: EtcdClient;
  private readonly observer: StorageObserver | undefined;
  private readonly typeLabel: string;
  private readonly retryAfterSeconds: number;
  private readonly transformer: ValueTransformer | undefined;
  private lastWrite = 0n;

  constructor(options: ResourceStoreOptions) {
    this.client = options.client;
    this.groupResource = options.groupResource;
    this.keys = new KeyLayout(options.pathPrefix, options.resourcePrefix, options.namespaced);
    this.observer = options.observer;
    this.typeLabel = options.groupResource.group
      ? `${options.groupResource.resource}.${options.groupResource.group}`
      : options.groupResource.resource;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.transformer = options.transformer;
  }

  /**
   * The etcd revision of the newest write made through this store (0 before any): a watch cache
   * that has reached it reflects every write of this process, which lets in-process readers
   * (admission) read the cache without losing read-your-writes.
   */
  get lastWriteRevision(): bigint {
    return this.lastWrite;
  }

  private wrote(revision: string | undefined): string {
    const rv = revision ?? '0';
    const n = BigInt(rv);
    if (n > this.lastWrite) this.lastWrite = n;
    return rv;
  }

  /**
   * Creates the object; its metadata.name/namespace pick the key. 409 if it exists. The result
   * shares everything but its metadata with `obj` (which the caller hands over).
   */
  async create(obj: ApiObject): Promise<ApiObject> {
    const { namespace, name } = this.nameOf(obj);
    const key = Buffer.from(this.keys.objectKey(namespace, name));
    const { bytes: value, members } = encodeMembers(obj);
    const stored = this.toStorage(value, key.toString());
    const resp = await this.timed('create', () =>
      this.client.txn({
        compare: [{ key, target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
        success: [{ request_put: { key, value: stored } }],
        failure: [],
      }),
    );
    if (!resp.succeeded) throw newAlreadyExists(this.groupResource, name);
    return storedView(obj, this.wrote(resp.header?.revision), members);
  }

  /**
   * Reads one object. With a non-zero `resourceVersion` the store must have reached it
   * (otherwise 504 Too large resource version, as upstream).
   */
  async get(
    namespace: string | undefined,
    name: string,
    resourceVersion?: string,
  ): Promise<ApiObject> {
    const obj = await this.tryGet(namespace, name, resourceVersion);
    if (!obj) throw newNotFound(this.groupResource, name);
    return obj;
  }

  /** Like get, but undefined when the object does not exist. */
  async tryGet(
    namespace: string | undefined,
    name: string,
    resourceVersion?: string,
  ): Promise<ApiObject | undefined> {
    const minimum = parseResourceVersion(resourceVersion);
    const key = this.keys.objectKey(namespace, name);
    const resp = await this.timed('get', () => this.client.range({ key: Buffer.from(key) }));
    const current = BigInt(resp.header?.revision ?? '0');
    if (minimum > current) {
      throw newTooLargeResourceVersion(minimum, current, this.retryAfterSeconds);
    }
    const kv = resp.kvs[0];
    return kv ? this.decode(kv) : undefined;
  }

  /** Lists a collection (one namespace, or all when `namespace` is empty). */
  async list(namespace: string | undefined, options: StoreListOptions = {}): Promise<ListResult> {
    const keyPrefix = this.keys.collectionKey(namespace);
    let semantics;
    try {
      semantics = resolveListSemantics(options);
    } catch (err) {
      throw toStatus(err);
    }
    let fromKey = keyPrefix;
    let withRevision = 0n;
    let minimumRevision = 0n;
    if (semantics.kind === 'Continue') {
      try {
        const decoded = decodeContinue(options.continue!, keyPrefix);
        fromKey = decoded.fromKey;
        // A negative revision is the token handed out with a 410: continue at the latest state.
        withRevision = decoded.resourceVersion > 0n ? decoded.resourceVersion : 0n;
      } catch (err) {
        throw toStatus(err);
      }
    } else if (semantics.kind === 'Exact') {
      withRevision = semantics.resourceVersion;
    } else if (semantics.kind === 'NotOlderThan') {
      minimumRevision = semantics.resourceVersion;
    }

    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : 0;
    const filter = options.predicate;
    const rangeEnd = prefixRangeEnd(Buffer.from(keyPrefix));
    const items: ApiObject[] = [];
    let pageSize = limit;
    let returnedRevision = withRevision;
    let lastKey: Buffer | undefined;
    let more = false;
    let count = 0n;
    let key = Buffer.from(fromKey);

    for (;;) {
      let resp;
      try {
        resp = await this.timed('list', () =>
          this.client.range({
            key,
            range_end: rangeEnd,
            limit: String(pageSize),
            revision: withRevision.toString(),
          }),
        );
      } catch (err) {
        throw this.listError(
          err,
          semantics.kind === 'Continue' ? { fromKey: key.toString(), keyPrefix } : undefined,
          withRevision,
        );
      }
      const headerRevision = BigInt(resp.header?.revision ?? '0');
      if (withRevision === 0n) {
        // Pin the following pages to the revision of the first read: one consistent snapshot.
        withRevision = headerRevision;
        returnedRevision = headerRevision;
        if (minimumRevision > headerRevision) {
          throw newTooLargeResourceVersion(minimumRevision, headerRevision, this.retryAfterSeconds);
        }
      }
      if (count === 0n) count = BigInt(resp.count);
      more = resp.more;
      for (const kv of resp.kvs) {
        lastKey = kv.key;
        const obj = this.decode(kv);
        if (filter && !filter(obj)) continue;
        items.push(obj);
        if (limit > 0 && items.length >= limit) break;
      }
      const hitLimit = limit > 0 && items.length >= limit;
      if (hitLimit) {
        // More keys remain if etcd said so or the page was cut short by the limit.
        const consumedAll =
          lastKey !== undefined && resp.kvs[resp.kvs.length - 1]?.key.equals(lastKey);
        more = more || !consumedAll;
        break;
      }
      if (!more || limit === 0) break;
      // A filtered page came back short: read further, in growing steps, like upstream.
      key = Buffer.concat([lastKey!, Buffer.from([0])]);
      pageSize = Math.min(pageSize * 2, MAX_FILTERED_PAGE);
    }

    const result: ListResult = { items, resourceVersion: returnedRevision.toString() };
    if (more && lastKey !== undefined) {
      result.continue = encodeContinue(`${lastKey.toString()}\u0000`, keyPrefix, returnedRevision);
      if (!filter) {
        // Only exact without a filter: etcd counted every key from the start key.
        const remaining = Number(count) - items.length;
        if (remaining > 0) result.remainingItemCount = remaining;
      }
    }
    return result;
  }

  /**
   * Reads, transforms and compare-and-swaps until it wins (or tryUpdate throws). Returns the
   * stored object. A tryUpdate result equal to the current object is not written.
   */
  async guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    tryUpdate: UpdateFunc,
    options: GuaranteedUpdateOptions = {},
  ): Promise<ApiObject> {
    const keyText = this.keys.objectKey(namespace, name);
    const key = Buffer.from(keyText);
    const cached = options.cachedExisting;
    const cachedRevision = cached ? parseResourceVersion(cached.metadata?.resourceVersion) : 0n;
    let state: CurrentState;
    // Whether `state` was read from etcd (upstream's origStateIsCurrent).
    let current: boolean;
    if (cached && cachedRevision > 0n) {
      // No bytes for the guess: an unchanged result is recognised by comparing objects (below),
      // which saves encoding the cached object on every update.
      state = { obj: cached, modRevision: cachedRevision, data: undefined, stale: false };
      current = false;
    } else {
      state = await this.currentState(key);
      current = true;
    }
    for (;;) {
      let updated: ApiObject;
      try {
        if (!state.obj && !options.ignoreNotFound) throw newNotFound(this.groupResource, name);
        if (state.obj) this.checkPreconditions(name, state.obj, options.preconditions);
        updated = await tryUpdate(
          state.obj && !options.readOnlyCurrent ? deepCopyJson(state.obj) : state.obj,
        );
      } catch (err) {
        if (current) throw err;
        // Judged on the cached guess: judge again on the real current state.
        state = await this.currentState(key);
        current = true;
        continue;
      }
      const { bytes: value, members } = encodeMembers(updated);
      // Nothing changed: no write, no new resourceVersion. Upstream compares bytes; JSON member
      // order is not canonical here, so equal bytes or equal JSON both count as unchanged.
      const unchanged =
        state.obj !== undefined &&
        !state.stale &&
        (state.data ? sameContent(value, state.data) : sameStoredObject(updated, state.obj));
      if (unchanged) {
        if (current) return state.obj!;
        state = await this.currentState(key);
        current = true;
        continue;
      }
      const stored = this.toStorage(value, keyText);
      const compare = state.obj
        ? {
            key,
            target: 'MOD' as const,
            result: 'EQUAL' as const,
            mod_revision: state.modRevision.toString(),
          }
        : { key, target: 'CREATE' as const, result: 'EQUAL' as const, create_revision: '0' };
      const resp = await this.timed('update', () =>
        this.client.txn({
          compare: [compare],
          success: [{ request_put: { key, value: stored } }],
          failure: [{ request_range: { key } }],
        }),
      );
      // What decoding the bytes just written would give, without parsing them again: `updated`
      // is tryUpdate's own result, nothing else holds it.
      if (resp.succeeded) {
        return storedView(updated, this.wrote(resp.header?.revision), members);
      }
      // Lost the race (or the cached guess was stale): the failure branch read the fresh state.
      const kv = resp.responses[0]?.response_range?.kvs[0];
      state = kv ? this.stateOf(kv) : NO_STATE;
      current = true;
    }
  }

  /**
   * Deletes the object when `validate(current)` passes; preconditions as for update. Returns the
   * deleted object with the deletion revision as its resourceVersion.
   */
  async delete(
    namespace: string | undefined,
    name: string,
    options: {
      preconditions?: Preconditions;
      validate?: (current: ApiObject) => void | Promise<void>;
    } = {},
  ): Promise<ApiObject> {
    const keyText = this.keys.objectKey(namespace, name);
    const key = Buffer.from(keyText);
    let state = await this.currentState(key);
    for (;;) {
      if (!state.obj) throw newNotFound(this.groupResource, name);
      this.checkPreconditions(name, state.obj, options.preconditions);
      await options.validate?.(deepCopyJson(state.obj));
      const resp = await this.timed('delete', () =>
        this.client.txn({
          compare: [
            { key, target: 'MOD', result: 'EQUAL', mod_revision: state.modRevision.toString() },
          ],
          success: [{ request_delete_range: { key, prev_kv: true } }],
          failure: [{ request_range: { key } }],
        }),
      );
      if (resp.succeeded) {
        return decodeObject(keyText, state.data!, this.wrote(resp.header?.revision));
      }
      const kv = resp.responses[0]?.response_range?.kvs[0];
      state = kv ? this.stateOf(kv) : NO_STATE;
    }
  }

  /** Removes every object of the resource (a deleted CRD's custom resources); returns how many. */
  async deleteAll(): Promise<number> {
    const prefix = Buffer.from(this.keys.root);
    const resp = await this.timed('delete', () =>
      this.client.deleteRange({ key: prefix, range_end: prefixRangeEnd(prefix) }),
    );
    return Number(resp.deleted);
  }

  /** Number of stored objects (`apiserver_storage_objects`). */
  async count(): Promise<number> {
    const prefix = Buffer.from(this.keys.root);
    const resp = await this.timed('listWithCount', () =>
      this.client.range({ key: prefix, range_end: prefixRangeEnd(prefix), count_only: true }),
    );
    return Number(resp.count);
  }

  /** The store's current revision (a cheap read of one key). */
  async currentRevision(): Promise<bigint> {
    const resp = await this.timed('get', () =>
      this.client.range({ key: Buffer.from(this.keys.root), count_only: true }),
    );
    return BigInt(resp.header?.revision ?? '0');
  }

  /** Watches one object (name given) or a collection. Events go to `sink` until stop(). */
  watch(namespace: string | undefined, options: WatchOptions, sink: WatchSink): StorageWatch {
    const key =
      options.name !== undefined
        ? this.keys.objectKey(namespace, options.name)
        : this.keys.collectionKey(namespace);
    return new StorageWatcher({
      client: this.client,
      key,
      recursive: options.name === undefined,
      options,
      sink,
      decode: (kv, revision) => this.decodeAt(kv, revision),
      listInitial: (rangeKey, rangeEnd) =>
        this.timed('list', () => this.client.range({ key: rangeKey, range_end: rangeEnd })),
    });
  }

  private nameOf(obj: ApiObject): { namespace: string | undefined; name: string } {
    const name = obj.metadata?.name;
    if (!name) throw newInternalError('object has no name');
    return { namespace: obj.metadata?.namespace, name };
  }

  private decode(kv: KeyValue__Output): ApiObject {
    return this.decodeValue(kv.key.toString(), kv.value, kv.mod_revision);
  }

  /**
   * Stored bytes to an object at `revision`: the one read path the watch cache shares with
   * direct reads, so encryption at rest sits below the cache.
   */
  decodeValue(key: string, value: Buffer, revision: bigint | string): ApiObject {
    return decodeObject(key, this.fromStorage(value, key).data, revision);
  }

  private decodeAt(kv: KeyValue__Output, revision: string): ApiObject {
    return this.decodeValue(kv.key.toString(), kv.value, revision);
  }

  private stateOf(kv: KeyValue__Output): CurrentState {
    const key = kv.key.toString();
    const { data, stale } = this.fromStorage(kv.value, key);
    return {
      obj: decodeObject(key, data, kv.mod_revision),
      modRevision: BigInt(kv.mod_revision),
      data,
      stale,
    };
  }

  private toStorage(value: Buffer, key: string): Buffer {
    if (!this.transformer) return value;
    try {
      return this.transformer.toStorage(value, key);
    } catch (err) {
      throw newInternalError(`unable to transform key "${key}": ${(err as Error).message}`);
    }
  }

  /** Never returns garbage: a value no transformer reads is a 500 naming the key. */
  private fromStorage(value: Buffer, key: string): { data: Buffer; stale: boolean } {
    if (!this.transformer) return { data: value, stale: false };
    try {
      return this.transformer.fromStorage(value, key);
    } catch (err) {
      throw newInternalError(`unable to transform key "${key}": ${(err as Error).message}`);
    }
  }

  private async currentState(key: Buffer): Promise<CurrentState> {
    const resp = await this.timed('get', () => this.client.range({ key }));
    const kv = resp.kvs[0];
    return kv ? this.stateOf(kv) : NO_STATE;
  }

  private checkPreconditions(name: string, obj: ApiObject, pre: Preconditions | undefined): void {
    if (!pre) return;
    const meta = obj.metadata ?? {};
    if (pre.uid !== undefined && pre.uid !== meta.uid) {
      throw newConflict(
        this.groupResource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`,
      );
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion) {
      throw newConflict(
        this.groupResource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`,
      );
    }
  }

  private listError(
    err: unknown,
    continuing: { fromKey: string; keyPrefix: string } | undefined,
    revision: bigint,
  ): Error {
    if (isCompactedError(err)) {
      if (!continuing) {
        return newResourceExpired('The resourceVersion for the provided list is too old.');
      }
      // As upstream: the 410 carries a token to go on at the latest state (revision -1), for
      // clients that accept an inconsistent list.
      const expired = newExpiredContinue();
      expired.status.metadata = {
        ...expired.status.metadata,
        continue: encodeContinue(continuing.fromKey, continuing.keyPrefix, -1),
      };
      return expired;
    }
    if (isFutureRevisionError(err)) {
      return newTooLargeResourceVersion(revision, 0, this.retryAfterSeconds);
    }
    return err as Error;
  }

  private async timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await fn();
    } finally {
      this.observer?.request(
        operation,
        this.typeLabel,
        Number(process.hrtime.bigint() - start) / 1e9,
      );
    }
  }
}

function sameContent(a: Buffer, b: Buffer): boolean {
  if (a.equals(b)) return true;
  if (a.length !== b.length) return false;
  return jsonEqual(JSON.parse(a.toString()) as JsonValue, JSON.parse(b.toString()) as JsonValue);
}

/**
 * Whether two objects store as equal JSON: everything but the members the stored bytes never
 * have (metadata.resourceVersion and selfLink, see encodeObject).
 */
function sameStoredObject(a: ApiObject, b: ApiObject): boolean {
  // Metadata first: nearly every write changes it (managedFields, labels, annotations), and the
  // comparison stops at the first difference instead of walking the spec before it.
  const { resourceVersion: _ar, selfLink: _as, ...amRest } = a.metadata ?? {};
  const { resourceVersion: _br, selfLink: _bs, ...bmRest } = b.metadata ?? {};
  if (!jsonEqual(amRest, bmRest)) return false;
  const { metadata: _am, ...ar } = a;
  const { metadata: _bm, ...br } = b;
  return jsonEqual(ar, br);
}

function toStatus(err: unknown): Error {
  if (err instanceof StatusError) return err;
  if (err instanceof InvalidContinueTokenError) return err.toStatusError();
  if (err instanceof Error && 'toStatusError' in err) {
    return (err as Error & { toStatusError(): StatusError }).toStatusError();
  }
  return err as Error;
}

/**
 * `obj` as decoding its stored bytes would give it back (resourceVersion from the revision,
 * selfLink gone, same member order) without parsing the JSON just encoded.
 */
function storedView(
  obj: ApiObject,
  revision: string,
  encoded: Parameters<typeof rememberStored>[1],
): ApiObject {
  const { resourceVersion: _rv, selfLink: _sl, ...rest } = obj.metadata ?? {};
  const view = { ...obj, metadata: { ...rest, resourceVersion: revision } };
  // Its JSON is the bytes just written plus the resourceVersion: kept for the answer.
  rememberStored(view, encoded, revision);
  return view;
}
