import { describe, expect, it } from 'vitest';
import { scriptedRandomBytes, seededRandomBytes } from '../../test/random.js';
import {
  BOOTSTRAP_TOKEN_PATTERN,
  bootstrapTokenSecret,
  generateBootstrapToken,
  parseBootstrapToken,
} from './bootstrap-token.js';

describe('generateBootstrapToken', () => {
  it('always has the form [a-z0-9]{6}.[a-z0-9]{16}', () => {
    const random = seededRandomBytes(3);
    const tokens = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const token = generateBootstrapToken(random);
      expect(token).toMatch(BOOTSTRAP_TOKEN_PATTERN);
      tokens.add(token);
    }
    expect(tokens.size).toBe(500);
  });

  it('redraws bytes >= 252 so every character is equally likely', () => {
    // 252..255 would map to a..d a second time; they must be skipped, and only the missing
    // characters requested again.
    const random = scriptedRandomBytes(
      [252, 253, 254, 255, 0, 1], // -> "ab", 4 still missing
      [35, 36, 71, 255], // -> "9a9", 1 still missing
      [251], // -> "9"
      new Array<number>(16).fill(37), // -> 16 x "b"
    );
    expect(generateBootstrapToken(random)).toBe('ab9a99.bbbbbbbbbbbbbbbb');
  });

  it('round-trips through parseBootstrapToken', () => {
    const token = generateBootstrapToken(seededRandomBytes(9));
    const { id, secret } = parseBootstrapToken(token);
    expect(`${id}.${secret}`).toBe(token);
  });
});

describe('parseBootstrapToken', () => {
  it('refuses anything but the exact format', () => {
    for (const bad of [
      'abcdef.0123456789abcde',
      'ABCDEF.0123456789abcdef',
      'abcdef-0123456789abcdef',
      ' abcdef.0123456789abcdef',
      'abcdef.0123456789abcdef\n',
    ]) {
      expect(() => parseBootstrapToken(bad), JSON.stringify(bad)).toThrow(
        '[a-z0-9]{6}.[a-z0-9]{16}',
      );
    }
  });
});

describe('bootstrapTokenSecret', () => {
  const token = 'abcdef.0123456789abcdef';
  const now = new Date('2026-01-15T12:00:00.500Z');

  it('is the Secret kubeadm token create stores', () => {
    expect(bootstrapTokenSecret(token, { now, ttlMs: 24 * 3600_000, description: 'join' })).toEqual(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
        type: 'bootstrap.kubernetes.io/token',
        stringData: {
          description: 'join',
          'token-id': 'abcdef',
          'token-secret': '0123456789abcdef',
          expiration: '2026-01-16T12:00:00Z',
          'usage-bootstrap-signing': 'true',
          'usage-bootstrap-authentication': 'true',
          'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
        },
      },
    );
  });

  it('omits the expiration for a TTL of 0 and honours usages and groups', () => {
    const secret = bootstrapTokenSecret(token, {
      now,
      ttlMs: 0,
      usages: ['authentication'],
      groups: ['system:bootstrappers:worker'],
    }) as { stringData: Record<string, string> };
    expect(secret.stringData.expiration).toBeUndefined();
    expect(secret.stringData['usage-bootstrap-signing']).toBeUndefined();
    expect(secret.stringData['usage-bootstrap-authentication']).toBe('true');
    expect(secret.stringData['auth-extra-groups']).toBe('system:bootstrappers:worker');
  });

  it('refuses groups outside system:bootstrappers and negative TTLs', () => {
    expect(() =>
      bootstrapTokenSecret(token, { now, ttlMs: 0, groups: ['system:masters'] }),
    ).toThrow('bootstrap token group "system:masters" must match');
    expect(() => bootstrapTokenSecret(token, { now, ttlMs: -1 })).toThrow(
      'token TTL must be zero or positive',
    );
  });
});
