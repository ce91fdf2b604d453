/**
 * Typed flag declarations in the style of spf13/pflag, which every upstream component uses.
 * A spec carries its default, help text and a parser; `parseFlags` (flags.ts) does the rest.
 */
import { formatDuration, parseDuration } from './duration.js';

/** Common fields of every flag declaration. */
export interface FlagOptions<T> {
  /** Value when the flag is absent from the command line (and from the environment). */
  default?: T;
  /** One line of help text shown by `--help`. */
  help: string;
  /** Single-letter alias, used as `-x`. */
  shorthand?: string;
  /** Environment variable consulted when the flag is not given on the command line. */
  env?: string;
  /** Heading under which `--help` lists the flag (`Logging flags:`); ungrouped flags go first. */
  group?: string;
}

/**
 * A declared flag. Methods (not function properties) on purpose: method parameters are
 * bivariant, so a `FlagSpec<number>` fits where a `FlagSpec<unknown>` is expected.
 */
export interface FlagSpec<T> {
  /** pflag's type name shown in usage (`string`, `int`, `duration`, `strings`, ...); '' for bool. */
  readonly typeName: string;
  readonly default: T;
  readonly help: string;
  readonly shorthand: string | undefined;
  readonly env: string | undefined;
  readonly group: string | undefined;
  /** Bool flags take no separate value: `--flag` means true, `--flag=false` false. */
  readonly isBool: boolean;
  /**
   * Parses one occurrence. `previous` is the current value and `first` tells whether this is the
   * first explicit occurrence, so list-valued flags can replace their default once and append
   * afterwards, as pflag does. Throws an Error whose message explains the problem.
   */
  parse(raw: string, previous: T, first: boolean): T;
  /** Text for `(default ...)` in usage; '' hides it (pflag hides zero values). */
  formatDefault(value: T): string;
}

/** Any flag spec, for collections of flags of different types. */
export type AnyFlagSpec = FlagSpec<unknown>;
export type FlagSpecs = Readonly<Record<string, AnyFlagSpec>>;

/** The parsed value type of a set of specs: `{ port: number; 'bind-address': string }`. */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]: S[K] extends FlagSpec<infer T> ? T : never;
};

function base<T>(
  options: FlagOptions<T>,
  fallback: T,
): Pick<FlagSpec<T>, 'default' | 'help' | 'shorthand' | 'env' | 'group'> {
  if (options.shorthand !== undefined && !/^[a-zA-Z0-9]$/.test(options.shorthand)) {
    throw new Error(`flag shorthand must be a single letter or digit, got "${options.shorthand}"`);
  }
  return {
    default: options.default ?? fallback,
    help: options.help,
    shorthand: options.shorthand,
    env: options.env,
    group: options.group,
  };
}

export function stringFlag(options: FlagOptions<string>): FlagSpec<string> {
  return {
    ...base(options, ''),
    typeName: 'string',
    isBool: false,
    parse: (raw) => raw,
    formatDefault: (value) => (value === '' ? '' : JSON.stringify(value)),
  };
}

export interface NumberFlagOptions extends FlagOptions<number> {
  min?: number;
  max?: number;
}

function checkRange(
  value: number,
  options: { min?: number; max?: number },
  show: (n: number) => string,
): void {
  if (options.min !== undefined && value < options.min) {
    throw new Error(`must be at least ${show(options.min)}`);
  }
  if (options.max !== undefined && value > options.max) {
    throw new Error(`must be at most ${show(options.max)}`);
  }
}

/** Integer flag. Accepts decimal and Go's 0x/0o/0b prefixes, like `strconv.ParseInt(s, 0, 64)`. */
export function intFlag(options: NumberFlagOptions): FlagSpec<number> {
  return {
    ...base(options, 0),
    typeName: 'int',
    isBool: false,
    parse: (raw) => {
      const value = parseInteger(raw);
      checkRange(value, options, String);
      return value;
    },
    formatDefault: (value) => (value === 0 ? '' : String(value)),
  };
}

function parseInteger(raw: string): number {
  const match = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*)$/.exec(raw.trim());
  if (match === null || raw.trim() !== raw) throw new Error('not an integer');
  const digits = (match[2] ?? '').replaceAll('_', '');
  // Number('0x1f') understands the prefixes; a plain leading 0 stays decimal here (Go would read
  // octal, a trap nobody means on a command line).
  const magnitude = Number(digits);
  const value = match[1] === '-' ? -magnitude : magnitude;
  if (!Number.isSafeInteger(value)) throw new Error('integer out of range');
  return value;
}

export function floatFlag(options: NumberFlagOptions): FlagSpec<number> {
  return {
    ...base(options, 0),
    typeName: 'float',
    isBool: false,
    parse: (raw) => {
      const value = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) throw new Error('not a number');
      checkRange(value, options, String);
      return value;
    },
    formatDefault: (value) => (value === 0 ? '' : String(value)),
  };
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Parses a boolean the way Go's `strconv.ParseBool` does. */
export function parseBool(raw: string): boolean {
  if (TRUE_WORDS.has(raw)) return true;
  if (FALSE_WORDS.has(raw)) return false;
  throw new Error('not a boolean (use true or false)');
}

export function boolFlag(options: FlagOptions<boolean>): FlagSpec<boolean> {
  return {
    ...base(options, false),
    typeName: '',
    isBool: true,
    parse: (raw) => parseBool(raw),
    formatDefault: (value) => (value ? 'true' : ''),
  };
}

export interface DurationFlagOptions extends Omit<NumberFlagOptions, 'default'> {
  /** Default as Go duration text (`'30s'`) or milliseconds. Bounds are milliseconds too. */
  default?: string | number;
}

/** Duration flag (`10s`, `1m30s`, `250ms`); the value is milliseconds. */
export function durationFlag(options: DurationFlagOptions): FlagSpec<number> {
  const initial =
    typeof options.default === 'string' ? parseDuration(options.default) : (options.default ?? 0);
  return {
    ...base({ ...options, default: initial }, 0),
    typeName: 'duration',
    isBool: false,
    parse: (raw) => {
      const value = parseDuration(raw);
      checkRange(value, options, formatDuration);
      return value;
    },
    formatDefault: (value) => (value === 0 ? '' : formatDuration(value)),
  };
}

/**
 * Comma-separated list (`--a=x,y --a=z` gives [x, y, z]). The first occurrence replaces the
 * default; later ones append, as pflag's `StringSlice` does.
 */
export function stringSliceFlag(options: FlagOptions<readonly string[]>): FlagSpec<string[]> {
  return {
    ...base<string[]>({ ...options, default: options.default ? [...options.default] : [] }, []),
    typeName: 'strings',
    isBool: false,
    parse: (raw, previous, first) => {
      const items = raw === '' ? [] : raw.split(',').map((item) => item.trim());
      return first ? items : [...previous, ...items];
    },
    formatDefault: (value) => (value.length === 0 ? '' : `[${value.join(',')}]`),
  };
}

/**
 * `k=v,k2=v2` map (pflag's `mapStringString`, as in `--node-labels`). The first occurrence
 * replaces the default; later ones add keys.
 */
export function mapFlag(
  options: FlagOptions<Readonly<Record<string, string>>>,
): FlagSpec<Record<string, string>> {
  return {
    ...base<Record<string, string>>({ ...options, default: { ...options.default } }, {}),
    typeName: 'mapStringString',
    isBool: false,
    parse: (raw, previous, first) => {
      const out: Record<string, string> = first ? {} : { ...previous };
      if (raw === '') return out;
      for (const pair of raw.split(',')) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error(`"${pair}" must be formatted as key=value`);
        out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
      }
      return out;
    },
    formatDefault: (value) => {
      const entries = Object.entries(value);
      if (entries.length === 0) return '';
      return `[${entries.map(([k, v]) => `${k}=${v}`).join(',')}]`;
    },
  };
}

export interface EnumFlagOptions<E extends string> extends FlagOptions<E> {
  values: readonly E[];
  default: E;
}

/** A string restricted to `values`; usage lists the permitted values. */
export function enumFlag<const E extends string>(options: EnumFlagOptions<E>): FlagSpec<E> {
  if (!options.values.includes(options.default)) {
    throw new Error(`enum flag default "${options.default}" is not one of its values`);
  }
  const permitted = options.values.map((v) => JSON.stringify(v)).join(', ');
  return {
    ...base(options, options.default),
    help: `${options.help} Permitted values: ${permitted}.`,
    typeName: 'string',
    isBool: false,
    parse: (raw) => {
      const match = options.values.find((v) => v === raw);
      if (match === undefined) throw new Error(`must be one of ${permitted}`);
      return match;
    },
    formatDefault: (value) => JSON.stringify(value),
  };
}
