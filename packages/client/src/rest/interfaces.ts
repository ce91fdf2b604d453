/**
 * The transport-independent client contract: what client-go's dynamic client and
 * `cache.ListerWatcher` offer, expressed over plain JSON objects. The in-memory fake
 * (`@kubets/client/testing`) implements it today; the gRPC transport to the API server
 * implements the same interfaces, so informers, leader election and the event recorder work
 * unchanged on either.
 */
import type {
  CreateOptions,
  DeleteOptions,
  GetOptions,
  GroupVersionResource,
  KubeObject,
  ListOptions,
  PatchOptions,
  Status,
  UpdateOptions,
  WatchEventType,
} from '@kubets/apimachinery';

/** Cancellation for any request. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** One page of a list: the items, the revision they were read at, and the next page's token. */
export interface ListResult<T> {
  items: T[];
  /** The list's resourceVersion: watch from here to see every later change. */
  resourceVersion: string;
  /** Set when more items remain; pass as `continue` (with the same selectors) for the next page. */
  continue?: string;
  /** An estimate of the items after this page, when the server can tell cheaply. */
  remainingItemCount?: number;
}

/**
 * A watch event. For ERROR the object is a Status (410 Expired for a compacted resourceVersion);
 * for BOOKMARK an object carrying only `metadata.resourceVersion` (and its kind).
 */
export type WatchEvent<T> =
  { type: Exclude<WatchEventType, 'ERROR'>; object: T } | { type: 'ERROR'; object: Status };

/**
 * A watch: iterate it for events; the iteration ends when the server closes the watch (timeout,
 * restart) and throws on a transport failure. `close()` stops it from the client side; after it,
 * the iteration ends without error. Only one consumer may iterate a stream.
 */
export interface WatchStream<T> extends AsyncIterable<WatchEvent<T>> {
  close(): void;
  readonly closed: boolean;
}

/** cache.ListerWatcher: what a reflector needs. */
export interface ListerWatcher<T> {
  list(options: ListOptions & RequestOptions): Promise<ListResult<T>>;
  watch(options: ListOptions & RequestOptions): Promise<WatchStream<T>>;
}

export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

export const JSON_PATCH: PatchType = 'application/json-patch+json';
export const MERGE_PATCH: PatchType = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH: PatchType = 'application/strategic-merge-patch+json';
export const APPLY_PATCH: PatchType = 'application/apply-patch+yaml';

/** Subresource writes go through update/patch with `subresource` (e.g. `status`, `scale`). */
export interface SubresourceOptions {
  subresource?: string;
}

/**
 * Operations on one resource, bound to a namespace, or to all namespaces / the cluster scope.
 * Errors are StatusErrors from `@kubets/apimachinery` (`isNotFound`, `isConflict`, ...) or
 * {@link ConnectionError}s for transport failures.
 */
export interface ResourceClient<T extends KubeObject = KubeObject> extends ListerWatcher<T> {
  /** `subresource` reads e.g. `status` or `scale` (a Scale object, whatever T is). */
  get(name: string, options?: GetOptions & RequestOptions & SubresourceOptions): Promise<T>;
  list(options?: ListOptions & RequestOptions): Promise<ListResult<T>>;
  watch(options?: ListOptions & RequestOptions): Promise<WatchStream<T>>;
  create(obj: T, options?: CreateOptions & RequestOptions & SubresourceOptions): Promise<T>;
  /** Replaces the object; `metadata.resourceVersion`, when set, is an optimistic-lock precondition. */
  update(obj: T, options?: UpdateOptions & RequestOptions & SubresourceOptions): Promise<T>;
  /** `update` on the status subresource: only `status` changes. */
  updateStatus(obj: T, options?: UpdateOptions & RequestOptions): Promise<T>;
  patch(
    name: string,
    patchType: PatchType,
    patch: unknown,
    options?: PatchOptions & RequestOptions & SubresourceOptions,
  ): Promise<T>;
  delete(name: string, options?: DeleteOptions & RequestOptions): Promise<void>;
  deleteCollection(
    options?: DeleteOptions & RequestOptions,
    listOptions?: ListOptions,
  ): Promise<void>;
}

/** A resource client that can be narrowed to one namespace (dynamic.NamespaceableResourceInterface). */
export interface NamespaceableResourceClient<
  T extends KubeObject = KubeObject,
> extends ResourceClient<T> {
  namespace(namespace: string): ResourceClient<T>;
}

/** dynamic.Interface: a client for any group/version/resource. */
export interface DynamicClient {
  resource<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
  ): NamespaceableResourceClient<T>;
}
