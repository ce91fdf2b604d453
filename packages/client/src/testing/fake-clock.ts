/**
 * A manual clock for tests of async code (k8s.io/utils/clock/testing.FakeClock). Timers fire only
 * when the test advances time; after each one the pending promise jobs and immediates run, so the
 * code a timer wakes up gets to its next wait before time moves on. Timers due at the same
 * instant fire in the order they were set.
 */
import type { Clock, Timer } from '../util/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Lets queued promise jobs and setImmediate callbacks run (a few rounds, for chains of them). */
export async function flushAsync(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, delayMs: number): Timer {
    if (Number.isNaN(delayMs)) throw new RangeError('timer delay is NaN');
    const p: Pending = {
      at: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(p);
    return {
      cancel: () => {
        p.cancelled = true;
      },
    };
  }

  /** Timers set and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** When the next timer is due, or undefined. */
  nextTimerAt(): number | undefined {
    return this.next()?.at;
  }

  /** Fires the next timer (moving time to it) and lets the code it wakes run. False if none. */
  async step(): Promise<boolean> {
    const t = this.next();
    if (!t) return false;
    this.fire(t);
    await flushAsync();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms} ms`);
    const target = this.current + ms;
    await flushAsync();
    for (;;) {
      const t = this.next();
      if (!t || t.at > target) break;
      this.fire(t);
      await flushAsync();
    }
    this.current = target;
    await flushAsync();
  }

  /**
   * Fires timers one by one until `condition()` holds (checked first and after every timer) or
   * the next timer is more than `limitMs` away from the start. Returns whether it held.
   */
  async runUntil(condition: () => boolean, limitMs: number): Promise<boolean> {
    const deadline = this.current + limitMs;
    await flushAsync();
    for (;;) {
      if (condition()) return true;
      const t = this.next();
      if (!t || t.at > deadline) {
        this.current = Math.max(this.current, deadline);
        await flushAsync();
        return condition();
      }
      this.fire(t);
      await flushAsync();
    }
  }

  private next(): Pending | undefined {
    let best: Pending | undefined;
    const live: Pending[] = [];
    for (const t of this.timers) {
      if (t.cancelled) continue;
      live.push(t);
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    this.timers = live;
    return best;
  }

  private fire(t: Pending): void {
    t.cancelled = true;
    if (t.at > this.current) this.current = t.at;
    t.fn();
  }
}
