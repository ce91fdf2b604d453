import { describe, expect, it } from 'vitest';
import { Prng } from './prng.js';

const draw = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.uint32());

/** Pearson's chi-squared statistic of counts against a uniform expectation. */
function chiSquared(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

describe('Prng', () => {
  it('replays the same sequence for the same seed, including seed 0 and negative seeds', () => {
    for (const seed of [0, 1, -1, 42, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      const a = new Prng(seed);
      const b = new Prng(seed);
      expect(draw(a, 100)).toEqual(draw(b, 100));
      expect(a.seed).toBe(seed);
    }
  });

  it('gives unrelated streams for neighbouring seeds and for seeds differing above bit 32', () => {
    const streams = [0, 1, 2, 2 ** 32, 2 ** 33].map((s) => draw(new Prng(s), 8));
    const distinct = new Set(streams.flat());
    expect(distinct.size).toBe(streams.length * 8);
  });

  it('is pinned: a known seed gives a known first output (catches accidental algorithm changes)', () => {
    // Cross-checked against an independent Python splitmix32 + sfc32. Changing the algorithm
    // makes every recorded failing seed replay something else, so it must be deliberate.
    expect(draw(new Prng(12345), 3)).toEqual([3330019650, 3297814173, 186854785]);
  });

  it('next() is uniform on [0, 1)', () => {
    const p = new Prng(7);
    const n = 100_000;
    const buckets = new Array<number>(20).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = p.next();
      if (!(x >= 0 && x < 1)) throw new Error(`next() returned ${x}`);
      sum += x;
      buckets[Math.floor(x * 20)]!++;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    // 19 degrees of freedom: the 99.9th percentile is 43.8.
    expect(chiSquared(buckets)).toBeLessThan(43.8);
  });

  it('int() covers its range uniformly, including bounds that are not powers of two', () => {
    const p = new Prng(99);
    for (const bound of [1, 3, 10, 1000]) {
      const counts = new Array<number>(Math.min(bound, 10)).fill(0);
      for (let i = 0; i < 20_000; i++) {
        const v = p.int(bound);
        if (!(Number.isInteger(v) && v >= 0 && v < bound))
          throw new Error(`int(${bound}) gave ${v}`);
        counts[Math.floor((v * counts.length) / bound)]!++;
      }
      if (counts.length > 1) expect(chiSquared(counts)).toBeLessThan(30);
    }
    // Bounds above 2^32 take the 53-bit path.
    const big = 2 ** 40;
    for (let i = 0; i < 100; i++) {
      const v = p.int(big);
      expect(Number.isSafeInteger(v) && v >= 0 && v < big).toBe(true);
    }
  });

  it('range() is inclusive on both ends', () => {
    const p = new Prng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(p.range(-2, 2));
    expect([...seen].sort()).toEqual([-1, -2, 0, 1, 2]);
    expect(p.range(5, 5)).toBe(5);
  });

  it('chance() matches its probability and is exact at 0 and 1', () => {
    const p = new Prng(11);
    let hits = 0;
    for (let i = 0; i < 50_000; i++) if (p.chance(0.3)) hits++;
    expect(Math.abs(hits / 50_000 - 0.3)).toBeLessThan(0.01);
    for (let i = 0; i < 1000; i++) {
      expect(p.chance(0)).toBe(false);
      expect(p.chance(1)).toBe(true);
    }
  });

  it('pick() and shuffle() are uniform and do not modify the input', () => {
    const p = new Prng(5);
    const items = ['a', 'b', 'c', 'd'] as const;
    const picks = new Map<string, number>();
    for (let i = 0; i < 8000; i++) {
      const x = p.pick(items);
      picks.set(x, (picks.get(x) ?? 0) + 1);
    }
    expect(chiSquared([...picks.values()])).toBeLessThan(16.3);

    const input = [1, 2, 3];
    const orders = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = p.shuffle(input).join('');
      orders.set(key, (orders.get(key) ?? 0) + 1);
    }
    expect(input).toEqual([1, 2, 3]);
    expect(orders.size).toBe(6);
    expect(chiSquared([...orders.values()])).toBeLessThan(20.5);
  });

  it('fork() gives deterministic children independent of the parent and of each other', () => {
    const parent = new Prng(2024);
    const childA = parent.fork('net');
    const childB = parent.fork('net');
    const childC = parent.fork('disk');
    // Deterministic: the same root forks the same children.
    const again = new Prng(2024);
    expect(draw(again.fork('net'), 50)).toEqual(draw(new Prng(childA.seed), 50));
    // A child's own seed replays it.
    expect(draw(childB, 20)).toEqual(draw(new Prng(childB.seed), 20));
    // Independent: no shared outputs between parent and children streams.
    const streams = [
      draw(parent, 1000),
      draw(childA, 1000),
      draw(childB, 1000),
      draw(childC, 1000),
    ];
    expect(new Set(streams.flat()).size).toBeGreaterThan(3990);
    // And uncorrelated: the low bit of parent and child agree about half the time.
    const p2 = new Prng(77);
    const c2 = p2.fork();
    let agree = 0;
    for (let i = 0; i < 10_000; i++) if ((p2.uint32() & 1) === (c2.uint32() & 1)) agree++;
    expect(Math.abs(agree / 10_000 - 0.5)).toBeLessThan(0.03);
  });

  it('labels matter: the same parent state forked with different labels differs', () => {
    const a = new Prng(1).fork('x');
    const b = new Prng(1).fork('y');
    expect(a.seed).not.toBe(b.seed);
  });

  it('rejects bad input with specific errors', () => {
    expect(() => new Prng(1.5)).toThrow(/safe integer/);
    expect(() => new Prng(Number.NaN)).toThrow(/safe integer/);
    const p = new Prng(1);
    expect(() => p.int(0)).toThrow(/positive/);
    expect(() => p.int(2.5)).toThrow(/safe integer/);
    expect(() => p.range(3, 2)).toThrow(/greater than max/);
    expect(() => p.chance(1.1)).toThrow(/\[0, 1\]/);
    expect(() => p.chance(Number.NaN)).toThrow(/\[0, 1\]/);
    expect(() => p.pick([])).toThrow(/empty/);
  });
});
