/**
 * A sequential model of a key-value map (get, put, delete, compare-and-swap) for the
 * linearizability checker, partitioned by key: operations on different keys commute, so each
 * key's sub-history is checked on its own single-register state.
 */
import type { Model, Operation } from './linearizability.js';

export type KvInput =
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expected: string | null; value: string };

/**
 * - get: `value` is what was read, null for an absent key;
 * - cas: `ok` says whether the swap happened;
 * - delete: `ok`, if given, says whether a key was deleted (etcd's `deleted > 0`);
 * - put: nothing is checked;
 * - `unknown: true` (or an undefined output, as HistoryRecorder records pending operations):
 *   the client does not know the outcome; any result is accepted.
 */
export type KvOutput = { value?: string | null; ok?: boolean; unknown?: boolean };

/**
 * State: after partitioning by key, the value of that one key (null = absent). A Map state
 * is the whole key space and is used when the model runs unpartitioned (kvMapModel).
 */
export type KvState = Map<string, string> | string | null;

function isUnknown(output: KvOutput | undefined): boolean {
  return output === undefined || output === null || output.unknown === true;
}

function badOutput(input: KvInput, output: KvOutput, why: string): never {
  throw new Error(
    `kvModel: ${why} for ${input.op} ${JSON.stringify(input.key)}: ${JSON.stringify(output)}`,
  );
}

/** One operation on one register; returns legality and the register's next value. */
function stepRegister(
  value: string | null,
  input: KvInput,
  output: KvOutput | undefined,
): { ok: boolean; next: string | null } {
  const unknown = isUnknown(output);
  switch (input.op) {
    case 'get': {
      if (unknown) return { ok: true, next: value };
      const read = (output as KvOutput).value;
      if (read === undefined)
        badOutput(input, output as KvOutput, 'get output needs value (string or null)');
      return { ok: read === value, next: value };
    }
    case 'put':
      return { ok: true, next: input.value };
    case 'delete': {
      const deleted = unknown ? undefined : (output as KvOutput).ok;
      return { ok: deleted === undefined || deleted === (value !== null), next: null };
    }
    case 'cas': {
      const matches = value === input.expected;
      const next = matches ? input.value : value;
      if (unknown) return { ok: true, next };
      const swapped = (output as KvOutput).ok;
      if (swapped === undefined)
        badOutput(input, output as KvOutput, 'cas output needs ok (boolean)');
      return { ok: swapped === matches, next };
    }
    default: {
      const never: never = input;
      throw new Error(`kvModel: unknown operation ${JSON.stringify(never)}`);
    }
  }
}

function describeValue(value: string | null | undefined): string {
  return value === null || value === undefined ? 'absent' : JSON.stringify(value);
}

function describeKv(input: KvInput, output: KvOutput): string {
  const key = JSON.stringify(input.key);
  const result = (shown: string): string => (isUnknown(output) ? 'unknown' : shown);
  switch (input.op) {
    case 'get':
      return `get(${key}) -> ${result(describeValue(output?.value))}`;
    case 'put':
      return `put(${key}, ${JSON.stringify(input.value)})${isUnknown(output) ? ' -> unknown' : ''}`;
    case 'delete':
      return `delete(${key}) -> ${result(output?.ok === undefined ? 'done' : String(output.ok))}`;
    case 'cas':
      return `cas(${key}, ${describeValue(input.expected)} -> ${JSON.stringify(input.value)}) -> ${result(String(output?.ok))}`;
  }
}

function hashKv(state: KvState): string {
  if (state instanceof Map) {
    return JSON.stringify([...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  // Prefixes keep null and the string "null" apart.
  return state === null ? 'n' : `s${state}`;
}

function partitionByKey(history: Operation<KvInput, KvOutput>[]): Operation<KvInput, KvOutput>[][] {
  const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
  for (const op of history) {
    let ops = byKey.get(op.input.key);
    if (ops === undefined) {
      ops = [];
      byKey.set(op.input.key, ops);
    }
    ops.push(op);
  }
  return [...byKey.values()];
}

function stepKv(state: KvState, input: KvInput, output: KvOutput): { ok: boolean; next: KvState } {
  if (!(state instanceof Map)) return stepRegister(state, input, output);
  const before = state.get(input.key) ?? null;
  const { ok, next } = stepRegister(before, input, output);
  if (!ok || next === before) return { ok, next: state };
  // Copy on write: the search keeps earlier states and must not see them change.
  const copy = new Map(state);
  if (next === null) copy.delete(input.key);
  else copy.set(input.key, next);
  return { ok, next: copy };
}

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => null,
  step: stepKv,
  partition: partitionByKey,
  hash: hashKv,
  describeOperation: describeKv,
  describeState: (state) => (state instanceof Map ? hashKv(state) : describeValue(state)),
};

/**
 * The same semantics without partitioning: one search over the whole key space with a Map
 * state. Exponentially slower on big histories; useful to cross-check kvModel and for
 * histories too small to care.
 */
export const kvMapModel: Model<KvState, KvInput, KvOutput> = {
  init: () => new Map<string, string>(),
  step: stepKv,
  hash: hashKv,
  describeOperation: describeKv,
  describeState: hashKv,
};
