/**
 * `@kubets/api/grpc`: the kubets resource API's gRPC contract (proto/kubets/api/v1/resources.proto)
 * for both ends — the generated service definition and message types, and the one table that
 * maps a Kubernetes Status to a gRPC status code, so the server and @kubets/client agree on it.
 */
import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import type { Status, StatusReason } from '@kubets/apimachinery';

export { loadGrpcObject, loaderOptions, packageDefinition } from './gen/resources/load.js';
export type { ProtoGrpcType } from './gen/resources/load.js';
export type {
  ResourcesClient,
  ResourcesDefinition,
  ResourcesHandlers,
} from './gen/resources/types/kubets/api/v1/Resources.js';
export type {
  APIResource,
  APIResource__Output,
} from './gen/resources/types/kubets/api/v1/APIResource.js';
export type {
  CreateRequest,
  CreateRequest__Output,
} from './gen/resources/types/kubets/api/v1/CreateRequest.js';
export type {
  DeleteCollectionRequest,
  DeleteCollectionRequest__Output,
} from './gen/resources/types/kubets/api/v1/DeleteCollectionRequest.js';
export type {
  DeleteOptions as GrpcDeleteOptions,
  DeleteOptions__Output as GrpcDeleteOptions__Output,
} from './gen/resources/types/kubets/api/v1/DeleteOptions.js';
export type {
  DeleteRequest,
  DeleteRequest__Output,
} from './gen/resources/types/kubets/api/v1/DeleteRequest.js';
export type {
  DiscoveryRequest,
  DiscoveryRequest__Output,
} from './gen/resources/types/kubets/api/v1/DiscoveryRequest.js';
export type {
  DiscoveryResponse,
  DiscoveryResponse__Output,
} from './gen/resources/types/kubets/api/v1/DiscoveryResponse.js';
export type {
  GetRequest,
  GetRequest__Output,
} from './gen/resources/types/kubets/api/v1/GetRequest.js';
export type {
  ListOptions as GrpcListOptions,
  ListOptions__Output as GrpcListOptions__Output,
} from './gen/resources/types/kubets/api/v1/ListOptions.js';
export type {
  ListRequest,
  ListRequest__Output,
} from './gen/resources/types/kubets/api/v1/ListRequest.js';
export type {
  ListResponse,
  ListResponse__Output,
} from './gen/resources/types/kubets/api/v1/ListResponse.js';
export type {
  ObjectResponse,
  ObjectResponse__Output,
} from './gen/resources/types/kubets/api/v1/ObjectResponse.js';
export type {
  PatchRequest,
  PatchRequest__Output,
} from './gen/resources/types/kubets/api/v1/PatchRequest.js';
export type {
  PatchType,
  PatchType__Output,
} from './gen/resources/types/kubets/api/v1/PatchType.js';
export type {
  Preconditions,
  Preconditions__Output,
} from './gen/resources/types/kubets/api/v1/Preconditions.js';
export type {
  ResourceRef,
  ResourceRef__Output,
} from './gen/resources/types/kubets/api/v1/ResourceRef.js';
export type {
  Subresource,
  Subresource__Output,
} from './gen/resources/types/kubets/api/v1/Subresource.js';
export type {
  UpdateRequest,
  UpdateRequest__Output,
} from './gen/resources/types/kubets/api/v1/UpdateRequest.js';
export type {
  WatchEvent as GrpcWatchEvent,
  WatchEvent__Output as GrpcWatchEvent__Output,
} from './gen/resources/types/kubets/api/v1/WatchEvent.js';
export type {
  WatchRequest,
  WatchRequest__Output,
} from './gen/resources/types/kubets/api/v1/WatchRequest.js';
export type {
  WriteOptions as GrpcWriteOptions,
  WriteOptions__Output as GrpcWriteOptions__Output,
} from './gen/resources/types/kubets/api/v1/WriteOptions.js';

/** The service's full name, as it appears in method paths (`/kubets.api.v1.Resources/Get`). */
export const RESOURCES_SERVICE = 'kubets.api.v1.Resources';

/** Trailing metadata key carrying the failed call's full Kubernetes Status as JSON. */
export const STATUS_METADATA_KEY = 'kubets-status-bin';

/** Trailing metadata key with REST's Retry-After (seconds) for TooManyRequests. */
export const RETRY_AFTER_METADATA_KEY = 'retry-after';

/** The gRPC code for each Kubernetes Status reason (the table in resources.proto). */
const CODE_BY_REASON: Partial<Record<StatusReason, GrpcStatus>> = {
  NotFound: GrpcStatus.NOT_FOUND,
  AlreadyExists: GrpcStatus.ALREADY_EXISTS,
  Conflict: GrpcStatus.ABORTED,
  Invalid: GrpcStatus.INVALID_ARGUMENT,
  BadRequest: GrpcStatus.INVALID_ARGUMENT,
  NotAcceptable: GrpcStatus.INVALID_ARGUMENT,
  UnsupportedMediaType: GrpcStatus.INVALID_ARGUMENT,
  Forbidden: GrpcStatus.PERMISSION_DENIED,
  Unauthorized: GrpcStatus.UNAUTHENTICATED,
  Expired: GrpcStatus.OUT_OF_RANGE,
  Gone: GrpcStatus.OUT_OF_RANGE,
  TooManyRequests: GrpcStatus.RESOURCE_EXHAUSTED,
  RequestEntityTooLarge: GrpcStatus.RESOURCE_EXHAUSTED,
  Timeout: GrpcStatus.DEADLINE_EXCEEDED,
  ServerTimeout: GrpcStatus.UNAVAILABLE,
  ServiceUnavailable: GrpcStatus.UNAVAILABLE,
  MethodNotAllowed: GrpcStatus.UNIMPLEMENTED,
  InternalError: GrpcStatus.INTERNAL,
  StoreReadError: GrpcStatus.INTERNAL,
};

/** Statuses without a (known) reason fall back to their HTTP code. */
const CODE_BY_HTTP: Record<number, GrpcStatus> = {
  400: GrpcStatus.INVALID_ARGUMENT,
  401: GrpcStatus.UNAUTHENTICATED,
  403: GrpcStatus.PERMISSION_DENIED,
  404: GrpcStatus.NOT_FOUND,
  405: GrpcStatus.UNIMPLEMENTED,
  409: GrpcStatus.ABORTED,
  410: GrpcStatus.OUT_OF_RANGE,
  413: GrpcStatus.RESOURCE_EXHAUSTED,
  415: GrpcStatus.INVALID_ARGUMENT,
  422: GrpcStatus.INVALID_ARGUMENT,
  429: GrpcStatus.RESOURCE_EXHAUSTED,
  503: GrpcStatus.UNAVAILABLE,
  504: GrpcStatus.DEADLINE_EXCEEDED,
};

/** The gRPC status code a failed call with this Kubernetes Status ends with. */
export function grpcCodeForStatus(s: Pick<Status, 'reason' | 'code'>): GrpcStatus {
  const byReason = s.reason ? CODE_BY_REASON[s.reason] : undefined;
  if (byReason !== undefined) return byReason;
  const byHttp = s.code !== undefined ? CODE_BY_HTTP[s.code] : undefined;
  if (byHttp !== undefined) return byHttp;
  return s.code !== undefined && s.code >= 400 && s.code < 500
    ? GrpcStatus.FAILED_PRECONDITION
    : GrpcStatus.INTERNAL;
}

/** Trailing metadata for a failed call: the Status JSON (and retry-after when it has one). */
export function statusMetadata(s: Status): Metadata {
  const md = new Metadata();
  md.set(STATUS_METADATA_KEY, Buffer.from(JSON.stringify(s)));
  const retry = s.details?.retryAfterSeconds;
  if (retry !== undefined && retry > 0) md.set(RETRY_AFTER_METADATA_KEY, String(retry));
  return md;
}

/** The Kubernetes Status a failed call's trailing metadata carries, if any. */
export function statusFromMetadata(md: Metadata | undefined): Status | undefined {
  const value = md?.get(STATUS_METADATA_KEY)[0];
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && (parsed as Status).kind === 'Status')
      return parsed as Status;
  } catch {
    // Not JSON: fall through, the caller builds a Status from the gRPC code.
  }
  return undefined;
}

/** For a failed call without a Status trailer (transport errors): the Status it stands for. */
const STATUS_BY_CODE: Partial<Record<GrpcStatus, [StatusReason, number]>> = {
  [GrpcStatus.NOT_FOUND]: ['NotFound', 404],
  [GrpcStatus.ALREADY_EXISTS]: ['AlreadyExists', 409],
  [GrpcStatus.ABORTED]: ['Conflict', 409],
  [GrpcStatus.INVALID_ARGUMENT]: ['BadRequest', 400],
  [GrpcStatus.PERMISSION_DENIED]: ['Forbidden', 403],
  [GrpcStatus.UNAUTHENTICATED]: ['Unauthorized', 401],
  [GrpcStatus.OUT_OF_RANGE]: ['Expired', 410],
  [GrpcStatus.RESOURCE_EXHAUSTED]: ['TooManyRequests', 429],
  [GrpcStatus.DEADLINE_EXCEEDED]: ['Timeout', 504],
  [GrpcStatus.UNAVAILABLE]: ['ServiceUnavailable', 503],
  [GrpcStatus.UNIMPLEMENTED]: ['MethodNotAllowed', 405],
};

/**
 * The Kubernetes Status of a failed call: the server's exact Status from the trailer when
 * present; otherwise (the call never reached the API, e.g. UNAVAILABLE, DEADLINE_EXCEEDED,
 * CANCELLED) one built from the gRPC code and details.
 */
export function statusOfError(err: {
  code?: number;
  details?: string;
  metadata?: Metadata;
}): Status {
  const fromServer = statusFromMetadata(err.metadata);
  if (fromServer) return fromServer;
  const [reason, code] = STATUS_BY_CODE[err.code as GrpcStatus] ?? ['InternalError', 500];
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.details || `gRPC status ${err.code ?? 'unknown'}`,
    reason,
    code,
  };
}

/** The patch media type REST uses for each PatchType. */
export const PATCH_MEDIA_TYPES = {
  PATCH_TYPE_JSON: 'application/json-patch+json',
  PATCH_TYPE_MERGE: 'application/merge-patch+json',
  PATCH_TYPE_STRATEGIC_MERGE: 'application/strategic-merge-patch+json',
  PATCH_TYPE_APPLY: 'application/apply-patch+yaml',
} as const;
