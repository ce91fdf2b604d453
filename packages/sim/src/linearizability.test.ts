import { describe, expect, it } from 'vitest';
import {
  bruteForceLinearizable,
  injectStaleRead,
  linearizableKvHistory,
  randomSmallKvHistory,
} from '../test/support/kv-history.js';
import type { KvOp } from '../test/support/kv-history.js';
import type { KvInput, KvOutput } from './kv-model.js';
import { kvMapModel, kvModel } from './kv-model.js';
import type { Model, Operation } from './linearizability.js';
import { checkLinearizable } from './linearizability.js';
import { Prng } from './prng.js';
import { runSimulation, simulationSeeds } from './runner.js';

// Compact history builders: [clientId, call, return] plus the operation.
const get = (c: number, call: number, ret: number, value: string | null, key = 'x'): KvOp => ({
  clientId: c,
  input: { op: 'get', key },
  call,
  output: { value },
  return: ret,
});
const put = (c: number, call: number, ret: number, value: string, key = 'x'): KvOp => ({
  clientId: c,
  input: { op: 'put', key, value },
  call,
  output: {},
  return: ret,
});
const del = (c: number, call: number, ret: number, ok?: boolean, key = 'x'): KvOp => ({
  clientId: c,
  input: { op: 'delete', key },
  call,
  output: ok === undefined ? {} : { ok },
  return: ret,
});
const cas = (
  c: number,
  call: number,
  ret: number,
  expected: string | null,
  value: string,
  ok: boolean,
  key = 'x',
): KvOp => ({
  clientId: c,
  input: { op: 'cas', key, expected, value },
  call,
  output: { ok },
  return: ret,
});
const pending = (op: KvOp): KvOp => ({ ...op, output: { unknown: true }, return: Infinity });

/** Checks with both the partitioned model and the reference brute force, which must agree. */
function linearizable(history: KvOp[]): boolean {
  const verdict = checkLinearizable(kvModel, history);
  expect(verdict.timedOut).toBe(false);
  if (history.length <= 8) expect(bruteForceLinearizable(kvMapModel, history)).toBe(verdict.ok);
  return verdict.ok;
}

describe('checkLinearizable: register histories', () => {
  it('REQUIRED: rejects a stale read after a completed write, accepts the read when it overlaps', () => {
    // put x=1 returns at 10; a read called at 11 (strictly after) must see 1, not the old value.
    expect(linearizable([put(0, 0, 10, '1'), get(1, 11, 20, null)])).toBe(false);
    // Same read moved to overlap the write: it may be ordered before it.
    expect(linearizable([put(0, 0, 10, '1'), get(1, 5, 20, null)])).toBe(true);
    // Or moved after the write, observing the new value.
    expect(linearizable([put(0, 0, 10, '1'), get(1, 11, 20, '1')])).toBe(true);
    // Intervals are closed: a read called exactly when the write returned is concurrent with it.
    expect(linearizable([put(0, 0, 10, '1'), get(1, 10, 20, null)])).toBe(true);
  });

  it('REQUIRED: rejects a stale read of an older written value, accepts it when overlapping', () => {
    const base = [put(0, 0, 5, 'old'), put(0, 10, 20, 'new')];
    expect(linearizable([...base, get(1, 21, 30, 'old')])).toBe(false);
    expect(linearizable([...base, get(1, 15, 30, 'old')])).toBe(true);
    expect(linearizable([...base, get(1, 21, 30, 'new')])).toBe(true);
  });

  it('Porcupine register example: a read of the initial value concurrent with the write is fine', () => {
    expect(linearizable([put(0, 0, 100, '100'), get(1, 25, 75, '100'), get(2, 30, 60, null)])).toBe(
      true,
    );
  });

  it('Porcupine register example: new value read, then a later read of the initial value is not', () => {
    expect(linearizable([put(0, 0, 100, '200'), get(1, 10, 30, '200'), get(2, 40, 90, null)])).toBe(
      false,
    );
  });

  it('concurrent writes may be observed in either order by concurrent readers', () => {
    const history = [
      put(0, 0, 100, 'a'),
      put(1, 0, 100, 'b'),
      get(2, 10, 20, 'a'),
      get(3, 15, 25, 'b'),
      get(2, 30, 40, 'a'), // b then a again: b was linearized first
    ];
    expect(linearizable(history)).toBe(true);
  });

  it('two clients observing concurrent writes in opposite orders is not linearizable', () => {
    const history = [
      put(0, 0, 100, 'a'),
      put(1, 0, 100, 'b'),
      get(2, 10, 20, 'a'),
      get(2, 30, 40, 'b'),
      get(3, 10, 20, 'b'),
      get(3, 30, 40, 'a'),
    ];
    expect(linearizable(history)).toBe(false);
  });

  it('a value that was never written cannot be read', () => {
    expect(linearizable([put(0, 0, 10, '1'), get(1, 0, 10, '2')])).toBe(false);
  });

  it('an empty history is linearizable', () => {
    expect(checkLinearizable(kvModel, [])).toEqual({ ok: true, timedOut: false, partitions: 0 });
  });
});

describe('checkLinearizable: compare-and-swap', () => {
  it('only one of two concurrent CAS from the same expected value can succeed', () => {
    expect(linearizable([cas(0, 0, 10, null, 'a', true), cas(1, 0, 10, null, 'b', true)])).toBe(
      false,
    );
    expect(linearizable([cas(0, 0, 10, null, 'a', true), cas(1, 0, 10, null, 'b', false)])).toBe(
      true,
    );
  });

  it('a CAS that failed although the value matched is illegal', () => {
    expect(linearizable([put(0, 0, 10, 'a'), cas(1, 20, 30, 'a', 'b', false)])).toBe(false);
    expect(linearizable([put(0, 0, 10, 'a'), cas(1, 5, 30, 'a', 'b', false)])).toBe(true); // ran first
  });

  it('a CAS that succeeded although the value did not match is illegal', () => {
    expect(linearizable([put(0, 0, 10, 'a'), cas(1, 20, 30, 'z', 'b', true)])).toBe(false);
  });

  it('a successful CAS changes what later reads see', () => {
    const history = [put(0, 0, 10, 'a'), cas(1, 20, 30, 'a', 'b', true), get(2, 40, 50, 'b')];
    expect(linearizable(history)).toBe(true);
    expect(linearizable([...history.slice(0, 2), get(2, 40, 50, 'a')])).toBe(false);
  });
});

describe('checkLinearizable: delete', () => {
  it('after a delete the key reads as absent', () => {
    expect(linearizable([put(0, 0, 10, 'a'), del(0, 20, 30), get(1, 40, 50, null)])).toBe(true);
    expect(linearizable([put(0, 0, 10, 'a'), del(0, 20, 30), get(1, 40, 50, 'a')])).toBe(false);
  });

  it('checks the deleted flag when the output carries one', () => {
    expect(linearizable([put(0, 0, 10, 'a'), del(0, 20, 30, true)])).toBe(true);
    expect(linearizable([put(0, 0, 10, 'a'), del(0, 20, 30, false)])).toBe(false);
    expect(linearizable([del(0, 0, 10, true)])).toBe(false);
    expect(linearizable([del(0, 0, 10, false)])).toBe(true);
  });

  it('CAS with expected null requires the key to be absent', () => {
    expect(
      linearizable([put(0, 0, 10, 'a'), del(0, 20, 30), cas(1, 40, 50, null, 'b', true)]),
    ).toBe(true);
    expect(linearizable([put(0, 0, 10, 'a'), cas(1, 40, 50, null, 'b', true)])).toBe(false);
  });
});

describe('checkLinearizable: pending operations (unknown outcome)', () => {
  it('a pending write may take effect late', () => {
    expect(
      linearizable([pending(put(0, 0, 0, '1')), get(1, 5, 10, null), get(1, 20, 30, '1')]),
    ).toBe(true);
  });

  it('a pending write may never take effect', () => {
    expect(
      linearizable([pending(put(0, 0, 0, '1')), get(1, 5, 10, null), get(1, 20, 30, null)]),
    ).toBe(true);
  });

  it('but once its effect was observed it cannot be undone', () => {
    const history = [pending(put(0, 0, 0, '1')), get(1, 5, 10, '1'), get(1, 20, 30, null)];
    expect(linearizable(history)).toBe(false);
  });

  it('a pending write cannot take effect before it was called', () => {
    expect(linearizable([get(1, 0, 10, '1'), pending(put(0, 20, 0, '1'))])).toBe(false);
  });

  it('a pending CAS may or may not have swapped', () => {
    const base = [put(0, 0, 10, 'a'), pending(cas(1, 20, 0, 'a', 'b', true))];
    expect(linearizable([...base, get(2, 30, 40, 'a')])).toBe(true);
    expect(linearizable([...base, get(2, 30, 40, 'b')])).toBe(true);
    expect(linearizable([...base, get(2, 30, 40, 'b'), get(2, 50, 60, 'a')])).toBe(false);
  });

  it('accepts an undefined output for a pending operation (HistoryRecorder default)', () => {
    const op = { ...put(0, 0, 0, '1'), output: undefined as unknown as KvOutput, return: Infinity };
    expect(checkLinearizable(kvModel, [op, get(1, 5, 10, '1')]).ok).toBe(true);
  });

  it('only pending operations: trivially linearizable', () => {
    expect(linearizable([pending(put(0, 0, 0, '1')), pending(del(1, 1, 0))])).toBe(true);
  });
});

describe('checkLinearizable: results and errors', () => {
  it('partitions by key and names the failing partition with an explanation', () => {
    const history = [
      put(0, 0, 10, '1', 'a'),
      get(1, 20, 30, '1', 'a'),
      put(0, 0, 10, '1', 'b'),
      get(1, 20, 30, null, 'b'), // stale
      put(2, 0, 10, '1', 'c'),
    ];
    const result = checkLinearizable(kvModel, history);
    expect(result.ok).toBe(false);
    expect(result.timedOut).toBe(false);
    expect(result.partitions).toBe(3);
    expect(result.failingPartition).toBe(1);
    expect(result.explanation).toContain('partition 1 (2 operations) is not linearizable');
    expect(result.explanation).toContain('put("b", "1") [0, 10]');
    expect(result.explanation).toContain('State after it: "1"');
    expect(result.explanation).toContain('get("b") -> absent [20, 30]');
  });

  it('the partitioned and the unpartitioned model agree', () => {
    const history = [
      put(0, 0, 10, '1', 'a'),
      put(1, 5, 15, '2', 'b'),
      get(2, 11, 20, '1', 'a'),
      get(2, 21, 30, '2', 'b'),
    ];
    expect(checkLinearizable(kvModel, history).ok).toBe(true);
    expect(checkLinearizable(kvMapModel, history)).toMatchObject({ ok: true, partitions: 1 });
    const bad = [...history, get(3, 40, 50, null, 'b')];
    expect(checkLinearizable(kvModel, bad).ok).toBe(false);
    expect(checkLinearizable(kvMapModel, bad).ok).toBe(false);
  });

  it('times out with timedOut=true and no verdict', () => {
    // One key, many operations: more search steps than the deadline check interval.
    const history = linearizableKvHistory(new Prng(1), { operations: 3000, keys: 1, clients: 3 });
    let calls = 0;
    const result = checkLinearizable(kvModel, history, {
      timeoutMs: 10,
      now: () => (calls++ === 0 ? 0 : 1e9),
    });
    expect(result).toMatchObject({ ok: false, timedOut: true, partitions: 1 });
    expect(result.explanation).toMatch(/timed out after 10 ms/);
  });

  it('rejects malformed histories with specific errors', () => {
    expect(() => checkLinearizable(kvModel, [put(0, 10, 5, '1')])).toThrow(
      /returns at 5, before its call at 10/,
    );
    expect(() => checkLinearizable(kvModel, [put(0, Number.NaN, 5, '1')])).toThrow(
      /call time must be a finite/,
    );
    expect(() =>
      checkLinearizable(kvModel, [{ ...put(0, 0, 5, '1'), return: Number.NaN }]),
    ).toThrow(/return time/);
    expect(() => checkLinearizable(kvModel, [{ ...get(0, 0, 5, null), output: {} }])).toThrow(
      /get output needs value/,
    );
    expect(() =>
      checkLinearizable(kvModel, [{ ...cas(0, 0, 5, null, 'a', true), output: {} }]),
    ).toThrow(/cas output needs ok/);
  });
});

describe('checkLinearizable: custom models', () => {
  /** A counter whose increments return the new value; state is a number (=== equality). */
  const counter: Model<number, 'inc' | 'read', number> = {
    init: () => 0,
    step: (state, input, output) =>
      input === 'inc'
        ? { ok: output === state + 1, next: state + 1 }
        : { ok: output === state, next: state },
  };
  const op = (
    clientId: number,
    input: 'inc' | 'read',
    call: number,
    ret: number,
    output: number,
  ) => ({
    clientId,
    input,
    call,
    output,
    return: ret,
  });

  it('works without partition, hash or equal', () => {
    const ok: Operation<'inc' | 'read', number>[] = [
      op(0, 'inc', 0, 10, 2),
      op(1, 'inc', 0, 10, 1),
      op(2, 'read', 11, 12, 2),
    ];
    expect(checkLinearizable(counter, ok)).toMatchObject({ ok: true, partitions: 1 });
    const bad = [op(0, 'inc', 0, 10, 1), op(1, 'read', 11, 12, 0)];
    const result = checkLinearizable(counter, bad);
    expect(result.ok).toBe(false);
    expect(result.explanation).toContain('client 1: "read" -> 0 [11, 12]');
  });

  it('leaves out a pending operation whose recorded output the model rejects', () => {
    // The model cannot make sense of output -999, so the pending increment may only "not
    // have happened"; reads of 0 and then 1 need some other increment.
    const history = [
      op(0, 'inc', 0, Infinity, -999),
      op(1, 'read', 5, 6, 0),
      op(1, 'read', 10, 11, 0),
    ];
    expect(checkLinearizable(counter, history).ok).toBe(true);
    expect(checkLinearizable(counter, [...history, op(1, 'read', 20, 21, 1)]).ok).toBe(false);
    // With an output the model accepts, it may take effect late.
    const late = [op(0, 'inc', 0, Infinity, 1), op(1, 'read', 5, 6, 0), op(1, 'read', 20, 21, 1)];
    expect(checkLinearizable(counter, late).ok).toBe(true);
  });

  it('uses equal() for states that are not identical objects', () => {
    let steps = 0;
    const boxed: Model<{ n: number }, 'inc' | 'read', number> = {
      init: () => ({ n: 0 }),
      step: (state, input, output) => {
        steps++;
        return input === 'inc'
          ? { ok: output === -1 || output === state.n + 1, next: { n: state.n + 1 } }
          : { ok: output === state.n, next: { n: state.n } };
      },
      equal: (a, b) => a.n === b.n,
    };
    // Many concurrent increments with unconstrained outputs: without memoization of equal states
    // the search would explore every permutation (10! orders).
    const history = Array.from({ length: 10 }, (_, i) => op(i, 'inc', 0, 10, -1));
    history.push(op(99, 'read', 20, 30, 11)); // impossible: forces exhaustive search
    expect(checkLinearizable(boxed, history).ok).toBe(false);
    expect(steps).toBeLessThan(20_000);
  });
});

describe('checkLinearizable: agrees with brute force on random small histories', () => {
  it('for many seeds, both verdicts occur and always match', () => {
    const seeds = simulationSeeds(Array.from({ length: 400 }, (_, i) => i));
    let linearizableCount = 0;
    for (const seed of seeds) {
      runSimulation('checker vs brute force', seed, (prng) => {
        const history = randomSmallKvHistory(prng, prng.range(1, 7));
        const expected = bruteForceLinearizable(kvMapModel, history);
        const partitioned = checkLinearizable(kvModel, history).ok;
        const whole = checkLinearizable(kvMapModel, history).ok;
        if (partitioned !== expected || whole !== expected) {
          throw new Error(
            `brute force says ${expected}, partitioned ${partitioned}, whole ${whole}: ${JSON.stringify(history)}`,
          );
        }
        if (expected) linearizableCount++;
      });
    }
    if (seeds.length >= 100) {
      expect(linearizableCount).toBeGreaterThan(seeds.length * 0.1);
      expect(linearizableCount).toBeLessThan(seeds.length * 0.9);
    }
  });
});

describe('checkLinearizable: large histories', () => {
  it('accepts a random linearizable history of 5000 operations over 50 keys', () => {
    runSimulation('large linearizable history', 2024, (prng) => {
      const history = linearizableKvHistory(prng, {
        operations: 5000,
        keys: 50,
        clients: 5,
        pendingRate: 0.01,
      });
      expect(history).toHaveLength(5000);
      expect(history.filter((op) => op.return === Infinity).length).toBeGreaterThan(10);
      const result = checkLinearizable(kvModel, history);
      expect(result.explanation).toBeUndefined();
      expect(result).toEqual({ ok: true, timedOut: false, partitions: 50 });
    });
  });

  it('finds a single stale read planted in a 5000-operation history', () => {
    runSimulation('large history with stale read', 7, (prng) => {
      const history = linearizableKvHistory(prng, {
        operations: 5000,
        keys: 50,
        clients: 5,
        pendingRate: 0.01,
      });
      const planted = injectStaleRead(history, prng);
      if (planted === undefined) throw new Error('no get suitable for a stale read');
      const result = checkLinearizable(kvModel, planted.history);
      expect(result.ok).toBe(false);
      expect(result.timedOut).toBe(false);
      const key = (planted.history[planted.index] as Operation<KvInput, KvOutput>).input.key;
      expect(result.explanation).toContain(`get(${JSON.stringify(key)})`);
    });
  });

  it('accepts generated histories and rejects them with a planted stale read, across seeds', () => {
    for (const seed of simulationSeeds([1, 2, 3, 4, 5])) {
      runSimulation('generated histories', seed, (prng) => {
        const history = linearizableKvHistory(prng, {
          operations: 600,
          keys: 5,
          clients: 6,
          pendingRate: 0.02,
        });
        const good = checkLinearizable(kvModel, history);
        if (!good.ok) throw new Error(`linearizable history rejected: ${good.explanation}`);
        const planted = injectStaleRead(history, prng);
        if (planted === undefined) throw new Error('no get suitable for a stale read');
        const bad = checkLinearizable(kvModel, planted.history);
        if (bad.ok) throw new Error(`stale read at operation ${planted.index} not detected`);
      });
    }
  });
});
