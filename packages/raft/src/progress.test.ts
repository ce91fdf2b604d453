import { describe, expect, it } from 'vitest';
import { Inflights } from './inflights.js';
import { Progress, ProgressState } from './progress.js';

const mk = (match: number, next: number) => new Progress(next, new Inflights(4, 0), { match });

describe('Progress', () => {
  it('becomeProbe from Snapshot resumes after the pending snapshot', () => {
    const p = mk(1, 5);
    p.becomeSnapshot(10);
    expect(p.isPaused()).toBe(true);
    p.becomeProbe();
    expect(p.state).toBe(ProgressState.Probe);
    expect(p.next).toBe(11);
  });
  it('becomeProbe after a failed snapshot resumes after match', () => {
    const p = mk(1, 5);
    p.becomeSnapshot(10);
    p.pendingSnapshot = 0;
    p.becomeProbe();
    expect(p.next).toBe(2);
  });
  it('maybeUpdate ignores stale acks and keeps match < next', () => {
    const p = mk(5, 6);
    expect(p.maybeUpdate(4)).toBe(false);
    expect(p.maybeUpdate(9)).toBe(true);
    expect(p.match).toBe(9);
    expect(p.next).toBe(10);
  });
  it('Replicate: sent entries move next optimistically and fill the window', () => {
    const p = mk(0, 1);
    p.becomeReplicate();
    for (let i = 1; i <= 4; i++) p.sentEntries(i, 1);
    expect(p.next).toBe(5);
    expect(p.isPaused()).toBe(true);
  });
  it('Probe: one message at a time', () => {
    const p = mk(0, 1);
    expect(p.isPaused()).toBe(false);
    p.sentEntries(3, 1);
    expect(p.isPaused()).toBe(true);
    expect(p.next).toBe(1);
  });
  it('maybeDecrTo in Replicate rewinds to match+1 unless stale', () => {
    const p = mk(5, 6);
    p.becomeReplicate();
    p.sentEntries(9, 1);
    expect(p.maybeDecrTo(4, 3)).toBe(false);
    expect(p.maybeDecrTo(8, 3)).toBe(true);
    expect(p.next).toBe(6);
  });
  it('maybeDecrTo in Probe only accepts the answer to the outstanding probe', () => {
    const p = mk(0, 10);
    expect(p.maybeDecrTo(5, 2)).toBe(false); // not next-1
    expect(p.maybeDecrTo(9, 3)).toBe(true);
    expect(p.next).toBe(4);
    p.match = 6;
    p.next = 10;
    expect(p.maybeDecrTo(9, 2)).toBe(true);
    expect(p.next).toBe(7); // never below match+1
  });
});
