/**
 * The service-account token signing key pair (`sa.key` for `--service-account-signing-key-file`,
 * `sa.pub` for `--service-account-key-file`). RSA 2048, so tokens are RS256: the one algorithm
 * every JWT and OIDC verifier must accept (OpenID Connect Discovery requires RS256 support),
 * which matters once the issuer's keys are published for workload identity federation.
 */
import {
  SERVICE_ACCOUNT_KEY_ALGORITHM,
  generateKeyPair,
  privateKeyToPem,
  publicKeyToPem,
} from './keys.js';
import type { CryptoKeyPair, KeyAlgorithm } from './keys.js';

export interface ServiceAccountKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export async function generateServiceAccountKeyPair(
  generate: (algorithm: KeyAlgorithm) => Promise<CryptoKeyPair> = generateKeyPair,
): Promise<ServiceAccountKeyPair> {
  const keys = await generate(SERVICE_ACCOUNT_KEY_ALGORITHM);
  return {
    privateKeyPem: await privateKeyToPem(keys.privateKey),
    publicKeyPem: await publicKeyToPem(keys.publicKey),
  };
}
