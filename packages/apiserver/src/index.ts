/**
 * @kubets/apiserver: the Kubernetes API server of kubets — REST that kubectl and client libraries
 * drive, stored on etcd v3 (real etcd or kubets-store). The binary is `kubets-apiserver`; these
 * exports let other packages embed the server or reuse its parts.
 */

// Running a server
export { startApiServer } from './server.js';
export type { ApiServerOptions, RunningApiServer } from './server.js';
export {
  runApiServer,
  builtinDefinitions,
  customResourceSupport,
  packageVersion,
} from './cli/run.js';
export { apiServerFlags } from './cli/flags.js';
export { versionInfo, KUBERNETES_MAJOR, KUBERNETES_MINOR } from './version.js';
export { ApiServerMetrics } from './metrics.js';

// Storage: the etcd v3 client and Kubernetes storage semantics
export { EtcdClient } from './storage/etcd/etcd-client.js';
export type { EtcdClientOptions, EtcdTLSOptions } from './storage/etcd/etcd-client.js';
export { parseEtcdServers, prefixRangeEnd } from './storage/etcd/endpoints.js';
export { WatchCompactedError } from './storage/etcd/watch-mux.js';
export type {
  EtcdWatch,
  EtcdWatchHandler,
  EtcdWatchOptions,
  EtcdEvent,
} from './storage/etcd/watch-mux.js';
export { ResourceStore } from './storage/store.js';
export type { ListResult, StoreListOptions, StorageObserver, UpdateFunc } from './storage/store.js';
export type { StorageEvent, StorageWatch, WatchOptions, WatchSink } from './storage/watcher.js';
export { KeyLayout, resourcePrefix, normalizePathPrefix } from './storage/keys.js';
export { Compactor, compactOnce, COMPACT_REV_KEY } from './storage/compactor.js';
export type { ApiObject } from './storage/codec.js';

// Registry: one code path for every resource
export { ResourceRegistry } from './registry/resource-registry.js';
export type {
  DeleteResult,
  FieldValidation,
  ListParams,
  PatchRequestOptions,
  RegistryDeps,
  ResourceHooks,
  WriteOptions,
  WriteResult,
} from './registry/resource-registry.js';
export { Catalog, compareVersions } from './registry/catalog.js';
export type * from './registry/definition.js';
export {
  applyConfiguration,
  updateManagedFields,
  conflictError,
} from './registry/fieldmanager/field-manager.js';
export { FieldSet, formatPath } from './registry/fieldmanager/fieldpath.js';
export { SchemaConverter } from './registry/fieldmanager/schema.js';
export { decideDeletion, finalizersForGC, podGracePeriod } from './registry/deletion.js';
export { CustomResourceController, CRD_CLEANUP_FINALIZER } from './registry/crds.js';

// REST
export { createApiHandler } from './http/handler.js';
export type { ApiHandlerOptions, ActionSubresource, VersionInfo } from './http/handler.js';
export { OpenAPIService } from './http/openapi.js';
export { parseRequestInfo } from './http/request-info.js';
export { decodeProtobufObject } from './http/protobuf.js';

// The security contract both front doors use.
export { allowAllGuard, UNSECURED_USER } from './auth/types.js';
export type { Credentials, RequestAttributes, RequestGuard, UserInfo } from './auth/types.js';
export { Cacher, DEFAULT_MAX_PENDING_BYTES } from './storage/cacher/cacher.js';
export type { CacherOptions, CacheObserver } from './storage/cacher/cacher.js';
export { WatchCache } from './storage/cacher/watch-cache.js';
export type { CacheEvent, WindowOptions } from './storage/cacher/watch-cache.js';
export { WatchCacheSizes } from './storage/cacher/sizes.js';
export { OpenAPIV2Service, swaggerDocument, encodeSwaggerProto } from './http/openapi-v2.js';
