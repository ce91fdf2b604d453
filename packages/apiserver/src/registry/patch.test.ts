import { describe, expect, it } from 'vitest';
import { UNSTRUCTURED } from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';
import { applyPatch, restoreManagedFields, withoutManagedFields } from './patch.js';

// The registry hands applyPatch a view that shares everything with the object the update
// compares against (immutable fields, resourceVersion): no patch type may change its input, and
// the result must share nothing with the input or the patch (the registry then edits it).
describe('applyPatch', () => {
  const live = (): ApiObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'ns', labels: { a: '1' }, resourceVersion: '5' },
    data: { k: 'v', nested: 'x' },
  });
  const cases: [Parameters<typeof applyPatch>[0], unknown][] = [
    ['merge', { metadata: { labels: { a: '2', b: '3' } }, data: { k: null } }],
    [
      'json',
      [
        { op: 'replace', path: '/metadata/labels/a', value: '2' },
        { op: 'add', path: '/metadata/labels/b', value: '3' },
        { op: 'add', path: '/data/obj', value: { deep: { x: 1 } } },
        { op: 'remove', path: '/data/k' },
      ],
    ],
    ['strategic', { metadata: { labels: { a: '2', b: '3' } }, data: { k: null } }],
  ];
  for (const [type, patch] of cases) {
    it(`${type}: leaves the document and the patch untouched, shares nothing with them`, () => {
      const doc = live();
      const before = JSON.parse(JSON.stringify(doc)) as ApiObject;
      const patchCopy = JSON.parse(JSON.stringify(patch)) as unknown;
      const out = applyPatch(type, doc, patch as never, UNSTRUCTURED);
      expect(doc).toEqual(before);
      expect(patch).toEqual(patchCopy);
      expect((out.metadata!.labels as Record<string, string>).a).toBe('2');
      // Editing the result reaches neither input.
      (out.metadata!.labels as Record<string, string>).a = 'changed';
      const data = out.data as Record<string, unknown>;
      if (data.obj) (data.obj as { deep: { x: number } }).deep.x = 99;
      expect(doc).toEqual(before);
      expect(patch).toEqual(patchCopy);
    });
  }
});

describe('managedFields left out of a patch copy', () => {
  const entries = [
    {
      manager: 'kubectl',
      operation: 'Update',
      apiVersion: 'v1',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:k': {} } },
    },
  ];
  const live = (): ApiObject =>
    ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', managedFields: entries, labels: { a: '1' } },
      data: { k: 'v' },
    }) as unknown as ApiObject;

  for (const type of ['merge', 'strategic'] as const) {
    it(`${type}: a patch that leaves them alone gets the live list back, in its place`, () => {
      const current = live();
      const patch = { metadata: { annotations: { x: '1' } }, data: { k: 'w' } };
      const shared = withoutManagedFields(type, current, patch)!;
      expect(shared.entries).toBe(entries);
      const out = applyPatch(type, shared.view, patch, UNSTRUCTURED);
      restoreManagedFields(out, shared);
      expect(out.metadata?.managedFields).toBe(entries);
      expect(Object.keys(out.metadata!)).toEqual([
        'name',
        'managedFields',
        'labels',
        'annotations',
      ]);
      // The same JSON as patching a full copy.
      expect(JSON.stringify(out)).toBe(
        JSON.stringify(applyPatch(type, live(), patch, UNSTRUCTURED)),
      );
      expect(current).toEqual(live());
    });
  }

  it('takes the ordinary path when the patch names them, uses directives, or is a JSON patch', () => {
    const current = live();
    expect(withoutManagedFields('merge', current, { metadata: { managedFields: null } })).toBe(
      undefined,
    );
    expect(withoutManagedFields('merge', current, { metadata: null })).toBe(undefined);
    expect(
      withoutManagedFields('strategic', current, { metadata: { $retainKeys: ['name'] } }),
    ).toBe(undefined);
    expect(withoutManagedFields('strategic', current, { $patch: 'replace' })).toBe(undefined);
    expect(
      withoutManagedFields('strategic', current, {
        metadata: { '$setElementOrder/managedFields': [] },
      }),
    ).toBe(undefined);
    expect(withoutManagedFields('json', current, [])).toBe(undefined);
  });

  it('a patch that removes metadata leaves nothing to restore', () => {
    const current = live();
    const patch = { data: { k: 'w' } };
    const shared = withoutManagedFields('merge', current, patch)!;
    const out = applyPatch('merge', shared.view, patch, undefined);
    delete out.metadata;
    restoreManagedFields(out, shared);
    expect(out.metadata).toBeUndefined();
  });
});
