import { describe, expect, it } from 'vitest';
import { Bitmap, parsePortRange, parseServiceCIDR } from './ranges.js';

describe('service ranges', () => {
  it('maps a CIDR without network and broadcast addresses', () => {
    const r = parseServiceCIDR('10.96.0.0/24');
    expect(r.size).toBe(254);
    expect(r.valueAt(0)).toBe('10.96.0.1');
    expect(r.valueAt(253)).toBe('10.96.0.254');
    expect(r.offsetOf('10.96.0.1')).toBe(0);
    expect(r.offsetOf('10.96.0.0')).toBeUndefined();
    expect(r.offsetOf('10.96.0.255')).toBeUndefined();
    expect(r.offsetOf('10.97.0.1')).toBeUndefined();
    expect(parseServiceCIDR('10.96.5.7/12').text).toBe('10.96.0.0/12');
  });

  it('refuses bad CIDRs and ranges naming the flag', () => {
    expect(() => parseServiceCIDR('10.0.0.0')).toThrow(/--service-cluster-ip-range: invalid CIDR/);
    expect(() => parseServiceCIDR('10.0.0.0/8')).toThrow(/between \/12 and \/30/);
    expect(() => parsePortRange('30000')).toThrow(/--service-node-port-range: invalid port range/);
    expect(() => parsePortRange('3-2')).toThrow(/not a valid range/);
  });

  it('parses port ranges in both upstream forms', () => {
    const r = parsePortRange('30000-32767');
    expect(r.size).toBe(2768);
    expect(r.valueAt(0)).toBe(30000);
    expect(r.offsetOf(32767)).toBe(2767);
    expect(r.offsetOf(32768)).toBeUndefined();
    expect(parsePortRange('30000+10').text).toBe('30000-30010');
  });

  it('serializes bitmaps as upstream big-endian integers', () => {
    const b = new Bitmap(20);
    b.set(0);
    b.set(9);
    expect([...b.toBigEndian()]).toEqual([0x02, 0x01]);
    const back = Bitmap.fromBigEndian(20, b.toBigEndian());
    expect(back.has(0) && back.has(9) && !back.has(1)).toBe(true);
    expect(back.count()).toBe(2);
    expect(back.firstFreeFrom(9)).toBe(10);
    const full = new Bitmap(2);
    full.set(0);
    full.set(1);
    expect(full.firstFreeFrom(1)).toBeUndefined();
  });
});
