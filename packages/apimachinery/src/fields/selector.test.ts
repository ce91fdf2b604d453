import { describe, expect, it } from 'vitest';
import {
  andFieldSelectors,
  defaultMetaFieldTransform,
  escapeFieldValue,
  everythingFields,
  fieldSelectorFromSet,
  fieldsToString,
  FieldSelectorError,
  objectMetaFieldsSet,
  oneTermEqualSelector,
  oneTermNotEqualSelector,
  parseFieldSelector,
  unescapeFieldValue,
  validateFieldSelector,
} from './selector.js';

// Cases follow upstream's k8s.io/apimachinery/pkg/fields/selector_test.go.

describe('parseFieldSelector', () => {
  it.each([
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['', ''],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=', 'x='],
    ['x= ', 'x= '],
    ['x==a', 'x=a'],
    ['z=c,x=a', 'x=a,z=c'],
    ['x=a\\,b', 'x=a\\,b'],
    ['x=a\\=b', 'x=a\\=b'],
    ['x=a\\\\b', 'x=a\\\\b'],
    ['metadata.name=web,status.phase!=Succeeded', 'metadata.name=web,status.phase!=Succeeded'],
  ])('%j parses and prints as %j', (input, want) => {
    expect(parseFieldSelector(input).toString()).toBe(want);
  });

  it.each([
    ['x=a||y=b', 'invalid field selector: unescaped character in value: 61'],
    ['x==a==b', 'invalid field selector: unescaped character in value: 61'],
    ['x=a,b', "invalid selector: 'x=a,b'; can't understand 'b'"],
    ['x=a\\', 'invalid field selector: invalid escape sequence: \\'],
    ['x=a\\b', 'invalid field selector: invalid escape sequence: \\b'],
    ['x', "invalid selector: 'x'; can't understand 'x'"],
  ])('%j is rejected', (input, msg) => {
    expect(() => parseFieldSelector(input)).toThrow(FieldSelectorError);
    expect(() => parseFieldSelector(input)).toThrow(msg);
  });

  it('splits on the first operator', () => {
    expect(parseFieldSelector('a!=b=c'.replace('=c', '\\=c')).requirements()).toEqual([
      { field: 'a', operator: '!=', value: 'b=c' },
    ]);
  });
});

describe('matching', () => {
  it('treats absent fields as empty', () => {
    const s = parseFieldSelector(
      'spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed',
    );
    expect(s.matches({ 'spec.nodeName': 'node-1', 'status.phase': 'Running' })).toBe(true);
    expect(s.matches({ 'spec.nodeName': 'node-1', 'status.phase': 'Failed' })).toBe(false);
    expect(s.matches({ 'status.phase': 'Running' })).toBe(false);
    expect(parseFieldSelector('spec.nodeName=').matches({})).toBe(true);
    expect(parseFieldSelector('x!=a').matches({})).toBe(true);
    expect(parseFieldSelector('x=a\\,b').matches({ x: 'a,b' })).toBe(true);
  });

  it('reports exact matches and requirements', () => {
    const s = parseFieldSelector('metadata.name=web,x!=y');
    expect(s.requiresExactMatch('metadata.name')).toBe('web');
    expect(s.requiresExactMatch('x')).toBeUndefined();
    expect(s.requirements()).toEqual([
      { field: 'metadata.name', operator: '=', value: 'web' },
      { field: 'x', operator: '!=', value: 'y' },
    ]);
    expect(everythingFields().empty()).toBe(true);
    expect(parseFieldSelector('').empty()).toBe(true);
    expect(oneTermEqualSelector('a', 'b').empty()).toBe(false);
  });

  it('builds selectors programmatically', () => {
    expect(fieldSelectorFromSet({ b: '2', a: '1' }).toString()).toBe('a=1,b=2');
    expect(fieldSelectorFromSet({ a: 'x,y' }).toString()).toBe('a=x\\,y');
    expect(
      andFieldSelectors(
        oneTermEqualSelector('a', '1'),
        oneTermNotEqualSelector('b', '2'),
      ).toString(),
    ).toBe('a=1,b!=2');
    expect(fieldsToString({ b: '=', a: '1' })).toBe('a=1,b=\\=');
  });
});

describe('escaping', () => {
  it('round-trips', () => {
    for (const v of ['plain', 'a,b', 'a=b', 'a\\b', '\\,=']) {
      expect(unescapeFieldValue(escapeFieldValue(v))).toBe(v);
    }
  });
});

describe('supported fields', () => {
  it('accepts metadata fields and declared fields', () => {
    const s = validateFieldSelector(parseFieldSelector('metadata.name=a,spec.nodeName=n'), [
      'spec.nodeName',
      'status.phase',
    ]);
    expect(s.toString()).toBe('metadata.name=a,spec.nodeName=n');
  });
  it('rejects others with the API server message', () => {
    expect(() =>
      validateFieldSelector(parseFieldSelector('spec.foo=a'), ['spec.nodeName']),
    ).toThrow('field label not supported: spec.foo');
    expect(() => parseFieldSelector('spec.foo=a').transform(defaultMetaFieldTransform)).toThrow(
      '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });
  it('drops terms a transform empties', () => {
    const s = parseFieldSelector('a=1,b=2').transform((f, v) => (f === 'a' ? ['', ''] : [f, v]));
    expect(s.toString()).toBe('b=2');
  });
  it('exposes object metadata fields', () => {
    expect(objectMetaFieldsSet({ name: 'x', namespace: 'ns' }, true)).toEqual({
      'metadata.name': 'x',
      'metadata.namespace': 'ns',
    });
    expect(objectMetaFieldsSet({ name: 'x' }, false)).toEqual({ 'metadata.name': 'x' });
  });
});
