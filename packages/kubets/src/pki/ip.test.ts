import { describe, expect, it } from 'vitest';
import { seededRandomBytes } from '../../test/random.js';
import {
  canonicalIp,
  cidrSize,
  formatCidr,
  formatIp,
  indexedIp,
  parseCidr,
  parseIp,
} from './ip.js';

describe('parseIp', () => {
  it('parses IPv4 dotted quads', () => {
    expect(Array.from(parseIp('10.96.0.1') ?? [])).toEqual([10, 96, 0, 1]);
  });

  it('refuses leading zeros, zones, brackets and garbage as Go does', () => {
    for (const bad of [
      '010.0.0.1',
      '1.2.3',
      '256.1.1.1',
      'fe80::1%eth0',
      '[::1]',
      '',
      'localhost',
      '1.2.3.4 ',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('expands IPv6 with :: compression and embedded IPv4', () => {
    expect(Buffer.from(parseIp('2001:db8::1') ?? []).toString('hex')).toBe(
      '20010db8000000000000000000000001',
    );
    expect(Buffer.from(parseIp('::') ?? []).toString('hex')).toBe('0'.repeat(32));
    expect(Buffer.from(parseIp('64:ff9b::192.0.2.33') ?? []).toString('hex')).toBe(
      '0064ff9b0000000000000000c0000221',
    );
  });

  it('turns IPv4-mapped IPv6 into the IPv4 address (Go writes IP SANs that way)', () => {
    expect(Array.from(parseIp('::ffff:10.0.0.1') ?? [])).toEqual([10, 0, 0, 1]);
  });
});

describe('formatIp', () => {
  it('writes RFC 5952 text', () => {
    expect(canonicalIp('2001:0DB8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('1:0:0:0:0:0:0:0')).toBe('1::');
    expect(canonicalIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // a single zero group stays
  });

  it('agrees with the WHATWG URL parser on random addresses with zero runs', () => {
    const random = seededRandomBytes(42);
    for (let i = 0; i < 300; i++) {
      const bytes = random(16);
      const mask = random(8);
      // Zero out random groups so compression has something to do.
      for (let g = 0; g < 8; g++) if ((mask[g] ?? 0) < 128) bytes.fill(0, 2 * g, 2 * g + 2);
      if (bytes.slice(0, 12).every((b, j) => b === (j < 10 ? 0 : 0xff))) continue; // mapped: URL keeps v6 form
      const expected = new URL(`http://[${formatIp(bytes)}]/`).hostname.slice(1, -1);
      expect(formatIp(bytes), `seed 42, round ${i}`).toBe(expected);
      expect(Buffer.from(parseIp(expected) ?? []).equals(Buffer.from(bytes))).toBe(true);
    }
  });
});

describe('parseCidr', () => {
  it('clears host bits like Go ParseCIDR', () => {
    expect(formatCidr(parseCidr('10.96.5.7/12'))).toBe('10.96.0.0/12');
    expect(formatCidr(parseCidr('fd00:10:96::1234/112'))).toBe('fd00:10:96::/112');
  });

  it('explains what is wrong', () => {
    expect(() => parseCidr('10.96.0.0/33')).toThrow(
      'prefix length 33 out of range for IPv4 (0-32)',
    );
    expect(() => parseCidr('fd00::/129')).toThrow(
      'prefix length 129 out of range for IPv6 (0-128)',
    );
    expect(() => parseCidr('10.96.0.0')).toThrow('is not a CIDR');
    expect(() => parseCidr('10.96.0/12')).toThrow('"10.96.0" is not an IP address');
    expect(() => parseCidr('10.96.0.0/x')).toThrow('prefix length "x" is not a number');
    expect(() => parseCidr('::ffff:10.0.0.0/104')).toThrow('IPv4-mapped');
  });

  it('sizes ranges as bigints', () => {
    expect(cidrSize(parseCidr('10.96.0.0/12'))).toBe(1n << 20n);
    expect(cidrSize(parseCidr('fd00::/64'))).toBe(1n << 64n);
  });
});

describe('indexedIp', () => {
  it('gives the first service IP of the default ranges', () => {
    expect(formatIp(indexedIp(parseCidr('10.96.0.0/12'), 1))).toBe('10.96.0.1');
    expect(formatIp(indexedIp(parseCidr('fd00:10:96::/108'), 1))).toBe('fd00:10:96::1');
  });

  it('carries across bytes', () => {
    expect(formatIp(indexedIp(parseCidr('10.0.0.0/23'), 256))).toBe('10.0.1.0');
    expect(formatIp(indexedIp(parseCidr('10.0.0.0/8'), 65537))).toBe('10.1.0.1');
  });

  it('refuses an index outside the range', () => {
    expect(() => indexedIp(parseCidr('10.0.0.7/32'), 1)).toThrow(
      'range 10.0.0.7/32 has no address at index 1',
    );
  });
});
