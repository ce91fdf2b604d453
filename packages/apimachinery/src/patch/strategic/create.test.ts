import { describe, expect, it } from 'vitest';
import { parseYamlLite } from '../../../test/yaml-lite.js';
import { RAW_CASES } from '../../../test/fixtures/smp-raw-cases.js';
import type { JsonObject } from '../../util/json.js';
import { strategicMergePatch } from './apply.js';
import {
  createThreeWayMergePatch,
  createTwoWayMergePatch,
  MergePatchConflictError,
  mergingMapsHaveConflicts,
} from './create.js';
import {
  field,
  lazy,
  listOf,
  mapOf,
  mergeList,
  patchSchema,
  scalar,
  struct,
  type SchemaNode,
} from './schema.js';

const y = (s: string): JsonObject => (parseYamlLite(s) ?? {}) as JsonObject;

const mergeItem: SchemaNode = lazy(() =>
  struct('MergeItem', {
    name: scalar,
    value: scalar,
    other: scalar,
    mergingList: mergeList(mergeItem, 'name'),
    nonMergingList: listOf(mergeItem),
    mergingIntList: field(listOf(scalar), { patchStrategy: 'merge' }),
    nonMergingIntList: listOf(scalar),
    mergeItemPtr: mergeList(mergeItem, 'name'),
    simpleMap: mapOf(scalar),
    replacingItem: field(mapOf(scalar), { patchStrategy: 'replace' }),
    retainKeysMap: field(
      struct('RetainKeysMergeItem', {
        name: scalar,
        value: scalar,
        other: scalar,
        simpleMap: mapOf(scalar),
        mergingIntList: field(listOf(scalar), { patchStrategy: 'merge' }),
        mergingList: mergeList(mergeItem, 'name'),
        nonMergingList: listOf(mergeItem),
      }),
      { patchStrategy: 'retainKeys' },
    ),
    retainKeysMergingList: mergeList(mergeItem, 'name', true),
  }),
);
const schema = patchSchema(mergeItem);

// The duplicate-key cases document apply behaviour only; upstream does not compute their patches.
const COMPUTABLE = RAW_CASES.filter(
  (c) => !c.description.startsWith('behavior of set element order'),
);

describe('createTwoWayMergePatch reproduces upstream two-way patches', () => {
  for (const c of COMPUTABLE) {
    it(c.description, () => {
      const patch = createTwoWayMergePatch(y(c.original), y(c.modified), schema);
      expect(patch).toEqual(y(c.twoWay));
    });
  }
});

describe('createThreeWayMergePatch reproduces upstream three-way patches', () => {
  for (const c of COMPUTABLE) {
    it(c.description, () => {
      const patch = createThreeWayMergePatch(y(c.original), y(c.modified), y(c.current), schema);
      expect(patch).toEqual(y(c.threeWay));
      // And the server turns it into the expected result.
      expect(strategicMergePatch(y(c.current), patch, schema)).toEqual(y(c.result));
    });
  }
});

describe('round trip', () => {
  it('two-way patch applied to original gives modified', () => {
    const original = y(`
name: a
mergingList:
- name: 1
  value: x
- name: 2
mergingIntList: [3, 1, 2]
simpleMap:
  k: v
retainKeysMap:
  name: n
  value: v
`);
    const modified = y(`
name: b
mergingList:
- name: 3
- name: 1
  value: y
mergingIntList: [1, 4]
retainKeysMap:
  name: n
  other: o
`);
    const patch = createTwoWayMergePatch(original, modified, schema);
    expect(strategicMergePatch(original, patch, schema)).toEqual(modified);
    expect(createTwoWayMergePatch(modified, modified, schema)).toEqual({});
  });
});

describe('conflicts', () => {
  it('are reported when overwrite is false and current changed the same field', () => {
    const original = { value: 'a' };
    const modified = { value: 'b' };
    const current = { value: 'c' };
    expect(() =>
      createThreeWayMergePatch(original, modified, current, schema, { overwrite: false }),
    ).toThrow(MergePatchConflictError);
    expect(createThreeWayMergePatch(original, modified, current, schema)).toEqual({ value: 'b' });
    expect(
      createThreeWayMergePatch(original, modified, { value: 'a', other: 'x' }, schema, {
        overwrite: false,
      }),
    ).toEqual({
      value: 'b',
    });
  });

  it('compare merge lists by key and scalar lists as sets', () => {
    expect(
      mergingMapsHaveConflicts(
        { mergingList: [{ name: 1, value: 'a' }] },
        { mergingList: [{ name: 1, value: 'b' }] },
        schema,
      ),
    ).toBe(true);
    expect(
      mergingMapsHaveConflicts(
        { mergingList: [{ name: 1, value: 'a' }] },
        { mergingList: [{ name: 2, value: 'b' }] },
        schema,
      ),
    ).toBe(false);
    expect(mergingMapsHaveConflicts({ mergingIntList: [1] }, { mergingIntList: [2] }, schema)).toBe(
      false,
    );
    expect(
      mergingMapsHaveConflicts(
        { nonMergingIntList: [1, 2] },
        { nonMergingIntList: [2, 1] },
        schema,
      ),
    ).toBe(false);
    expect(
      mergingMapsHaveConflicts({ nonMergingIntList: [1] }, { nonMergingIntList: [2] }, schema),
    ).toBe(true);
    expect(
      mergingMapsHaveConflicts(
        { simpleMap: { $patch: 'delete' } },
        { simpleMap: { a: '1' } },
        schema,
      ),
    ).toBe(true);
    expect(
      mergingMapsHaveConflicts(
        { replacingItem: { a: '1' } },
        { replacingItem: { a: '2' } },
        schema,
      ),
    ).toBe(false);
  });
});
