import type { OutgoingHttpHeaders } from 'node:http2';

/**
 * gRPC status codes (the numbers of grpc/grpc's doc/statuscodes.md, equal to grpc-js's
 * `status`), so callers need not load grpc-js to answer a call.
 */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type StatusCode = (typeof Status)[keyof typeof Status];

const NAMES: readonly string[] = Object.entries(Status)
  .sort(([, a], [, b]) => a - b)
  .map(([name]) => name);

/** `DEADLINE_EXCEEDED` for 4; `UNKNOWN` for a number that is no status code. */
export function statusName(code: number): string {
  return NAMES[code] ?? 'UNKNOWN';
}

/**
 * A call's outcome as a handler reports it: grpc-js's StatusObject and ServiceError shapes
 * (`code`, `details`, `metadata`), or any Error (its message becomes the details).
 */
export interface StatusLike {
  code?: number;
  details?: string;
  message?: string;
  metadata?: { toHttp2Headers(): OutgoingHttpHeaders } | null;
}

export interface ResolvedStatus {
  code: number;
  details: string;
  headers: OutgoingHttpHeaders | undefined;
}

/**
 * As grpc-js's serverErrorToStatus: the code when it is an integer (with `details` if given),
 * else UNKNOWN with the error's message.
 */
export function resolveStatus(err: StatusLike, trailer?: StatusLike['metadata']): ResolvedStatus {
  let code: number = Status.UNKNOWN;
  let details = typeof err.message === 'string' ? err.message : 'Unknown Error';
  if (typeof err.code === 'number' && Number.isInteger(err.code)) {
    code = err.code;
    if (typeof err.details === 'string') details = err.details;
  }
  const md = trailer ?? err.metadata;
  return { code, details, headers: md ? md.toHttp2Headers() : undefined };
}

/** A `grpc-message` value: percent-encoded as grpc-js encodes it (encodeURI). */
export function encodeGrpcMessage(details: string): string {
  // Most messages are plain ASCII without '%': no work.
  return /^[\x20-\x24\x26-\x7e]*$/.test(details) ? details : encodeURI(details);
}
