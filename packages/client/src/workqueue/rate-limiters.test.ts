import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiters.js';
import { RateLimitingQueue } from './rate-limiting-queue.js';

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles per failure from 5 ms and caps at 1000 s, per item', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
    const delays = Array.from({ length: 20 }, () => rl.when('a'));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    expect(delays[17]).toBe(5 * 2 ** 17);
    expect(delays[18]).toBe(1_000_000); // 5 * 2^18 = 1,310,720 ms > cap
    expect(delays[19]).toBe(1_000_000);
    expect(rl.numRequeues('a')).toBe(20);
    expect(rl.when('b')).toBe(5);
    // No overflow however long it fails.
    for (let i = 0; i < 2000; i++) rl.when('a');
    expect(rl.when('a')).toBe(1_000_000);
  });

  it('forget resets the backoff', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>(1, 100);
    rl.when('a');
    rl.when('a');
    rl.forget('a');
    expect(rl.numRequeues('a')).toBe(0);
    expect(rl.when('a')).toBe(1);
  });

  it('validates its bounds', () => {
    expect(() => new ItemExponentialFailureRateLimiter(0, 1)).toThrow(/baseDelayMs/);
    expect(() => new ItemExponentialFailureRateLimiter(10, 1)).toThrow(/maxDelayMs/);
  });
});

describe('other rate limiters', () => {
  it('ItemFastSlowRateLimiter switches after maxFastAttempts', () => {
    const rl = new ItemFastSlowRateLimiter<string>(10, 1000, 2);
    expect([rl.when('a'), rl.when('a'), rl.when('a')]).toEqual([10, 10, 1000]);
  });

  it('BucketRateLimiter allows a burst then spaces retries at its qps', () => {
    const clock = new FakeClock();
    const rl = new BucketRateLimiter<string>(10, 100, clock);
    for (let i = 0; i < 100; i++) expect(rl.when(`k${i}`)).toBe(0);
    expect(rl.when('x')).toBeCloseTo(100, 6);
    expect(rl.when('y')).toBeCloseTo(200, 6);
  });

  it('the default controller limiter is the max of both', () => {
    const clock = new FakeClock();
    const rl = defaultControllerRateLimiter<string>(clock);
    expect(rl.when('a')).toBe(5);
    expect(rl.when('a')).toBe(10);
    for (let i = 0; i < 98; i++) rl.when(`other-${i}`);
    // The bucket (burst 100) is now empty: the next retry of any item waits for a token.
    expect(rl.when('fresh')).toBeCloseTo(100, 6);
    expect(rl.numRequeues('a')).toBe(2);
    rl.forget('a');
    expect(rl.numRequeues('a')).toBe(0);
  });

  it('MaxOf records the failure in every limiter', () => {
    const a = new ItemExponentialFailureRateLimiter<string>(1, 1000);
    const b = new ItemExponentialFailureRateLimiter<string>(100, 1000);
    const m = new MaxOfRateLimiter(a, b);
    expect(m.when('k')).toBe(100);
    expect(a.numRequeues('k')).toBe(1);
    expect(b.numRequeues('k')).toBe(1);
  });
});

describe('RateLimitingQueue', () => {
  it('requeues failures after growing delays and starts over after forget', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({
      clock,
      rateLimiter: new ItemExponentialFailureRateLimiter(100, 1000),
    });
    q.addRateLimited('k');
    await clock.advance(99);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    const { item } = await q.get();
    q.addRateLimited(item!); // fails again: 200 ms
    q.done(item!);
    await clock.advance(199);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    expect(q.numRequeues('k')).toBe(2);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
  });
});
