import { goFormatNumber, goQuote } from '../util/go-format.js';
import { pathString, type Path } from './field-path.js';

/**
 * field.Error: one field-level validation failure, rendered exactly as upstream
 * (`spec.replicas: Invalid value: -1: must be greater than or equal to 0`). The `type` strings are
 * the `StatusCause.type` values an Invalid Status carries.
 */
export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** Marker for "no bad value to print" (upstream's omitValue). */
export const OMIT_VALUE: unique symbol = Symbol('omitValue');

/** Types whose message never shows the bad value. */
const VALUE_HIDDEN = new Set<FieldErrorType>([
  'FieldValueRequired',
  'FieldValueForbidden',
  'FieldValueTooLong',
  'InternalError',
]);

/**
 * Renders a bad value the way Go's ErrorBody does: numbers and booleans bare, strings `%q`-quoted,
 * string lists as Go's `%#v` (`[]string{"a", "b"}`), null as `null`, other structures as JSON.
 */
export function formatBadValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      return goFormatNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return String(value);
    case 'string':
      return goQuote(value);
    case 'object':
      if (isStringList(value)) return `[]string{${value.map(goQuote).join(', ')}}`;
      if (typeof (value as { toString?: unknown }).toString === 'function') {
        const s = (value as { toString(): string }).toString();
        if (s !== '[object Object]') return s;
      }
      return JSON.stringify(value);
    default:
      return typeof value;
  }
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

export class FieldError extends Error {
  constructor(
    readonly type: FieldErrorType,
    /** The rendered path, e.g. `spec.containers[0].image`. */
    readonly field: string,
    readonly badValue: unknown,
    readonly detail: string,
  ) {
    super('');
    this.name = 'FieldError';
    this.message = `${field}: ${this.errorBody()}`;
  }

  /** The message without the field name (what a StatusCause.message holds). */
  errorBody(): string {
    let s: string;
    if (VALUE_HIDDEN.has(this.type) || this.badValue === OMIT_VALUE) {
      s = TYPE_TEXT[this.type];
    } else {
      s = `${TYPE_TEXT[this.type]}: ${formatBadValue(this.badValue)}`;
    }
    if (this.detail.length > 0) s += `: ${this.detail}`;
    return s;
  }

  override toString(): string {
    return this.message;
  }
}

type PathArg = Path | null | undefined;

/** Value not found (e.g. looking up an ID). */
export function notFound(path: PathArg, value: unknown): FieldError {
  return new FieldError('FieldValueNotFound', pathString(path), value, '');
}

/** A required value is missing (empty string, null, empty list). */
export function required(path: PathArg, detail = ''): FieldError {
  return new FieldError('FieldValueRequired', pathString(path), '', detail);
}

/** A value that must be unique is not. */
export function duplicate(path: PathArg, value: unknown): FieldError {
  return new FieldError('FieldValueDuplicate', pathString(path), value, '');
}

/** A malformed value (failed regex, out of range...). */
export function invalid(path: PathArg, value: unknown, detail: string): FieldError {
  return new FieldError('FieldValueInvalid', pathString(path), value, detail);
}

/** A value outside an enumeration; lists the supported values quoted. */
export function notSupported(
  path: PathArg,
  value: unknown,
  validValues: readonly string[],
): FieldError {
  const detail =
    validValues.length > 0 ? 'supported values: ' + validValues.map(goQuote).join(', ') : '';
  return new FieldError('FieldValueNotSupported', pathString(path), value, detail);
}

/** A well-formed value that is not allowed under the current conditions. */
export function forbidden(path: PathArg, detail: string): FieldError {
  return new FieldError('FieldValueForbidden', pathString(path), '', detail);
}

/** A value longer than allowed; the value itself is not printed. */
export function tooLong(path: PathArg, value: unknown, maxLength: number): FieldError {
  return new FieldError(
    'FieldValueTooLong',
    pathString(path),
    value,
    `must have at most ${maxLength} bytes`,
  );
}

/** A list with too many items. A negative `actual` omits the count, a negative `max` the limit. */
export function tooMany(path: PathArg, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return new FieldError(
    'FieldValueTooMany',
    pathString(path),
    actual >= 0 ? actual : OMIT_VALUE,
    detail,
  );
}

/** A failure not caused by the user's input. */
export function internalError(path: PathArg, err: Error | string): FieldError {
  return new FieldError(
    'InternalError',
    pathString(path),
    null,
    typeof err === 'string' ? err : err.message,
  );
}

/** The value does not have the type the schema requires. */
export function typeInvalid(path: PathArg, value: unknown, detail: string): FieldError {
  return new FieldError('FieldValueTypeInvalid', pathString(path), value, detail);
}

/**
 * errors.Aggregate's message for a list of errors: duplicates (by message) dropped, one error
 * printed bare, several as `[a, b]`. Returns '' for an empty list.
 */
export function aggregateMessage(errors: readonly Error[]): string {
  const seen = new Set<string>();
  const msgs: string[] = [];
  for (const e of errors) {
    const m = e instanceof FieldError ? e.message : e.message;
    if (seen.has(m)) continue;
    seen.add(m);
    msgs.push(m);
  }
  if (msgs.length === 0) return '';
  if (msgs.length === 1) return msgs[0]!;
  return '[' + msgs.join(', ') + ']';
}

/**
 * An error carrying several field errors; its message is the aggregate message (ErrorList.ToAggregate).
 * Thrown by parsers such as the label selector parser whose upstream returns an aggregate.
 */
export class AggregateFieldError extends Error {
  constructor(readonly errors: readonly FieldError[]) {
    super(aggregateMessage(errors));
    this.name = 'FieldErrorAggregate';
  }
}

/** ErrorList.ToAggregate(): null when there are no errors. */
export function toAggregate(errors: readonly FieldError[]): AggregateFieldError | null {
  if (errors.length === 0) return null;
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    if (seen.has(e.message)) return false;
    seen.add(e.message);
    return true;
  });
  return new AggregateFieldError(unique);
}
