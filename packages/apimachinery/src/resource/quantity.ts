/**
 * resource.Quantity: exact fixed-point amounts with SI, binary and exponent suffixes
 * (`100m`, `1.5Gi`, `1e3`). Values are `unscaled * 10^scale` in bigint, never floating point;
 * parsing rounds up to nano precision, binary amounts are capped at 2^63-1, and the canonical
 * string form matches upstream byte for byte (which is what clients diff against).
 */

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

const SPLIT_RE_STRING = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

/** ErrFormatWrong */
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${SPLIT_RE_STRING}'`;
/** ErrNumeric */
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';
/** ErrSuffix */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const NANO = -9;
const MAX_INT64 = 2n ** 63n - 1n;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT32 = 2 ** 31 - 1;
const MAX_INT64_FACTORS = 18;

const DECIMAL_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);
const DECIMAL_SUFFIX_FOR_EXPONENT: ReadonlyMap<number, string> = new Map(
  [...DECIMAL_SUFFIXES].map(([s, e]) => [e, s]),
);
const BINARY_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['Ki', 10],
  ['Mi', 20],
  ['Gi', 30],
  ['Ti', 40],
  ['Pi', 50],
  ['Ei', 60],
]);
const BINARY_SUFFIX_FOR_EXPONENT: ReadonlyMap<number, string> = new Map(
  [...BINARY_SUFFIXES].map(([s, e]) => [e, s]),
);

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

function sign(n: bigint): number {
  return n === 0n ? 0 : n < 0n ? -1 : 1;
}

/** Divides rounding away from zero. */
function divAwayFromZero(n: bigint, d: bigint): { q: bigint; exact: boolean } {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return { q, exact: true };
  return { q: n < 0n ? q - 1n : q + 1n, exact: false };
}

/**
 * n / 10^k rounded away from zero, without materializing 10^k when it dwarfs n (exponents can be
 * as large as 2^31).
 */
function shiftDownAwayFromZero(n: bigint, k: number): { q: bigint; exact: boolean } {
  if (n === 0n) return { q: 0n, exact: true };
  if (k > abs(n).toString().length) return { q: n < 0n ? -1n : 1n, exact: false };
  return divAwayFromZero(n, pow10(k));
}

interface ParsedString {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

/** parseQuantityString: a fast scanner splitting sign, integer digits, fraction and suffix. */
function scanQuantity(str: string): ParsedString {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (pos < end) {
    if (str[0] === '-') {
      positive = false;
      pos++;
    } else if (str[0] === '+') {
      pos++;
    }
  }
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  // Strip leading zeros.
  for (;;) {
    if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
    if (str[pos] === '0') pos++;
    else break;
  }
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, num: num.length === 0 ? '0' : num, denom: '', suffix: '' };
  pos = i;
  if (num.length === 0) num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, num, denom, suffix: '' };
    pos = i;
  }
  const suffixStart = pos;
  i = pos;
  while (i < end && 'eEinumkKMGTP'.includes(str[i]!)) i++;
  if (i >= end) return { positive, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  i = pos;
  while (i < end && isDigit(str[i])) i++;
  if (i >= end) return { positive, num, denom, suffix: str.slice(suffixStart) };
  // A non-digit after the suffix letters: not a valid exponent.
  throw new QuantityError(QUANTITY_FORMAT_ERROR);
}

interface Suffix {
  base: 2 | 10;
  exponent: number;
  format: QuantityFormat;
}

function interpretSuffix(suffix: string): Suffix | null {
  const dec = DECIMAL_SUFFIXES.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const rest = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(rest)) return null;
    const parsed = BigInt(rest);
    // The exponent becomes a negated int32 scale: accept exactly [-MaxInt32, MaxInt32].
    if (parsed > BigInt(MAX_INT32) || parsed < -BigInt(MAX_INT32)) return null;
    return { base: 10, exponent: Number(parsed), format: 'DecimalExponent' };
  }
  return null;
}

/** An immutable Quantity. Build it with {@link Quantity.parse} or the static constructors. */
export class Quantity {
  private constructor(
    /** The value is unscaled * 10^scale. */
    private readonly unscaled: bigint,
    private readonly scale: number,
    readonly format: QuantityFormat,
    /** The original string when upstream would re-emit it verbatim. */
    private readonly cached?: string,
  ) {}

  /** resource.ParseQuantity. Throws QuantityError with upstream's messages. */
  static parse(str: string): Quantity {
    if (str.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
    if (str === '0') return new Quantity(0n, 0, 'DecimalSI', str);
    const { positive, num, denom, suffix } = scanQuantity(str);
    const sfx = interpretSuffix(suffix);
    if (!sfx) throw new QuantityError(QUANTITY_SUFFIX_ERROR);
    const { base, exponent } = sfx;
    let format = sfx.format;

    // Fast path (upstream's int64 representation): decides whether the input string is already
    // canonical and can be re-emitted as given.
    let precision: number;
    let scale = 0;
    let mantissa = 1n;
    if (format === 'BinarySI') {
      if (exponent >= 0 && denom.length === 0) {
        mantissa = 1n << BigInt(exponent);
        precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
      } else {
        precision = -1;
      }
    } else {
      scale = exponent;
      precision = MAX_INT64_FACTORS - (num.length + denom.length);
    }
    if (precision >= 0) {
      scale -= denom.length;
      if (scale >= NANO) {
        const shifted = num + denom;
        const value = BigInt(shifted);
        let result = value * mantissa;
        if (result <= MAX_INT64) {
          if (!positive) result = -result;
          let canonical: boolean;
          if (format === 'BinarySI') canonical = exponent % 10 === 0 && (value & 7n) !== 0n;
          else canonical = scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
          return new Quantity(result, scale, format, canonical ? str : undefined);
        }
      }
    }

    // Exact path: any size, rounded up to nano precision.
    let unscaled = BigInt(num + denom);
    let s = -denom.length;
    if (base === 10) s += exponent;
    else unscaled *= 1n << BigInt(exponent);
    if (s < NANO && unscaled !== 0n) {
      unscaled = shiftDownAwayFromZero(unscaled, NANO - s).q;
      s = NANO;
    }
    if (format === 'BinarySI') {
      // Binary amounts are capped at 2^63-1; a fraction below one is shown as DecimalSI.
      const tooBig = s >= 0 ? unscaled * pow10(s) > MAX_INT64 : unscaled > MAX_INT64 * pow10(-s);
      if (tooBig) {
        unscaled = MAX_INT64;
        s = 0;
      }
      if (unscaled > 0n && s < 0 && unscaled < pow10(-s)) format = 'DecimalSI';
    }
    return new Quantity(positive ? unscaled : -unscaled, s, format);
  }

  /** Parses a JSON value as the API server does: strings, and numbers via their JSON text. */
  static fromJSON(value: unknown): Quantity {
    if (typeof value === 'string') return Quantity.parse(value.trim());
    if (typeof value === 'number' && Number.isFinite(value)) return Quantity.parse(String(value));
    throw new QuantityError(QUANTITY_FORMAT_ERROR);
  }

  /** resource.NewQuantity */
  static fromInt(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value), 0, format);
  }

  /** resource.NewMilliQuantity: value/1000. */
  static fromMilli(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value), -3, format);
  }

  /** resource.NewScaledQuantity: value * 10^scale, DecimalSI. */
  static fromScaled(value: bigint | number, scale: number): Quantity {
    return new Quantity(BigInt(value), scale, 'DecimalSI');
  }

  /** The zero quantity in a format. */
  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, 0, format);
  }

  isZero(): boolean {
    return this.unscaled === 0n;
  }

  sign(): number {
    return sign(this.unscaled);
  }

  /** The same value in another format (for display). */
  withFormat(format: QuantityFormat): Quantity {
    return new Quantity(this.unscaled, this.scale, format);
  }

  /** -1, 0 or 1 comparing the values exactly. */
  cmp(other: Quantity): number {
    const sa = sign(this.unscaled);
    const sb = sign(other.unscaled);
    if (sa !== sb) return sa < sb ? -1 : 1;
    if (sa === 0) return 0;
    // Compare magnitudes by order of magnitude first so huge scales never get expanded.
    const ma = abs(this.unscaled).toString().length + this.scale;
    const mb = abs(other.unscaled).toString().length + other.scale;
    if (ma !== mb) return (ma < mb ? -1 : 1) * sa;
    const [a, b] = align(this, other);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.cmp(other) === 0;
  }

  /** The sum. A zero left side takes the format of the right (upstream's Add). */
  add(other: Quantity): Quantity {
    const format = this.isZero() ? other.format : this.format;
    const s = Math.min(this.scale, other.scale);
    const [a, b] = align(this, other);
    return new Quantity(a + b, s, format);
  }

  /** The difference. A zero left side takes the format of the right (upstream's Sub). */
  sub(other: Quantity): Quantity {
    const format = this.isZero() ? other.format : this.format;
    const s = Math.min(this.scale, other.scale);
    const [a, b] = align(this, other);
    return new Quantity(a - b, s, format);
  }

  /** The product with an integer. */
  mul(factor: bigint | number): Quantity {
    return new Quantity(this.unscaled * BigInt(factor), this.scale, this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.unscaled, this.scale, this.format);
  }

  /** ceil(q / 10^scale), rounding away from zero: `scaledValue(-3)` is the milli value. */
  scaledValue(scale: number): bigint {
    const diff = this.scale - scale;
    if (diff >= 0) return this.unscaled * pow10(diff);
    return shiftDownAwayFromZero(this.unscaled, -diff).q;
  }

  /** The integer value, rounded up (away from zero): `1.1` -> 2. */
  value(): bigint {
    return this.scaledValue(0);
  }

  /** The value in thousandths, rounded up: CPU `100m` -> 100n, `0.1001` -> 101n. */
  milliValue(): bigint {
    return this.scaledValue(-3);
  }

  /**
   * RoundUp: the value rounded (away from zero) to a multiple of 10^scale, and whether that was
   * exact. `Quantity.parse('1.0001').roundUp(-3)` is `1001m`, not exact.
   */
  roundUp(scale: number): { quantity: Quantity; exact: boolean } {
    if (this.scale >= scale) return { quantity: this, exact: true };
    const { q, exact } = shiftDownAwayFromZero(this.unscaled, scale - this.scale);
    return { quantity: new Quantity(q, scale, this.format), exact };
  }

  /** A float approximation (may lose precision). */
  asApproximateFloat64(): number {
    return Number(this.unscaled) * 10 ** this.scale;
  }

  /** The exact value in plain decimal notation: `1.5`, `-0.001`, `1024`. */
  toDecimalString(): string {
    if (this.scale >= 0) return (this.unscaled * pow10(this.scale)).toString();
    const neg = this.unscaled < 0n;
    const digits = abs(this.unscaled)
      .toString()
      .padStart(-this.scale + 1, '0');
    const intPart = digits.slice(0, digits.length + this.scale);
    const frac = digits.slice(digits.length + this.scale).replace(/0+$/, '');
    return (neg ? '-' : '') + intPart + (frac.length > 0 ? '.' + frac : '');
  }

  /** The canonical form (upstream's String / MarshalJSON). */
  toString(): string {
    if (this.cached !== undefined) return this.cached;
    if (this.unscaled === 0n) return '0';
    let format = this.format;
    let integral: bigint | null = null;
    if (format === 'BinarySI') {
      const small = this.cmp(Quantity.fromInt(-1024)) > 0 && this.cmp(Quantity.fromInt(1024)) < 0;
      if (small) {
        format = 'DecimalSI';
      } else if (this.scale >= 70) {
        // 10^scale holds 2^70 = 1024^7: past Ei, so the decimal exponent fallback applies.
        return decimalCanonical(this.unscaled, this.scale, 'DecimalExponent');
      } else {
        const { q, exact } =
          this.scale >= 0
            ? { q: this.unscaled * pow10(this.scale), exact: true }
            : shiftDownAwayFromZero(this.unscaled, -this.scale);
        if (exact) integral = q;
        else format = 'DecimalSI';
      }
    }
    if (format === 'BinarySI' && integral !== null) {
      let mant = integral;
      let exp = 0;
      while (mant % 1024n === 0n && exp < 6) {
        mant /= 1024n;
        exp++;
      }
      if (mant % 1024n !== 0n || exp < 6) {
        return mant.toString() + (BINARY_SUFFIX_FOR_EXPONENT.get(exp * 10) ?? '');
      }
      // Past Ei there is no binary suffix: fall back to exact decimal exponent notation.
      return decimalCanonical(this.unscaled, this.scale, 'DecimalExponent');
    }
    return decimalCanonical(this.unscaled, this.scale, format);
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Both values as bigints at the smaller of the two scales. */
function align(a: Quantity, b: Quantity): [bigint, bigint] {
  const ia = a as unknown as { unscaled: bigint; scale: number };
  const ib = b as unknown as { unscaled: bigint; scale: number };
  const s = Math.min(ia.scale, ib.scale);
  return [ia.unscaled * pow10(ia.scale - s), ib.unscaled * pow10(ib.scale - s)];
}

/**
 * Mantissa and base-10 exponent with the exponent a multiple of three and as large as possible
 * without a fraction; DecimalSI suffixes when one exists for it, `eN` otherwise.
 */
function decimalCanonical(unscaled: bigint, scale: number, format: QuantityFormat): string {
  let mant = unscaled;
  let exp = scale;
  while (mant % 10n === 0n) {
    mant /= 10n;
    exp++;
  }
  const rem = ((exp % 3) + 3) % 3;
  if (rem !== 0) {
    mant *= pow10(rem);
    exp -= rem;
  }
  if (format === 'DecimalSI') {
    const suffix = DECIMAL_SUFFIX_FOR_EXPONENT.get(exp);
    if (suffix !== undefined) return mant.toString() + suffix;
  }
  return mant.toString() + (exp === 0 ? '' : `e${exp}`);
}

/** resource.MustParse: parse or throw (for constants and tests). */
export function mustParseQuantity(str: string): Quantity {
  try {
    return Quantity.parse(str);
  } catch (e) {
    throw new QuantityError(`cannot parse '${str}': ${(e as Error).message}`);
  }
}

/** Whether a value fits an int64, for callers that need upstream's int64 accessors. */
export function fitsInt64(v: bigint): boolean {
  return v >= MIN_INT64 && v <= MAX_INT64;
}
