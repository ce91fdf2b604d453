import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  EncryptionConfigError,
  parseEncryptionConfiguration,
  providerTransformers,
  ResourceTransformers,
} from './config.js';
import { EncryptionAtRest } from './encryption.js';
import { PrefixTransformers, type TransformationObserver } from './transformer.js';

const KEY1 = Buffer.alloc(32, 1).toString('base64');
const KEY2 = Buffer.alloc(32, 2).toString('base64');
const AAD = '/registry/secrets/default/s1';
const PLAIN = Buffer.from('{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}');

function config(providers: string, resources = '[secrets]'): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: ${resources}
  providers:
${providers}`;
}

function transformers(providers: string): PrefixTransformers {
  const cfg = parseEncryptionConfiguration(config(providers));
  return new PrefixTransformers(providerTransformers(cfg.resources[0]!.providers));
}

function configError(text: string): string[] {
  try {
    parseEncryptionConfiguration(text);
  } catch (err) {
    expect(err).toBeInstanceOf(EncryptionConfigError);
    return (err as EncryptionConfigError).fieldErrors.map((e) => e.message);
  }
  throw new Error('expected a validation error');
}

describe('EncryptionConfiguration parsing and validation', () => {
  it('reads YAML and JSON with every local provider', () => {
    const yaml = parseEncryptionConfiguration(
      config(`  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}
  - aescbc: {keys: [{name: k2, secret: ${Buffer.alloc(16, 3).toString('base64')}}]}
  - secretbox: {keys: [{name: k3, secret: ${KEY2}}]}
  - identity: {}`),
    );
    expect(yaml.resources[0]!.providers.map((p) => p.type)).toEqual([
      'aesgcm',
      'aescbc',
      'secretbox',
      'identity',
    ]);
    const json = parseEncryptionConfiguration(
      JSON.stringify({
        apiVersion: 'apiserver.config.k8s.io/v1',
        kind: 'EncryptionConfiguration',
        resources: [{ resources: ['secrets', '*.apps'], providers: [{ identity: {} }] }],
      }),
    );
    expect(json.resources[0]!.resources).toEqual(['secrets', '*.apps']);
  });

  it('names the field of each mistake, never showing the secret', () => {
    const errors = configError(
      config(`  - aesgcm: {keys: [{name: key1, secret: ${Buffer.alloc(8).toString('base64')}}, {secret: ${KEY1}}]}
  - secretbox: {keys: [{name: k, secret: "not base64!"}]}
  - secretbox: {keys: [{name: k, secret: ${Buffer.alloc(16).toString('base64')}}]}
  - aescbc: {keys: []}
  - {}`),
    );
    expect(errors).toEqual([
      'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 8, expected one of [16 24 32]',
      'resources[0].providers[0].aesgcm.keys[1].name: Required value: name is a mandatory field for a key',
      'resources[0].providers[1].secretbox.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded',
      'resources[0].providers[2].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]',
      'resources[0].providers[3].aescbc.keys: Required value: at least one keys is required',
      'resources[0].providers[4]: Invalid value: {}: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity',
    ]);
  });

  it('rejects resource lists as upstream and kms with a clear message', () => {
    expect(configError(config('  - identity: {}', '["*"]'))[0]).toContain(
      'resources[0].resources[0]: Invalid value: "*": use \'*.\' to encrypt all the resources',
    );
    expect(configError(config('  - identity: {}', '[secrets, "*."]'))[0]).toContain(
      'using overlapping resources',
    );
    expect(configError(config('  - identity: {}', '[Secrets]'))[0]).toContain(
      'resource name should not contain capital letters',
    );
    expect(configError(config('  - identity: {}', '[]'))[0]).toBe(
      'resources[0].resources: Required value: at least one resources[0].resources is required',
    );
    expect(configError(config('  - kms: {name: x, endpoint: unix:///kms.sock}'))[0]).toContain(
      'resources[0].providers[0].kms: Invalid value: "kms": KMS providers are not supported',
    );
    expect(() => parseEncryptionConfiguration('kind: Foo')).toThrow(
      /expected kind EncryptionConfiguration/,
    );
  });
});

describe('providers and the stored format', () => {
  it('aesgcm: k8s:enc:aesgcm:v1:<key>: + 12-byte nonce + sealed, the etcd key as AAD', () => {
    const t = transformers(`  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}`);
    const stored = t.toStorage(PLAIN, AAD);
    const prefix = 'k8s:enc:aesgcm:v1:key1:';
    expect(stored.subarray(0, prefix.length).toString()).toBe(prefix);
    expect(stored.includes(PLAIN)).toBe(false);
    // Read it the way upstream's Go code does: nonce, ciphertext, 16-byte tag, AAD = key.
    const body = stored.subarray(prefix.length);
    const d = createDecipheriv('aes-256-gcm', Buffer.from(KEY1, 'base64'), body.subarray(0, 12));
    d.setAAD(Buffer.from(AAD));
    d.setAuthTag(body.subarray(body.length - 16));
    expect(Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()])).toEqual(
      PLAIN,
    );
    expect(t.fromStorage(stored, AAD)).toEqual({ data: PLAIN, stale: false });
    // Copied to another key, the value does not authenticate.
    expect(() => t.fromStorage(stored, '/registry/secrets/default/other')).toThrow(
      'message authentication failed',
    );
  });

  it('aescbc: 16-byte IV + PKCS#7-padded CBC', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const t = transformers(`  - aescbc: {keys: [{name: k, secret: ${key}}]}`);
    const stored = t.toStorage(PLAIN, AAD);
    const body = stored.subarray('k8s:enc:aescbc:v1:k:'.length);
    expect((body.length - 16) % 16).toBe(0);
    const d = createDecipheriv('aes-256-cbc', Buffer.from(key, 'base64'), body.subarray(0, 16));
    expect(Buffer.concat([d.update(body.subarray(16)), d.final()])).toEqual(PLAIN);
    expect(t.fromStorage(stored, AAD).data).toEqual(PLAIN);
  });

  it('secretbox: 24-byte nonce + NaCl secretbox', () => {
    const t = transformers(`  - secretbox: {keys: [{name: sb, secret: ${KEY2}}]}`);
    const stored = t.toStorage(PLAIN, AAD);
    const body = stored.subarray('k8s:enc:secretbox:v1:sb:'.length);
    const opened = nacl.secretbox.open(
      new Uint8Array(body.subarray(24)),
      new Uint8Array(body.subarray(0, 24)),
      new Uint8Array(Buffer.from(KEY2, 'base64')),
    );
    expect(Buffer.from(opened!)).toEqual(PLAIN);
  });

  it('reads with any provider, writes with the first, marks older keys stale', () => {
    const old = transformers(`  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}`);
    const rotated =
      transformers(`  - aesgcm: {keys: [{name: key2, secret: ${KEY2}}, {name: key1, secret: ${KEY1}}]}
  - identity: {}`);
    const byOld = old.toStorage(PLAIN, AAD);
    expect(rotated.fromStorage(byOld, AAD)).toEqual({ data: PLAIN, stale: true });
    const byNew = rotated.toStorage(PLAIN, AAD);
    expect(byNew.toString().startsWith('k8s:enc:aesgcm:v1:key2:')).toBe(true);
    expect(rotated.fromStorage(byNew, AAD).stale).toBe(false);
    // Unencrypted values stay readable while identity is listed (stale: not the write provider).
    expect(rotated.fromStorage(PLAIN, AAD)).toEqual({ data: PLAIN, stale: true });
    // Without identity, plaintext is refused.
    expect(() => old.fromStorage(PLAIN, AAD)).toThrow('no matching prefix found');
  });

  it('identity first: writes plaintext, still reads encrypted values (decrypting away)', () => {
    const t = transformers(`  - identity: {}
  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}`);
    expect(t.toStorage(PLAIN, AAD)).toEqual(PLAIN);
    const enc = transformers(`  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}`).toStorage(
      PLAIN,
      AAD,
    );
    expect(t.fromStorage(enc, AAD)).toEqual({ data: PLAIN, stale: true });
  });

  it('a wrong key with the same name is an error, never garbage', () => {
    const a = transformers(`  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}`);
    const b = transformers(`  - aesgcm: {keys: [{name: key1, secret: ${KEY2}}]}`);
    expect(() => b.fromStorage(a.toStorage(PLAIN, AAD), AAD)).toThrow(
      'cipher: message authentication failed',
    );
  });

  it('records each transformation for the metrics', () => {
    const seen: string[] = [];
    const observer: TransformationObserver = {
      transformation: (type, prefix, _s, error) => seen.push(`${type} ${prefix} ${error}`),
    };
    const cfg = parseEncryptionConfiguration(
      config(`  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}`),
    );
    const t = new PrefixTransformers(providerTransformers(cfg.resources[0]!.providers), observer);
    t.fromStorage(t.toStorage(PLAIN, AAD), AAD);
    expect(() => t.fromStorage(Buffer.from('{}'), AAD)).toThrow();
    expect(seen).toEqual([
      'to_storage k8s:enc:aesgcm:v1:key1: false',
      'from_storage k8s:enc:aesgcm:v1:key1: false',
      'from_storage unknown true',
    ]);
  });
});

describe('resource matching', () => {
  const cfg = (resources: string[][]): ResourceTransformers =>
    new ResourceTransformers({
      resources: resources.map((r, i) => ({
        resources: r,
        providers: [{ type: 'aesgcm', keys: [{ name: `k${i}`, secret: KEY1 }] }],
      })),
    });
  const prefixOf = (t: ResourceTransformers, group: string, resource: string): string => {
    const tr = t.forResource({ group, resource });
    return tr ? tr.toStorage(PLAIN, AAD).toString('latin1').split(':')[4]! : 'none';
  };

  it('exact names, group wildcards, *. and *.*; the first entry naming a resource wins', () => {
    const t = cfg([['secrets'], ['*.apps', 'configmaps'], ['secrets', '*.*']]);
    expect(prefixOf(t, '', 'secrets')).toBe('k0');
    expect(prefixOf(t, 'apps', 'deployments')).toBe('k1');
    expect(prefixOf(t, '', 'configmaps')).toBe('k1');
    expect(prefixOf(t, 'batch', 'jobs')).toBe('k2');
    const core = cfg([['*.']]);
    expect(prefixOf(core, '', 'pods')).toBe('k0');
    expect(prefixOf(core, 'apps', 'deployments')).toBe('none');
  });
});

describe('automatic reload', () => {
  it('applies a changed valid file and keeps the old one when the new is invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubets-enc-'));
    try {
      const path = join(dir, 'enc.yaml');
      writeFileSync(path, config(`  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}`));
      const errors: string[] = [];
      const enc = EncryptionAtRest.load(path, {
        reload: { intervalMs: 3_600_000, onError: (e) => errors.push(e.message) },
      });
      const t = enc.forResource({ group: '', resource: 'secrets' })!;
      expect(t.toStorage(PLAIN, AAD).toString()).toMatch(/^k8s:enc:aesgcm:v1:key1:/);
      expect(enc.reloadNow()).toBe(false);
      writeFileSync(
        path,
        config(`  - secretbox: {keys: [{name: sb, secret: ${KEY2}}]}
  - aesgcm: {keys: [{name: key1, secret: ${KEY1}}]}`),
      );
      const before = t.toStorage(PLAIN, AAD);
      expect(enc.reloadNow()).toBe(true);
      expect(t.toStorage(PLAIN, AAD).toString()).toMatch(/^k8s:enc:secretbox:v1:sb:/);
      expect(t.fromStorage(before, AAD)).toEqual({ data: PLAIN, stale: true });
      writeFileSync(path, 'kind: nonsense');
      expect(enc.reloadNow()).toBe(false);
      expect(errors[0]).toContain('expected kind EncryptionConfiguration');
      expect(t.toStorage(PLAIN, AAD).toString()).toMatch(/^k8s:enc:secretbox:v1:sb:/);
      enc.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('load names the flag and the file', () => {
    expect(() => EncryptionAtRest.load('/nonexistent/enc.yaml')).toThrow(
      /^--encryption-provider-config: cannot read \/nonexistent\/enc.yaml/,
    );
  });
});
