import { describe, expect, it } from 'vitest';
import { isInvalid } from '../errors/status-error.js';
import {
  applyJsonPatch,
  JsonPatchError,
  MAX_JSON_PATCH_OPERATIONS,
  parseJsonPatch,
} from './json-patch.js';

const doc = {
  metadata: { name: 'web', annotations: { a: '1' } },
  spec: { replicas: 1, list: ['x', 'y'] },
};

describe('applyJsonPatch', () => {
  it('applies RFC 6902 operations without touching the input', () => {
    const before = JSON.stringify(doc);
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/list/-', value: 'z' },
      { op: 'add', path: '/spec/list/0', value: 'w' },
      { op: 'remove', path: '/metadata/annotations/a' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels' },
      { op: 'move', from: '/metadata/labels', path: '/metadata/generateName' },
      { op: 'test', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/annotations/a~1b', value: 'slash' },
    ]);
    expect(out).toEqual({
      metadata: { name: 'web', annotations: { 'a/b': 'slash' }, generateName: 'web' },
      spec: { replicas: 3, list: ['w', 'x', 'y', 'z'] },
    });
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('applies the rollout undo patch kubectl sends', () => {
    const out = applyJsonPatch(
      {
        spec: { template: { spec: { containers: [{ name: 'a', image: 'v2' }] } } },
        metadata: { annotations: { x: '1' } },
      },
      [
        {
          op: 'replace',
          path: '/spec/template',
          value: {
            metadata: { creationTimestamp: null },
            spec: { containers: [{ name: 'a', image: 'v1', resources: {} }] },
          },
        },
        {
          op: 'replace',
          path: '/metadata/annotations',
          value: { 'deployment.kubernetes.io/revision': '1' },
        },
      ],
    );
    expect(out).toEqual({
      spec: {
        template: {
          metadata: { creationTimestamp: null },
          spec: { containers: [{ name: 'a', image: 'v1', resources: {} }] },
        },
      },
      metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } },
    });
  });

  it.each([
    [
      [{ op: 'test', path: '/spec/replicas', value: 2 }],
      'testing value /spec/replicas failed: test failed',
      0,
    ],
    [
      [{ op: 'replace', path: '/spec/nope', value: 1 }],
      'replace operation does not apply: doc is missing path: "/spec/nope"',
      0,
    ],
    [
      [{ op: 'remove', path: '/spec/nope' }],
      'remove operation does not apply: doc is missing path: "/spec/nope"',
      0,
    ],
    [
      [{ op: 'add', path: '/spec/a/b', value: 1 }],
      'add operation does not apply: doc is missing path: "/spec/a/b"',
      0,
    ],
    [
      [{ op: 'add', path: '/spec/list/9', value: 1 }],
      'add operation does not apply: array index out of bounds in path: "/spec/list/9"',
      0,
    ],
    [
      [
        { op: 'add', path: '/x', value: 1 },
        { op: 'move', from: '/y', path: '/z' },
      ],
      'move operation does not apply: doc is missing from path: "/y"',
      1,
    ],
  ])('fails %j with a clear message and a 422', (patch, message, index) => {
    let err: JsonPatchError | undefined;
    try {
      applyJsonPatch(doc, patch);
    } catch (e) {
      err = e as JsonPatchError;
    }
    expect(err).toBeInstanceOf(JsonPatchError);
    expect(err!.message).toBe(message);
    expect(err!.operationIndex).toBe(index);
    expect(err!.kind).toBe('apply');
    const status = err!.toStatusError();
    expect(isInvalid(status)).toBe(true);
    expect(status.code).toBe(422);
    expect(status.message).toBe('the server rejected our request due to an error in our request');
    expect(status.status.details?.causes?.[0]?.message).toBe(message);
  });

  it('rejects malformed patches with a 400', () => {
    for (const [patch, msg] of [
      [{ op: 'add' }, 'json patch must be a JSON array of operations'],
      [[1], 'json patch operation 0 is not an object'],
      [[{ op: 'frobnicate', path: '/a' }], 'json patch operation 0: unsupported op "frobnicate"'],
      [
        [{ op: 'add', path: 'a', value: 1 }],
        'json patch operation 0 (add): "path" must be a JSON pointer',
      ],
      [[{ op: 'add', path: '/a' }], 'json patch operation 0 (add /a): missing "value"'],
      [
        [{ op: 'move', path: '/a' }],
        'json patch operation 0 (move /a): "from" must be a JSON pointer',
      ],
      [[{ op: 'add', path: '/a~2', value: 1 }], '"path" must be a JSON pointer'],
    ] as const) {
      expect(() => applyJsonPatch(doc, patch)).toThrow(msg);
      try {
        parseJsonPatch(patch);
      } catch (e) {
        expect((e as JsonPatchError).toStatusError().code).toBe(400);
      }
    }
  });

  it('limits the number of operations like the API server', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '/spec/replicas',
      value: 1,
    }));
    try {
      applyJsonPatch(doc, ops);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toBe(
        'The allowed maximum operations in a JSON patch is 10000, got 10001',
      );
      expect((e as JsonPatchError).toStatusError().code).toBe(413);
    }
    expect(applyJsonPatch(doc, ops.slice(1))).toEqual(doc);
  });

  it('refuses prototype pollution', () => {
    expect(() =>
      applyJsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: 1 }]),
    ).toThrow(JsonPatchError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
