import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../storage/codec.js';
import { encodedJson } from '../storage/encoded.js';
import { relabel } from './objects.js';

describe('relabel', () => {
  it('puts apiVersion and kind first and shares the other members, an own __proto__ included', () => {
    const spec = { containers: [] };
    const obj = JSON.parse(
      '{"metadata":{"name":"a"},"kind":"Old","spec":{"containers":[]},"apiVersion":"v0","__proto__":{"x":1}}',
    ) as ApiObject;
    const out = relabel(obj, 'v1', 'Pod');
    expect(Object.keys(out)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', '__proto__']);
    expect(out.metadata).toBe(obj.metadata);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[]},"__proto__":{"x":1}}',
    );
    expect(JSON.stringify(relabel({ spec }, 'v1', 'Pod'))).toBe(
      '{"apiVersion":"v1","kind":"Pod","spec":{"containers":[]}}',
    );
    // No recorded text for an object that was not just written.
    expect(encodedJson(out)).toBeUndefined();
  });
});
