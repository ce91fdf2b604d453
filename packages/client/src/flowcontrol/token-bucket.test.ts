import { describe, expect, it } from 'vitest';
import { FakeClock, flushAsync } from '../testing/fake-clock.js';
import { TokenBucketRateLimiter } from './rate-limiter.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, allows a burst, then refills at qps up to burst', () => {
    const b = new TokenBucket(2, 3, 0);
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(b.tryTake(499)).toBe(false);
    expect(b.tryTake(500)).toBe(true);
    // A long idle period refills only up to the burst.
    expect(b.available(100_000)).toBe(3);
  });

  it('reserve borrows from the future and says how long to wait', () => {
    const b = new TokenBucket(10, 1, 0);
    expect(b.reserve(0)).toBe(0);
    expect(b.reserve(0)).toBeCloseTo(100, 9);
    expect(b.reserve(0)).toBeCloseTo(200, 9);
    b.unreserve(0);
    expect(b.reserve(0)).toBeCloseTo(200, 9);
  });

  it('refills 1 token per 5 minutes at qps 1/300', () => {
    const b = new TokenBucket(1 / 300, 25, 0);
    for (let i = 0; i < 25; i++) expect(b.tryTake(0)).toBe(true);
    expect(b.tryTake(299_999)).toBe(false);
    expect(b.tryTake(300_000)).toBe(true);
  });

  it('validates its parameters', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(/qps/);
    expect(() => new TokenBucket(1, 0, 0)).toThrow(/burst/);
    expect(() => new TokenBucket(1, 1.5, 0)).toThrow(/burst/);
    const inf = new TokenBucket(Infinity, 1, 0);
    for (let i = 0; i < 1000; i++) expect(inf.tryTake(0)).toBe(true);
  });
});

describe('TokenBucketRateLimiter', () => {
  it('accept waits for a token on the injected clock', async () => {
    const clock = new FakeClock();
    const rl = new TokenBucketRateLimiter({ qps: 5, burst: 2, clock });
    await rl.accept();
    await rl.accept();
    let third = false;
    void rl.accept().then(() => (third = true));
    await flushAsync();
    expect(third).toBe(false);
    await clock.advance(199);
    expect(third).toBe(false);
    await clock.advance(1);
    expect(third).toBe(true);
  });

  it('an aborted wait rejects and gives its token back', async () => {
    const clock = new FakeClock();
    const rl = new TokenBucketRateLimiter({ qps: 1, burst: 1, clock });
    expect(rl.tryAccept()).toBe(true);
    const ac = new AbortController();
    const waiting = rl.accept(ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow(/aborted/);
    await clock.advance(1000);
    expect(rl.tryAccept()).toBe(true);
    expect(rl.tryAccept()).toBe(false);
  });
});
