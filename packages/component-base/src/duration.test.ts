import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['300ms', 300],
    ['-1.5s', -1500],
    ['+5m', 300_000],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['1000ns', 0.001],
    ['.5s', 500],
    ['1h0m0s', 3_600_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '10', '1x', 's', '1.2.3s', '-', '10 s', '1m-2s', '.s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/duration|unit/);
  });

  it('names an unknown unit', () => {
    expect(() => parseDuration('5d')).toThrow('unknown unit "d" in duration "5d"');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [10_000, '10s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [1500, '1.5s'],
    [300, '300ms'],
    [0.25, '250µs'],
    [0.000_5, '500ns'],
    [-90_000, '-1m30s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1000, 61_000, 3_723_000, 86_400_000, 12.5]) {
      expect(parseDuration(formatDuration(ms))).toBeCloseTo(ms, 9);
    }
  });
});
