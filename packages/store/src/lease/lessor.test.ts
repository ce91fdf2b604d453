import { describe, expect, it } from 'vitest';
import { IdGenerator } from './id-generator.js';
import {
  EXPIRED_LEASE_RETRY_MS,
  LEASE_REVOKE_RATE,
  LeaseError,
  Lessor,
  MAX_LEASE_TTL,
} from './lessor.js';

describe('Lessor', () => {
  it('grants with the minimum TTL floor and refuses duplicates, zero IDs and huge TTLs', () => {
    const l = new Lessor({ minTtlSeconds: 2 });
    expect(l.grant(1n, 1, 0).ttl).toBe(2);
    expect(l.grant(2n, 60, 0).ttl).toBe(60);
    expect(() => l.grant(1n, 5, 0)).toThrow(LeaseError);
    expect(() => l.grant(1n, 5, 0)).toThrow('lease already exists');
    expect(() => l.grant(0n, 5, 0)).toThrow('lease not found');
    expect(() => l.grant(3n, MAX_LEASE_TTL + 1, 0)).toThrow('too large lease TTL');
    expect(() => new Lessor({ minTtlSeconds: 0 })).toThrow(/positive integer/);
  });

  it('expires leases only on the primary, after TTL, and re-reports after the retry interval', () => {
    const l = new Lessor({ minTtlSeconds: 1 });
    l.grant(1n, 10, 0);
    expect(l.expired(1_000_000, 10)).toEqual([]); // follower: never expires
    expect(l.remainingMs(1n, 0)).toBe(Infinity);
    l.promote(0, 0);
    expect(l.remainingMs(1n, 4000)).toBe(6000);
    expect(l.expired(9_999, 10)).toEqual([]);
    expect(l.expired(10_000, 10)).toEqual([1n]);
    // Its revoke is in flight: not reported again until the retry interval passes.
    expect(l.expired(10_001, 10)).toEqual([]);
    expect(l.expired(10_000 + EXPIRED_LEASE_RETRY_MS, 10)).toEqual([1n]);
  });

  it('renews to now + TTL and reports an unknown lease', () => {
    const l = new Lessor({ minTtlSeconds: 1 });
    l.promote(0, 0);
    l.grant(1n, 5, 0);
    expect(l.renew(1n, 4000)).toBe(5);
    expect(l.remainingMs(1n, 4000)).toBe(5000);
    expect(l.expired(8999, 10)).toEqual([]);
    expect(() => l.renew(2n, 0)).toThrow('lease not found');
  });

  it('re-bases every lease on promotion (a new leader never expires leases early)', () => {
    const l = new Lessor({ minTtlSeconds: 1 });
    l.grant(1n, 5, 0);
    l.grant(2n, 50, 0);
    l.promote(100_000, 1000);
    expect(l.remainingMs(1n, 100_000)).toBe(6000);
    expect(l.remainingMs(2n, 100_000)).toBe(51_000);
    l.demote();
    expect(l.remainingMs(1n, 100_000)).toBe(Infinity);
    expect(l.expired(1e12, 10)).toEqual([]);
  });

  it('spreads expiries on promotion when more leases than the revoke rate would expire at once', () => {
    const l = new Lessor({ minTtlSeconds: 1 });
    const n = LEASE_REVOKE_RATE * 2;
    for (let i = 1; i <= n; i++) l.grant(BigInt(i), 10, 0);
    l.promote(0, 0);
    const perSecond = new Map<number, number>();
    for (let i = 1; i <= n; i++) {
      const s = Math.floor(l.remainingMs(BigInt(i), 0)! / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    for (const count of perSecond.values())
      expect(count).toBeLessThanOrEqual((3 * LEASE_REVOKE_RATE) / 4 + 1);
    expect(Math.min(...[...perSecond.keys()])).toBe(10);
  });

  it('tracks attached keys and returns them sorted on revoke', () => {
    const l = new Lessor({ minTtlSeconds: 1 });
    l.grant(1n, 5, 0);
    l.attach(1n, 'b');
    l.attach(1n, 'a');
    l.attach(1n, 'c');
    l.detach(1n, 'c');
    expect([...l.lookup(1n)!.keys].sort()).toEqual(['a', 'b']);
    expect(l.revoke(1n)).toEqual(['a', 'b']);
    expect(l.lookup(1n)).toBeUndefined();
    expect(() => l.revoke(1n)).toThrow('lease not found');
    expect(() => l.attach(1n, 'x')).toThrow(/unknown lease/);
    l.detach(1n, 'x'); // detaching from a revoked lease is a no-op
  });
});

describe('IdGenerator', () => {
  it('builds etcd-style IDs: member prefix, time, counter; lease IDs stay positive', () => {
    const g = new IdGenerator(0xabcdn, 1_000);
    const a = g.next();
    const b2 = g.next();
    expect(b2 - a).toBe(1n);
    expect(a >> 48n).toBe(0xabcdn);
    expect((a >> 8n) & ((1n << 40n) - 1n)).toBe(1000n);
    const lease = new IdGenerator(0xffffn, 1_000).nextLeaseId();
    expect(lease > 0n && lease < 1n << 63n).toBe(true);
  });
});
