import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { BackoffManager, ExponentialBackoff, REFLECTOR_BACKOFF, jitter } from './backoff.js';

describe('backoff', () => {
  it('grows by the factor up to the cap', () => {
    const b = new ExponentialBackoff(
      { initialMs: 100, capMs: 1000, factor: 3, jitter: 0 },
      () => 0,
    );
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 300, 900, 1000, 1000]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('jitter stretches by up to the factor', () => {
    expect(jitter(1000, 1, () => 0.5)).toBe(1500);
    expect(jitter(1000, 0.2, () => 0.999)).toBeCloseTo(1199.8, 6);
    expect(jitter(1000, 0, () => 1)).toBe(2000);
  });

  it('the manager starts over after a healthy period', async () => {
    const clock = new FakeClock();
    const m = new BackoffManager({ ...REFLECTOR_BACKOFF, jitter: 0 }, clock, () => 0);
    expect([m.next(), m.next(), m.next()]).toEqual([800, 1600, 3200]);
    await clock.advance(120_001);
    expect(m.next()).toBe(800);
  });

  it('validates its options', () => {
    expect(
      () => new ExponentialBackoff({ initialMs: 10, capMs: 5, factor: 2, jitter: 0 }, Math.random),
    ).toThrow(/capMs/);
    expect(
      () =>
        new ExponentialBackoff({ initialMs: 10, capMs: 50, factor: 0.5, jitter: 0 }, Math.random),
    ).toThrow(/factor/);
  });
});
