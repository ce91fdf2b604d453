import { describe, expect, it } from 'vitest';
import { isBadRequest, isInvalid, isResourceExpired } from '../errors/status-error.js';
import {
  compareResourceVersions,
  formatResourceVersion,
  InvalidResourceVersionError,
  listOptionsError,
  parseResourceVersion,
  resolveListSemantics,
  resolveWatchSemantics,
  validateListOptions,
} from './resource-version.js';
import {
  decodeContinue,
  encodeContinue,
  INCONSISTENT_CONTINUE_MESSAGE,
  InvalidContinueTokenError,
  newExpiredContinue,
} from './continue-token.js';

describe('parseResourceVersion', () => {
  it('parses decimal revisions; empty and 0 mean any', () => {
    expect(parseResourceVersion('')).toBe(0n);
    expect(parseResourceVersion(undefined)).toBe(0n);
    expect(parseResourceVersion('0')).toBe(0n);
    expect(parseResourceVersion('12345')).toBe(12345n);
    expect(parseResourceVersion('18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(formatResourceVersion(42n)).toBe('42');
  });

  it('rejects anything else with the upstream field error', () => {
    expect(() => parseResourceVersion('abc')).toThrow(
      'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
    );
    expect(() => parseResourceVersion('-1')).toThrow(InvalidResourceVersionError);
    expect(() => parseResourceVersion('18446744073709551616')).toThrow('value out of range');
    try {
      parseResourceVersion('1.5');
    } catch (e) {
      const status = (e as InvalidResourceVersionError).toStatusError();
      expect(isBadRequest(status)).toBe(true);
      expect(status.code).toBe(400);
    }
  });

  it('compares numerically', () => {
    expect(compareResourceVersions('9', '10')).toBe(-1);
    expect(compareResourceVersions('10', '10')).toBe(0);
    expect(compareResourceVersions('11', '10')).toBe(1);
  });
});

describe('list semantics', () => {
  it.each([
    [{}, { kind: 'MostRecent' }],
    [{ resourceVersion: '0' }, { kind: 'Any' }],
    [{ resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' }, { kind: 'Any' }],
    [{ resourceVersion: '7' }, { kind: 'NotOlderThan', resourceVersion: 7n }],
    [
      { resourceVersion: '7', resourceVersionMatch: 'NotOlderThan', limit: 5 },
      { kind: 'NotOlderThan', resourceVersion: 7n },
    ],
    [
      { resourceVersion: '7', limit: 5 },
      { kind: 'Exact', resourceVersion: 7n },
    ],
    [
      { resourceVersion: '7', resourceVersionMatch: 'Exact' },
      { kind: 'Exact', resourceVersion: 7n },
    ],
    [{ limit: 5 }, { kind: 'MostRecent' }],
    [{ continue: 'tok' }, { kind: 'Continue' }],
    [{ continue: 'tok', resourceVersion: '0' }, { kind: 'Continue' }],
  ])('list semantics case %#', (opts, want) => {
    expect(resolveListSemantics(opts)).toEqual(want);
  });

  it('refuses a resourceVersion with continue', () => {
    expect(() => resolveListSemantics({ continue: 'tok', resourceVersion: '5' })).toThrow(
      'specifying resource version is not allowed when using continue',
    );
  });

  it('resolves watch starting points', () => {
    expect(resolveWatchSemantics({})).toEqual({ kind: 'MostRecent' });
    expect(resolveWatchSemantics({ resourceVersion: '0' })).toEqual({ kind: 'Any' });
    expect(resolveWatchSemantics({ resourceVersion: '105' })).toEqual({
      kind: 'After',
      resourceVersion: 105n,
    });
  });
});

describe('validateListOptions', () => {
  const msgs = (o: Parameters<typeof validateListOptions>[0]) =>
    validateListOptions(o).map((e) => e.message);

  it('accepts the combinations kubectl sends', () => {
    expect(msgs({ limit: 500 })).toEqual([]);
    expect(msgs({ fieldSelector: 'metadata.name=x', limit: 500, resourceVersion: '0' })).toEqual(
      [],
    );
    expect(
      msgs({ watch: true, resourceVersion: '105', allowWatchBookmarks: true, timeoutSeconds: 300 }),
    ).toEqual([]);
  });

  it('rejects resourceVersionMatch misuse with upstream messages', () => {
    expect(msgs({ resourceVersionMatch: 'NotOlderThan' })).toEqual([
      'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    ]);
    expect(msgs({ resourceVersionMatch: 'Exact', resourceVersion: '0' })).toEqual([
      'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    ]);
    expect(msgs({ resourceVersionMatch: 'Newest', resourceVersion: '1' })).toEqual([
      'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
    ]);
    expect(msgs({ resourceVersionMatch: 'Exact', resourceVersion: '1', continue: 'x' })).toEqual([
      'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided',
    ]);
    expect(msgs({ sendInitialEvents: true })).toEqual([
      'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
    ]);
  });

  it('validates watch options', () => {
    expect(msgs({ watch: true, resourceVersionMatch: 'NotOlderThan' })).toEqual([
      'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
    ]);
    expect(msgs({ watch: true, sendInitialEvents: true })).toEqual([
      'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
    ]);
    expect(
      validateListOptions(
        { watch: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' },
        { watchListEnabled: true },
      ),
    ).toEqual([]);
  });

  it('answers with the 422 ListOptions status', () => {
    const err = listOptionsError({ resourceVersionMatch: 'Exact' })!;
    expect(isInvalid(err)).toBe(true);
    expect(err.message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
    expect(listOptionsError({ limit: 1 })).toBeNull();
  });
});

describe('continue tokens', () => {
  it('encodes like upstream and round-trips', () => {
    const token = encodeContinue('/registry/pods/default/web-1', '/registry/pods/', 42);
    expect(token).toBe(
      Buffer.from('{"v":"meta.k8s.io/v1","rv":42,"start":"default/web-1"}').toString('base64url'),
    );
    expect(decodeContinue(token, '/registry/pods/')).toEqual({
      fromKey: '/registry/pods/default/web-1',
      resourceVersion: 42n,
    });
  });

  it('refuses keys outside the prefix', () => {
    expect(() => encodeContinue('/other/x', '/registry/pods/', 1)).toThrow(
      'the key and key prefix do not match',
    );
    const evil = Buffer.from('{"v":"meta.k8s.io/v1","rv":3,"start":"../secrets/x"}').toString(
      'base64url',
    );
    expect(() => decodeContinue(evil, '/registry/pods/')).toThrow(
      'continue key is not valid: ../secrets/x',
    );
  });

  it('rejects malformed tokens with upstream messages', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    expect(() => decodeContinue('!!!', '/p/')).toThrow(InvalidContinueTokenError);
    expect(() => decodeContinue(b64('not json'), '/p/')).toThrow(/^continue key is not valid: /);
    expect(() => decodeContinue(b64('{"v":"x/v9","rv":1,"start":"a"}'), '/p/')).toThrow(
      'continue key is not valid server does not recognize this encoded version "x/v9"',
    );
    expect(() => decodeContinue(b64('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}'), '/p/')).toThrow(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
    expect(() => decodeContinue(b64('{"v":"meta.k8s.io/v1","rv":1,"start":""}'), '/p/')).toThrow(
      'continue key is not valid: encoded start key empty',
    );
    try {
      decodeContinue('!!!', '/p/');
    } catch (e) {
      expect((e as InvalidContinueTokenError).toStatusError().message).toMatch(
        /^invalid continue token: continue key is not valid/,
      );
    }
  });

  it('has the 410 for expired tokens', () => {
    const err = newExpiredContinue();
    expect(isResourceExpired(err)).toBe(true);
    expect(err.code).toBe(410);
    expect(err.message).toBe(INCONSISTENT_CONTINUE_MESSAGE);
  });
});
