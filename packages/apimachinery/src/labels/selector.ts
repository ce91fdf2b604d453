/**
 * Label selectors (k8s.io/apimachinery/pkg/labels): the string syntax
 * `a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3`, its parser with upstream's error messages, matching
 * against label maps, and the canonical string form.
 */
import { Path } from '../validation/field-path.js';
import { invalid, notSupported, toAggregate, type FieldError } from '../validation/field-errors.js';
import { isQualifiedName, isValidLabelValue } from '../validation/names.js';

/** selection.Operator values. */
export type Operator = '!' | '=' | '==' | 'in' | '!=' | 'notin' | 'exists' | 'gt' | 'lt';

const UNARY_OPERATORS: Operator[] = ['exists', '!'];
const BINARY_OPERATORS: Operator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const VALID_OPERATORS = [...BINARY_OPERATORS, ...UNARY_OPERATORS];

/** A label set: label key -> value. */
export type Labels = Readonly<Record<string, string>>;

function has(labels: Labels, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64); null when it would fail. */
function parseInt64(s: string): bigint | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

function byKey(a: Requirement, b: Requirement): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function sortedCopy(values: readonly string[]): string[] {
  for (let i = 1; i < values.length; i++) {
    if (values[i - 1]! > values[i]!) return [...values].sort();
  }
  return [...values];
}

/** The error a selector string or requirement is rejected with; the message is upstream's. */
export class LabelSelectorError extends Error {
  constructor(
    message: string,
    /** The field errors behind the message, when it came from requirement validation. */
    readonly fieldErrors: readonly FieldError[] = [],
  ) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

export interface RequirementOptions {
  /** Prefix for field paths in error messages (field.WithPath). */
  path?: Path | null;
}

function validateLabelKey(key: string, path: Path | null): FieldError | null {
  const errs = isQualifiedName(key);
  return errs.length > 0 ? invalid(path, key, errs.join('; ')) : null;
}

function validateLabelValue(key: string, value: string, path: Path | null): FieldError | null {
  const errs = isValidLabelValue(value);
  if (errs.length === 0) return null;
  const p = path ?? null;
  return invalid(p ? p.key(key) : null, value, errs.join('; '));
}

function child(path: Path | null, name: string): Path {
  return path ? path.child(name) : Path.new(name);
}

/** One `key op values` term. Build with {@link Requirement.create} to get upstream's validation. */
export class Requirement {
  private constructor(
    readonly key: string,
    readonly operator: Operator,
    /** Values in the order given (the parser passes them sorted and de-duplicated). */
    readonly values: readonly string[],
  ) {}

  /**
   * labels.NewRequirement: validates the key, the value count for the operator, integer values for
   * gt/lt and every value; throws a LabelSelectorError with the aggregated field errors.
   */
  static create(
    key: string,
    operator: Operator,
    values: readonly string[],
    options: RequirementOptions = {},
  ): Requirement {
    const path = options.path ?? null;
    const errs: FieldError[] = [];
    const keyErr = validateLabelKey(key, child(path, 'key'));
    if (keyErr) errs.push(keyErr);
    const valuePath = child(path, 'values');
    switch (operator) {
      case 'in':
      case 'notin':
        if (values.length === 0) {
          errs.push(
            invalid(
              valuePath,
              [...values],
              "for 'in', 'notin' operators, values set can't be empty",
            ),
          );
        }
        break;
      case '=':
      case '==':
      case '!=':
        if (values.length !== 1) {
          errs.push(
            invalid(valuePath, [...values], 'exact-match compatibility requires one single value'),
          );
        }
        break;
      case 'exists':
      case '!':
        if (values.length !== 0) {
          errs.push(
            invalid(
              valuePath,
              [...values],
              'values set must be empty for exists and does not exist',
            ),
          );
        }
        break;
      case 'gt':
      case 'lt':
        if (values.length !== 1) {
          errs.push(
            invalid(
              valuePath,
              [...values],
              "for 'Gt', 'Lt' operators, exactly one value is required",
            ),
          );
        }
        values.forEach((v, i) => {
          if (parseInt64(v) === null) {
            errs.push(
              invalid(valuePath.at(i), v, "for 'Gt', 'Lt' operators, the value must be an integer"),
            );
          }
        });
        break;
      default:
        errs.push(notSupported(child(path, 'operator'), operator, VALID_OPERATORS));
    }
    values.forEach((v, i) => {
      const e = validateLabelValue(key, v, valuePath.at(i));
      if (e) errs.push(e);
    });
    const agg = toAggregate(errs);
    if (agg) throw new LabelSelectorError(agg.message, agg.errors);
    return new Requirement(key, operator, [...values]);
  }

  /** A requirement built without validation (SelectorFromValidatedSet). */
  static unchecked(key: string, operator: Operator, values: readonly string[]): Requirement {
    return new Requirement(key, operator, [...values]);
  }

  private hasValue(value: string): boolean {
    return this.values.includes(value);
  }

  /** True when the labels satisfy this requirement (absent keys satisfy `!=`, `notin`, `!`). */
  matches(labels: Labels): boolean {
    switch (this.operator) {
      case 'in':
      case '=':
      case '==':
        return has(labels, this.key) && this.hasValue(labels[this.key]!);
      case 'notin':
      case '!=':
        return !has(labels, this.key) || !this.hasValue(labels[this.key]!);
      case 'exists':
        return has(labels, this.key);
      case '!':
        return !has(labels, this.key);
      case 'gt':
      case 'lt': {
        if (!has(labels, this.key)) return false;
        const actual = parseInt64(labels[this.key]!);
        if (actual === null || this.values.length !== 1) return false;
        const wanted = parseInt64(this.values[0]!);
        if (wanted === null) return false;
        return this.operator === 'gt' ? actual > wanted : actual < wanted;
      }
      default:
        return false;
    }
  }

  /** The canonical text; values of set operators are printed sorted. */
  toString(): string {
    let s = this.operator === '!' ? '!' + this.key : this.key;
    switch (this.operator) {
      case '=':
        s += '=';
        break;
      case '==':
        s += '==';
        break;
      case '!=':
        s += '!=';
        break;
      case 'in':
        s += ' in ';
        break;
      case 'notin':
        s += ' notin ';
        break;
      case 'gt':
        s += '>';
        break;
      case 'lt':
        s += '<';
        break;
      case 'exists':
      case '!':
        return s;
    }
    const setOp = this.operator === 'in' || this.operator === 'notin';
    if (setOp) s += '(';
    s += this.values.length === 1 ? this.values[0]! : sortedCopy(this.values).join(',');
    if (setOp) s += ')';
    return s;
  }

  equals(other: Requirement): boolean {
    return (
      this.key === other.key &&
      this.operator === other.operator &&
      this.values.length === other.values.length &&
      this.values.every((v, i) => v === other.values[i])
    );
  }
}

/** A conjunction of requirements, kept sorted by key for a deterministic string form. */
export interface Selector {
  matches(labels: Labels): boolean;
  /** True when it restricts nothing. */
  empty(): boolean;
  toString(): string;
  /** A new selector with more requirements. */
  add(...requirements: Requirement[]): Selector;
  /** The requirements, and false for the selector that selects nothing. */
  requirements(): { requirements: readonly Requirement[]; selectable: boolean };
  /** The single value the selector demands for `label`, if it demands exactly one. */
  requiresExactMatch(label: string): string | undefined;
}

class InternalSelector implements Selector {
  constructor(private readonly reqs: readonly Requirement[]) {}
  matches(labels: Labels): boolean {
    return this.reqs.every((r) => r.matches(labels));
  }
  empty(): boolean {
    return this.reqs.length === 0;
  }
  toString(): string {
    return this.reqs.map((r) => r.toString()).join(',');
  }
  add(...requirements: Requirement[]): Selector {
    return new InternalSelector([...this.reqs, ...requirements].sort(byKey));
  }
  requirements(): { requirements: readonly Requirement[]; selectable: boolean } {
    return { requirements: this.reqs, selectable: true };
  }
  requiresExactMatch(label: string): string | undefined {
    for (const r of this.reqs) {
      if (r.key !== label) continue;
      if (
        (r.operator === '=' || r.operator === '==' || r.operator === 'in') &&
        r.values.length === 1
      ) {
        return r.values[0];
      }
      return undefined;
    }
    return undefined;
  }
}

class NothingSelector implements Selector {
  matches(): boolean {
    return false;
  }
  empty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
  add(): Selector {
    return this;
  }
  requirements(): { requirements: readonly Requirement[]; selectable: boolean } {
    return { requirements: [], selectable: false };
  }
  requiresExactMatch(): string | undefined {
    return undefined;
  }
}

const EVERYTHING: Selector = new InternalSelector([]);
const NOTHING: Selector = new NothingSelector();

/** The selector matching every label set. */
export function everything(): Selector {
  return EVERYTHING;
}

/** The selector matching no label set (a nil metav1.LabelSelector). */
export function nothing(): Selector {
  return NOTHING;
}

/** True only for {@link nothing}. */
export function matchesNothing(selector: Selector): boolean {
  return selector === NOTHING;
}

/** A selector from requirements (sorted by key). */
export function selectorFromRequirements(requirements: readonly Requirement[]): Selector {
  return new InternalSelector([...requirements].sort(byKey));
}

/** labels.SelectorFromSet: `key=value` for every label, unvalidated. Empty set = everything. */
export function selectorFromSet(set: Labels | null | undefined): Selector {
  const reqs = Object.entries(set ?? {}).map(([k, v]) => Requirement.unchecked(k, '=', [v]));
  return new InternalSelector(reqs.sort(byKey));
}

/** labels.ValidatedSelectorFromSet: like selectorFromSet but validating keys and values. */
export function validatedSelectorFromSet(set: Labels | null | undefined): Selector {
  const reqs = Object.entries(set ?? {}).map(([k, v]) => Requirement.create(k, '=', [v]));
  return new InternalSelector(reqs.sort(byKey));
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser: a port of upstream's hand-written recursive descent parser, so that the same
// inputs are accepted and the same messages come back.

export enum Token {
  Error = 0,
  EndOfString,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const STRING_TO_TOKEN: ReadonlyMap<string, Token> = new Map([
  [')', Token.ClosedPar],
  [',', Token.Comma],
  ['!', Token.DoesNotExist],
  ['==', Token.DoubleEquals],
  ['=', Token.Equals],
  ['>', Token.GreaterThan],
  ['in', Token.In],
  ['<', Token.LessThan],
  ['!=', Token.NotEquals],
  ['notin', Token.NotIn],
  ['(', Token.OpenPar],
]);

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecialSymbol(ch: string): boolean {
  return (
    ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<'
  );
}

/** Tokenizer for the selector syntax; exported for tests and tools. */
export class Lexer {
  private pos = 0;
  constructor(private readonly s: string) {}

  /** The next character, or '' at the end (a NUL also ends the input, as upstream). */
  private read(): string {
    if (this.pos < this.s.length) {
      const ch = this.s[this.pos++]!;
      return ch === '\0' ? '' : ch;
    }
    this.pos++;
    return '';
  }

  private unread(): void {
    this.pos--;
  }

  private scanIdOrKeyword(): [Token, string] {
    let buf = '';
    for (;;) {
      const ch = this.read();
      if (ch === '') break;
      if (isSpecialSymbol(ch) || isWhitespace(ch)) {
        this.unread();
        break;
      }
      buf += ch;
    }
    const tok = STRING_TO_TOKEN.get(buf);
    return tok !== undefined ? [tok, buf] : [Token.Identifier, buf];
  }

  private scanSpecialSymbol(): [Token, string] {
    let last: [Token, string] | null = null;
    let buf = '';
    for (;;) {
      const ch = this.read();
      if (ch === '') break;
      if (isSpecialSymbol(ch)) {
        buf += ch;
        const tok = STRING_TO_TOKEN.get(buf);
        if (tok !== undefined) {
          last = [tok, buf];
        } else if (last !== null) {
          this.unread();
          break;
        }
      } else {
        this.unread();
        break;
      }
    }
    if (last === null) return [Token.Error, `error expected: keyword found '${buf}'`];
    return last;
  }

  /** The next token and its literal. */
  lex(): [Token, string] {
    let ch = this.read();
    while (isWhitespace(ch)) ch = this.read();
    if (ch === '') return [Token.EndOfString, ''];
    this.unread();
    return isSpecialSymbol(ch) ? this.scanSpecialSymbol() : this.scanIdOrKeyword();
  }
}

type Context = 'keyAndOperator' | 'values';

class Parser {
  private items: [Token, string][] = [];
  private position = 0;

  constructor(
    private readonly lexer: Lexer,
    private readonly path: Path | null,
  ) {}

  /** In a values context the keywords `in` and `notin` are plain identifiers. */
  private lookahead(ctx: Context): [Token, string] {
    const [tok, lit] = this.items[this.position]!;
    return [
      ctx === 'values' && (tok === Token.In || tok === Token.NotIn) ? Token.Identifier : tok,
      lit,
    ];
  }

  private consume(ctx: Context): [Token, string] {
    const item = this.lookahead(ctx);
    this.position++;
    return item;
  }

  private scan(): void {
    for (;;) {
      const item = this.lexer.lex();
      this.items.push(item);
      if (item[0] === Token.EndOfString) break;
    }
  }

  parse(): Requirement[] {
    this.scan();
    const reqs: Requirement[] = [];
    for (;;) {
      const [tok, lit] = this.lookahead('values');
      switch (tok) {
        case Token.Identifier:
        case Token.DoesNotExist: {
          let r: Requirement;
          try {
            r = this.parseRequirement();
          } catch (e) {
            const err = e as LabelSelectorError;
            throw new LabelSelectorError(
              `unable to parse requirement: ${err.message}`,
              err.fieldErrors ?? [],
            );
          }
          reqs.push(r);
          const [t, l] = this.consume('values');
          switch (t) {
            case Token.EndOfString:
              return reqs;
            case Token.Comma: {
              const [t2, l2] = this.lookahead('values');
              if (t2 !== Token.Identifier && t2 !== Token.DoesNotExist) {
                throw new LabelSelectorError(`found '${l2}', expected: identifier after ','`);
              }
              break;
            }
            default:
              throw new LabelSelectorError(`found '${l}', expected: ',' or 'end of string'`);
          }
          break;
        }
        case Token.EndOfString:
          return reqs;
        default:
          throw new LabelSelectorError(
            `found '${lit}', expected: !, identifier, or 'end of string'`,
          );
      }
    }
  }

  private parseRequirement(): Requirement {
    const [key, inferred] = this.parseKeyAndInferOperator();
    if (inferred === 'exists' || inferred === '!') {
      return Requirement.create(key, inferred, [], { path: this.path });
    }
    const operator = this.parseOperator();
    let values: string[];
    if (operator === 'in' || operator === 'notin') values = this.parseValues();
    else values = this.parseExactValue();
    return Requirement.create(key, operator, [...new Set(values)].sort(), { path: this.path });
  }

  private parseKeyAndInferOperator(): [string, Operator | ''] {
    let operator: Operator | '' = '';
    let [tok, literal] = this.consume('values');
    if (tok === Token.DoesNotExist) {
      operator = '!';
      [tok, literal] = this.consume('values');
    }
    if (tok !== Token.Identifier)
      throw new LabelSelectorError(`found '${literal}', expected: identifier`);
    const keyErr = validateLabelKey(literal, this.path);
    // Upstream validates the key here with the parser's own (usually nil) path, so the message
    // starts with "<nil>: " unless a path was given.
    if (keyErr) throw new LabelSelectorError(keyErr.message, [keyErr]);
    const [t] = this.lookahead('values');
    if ((t === Token.EndOfString || t === Token.Comma) && operator !== '!') operator = 'exists';
    return [literal, operator];
  }

  private parseOperator(): Operator {
    const [tok, lit] = this.consume('keyAndOperator');
    switch (tok) {
      case Token.In:
        return 'in';
      case Token.Equals:
        return '=';
      case Token.DoubleEquals:
        return '==';
      case Token.GreaterThan:
        return 'gt';
      case Token.LessThan:
        return 'lt';
      case Token.NotIn:
        return 'notin';
      case Token.NotEquals:
        return '!=';
      default:
        throw new LabelSelectorError(`found '${lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private parseValues(): string[] {
    let [tok, lit] = this.consume('values');
    if (tok !== Token.OpenPar) throw new LabelSelectorError(`found '${lit}' expected: '('`);
    [tok, lit] = this.lookahead('values');
    switch (tok) {
      case Token.Identifier:
      case Token.Comma: {
        const s = this.parseIdentifiersList();
        const [closing] = this.consume('values');
        if (closing !== Token.ClosedPar)
          throw new LabelSelectorError(`found '${lit}', expected: ')'`);
        return s;
      }
      case Token.ClosedPar:
        this.consume('values');
        return [''];
      default:
        throw new LabelSelectorError(`found '${lit}', expected: ',', ')' or identifier`);
    }
  }

  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const [tok, lit] = this.consume('values');
      switch (tok) {
        case Token.Identifier: {
          s.add(lit);
          const [tok2, lit2] = this.lookahead('values');
          if (tok2 === Token.Comma) continue;
          if (tok2 === Token.ClosedPar) return [...s];
          throw new LabelSelectorError(`found '${lit2}', expected: ',' or ')'`);
        }
        case Token.Comma: {
          if (s.size === 0) s.add(''); // "(,"
          const [tok2] = this.lookahead('values');
          if (tok2 === Token.ClosedPar) {
            s.add(''); // ",)"
            return [...s];
          }
          if (tok2 === Token.Comma) s.add(''); // ",,"
          break;
        }
        default:
          throw new LabelSelectorError(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): string[] {
    const [ahead] = this.lookahead('values');
    if (ahead === Token.EndOfString || ahead === Token.Comma) return [''];
    const [tok, lit] = this.consume('values');
    if (tok === Token.Identifier) return [lit];
    throw new LabelSelectorError(`found '${lit}', expected: identifier`);
  }
}

export interface ParseOptions {
  /** Prefix for field paths in validation messages. */
  path?: Path | null;
}

/**
 * labels.ParseToRequirements: the requirements of a selector string, sorted by key. Throws a
 * LabelSelectorError with upstream's message on bad input.
 */
export function parseToRequirements(selector: string, options: ParseOptions = {}): Requirement[] {
  const parser = new Parser(new Lexer(selector), options.path ?? null);
  return parser.parse().sort(byKey);
}

/** labels.Parse: a selector string to a Selector. */
export function parseSelector(selector: string, options: ParseOptions = {}): Selector {
  return new InternalSelector(parseToRequirements(selector, options));
}

/**
 * labels.Set.String(): `k=v` pairs sorted as strings and joined with commas (the format
 * parseSelector accepts).
 */
export function labelsToString(labels: Labels | null | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}

/** labels.FormatLabels: like labelsToString but `<none>` for an empty set (printer columns). */
export function formatLabels(labels: Labels | null | undefined): string {
  const s = labelsToString(labels);
  return s === '' ? '<none>' : s;
}

/** labels.Conflicts: true if a key is in both sets with different values. */
export function labelsConflict(a: Labels, b: Labels): boolean {
  const [small, big] = Object.keys(a).length < Object.keys(b).length ? [a, b] : [b, a];
  for (const [k, v] of Object.entries(small)) {
    if (has(big, k) && big[k] !== v) return true;
  }
  return false;
}

/** labels.Merge: the union, b winning on conflicts. */
export function mergeLabels(
  a: Labels | null | undefined,
  b: Labels | null | undefined,
): Record<string, string> {
  return { ...(a ?? {}), ...(b ?? {}) };
}

/** labels.Equals */
export function labelsEqual(a: Labels | null | undefined, b: Labels | null | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => has(b ?? {}, k) && (b ?? {})[k] === (a ?? {})[k]);
}
