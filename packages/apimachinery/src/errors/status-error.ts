/**
 * API errors as Status objects (k8s.io/apimachinery/pkg/api/errors): constructors with upstream's
 * codes, reasons, details and messages, the predicates clients use, and the StatusError class that
 * carries the Status to serialize. `kubectl` prints `Error from server (<reason>): <message>`, so
 * both are reproduced exactly.
 */
import type { Status, StatusCause, StatusDetails, StatusReason } from '../meta/types.js';
import {
  groupKindString,
  groupResourceString,
  isEmptyGroupResource,
  type GroupKind,
  type GroupResource,
} from '../schema/group-version.js';
import { goQuote } from '../util/go-format.js';
import { toAggregate, type FieldError } from '../validation/field-errors.js';

/** An error that carries the Status the API returns for it. */
export class StatusError extends Error {
  readonly status: Status;

  constructor(status: Omit<Status, 'kind' | 'apiVersion' | 'metadata'> & Partial<Status>) {
    super(status.message ?? '');
    this.name = 'StatusError';
    this.status = normalizeStatus(status);
  }

  get code(): number {
    return this.status.code ?? 0;
  }

  get reason(): StatusReason {
    return this.status.reason ?? '';
  }

  /** The Status object, member order and omissions as upstream serializes it. */
  toJSON(): Status {
    return this.status;
  }
}

function cleanDetails(details: StatusDetails | undefined): StatusDetails | undefined {
  if (!details) return undefined;
  const out: StatusDetails = {};
  if (details.name) out.name = details.name;
  if (details.group) out.group = details.group;
  if (details.kind) out.kind = details.kind;
  if (details.uid) out.uid = details.uid;
  if (details.causes && details.causes.length > 0) {
    out.causes = details.causes.map((c) => {
      const cause: StatusCause = {};
      if (c.reason) cause.reason = c.reason;
      if (c.message) cause.message = c.message;
      if (c.field) cause.field = c.field;
      return cause;
    });
  }
  if (details.retryAfterSeconds) out.retryAfterSeconds = details.retryAfterSeconds;
  return out;
}

/**
 * A Status with Go's JSON member order (kind, apiVersion, metadata, status, message, reason,
 * details, code) and its `omitempty` rules. A `details` object is kept even when all of its
 * members are empty, as a non-nil pointer is serialized as `{}` upstream.
 */
export function normalizeStatus(s: Partial<Status>): Status {
  const out: Status = { kind: 'Status', apiVersion: 'v1', metadata: { ...(s.metadata ?? {}) } };
  if (s.status) out.status = s.status;
  if (s.message) out.message = s.message;
  if (s.reason) out.reason = s.reason;
  const details = cleanDetails(s.details);
  if (details) out.details = details;
  if (s.code) out.code = s.code;
  return out;
}

function failure(
  code: number,
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
): StatusError {
  return new StatusError({ status: 'Failure', code, reason, message, details });
}

function resourceDetails(gr: GroupResource, name: string): StatusDetails {
  return { group: gr.group, kind: gr.resource, name };
}

/** 404: `pods "x" not found`. */
export function newNotFound(resource: GroupResource, name: string): StatusError {
  return failure(
    404,
    'NotFound',
    `${groupResourceString(resource)} ${goQuote(name)} not found`,
    resourceDetails(resource, name),
  );
}

/** 409: `pods "x" already exists`. */
export function newAlreadyExists(resource: GroupResource, name: string): StatusError {
  return failure(
    409,
    'AlreadyExists',
    `${groupResourceString(resource)} ${goQuote(name)} already exists`,
    resourceDetails(resource, name),
  );
}

/** 409 for a generateName collision; clients should retry after the given delay. */
export function newGenerateNameConflict(
  resource: GroupResource,
  name: string,
  retryAfterSeconds: number,
): StatusError {
  return failure(
    409,
    'AlreadyExists',
    `${groupResourceString(resource)} ${goQuote(name)} already exists, the server was not able to generate a unique name for the object`,
    { ...resourceDetails(resource, name), retryAfterSeconds },
  );
}

/** The storage message for a resourceVersion precondition failure. */
export const OPTIMISTIC_LOCK_ERROR_MSG =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409: `Operation cannot be fulfilled on pods "x": <reason>`. */
export function newConflict(
  resource: GroupResource,
  name: string,
  err: Error | string = OPTIMISTIC_LOCK_ERROR_MSG,
): StatusError {
  const why = typeof err === 'string' ? err : err.message;
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${groupResourceString(resource)} ${goQuote(name)}: ${why}`,
    resourceDetails(resource, name),
  );
}

/** 409 for server-side apply field conflicts. */
export function newApplyConflict(causes: StatusCause[], message: string): StatusError {
  return failure(409, 'Conflict', message, { causes });
}

/** 401 (`not authorized` when no reason is given). */
export function newUnauthorized(reason = ''): StatusError {
  return failure(401, 'Unauthorized', reason.length > 0 ? reason : 'not authorized');
}

/** 403: `pods "x" is forbidden: <reason>`. */
export function newForbidden(
  resource: GroupResource,
  name: string,
  err: Error | string,
): StatusError {
  const why = typeof err === 'string' ? err : err.message;
  let message: string;
  if (isEmptyGroupResource(resource)) message = `forbidden: ${why}`;
  else if (name === '') message = `${groupResourceString(resource)} is forbidden: ${why}`;
  else message = `${groupResourceString(resource)} ${goQuote(name)} is forbidden: ${why}`;
  return failure(403, 'Forbidden', message, resourceDetails(resource, name));
}

/**
 * 422: `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than
 * or equal to 0` (several errors are bracketed). Every field error becomes a StatusCause.
 */
export function newInvalid(
  kind: GroupKind,
  name: string,
  errors: readonly FieldError[],
): StatusError {
  const causes: StatusCause[] = errors.map((e) => ({
    reason: e.type,
    message: e.errorBody(),
    field: e.field,
  }));
  const agg = toAggregate(errors);
  const base = `${groupKindString(kind)} ${goQuote(name)} is invalid`;
  return failure(422, 'Invalid', agg ? `${base}: ${agg.message}` : base, {
    group: kind.group,
    kind: kind.kind,
    name,
    causes,
  });
}

/** 400 with the given message. */
export function newBadRequest(reason: string): StatusError {
  return failure(400, 'BadRequest', reason);
}

/** 429: `Too many requests: <message>`. */
export function newTooManyRequestsError(message: string): StatusError {
  return failure(429, 'TooManyRequests', `Too many requests: ${message}`);
}

/** 429 with a retry hint (max-in-flight and priority-and-fairness rejections). */
export function newTooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return failure(429, 'TooManyRequests', message, { retryAfterSeconds });
}

/** 503 with the given message. */
export function newServiceUnavailable(reason: string): StatusError {
  return failure(503, 'ServiceUnavailable', reason);
}

/** 405: `<action> is not supported on resources of kind "pods"`. */
export function newMethodNotSupported(resource: GroupResource, action: string): StatusError {
  return failure(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind ${goQuote(groupResourceString(resource))}`,
    { group: resource.group, kind: resource.resource },
  );
}

/** 500 ServerTimeout: the operation could not finish in time; retry later. */
export function newServerTimeout(
  resource: GroupResource,
  operation: string,
  retryAfterSeconds: number,
): StatusError {
  return failure(
    500,
    'ServerTimeout',
    `The ${operation} operation against ${groupResourceString(resource)} could not be completed at this time, please try again.`,
    { group: resource.group, kind: resource.resource, name: operation, retryAfterSeconds },
  );
}

/** 500: `Internal error occurred: <err>`. */
export function newInternalError(err: Error | string): StatusError {
  const msg = typeof err === 'string' ? err : err.message;
  return failure(500, 'InternalError', `Internal error occurred: ${msg}`, {
    causes: [{ message: msg }],
  });
}

/** 504: `Timeout: <message>`. */
export function newTimeoutError(message: string, retryAfterSeconds: number): StatusError {
  return failure(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds });
}

/** 410 Gone with the given message. */
export function newGone(message: string): StatusError {
  return failure(410, 'Gone', message);
}

/** 410 Expired with the given message (compacted resource versions, stale continue tokens). */
export function newResourceExpired(message: string): StatusError {
  return failure(410, 'Expired', message);
}

/** 410 Expired: `too old resource version: 5 (10)`, what a watch from a compacted RV gets. */
export function newTooOldResourceVersion(
  requested: bigint | number,
  oldest: bigint | number,
): StatusError {
  return newResourceExpired(`too old resource version: ${requested} (${oldest})`);
}

/** 504 for a resourceVersion newer than the server has seen; clients retry. */
export function newTooLargeResourceVersion(
  requested: bigint | number,
  current: bigint | number,
  retryAfterSeconds: number,
): StatusError {
  const err = newTimeoutError(
    `Too large resource version: ${requested}, current: ${current}`,
    retryAfterSeconds,
  );
  err.status.details = {
    ...err.status.details,
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
  };
  return err;
}

/** 413: `Request entity too large: <message>`. */
export function newRequestEntityTooLarge(message: string): StatusError {
  return failure(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

/** 415 for a request body (or patch type) the server does not accept. */
export function newUnsupportedMediaType(accepted: readonly string[]): StatusError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 406 when no acceptable response type can be produced. */
export function newNotAcceptable(accepted: readonly string[]): StatusError {
  return failure(
    406,
    'NotAcceptable',
    `only the following media types are accepted: ${accepted.join(', ')}`,
  );
}

/**
 * errors.NewGenericServerResponse: the Status a client builds from a bare HTTP code, and the
 * server-side mapping of some library errors (e.g. a failed JSON patch is a generic 422).
 */
export function newGenericServerResponse(
  code: number,
  verb: string,
  resource: GroupResource,
  name: string,
  serverMessage: string,
  retryAfterSeconds: number,
  isUnexpectedResponse: boolean,
): StatusError {
  let reason: StatusReason = '';
  let message = `the server responded with the status code ${code} but did not return more information`;
  switch (code) {
    case 409:
      reason = verb === 'POST' ? 'AlreadyExists' : 'Conflict';
      message = 'the server reported a conflict';
      break;
    case 404:
      reason = 'NotFound';
      message = 'the server could not find the requested resource';
      break;
    case 400:
      reason = 'BadRequest';
      message = 'the server rejected our request for an unknown reason';
      break;
    case 401:
      reason = 'Unauthorized';
      message = 'the server has asked for the client to provide credentials';
      break;
    case 403:
      reason = 'Forbidden';
      message = serverMessage;
      break;
    case 406:
      reason = 'NotAcceptable';
      message =
        serverMessage.length === 0 || serverMessage === 'unknown'
          ? 'the server was unable to respond with a content type that the client supports'
          : serverMessage;
      break;
    case 415:
      reason = 'UnsupportedMediaType';
      message = serverMessage;
      break;
    case 405:
      reason = 'MethodNotAllowed';
      message = 'the server does not allow this method on the requested resource';
      break;
    case 422:
      reason = 'Invalid';
      message = 'the server rejected our request due to an error in our request';
      break;
    case 503:
      reason = 'ServiceUnavailable';
      message = 'the server is currently unable to handle the request';
      break;
    case 504:
      reason = 'Timeout';
      message =
        'the server was unable to return a response in the time allotted, but may still be processing the request';
      break;
    case 429:
      reason = 'TooManyRequests';
      message = 'the server has received too many requests and has asked us to try again later';
      break;
    default:
      if (code >= 500) {
        reason = 'InternalError';
        message = `an error on the server (${goQuote(serverMessage)}) has prevented the request from succeeding`;
      }
  }
  if (!isEmptyGroupResource(resource) && name.length > 0) {
    message = `${message} (${verb.toLowerCase()} ${groupResourceString(resource)} ${name})`;
  } else if (!isEmptyGroupResource(resource)) {
    message = `${message} (${verb.toLowerCase()} ${groupResourceString(resource)})`;
  }
  return failure(code, reason, message, {
    group: resource.group,
    kind: resource.resource,
    name,
    causes: isUnexpectedResponse
      ? [{ reason: 'UnexpectedServerResponse', message: serverMessage }]
      : [],
    retryAfterSeconds,
  });
}

/**
 * Any error as a Status (responsewriters.ErrorToAPIStatus): StatusErrors as they are, anything
 * else a 500 with reason Unknown and the error's message.
 */
export function errorToStatus(err: unknown): Status {
  if (err instanceof StatusError) return err.status;
  const message = err instanceof Error ? err.message : String(err);
  return normalizeStatus({ status: 'Failure', code: 500, reason: '', message });
}

// ---------------------------------------------------------------------------------------------
// Predicates. A Status whose reason is one of the known reasons is judged by reason; an unknown
// reason falls back to the HTTP code, as upstream does for responses of older servers.

const KNOWN_REASONS = new Set<StatusReason>([
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Gone',
  'Invalid',
  'ServerTimeout',
  'StoreReadError',
  'Timeout',
  'TooManyRequests',
  'BadRequest',
  'MethodNotAllowed',
  'NotAcceptable',
  'RequestEntityTooLarge',
  'UnsupportedMediaType',
  'InternalError',
  'Expired',
  'ServiceUnavailable',
]);

function statusOf(err: unknown): Status | undefined {
  if (err instanceof StatusError) return err.status;
  if (typeof err === 'object' && err !== null) {
    const s = (err as { status?: unknown }).status;
    if (typeof s === 'object' && s !== null && (s as { kind?: unknown }).kind === 'Status') {
      return s as Status;
    }
    if ((err as { kind?: unknown }).kind === 'Status') return err as Status;
  }
  return undefined;
}

/** The reason of an error carrying a Status; '' otherwise. */
export function reasonForError(err: unknown): StatusReason {
  return statusOf(err)?.reason ?? '';
}

function matches(err: unknown, reason: StatusReason, code: number): boolean {
  const s = statusOf(err);
  if (!s) return false;
  if (s.reason === reason) return true;
  return !KNOWN_REASONS.has(s.reason ?? '') && s.code === code;
}

export const isNotFound = (err: unknown): boolean => matches(err, 'NotFound', 404);
export const isAlreadyExists = (err: unknown): boolean => reasonForError(err) === 'AlreadyExists';
export const isConflict = (err: unknown): boolean => matches(err, 'Conflict', 409);
export const isInvalid = (err: unknown): boolean => matches(err, 'Invalid', 422);
export const isGone = (err: unknown): boolean => matches(err, 'Gone', 410);
export const isResourceExpired = (err: unknown): boolean => reasonForError(err) === 'Expired';
export const isNotAcceptable = (err: unknown): boolean => matches(err, 'NotAcceptable', 406);
export const isUnsupportedMediaType = (err: unknown): boolean =>
  matches(err, 'UnsupportedMediaType', 415);
export const isMethodNotSupported = (err: unknown): boolean =>
  matches(err, 'MethodNotAllowed', 405);
export const isServiceUnavailable = (err: unknown): boolean =>
  matches(err, 'ServiceUnavailable', 503);
export const isBadRequest = (err: unknown): boolean => matches(err, 'BadRequest', 400);
export const isUnauthorized = (err: unknown): boolean => matches(err, 'Unauthorized', 401);
export const isForbidden = (err: unknown): boolean => matches(err, 'Forbidden', 403);
export const isTimeout = (err: unknown): boolean => matches(err, 'Timeout', 504);
export const isServerTimeout = (err: unknown): boolean => reasonForError(err) === 'ServerTimeout';
export const isInternalError = (err: unknown): boolean => matches(err, 'InternalError', 500);
export const isRequestEntityTooLarge = (err: unknown): boolean =>
  matches(err, 'RequestEntityTooLarge', 413);

/** 429 by reason, or by code whatever the reason (upstream checks both). */
export function isTooManyRequests(err: unknown): boolean {
  const s = statusOf(err);
  return !!s && (s.reason === 'TooManyRequests' || s.code === 429);
}

/** Whether the server asked the client to wait, and for how long (seconds). */
export function suggestsClientDelay(err: unknown): number | undefined {
  const s = statusOf(err);
  if (!s?.details) return undefined;
  if (s.reason === 'ServerTimeout') return s.details.retryAfterSeconds ?? 0;
  const after = s.details.retryAfterSeconds ?? 0;
  return after > 0 ? after : undefined;
}
