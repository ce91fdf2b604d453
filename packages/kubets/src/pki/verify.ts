/**
 * Verification the API server needs, following Go's `x509.Certificate.Verify` as kube-apiserver
 * uses it: chain building from presented intermediates to a trusted root, signature and validity
 * of every link, CA constraints on issuers, extended key usage (`clientAuth` for
 * `--client-ca-file` authentication, `serverAuth` for serving), and hostname matching on SANs.
 * Then the x509 authenticator's mapping: user = subject CN, groups = subject O values.
 */
import {
  extendedKeyUsagesOf,
  isCertificateAuthority,
  keyUsagesOf,
  subjectAltNamesOf,
} from './inspect.js';
import { hostMatchesSubjectAltNames } from './names.js';
import { x509 } from './x509.js';

export type KeyPurpose = 'serverAuth' | 'clientAuth' | 'any';

export interface VerifyOptions {
  /** The time at which every certificate of the chain must be valid. */
  now: Date;
  /** Required extended key usage; Go's default is serverAuth, ours is explicit. */
  purpose: KeyPurpose;
  /** Untrusted certificates that may complete the chain (what a TLS peer sends after its leaf). */
  intermediates?: readonly x509.X509Certificate[];
}

export type ChainVerification =
  { valid: true; chain: x509.X509Certificate[] } | { valid: false; reason: string };

/** Longest chain considered, leaf and root included; real Kubernetes chains have 2 or 3. */
const MAX_CHAIN_LENGTH = 8;

/** Extensions whose meaning verification honours; any other critical extension fails it. */
const HANDLED_EXTENSIONS = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.37', // extKeyUsage
]);

function sameName(a: x509.Name, b: x509.Name): boolean {
  return Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()));
}

function timeProblem(certificate: x509.X509Certificate, now: Date): string | undefined {
  if (now.getTime() < certificate.notBefore.getTime()) {
    return `certificate "${certificate.subject}" is not yet valid: current time ${now.toISOString()} is before ${certificate.notBefore.toISOString()}`;
  }
  if (now.getTime() > certificate.notAfter.getTime()) {
    return `certificate "${certificate.subject}" has expired: current time ${now.toISOString()} is after ${certificate.notAfter.toISOString()}`;
  }
  return undefined;
}

function criticalExtensionProblem(certificate: x509.X509Certificate): string | undefined {
  const unknown = certificate.extensions.find((e) => e.critical && !HANDLED_EXTENSIONS.has(e.type));
  return unknown === undefined
    ? undefined
    : `certificate "${certificate.subject}" has an unhandled critical extension ${unknown.type}`;
}

function purposeProblem(
  certificate: x509.X509Certificate,
  purpose: KeyPurpose,
): string | undefined {
  if (purpose === 'any') return undefined;
  const usages = extendedKeyUsagesOf(certificate);
  // No extension means no restriction, as in Go.
  if (usages === undefined || usages.includes(purpose) || usages.includes('any')) return undefined;
  return `certificate "${certificate.subject}" specifies an incompatible key usage (has ${usages.join(', ')}, needs ${purpose})`;
}

/** Why `issuer` may not sign certificates `depth` CAs above the leaf, if it may not. */
function issuerProblem(
  issuer: x509.X509Certificate,
  intermediatesBelow: number,
): string | undefined {
  if (!isCertificateAuthority(issuer)) {
    return `certificate "${issuer.subject}" is not a CA (basicConstraints CA:TRUE missing) but signed another certificate`;
  }
  const usages = keyUsagesOf(issuer);
  if (usages !== undefined && !usages.includes('keyCertSign')) {
    return `CA "${issuer.subject}" lacks the keyCertSign key usage`;
  }
  const pathLength = issuer.getExtension(x509.BasicConstraintsExtension)?.pathLength;
  if (pathLength !== undefined && intermediatesBelow > pathLength) {
    return `CA "${issuer.subject}" allows ${pathLength} intermediate CAs below it, the chain has ${intermediatesBelow}`;
  }
  return undefined;
}

async function signedBy(
  child: x509.X509Certificate,
  issuer: x509.X509Certificate,
): Promise<boolean> {
  try {
    return await child.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    // WebCrypto throws, rather than returning false, when the key type does not fit the signature.
    return false;
  }
}

/**
 * Builds and checks a chain from `leaf` to one of `roots`. The reason of a failure names the
 * certificate at fault, in the spirit of Go's errors ("certificate signed by unknown authority",
 * "has expired", "incompatible key usage").
 */
export async function verifyCertificateChain(
  leaf: x509.X509Certificate,
  roots: readonly x509.X509Certificate[],
  options: VerifyOptions,
): Promise<ChainVerification> {
  const leafProblem =
    timeProblem(leaf, options.now) ??
    criticalExtensionProblem(leaf) ??
    purposeProblem(leaf, options.purpose);
  if (leafProblem !== undefined) return { valid: false, reason: leafProblem };

  const intermediates = options.intermediates ?? [];
  let deepestProblem: string | undefined;

  const extend = async (
    chain: x509.X509Certificate[],
  ): Promise<x509.X509Certificate[] | undefined> => {
    const current = chain[chain.length - 1] as x509.X509Certificate;
    if (chain.length >= MAX_CHAIN_LENGTH) {
      deepestProblem ??= `chain longer than ${MAX_CHAIN_LENGTH} certificates`;
      return undefined;
    }
    const candidates = [
      ...roots.map((certificate) => ({ certificate, root: true })),
      ...intermediates.map((certificate) => ({ certificate, root: false })),
    ].filter(
      ({ certificate }) =>
        !chain.includes(certificate) && sameName(certificate.subjectName, current.issuerName),
    );
    for (const { certificate, root } of candidates) {
      if (!(await signedBy(current, certificate))) {
        deepestProblem = `certificate "${current.subject}" is not signed by the key of "${certificate.subject}"`;
        continue;
      }
      const problem =
        issuerProblem(certificate, chain.length - 1) ??
        timeProblem(certificate, options.now) ??
        criticalExtensionProblem(certificate) ??
        purposeProblem(certificate, options.purpose);
      if (problem !== undefined) {
        deepestProblem = problem;
        continue;
      }
      if (root) return [...chain, certificate];
      const longer = await extend([...chain, certificate]);
      if (longer !== undefined) return longer;
    }
    return undefined;
  };

  const chain = await extend([leaf]);
  if (chain !== undefined) return { valid: true, chain };
  return {
    valid: false,
    reason:
      deepestProblem ??
      `certificate "${leaf.subject}" is signed by unknown authority "${leaf.issuer}"`,
  };
}

/** What Kubernetes' x509 authenticator derives from a verified client certificate. */
export interface CertificateUser {
  /** Subject CN. */
  name: string;
  /** Subject O values, in order. */
  groups: string[];
}

/**
 * `CommonNameUserConversion`: user = CN, groups = O. `undefined` for a certificate without a CN,
 * which Kubernetes treats as "not authenticated by this method" rather than as an error.
 */
export function userFromClientCertificate(
  certificate: x509.X509Certificate,
): CertificateUser | undefined {
  const name = certificate.subjectName.getField('CN')[0] ?? '';
  if (name === '') return undefined;
  return { name, groups: certificate.subjectName.getField('O') };
}

export type ClientCertificateAuthentication =
  | { authenticated: true; user: CertificateUser; chain: x509.X509Certificate[] }
  | { authenticated: false; reason: string };

/**
 * `--client-ca-file` authentication of a TLS peer's certificate list (leaf first, then any
 * intermediates it sent): the chain must reach one of `clientCas` for `clientAuth` at `now`.
 */
export async function authenticateClientCertificate(
  presented: readonly x509.X509Certificate[],
  clientCas: readonly x509.X509Certificate[],
  now: Date,
): Promise<ClientCertificateAuthentication> {
  const [leaf, ...intermediates] = presented;
  if (leaf === undefined)
    return { authenticated: false, reason: 'no client certificate presented' };
  const verification = await verifyCertificateChain(leaf, clientCas, {
    now,
    purpose: 'clientAuth',
    intermediates,
  });
  if (!verification.valid) return { authenticated: false, reason: verification.reason };
  const user = userFromClientCertificate(leaf);
  if (user === undefined) {
    return { authenticated: false, reason: `certificate "${leaf.subject}" has no common name` };
  }
  return { authenticated: true, user, chain: verification.chain };
}

/** Whether a serving certificate covers `host` (DNS name or IP), on SANs only, as Go checks. */
export function certificateMatchesHost(certificate: x509.X509Certificate, host: string): boolean {
  return hostMatchesSubjectAltNames(host, subjectAltNamesOf(certificate));
}
