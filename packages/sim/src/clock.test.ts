import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';

describe('VirtualClock', () => {
  it('starts at the given time and does nothing until advanced', () => {
    const clock = new VirtualClock(500);
    let fired = false;
    clock.setTimeout(() => (fired = true), 0);
    expect(clock.now()).toBe(500);
    expect(fired).toBe(false);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBe(500);
  });

  it('fires timers in time order, and same-time timers in insertion order', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`d@${clock.now()}`), 20);
    clock.advance(25);
    expect(log).toEqual(['a@10', 'b@10', 'c@20', 'd@20']);
    expect(clock.now()).toBe(25);
  });

  it('advance runs timers due exactly at the end of the window, and not one after it', () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    clock.setTimeout(() => log.push(10), 10);
    clock.setTimeout(() => log.push(11), 11);
    clock.advance(10);
    expect(log).toEqual([10]);
    expect(clock.now()).toBe(10);
    clock.advance(0);
    expect(log).toEqual([10]);
    clock.advance(1);
    expect(log).toEqual([10, 11]);
  });

  it('runs timers scheduled by callbacks within the same advance window', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push(`outer@${clock.now()}`);
      clock.setTimeout(() => log.push(`inner@${clock.now()}`), 5);
      clock.setTimeout(() => log.push(`late@${clock.now()}`), 50);
      clock.setTimeout(() => log.push(`now@${clock.now()}`), 0);
    }, 10);
    clock.advance(20);
    expect(log).toEqual(['outer@10', 'now@10', 'inner@15']);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('repeats intervals at their period until cleared, including from their own callback', () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    const id = clock.setInterval(() => {
      ticks.push(clock.now());
      if (ticks.length === 4) clock.clearTimer(id);
    }, 7);
    clock.advance(100);
    expect(ticks).toEqual([7, 14, 21, 28]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('interleaves intervals and timeouts deterministically', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setInterval(() => log.push(`i${clock.now()}`), 5);
    clock.setTimeout(() => log.push(`t${clock.now()}`), 10);
    clock.advance(15);
    // The timeout at 10 was scheduled before the interval re-armed for 10, so it runs first.
    expect(log).toEqual(['i5', 't10', 'i10', 'i15']);
  });

  it('clearTimer cancels pending timers and ignores unknown or fired ids', () => {
    const clock = new VirtualClock();
    let fired = 0;
    const a = clock.setTimeout(() => fired++, 5);
    const b = clock.setTimeout(() => fired++, 6);
    clock.clearTimer(a);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerAt()).toBe(6);
    clock.advance(10);
    expect(fired).toBe(1);
    clock.clearTimer(b);
    clock.clearTimer(12345);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('a timer cleared by an earlier timer at the same instant does not fire', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    let second = 0;
    clock.setTimeout(() => {
      log.push('first');
      clock.clearTimer(second);
    }, 5);
    second = clock.setTimeout(() => log.push('second'), 5);
    clock.advance(5);
    expect(log).toEqual(['first']);
  });

  it('step runs exactly one timer and moves time to it', () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    clock.setTimeout(() => log.push(1), 30);
    clock.setTimeout(() => log.push(2), 40);
    expect(clock.step()).toBe(true);
    expect(log).toEqual([1]);
    expect(clock.now()).toBe(30);
    expect(clock.step()).toBe(true);
    expect(clock.now()).toBe(40);
    expect(clock.step()).toBe(false);
    expect(clock.now()).toBe(40);
  });

  it('runUntilIdle stops when idle, or at maxSteps with intervals that never end', () => {
    const clock = new VirtualClock();
    for (let i = 0; i < 5; i++) clock.setTimeout(() => undefined, i * 3);
    expect(clock.runUntilIdle(100)).toBe(5);
    expect(clock.now()).toBe(12);
    expect(clock.runUntilIdle(100)).toBe(0);

    let ticks = 0;
    clock.setInterval(() => ticks++, 1);
    expect(clock.runUntilIdle(50)).toBe(50);
    expect(ticks).toBe(50);
    expect(clock.now()).toBe(62);
    expect(clock.runUntilIdle(0)).toBe(0);
  });

  it('runUntil stops as soon as the condition holds, or at the end of the window', () => {
    const clock = new VirtualClock();
    let count = 0;
    clock.setInterval(() => count++, 10);
    expect(clock.runUntil(() => count === 3, 1000)).toBe(true);
    expect(clock.now()).toBe(30);
    expect(clock.runUntil(() => count === 100, 45)).toBe(false);
    expect(clock.now()).toBe(75);
    expect(count).toBe(7);
  });

  it('refuses nested advance from a callback and keeps working after a callback throws', () => {
    const clock = new VirtualClock();
    clock.setTimeout(() => clock.advance(1), 1);
    expect(() => clock.advance(5)).toThrow(/inside a timer callback/);
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 1);
    expect(() => clock.advance(5)).toThrow('boom');
    let ran = false;
    clock.setTimeout(() => (ran = true), 1);
    clock.advance(5);
    expect(ran).toBe(true);
  });

  it('fails loudly on a zero-delay timer loop instead of hanging', () => {
    const clock = new VirtualClock(0, { maxTimersAtOneInstant: 1000 });
    const loop = (): void => void clock.setTimeout(loop, 0);
    clock.setTimeout(loop, 1);
    expect(() => clock.advance(10)).toThrow(/without time moving/);
  });

  it('rejects bad durations with specific errors', () => {
    const clock = new VirtualClock();
    expect(() => new VirtualClock(-1)).toThrow(/start time/);
    expect(() => clock.setTimeout(() => undefined, -1)).toThrow(/delay/);
    expect(() => clock.setTimeout(() => undefined, Number.NaN)).toThrow(/delay/);
    expect(() => clock.setInterval(() => undefined, 0)).toThrow(/> 0/);
    expect(() => clock.advance(Infinity)).toThrow(/advance/);
    expect(() => clock.runUntilIdle(-1)).toThrow(/maxSteps/);
  });
});
