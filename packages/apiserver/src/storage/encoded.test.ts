import { describe, expect, it } from 'vitest';
import type { ApiObject } from './codec.js';
import { encodeObject } from './codec.js';
import { encodedJson, encodeMembers, rememberRelabelled, rememberStored } from './encoded.js';

/** What the store returns for a write: the object with resourceVersion, selfLink gone. */
function storedView(obj: ApiObject, rv: string): ApiObject {
  const { resourceVersion: _rv, selfLink: _sl, ...rest } = obj.metadata ?? {};
  return { ...obj, metadata: { ...rest, resourceVersion: rv } };
}

const objects: ApiObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'ns',
      resourceVersion: '7',
      selfLink: '/x',
      labels: { a: 'b' },
    },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: {},
  },
  {
    kind: 'Thing',
    metadata: {},
    data: { 'k"ey': 'v\u2028' },
    extra: undefined,
    apiVersion: 'x/v1',
  },
  { apiVersion: 'v1', kind: 'ConfigMap', data: { '0': 'zero' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' }, '1': 'one' },
];

describe('answer text reused from the write', () => {
  it('stores exactly the bytes encodeObject gives', () => {
    for (const obj of objects) {
      expect(encodeMembers(obj).bytes.toString()).toBe(encodeObject(obj).toString());
    }
  });

  it('answers with exactly what JSON.stringify gives for the stored and relabelled views', () => {
    for (const obj of objects) {
      const { members } = encodeMembers(obj);
      const stored = storedView(obj, '42');
      rememberStored(stored, members, '42');
      expect(encodedJson(stored)).toBe(JSON.stringify(stored));
      expect(encodedJson({ ...stored })).toBeUndefined();
      for (const [apiVersion, kind] of [
        ['v1', 'Pod'],
        ['other/v2', 'Other'],
      ] as const) {
        const { apiVersion: _a, kind: _k, ...rest } = stored;
        const relabelled = { apiVersion, kind, ...rest };
        rememberRelabelled(relabelled, stored, apiVersion, kind);
        // What the answer sends (integer-like keys reorder members: those are stringified).
        expect(encodedJson(relabelled) ?? JSON.stringify(relabelled)).toBe(
          JSON.stringify(relabelled),
        );
      }
    }
  });

  it('has no text for objects that were not written', () => {
    expect(encodedJson({ a: 1 })).toBeUndefined();
    expect(encodedJson('x')).toBeUndefined();
  });
});
