import { describe, expect, it } from 'vitest';
import { formatMicroTime, formatTime, normalizeTime, parseMicroTime, parseTime } from './time.js';

describe('metav1.Time', () => {
  it('formats whole seconds in UTC', () => {
    expect(formatTime(Date.UTC(2024, 4, 1, 12, 0, 0, 999))).toBe('2024-05-01T12:00:00Z');
    expect(formatTime(new Date(0))).toBe('1970-01-01T00:00:00Z');
    expect(formatTime(-1)).toBe('1969-12-31T23:59:59Z');
  });

  it('parses RFC 3339 with offsets and fractions', () => {
    expect(parseTime('2024-05-01T12:00:00Z')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseTime('2024-05-01T14:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseTime('2024-05-01T12:00:00.123456789Z')).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(normalizeTime('2024-05-01T07:30:00.5-04:30')).toBe('2024-05-01T12:00:00Z');
  });

  it('rejects malformed times', () => {
    for (const bad of [
      '2024-05-01',
      '2024-13-01T00:00:00Z',
      '2024-02-30T00:00:00Z',
      '2024-05-01T25:00:00Z',
      'x',
    ]) {
      expect(() => parseTime(bad), bad).toThrow(/parsing time/);
    }
  });
});

describe('metav1.MicroTime', () => {
  it('formats and parses six fractional digits', () => {
    const us = BigInt(Date.UTC(2024, 4, 1, 12)) * 1000n + 123456n;
    expect(formatMicroTime(us)).toBe('2024-05-01T12:00:00.123456Z');
    expect(parseMicroTime('2024-05-01T12:00:00.123456Z')).toBe(us);
    expect(formatMicroTime(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(formatMicroTime(-1)).toBe('1969-12-31T23:59:59.999999Z');
    expect(parseMicroTime('2024-05-01T12:00:00Z')).toBe(BigInt(Date.UTC(2024, 4, 1, 12)) * 1000n);
  });
});
