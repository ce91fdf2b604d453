/**
 * Bootstrap tokens (`[a-z0-9]{6}.[a-z0-9]{16}`, `<token-id>.<token-secret>`), the credential a
 * joining node presents before it has a certificate, and the `kube-system` Secret of type
 * `bootstrap.kubernetes.io/token` that makes the API server accept one.
 */
import type { RandomBytes } from './random.js';

export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Largest multiple of 36 that fits a byte: bytes at or above it are redrawn to avoid bias. */
const UNBIASED_LIMIT = 252;

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
/** The group kubeadm gives node-join tokens. */
export const DEFAULT_BOOTSTRAP_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
const EXTRA_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

export interface BootstrapToken {
  id: string;
  secret: string;
}

function randomString(length: number, randomBytes: RandomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length - out.length)) {
      if (byte < UNBIASED_LIMIT) out += ALPHABET[byte % ALPHABET.length] ?? '';
    }
  }
  return out;
}

/** A fresh token; `randomBytes` must be a CSPRNG outside tests. */
export function generateBootstrapToken(randomBytes: RandomBytes): string {
  return `${randomString(6, randomBytes)}.${randomString(16, randomBytes)}`;
}

/** Splits a token into id and secret; throws if it does not have the required form. */
export function parseBootstrapToken(token: string): BootstrapToken {
  const match = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  if (match === null) {
    throw new Error(`bootstrap token does not match the required format [a-z0-9]{6}.[a-z0-9]{16}`);
  }
  return { id: match[1] as string, secret: match[2] as string };
}

export type BootstrapTokenUsage = 'signing' | 'authentication';

export interface BootstrapTokenSecretOptions {
  /** Creation time; with `ttlMs` gives `expiration`. */
  now: Date;
  /** Lifetime; 0 means the token never expires (kubeadm's `--ttl 0`). */
  ttlMs: number;
  usages?: readonly BootstrapTokenUsage[];
  /** Extra groups, each `system:bootstrappers:...`. */
  groups?: readonly string[];
  description?: string;
}

/** The Secret manifest for `token`, as `kubeadm token create` stores it. */
export function bootstrapTokenSecret(
  token: string,
  options: BootstrapTokenSecretOptions,
): Record<string, unknown> {
  const { id, secret } = parseBootstrapToken(token);
  const usages = options.usages ?? ['signing', 'authentication'];
  const groups = options.groups ?? [DEFAULT_BOOTSTRAP_TOKEN_GROUP];
  for (const group of groups) {
    if (!EXTRA_GROUP_PATTERN.test(group)) {
      throw new Error(`bootstrap token group "${group}" must match ${EXTRA_GROUP_PATTERN.source}`);
    }
  }
  if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0) {
    throw new Error(`token TTL must be zero or positive, got ${options.ttlMs} ms`);
  }
  const stringData: Record<string, string> = {};
  if (options.description !== undefined) stringData.description = options.description;
  stringData['token-id'] = id;
  stringData['token-secret'] = secret;
  if (options.ttlMs > 0) {
    stringData.expiration = rfc3339(new Date(options.now.getTime() + options.ttlMs));
  }
  for (const usage of usages) stringData[`usage-bootstrap-${usage}`] = 'true';
  if (groups.length > 0) stringData['auth-extra-groups'] = groups.join(',');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    stringData,
  };
}

/** RFC 3339 in UTC without fractional seconds, as Go's `time.RFC3339` formats. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
