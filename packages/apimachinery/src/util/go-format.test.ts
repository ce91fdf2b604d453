import { describe, expect, it } from 'vitest';
import { goFormatFloat, goFormatNumber, goQuote, goSprintV, goTypeName } from './go-format.js';
import { deepCopyJson, jsonEqual } from './json.js';

describe('goQuote (strconv.Quote)', () => {
  it.each([
    ['abc', '"abc"'],
    ['', '""'],
    ['a"b', '"a\\"b"'],
    ['back\\slash', '"back\\\\slash"'],
    ['tab\there', '"tab\\there"'],
    ['nl\n', '"nl\\n"'],
    ['\x01', '"\\x01"'],
    ['\x7f', '"\\x7f"'],
    ['héllo', '"héllo"'],
    ['\u200b', '"\\u200b"'],
    ['a b', '"a b"'],
  ])('%j -> %s', (input, want) => {
    expect(goQuote(input)).toBe(want);
  });
});

describe('Go %v formatting', () => {
  it('prints integers like int64 and floats like %g', () => {
    expect(goFormatNumber(-1)).toBe('-1');
    expect(goFormatNumber(1000000)).toBe('1000000');
    expect(goFormatNumber(1.5)).toBe('1.5');
    expect(goFormatFloat(1234567.5)).toBe('1.2345675e+06');
    expect(goFormatFloat(0.00001)).toBe('1e-05');
    expect(goFormatFloat(0.0001)).toBe('0.0001');
    expect(goFormatFloat(Infinity)).toBe('+Inf');
  });

  it('prints maps with sorted keys and slices with spaces', () => {
    expect(goSprintV({ name: 'x', a: 1, n: null })).toBe('map[a:1 n:<nil> name:x]');
    expect(goSprintV([1, 'a', [true]])).toBe('[1 a [true]]');
    expect(goSprintV(null)).toBe('<nil>');
  });

  it('names Go types of decoded JSON', () => {
    expect(goTypeName({})).toBe('map[string]interface {}');
    expect(goTypeName([])).toBe('[]interface {}');
    expect(goTypeName('s')).toBe('string');
    expect(goTypeName(3)).toBe('int64');
    expect(goTypeName(3.5)).toBe('float64');
    expect(goTypeName(false)).toBe('bool');
    expect(goTypeName(null)).toBe('<nil>');
  });
});

describe('JSON helpers', () => {
  it('deep copies without sharing and drops undefined members', () => {
    const src = { a: [1, { b: 2 }], c: undefined as unknown as number };
    const copy = deepCopyJson(src);
    expect(copy).toEqual({ a: [1, { b: 2 }] });
    expect('c' in copy).toBe(false);
    (copy.a[1] as { b: number }).b = 3;
    expect((src.a[1] as { b: number }).b).toBe(2);
  });

  it('compares structurally', () => {
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({}, [])).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    // Own members only: an inherited enumerable member is not part of a JSON value.
    const inherited = Object.create({ x: 1 }) as Record<string, unknown>;
    inherited.a = 1;
    expect(jsonEqual(inherited, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, inherited)).toBe(true);
  });
});

describe('deepCopyJson with a __proto__ member', () => {
  it('copies it as data', () => {
    const src = JSON.parse('{"__proto__":{"x":1}}');
    const copy = deepCopyJson(src);
    expect(Object.keys(copy)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });
});
