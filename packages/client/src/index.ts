/**
 * @kubets/client: the client-go of kubets. The client contract (ResourceClient, ListerWatcher,
 * DynamicClient), its gRPC transport and clientset, configuration from kubeconfig or in-cluster
 * service-account files, request policy (rate limiting, retries),
 * informers (reflector, DeltaFIFO, indexers, listers, shared informers and their factory),
 * workqueues, leader election and the event recorder. Fakes live in `@kubets/client/testing`.
 */

// Time, backoff, logging
export { realClock, sleep, type Clock, type Timer } from './util/clock.js';
export {
  ExponentialBackoff,
  BackoffManager,
  REFLECTOR_BACKOFF,
  jitter,
  type BackoffOptions,
  type BackoffManagerOptions,
  type Random,
} from './util/backoff.js';
export { noopLogger, stderrLogger, type Logger, type KeyValues } from './util/logger.js';

// Client contract, errors, request policy
export type {
  DynamicClient,
  ListResult,
  ListerWatcher,
  NamespaceableResourceClient,
  PatchType,
  RequestOptions,
  ResourceClient,
  SubresourceOptions,
  WatchEvent,
  WatchStream,
} from './rest/interfaces.js';
export { JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH } from './rest/interfaces.js';
export {
  ConnectionError,
  isConnectionError,
  isConnectionRefused,
  isReadOnlyVerb,
  isRetriable,
  retryAfterMs,
  type ConnectionErrorOptions,
  type Verb,
} from './rest/errors.js';
export {
  runRequest,
  DEFAULT_RETRY_POLICY,
  NO_RETRIES,
  type RetryPolicy,
  type RequestContext,
} from './rest/retry.js';
export { withRequestPolicy, withDynamicRequestPolicy } from './rest/policy-client.js';
export { WatchChannel } from './rest/watch-channel.js';
export {
  isNotFound,
  isConflict,
  isAlreadyExists,
  isForbidden,
  isGone,
  isResourceExpired,
  isInvalid,
  isTooManyRequests,
  isServerTimeout,
  isTimeout,
  isServiceUnavailable,
  isInternalError,
  isUnauthorized,
  isBadRequest,
  StatusError,
} from '@kubets/apimachinery';

// Configuration: kubeconfig, in-cluster, tokens
export {
  loadKubeconfig,
  parseKubeconfig,
  mergeKubeconfigs,
  resolveLocalPaths,
  kubeconfigPaths,
  emptyKubeconfig,
  KubeconfigError,
  type Kubeconfig,
  type KubeconfigLoadOptions,
  type Cluster,
  type AuthInfo,
  type Context,
  type NamedExtension,
} from './config/kubeconfig.js';
export {
  buildClientConfig,
  loadClientConfig,
  inClusterConfig,
  grpcServerFor,
  NotInClusterError,
  DEFAULT_GRPC_PORT,
  GRPC_SERVER_EXTENSION,
  SERVICE_ACCOUNT_DIR,
  EMPTY_CONFIG_MESSAGE,
  NOT_IN_CLUSTER_MESSAGE,
  type ClientConfig,
  type ConfigOverrides,
  type BuildOptions,
  type InClusterOptions,
} from './config/client-config.js';
export {
  FileTokenSource,
  staticTokenSource,
  TOKEN_FILE_REFRESH_MS,
  type TokenSource,
  type FileTokenSourceOptions,
} from './config/token-source.js';

// The gRPC transport and the clientset
export { GrpcDynamicClient, type DiscoveredResource } from './grpc/dynamic-client.js';
export {
  ResourcesChannel,
  DEFAULT_CHANNEL_OPTIONS,
  defaultUserAgent,
  type ChannelSettings,
} from './grpc/channel.js';
export {
  errorFromGrpc,
  statusFromTrailers,
  STATUS_METADATA_KEY,
  RETRY_AFTER_METADATA_KEY,
} from './grpc/errors.js';
export {
  newClientset,
  typedClients,
  rateLimiterFor,
  scalable,
  podClient,
  BUILTIN_GVRS,
  type Clientset,
  type ClientsetOptions,
  type TypedClients,
  type Scale,
  type Binding,
  type Eviction,
  type ScalableResourceClient,
  type PodResourceClient,
} from './clientset.js';

// Flow control
export { TokenBucket } from './flowcontrol/token-bucket.js';
export {
  TokenBucketRateLimiter,
  unlimitedRateLimiter,
  DEFAULT_CLIENT_QPS,
  DEFAULT_CLIENT_BURST,
  type RequestRateLimiter,
  type TokenBucketRateLimiterOptions,
} from './flowcontrol/rate-limiter.js';

// Informers and caches
export {
  DeletedFinalStateUnknown,
  isDeletedFinalStateUnknown,
  KeyError,
  metaNamespaceKeyFunc,
  deletionHandlingKeyFunc,
  defaultKeyFunc,
  splitMetaNamespaceKey,
  type KeyFunc,
} from './cache/keys.js';
export {
  ThreadSafeStore,
  IndexNotFoundError,
  type IndexFunc,
  type Indexers,
} from './cache/thread-safe-store.js';
export {
  newIndexer,
  newStore,
  newNamespacedIndexer,
  NAMESPACE_INDEX,
  metaNamespaceIndexFunc,
  type Store,
  type Indexer,
  type ReflectorStore,
} from './cache/store.js';
export { Lister, listAll, listAllByNamespace, type NamespaceLister } from './cache/listers.js';
export {
  DeltaFIFO,
  FIFOClosedError,
  RequeueError,
  type Delta,
  type DeltaType,
  type DeltaFIFOOptions,
  type KeyListerGetter,
  type PopProcessFunc,
} from './cache/delta-fifo.js';
export { listAllPages, DEFAULT_PAGE_SIZE, type PagedListResult } from './cache/pager.js';
export {
  Reflector,
  isExpiredError,
  isTooLargeResourceVersionError,
  MIN_WATCH_TIMEOUT_MS,
  type ReflectorOptions,
} from './cache/reflector.js';
export { type ResourceEventHandler } from './cache/processor.js';
export {
  SharedIndexInformer,
  waitForCacheSync,
  MINIMUM_RESYNC_PERIOD_MS,
  type HandlerRegistration,
  type SharedIndexInformerOptions,
} from './cache/shared-informer.js';
export {
  SharedInformerFactory,
  type SharedInformerFactoryOptions,
  type InformerOptions,
} from './cache/informer-factory.js';

// Workqueue
export { WorkQueue, type QueueOptions, type GetResult } from './workqueue/queue.js';
export { DelayingQueue } from './workqueue/delaying-queue.js';
export {
  RateLimitingQueue,
  type RateLimitingQueueOptions,
} from './workqueue/rate-limiting-queue.js';
export {
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  DEFAULT_ITEM_BASE_DELAY_MS,
  DEFAULT_ITEM_MAX_DELAY_MS,
  DEFAULT_BUCKET_QPS,
  DEFAULT_BUCKET_BURST,
  type RateLimiter,
} from './workqueue/rate-limiters.js';
export {
  WorkqueueMetricsProvider,
  workqueueMetricsProvider,
  type QueueMetrics,
} from './workqueue/metrics.js';

// Leader election
export {
  LeaderElector,
  validateLeaderElectionConfig,
  JITTER_FACTOR,
  type LeaderCallbacks,
  type LeaderElectionConfig,
} from './leaderelection/leader-elector.js';
export {
  serializeRecord,
  type LeaderElectionRecord,
  type ResourceLock,
} from './leaderelection/resource-lock.js';
export {
  LeaseLock,
  LEASES,
  leaseSpecToRecord,
  recordToLeaseSpec,
  type Lease,
  type LeaseSpec,
  type LeaseLockOptions,
} from './leaderelection/lease-lock.js';

// Events
export {
  EVENTS,
  objectReference,
  type Event,
  type EventSeries,
  type EventType,
  type ObjectReference,
} from './events/types.js';
export {
  EventCorrelator,
  EventNamer,
  eventKey,
  spamKey,
  aggregateByReason,
  aggregateMessage,
  DEFAULT_AGGREGATE_MAX_EVENTS,
  DEFAULT_AGGREGATE_INTERVAL_SECONDS,
  DEFAULT_SPAM_BURST,
  DEFAULT_SPAM_QPS,
  type CorrelatorOptions,
  type CorrelateResult,
} from './events/correlator.js';
export {
  EventBroadcaster,
  EventRecorder,
  resourceEventSink,
  sprintf,
  MAX_TRIES_PER_EVENT,
  DEFAULT_RETRY_SLEEP_MS,
  MAX_QUEUED_EVENTS,
  MAX_NOTE_BYTES,
  type EventSink,
  type EventBroadcasterOptions,
} from './events/recorder.js';
