import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';

describe('Inflights', () => {
  it('fills up to capacity and frees by index', () => {
    const f = new Inflights(3, 0);
    f.add(1, 10);
    f.add(2, 10);
    expect(f.full()).toBe(false);
    f.add(3, 10);
    expect(f.full()).toBe(true);
    expect(() => f.add(4, 1)).toThrow(/full/);
    f.freeLE(2);
    expect(f.size).toBe(1);
    expect(f.bytes).toBe(10);
    expect(f.full()).toBe(false);
  });
  it('wraps around the ring buffer', () => {
    const f = new Inflights(4, 0);
    for (let i = 1; i <= 4; i++) f.add(i, 1);
    f.freeLE(3);
    f.add(5, 1);
    f.add(6, 1);
    f.add(7, 1);
    expect(f.full()).toBe(true);
    f.freeLE(5);
    expect(f.size).toBe(2);
    f.freeLE(100);
    expect(f.size).toBe(0);
    expect(f.bytes).toBe(0);
  });
  it('ignores frees below the first in-flight index', () => {
    const f = new Inflights(4, 0);
    f.add(5, 1);
    f.freeLE(4);
    expect(f.size).toBe(1);
  });
  it('is full once the byte budget is reached', () => {
    const f = new Inflights(100, 1000);
    f.add(1, 600);
    expect(f.full()).toBe(false);
    f.add(2, 400);
    expect(f.full()).toBe(true);
    f.freeFirstOne();
    expect(f.size).toBe(1);
    expect(f.bytes).toBe(400);
    expect(f.full()).toBe(false);
  });
  it('reset empties it', () => {
    const f = new Inflights(2, 0);
    f.add(1, 1);
    f.add(2, 1);
    f.reset();
    expect(f.size).toBe(0);
    expect(f.full()).toBe(false);
  });
});
