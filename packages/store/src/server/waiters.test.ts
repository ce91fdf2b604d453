import { describe, expect, it } from 'vitest';
import { EtcdError } from '../apply/errors.js';
import { Waiters } from './waiters.js';

/** A manual clock with timers on it; counts the timers armed. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    armed: 0,
    now: () => now,
    setTimeout(fn: () => void, ms: number): unknown {
      this.armed++;
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout(h: unknown): void {
      timers.delete(h as number);
    },
    pending: () => timers.size,
    /** Moves the clock to `t`, firing due timers in order. */
    advance(t: number): void {
      for (let i = 0; i < 100; i++) {
        const due = [...timers.entries()]
          .filter(([, x]) => x.at <= t)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = t;
    },
  };
}

const timeout = () => new EtcdError(4, 'etcdserver: request timed out');

describe('Waiters', () => {
  it('resolves and rejects by ID; times out what is not answered by its deadline', async () => {
    const t = fakeTimers();
    const w = new Waiters<number>(t);
    const a = w.register('a', 1000, timeout);
    t.advance(400);
    const b = w.register('b', 1000, timeout);
    const c = w.register('c', 1000, timeout);
    expect(w.resolve('c', 3)).toBe(true);
    expect(w.resolve('c', 3)).toBe(false);
    await expect(c).resolves.toBe(3);
    t.advance(1000);
    await expect(a).rejects.toThrow('request timed out');
    expect(w.has('b')).toBe(true);
    t.advance(1399);
    expect(w.has('b')).toBe(true);
    t.advance(1400);
    await expect(b).rejects.toThrow('request timed out');
    expect(w.size).toBe(0);
    expect(t.pending()).toBe(0);
  });

  it('arms one timer for many requests, not one each', async () => {
    const t = fakeTimers();
    const w = new Waiters<number>(t);
    for (let i = 0; i < 100; i++) {
      t.advance(i);
      const p = w.register(String(i), 5000, timeout);
      w.resolve(String(i), i);
      await p;
    }
    expect(t.armed).toBe(1);
    // The timer fires with nothing pending and is not re-armed.
    t.advance(10_000);
    expect(t.pending()).toBe(0);
    const late = w.register('late', 5000, timeout);
    expect(t.armed).toBe(2);
    t.advance(15_000);
    await expect(late).rejects.toThrow('request timed out');
  });

  it('re-arms for an earlier deadline and stops with rejectAll', async () => {
    const t = fakeTimers();
    const w = new Waiters<number>(t);
    const slow = w.register('slow', 10_000, timeout);
    const fast = w.register('fast', 100, timeout);
    t.advance(100);
    await expect(fast).rejects.toThrow('request timed out');
    expect(w.has('slow')).toBe(true);
    w.rejectAll(new Error('stopped'));
    await expect(slow).rejects.toThrow('stopped');
    expect(t.pending()).toBe(0);
  });
});
