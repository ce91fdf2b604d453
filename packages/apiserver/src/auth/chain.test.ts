import { describe, expect, it } from 'vitest';
import { isForbidden, isUnauthorized } from '@kubets/apimachinery';
import { alwaysDeny } from './authz/authorizer.js';
import { SecurityChain } from './chain.js';
import type { UserInfo } from './types.js';

function chain(o: { anonymous?: boolean; ttl?: number; now?: () => Date } = {}) {
  const tokens = new Map<string, UserInfo>([
    ['t', { username: 'alice', uid: '1', groups: ['dev'] }],
  ]);
  const c = new SecurityChain({
    tokens,
    anonymous: o.anonymous ?? true,
    authorizers: [alwaysDeny],
    ...(o.ttl !== undefined ? { tokenSuccessCacheTTLMs: o.ttl } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  return { c, tokens };
}

describe('security chain', () => {
  it('authenticates tokens, adds system:authenticated, and falls back to anonymous only without credentials', async () => {
    const { c } = chain();
    await expect(c.authenticate({ authorization: 'Bearer t' })).resolves.toEqual({
      username: 'alice',
      uid: '1',
      groups: ['dev', 'system:authenticated'],
    });
    await expect(c.authenticate({})).resolves.toEqual({
      username: 'system:anonymous',
      groups: ['system:unauthenticated'],
    });
    for (const creds of [
      { authorization: 'Bearer nope' },
      { peerCertificateError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    ]) {
      const err = await c.authenticate(creds).catch((e: unknown) => e);
      expect(isUnauthorized(err)).toBe(true);
    }
    const off = chain({ anonymous: false }).c;
    expect(isUnauthorized(await off.authenticate({}).catch((e: unknown) => e))).toBe(true);
  });

  it("lets system:masters through whatever the modes, and forbids the rest with upstream's message", async () => {
    const { c } = chain();
    await expect(
      c.authorize(
        { username: 'root', groups: ['system:masters'] },
        { kind: 'nonresource', verb: 'get', path: '/x' },
      ),
    ).resolves.toEqual({});
    const err = await c
      .authorize({ username: 'bob', groups: [] }, { kind: 'nonresource', verb: 'get', path: '/x' })
      .catch((e: unknown) => e);
    expect(isForbidden(err)).toBe(true);
    expect((err as Error).message).toBe(
      'forbidden: User "bob" cannot get path "/x": Everything is forbidden.',
    );
  });

  it('reuses a successful token authentication for the cache TTL only', async () => {
    let now = 0;
    const { c, tokens } = chain({ ttl: 10_000, now: () => new Date(now) });
    await expect(c.authenticateToken('t')).resolves.toBeDefined();
    tokens.delete('t');
    await expect(c.authenticateToken('t')).resolves.toBeDefined();
    now = 10_001;
    await expect(c.authenticateToken('t')).resolves.toBeUndefined();
  });
});
