/**
 * Field selectors (k8s.io/apimachinery/pkg/fields): `metadata.name=x,spec.nodeName!=y,
 * status.phase==Running`. Only equality and inequality exist; values may escape `\`, `,` and `=`
 * with a backslash. Which fields a resource supports is the caller's knowledge, checked through
 * {@link transformFieldSelector} / {@link validateFieldSelector}.
 */
import type { ObjectMeta } from '../meta/types.js';
import { goQuote } from '../util/go-format.js';

/** A field set: field path -> value. Absent fields read as ''. */
export type Fields = Readonly<Record<string, string>>;

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Rewrites or rejects a term; returning ['', ''] drops the term (matches everything). */
export type FieldTransform = (field: string, value: string) => [string, string];

export interface FieldSelector {
  matches(fields: Fields): boolean;
  empty(): boolean;
  /** The value demanded for `field` by an equality term, if any. */
  requiresExactMatch(field: string): string | undefined;
  /** Applies `fn` to every term; `fn` throws to reject a field. */
  transform(fn: FieldTransform): FieldSelector;
  requirements(): FieldRequirement[];
  toString(): string;
}

/** fields.EscapeValue: escapes `\`, `,` and `=` for use in a selector string. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => '\\' + c);
}

/** The error a field selector string is rejected with; the message is upstream's. */
export class FieldSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorError';
  }
}

/** fields.UnescapeValue */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') {
        out += c;
      } else {
        throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      inSlash = false;
      continue;
    }
    if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Upstream prints the rune with %v, i.e. its code point number.
      throw new FieldSelectorError(
        `invalid field selector: unescaped character in value: ${c.codePointAt(0)!}`,
      );
    } else {
      out += c;
    }
  }
  if (inSlash) throw new FieldSelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

class HasTerm implements FieldSelector {
  constructor(
    readonly field: string,
    readonly value: string,
  ) {}
  matches(fields: Fields): boolean {
    return (
      (Object.prototype.hasOwnProperty.call(fields, this.field) ? fields[this.field] : '') ===
      this.value
    );
  }
  empty(): boolean {
    return false;
  }
  requiresExactMatch(field: string): string | undefined {
    return this.field === field ? this.value : undefined;
  }
  transform(fn: FieldTransform): FieldSelector {
    const [field, value] = fn(this.field, this.value);
    if (field.length === 0 && value.length === 0) return everythingFields();
    return new HasTerm(field, value);
  }
  requirements(): FieldRequirement[] {
    return [{ field: this.field, operator: '=', value: this.value }];
  }
  toString(): string {
    return `${this.field}=${escapeFieldValue(this.value)}`;
  }
}

class NotHasTerm implements FieldSelector {
  constructor(
    readonly field: string,
    readonly value: string,
  ) {}
  matches(fields: Fields): boolean {
    return (
      (Object.prototype.hasOwnProperty.call(fields, this.field) ? fields[this.field] : '') !==
      this.value
    );
  }
  empty(): boolean {
    return false;
  }
  requiresExactMatch(): string | undefined {
    return undefined;
  }
  transform(fn: FieldTransform): FieldSelector {
    const [field, value] = fn(this.field, this.value);
    if (field.length === 0 && value.length === 0) return everythingFields();
    return new NotHasTerm(field, value);
  }
  requirements(): FieldRequirement[] {
    return [{ field: this.field, operator: '!=', value: this.value }];
  }
  toString(): string {
    return `${this.field}!=${escapeFieldValue(this.value)}`;
  }
}

class AndTerm implements FieldSelector {
  constructor(readonly items: readonly FieldSelector[]) {}
  matches(fields: Fields): boolean {
    return this.items.every((s) => s.matches(fields));
  }
  empty(): boolean {
    return this.items.every((s) => s.empty());
  }
  requiresExactMatch(field: string): string | undefined {
    for (const s of this.items) {
      const v = s.requiresExactMatch(field);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  transform(fn: FieldTransform): FieldSelector {
    const next: FieldSelector[] = [];
    for (const s of this.items) {
      const t = s.transform(fn);
      if (!t.empty()) next.push(t);
    }
    return new AndTerm(next);
  }
  requirements(): FieldRequirement[] {
    return this.items.flatMap((s) => s.requirements());
  }
  toString(): string {
    return this.items.map((s) => s.toString()).join(',');
  }
}

const EVERYTHING: FieldSelector = new AndTerm([]);

/** The field selector matching everything. */
export function everythingFields(): FieldSelector {
  return EVERYTHING;
}

/** fields.OneTermEqualSelector */
export function oneTermEqualSelector(field: string, value: string): FieldSelector {
  return new HasTerm(field, value);
}

/** fields.OneTermNotEqualSelector */
export function oneTermNotEqualSelector(field: string, value: string): FieldSelector {
  return new NotHasTerm(field, value);
}

/** fields.AndSelectors */
export function andFieldSelectors(...selectors: FieldSelector[]): FieldSelector {
  return new AndTerm(selectors);
}

/** fields.SelectorFromSet: equality on every field (sorted by field for a stable string). */
export function fieldSelectorFromSet(set: Fields | null | undefined): FieldSelector {
  const items = Object.entries(set ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([f, v]) => new HasTerm(f, v));
  return items.length === 1 ? items[0]! : new AndTerm(items);
}

function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): [string, string, string] | null {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return null;
}

/**
 * fields.ParseSelector. Terms are sorted before parsing, so the string form is canonical.
 * Throws FieldSelectorError (`invalid selector: 'x'; can't understand 'x'`).
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const items: FieldSelector[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split)
      throw new FieldSelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [lhs, op, rhs] = split;
    const value = unescapeFieldValue(rhs);
    items.push(op === '!=' ? new NotHasTerm(lhs, value) : new HasTerm(lhs, value));
  }
  return items.length === 1 ? items[0]! : new AndTerm(items);
}

/** The error for a field a resource does not support; the message is the API server's. */
export function fieldLabelNotSupportedError(label: string): FieldSelectorError {
  return new FieldSelectorError(`field label not supported: ${label}`);
}

/**
 * A transform accepting only `supported` fields (plus metadata.name and metadata.namespace,
 * which every resource supports). Others throw `field label not supported: <label>`.
 */
export function supportedFieldsTransform(supported: Iterable<string>): FieldTransform {
  const set = new Set(supported);
  set.add('metadata.name');
  set.add('metadata.namespace');
  return (field, value) => {
    if (!set.has(field)) throw fieldLabelNotSupportedError(field);
    return [field, value];
  };
}

/**
 * runtime.DefaultMetaV1FieldSelectorConversion: for resources with no field selectors of their
 * own; anything but metadata.name/metadata.namespace is rejected with upstream's message.
 */
export const defaultMetaFieldTransform: FieldTransform = (field, value) => {
  if (field === 'metadata.name' || field === 'metadata.namespace') return [field, value];
  throw new FieldSelectorError(
    `${goQuote(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
  );
};

/** Validates a parsed selector against a resource's supported fields; returns the selector. */
export function validateFieldSelector(
  selector: FieldSelector,
  supported: Iterable<string>,
): FieldSelector {
  return selector.transform(supportedFieldsTransform(supported));
}

/**
 * generic.ObjectMetaFieldsSet: the metadata fields every resource exposes to field selectors.
 * `metadata.namespace` is only present for namespaced resources.
 */
export function objectMetaFieldsSet(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
): Record<string, string> {
  const out: Record<string, string> = { 'metadata.name': meta?.name ?? '' };
  if (namespaced) out['metadata.namespace'] = meta?.namespace ?? '';
  return out;
}

/** fields.Set.String(): `a=b,c=d` sorted, values escaped. */
export function fieldsToString(fields: Fields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${escapeFieldValue(v)}`)
    .sort()
    .join(',');
}
