import { describe, expect, it } from 'vitest';
import { applyMergePatch, createMergePatch, MergePatchError } from './merge-patch.js';

// RFC 7386 appendix A examples, plus the library behaviour the API server relies on.
describe('applyMergePatch', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j', (doc, patch, want) => {
    expect(applyMergePatch(doc, patch)).toEqual(want);
  });

  it('handles kubectl label and scale patches', () => {
    const pod = {
      metadata: { name: 'x', labels: { app: 'web', tier: 'a' } },
      spec: { replicas: 1 },
    };
    expect(applyMergePatch(pod, { metadata: { labels: { tier: null, env: 'prod' } } })).toEqual({
      metadata: { name: 'x', labels: { app: 'web', env: 'prod' } },
      spec: { replicas: 1 },
    });
    expect(applyMergePatch(pod, { spec: { replicas: 3 } })).toEqual({
      ...pod,
      spec: { replicas: 3 },
    });
  });

  it('keeps nulls inside arrays but prunes them inside new objects', () => {
    expect(applyMergePatch({}, { a: [null, { b: null, c: 1 }] })).toEqual({ a: [null, { c: 1 }] });
    expect(applyMergePatch({ a: {} }, { a: [null] })).toEqual({ a: [null] });
  });

  it('rejects null and scalar patches like the library does', () => {
    expect(() => applyMergePatch({}, null)).toThrow(new MergePatchError('Invalid JSON Patch'));
    expect(() => applyMergePatch({}, 'x')).toThrow('Invalid JSON Patch');
    expect(() => applyMergePatch(null, {})).toThrow('Invalid JSON Document');
  });

  it('does not modify its inputs', () => {
    const doc = { a: { b: 1 } };
    const patch = { a: { c: 2 } };
    applyMergePatch(doc, patch);
    expect(doc).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });
});

describe('createMergePatch', () => {
  it('produces a patch that turns original into modified', () => {
    const original = { a: 1, b: { c: 2, d: 3 }, e: [1, 2], f: 'gone' };
    const modified = { a: 1, b: { c: 4, d: 3 }, e: [1, 2, 3], g: true };
    const patch = createMergePatch(original, modified);
    expect(patch).toEqual({ b: { c: 4 }, e: [1, 2, 3], f: null, g: true });
    expect(applyMergePatch(original, patch)).toEqual(modified);
    expect(createMergePatch(original, original)).toEqual({});
  });
});

describe('__proto__ keys', () => {
  it('are refused instead of rewriting prototypes', () => {
    const patch = JSON.parse('{"a":{"__proto__":{"polluted":true}}}');
    expect(() => applyMergePatch({ a: {} }, patch)).toThrow('the key "__proto__" is not allowed');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
