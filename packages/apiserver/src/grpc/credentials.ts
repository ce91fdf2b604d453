/**
 * What the gRPC door knows about a caller, in the form the security chain takes (the same
 * Credentials REST builds from headers): `authorization` and `impersonate-*` metadata, and the
 * TLS client certificate that the TLS layer verified against the client CA.
 */
import type { Metadata } from '@grpc/grpc-js';
import type { Credentials } from '../auth/types.js';

const EXTRA_PREFIX = 'impersonate-extra-';

function strings(md: Metadata, key: string): string[] {
  return md.get(key).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
}

/**
 * A repeated key's values: HTTP/2 delivers repeated headers joined by ", ", so they are split
 * again (group names and extra values therefore cannot contain ", ").
 */
function repeated(md: Metadata, key: string): string[] {
  return strings(md, key)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** `peerCertificate`: the verified leaf's DER (grpc-js reports only verified peers). */
export function credentialsFromMetadata(md: Metadata, peerCertificate?: Buffer): Credentials {
  const creds: Credentials = {};
  const authorization = strings(md, 'authorization')[0];
  if (authorization) creds.authorization = authorization;
  if (peerCertificate && peerCertificate.length > 0) creds.peerCertificates = [peerCertificate];
  const user = strings(md, 'impersonate-user')[0];
  const groups = repeated(md, 'impersonate-group');
  const uid = strings(md, 'impersonate-uid')[0];
  const extra: Record<string, string[]> = {};
  for (const key of Object.keys(md.getMap())) {
    if (!key.startsWith(EXTRA_PREFIX)) continue;
    // Upstream percent-encodes the key part of Impersonate-Extra-<key>; gRPC metadata keys allow
    // only [a-z0-9-_.], so keys needing '/' or upper case cannot be impersonated over gRPC.
    const name = key.slice(EXTRA_PREFIX.length);
    extra[name] = repeated(md, key);
  }
  const hasExtra = Object.keys(extra).length > 0;
  if (user !== undefined || groups.length > 0 || uid !== undefined || hasExtra) {
    creds.impersonate = {
      ...(user !== undefined ? { user } : {}),
      ...(groups.length > 0 ? { groups } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(hasExtra ? { extra } : {}),
    };
  }
  return creds;
}
