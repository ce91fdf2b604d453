import { describe, expect, it } from 'vitest';
import { Path } from '../validation/field-path.js';
import {
  everything,
  formatLabels,
  labelsConflict,
  labelsEqual,
  labelsToString,
  LabelSelectorError,
  Lexer,
  matchesNothing,
  mergeLabels,
  nothing,
  parseSelector,
  parseToRequirements,
  Requirement,
  selectorFromSet,
  Token,
  validatedSelectorFromSet,
  type Labels,
  type Operator,
} from './selector.js';

// Cases follow upstream's k8s.io/apimachinery/pkg/labels/selector_test.go.

describe('parse and re-string (TestSelectorParse)', () => {
  it.each([
    'x=a,y=b,z=c',
    '',
    'x!=a,y=b',
    'x=',
    'x= ',
    'x=,z= ',
    'x= ,z= ',
    '!x',
    'x>1',
    'x>1,z<5',
  ])('%j round-trips', (s) => {
    expect(parseSelector(s).toString()).toBe(s.replace(/ /g, ''));
  });
  it.each(['x=a||y=b', 'x==a==b', '!x=a', 'x<a'])('%j is rejected', (s) => {
    expect(() => parseSelector(s)).toThrow(LabelSelectorError);
  });

  it('is deterministic (sorted by key)', () => {
    expect(parseSelector('x=a,a=x').toString()).toBe(parseSelector('a=x,x=a').toString());
    expect(parseSelector('x=a,a=x').toString()).toBe('a=x,x=a');
  });
});

function expectMatch(sel: string, labels: Labels, want: boolean): void {
  expect(parseSelector(sel).matches(labels), `${sel} vs ${JSON.stringify(labels)}`).toBe(want);
}

describe('matching (TestSelectorMatches)', () => {
  it('matches like upstream', () => {
    expectMatch('', { x: 'y' }, true);
    expectMatch('x=y', { x: 'y' }, true);
    expectMatch('x=y,z=w', { x: 'y', z: 'w' }, true);
    expectMatch('x!=y,z!=w', { x: 'z', z: 'a' }, true);
    expectMatch('notin=in', { notin: 'in' }, true);
    expectMatch('x', { x: 'z' }, true);
    expectMatch('!x', { y: 'z' }, true);
    expectMatch('x>1', { x: '2' }, true);
    expectMatch('x<1', { x: '0' }, true);
    expectMatch('x=z', {}, false);
    expectMatch('x=y', { x: 'z' }, false);
    expectMatch('x=y,z=w', { x: 'w', z: 'w' }, false);
    expectMatch('x!=y,z!=w', { x: 'z', z: 'w' }, false);
    expectMatch('x', { y: 'z' }, false);
    expectMatch('!x', { x: 'z' }, false);
    expectMatch('x>1', { x: '0' }, false);
    expectMatch('x<1', { x: '2' }, false);
    const set = { foo: 'bar', baz: 'blah' };
    expectMatch('foo=bar', set, true);
    expectMatch('baz=blah', set, true);
    expectMatch('foo=bar,baz=blah', set, true);
    expectMatch('foo=blah', set, false);
    expectMatch('baz=bar', set, false);
    expectMatch('foo=bar,foobar=bar,baz=blah', set, false);
  });

  it('handles set operators and absent keys', () => {
    expectMatch('x in (foo),y notin (alpha)', { x: 'foo', y: 'baz' }, true);
    expectMatch('x in (foo),y in (alpha)', { x: 'foo', y: 'baz' }, false);
    expectMatch('x notin (),y', { y: '' }, true);
    expectMatch('!x,y', { y: '' }, true);
    expectMatch('x notin (),!y', { y: '' }, false);
    expectMatch('x in ()', { y: 'baz' }, false);
    expectMatch('z>1', { z: '2' }, true);
    expectMatch('z>1', { z: 'v2' }, false);
    expectMatch('z>1', {}, false);
    // Values must be valid label values, so negative bounds cannot be written.
    expect(() => parseSelector('z<-5')).toThrow(/values\[0\]\[z\]: Invalid value: "-5"/);
  });

  it('does not match labels inherited from Object.prototype', () => {
    expectMatch('toString', {}, false);
    expectMatch('!constructor', {}, true);
  });
});

describe('lexer (TestLexer, TestLexerSequence)', () => {
  it.each([
    ['', Token.EndOfString],
    [',', Token.Comma],
    ['notin', Token.NotIn],
    ['in', Token.In],
    ['=', Token.Equals],
    ['==', Token.DoubleEquals],
    ['>', Token.GreaterThan],
    ['<', Token.LessThan],
    ['!', Token.DoesNotExist],
    ['!=', Token.NotEquals],
    ['(', Token.OpenPar],
    [')', Token.ClosedPar],
    ['~', Token.Identifier],
    ['||', Token.Identifier],
  ])('%j lexes as %s', (s, tok) => {
    const [t, lit] = new Lexer(s).lex();
    expect(t).toBe(tok);
    expect(lit).toBe(s);
  });

  const seq = (s: string): Token[] => {
    const l = new Lexer(s);
    const out: Token[] = [];
    for (;;) {
      const [t] = l.lex();
      if (t === Token.EndOfString) return out;
      out.push(t);
    }
  };
  it('tokenizes sequences', () => {
    const {
      Identifier: I,
      In,
      NotIn,
      OpenPar: O,
      ClosedPar: C,
      Comma,
      DoubleEquals,
      NotEquals,
      Equals,
    } = Token;
    expect(seq('key in ( value )')).toEqual([I, In, O, I, C]);
    expect(seq('key notin ( value )')).toEqual([I, NotIn, O, I, C]);
    expect(seq('key in ( value1, value2 )')).toEqual([I, In, O, I, Comma, I, C]);
    expect(seq('key')).toEqual([I]);
    expect(seq('!key')).toEqual([Token.DoesNotExist, I]);
    expect(seq('()')).toEqual([O, C]);
    expect(seq('x in (),y')).toEqual([I, In, O, C, Comma, I]);
    expect(seq('== != (), = notin')).toEqual([DoubleEquals, NotEquals, O, C, Comma, Equals, NotIn]);
    expect(seq('key>2')).toEqual([I, Token.GreaterThan, I]);
    expect(seq('key<1')).toEqual([I, Token.LessThan, I]);
  });
});

describe('Requirement.create (TestRequirementConstructor)', () => {
  it.each<[string, Operator, string[], boolean]>([
    ['x', 'in', [], false],
    ['x', 'notin', [], false],
    ['x', 'in', ['foo'], true],
    ['x', 'notin', ['foo'], true],
    ['x', 'exists', [], true],
    ['x', '!', [], true],
    ['1foo', 'in', ['bar'], true],
    ['1234', 'in', ['bar'], true],
    ['y', 'gt', ['1'], true],
    ['z', 'lt', ['6'], true],
    ['foo', 'gt', ['bar'], false],
    ['barz', 'lt', ['blah'], false],
    ['a'.repeat(254), 'exists', [], false],
    ['x', '=', ['a', 'b'], false],
    ['x', 'exists', ['a'], false],
  ])('%s %s %j ok=%s', (key, op, vals, ok) => {
    if (ok) expect(() => Requirement.create(key, op, vals)).not.toThrow();
    else expect(() => Requirement.create(key, op, vals)).toThrow(LabelSelectorError);
  });

  it('aggregates errors with paths', () => {
    expect(() => Requirement.create('x', 'gt', ['a', 'b'])).toThrow(
      `[values: Invalid value: []string{"a", "b"}: for 'Gt', 'Lt' operators, exactly one value is required, values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer, values[1]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer]`,
    );
    expect(() => Requirement.create('x', 'bogus' as Operator, ['a'])).toThrow(
      'operator: Unsupported value: "bogus": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"',
    );
    try {
      Requirement.create('x', 'in', ['a'], { path: Path.new('spec', 'selector') });
      Requirement.create('Bad Key', 'in', ['a'], { path: Path.new('spec', 'selector') });
    } catch (e) {
      expect((e as Error).message).toMatch(
        /^spec\.selector\.key: Invalid value: "Bad Key": name part/,
      );
    }
  });
});

describe('toString (TestToString)', () => {
  const r = (k: string, op: Operator, v: string[]) => Requirement.create(k, op, v);
  it('prints requirements canonically', () => {
    expect(
      everything()
        .add(r('x', 'in', ['abc', 'def']), r('y', 'notin', ['jkl']), r('z', 'exists', []))
        .toString(),
    ).toBe('x in (abc,def),y notin (jkl),z');
    expect(
      everything()
        .add(r('x', 'notin', ['abc', 'def']), r('y', '!=', ['jkl']), r('z', '!', []))
        .toString(),
    ).toBe('x notin (abc,def),y!=jkl,!z');
    expect(
      everything()
        .add(r('x', 'notin', ['abc']), r('y', 'in', ['jkl', 'mno']), r('z', 'notin', ['']))
        .toString(),
    ).toBe('x notin (abc),y in (jkl,mno),z notin ()');
    expect(
      everything()
        .add(r('x', '=', ['abc']), r('y', '==', ['jkl']), r('z', '!=', ['a']), r('z', 'exists', []))
        .toString(),
    ).toBe('x=abc,y==jkl,z!=a,z');
    expect(
      everything()
        .add(r('x', 'gt', ['2']), r('y', 'lt', ['8']), r('z', 'exists', []))
        .toString(),
    ).toBe('x>2,y<8,z');
  });

  it('sorts values for output without reordering the requirement', () => {
    const req = Requirement.create('x', 'in', ['foo', 'bar']);
    expect(req.toString()).toBe('x in (bar,foo)');
    expect(req.values).toEqual(['foo', 'bar']);
  });
});

describe('set-based parsing (TestSetSelectorParser)', () => {
  const reqs = (s: string): string[] =>
    parseToRequirements(s).map((r) => `${r.key}|${r.operator}|${r.values.join(',')}`);
  it.each<[string, string[]]>([
    ['', []],
    ['\rx', ['x|exists|']],
    ['this-is-a-dns.domain.com/key-with-dash', ['this-is-a-dns.domain.com/key-with-dash|exists|']],
    [
      'this-is-another-dns.domain.com/key-with-dash in (so,what)',
      ['this-is-another-dns.domain.com/key-with-dash|in|so,what'],
    ],
    [
      '0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)',
      ['0.1.2.domain/99|notin|10.10.100.1,tick.tack.clock'],
    ],
    ['foo  in\t (abc)', ['foo|in|abc']],
    ['x notin\n (abc)', ['x|notin|abc']],
    ['x  notin\t\t\t(abc,def)', ['x|notin|abc,def']],
    ['x in (abc,def)', ['x|in|abc,def']],
    ['x in (abc,)', ['x|in|,abc']],
    ['x in ()', ['x|in|']],
    ['x notin (abc,,def),bar,z in (),w', ['bar|exists|', 'w|exists|', 'x|notin|,abc,def', 'z|in|']],
    ['x,y in (a)', ['x|exists|', 'y|in|a']],
    ['x=a', ['x|=|a']],
    ['x>1', ['x|gt|1']],
    ['x<7', ['x|lt|7']],
    ['x=a,y!=b', ['x|=|a', 'y|!=|b']],
    ['x=a,y!=b,z in (h,i,j)', ['x|=|a', 'y|!=|b', 'z|in|h,i,j']],
    ['x notin ( )', ['x|notin|']],
    ['x notin (, a)', ['x|notin|,a']],
    ['a ', ['a|exists|']],
    ['a in (x,y,notin, z,in)', ['a|in|in,notin,x,y,z']],
    ['x==a', ['x|==|a']],
    ['!x', ['x|!|']],
  ])('%j', (s, want) => {
    expect(reqs(s)).toEqual(want);
  });

  it.each<[string, string]>([
    [
      'x=a||y=b',
      'unable to parse requirement: values[0][x]: Invalid value: "a||y": a valid label must be an empty string',
    ],
    [',x,y', "found ',', expected: !, identifier, or 'end of string'"],
    ['x nott in (y)', "found 'nott', expected: in, notin, =, ==, !=, gt, lt"],
    ['a in (xyz),', "found '', expected: identifier after ','"],
    ['a in (xyz)b notin ()', "found 'b', expected: ',' or 'end of string'"],
    ['a in (xyz abc)', "unable to parse requirement: found 'abc', expected: ',' or ')'"],
    ['a notin(', "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['a (', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['(', "found '(', expected: !, identifier, or 'end of string'"],
    ['x in x', "unable to parse requirement: found 'x' expected: '('"],
    ['x=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!=x', "found '!=', expected: !, identifier, or 'end of string'"],
    ['!!x', "unable to parse requirement: found '!', expected: identifier"],
    [
      'x<a',
      "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
    ],
    ['a/b/c', 'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name'],
  ])('%j fails with upstream message', (s, prefix) => {
    expect(() => parseSelector(s)).toThrow(prefix);
  });

  it('uses a given path in messages', () => {
    expect(() => parseSelector('a/b/c', { path: Path.new('labelSelector') })).toThrow(
      /^unable to parse requirement: labelSelector: Invalid value: "a\/b\/c": a qualified name/,
    );
  });
});

describe('selectors from sets and helpers', () => {
  it('builds equality selectors from sets (TestSetMatches)', () => {
    const labels = { foo: 'bar', baz: 'blah' };
    expect(selectorFromSet({}).matches(labels)).toBe(true);
    expect(selectorFromSet({ foo: 'bar' }).matches(labels)).toBe(true);
    expect(selectorFromSet({ foo: 'bar', baz: 'blah' }).matches(labels)).toBe(true);
    expect(selectorFromSet({ foo: 'x' }).matches(labels)).toBe(false);
    expect(selectorFromSet({ b: '2', a: '1' }).toString()).toBe('a=1,b=2');
    expect(selectorFromSet(null).empty()).toBe(true);
    expect(() => validatedSelectorFromSet({ 'a b': 'c' })).toThrow(LabelSelectorError);
  });

  it('distinguishes everything from nothing', () => {
    expect(everything().empty()).toBe(true);
    expect(everything().matches({ x: 'y' })).toBe(true);
    expect(nothing().matches({})).toBe(false);
    expect(nothing().empty()).toBe(false);
    expect(
      nothing()
        .add(Requirement.create('a', 'exists', []))
        .matches({ a: '1' }),
    ).toBe(false);
    expect(matchesNothing(nothing())).toBe(true);
    expect(matchesNothing(everything())).toBe(false);
    expect(nothing().requirements().selectable).toBe(false);
  });

  it('adds requirements sorted by key (TestAdd)', () => {
    const s = everything()
      .add(Requirement.create('key2', '=', ['value2']))
      .add(Requirement.create('key', 'in', ['value']));
    expect(s.toString()).toBe('key in (value),key2=value2');
    expect(s.requirements().requirements.map((r) => r.key)).toEqual(['key', 'key2']);
  });

  it('reports exact matches', () => {
    const s = parseSelector('a=1,b in (2),c in (3,4),d!=5');
    expect(s.requiresExactMatch('a')).toBe('1');
    expect(s.requiresExactMatch('b')).toBe('2');
    expect(s.requiresExactMatch('c')).toBeUndefined();
    expect(s.requiresExactMatch('d')).toBeUndefined();
    expect(s.requiresExactMatch('e')).toBeUndefined();
  });

  it('formats, merges and compares label sets', () => {
    expect(labelsToString({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels({})).toBe('<none>');
    expect(formatLabels({ app: 'web' })).toBe('app=web');
    expect(labelsConflict({ a: '1' }, { a: '2', b: '1' })).toBe(true);
    expect(labelsConflict({ a: '1' }, { a: '1', b: '1' })).toBe(false);
    expect(mergeLabels({ a: '1', b: '1' }, { b: '2' })).toEqual({ a: '1', b: '2' });
    expect(labelsEqual({ a: '1' }, { a: '1' })).toBe(true);
    expect(labelsEqual({ a: '1' }, { a: '2' })).toBe(false);
    expect(labelsEqual(null, {})).toBe(true);
  });

  it('compares requirements', () => {
    expect(Requirement.create('a', 'in', ['x']).equals(Requirement.create('a', 'in', ['x']))).toBe(
      true,
    );
    expect(
      Requirement.create('a', 'in', ['x']).equals(Requirement.create('a', 'notin', ['x'])),
    ).toBe(false);
  });
});
