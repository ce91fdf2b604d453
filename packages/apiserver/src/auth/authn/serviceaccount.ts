/**
 * ServiceAccount tokens (upstream's pkg/serviceaccount): JWTs signed with
 * `--service-account-signing-key-file` and verified with the keys of
 * `--service-account-key-file`. Bound tokens (TokenRequest) carry the `kubernetes.io` claim with
 * the service account's and the bound object's uid and are checked against storage on every use,
 * so deleting the pod, secret or service account revokes them. Legacy secret-based tokens
 * (`iss: kubernetes/serviceaccount`) are checked against their Secret.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { SignJWT, decodeJwt, jwtVerify } from 'jose';
import type { ApiObject } from '../../storage/codec.js';
import type { UserInfo } from '../types.js';

export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

/** Reads an object from storage; undefined when it does not exist. */
export type ObjectLookup = (
  resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes',
  namespace: string,
  name: string,
) => Promise<ApiObject | undefined>;

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g;

/** Every public key in a PEM file: public keys, certificates, or private keys (their public half). */
export function publicKeysFromPem(pem: string): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const m of pem.matchAll(PEM_BLOCK)) {
    const type = m[1]!;
    const block = m[0];
    if (type === 'CERTIFICATE') keys.push(createPublicKey(block));
    else if (type.endsWith('PRIVATE KEY')) keys.push(createPublicKey(createPrivateKey(block)));
    else if (type.endsWith('PUBLIC KEY')) keys.push(createPublicKey(block));
  }
  if (keys.length === 0)
    throw new Error('data does not contain any valid RSA or ECDSA public keys');
  return keys;
}

function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
  }
  throw new Error(`unsupported service account signing key type ${key.asymmetricKeyType ?? '?'}`);
}

/** upstream's keyIDFromPublicKey: base64url(sha256(DER SubjectPublicKeyInfo)). */
export function keyID(pub: KeyObject): string {
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

export interface TokenIssueRequest {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
  bound?: BoundObject;
  /** For pod-bound tokens: the pod's node (upstream adds it to the claims). */
  node?: { name: string; uid: string };
}

export class TokenSigner {
  private readonly alg: string;
  private readonly kid: string;

  constructor(
    private readonly key: KeyObject,
    readonly issuer: string,
  ) {
    this.alg = algorithmOf(key);
    this.kid = keyID(createPublicKey(key));
  }

  static fromPem(pem: string, issuer: string): TokenSigner {
    return new TokenSigner(createPrivateKey(pem), issuer);
  }

  async issue(r: TokenIssueRequest, now: Date): Promise<{ token: string; expires: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + r.expirationSeconds;
    const k8s: Record<string, unknown> = {
      namespace: r.namespace,
      serviceaccount: { name: r.serviceAccount.name, uid: r.serviceAccount.uid },
    };
    if (r.bound?.kind === 'Pod') k8s.pod = { name: r.bound.name, uid: r.bound.uid };
    if (r.bound?.kind === 'Secret') k8s.secret = { name: r.bound.name, uid: r.bound.uid };
    if (r.bound?.kind === 'Node' || r.node) {
      const n = r.bound?.kind === 'Node' ? r.bound : r.node!;
      k8s.node = { name: n.name, uid: n.uid };
    }
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: this.alg, kid: this.kid })
      .setIssuer(this.issuer)
      .setSubject(`system:serviceaccount:${r.namespace}:${r.serviceAccount.name}`)
      .setAudience(r.audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key);
    return { token, expires: new Date(exp * 1000) };
  }
}

export function serviceAccountUser(
  namespace: string,
  name: string,
  uid: string | undefined,
  extra?: Record<string, string[]>,
): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    ...(uid ? { uid } : {}),
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
    ...(extra && Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

interface BoundClaims {
  namespace?: string;
  serviceaccount?: { name?: string; uid?: string };
  pod?: { name?: string; uid?: string };
  secret?: { name?: string; uid?: string };
  node?: { name?: string; uid?: string };
}

export interface ServiceAccountAuthOptions {
  keys: KeyObject[];
  /** `--service-account-issuer` values: the first signs, all are accepted. */
  issuers: string[];
  /** `--api-audiences` (default: the issuers). */
  audiences: string[];
  lookup: ObjectLookup;
  now: () => Date;
}

/** Whether a string looks like a JWT (three base64url parts), to skip other token kinds quickly. */
export function looksLikeJWT(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

function alive(obj: ApiObject | undefined, uid: string | undefined, now: Date, what: string): void {
  if (!obj) throw new Error(`${what} has been deleted`);
  if (uid && obj.metadata?.uid !== uid) {
    throw new Error(`${what} UID (${obj.metadata?.uid ?? ''}) does not match claim (${uid})`);
  }
  const ts = obj.metadata?.deletionTimestamp;
  if (ts && Date.parse(ts) <= now.getTime()) throw new Error(`${what} is being deleted`);
}

/** Tolerated clock skew for exp/nbf, as upstream's jwt leeway. */
const LEEWAY_SECONDS = 60;

export class ServiceAccountAuthenticator {
  constructor(private readonly o: ServiceAccountAuthOptions) {}

  /**
   * The user of a service-account JWT, or undefined when the token is not one of ours (another
   * issuer); throws when it is ours but invalid. `audiences` overrides the API audiences
   * (TokenReview spec.audiences). Returns the audiences the token was accepted for.
   */
  async authenticate(
    token: string,
    audiences?: string[],
  ): Promise<{ user: UserInfo; audiences: string[] } | undefined> {
    if (!looksLikeJWT(token)) return undefined;
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    if (iss === LEGACY_ISSUER) return this.legacy(token);
    if (!iss || !this.o.issuers.includes(iss)) return undefined;
    const wanted = audiences && audiences.length > 0 ? audiences : this.o.audiences;
    const now = this.o.now();
    const payload = await this.verify(token, { issuer: this.o.issuers, audience: wanted, now });
    const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
    const claims = payload['kubernetes.io'] as BoundClaims | undefined;
    const ns = claims?.namespace;
    const saName = claims?.serviceaccount?.name;
    if (!ns || !saName)
      throw new Error('service account token claims are missing the namespace or service account');
    const sa = await this.o.lookup('serviceaccounts', ns, saName);
    alive(sa, claims.serviceaccount?.uid, now, `ServiceAccount ${ns}/${saName}`);
    const extra: Record<string, string[]> = {};
    if (claims.pod?.name) {
      const pod = await this.o.lookup('pods', ns, claims.pod.name);
      alive(pod, claims.pod.uid, now, `Pod ${ns}/${claims.pod.name}`);
      extra['authentication.kubernetes.io/pod-name'] = [claims.pod.name];
      if (claims.pod.uid) extra['authentication.kubernetes.io/pod-uid'] = [claims.pod.uid];
    }
    if (claims.secret?.name) {
      const secret = await this.o.lookup('secrets', ns, claims.secret.name);
      alive(secret, claims.secret.uid, now, `Secret ${ns}/${claims.secret.name}`);
    }
    if (claims.node?.name) {
      extra['authentication.kubernetes.io/node-name'] = [claims.node.name];
      if (claims.node.uid) extra['authentication.kubernetes.io/node-uid'] = [claims.node.uid];
    }
    if (typeof payload.jti === 'string')
      extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload.jti}`];
    const accepted = aud.filter((a) => wanted.includes(a));
    return {
      user: serviceAccountUser(ns, saName, claims.serviceaccount?.uid ?? sa?.metadata?.uid, extra),
      audiences: accepted,
    };
  }

  private async verify(
    token: string,
    opts: { issuer: string[]; audience?: string[]; now: Date },
  ): Promise<Record<string, unknown> & { aud?: string | string[]; jti?: string }> {
    let last: unknown;
    for (const key of this.o.keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: opts.issuer,
          ...(opts.audience ? { audience: opts.audience } : {}),
          currentDate: opts.now,
          clockTolerance: LEEWAY_SECONDS,
        });
        return payload;
      } catch (err) {
        last = err;
        // A claim failure with a matching signature is final: other keys would not help.
        if (
          (err as { code?: string }).code?.startsWith('ERR_JWT_') &&
          (err as { code?: string }).code !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
        )
          break;
      }
    }
    throw last instanceof Error ? last : new Error('invalid service account token');
  }

  private async legacy(token: string): Promise<{ user: UserInfo; audiences: string[] }> {
    const now = this.o.now();
    const payload = await this.verify(token, { issuer: [LEGACY_ISSUER], now });
    const ns = payload['kubernetes.io/serviceaccount/namespace'];
    const name = payload['kubernetes.io/serviceaccount/service-account.name'];
    const uid = payload['kubernetes.io/serviceaccount/service-account.uid'];
    const secretName = payload['kubernetes.io/serviceaccount/secret.name'];
    if (typeof ns !== 'string' || typeof name !== 'string' || typeof secretName !== 'string') {
      throw new Error('legacy service account token is missing claims');
    }
    const secret = await this.o.lookup('secrets', ns, secretName);
    alive(secret, undefined, now, `Secret ${ns}/${secretName}`);
    const stored = (secret?.data as Record<string, string> | undefined)?.token;
    if (!stored || Buffer.from(stored, 'base64').toString('utf8') !== token) {
      throw new Error('token does not match the one stored in its secret');
    }
    const sa = await this.o.lookup('serviceaccounts', ns, name);
    alive(sa, typeof uid === 'string' ? uid : undefined, now, `ServiceAccount ${ns}/${name}`);
    return {
      user: serviceAccountUser(ns, name, typeof uid === 'string' ? uid : undefined),
      audiences: [],
    };
  }
}
