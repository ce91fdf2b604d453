import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../meta/types.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from './finalizers.js';
import { generateName, NAME_SUFFIX_ALPHABET, randomSuffix } from './generate-name.js';
import {
  ensureMeta,
  fillObjectMetaSystemFields,
  getName,
  getNamespace,
  isBeingDeleted,
  namespacedKey,
  splitNamespacedKey,
} from './meta-accessor.js';
import {
  getControllerOf,
  isControlledBy,
  newControllerRef,
  removeOwnerReference,
  setOwnerReference,
} from './owner-references.js';

/** A deterministic source cycling through the given values. */
const seq = (...values: number[]) => {
  let i = 0;
  return (n: number) => values[i++ % values.length]! % n;
};

describe('generateName', () => {
  it('appends five characters from the upstream alphabet', () => {
    expect(NAME_SUFFIX_ALPHABET).toBe('bcdfghjklmnpqrstvwxz2456789');
    expect(generateName('web-', seq(0, 1, 2, 25, 26))).toBe('web-bcd89');
    expect(randomSuffix(seq(3), 3)).toBe('fff');
  });

  it('cuts long prefixes to leave room for the suffix', () => {
    const name = generateName('a'.repeat(70), seq(0));
    expect(name).toHaveLength(63);
    expect(name.endsWith('bbbbb')).toBe(true);
  });

  it('rejects a bad random source', () => {
    expect(() => randomSuffix(() => 27)).toThrow(RangeError);
    expect(() => randomSuffix(() => 0.5)).toThrow(RangeError);
  });
});

describe('metadata accessors', () => {
  it('reads and creates metadata', () => {
    const obj: KubeObject = { kind: 'Pod' };
    expect(getName(obj)).toBe('');
    ensureMeta(obj).name = 'x';
    expect(getName(obj)).toBe('x');
    expect(namespacedKey(obj)).toBe('x');
    obj.metadata!.namespace = 'ns';
    expect(getNamespace(obj)).toBe('ns');
    expect(namespacedKey(obj)).toBe('ns/x');
    expect(splitNamespacedKey('ns/x')).toEqual({ namespace: 'ns', name: 'x' });
    expect(splitNamespacedKey('x')).toEqual({ namespace: '', name: 'x' });
    expect(() => splitNamespacedKey('a/b/c')).toThrow('unexpected key format');
    expect(isBeingDeleted(obj)).toBe(false);
  });

  it('fills system fields on create', () => {
    const obj: KubeObject = {
      metadata: { generateName: 'web-', deletionTimestamp: 'x', deletionGracePeriodSeconds: 3 },
    };
    fillObjectMetaSystemFields(obj, {
      now: Date.UTC(2024, 0, 2, 3, 4, 5),
      uid: 'uid-1',
      randomIntn: seq(0),
    });
    expect(obj.metadata).toEqual({
      generateName: 'web-',
      name: 'web-bbbbb',
      uid: 'uid-1',
      creationTimestamp: '2024-01-02T03:04:05Z',
    });
    expect(() =>
      fillObjectMetaSystemFields({ metadata: { generateName: 'a-' } }, { now: 0, uid: 'u' }),
    ).toThrow('generateName needs a random source');
    const named: KubeObject = { metadata: { name: 'keep', generateName: 'x-' } };
    fillObjectMetaSystemFields(named, { now: 0, uid: 'u', randomIntn: seq(0) });
    expect(named.metadata!.name).toBe('keep');
  });
});

describe('owner references', () => {
  const owner: KubeObject = { metadata: { name: 'web', uid: 'd-1' } };
  it('builds and finds controller references', () => {
    const ref = newControllerRef(owner, { group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(ref).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: 'd-1',
      blockOwnerDeletion: true,
      controller: true,
    });
    const rs: KubeObject = { metadata: { name: 'web-abc' } };
    expect(getControllerOf(rs)).toBeUndefined();
    expect(setOwnerReference(rs, ref)).toBe(true);
    expect(setOwnerReference(rs, ref)).toBe(false);
    expect(getControllerOf(rs)).toEqual(ref);
    expect(isControlledBy(rs, owner)).toBe(true);
    expect(isControlledBy(rs, { metadata: { uid: 'other' } })).toBe(false);
    expect(setOwnerReference(rs, { ...ref, controller: false })).toBe(true);
    expect(getControllerOf(rs)).toBeUndefined();
    expect(removeOwnerReference(rs, 'nope')).toBe(false);
    expect(removeOwnerReference(rs, 'd-1')).toBe(true);
    expect(rs.metadata!.ownerReferences).toBeUndefined();
  });
});

describe('finalizers', () => {
  it('adds once and removes all occurrences', () => {
    const obj: KubeObject = {};
    expect(addFinalizer(obj, 'a')).toBe(true);
    expect(addFinalizer(obj, 'a')).toBe(false);
    expect(addFinalizer(obj, 'b')).toBe(true);
    expect(hasFinalizer(obj, 'a')).toBe(true);
    obj.metadata!.finalizers!.push('a');
    expect(removeFinalizer(obj, 'a')).toBe(true);
    expect(obj.metadata!.finalizers).toEqual(['b']);
    expect(removeFinalizer(obj, 'a')).toBe(false);
    expect(removeFinalizer(obj, 'b')).toBe(true);
    expect(obj.metadata!.finalizers).toBeUndefined();
  });
});
