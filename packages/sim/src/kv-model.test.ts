import { describe, expect, it } from 'vitest';
import type { KvInput, KvOutput, KvState } from './kv-model.js';
import { kvMapModel, kvModel } from './kv-model.js';
import type { Operation } from './linearizability.js';

const step = (state: KvState, input: KvInput, output: KvOutput) =>
  kvModel.step(state, input, output);

describe('kvModel', () => {
  it('steps a single register (partitioned state)', () => {
    expect(step(null, { op: 'get', key: 'k' }, { value: null })).toEqual({ ok: true, next: null });
    expect(step('a', { op: 'get', key: 'k' }, { value: null }).ok).toBe(false);
    expect(step(null, { op: 'put', key: 'k', value: 'a' }, {})).toEqual({ ok: true, next: 'a' });
    expect(step('a', { op: 'delete', key: 'k' }, {})).toEqual({ ok: true, next: null });
    expect(step('a', { op: 'cas', key: 'k', expected: 'a', value: 'b' }, { ok: true })).toEqual({
      ok: true,
      next: 'b',
    });
    expect(step('a', { op: 'cas', key: 'k', expected: 'x', value: 'b' }, { ok: false })).toEqual({
      ok: true,
      next: 'a',
    });
    expect(
      step('a', { op: 'cas', key: 'k', expected: 'a', value: 'b' }, { unknown: true }),
    ).toEqual({ ok: true, next: 'b' });
  });

  it('keeps null and the string "null" apart in hashes', () => {
    expect(kvModel.hash!(null)).not.toBe(kvModel.hash!('null'));
    expect(kvModel.hash!('')).not.toBe(kvModel.hash!(null));
  });

  it('steps a map state copy-on-write (unpartitioned)', () => {
    const before = kvMapModel.init();
    const { next } = kvMapModel.step(before, { op: 'put', key: 'k', value: 'v' }, {});
    expect(before).toEqual(new Map());
    expect(next).toEqual(new Map([['k', 'v']]));
    const after = kvMapModel.step(next, { op: 'delete', key: 'k' }, { ok: true });
    expect(after.next).toEqual(new Map());
    expect(next).toEqual(new Map([['k', 'v']]));
    expect(
      kvMapModel.hash!(
        new Map([
          ['a', '1'],
          ['b', '2'],
        ]),
      ),
    ).toBe(
      kvMapModel.hash!(
        new Map([
          ['b', '2'],
          ['a', '1'],
        ]),
      ),
    );
  });

  it("partitions by key, keeping each key's operations in order", () => {
    const op = (key: string, call: number): Operation<KvInput, KvOutput> => ({
      clientId: 0,
      input: { op: 'get', key },
      call,
      output: { value: null },
      return: call + 1,
    });
    const parts = kvModel.partition!([op('a', 1), op('b', 2), op('a', 3)]);
    expect(parts.map((p) => p.map((o) => `${o.input.key}${o.call}`))).toEqual([
      ['a1', 'a3'],
      ['b2'],
    ]);
  });

  it('describes operations for explanations', () => {
    const d = (input: KvInput, output: KvOutput): string =>
      kvModel.describeOperation!(input, output);
    expect(d({ op: 'get', key: 'k' }, { value: null })).toBe('get("k") -> absent');
    expect(d({ op: 'get', key: 'k' }, { value: 'v' })).toBe('get("k") -> "v"');
    expect(d({ op: 'put', key: 'k', value: 'v' }, { unknown: true })).toBe(
      'put("k", "v") -> unknown',
    );
    expect(d({ op: 'cas', key: 'k', expected: null, value: 'v' }, { ok: false })).toBe(
      'cas("k", absent -> "v") -> false',
    );
    expect(d({ op: 'delete', key: 'k' }, { ok: true })).toBe('delete("k") -> true');
  });
});
