/**
 * Writing answers: JSON bodies, Kubernetes `Status` errors (every error the API returns is one),
 * and `Warning` headers in the RFC 7234 form kubectl prints (`299 - "message"`).
 */
import type { ServerResponse } from 'node:http';
import { errorToStatus, newInternalError, StatusError, type Status } from '@kubets/apimachinery';
import { notServed } from '../request/operations.js';
import { encodedJson } from '../storage/encoded.js';

export function warningHeader(message: string): string {
  // Quoted-string: escape backslashes and quotes; no control characters.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go.
  const text = message.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/(["\\])/g, '\\$1');
  return `299 - "${text}"`;
}

export function setWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (warnings.length === 0 || res.headersSent) return;
  res.setHeader('Warning', [...new Set(warnings)].map(warningHeader));
}

export function writeJSON(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
  headOnly = false,
): void {
  // An object just written is answered with the text its write already produced. The text is
  // handed to `end` as a string: Node then sends the head and the body in one write (a Buffer
  // body goes out with the head through writev) without copying the body into a Buffer first.
  // JSON.stringify escapes lone surrogates, so the UTF-8 length is the number of bytes sent.
  const text = encodedJson(body) ?? JSON.stringify(body);
  res.statusCode = code;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(headOnly ? undefined : text);
}

/** The Status for any thrown value (non-StatusErrors are 500 InternalError). */
export function statusFor(err: unknown): Status {
  if (err instanceof StatusError) return err.status;
  if (err instanceof Error && 'toStatusError' in err && typeof err.toStatusError === 'function') {
    return (err.toStatusError as () => StatusError)().status;
  }
  if (err instanceof Error) return newInternalError(err).status;
  return errorToStatus(err);
}

export function writeStatus(res: ServerResponse, status: Status): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (status.details?.retryAfterSeconds)
    res.setHeader('Retry-After', String(status.details.retryAfterSeconds));
  writeJSON(res, status.code ?? 500, status);
}

/** The 404 Status upstream answers for a path it does not serve. */
export function notFoundStatus(): Status {
  return notServed().status;
}

export function methodNotAllowed(): Status {
  return new StatusError({
    status: 'Failure',
    message: `the server does not allow this method on the requested resource`,
    reason: 'MethodNotAllowed',
    details: {},
    code: 405,
  }).status;
}
