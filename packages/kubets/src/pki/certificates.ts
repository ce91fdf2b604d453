/**
 * Issuing certificates: self-signed CAs and leaf certificates (serving, client, peer) signed by
 * them. Pure apart from the crypto: key pairs, the clock (`now`) and the serial-number randomness
 * are parameters, and the results are PEM strings.
 *
 * Profiles follow Go's `crypto/x509` templates as kubeadm fills them:
 * - CA: basicConstraints critical CA:TRUE, keyUsage critical keyCertSign + cRLSign, a subject
 *   key identifier;
 * - leaf: basicConstraints critical CA:FALSE, keyUsage critical digitalSignature (plus
 *   keyEncipherment for RSA keys, which TLS RSA key exchange needs), extKeyUsage serverAuth
 *   and/or clientAuth, the CA's key identifier as authority key identifier, SANs for serving
 *   certificates. Subjects list O before CN, in Go's attribute order.
 */
import { publicKeyDer, signingAlgorithmFor } from './keys.js';
import type { CryptoKey, CryptoKeyPair } from './keys.js';
import type { SubjectAltName } from './names.js';
import { parseSubjectAltName, uniqueSubjectAltNames } from './names.js';
import { certificateToPem, parseCertificate } from './pem.js';
import { randomSerialNumber } from './random.js';
import type { RandomBytes } from './random.js';
import { x509 } from './x509.js';

const HOUR_MS = 60 * 60 * 1000;

/**
 * How far `notBefore` is set before "now": a certificate issued on one machine must already be
 * valid on another whose clock runs a little behind (kubeadm's `CertificateBackdate`).
 */
export const CLOCK_SKEW_BACKDATE_MS = 5 * 60 * 1000;
/** Ten years (87600h), kubeadm's CA validity. */
export const DEFAULT_CA_VALIDITY_MS = 87600 * HOUR_MS;
/** One year (8760h), kubeadm's leaf validity. */
export const DEFAULT_CERT_VALIDITY_MS = 8760 * HOUR_MS;

export type CertificateKind = 'server' | 'client' | 'peer';

/** A CA able to sign: its certificate and key pair. */
export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  certificatePem: string;
  keys: CryptoKeyPair;
}

export interface SigningContext {
  now: Date;
  randomBytes: RandomBytes;
}

export interface ValidityWindow {
  notBefore: Date;
  notAfter: Date;
}

/**
 * `[now - backdate, now + validity]`, with the end capped at `capAt` (a leaf never outlives its
 * CA: a chain is only valid while every certificate in it is).
 */
export function validityWindow(now: Date, validityMs: number, capAt?: Date): ValidityWindow {
  if (!Number.isFinite(validityMs) || validityMs <= 0) {
    throw new Error(`validity must be a positive duration, got ${validityMs} ms`);
  }
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_BACKDATE_MS);
  let notAfter = new Date(now.getTime() + validityMs);
  if (capAt !== undefined && notAfter.getTime() > capAt.getTime()) notAfter = new Date(capAt);
  // X.509 times have one-second resolution; round so the PEM and the object agree.
  return { notBefore: floorToSecond(notBefore), notAfter: floorToSecond(notAfter) };
}

function floorToSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export interface CaRequest {
  commonName: string;
  validityMs?: number;
}

/** A self-signed CA (kubeadm's `ca`, `front-proxy-ca`, `etcd/ca`). */
export async function createCertificateAuthority(
  request: CaRequest,
  keys: CryptoKeyPair,
  context: SigningContext,
): Promise<CertificateAuthority> {
  checkName('common name', request.commonName);
  const { notBefore, notAfter } = validityWindow(
    context.now,
    request.validityMs ?? DEFAULT_CA_VALIDITY_MS,
  );
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(context.randomBytes),
    name: [{ CN: [request.commonName] }],
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, certificatePem: certificateToPem(certificate), keys };
}

export interface CertificateRequest {
  kind: CertificateKind;
  commonName: string;
  /** Subject O values; for client certificates these are the user's groups. */
  organizations?: readonly string[];
  /** Required (non-empty) for `server` and `peer`: Go ignores the CN for hostname checks. */
  subjectAltNames?: readonly SubjectAltName[];
  validityMs?: number;
}

export interface IssuedCertificate {
  certificate: x509.X509Certificate;
  certificatePem: string;
}

/** The extended key usages of each kind. Peers (store members) both serve and dial. */
export function extendedKeyUsagesFor(kind: CertificateKind): string[] {
  switch (kind) {
    case 'server':
      return [x509.ExtendedKeyUsage.serverAuth];
    case 'client':
      return [x509.ExtendedKeyUsage.clientAuth];
    case 'peer':
      return [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  }
}

/** Signs a leaf certificate for `publicKey` with `ca`. */
export async function issueCertificate(
  ca: CertificateAuthority,
  request: CertificateRequest,
  publicKey: CryptoKey,
  context: SigningContext,
): Promise<IssuedCertificate> {
  checkName('common name', request.commonName);
  const organizations = request.organizations ?? [];
  for (const org of organizations) checkName('organization', org);
  const sans = uniqueSubjectAltNames((request.subjectAltNames ?? []).map(checkSubjectAltName));
  if (request.kind !== 'client' && sans.length === 0) {
    throw new Error(
      `a ${request.kind} certificate needs at least one subject alternative name ` +
        '(TLS clients match the host against SANs only)',
    );
  }
  const { notBefore, notAfter } = validityWindow(
    context.now,
    request.validityMs ?? DEFAULT_CERT_VALIDITY_MS,
    ca.certificate.notAfter,
  );

  const isRsa = publicKey.algorithm.name === 'RSASSA-PKCS1-v1_5';
  const keyUsage =
    x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    new x509.ExtendedKeyUsageExtension(extendedKeyUsagesFor(request.kind), false),
    await authorityKeyIdentifier(ca),
  ];
  if (sans.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        sans.map((s) => ({ ...s })),
        false,
      ),
    );
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(context.randomBytes),
    subject: [...organizations.map((o) => ({ O: [o] })), { CN: [request.commonName] }],
    // The issuer is the CA's subject as parsed from its DER, so it stays byte-identical (Go's
    // chain building compares raw names).
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: signingAlgorithmFor(ca.keys.privateKey),
    extensions,
  });
  return { certificate, certificatePem: certificateToPem(certificate) };
}

async function authorityKeyIdentifier(
  ca: CertificateAuthority,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski !== null) return new x509.AuthorityKeyIdentifierExtension(ski.keyId, false);
  return x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey, false);
}

/** Re-validates a SAN built by hand and returns its canonical form (IPs in canonical text). */
function checkSubjectAltName(san: SubjectAltName): SubjectAltName {
  const parsed = parseSubjectAltName(san.value);
  if (parsed.type !== san.type) {
    throw new Error(`subject alternative name "${san.value}" is not of type ${san.type}`);
  }
  return parsed;
}

function checkName(what: string, value: string): void {
  if (value.trim() === '') throw new Error(`${what} must not be empty`);
  // Control characters in a subject end up in logs and RBAC subjects; nothing legitimate has them.
  if (/\p{Cc}/u.test(value))
    throw new Error(`${what} ${JSON.stringify(value)} contains control characters`);
}

/**
 * A CA from its PEM files: the certificate must be a CA and the key must be its key. Throws an
 * Error naming `source` otherwise.
 */
export async function loadCertificateAuthority(
  certificatePem: string,
  keys: CryptoKeyPair,
  source = 'CA',
): Promise<CertificateAuthority> {
  const certificate = parseCertificate(certificatePem, `${source} certificate`);
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (constraints === null || !constraints.ca) {
    throw new Error(
      `${source} certificate (${certificate.subject}) is not a CA (basicConstraints CA:FALSE or absent)`,
    );
  }
  const keyDer = await publicKeyDer(keys.publicKey);
  if (!Buffer.from(keyDer).equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new Error(
      `${source} key does not belong to the ${source} certificate (${certificate.subject})`,
    );
  }
  return { certificate, certificatePem: certificateToPem(certificate), keys };
}
