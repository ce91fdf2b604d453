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
  runApiServerComponent,
  builtinDefinitions,
  customResourceSupport,
  packageVersion,
} from './cli/run.js';
export type { EmbeddingOptions } from './cli/run.js';
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
export type {
  AuthorizationResult,
  Credentials,
  RequestAttributes,
  RequestGuard,
  UserInfo,
} from './auth/types.js';

// The gRPC front door (kubets.api.v1.Resources; the contract is @kubets/api/grpc).
export { startGrpcServer } from './grpc/server.js';
export type { GrpcServerOptions, RunningGrpcServer } from './grpc/server.js';
export { createResourcesService } from './grpc/service.js';
export type { ResourcesServiceOptions } from './grpc/service.js';
export { InflightLimiter } from './request/inflight.js';
// Auditing, for any front door (REST uses auditHttpRequest; gRPC drives an AuditContext)
export { Auditor, AuditContext, isSensitive, microTime } from './audit/auditor.js';
export type { AuditBackend, AuditorOptions, AuditRequest } from './audit/auditor.js';
export { AuditPolicyError, evaluatePolicy, parsePolicy } from './audit/policy.js';
export type { RequestAuditConfig } from './audit/policy.js';
export * from './audit/types.js';
export { logBackend, setupAuditLog } from './audit/setup.js';
export type { AuditLogOptions, AuditSetup } from './audit/setup.js';
export { RotatingFile } from './audit/log-writer.js';
export { AUDIT_ID_HEADER, auditHttpRequest } from './audit/http.js';

// Encryption at rest and serving certificates
export { EncryptionAtRest, transformationMetrics } from './storage/encryption/encryption.js';
export {
  EncryptionConfigError,
  parseEncryptionConfiguration,
  ResourceTransformers,
} from './storage/encryption/config.js';
export type { EncryptionConfiguration } from './storage/encryption/config.js';
export type { TransformationObserver, ValueTransformer } from './storage/encryption/transformer.js';
export { ensureServingCert, generateSelfSignedCertKey } from './cli/serving-cert.js';
// Authentication and authorization
export { SecurityChain, ANONYMOUS_USER } from './auth/chain.js';
export type { SecurityChainOptions, TokenAuthResult } from './auth/chain.js';
export { startSecurity, AUTHORIZATION_MODES } from './auth/security.js';
export type { AuthorizationMode, RunningSecurity, SecurityOptions } from './auth/security.js';
export { SYSTEM_USER } from './auth/context.js';
export {
  ServiceAccountAuthenticator,
  TokenSigner,
  publicKeysFromPem,
  keyID,
} from './auth/authn/serviceaccount.js';
export { parseTokenFile } from './auth/authn/token-file.js';
export { userFromCertificate } from './auth/authn/x509.js';
export { RbacAuthorizer } from './auth/authz/rbac.js';
export { NodeAuthorizer, NodeGraph, nodeIdentity } from './auth/authz/node.js';
export { ruleAllows, rulesAllow, uncoveredRules, compactString } from './auth/authz/rules.js';
export type { Authorizer, Decision, RuleSet } from './auth/authz/authorizer.js';
export {
  bootstrapClusterRoles,
  bootstrapClusterRoleBindings,
  NODE_RULES,
} from './auth/policy/bootstrap-policy.js';
// Admission: the chain, plugin names, and the plugin contract.
export { AdmissionChain } from './admission/chain.js';
export { ALL_ORDERED_PLUGINS, DEFAULT_ON_PLUGINS, resolvePlugins } from './admission/plugins.js';
export type { AdmissionOptions } from './admission/build.js';
export type {
  AdmissionAttributes,
  AdmissionController,
  AdmissionPlugin,
  MutatingPlugin,
  ValidatingPlugin,
} from './admission/types.js';
export { podSecurityFromAdmissionConfig } from './admission/podsecurity/policy.js';
export type { PodSecurityConfig } from './admission/podsecurity/policy.js';
export { Cacher, DEFAULT_MAX_PENDING_BYTES } from './storage/cacher/cacher.js';
export type { CacherOptions, CacheObserver } from './storage/cacher/cacher.js';
export { WatchCache } from './storage/cacher/watch-cache.js';
export type { CacheEvent, WindowOptions } from './storage/cacher/watch-cache.js';
export { WatchCacheSizes } from './storage/cacher/sizes.js';
export { OpenAPIV2Service, swaggerDocument, encodeSwaggerProto } from './http/openapi-v2.js';
