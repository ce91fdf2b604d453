import { describe, expect, it } from 'vitest';
import { Compactor, parseCompactionPolicy } from './compactor.js';

describe('auto compaction', () => {
  it('parses etcd retention syntax', () => {
    expect(parseCompactionPolicy('periodic', '1')).toEqual({
      mode: 'periodic',
      retention: 3_600_000,
    });
    expect(parseCompactionPolicy('periodic', '30m')).toEqual({
      mode: 'periodic',
      retention: 1_800_000,
    });
    expect(parseCompactionPolicy('periodic', '0')).toBeUndefined();
    expect(parseCompactionPolicy('revision', '1000')).toEqual({
      mode: 'revision',
      retention: 1000,
    });
    expect(() => parseCompactionPolicy('revision', '1h')).toThrow(/whole number/);
    expect(() => parseCompactionPolicy('periodic', 'soon')).toThrow(/auto-compaction-retention/);
  });

  it('keeps the last N revisions in revision mode', () => {
    const c = new Compactor({ mode: 'revision', retention: 100 });
    expect(c.check(0, 50, -1)).toBeUndefined();
    expect(c.check(0, 250, -1)).toBe(150);
    expect(c.check(0, 250, 150)).toBeUndefined();
  });

  it('compacts to the revision seen one retention period ago in periodic mode', () => {
    const c = new Compactor({ mode: 'periodic', retention: 10_000 });
    expect(c.intervalMs).toBe(1000);
    const out: Array<number | undefined> = [];
    for (let t = 0; t <= 12_000; t += 1000) out.push(c.check(t, 10 + t / 100, -1));
    // At t=10s the sample from t=0 (rev 10) is old enough; at 11s, rev 20; at 12s, rev 30.
    expect(out.slice(0, 10).every((r) => r === undefined)).toBe(true);
    expect(out.slice(10)).toEqual([10, 20, 30]);
  });
});
