import { describe, expect, it } from 'vitest';
import { scriptedRandomBytes, seededRandomBytes } from '../../test/random.js';
import { randomSerialNumber } from './random.js';

describe('randomSerialNumber', () => {
  it('prefixes 00 when the top bit is set, so the DER INTEGER stays positive', () => {
    const random = scriptedRandomBytes([0x80, ...new Array<number>(15).fill(1)]);
    expect(randomSerialNumber(random)).toBe(`0080${'01'.repeat(15)}`);
  });

  it('drops leading zero bytes (DER is minimal)', () => {
    const random = scriptedRandomBytes([0, 0, 0x7f, ...new Array<number>(13).fill(0xff)]);
    expect(randomSerialNumber(random)).toBe(`7f${'ff'.repeat(13)}`);
  });

  it('keeps a set top bit after leading zeros positive too', () => {
    const random = scriptedRandomBytes([0, 0x90, ...new Array<number>(14).fill(0)]);
    expect(randomSerialNumber(random)).toBe(`0090${'00'.repeat(14)}`);
  });

  it('redraws zero, which RFC 5280 forbids', () => {
    const random = scriptedRandomBytes(new Array<number>(16).fill(0), [
      ...new Array<number>(15).fill(0),
      7,
    ]);
    expect(randomSerialNumber(random)).toBe('07');
  });

  it('refuses a random source that returns the wrong length', () => {
    expect(() => randomSerialNumber(() => new Uint8Array(8))).toThrow(
      'returned 8 bytes, wanted 16',
    );
  });

  it('carries 128 bits: distinct values, at most 17 bytes encoded', () => {
    const random = seededRandomBytes(7);
    const serials = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const serial = randomSerialNumber(random);
      expect(serial.length).toBeLessThanOrEqual(34);
      expect(serial.length % 2).toBe(0);
      const first = parseInt(serial.slice(0, 2), 16);
      const second = parseInt(serial.slice(2, 4), 16);
      // Minimal positive DER: either 00 followed by a byte with the top bit set, or 01..7f.
      if (first === 0) expect(second).toBeGreaterThanOrEqual(0x80);
      else expect(first).toBeLessThan(0x80);
      serials.add(serial);
    }
    expect(serials.size).toBe(1000);
  });
});
