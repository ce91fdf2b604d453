import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../meta/types.js';
import {
  formatLabelSelector,
  labelSelectorAsMap,
  labelSelectorAsSelector,
  parseToLabelSelector,
  setAsLabelSelector,
} from './label-selector.js';
import { matchesNothing } from './selector.js';

describe('labelSelectorAsSelector', () => {
  it('maps null to nothing and {} to everything', () => {
    expect(matchesNothing(labelSelectorAsSelector(null))).toBe(true);
    expect(labelSelectorAsSelector({}).empty()).toBe(true);
    expect(
      labelSelectorAsSelector({ matchLabels: {}, matchExpressions: [] }).matches({ a: 'b' }),
    ).toBe(true);
  });

  it('converts matchLabels and every operator (upstream TestLabelSelectorAsSelector)', () => {
    const sel: LabelSelector = {
      matchLabels: { foo: 'bar' },
      matchExpressions: [
        { key: 'baz', operator: 'In', values: ['qux', 'norf'] },
        { key: 'a', operator: 'NotIn', values: ['b'] },
        { key: 'c', operator: 'Exists' },
        { key: 'd', operator: 'DoesNotExist' },
      ],
    };
    const s = labelSelectorAsSelector(sel);
    expect(s.toString()).toBe('a notin (b),baz in (norf,qux),c,!d,foo=bar');
    expect(s.matches({ foo: 'bar', baz: 'qux', c: '' })).toBe(true);
    expect(s.matches({ foo: 'bar', baz: 'qux', c: '', d: 'x' })).toBe(false);
    expect(s.matches({ foo: 'bar', baz: 'other', c: '' })).toBe(false);
  });

  it('rejects unknown operators and invalid values', () => {
    expect(() =>
      labelSelectorAsSelector({
        matchExpressions: [{ key: 'a', operator: 'Gt' as 'In', values: ['1'] }],
      }),
    ).toThrow('"Gt" is not a valid label selector operator');
    expect(() =>
      labelSelectorAsSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] }),
    ).toThrow(
      "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    );
  });
});

describe('labelSelectorAsMap', () => {
  it('converts equality selectors', () => {
    expect(labelSelectorAsMap(null)).toBeNull();
    expect(
      labelSelectorAsMap({
        matchLabels: { a: '1' },
        matchExpressions: [{ key: 'b', operator: 'In', values: ['2'] }],
      }),
    ).toEqual({
      a: '1',
      b: '2',
    });
  });
  it('rejects what the old format cannot express', () => {
    expect(() =>
      labelSelectorAsMap({ matchExpressions: [{ key: 'b', operator: 'In', values: ['1', '2'] }] }),
    ).toThrow(
      'operator "In" without a single value cannot be converted into the old label selector format',
    );
    expect(() =>
      labelSelectorAsMap({ matchExpressions: [{ key: 'b', operator: 'Exists' }] }),
    ).toThrow('operator "Exists" cannot be converted into the old label selector format');
  });
});

describe('parseToLabelSelector (upstream TestParseToLabelSelector)', () => {
  it('builds the structured form', () => {
    expect(parseToLabelSelector('app=web,env in (prod,dev),!legacy,tier,x==y,z notin (a)')).toEqual(
      {
        matchLabels: { app: 'web', x: 'y' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['dev', 'prod'] },
          { key: 'legacy', operator: 'DoesNotExist' },
          { key: 'tier', operator: 'Exists' },
          { key: 'z', operator: 'NotIn', values: ['a'] },
        ],
      },
    );
  });
  it('rejects gt/lt and bad input', () => {
    expect(() => parseToLabelSelector('a>1')).toThrow(`"gt" isn't supported in label selectors`);
    expect(() => parseToLabelSelector('a in b')).toThrow(
      /^couldn't parse the selector string "a in b": unable to parse requirement/,
    );
  });
  it('round-trips through the selector model', () => {
    const text = 'app=web,env in (dev,prod)';
    expect(labelSelectorAsSelector(parseToLabelSelector(text)).toString()).toBe(text);
  });
});

describe('formatLabelSelector and setAsLabelSelector', () => {
  it('formats for printers', () => {
    expect(formatLabelSelector({ matchLabels: { app: 'web' } })).toBe('app=web');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector(null)).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] })).toBe(
      '<error>',
    );
  });
  it('wraps a map', () => {
    expect(setAsLabelSelector({ a: '1' })).toEqual({ matchLabels: { a: '1' } });
    expect(setAsLabelSelector(null)).toBeNull();
  });
});
