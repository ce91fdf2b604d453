import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { HistoryRecorder } from './history.js';
import type { KvInput, KvOutput } from './kv-model.js';
import { kvModel } from './kv-model.js';
import { checkLinearizable } from './linearizability.js';

describe('HistoryRecorder', () => {
  it('records call and return times from the clock, pending ops with return = Infinity', () => {
    const clock = new VirtualClock(100);
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => clock.now());
    const a = rec.invoke(1, { op: 'put', key: 'k', value: 'v' });
    clock.advance(5);
    const b = rec.invoke(2, { op: 'get', key: 'k' });
    clock.advance(5);
    rec.complete(a, {});
    expect(rec.pending()).toBe(1);
    expect(rec.history()).toEqual([
      {
        clientId: 1,
        input: { op: 'put', key: 'k', value: 'v' },
        call: 100,
        output: {},
        return: 110,
      },
      {
        clientId: 2,
        input: { op: 'get', key: 'k' },
        call: 105,
        output: undefined,
        return: Infinity,
      },
    ]);
    clock.advance(1);
    rec.complete(b, { value: 'v' });
    expect(rec.history()[1]).toMatchObject({ output: { value: 'v' }, return: 111 });
    expect(rec.pending()).toBe(0);
  });

  it('uses the configured output for pending operations', () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => 0, {
      pendingOutput: { unknown: true },
    });
    rec.invoke(1, { op: 'delete', key: 'k' });
    expect(rec.history()[0]).toMatchObject({ output: { unknown: true }, return: Infinity });
  });

  it('discard removes an operation that certainly had no effect', () => {
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => 0);
    const h = rec.invoke(1, { op: 'put', key: 'k', value: 'v' });
    rec.invoke(2, { op: 'get', key: 'k' });
    rec.discard(h);
    expect(rec.history().map((op) => op.clientId)).toEqual([2]);
    expect(() => rec.complete(h, {})).toThrow(/was discarded/);
  });

  it('feeds the checker directly', () => {
    const clock = new VirtualClock();
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => clock.now());
    const w = rec.invoke(1, { op: 'put', key: 'k', value: '1' });
    clock.advance(3);
    rec.complete(w, {});
    clock.advance(1);
    const r = rec.invoke(2, { op: 'get', key: 'k' });
    clock.advance(1);
    rec.complete(r, { value: null }); // stale
    expect(checkLinearizable(kvModel, rec.history()).ok).toBe(false);
  });

  it('rejects misuse with specific errors', () => {
    let t = 10;
    const rec = new HistoryRecorder<KvInput, KvOutput>(() => t);
    expect(() => rec.complete(0, {})).toThrow(/unknown handle 0/);
    const h = rec.invoke(1, { op: 'get', key: 'k' });
    t = 5;
    expect(() => rec.complete(h, { value: null })).toThrow(/clock went backwards/);
    t = 20;
    rec.complete(h, { value: null });
    expect(() => rec.complete(h, { value: null })).toThrow(/already completed/);
    expect(() => rec.invoke(1.5, { op: 'get', key: 'k' })).toThrow(/clientId/);
    t = Number.NaN;
    expect(() => rec.invoke(1, { op: 'get', key: 'k' })).toThrow(/clock returned NaN/);
  });
});
