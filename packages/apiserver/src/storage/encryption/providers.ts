/**
 * The encryption providers of an EncryptionConfiguration, with upstream's byte layouts so a value
 * written by kube-apiserver reads here and the other way round (the prefix is added by
 * PrefixTransformers):
 *
 * - aesgcm: 12-byte random nonce, then AES-GCM ciphertext and 16-byte tag; the etcd key is the
 *   additional authenticated data, so a value copied to another key does not decrypt;
 * - aescbc: 16-byte random IV, then AES-CBC of the PKCS#7-padded data (no authentication, as
 *   upstream; deprecated there for that reason);
 * - secretbox: 24-byte random nonce, then XSalsa20-Poly1305 (NaCl secretbox: tag, ciphertext);
 * - identity: the bytes unchanged, refusing to "read" data that is encrypted.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import type { FromStorageResult, ValueTransformer } from './transformer.js';

const GCM_NONCE = 12;
const GCM_TAG = 16;
const CBC_BLOCK = 16;

/** The prefix every encrypted value starts with. */
export const ENCRYPTED_PREFIX = 'k8s:enc:';

function aesAlgorithm(mode: 'gcm' | 'cbc', key: Buffer): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new Error(`invalid AES key length ${key.length}`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

export function aesGcmTransformer(key: Buffer): ValueTransformer {
  const algorithm = aesAlgorithm('gcm', key);
  return {
    toStorage(data, aad) {
      const nonce = randomBytes(GCM_NONCE);
      const cipher = createCipheriv(algorithm as 'aes-256-gcm', key, nonce, {
        authTagLength: GCM_TAG,
      });
      cipher.setAAD(Buffer.from(aad));
      const sealed = Buffer.concat([cipher.update(data), cipher.final()]);
      return Buffer.concat([nonce, sealed, cipher.getAuthTag()]);
    },
    fromStorage(data, aad): FromStorageResult {
      if (data.length < GCM_NONCE + GCM_TAG) {
        throw new Error('the stored data was shorter than the required size');
      }
      const nonce = data.subarray(0, GCM_NONCE);
      const sealed = data.subarray(GCM_NONCE, data.length - GCM_TAG);
      const decipher = createDecipheriv(algorithm as 'aes-256-gcm', key, nonce, {
        authTagLength: GCM_TAG,
      });
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(data.subarray(data.length - GCM_TAG));
      try {
        return { data: Buffer.concat([decipher.update(sealed), decipher.final()]), stale: false };
      } catch {
        // Go's wording for the same failure.
        throw new Error('cipher: message authentication failed');
      }
    },
  };
}

export function aesCbcTransformer(key: Buffer): ValueTransformer {
  const algorithm = aesAlgorithm('cbc', key);
  return {
    toStorage(data) {
      const iv = randomBytes(CBC_BLOCK);
      const cipher = createCipheriv(algorithm, key, iv); // PKCS#7 padding is node's default
      return Buffer.concat([iv, cipher.update(data), cipher.final()]);
    },
    fromStorage(data): FromStorageResult {
      if (data.length < CBC_BLOCK) {
        throw new Error('the stored data was shorter than the required size');
      }
      const body = data.subarray(CBC_BLOCK);
      if (body.length % CBC_BLOCK !== 0) {
        throw new Error('the stored data is not a multiple of the block size');
      }
      const decipher = createDecipheriv(algorithm, key, data.subarray(0, CBC_BLOCK));
      try {
        return { data: Buffer.concat([decipher.update(body), decipher.final()]), stale: false };
      } catch {
        throw new Error('invalid padding on input');
      }
    },
  };
}

export function secretboxTransformer(key: Buffer): ValueTransformer {
  if (key.length !== nacl.secretbox.keyLength) {
    throw new Error(`invalid secretbox key length ${key.length}`);
  }
  const k = new Uint8Array(key);
  const nonceLength = nacl.secretbox.nonceLength;
  return {
    toStorage(data) {
      const nonce = randomBytes(nonceLength);
      const sealed = nacl.secretbox(new Uint8Array(data), new Uint8Array(nonce), k);
      return Buffer.concat([nonce, sealed]);
    },
    fromStorage(data): FromStorageResult {
      if (data.length < nonceLength + nacl.secretbox.overheadLength) {
        throw new Error('the stored data was shorter than the required size');
      }
      const opened = nacl.secretbox.open(
        new Uint8Array(data.subarray(nonceLength)),
        new Uint8Array(data.subarray(0, nonceLength)),
        k,
      );
      if (!opened) throw new Error('secretbox: message authentication failed');
      return { data: Buffer.from(opened), stale: false };
    },
  };
}

export const identityTransformer: ValueTransformer = {
  toStorage: (data) => data,
  fromStorage(data): FromStorageResult {
    if (data.subarray(0, ENCRYPTED_PREFIX.length).toString() === ENCRYPTED_PREFIX) {
      throw new Error('identity transformer tried to read encrypted data');
    }
    return { data, stale: false };
  },
};
