/**
 * Key pairs as Web Crypto keys (what `@peculiar/x509` signs with) and as PEM text (what goes on
 * disk and into kubeconfig files).
 *
 * Certificates use ECDSA P-256 throughout; the service-account signing key is RSA 2048 (see
 * docs/pki.md for why). Private keys are written as PKCS#8 (`PRIVATE KEY`), which Go's
 * `keyutil.ParsePrivateKeyPEM` (kube-apiserver, kubelet, kubectl), etcd and OpenSSL all read.
 * Loading also accepts SEC1 (`EC PRIVATE KEY`) and PKCS#1 (`RSA PRIVATE KEY`), the forms kubeadm
 * writes, so a kubeadm CA can sign kubets certificates.
 */
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { toPem } from './pem.js';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Key types this library generates. */
export type KeyAlgorithm = 'ECDSA-P256' | 'RSA-2048';

/** What certificates are issued with. */
export const CERTIFICATE_KEY_ALGORITHM: KeyAlgorithm = 'ECDSA-P256';
/** What the service-account token signing key is. */
export const SERVICE_ACCOUNT_KEY_ALGORITHM: KeyAlgorithm = 'RSA-2048';

const subtle = webcrypto.subtle;

type ImportParams = webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;

function importParams(algorithm: KeyAlgorithm): ImportParams {
  return algorithm === 'ECDSA-P256'
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** Generates an extractable signing key pair. ECDSA takes milliseconds; RSA 2048 ~0.1-1 s. */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params =
    algorithm === 'ECDSA-P256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        };
  return subtle.generateKey(params, true, ['sign', 'verify']);
}

/** Signature algorithm parameters for signing with `key`: SHA-256 with ECDSA or RSA PKCS#1. */
export function signingAlgorithmFor(key: CryptoKey): { name: string; hash: string } {
  const algorithm = key.algorithm as { name: string; namedCurve?: string };
  if (algorithm.name === 'ECDSA') {
    // The hash follows the curve size, as Go's x509 does (P-384 -> SHA-384).
    const hash =
      algorithm.namedCurve === 'P-384'
        ? 'SHA-384'
        : algorithm.namedCurve === 'P-521'
          ? 'SHA-512'
          : 'SHA-256';
    return { name: 'ECDSA', hash };
  }
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  throw new Error(`unsupported signing key algorithm ${algorithm.name}`);
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', await subtle.exportKey('pkcs8', key));
}

export async function publicKeyToPem(key: CryptoKey): Promise<string> {
  return toPem('PUBLIC KEY', await subtle.exportKey('spki', key));
}

/** SubjectPublicKeyInfo DER of a key, for comparing a key with a certificate. */
export async function publicKeyDer(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('spki', key));
}

/**
 * Loads a private key PEM (PKCS#8, SEC1 or PKCS#1) as a signing key pair. Throws an Error
 * naming `source` (usually the file) when the text is not a supported key.
 */
export async function importPrivateKeyPem(
  pem: string,
  source = 'private key',
): Promise<CryptoKeyPair> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(
      `${source}: not a PEM private key (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const params = importParamsFor(keyObject, source);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const [privateKey, publicKey] = await Promise.all([
    subtle.importKey('pkcs8', pkcs8, params, true, ['sign']),
    subtle.importKey('spki', spki, params, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}

function importParamsFor(key: KeyObject, source: string): ImportParams {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curves: Record<string, string> = {
      prime256v1: 'P-256',
      secp384r1: 'P-384',
      secp521r1: 'P-521',
    };
    const curve = details.namedCurve === undefined ? undefined : curves[details.namedCurve];
    if (curve === undefined) {
      throw new Error(`${source}: unsupported elliptic curve ${details.namedCurve ?? '(unknown)'}`);
    }
    return { name: 'ECDSA', namedCurve: curve };
  }
  if (key.asymmetricKeyType === 'rsa') return importParams('RSA-2048');
  throw new Error(
    `${source}: unsupported key type ${key.asymmetricKeyType ?? '(unknown)'} (want EC or RSA)`,
  );
}

/** Loads a public key PEM (`PUBLIC KEY`) to SubjectPublicKeyInfo DER. */
export function publicKeyPemToDer(pem: string, source = 'public key'): Uint8Array {
  try {
    return new Uint8Array(
      createPublicKey({ key: pem, format: 'pem' }).export({ type: 'spki', format: 'der' }),
    );
  } catch (err) {
    throw new Error(
      `${source}: not a PEM public key (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}
