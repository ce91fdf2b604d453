import { generateKeyPair } from '../src/pki/keys.js';
import type { CryptoKeyPair, KeyAlgorithm } from '../src/pki/keys.js';

let rsaKeys: Promise<CryptoKeyPair> | undefined;

/**
 * Key source for tests: certificate keys are fresh every time (ECDSA takes milliseconds); the
 * RSA service-account key, up to a second on a busy machine, is generated once per test file.
 */
export function testKeyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  if (algorithm !== 'RSA-2048') return generateKeyPair(algorithm);
  rsaKeys ??= generateKeyPair(algorithm);
  return rsaKeys;
}
