/**
 * List continuation tokens in upstream's format: base64url (unpadded) JSON
 * `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key after the prefix>"}`, so tokens look and
 * behave like a real API server's. Decoding refuses keys that would escape the prefix.
 */
import { newBadRequest, newResourceExpired, type StatusError } from '../errors/status-error.js';

export class InvalidContinueTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidContinueTokenError';
  }

  /** The 400 the API server answers with. */
  toStatusError(): StatusError {
    return newBadRequest(`invalid continue token: ${this.message}`);
  }
}

const GENERIC = 'continue key is not valid';

/** The 410 message for a continue token whose revision was compacted. */
export const INCONSISTENT_CONTINUE_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** The 410 Expired for a continue token older than the compaction point. */
export function newExpiredContinue(): StatusError {
  return newResourceExpired(INCONSISTENT_CONTINUE_MESSAGE);
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) {
    throw new InvalidContinueTokenError(`${GENERIC}: illegal base64 data`);
  }
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * storage.EncodeContinue: the token for continuing after `key` (a full storage key under
 * `keyPrefix`) at revision `resourceVersion`.
 */
export function encodeContinue(
  key: string,
  keyPrefix: string,
  resourceVersion: bigint | number,
): string {
  if (!key.startsWith(keyPrefix) || key === keyPrefix) {
    throw new Error('unable to encode next field: the key and key prefix do not match');
  }
  const start = key.slice(keyPrefix.length);
  const json = `{"v":"meta.k8s.io/v1","rv":${BigInt(resourceVersion).toString()},"start":${JSON.stringify(start)}}`;
  return toBase64Url(new TextEncoder().encode(json));
}

/** Lexical path.Clean for absolute paths. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

/**
 * storage.DecodeContinue: the storage key to start from and the revision. Throws
 * InvalidContinueTokenError with upstream's messages.
 */
export function decodeContinue(
  token: string,
  keyPrefix: string,
): { fromKey: string; resourceVersion: bigint } {
  const bytes = fromBase64Url(token);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new InvalidContinueTokenError(`${GENERIC}: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidContinueTokenError(`${GENERIC}: token is not a JSON object`);
  }
  const { v, rv, start } = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (v !== 'meta.k8s.io/v1') {
    throw new InvalidContinueTokenError(
      `${GENERIC} server does not recognize this encoded version ${JSON.stringify(typeof v === 'string' ? v : '')}`,
    );
  }
  if (typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv === 0) {
    throw new InvalidContinueTokenError(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
  if (typeof start !== 'string' || start.length === 0) {
    throw new InvalidContinueTokenError('continue key is not valid: encoded start key empty');
  }
  const key = start.startsWith('/') ? start : '/' + start;
  if (cleanPath(key) !== key) throw new InvalidContinueTokenError(`${GENERIC}: ${start}`);
  return { fromKey: keyPrefix + key.slice(1), resourceVersion: BigInt(rv) };
}
