/**
 * The generic registry: one code path that serves every resource of @kubets/api's registry —
 * built-in and custom — over the Kubernetes storage semantics (upstream's
 * k8s.io/apiserver/pkg/registry/generic/registry.Store plus the REST handlers' decode step):
 *
 * create: namespace, defaults, system metadata (uid, creationTimestamp, generateName),
 *   strategy.prepareForCreate, validation (422), admission, managedFields, storage (409);
 * update: optimistic concurrency on resourceVersion (409), defaults, strategy.prepareForUpdate
 *   (main resource, `status`, `finalize`), validation, managedFields;
 * patch: JSON / merge / strategic merge patches on the live object, and server-side apply;
 * delete: finalizers, propagationPolicy, graceful deletion, preconditions;
 * scale: the autoscaling/v1 Scale view of kinds with a scale subresource;
 * dryRun=All runs everything but the write.
 */
import {
  deepCopyJson,
  fillObjectMetaSystemFields,
  isAlreadyExists,
  isJsonObject,
  isNotFound,
  formatTime,
  newNotFound,
  newBadRequest,
  newConflict,
  newInvalid,
  newInternalError,
  invalid,
  listOptionsError,
  required,
  Path,
  OPTIMISTIC_LOCK_ERROR_MSG,
  StatusError,
  type DeleteOptions,
  type GroupResource,
  type JsonValue,
  type ListOptions,
  type Status,
} from '@kubets/apimachinery';
import { applyScale, scaleOf } from '@kubets/api';
import type { ApiObject } from '../storage/codec.js';
import type { ResourceStore } from '../storage/store.js';
import type { Cacher } from '../storage/cacher/cacher.js';
import { memoized, startsWithTypeMeta } from '../storage/shared.js';
import type { StorageEvent, StorageWatch, WatchSink } from '../storage/watcher.js';
import {
  apiVersionOf,
  hasSubresource,
  storageVersion,
  versionSchemas,
  type ResourceDefinition,
  type ResourceVersionDefinition,
  type StrategyContext,
} from './definition.js';
import { decideDeletion, shouldDeleteDuringUpdate, type GracePeriodFn } from './deletion.js';
import {
  applyConfiguration,
  ignoreFor,
  updateManagedFields,
} from './fieldmanager/field-manager.js';
import { SchemaConverter, type TypeNode } from './fieldmanager/schema.js';
import { asVersion, deleteSuccessStatus, relabel } from './objects.js';
import { applyPatch, restoreManagedFields, withoutManagedFields, type PatchType } from './patch.js';
import { parseSelection } from './selection.js';
import { UNSECURED_USER, type UserInfo } from '../auth/types.js';
import type { AdmissionAttributes, AdmissionController, Operation } from '../admission/types.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Default Warn, as upstream. */
  fieldValidation?: FieldValidation;
  /** Names the manager when fieldManager is absent (the User-Agent's product). */
  userAgent?: string;
  /** The authenticated caller, for admission (NodeRestriction, ServiceAccount, webhooks). */
  user?: UserInfo;
  /** Internal writes that upstream makes without admission (the eviction's delete). */
  skipAdmission?: boolean;
  /**
   * Receives the audit annotations admission plugins add (PodSecurity's
   * `pod-security.kubernetes.io/*`, webhooks' `<webhook>/<key>`), for the audit log.
   */
  auditAnnotations?: Record<string, string>;
}

export interface PatchRequestOptions extends WriteOptions {
  force?: boolean;
}

export interface WriteResult {
  object: ApiObject;
  created: boolean;
  warnings: string[];
}

export interface DeleteResult {
  /** The object (deleted, or now terminating) or a Success Status. */
  body: ApiObject | Status;
  /** True when the object is gone from storage. */
  deleted: boolean;
}

/** A side effect tied to a write (IP allocation...): committed after the write, reverted on failure. */
export interface WriteTransaction {
  commit(): void | Promise<void>;
  revert(): void | Promise<void>;
}

/**
 * Per-resource behaviour beyond the strategy (services, namespaces). `user` is the request's
 * `WriteOptions.user` (undefined for the server's own writes that name no user).
 */
export interface ResourceHooks {
  beginCreate?(
    obj: ApiObject,
    dryRun: boolean,
    user?: UserInfo,
  ): Promise<WriteTransaction | undefined>;
  beginUpdate?(
    obj: ApiObject,
    old: ApiObject,
    dryRun: boolean,
    user?: UserInfo,
  ): Promise<WriteTransaction | undefined>;
  afterDelete?(obj: ApiObject): Promise<void>;
  /** Refuses a delete (throws a StatusError). */
  validateDelete?(obj: ApiObject): void;
  /** Changes made when an object starts terminating (namespaces: phase Terminating). */
  markTerminating?(obj: ApiObject): void;
  /** Keeps a terminating object until this is false (namespaces: spec.finalizers). */
  blocksDeletion?(obj: ApiObject): boolean;
}

/** Checks on create that involve other resources (namespace lifecycle). */
export interface CreateAdmission {
  admitCreate(namespace: string | undefined, resource: GroupResource, name: string): Promise<void>;
}

export interface RegistryDeps {
  store: ResourceStore;
  /** The watch cache serving lists and watches (when enabled for the resource). */
  cacher?: Cacher;
  now: () => Date;
  newUID: () => string;
  randomIntn: (n: number) => number;
  strategyContext?: StrategyContext;
  admission?: CreateAdmission;
  /**
   * The admission chain (mutating phase after defaulting, validating phase after the strategy's
   * validation) for create, update, patch, delete and the status/scale subresources.
   */
  admissionChain?: AdmissionController;
  hooks?: ResourceHooks;
  /** Pods, services, namespaces answer DELETE with the object; others with a Status. */
  returnDeletedObject?: boolean;
  /** Graceful kinds (pods). */
  gracePeriod?: GracePeriodFn;
}

export interface ListParams extends ListOptions {
  /** The API version the list is served in. */
  version?: string;
}

const GENERATE_NAME_ATTEMPTS = 8;

export class ResourceRegistry {
  readonly def: ResourceDefinition;
  readonly groupResource: GroupResource;
  private readonly storageVersion: ResourceVersionDefinition;
  private readonly types = new Map<string, TypeNode>();

  constructor(
    def: ResourceDefinition,
    private readonly deps: RegistryDeps,
  ) {
    this.def = def;
    this.groupResource = { group: def.group, resource: def.plural };
    this.storageVersion = storageVersion(def);
  }

  get store(): ResourceStore {
    return this.deps.store;
  }

  /**
   * The watch cache of the resource, if enabled: for in-process followers (the quota controller)
   * that would otherwise open their own etcd watch. Its objects are shared: never mutate them.
   */
  get watchCache(): Cacher | undefined {
    return this.deps.cacher;
  }

  /** The served version (default: the storage version); 404-worthy errors are the caller's. */
  version(name?: string): ResourceVersionDefinition {
    if (!name) return this.storageVersion;
    const v = this.def.versions.find((x) => x.name === name && x.served);
    if (!v) throw newInternalError(`version ${name} of ${this.def.plural} is not served`);
    return v;
  }

  apiVersion(version?: string): string {
    return apiVersionOf(this.def.group, this.version(version).name);
  }

  /** The structure server-side apply uses for a version. */
  typeOf(version?: string): TypeNode {
    const v = this.version(version);
    let t = this.types.get(v.name);
    if (!t) {
      t = new SchemaConverter(versionSchemas(v)).named(v.schemaName);
      this.types.set(v.name, t);
    }
    return t;
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  /** The object as the watch cache holds it now (undefined when absent or not cached). */
  cachedObject(namespace: string | undefined, name: string): ApiObject | undefined {
    return this.deps.cacher?.getFromCache(this.ns(namespace), name)?.object;
  }

  /**
   * The stored objects of a namespace (or all) for in-process readers such as admission, as
   * upstream's plugins read their informers: from the watch cache once it holds every write this
   * server made to the resource (read-your-writes without an etcd round trip), else from etcd.
   * The objects are shared with the cache: callers must not mutate them.
   */
  async cachedList(namespace: string | undefined): Promise<ApiObject[]> {
    const { cacher, store } = this.deps;
    if (cacher) {
      const written = store.lastWriteRevision;
      try {
        const result = await cacher.list(
          this.ns(namespace),
          written > 0n
            ? { resourceVersion: written.toString(), resourceVersionMatch: 'NotOlderThan' }
            : { resourceVersion: '0' },
        );
        return result.items;
      } catch {
        // The cache did not catch up in time: read etcd.
      }
    }
    return (await store.list(this.ns(namespace), {})).items;
  }

  async get(
    namespace: string | undefined,
    name: string,
    resourceVersion?: string,
    version?: string,
  ): Promise<ApiObject> {
    const cached =
      resourceVersion === '0'
        ? this.deps.cacher?.getFromCache(this.ns(namespace), name)
        : undefined;
    if (cached) {
      if (!cached.object) throw this.notFound(name);
      return this.out(cached.object, version);
    }
    const obj = await this.deps.store.get(this.ns(namespace), name, resourceVersion);
    return this.out(obj, version);
  }

  async list(namespace: string | undefined, params: ListParams = {}): Promise<ApiObject> {
    const invalidOptions = listOptionsError(params);
    if (invalidOptions) throw invalidOptions;
    const sel = parseSelection(
      params.labelSelector,
      params.fieldSelector,
      this.def.fieldSelectors,
      this.def.namespaced,
    );
    const result = await (this.deps.cacher ?? this.deps.store).list(this.ns(namespace), {
      resourceVersion: params.resourceVersion,
      resourceVersionMatch: params.resourceVersionMatch,
      limit: params.limit,
      continue: params.continue,
      predicate: sel.predicate,
    });
    const metadata: Record<string, JsonValue> = { resourceVersion: result.resourceVersion };
    if (result.continue) metadata.continue = result.continue;
    if (result.remainingItemCount !== undefined)
      metadata.remainingItemCount = result.remainingItemCount;
    return {
      apiVersion: this.apiVersion(params.version),
      kind: this.def.listKind,
      metadata,
      items: result.items.map((o) => this.outShared(o, params.version)),
    };
  }

  /** Watches the collection (or one object with `name`); events carry objects in `version`. */
  watch(
    namespace: string | undefined,
    params: ListParams & { name?: string; deadline?: number },
    sink: WatchSink,
  ): StorageWatch {
    const invalidOptions = listOptionsError({ ...params, watch: true });
    if (invalidOptions) throw invalidOptions;
    const sel = parseSelection(
      params.labelSelector,
      params.fieldSelector,
      this.def.fieldSelectors,
      this.def.namespaced,
    );
    const apiVersion = this.apiVersion(params.version);
    // Built once per watch: a key built per batch and watcher would be hashed each time.
    const servedKey = `as:${apiVersion}`;
    const served = (e: StorageEvent): StorageEvent =>
      e.type === 'ERROR' || e.type === 'BOOKMARK'
        ? e
        : { type: e.type, object: this.outShared(e.object, params.version) };
    return (this.deps.cacher ?? this.deps.store).watch(
      this.ns(namespace),
      {
        resourceVersion: params.resourceVersion,
        ...(params.name !== undefined ? { name: params.name } : {}),
        predicate: sel.predicate,
        // Equal selectors select the same objects: the watch cache filters once for all of them.
        selectionKey: `${sel.labels?.toString() ?? ''}\u0000${sel.fields?.toString() ?? ''}`,
        allowBookmarks: params.allowWatchBookmarks === true,
        bookmark: (rv) => ({ apiVersion, kind: this.def.kind, metadata: { resourceVersion: rv } }),
        ...(params.deadline !== undefined ? { deadline: params.deadline } : {}),
      },
      {
        onEvent: (e) => sink.onEvent(served(e)),
        // A batch shared by many watchers is converted once per served version (memoized on the
        // shared array), so the sink below sees one shared array too.
        ...(sink.onEvents
          ? {
              onEvents: (events: readonly StorageEvent[]) =>
                sink.onEvents!(memoized(events, servedKey, () => events.map(served))),
            }
          : {}),
        onClose: (err) => sink.onClose(err),
        ...(sink.pending ? { pending: sink.pending.bind(sink) } : {}),
      },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Create

  async create(
    namespace: string | undefined,
    body: ApiObject,
    opts: WriteOptions = {},
    version?: string,
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    const obj = this.decodeBody(body, version, opts.fieldValidation, warnings);
    if (obj.metadata?.resourceVersion) {
      throw newBadRequest('resourceVersion should not be set on objects to be created');
    }
    const manager = this.managerName(opts);
    for (let attempt = 1; ; attempt++) {
      // obj is this request's own copy: only a generated name's retry needs it unchanged.
      const prepared = await this.prepareCreate(
        namespace,
        attempt === 1 && !obj.metadata?.generateName ? obj : deepCopyJson(obj),
        manager,
        false,
        warnings,
        opts,
        version,
      );
      try {
        const stored = await this.persistCreate(prepared, opts);
        // Nothing else holds `stored` (built for this request): relabel it without a copy.
        return {
          object: relabel(stored, this.apiVersion(version), this.def.kind),
          created: true,
          warnings,
        };
      } catch (err) {
        // A generated name that happens to exist: try another one, as upstream does.
        if (
          isAlreadyExists(err) &&
          !obj.metadata?.name &&
          obj.metadata?.generateName &&
          attempt < GENERATE_NAME_ATTEMPTS
        ) {
          continue;
        }
        throw err;
      }
    }
  }

  /** Everything before the storage write of a create; `obj` is in the storage version. */
  private async prepareCreate(
    namespace: string | undefined,
    obj: ApiObject,
    manager: string | undefined,
    fromApply: boolean,
    warnings: string[],
    opts: WriteOptions,
    version: string | undefined,
  ): Promise<ApiObject> {
    this.setNamespace(obj, namespace);
    const now = this.deps.now();
    this.def.strategy.default(obj);
    // Upstream order: decode and default, mutating admission, then the strategy and validation.
    const attrs = this.admissionAttributes(
      'CREATE',
      obj,
      undefined,
      namespace,
      opts,
      version,
      '',
      warnings,
    );
    obj = await this.admitMutating(attrs, obj);
    fillObjectMetaSystemFields(obj, {
      now,
      uid: this.deps.newUID(),
      randomIntn: this.deps.randomIntn,
    });
    delete obj.metadata!.resourceVersion;
    if (obj.metadata!.finalizers?.length === 0) delete obj.metadata!.finalizers;
    this.def.strategy.prepareForCreate(obj);
    this.validate(obj, this.def.strategy.validate(obj, this.ctx()));
    warnings.push(...(this.def.strategy.warnings?.(obj) ?? []));
    await this.deps.admission?.admitCreate(
      obj.metadata?.namespace,
      this.groupResource,
      obj.metadata?.name ?? '',
    );
    if (attrs) {
      attrs.object = obj;
      attrs.name = obj.metadata?.name ?? '';
      await this.deps.admissionChain!.validate(attrs);
    }
    if (manager !== undefined && !fromApply) {
      return updateManagedFields(undefined, obj, manager, this.fieldManagerOptions('', now));
    }
    return obj;
  }

  private async persistCreate(obj: ApiObject, opts: WriteOptions): Promise<ApiObject> {
    const dryRun = opts.dryRun === true;
    const tx = await this.deps.hooks?.beginCreate?.(obj, dryRun, opts.user);
    if (dryRun) {
      await tx?.revert();
      return obj;
    }
    let stored: ApiObject;
    try {
      stored = await this.deps.store.create(obj);
    } catch (err) {
      await tx?.revert();
      throw err;
    }
    await tx?.commit();
    return stored;
  }

  // ---------------------------------------------------------------------------------------------
  // Update and patch

  /** PUT of the main resource or of `status` / `finalize`. */
  async update(
    namespace: string | undefined,
    name: string,
    body: ApiObject,
    opts: WriteOptions = {},
    version?: string,
    subresource = '',
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    const incoming = this.decodeBody(body, version, opts.fieldValidation, warnings);
    this.checkName(incoming, name);
    const manager = this.managerName(opts);
    const allowCreate = subresource === '' && this.def.strategy.allowCreateOnUpdate;
    // The first attempt takes the decoded copy itself; a retry (a lost race, a stale cached
    // object) decodes the caller's body again (its warnings were already collected), since an
    // attempt changes the object it is given.
    let used = false;
    const fresh = (): ApiObject => {
      if (!used) {
        used = true;
        return incoming;
      }
      return this.decodeBody(body, version, opts.fieldValidation, []);
    };
    return this.writeThrough(namespace, name, opts, allowCreate, warnings, version, async (old) => {
      if (!old) {
        if (!allowCreate) throw this.notFound(name);
        return {
          obj: await this.prepareCreate(
            namespace,
            fresh(),
            manager,
            false,
            warnings,
            opts,
            version,
          ),
          created: true,
        };
      }
      const next = fresh();
      this.checkResourceVersion(next, old, name);
      return {
        obj: await this.prepareUpdate(
          next,
          old,
          subresource,
          manager,
          false,
          warnings,
          opts,
          version,
        ),
        created: false,
      };
    });
  }

  /** PATCH of the main resource or `status`, any patch type including server-side apply. */
  async patch(
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: JsonValue,
    opts: PatchRequestOptions = {},
    version?: string,
    subresource = '',
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    const v = this.version(version);
    const manager = this.managerName(opts);
    if (type === 'apply') {
      if (!opts.fieldManager) {
        throw newInvalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
          required(Path.new('fieldManager'), 'is required for apply patch'),
        ]);
      }
      const config = this.decodeApplyConfig(patch, name, v, opts.fieldValidation, warnings);
      const fm = this.fieldManagerOptions(subresource, this.deps.now(), v);
      return this.writeThrough(
        namespace,
        name,
        opts,
        subresource === '',
        warnings,
        version,
        async (old) => {
          if (!old) {
            if (subresource !== '') throw this.notFound(name);
            const applied = applyConfiguration(
              undefined,
              config,
              opts.fieldManager!,
              opts.force === true,
              fm,
            );
            const obj = this.toStorage(applied);
            return {
              obj: await this.prepareCreate(
                namespace,
                obj,
                undefined,
                true,
                warnings,
                opts,
                version,
              ),
              created: true,
            };
          }
          // A view of `old` in the served version: applying builds a new object from it.
          const live = relabel(old, this.apiVersion(v.name), this.def.kind);
          const applied = applyConfiguration(
            live,
            config,
            opts.fieldManager!,
            opts.force === true,
            fm,
          );
          if (config.metadata?.resourceVersion === undefined)
            applied.metadata!.resourceVersion = old.metadata?.resourceVersion;
          // `applied` is new (merged from copies): relabelled, not copied again.
          const next = relabel(
            applied,
            apiVersionOf(this.def.group, this.storageVersion.name),
            this.def.kind,
          );
          this.checkResourceVersion(next, old, name);
          return {
            obj: await this.prepareUpdate(
              next,
              old,
              subresource,
              undefined,
              true,
              warnings,
              opts,
              version,
            ),
            created: false,
          };
        },
      );
    }
    if (type === 'strategic' && !this.def.patchSchema) {
      throw patchTypeUnsupported();
    }
    return this.writeThrough(namespace, name, opts, false, warnings, version, async (old) => {
      if (!old) throw this.notFound(name);
      // A view of `old` in the served version, not a copy: every patch applier copies the
      // document it is given, so `old` stays untouched for the checks below.
      const current = relabel(old, this.apiVersion(v.name), this.def.kind);
      // managedFields are not copied when the patch leaves them alone (see patch.ts).
      const shared = withoutManagedFields(type, current, patch);
      const patched = applyPatch(
        type,
        shared?.view ?? current,
        patch,
        this.def.patchSchema?.(v.name),
      );
      const next = this.decodeBody(patched, v.name, opts.fieldValidation, warnings, 'patch');
      if (shared) restoreManagedFields(next, shared);
      this.checkName(next, name);
      this.checkResourceVersion(next, old, name);
      return {
        obj: await this.prepareUpdate(
          next,
          old,
          subresource,
          manager,
          false,
          warnings,
          opts,
          version,
        ),
        created: false,
      };
    });
  }

  /** Everything before the storage write of an update; `next` is in the storage version. */
  private async prepareUpdate(
    next: ApiObject,
    old: ApiObject,
    subresource: string,
    manager: string | undefined,
    fromApply: boolean,
    warnings: string[],
    opts: WriteOptions,
    version: string | undefined,
  ): Promise<ApiObject> {
    const meta = (next.metadata ??= {});
    meta.name = old.metadata?.name;
    if (this.def.namespaced) meta.namespace = old.metadata?.namespace;
    else delete meta.namespace;
    if (!meta.uid) meta.uid = old.metadata?.uid;
    if (meta.finalizers?.length === 0) delete meta.finalizers;
    this.def.strategy.default(next);
    const ns = old.metadata?.namespace;
    let attrs: AdmissionAttributes | undefined;
    if (subresource === 'scale') {
      // Admission sees the autoscaling/v1 Scale, as upstream; its replicas are what is written.
      const scaleAttrs = this.admissionAttributes(
        'UPDATE',
        this.toScale(next),
        this.toScale(old),
        ns,
        opts,
        version,
        'scale',
        warnings,
      );
      if (scaleAttrs) {
        await this.deps.admissionChain!.admit(scaleAttrs);
        next = this.fromScale(next, scaleAttrs.object!);
        scaleAttrs.object = this.toScale(next);
        attrs = scaleAttrs;
      }
    } else {
      attrs = this.admissionAttributes(
        'UPDATE',
        next,
        old,
        ns,
        opts,
        version,
        subresource,
        warnings,
      );
      next = await this.admitMutating(attrs, next);
    }
    let errs;
    if (subresource === 'status') {
      if (!this.def.statusStrategy)
        throw newInternalError(`${this.def.plural} has no status subresource`);
      this.def.statusStrategy.prepareForUpdate(next, old);
      errs = this.def.statusStrategy.validateUpdate(next, old, this.ctx());
    } else if (subresource === 'finalize') {
      if (!this.def.finalizeStrategy)
        throw newInternalError(`${this.def.plural} has no finalize subresource`);
      this.def.finalizeStrategy.prepareForUpdate(next, old);
      errs = this.def.finalizeStrategy.validateUpdate(next, old, this.ctx());
    } else {
      this.def.strategy.prepareForUpdate(next, old);
      errs = this.def.strategy.validateUpdate(next, old, this.ctx());
      warnings.push(...(this.def.strategy.warnings?.(next, old) ?? []));
    }
    this.validate(next, errs);
    if (attrs) {
      if (subresource !== 'scale') attrs.object = next;
      await this.deps.admissionChain!.validate(attrs);
    }
    if (manager !== undefined && !fromApply) {
      return updateManagedFields(
        old,
        next,
        manager,
        this.fieldManagerOptions(subresource, this.deps.now()),
      );
    }
    return next;
  }

  /**
   * Runs `transform` on the current object inside a guaranteed update (retried on lost races),
   * runs hooks, and honours dryRun. Deletes the object when an update removed its last finalizer.
   */
  private async writeThrough(
    namespace: string | undefined,
    name: string,
    opts: WriteOptions,
    allowCreate: boolean,
    warnings: string[],
    version: string | undefined,
    transform: (old: ApiObject | undefined) => Promise<{ obj: ApiObject; created: boolean }>,
  ): Promise<WriteResult> {
    const ns = this.ns(namespace);
    const dryRun = opts.dryRun === true;
    let created = false;
    let old: ApiObject | undefined;
    let tx: WriteTransaction | undefined;
    const attempt = async (current: ApiObject | undefined): Promise<ApiObject> => {
      await tx?.revert();
      tx = undefined;
      old = current;
      const result = await transform(current);
      created = result.created;
      tx = created
        ? await this.deps.hooks?.beginCreate?.(result.obj, dryRun, opts.user)
        : await this.deps.hooks?.beginUpdate?.(result.obj, current!, dryRun, opts.user);
      return result.obj;
    };
    let stored: ApiObject;
    if (dryRun) {
      const current = await this.deps.store.tryGet(ns, name);
      stored = await attempt(current);
      await tx?.revert();
      return { object: this.owned(stored, version), created, warnings };
    }
    try {
      const cachedExisting = this.deps.cacher?.getFromCache(ns, name)?.object;
      // The transforms read `old` and build the new object from copies (patch appliers copy,
      // update copies its body, apply converts a copy): no deep copy of the current object.
      stored = await this.deps.store.guaranteedUpdate(ns, name, attempt, {
        ignoreNotFound: allowCreate,
        readOnlyCurrent: true,
        ...(cachedExisting ? { cachedExisting } : {}),
      });
    } catch (err) {
      await tx?.revert();
      throw err;
    }
    await tx?.commit();
    if (old && !created && shouldDeleteDuringUpdate(stored, old)) {
      try {
        const gone = await this.deps.store.delete(ns, name, {
          preconditions: { resourceVersion: stored.metadata?.resourceVersion },
        });
        await this.deps.hooks?.afterDelete?.(gone);
        stored = gone;
      } catch (err) {
        // Someone changed it meanwhile; their write decides its fate.
        if (!isNotFound(err) && !(err instanceof StatusError && err.code === 409)) throw err;
      }
    }
    // `stored` was decoded for this request (or built by it): relabel it without a copy.
    return { object: this.owned(stored, version), created, warnings };
  }

  // ---------------------------------------------------------------------------------------------
  // Delete

  async delete(
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
    dryRun = false,
    version?: string,
    writeOptions: WriteOptions = {},
  ): Promise<DeleteResult> {
    const ns = this.ns(namespace);
    const opts: WriteOptions = { ...writeOptions, dryRun };
    for (;;) {
      const current = await this.deps.store.get(ns, name);
      this.checkDeletePreconditions(current, options, name);
      this.deps.hooks?.validateDelete?.(current);
      const attrs = this.admissionAttributes(
        'DELETE',
        undefined,
        current,
        namespace,
        opts,
        version,
        '',
        [],
        { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', ...options },
      );
      if (attrs) {
        await this.deps.admissionChain!.admit(attrs);
        await this.deps.admissionChain!.validate(attrs);
      }
      let decision = decideDeletion(current, options, this.deps.now(), this.deps.gracePeriod);
      if (decision.kind === 'delete' && this.deps.hooks?.blocksDeletion?.(current)) {
        decision = { kind: 'pending', object: current };
      }
      if (
        decision.kind === 'update' ||
        (decision.kind === 'pending' && !current.metadata?.deletionTimestamp)
      ) {
        const marked = decision.kind === 'update' ? decision.object : deepCopyJson(current);
        if (!marked.metadata?.deletionTimestamp) {
          marked.metadata = {
            ...marked.metadata,
            deletionTimestamp: this.nowTime(),
            deletionGracePeriodSeconds: 0,
          };
        }
        this.deps.hooks?.markTerminating?.(marked);
        if (dryRun) return { body: this.out(marked, version), deleted: false };
        try {
          const stored = await this.deps.store.guaranteedUpdate(ns, name, (latest) => {
            if (latest?.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
              throw newConflict(this.groupResource, name, OPTIMISTIC_LOCK_ERROR_MSG);
            }
            return marked;
          });
          if (decision.kind === 'update' && shouldDeleteNow(stored, this.deps.hooks)) continue;
          return { body: this.out(stored, version), deleted: false };
        } catch (err) {
          // Lost a race with another writer: decide again on the fresh object.
          if (err instanceof StatusError && err.code === 409 && options.preconditions === undefined)
            continue;
          throw err;
        }
      }
      if (decision.kind === 'pending') return { body: this.out(current, version), deleted: false };
      if (dryRun) return { body: this.deleteBody(current, version), deleted: true };
      try {
        const gone = await this.deps.store.delete(ns, name, {
          preconditions: {
            resourceVersion: current.metadata?.resourceVersion,
            ...(options.preconditions?.uid ? { uid: options.preconditions.uid } : {}),
          },
        });
        await this.deps.hooks?.afterDelete?.(gone);
        return { body: this.deleteBody(gone, version), deleted: true };
      } catch (err) {
        if (
          err instanceof StatusError &&
          err.code === 409 &&
          options.preconditions?.resourceVersion === undefined
        )
          continue;
        throw err;
      }
    }
  }

  /** Deletes every selected object; answers with the list of what was deleted or marked. */
  async deleteCollection(
    namespace: string | undefined,
    params: ListParams,
    options: DeleteOptions = {},
    dryRun = false,
    writeOptions: WriteOptions = {},
  ): Promise<ApiObject> {
    const list = await this.list(namespace, { ...params, limit: undefined, continue: undefined });
    const items: ApiObject[] = [];
    for (const item of list.items as ApiObject[]) {
      try {
        const r = await this.delete(
          item.metadata?.namespace,
          item.metadata!.name!,
          options,
          dryRun,
          params.version,
          writeOptions,
        );
        const body = r.body as ApiObject;
        items.push(body.kind === 'Status' ? item : body);
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
    }
    return { ...list, items };
  }

  // ---------------------------------------------------------------------------------------------
  // Scale

  /** The autoscaling/v1 Scale of an object. */
  toScale(obj: ApiObject): ApiObject {
    if (!this.def.scale) throw newInternalError(`${this.def.plural} has no scale subresource`);
    return scaleOf(this.def, obj) as unknown as ApiObject;
  }

  async getScale(namespace: string | undefined, name: string): Promise<ApiObject> {
    return this.toScale(await this.deps.store.get(this.ns(namespace), name));
  }

  /** PUT or PATCH of the scale subresource; `change` maps the current Scale to the desired one. */
  async updateScale(
    namespace: string | undefined,
    name: string,
    change: (current: ApiObject) => ApiObject,
    opts: WriteOptions = {},
  ): Promise<WriteResult> {
    const spec = this.def.scale;
    if (!spec) throw this.notFound(name);
    const manager = this.managerName(opts);
    const warnings: string[] = [];
    const result = await this.writeThrough(
      namespace,
      name,
      opts,
      false,
      warnings,
      undefined,
      async (old) => {
        if (!old) throw this.notFound(name);
        const scale = change(this.toScale(old));
        if (!isJsonObject(scale))
          throw newBadRequest('the body of the request is not a Scale object');
        const sm = (scale.metadata ?? {}) as { name?: string; resourceVersion?: string };
        if (sm.name !== undefined && sm.name !== name) {
          throw newBadRequest(
            `the name of the object (${sm.name}) does not match the name on the URL (${name})`,
          );
        }
        if (sm.resourceVersion && sm.resourceVersion !== old.metadata?.resourceVersion) {
          throw newConflict(this.groupResource, name, OPTIMISTIC_LOCK_ERROR_MSG);
        }
        const replicas = ((scale.spec ?? {}) as { replicas?: unknown }).replicas ?? 0;
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
          throw newInvalid({ group: 'autoscaling', kind: 'Scale' }, name, [
            invalid(Path.new('spec', 'replicas'), replicas, 'must be greater than or equal to 0'),
          ]);
        }
        const next = applyScale(this.def, old, { spec: { replicas } }) as ApiObject;
        return {
          obj: await this.prepareUpdate(
            next,
            old,
            'scale',
            manager,
            false,
            warnings,
            opts,
            undefined,
          ),
          created: false,
        };
      },
    );
    return { ...result, object: this.toScale(result.object) };
  }

  // ---------------------------------------------------------------------------------------------
  // Admission

  /** The attributes of an admission request, or undefined when no chain is configured. */
  admissionAttributes(
    operation: Operation,
    obj: ApiObject | undefined,
    old: ApiObject | undefined,
    namespace: string | undefined,
    opts: WriteOptions,
    version: string | undefined,
    subresource: string,
    warnings: string[],
    options?: ApiObject,
  ): AdmissionAttributes | undefined {
    if (!this.deps.admissionChain || opts.skipAdmission) return undefined;
    const v = this.version(version).name;
    const scale = subresource === 'scale';
    const meta = obj?.metadata ?? old?.metadata;
    const kindName = operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions';
    return {
      operation,
      resource: { group: this.def.group, version: v, resource: this.def.plural },
      subresource,
      kind: scale
        ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
        : { group: this.def.group, version: v, kind: this.def.kind },
      namespace: this.def.namespaced ? (meta?.namespace ?? namespace ?? '') : '',
      name: meta?.name ?? old?.metadata?.name ?? '',
      object: obj,
      oldObject: old,
      options: options ?? {
        apiVersion: 'meta.k8s.io/v1',
        kind: kindName,
        ...(opts.dryRun ? { dryRun: ['All'] } : {}),
        ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}),
      },
      dryRun: opts.dryRun === true,
      userInfo: opts.user ?? UNSECURED_USER,
      warnings,
      annotations: opts.auditAnnotations ?? {},
    };
  }

  /** Runs the mutating phase; returns the (possibly replaced) object, defaulted again if changed. */
  private async admitMutating(
    attrs: AdmissionAttributes | undefined,
    obj: ApiObject,
  ): Promise<ApiObject> {
    if (!attrs) return obj;
    await this.deps.admissionChain!.admit(attrs);
    const out = attrs.object ?? obj;
    // A webhook's patched object is decoded (and so defaulted) again upstream.
    if (attrs.mutated) this.def.strategy.default(out);
    return out;
  }

  /** The object with the replicas of an admitted Scale. */
  private fromScale(obj: ApiObject, scale: ApiObject): ApiObject {
    const replicas = ((scale.spec ?? {}) as { replicas?: unknown }).replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw newInvalid({ group: 'autoscaling', kind: 'Scale' }, obj.metadata?.name ?? '', [
        invalid(Path.new('spec', 'replicas'), replicas, 'must be greater than or equal to 0'),
      ]);
    }
    return applyScale(this.def, obj, { spec: { replicas } }) as ApiObject;
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** The object in a served version, for responses. */
  out(obj: ApiObject, version?: string): ApiObject {
    return asVersion(obj, this.apiVersion(version), this.def.kind);
  }

  /**
   * The object in a served version for read-only use (lists and watch events): the object itself
   * when it already is in that version, else a view computed once per object (watch-cache
   * objects are shared by every reader).
   */
  outShared(obj: ApiObject, version?: string): ApiObject {
    const apiVersion = this.apiVersion(version);
    if (obj.apiVersion === apiVersion && obj.kind === this.def.kind && startsWithTypeMeta(obj)) {
      return obj;
    }
    return memoized(obj, `as:${apiVersion}`, () => this.out(obj, version));
  }

  /** An object this request owns (nothing else holds it), in a served version, uncopied. */
  private owned(obj: ApiObject, version?: string): ApiObject {
    return relabel(obj, this.apiVersion(version), this.def.kind);
  }

  private toStorage(obj: ApiObject): ApiObject {
    return asVersion(obj, apiVersionOf(this.def.group, this.storageVersion.name), this.def.kind);
  }

  private ns(namespace: string | undefined): string | undefined {
    return this.def.namespaced ? namespace || undefined : undefined;
  }

  private ctx(): StrategyContext {
    return this.deps.strategyContext ?? {};
  }

  private nowTime(): string {
    return formatTime(this.deps.now());
  }

  private notFound(name: string): StatusError {
    return newNotFound(this.groupResource, name);
  }

  private managerName(opts: WriteOptions): string {
    if (opts.fieldManager) return opts.fieldManager;
    // Upstream: the User-Agent up to the first '/' ("kubectl/v1.32.4 ..." -> "kubectl").
    const ua = opts.userAgent ?? '';
    const product = ua.split('/')[0]!.trim();
    return product.length > 0 ? product.slice(0, 128) : 'unknown';
  }

  private fieldManagerOptions(
    subresource: string,
    now: Date,
    v: ResourceVersionDefinition = this.storageVersion,
  ) {
    return {
      type: this.typeOf(v.name),
      apiVersion: apiVersionOf(this.def.group, v.name),
      subresource,
      ignore: ignoreFor(subresource, hasSubresource(v, 'status')),
      now,
    };
  }

  private setNamespace(obj: ApiObject, namespace: string | undefined): void {
    const meta = (obj.metadata ??= {});
    if (!this.def.namespaced) {
      delete meta.namespace;
      return;
    }
    if (meta.namespace && namespace && meta.namespace !== namespace) {
      throw newBadRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (namespace) meta.namespace = namespace;
  }

  private checkName(obj: ApiObject, name: string): void {
    const got = obj.metadata?.name;
    if (got !== undefined && got !== '' && got !== name) {
      throw newBadRequest(
        `the name of the object (${got}) does not match the name on the URL (${name})`,
      );
    }
  }

  private checkResourceVersion(next: ApiObject, old: ApiObject, name: string): void {
    const meta = (next.metadata ??= {});
    const rv = meta.resourceVersion;
    if (!rv) {
      if (!this.def.strategy.allowUnconditionalUpdate) {
        throw newInvalid({ group: this.def.group, kind: this.def.kind }, name, [
          invalid(
            Path.new('metadata', 'resourceVersion'),
            '0x0',
            'must be specified for an update',
          ),
        ]);
      }
      meta.resourceVersion = old.metadata?.resourceVersion;
      return;
    }
    if (rv !== old.metadata?.resourceVersion) {
      throw newConflict(this.groupResource, name, OPTIMISTIC_LOCK_ERROR_MSG);
    }
  }

  private checkDeletePreconditions(current: ApiObject, options: DeleteOptions, name: string): void {
    const pre = options.preconditions;
    if (!pre) return;
    if (pre.uid !== undefined && pre.uid !== current.metadata?.uid) {
      throw newConflict(
        this.groupResource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata?.uid ?? ''}`,
      );
    }
    if (
      pre.resourceVersion !== undefined &&
      pre.resourceVersion !== current.metadata?.resourceVersion
    ) {
      throw newConflict(
        this.groupResource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata?.resourceVersion ?? ''}`,
      );
    }
  }

  private validate(
    obj: ApiObject,
    errs: ReturnType<ResourceDefinition['strategy']['validate']>,
  ): void {
    if (errs.length > 0) {
      throw newInvalid(
        { group: this.def.group, kind: this.def.kind },
        obj.metadata?.name ?? '',
        errs,
      );
    }
  }

  private deleteBody(obj: ApiObject, version?: string): ApiObject | Status {
    return this.deps.returnDeletedObject
      ? this.out(obj, version)
      : deleteSuccessStatus(this.def.group, this.def.plural, obj);
  }

  /**
   * Checks apiVersion/kind of a request body, applies fieldValidation (unknown fields: 400 under
   * Strict, warnings under Warn, dropped always), and returns it in the storage version.
   */
  decodeBody(
    body: ApiObject,
    version: string | undefined,
    fieldValidation: FieldValidation | undefined,
    warnings: string[],
    origin: 'body' | 'patch' = 'body',
  ): ApiObject {
    if (!isJsonObject(body)) throw newBadRequest('the body of the request must be a JSON object');
    const v = this.version(version);
    const expected = apiVersionOf(this.def.group, v.name);
    this.checkTypeMeta(body, expected);
    // One copy of a request body, relabelled in place (asServed would copy it again). A patch
    // result needs none: every patch applier returns a fresh copy sharing nothing with its
    // inputs, and nothing else holds it.
    const owned = origin === 'patch' ? body : deepCopyJson(body);
    const obj = relabel(owned, apiVersionOf(this.def.group, v.name), this.def.kind);
    const unknown = this.prune(obj);
    if (unknown.length > 0) {
      const list = unknown.map((f) => `unknown field "${f}"`);
      if ((fieldValidation ?? 'Warn') === 'Strict') {
        const detail = `strict decoding error: ${list.join(', ')}`;
        throw newBadRequest(
          origin === 'body'
            ? `${this.def.kind} in version "${v.name}" cannot be handled as a ${this.def.kind}: ${detail}`
            : detail,
        );
      }
      if (fieldValidation !== 'Ignore') warnings.push(...list);
    }
    // `obj` is the copy made above: relabel it without copying it again.
    return relabel(obj, apiVersionOf(this.def.group, this.storageVersion.name), this.def.kind);
  }

  /** Drops undeclared fields (structural pruning for custom resources); returns their paths. */
  /** The definition prunes by the object's own apiVersion (set by the caller). */
  private prune(obj: ApiObject): string[] {
    return this.def.pruneUnknownFields(obj);
  }

  private checkTypeMeta(body: ApiObject, expected: string): void {
    const { apiVersion, kind } = body;
    if (apiVersion !== undefined && apiVersion !== expected) {
      throw newBadRequest(
        `the API version in the data (${String(apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (kind !== undefined && kind !== this.def.kind) {
      throw newBadRequest(
        `the kind in the data (${String(kind)}) does not match the expected kind (${this.def.kind})`,
      );
    }
  }

  /** The applied configuration of a server-side apply, checked and pruned. */
  private decodeApplyConfig(
    patch: JsonValue,
    name: string,
    v: ResourceVersionDefinition,
    fieldValidation: FieldValidation | undefined,
    warnings: string[],
  ): ApiObject {
    if (!isJsonObject(patch)) throw newBadRequest('the applied configuration must be an object');
    const config = deepCopyJson(patch) as unknown as ApiObject;
    const expected = apiVersionOf(this.def.group, v.name);
    if (config.apiVersion === undefined || config.kind === undefined) {
      throw newBadRequest(
        'invalid object type: apiVersion and kind must be set in an applied configuration',
      );
    }
    this.checkTypeMeta(config, expected);
    const cfgName = config.metadata?.name;
    if (cfgName === undefined || cfgName === '') {
      config.metadata = { ...(config.metadata ?? {}), name };
    } else if (cfgName !== name) {
      throw newBadRequest(
        `the name of the object (${cfgName}) does not match the name on the URL (${name})`,
      );
    }
    const unknown = this.prune(config);
    if (unknown.length > 0) {
      if ((fieldValidation ?? 'Warn') === 'Strict') {
        const m = config.metadata ?? {};
        const where = m.namespace ? `${m.namespace}/${m.name}` : `${m.name}`;
        throw newBadRequest(
          `failed to create typed patch object (${where}; ${expected}, Kind=${this.def.kind}): ${unknown
            .map((f) => `.${f}: field not declared in schema`)
            .join(', ')}`,
        );
      }
      if (fieldValidation !== 'Ignore')
        warnings.push(...unknown.map((f) => `unknown field "${f}"`));
    }
    return config;
  }
}

function shouldDeleteNow(stored: ApiObject, hooks: ResourceHooks | undefined): boolean {
  const m = stored.metadata ?? {};
  return (
    !!m.deletionTimestamp &&
    (m.finalizers ?? []).length === 0 &&
    (m.deletionGracePeriodSeconds ?? 0) === 0 &&
    !(hooks?.blocksDeletion?.(stored) ?? false)
  );
}

function patchTypeUnsupported(): StatusError {
  return new StatusError({
    status: 'Failure',
    message:
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    reason: 'UnsupportedMediaType',
    code: 415,
  });
}
