import { describe, expect, it } from 'vitest';
import {
  mustParseQuantity,
  Quantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  QuantityError,
  type QuantityFormat,
} from './quantity.js';

// Tables from upstream's k8s.io/apimachinery/pkg/api/resource/quantity_test.go.

const dec = (i: bigint | number, exp: number, format: QuantityFormat): Quantity =>
  Quantity.fromScaled(i, exp).withFormat(format);
const MAX_INT64 = 2n ** 63n - 1n;

const parseTable: [string, Quantity][] = [
  ['0', dec(0, 0, 'DecimalSI')],
  ['0n', dec(0, 0, 'DecimalSI')],
  ['0u', dec(0, 0, 'DecimalSI')],
  ['0m', dec(0, 0, 'DecimalSI')],
  ['0Ki', dec(0, 0, 'BinarySI')],
  ['0k', dec(0, 0, 'DecimalSI')],
  ['0Mi', dec(0, 0, 'BinarySI')],
  ['0M', dec(0, 0, 'DecimalSI')],
  ['0Gi', dec(0, 0, 'BinarySI')],
  ['0G', dec(0, 0, 'DecimalSI')],
  ['0Ti', dec(0, 0, 'BinarySI')],
  ['0T', dec(0, 0, 'DecimalSI')],
  ['1', dec(1, 0, 'DecimalSI')],
  ['1Ki', dec(1024, 0, 'BinarySI')],
  ['8Ki', dec(8 * 1024, 0, 'BinarySI')],
  ['7Mi', dec(7 * 1024 * 1024, 0, 'BinarySI')],
  ['6Gi', dec(6 * 1024 ** 3, 0, 'BinarySI')],
  ['5Ti', dec(5 * 1024 ** 4, 0, 'BinarySI')],
  ['4Pi', dec(4n * 1024n ** 5n, 0, 'BinarySI')],
  ['3Ei', dec(3n * 1024n ** 6n, 0, 'BinarySI')],
  ['10Ti', dec(10 * 1024 ** 4, 0, 'BinarySI')],
  ['100Ti', dec(100 * 1024 ** 4, 0, 'BinarySI')],
  ['5n', dec(5, -9, 'DecimalSI')],
  ['4u', dec(4, -6, 'DecimalSI')],
  ['3m', dec(3, -3, 'DecimalSI')],
  ['9', dec(9, 0, 'DecimalSI')],
  ['8k', dec(8, 3, 'DecimalSI')],
  ['50k', dec(5, 4, 'DecimalSI')],
  ['7M', dec(7, 6, 'DecimalSI')],
  ['6G', dec(6, 9, 'DecimalSI')],
  ['5T', dec(5, 12, 'DecimalSI')],
  ['40T', dec(4, 13, 'DecimalSI')],
  ['300T', dec(3, 14, 'DecimalSI')],
  ['2P', dec(2, 15, 'DecimalSI')],
  ['1E', dec(1, 18, 'DecimalSI')],
  ['1E-3', dec(1, -3, 'DecimalExponent')],
  ['1e3', dec(1, 3, 'DecimalExponent')],
  ['1E6', dec(1, 6, 'DecimalExponent')],
  ['1e9', dec(1, 9, 'DecimalExponent')],
  ['1E12', dec(1, 12, 'DecimalExponent')],
  ['1e15', dec(1, 15, 'DecimalExponent')],
  ['1E18', dec(1, 18, 'DecimalExponent')],
  ['1e14', dec(1, 14, 'DecimalExponent')],
  ['1e13', dec(1, 13, 'DecimalExponent')],
  ['100.035k', dec(100035, 0, 'DecimalSI')],
  ['0.001', dec(1, -3, 'DecimalSI')],
  ['0.0005k', dec(5, -1, 'DecimalSI')],
  ['0.005', dec(5, -3, 'DecimalSI')],
  ['0.05', dec(5, -2, 'DecimalSI')],
  ['0.5', dec(5, -1, 'DecimalSI')],
  ['0.00050k', dec(5, -1, 'DecimalSI')],
  ['0.00500', dec(5, -3, 'DecimalSI')],
  ['0.05000', dec(5, -2, 'DecimalSI')],
  ['0.50000', dec(5, -1, 'DecimalSI')],
  ['0.5e0', dec(5, -1, 'DecimalExponent')],
  ['0.5e-1', dec(5, -2, 'DecimalExponent')],
  ['0.5e-2', dec(5, -3, 'DecimalExponent')],
  ['10.035M', dec(10035, 3, 'DecimalSI')],
  ['1.2e3', dec(12, 2, 'DecimalExponent')],
  ['1.3E+6', dec(13, 5, 'DecimalExponent')],
  ['1.40e9', dec(14, 8, 'DecimalExponent')],
  ['1.53E12', dec(153, 10, 'DecimalExponent')],
  ['1.6e15', dec(16, 14, 'DecimalExponent')],
  ['1.7E18', dec(17, 17, 'DecimalExponent')],
  ['9.01', dec(901, -2, 'DecimalSI')],
  ['8.1k', dec(81, 2, 'DecimalSI')],
  ['7.123456M', dec(7123456, 0, 'DecimalSI')],
  ['6.987654321G', dec(6987654321, 0, 'DecimalSI')],
  ['5.444T', dec(5444, 9, 'DecimalSI')],
  ['40.1T', dec(401, 11, 'DecimalSI')],
  ['300.2T', dec(3002, 11, 'DecimalSI')],
  ['2.5P', dec(25, 14, 'DecimalSI')],
  ['1.01E', dec(101, 16, 'DecimalSI')],
  ['3.001n', dec(4, -9, 'DecimalSI')],
  ['1.1E-9', dec(2, -9, 'DecimalExponent')],
  ['0.0000000001', dec(1, -9, 'DecimalSI')],
  ['0.0000000005', dec(1, -9, 'DecimalSI')],
  ['0.00000000050', dec(1, -9, 'DecimalSI')],
  ['0.5e-9', dec(1, -9, 'DecimalExponent')],
  ['0.9n', dec(1, -9, 'DecimalSI')],
  ['0.00000012345', dec(124, -9, 'DecimalSI')],
  ['0.00000012354', dec(124, -9, 'DecimalSI')],
  ['9Ei', dec(MAX_INT64, 0, 'BinarySI')],
  ['9223372036854775807Ki', dec(MAX_INT64, 0, 'BinarySI')],
  ['12E', dec(12, 18, 'DecimalSI')],
  ['100.035Ki', dec(10243584, -2, 'BinarySI')],
  ['0.5Mi', dec(0.5 * 1024 * 1024, 0, 'BinarySI')],
  ['0.05Gi', dec(536870912, -1, 'BinarySI')],
  ['0.025Ti', dec(274877906944, -1, 'BinarySI')],
  ['0.000000000001Ki', dec(2, -9, 'DecimalSI')],
  ['.001', dec(1, -3, 'DecimalSI')],
  ['.0001k', dec(100, -3, 'DecimalSI')],
  ['1.', dec(1, 0, 'DecimalSI')],
  ['1.G', dec(1, 9, 'DecimalSI')],
];

describe('Quantity.parse (TestQuantityParse)', () => {
  it.each(parseTable)('%s', (input, want) => {
    const got = Quantity.parse(input);
    expect(got.cmp(want), `${got.toDecimalString()} vs ${want.toDecimalString()}`).toBe(0);
    expect(got.format).toBe(want.format);
  });

  it.each(parseTable)('-%s is the negation', (input, want) => {
    const got = Quantity.parse('-' + input);
    expect(got.cmp(want.neg())).toBe(0);
    expect(got.format).toBe(want.format);
  });

  it.each(parseTable)('+%s is the same value', (input, want) => {
    const got = Quantity.parse('+' + input);
    expect(got.cmp(want)).toBe(0);
    expect(got.format).toBe(want.format);
  });

  it.each([
    '1.1.M',
    '1+1.0M',
    '0.1mi',
    '0.1am',
    'aoeu',
    '.5i',
    '1i',
    '-3.01i',
    '-3.01e-',
    '1e4294967297',
    ' 1',
    '1 ',
    '',
  ])('rejects %j', (input) => {
    expect(() => Quantity.parse(input)).toThrow(QuantityError);
  });

  it('uses upstream messages', () => {
    expect(() => Quantity.parse('')).toThrow(QUANTITY_FORMAT_ERROR);
    expect(QUANTITY_FORMAT_ERROR).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(() => Quantity.parse('1i')).toThrow(QUANTITY_SUFFIX_ERROR);
    expect(() => Quantity.parse('abc')).toThrow(QUANTITY_FORMAT_ERROR);
    expect(() => mustParseQuantity('x')).toThrow("cannot parse 'x': quantities must match");
  });

  it('bounds exponents to int32', () => {
    expect(Quantity.parse('1E2147483646').toString()).toBe('1E2147483646');
    expect(Quantity.parse('1E2147483647').toString()).toBe('10e2147483646');
    expect(Quantity.parse('1E-2147483647').isZero()).toBe(false);
    expect(() => Quantity.parse('1E2147483648')).toThrow(QUANTITY_SUFFIX_ERROR);
    expect(() => Quantity.parse('1E-2147483648')).toThrow(QUANTITY_SUFFIX_ERROR);
  });
});

describe('canonical form (TestQuantityString)', () => {
  const table: [Quantity, string, string][] = [
    [dec(1024 * 1024 * 1024, 0, 'BinarySI'), '1Gi', '1024Mi'],
    [dec(300 * 1024 * 1024, 0, 'BinarySI'), '300Mi', '307200Ki'],
    [dec(6 * 1024, 0, 'BinarySI'), '6Ki', ''],
    [dec(1001 * 1024 ** 3, 0, 'BinarySI'), '1001Gi', '1025024Mi'],
    [dec(1024 ** 4, 0, 'BinarySI'), '1Ti', '1024Gi'],
    [dec(5, 0, 'BinarySI'), '5', '5000m'],
    [dec(500, -3, 'BinarySI'), '500m', '0.5'],
    [dec(1, 9, 'DecimalSI'), '1G', '1000M'],
    [dec(1000, 6, 'DecimalSI'), '1G', '0.001T'],
    [dec(1000000, 3, 'DecimalSI'), '1G', ''],
    [dec(1000000000, 0, 'DecimalSI'), '1G', ''],
    [dec(1, -3, 'DecimalSI'), '1m', '1000u'],
    [dec(80, -3, 'DecimalSI'), '80m', ''],
    [dec(1080, -3, 'DecimalSI'), '1080m', '1.08'],
    [dec(108, -2, 'DecimalSI'), '1080m', '1080000000n'],
    [dec(10800, -4, 'DecimalSI'), '1080m', ''],
    [dec(300, 6, 'DecimalSI'), '300M', ''],
    [dec(1, 12, 'DecimalSI'), '1T', ''],
    [dec(1, 18, 'DecimalSI'), '1E', ''],
    [dec(1, 21, 'DecimalSI'), '1e21', '1000E'],
    [dec(5, 21, 'DecimalSI'), '5e21', '5000E'],
    [dec(1, 24, 'DecimalSI'), '1e24', '1000000E'],
    [dec(1, 70, 'BinarySI'), '10e69', ''],
    [dec(2, 70, 'BinarySI'), '20e69', ''],
    [dec(1, 72, 'BinarySI'), '1e72', ''],
    [dec(1234567, 6, 'DecimalSI'), '1234567M', ''],
    [dec(1234567, -3, 'BinarySI'), '1234567m', ''],
    [dec(3, 3, 'DecimalSI'), '3k', ''],
    [dec(1025, 0, 'BinarySI'), '1025', ''],
    [dec(0, 0, 'DecimalSI'), '0', ''],
    [dec(0, 0, 'BinarySI'), '0', ''],
    [dec(1, 9, 'DecimalExponent'), '1e9', '.001e12'],
    [dec(1, -3, 'DecimalExponent'), '1e-3', '0.001e0'],
    [dec(1, -9, 'DecimalExponent'), '1e-9', '1000e-12'],
    [dec(80, -3, 'DecimalExponent'), '80e-3', ''],
    [dec(300, 6, 'DecimalExponent'), '300e6', ''],
    [dec(1, 12, 'DecimalExponent'), '1e12', ''],
    [dec(1, 3, 'DecimalExponent'), '1e3', ''],
    [dec(3, 3, 'DecimalExponent'), '3e3', ''],
    [dec(0, 0, 'DecimalExponent'), '0', '00'],
    [dec(1, -9, 'DecimalSI'), '1n', ''],
    [dec(80, -9, 'DecimalSI'), '80n', ''],
    [dec(1080, -9, 'DecimalSI'), '1080n', ''],
    [dec(108, -8, 'DecimalSI'), '1080n', ''],
    [dec(10800, -10, 'DecimalSI'), '1080n', ''],
    [dec(1, -6, 'DecimalSI'), '1u', ''],
    [dec(80, -6, 'DecimalSI'), '80u', ''],
    [dec(1080, -6, 'DecimalSI'), '1080u', ''],
  ];

  it.each(table)('%s -> %s', (q, want, alternate) => {
    expect(q.toString()).toBe(want);
    expect(Quantity.parse(want).toString()).toBe(want);
    if (alternate) expect(Quantity.parse(alternate).toString()).toBe(want);
    if (!q.isZero()) expect(q.neg().toString()).toBe('-' + want);
  });

  it('falls back to exponent notation below nano', () => {
    expect(dec(1, -12, 'DecimalSI').toString()).toBe('1e-12');
    expect(dec(1, -10, 'DecimalSI').toString()).toBe('100e-12');
  });

  it('prints 2^70 in full when it outgrows Ei', () => {
    const q = Quantity.parse('1Ei').mul(1024);
    expect(q.toString()).toBe('1180591620717411303424');
    expect(Quantity.parse(q.toString()).cmp(q)).toBe(0);
  });

  it('keeps BinarySI integers without a larger suffix (TestBinarySIZeroExponentString)', () => {
    expect(Quantity.fromInt(2000, 'BinarySI').toString()).toBe('2000');
    expect(Quantity.fromInt(-2000, 'BinarySI').toString()).toBe('-2000');
  });
});

describe('parse then emit (TestQuantityParseEmit)', () => {
  it.each([
    ['1Ki', '1Ki'],
    ['1Mi', '1Mi'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1000M', '1G'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000001Ki', '1024n'],
    ['.000000000001Ki', '2n'],
    ['1000m', '1'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1.5Gi', '1536Mi'],
    ['100m', '100m'],
    ['1500m', '1500m'],
    ['2000m', '2'],
    ['0.1m', '100u'],
    ['0.1n', '1n'],
    ['1e2', '100'],
  ])('%s -> %s', (input, want) => {
    expect(Quantity.parse(input).toString()).toBe(want);
    expect(Quantity.parse('-' + input).toString()).toBe('-' + want);
  });

  it('re-emits strings that are already canonical verbatim, as upstream', () => {
    expect(Quantity.parse('1E3').toString()).toBe('1E3');
    expect(Quantity.parse('+1').toString()).toBe('+1');
    expect(JSON.stringify({ q: Quantity.parse('250m') })).toBe('{"q":"250m"}');
  });
});

describe('rounding (TestQuantityRoundUp)', () => {
  it.each<[string, number, Quantity, boolean]>([
    ['9.01', -3, dec(901, -2, 'DecimalSI'), true],
    ['9.01', -2, dec(901, -2, 'DecimalSI'), true],
    ['9.01', -1, dec(91, -1, 'DecimalSI'), false],
    ['9.01', 0, dec(10, 0, 'DecimalSI'), false],
    ['9.01', 1, dec(10, 0, 'DecimalSI'), false],
    ['9.01', 2, dec(100, 0, 'DecimalSI'), false],
    ['-9.01', -3, dec(-901, -2, 'DecimalSI'), true],
    ['-9.01', -2, dec(-901, -2, 'DecimalSI'), true],
    ['-9.01', -1, dec(-91, -1, 'DecimalSI'), false],
    ['-9.01', 0, dec(-10, 0, 'DecimalSI'), false],
    ['-9.01', 1, dec(-10, 0, 'DecimalSI'), false],
    ['-9.01', 2, dec(-100, 0, 'DecimalSI'), false],
  ])('%s to scale %d', (input, scale, want, exact) => {
    const r = Quantity.parse(input).roundUp(scale);
    expect(r.exact).toBe(exact);
    expect(r.quantity.cmp(want)).toBe(0);
  });

  it('computes value and milliValue rounding away from zero', () => {
    expect(Quantity.parse('1.1').value()).toBe(2n);
    expect(Quantity.parse('-1.1').value()).toBe(-2n);
    expect(Quantity.parse('100m').milliValue()).toBe(100n);
    expect(Quantity.parse('0.1001').milliValue()).toBe(101n);
    expect(Quantity.parse('2').milliValue()).toBe(2000n);
    expect(Quantity.parse('1Gi').value()).toBe(1073741824n);
    expect(Quantity.parse('1n').milliValue()).toBe(1n);
    expect(Quantity.parse('1k').scaledValue(3)).toBe(1n);
  });
});

describe('arithmetic and comparison', () => {
  it('compares exactly (TestQuantityCmp, TestQuantityCmpInt64AndDec)', () => {
    expect(Quantity.parse('0').cmp(Quantity.parse('0'))).toBe(0);
    expect(Quantity.parse('100m').cmp(Quantity.parse('50m'))).toBe(1);
    expect(Quantity.parse('50m').cmp(Quantity.parse('100m'))).toBe(-1);
    expect(Quantity.parse('10000T').cmp(Quantity.parse('100Gi'))).toBe(1);
    expect(dec(90, -1, 'DecimalSI').cmp(dec(901, -2, 'DecimalSI'))).toBe(-1);
    expect(dec(0, 1, 'DecimalSI').cmp(dec(0, -1, 'DecimalSI'))).toBe(0);
    expect(dec(800, -3, 'DecimalSI').cmp(dec(79, -2, 'DecimalSI'))).toBe(1);
    expect(dec(MAX_INT64, -16, 'DecimalSI').cmp(dec(1, 3, 'DecimalSI'))).toBe(-1);
    expect(dec(-(2n ** 63n), -19, 'DecimalSI').cmp(dec(-1, 0, 'DecimalSI'))).toBe(1);
    expect(dec(10n ** 18n + 1n, -17, 'DecimalSI').cmp(dec(1, 1, 'DecimalSI'))).toBe(1);
    expect(dec(10n ** 18n - 1n, -17, 'DecimalSI').cmp(dec(1, 1, 'DecimalSI'))).toBe(-1);
    expect(dec(-(10n ** 18n), -17, 'DecimalSI').cmp(dec(-10, 0, 'DecimalSI'))).toBe(0);
    expect(Quantity.parse('1E2147483647').cmp(Quantity.parse('1'))).toBe(1);
    expect(Quantity.parse('-1E2147483647').cmp(Quantity.parse('1'))).toBe(-1);
  });

  it('adds and subtracts, a zero taking the other format (TestQuantityAddZeroPreservesSuffix)', () => {
    for (const v of ['100m', '1Gi']) {
      const q = Quantity.parse(v);
      expect(q.add(Quantity.parse('0')).toString()).toBe(v);
      expect(Quantity.parse('0').add(q).toString()).toBe(v);
      expect(q.sub(Quantity.parse('0')).toString()).toBe(v);
      expect(Quantity.parse('0').sub(q).toString()).toBe(q.neg().toString());
    }
    expect(Quantity.parse('1').add(Quantity.parse('500m')).toString()).toBe('1500m');
    expect(Quantity.parse('1Gi').sub(Quantity.parse('512Mi')).toString()).toBe('512Mi');
    expect(Quantity.parse('250m').mul(4).toString()).toBe('1');
  });

  it('negates (TestQuantityNeg)', () => {
    expect(dec(901, -2, 'DecimalSI').neg().toString()).toBe('-9010m');
  });

  it('parses JSON numbers and strings', () => {
    expect(Quantity.fromJSON(0.5).toString()).toBe('500m');
    expect(Quantity.fromJSON(2).toString()).toBe('2');
    expect(Quantity.fromJSON(' 1Gi ').toString()).toBe('1Gi');
    // A canonical input string is re-emitted as given, as upstream does.
    expect(Quantity.fromJSON(1e21).toString()).toBe('1e+21');
    expect(Quantity.fromJSON(1e21).cmp(Quantity.parse('1e21'))).toBe(0);
    expect(() => Quantity.fromJSON(null)).toThrow(QuantityError);
  });

  it('prints exact decimals and approximations', () => {
    expect(Quantity.parse('1.5Gi').toDecimalString()).toBe('1610612736');
    expect(Quantity.parse('-1m').toDecimalString()).toBe('-0.001');
    expect(Quantity.parse('250m').asApproximateFloat64()).toBeCloseTo(0.25);
    expect(Quantity.parse('1k').toDecimalString()).toBe('1000');
  });
});
