/**
 * Test support: random key-value histories that are linearizable by construction, and ways to
 * break them. Clients run on a VirtualClock against an in-memory map that applies each
 * operation atomically at a random instant between its call and its return: the definition
 * of a linearizable execution.
 */
import { VirtualClock } from '../../src/clock.js';
import { HistoryRecorder } from '../../src/history.js';
import type { KvInput, KvOutput } from '../../src/kv-model.js';
import type { Operation } from '../../src/linearizability.js';
import type { Model } from '../../src/linearizability.js';
import type { Prng } from '../../src/prng.js';

export type KvOp = Operation<KvInput, KvOutput>;

export interface KvHistoryOptions {
  operations: number;
  keys: number;
  /** Concurrent clients (the history's concurrency). */
  clients: number;
  /** Max ms from call to linearization point, and from there to return. */
  maxLatencyMs?: number;
  /** Probability an operation never returns (its client "crashes" and a new one starts). */
  pendingRate?: number;
}

/** Generates a linearizable history. Values written are unique ("c<client>.<n>"). */
export function linearizableKvHistory(prng: Prng, opts: KvHistoryOptions): KvOp[] {
  const clock = new VirtualClock();
  const recorder = new HistoryRecorder<KvInput, KvOutput>(() => clock.now(), {
    pendingOutput: { unknown: true },
  });
  const store = new Map<string, string>();
  const written: string[] = [];
  const maxLatency = opts.maxLatencyMs ?? 20;
  const pendingRate = opts.pendingRate ?? 0;
  let issued = 0;
  let nextClientId = opts.clients;
  let nextValue = 0;

  const apply = (input: KvInput): KvOutput => {
    const current = store.get(input.key) ?? null;
    switch (input.op) {
      case 'get':
        return { value: current };
      case 'put':
        store.set(input.key, input.value);
        return {};
      case 'delete':
        store.delete(input.key);
        return { ok: current !== null };
      case 'cas':
        if (current !== input.expected) return { ok: false };
        store.set(input.key, input.value);
        return { ok: true };
    }
  };

  const randomInput = (clientId: number): KvInput => {
    const key = `k${prng.int(opts.keys)}`;
    const roll = prng.int(100);
    if (roll < 45) return { op: 'get', key };
    const value = `c${clientId}.${nextValue++}`;
    if (roll < 75) return { op: 'put', key, value };
    if (roll < 85) return { op: 'delete', key };
    // Expect what the key holds now half the time, so some swaps succeed and some race.
    const expected = prng.chance(0.5)
      ? (store.get(key) ?? null)
      : prng.chance(0.3) || written.length === 0
        ? null
        : prng.pick(written);
    return { op: 'cas', key, expected, value };
  };

  const runClient = (clientId: number): void => {
    if (issued >= opts.operations) return;
    issued++;
    const input = randomInput(clientId);
    if (input.op === 'put' || input.op === 'cas') written.push(input.value);
    const handle = recorder.invoke(clientId, input);
    const neverReturns = prng.chance(pendingRate);
    // A lost request may or may not have reached the store.
    const takesEffect = !neverReturns || prng.chance(0.5);
    clock.setTimeout(
      () => {
        const output = takesEffect ? apply(input) : undefined;
        if (neverReturns) {
          runClient(nextClientId++);
          return;
        }
        clock.setTimeout(
          () => {
            recorder.complete(handle, output as KvOutput);
            clock.setTimeout(() => runClient(clientId), prng.int(3));
          },
          prng.int(maxLatency + 1),
        );
      },
      prng.int(maxLatency + 1),
    );
  };

  for (let c = 0; c < opts.clients; c++) runClient(c);
  const steps = clock.runUntilIdle(10 * opts.operations + 100);
  if (clock.pendingTimers() !== 0) throw new Error(`generator did not finish (${steps} steps)`);
  return recorder.history();
}

/** Whether op writes a value for certain (so the value it replaced can never be read again). */
function definitelyOverwrites(op: KvOp): boolean {
  if (op.return === Infinity) return false;
  const { input } = op;
  return (
    input.op === 'put' || input.op === 'delete' || (input.op === 'cas' && op.output.ok === true)
  );
}

function writtenValue(op: KvOp): string | undefined {
  if (op.return === Infinity) return undefined;
  const { input } = op;
  if (input.op === 'put') return input.value;
  if (input.op === 'cas' && op.output.ok === true) return input.value;
  return undefined;
}

/**
 * Returns a copy of `history` with one completed get changed to return a stale value: a value
 * written by W1, where another write W2 began after W1 returned and ended before the get was
 * called. Values are unique, so the get cannot be linearized. Undefined if no such get exists.
 */
export function injectStaleRead(
  history: readonly KvOp[],
  prng: Prng,
): { history: KvOp[]; index: number } | undefined {
  const candidates: { index: number; stale: string }[] = [];
  const byKey = new Map<string, KvOp[]>();
  for (const op of history) {
    const ops = byKey.get(op.input.key);
    if (ops === undefined) byKey.set(op.input.key, [op]);
    else ops.push(op);
  }
  history.forEach((get, index) => {
    if (get.input.op !== 'get' || get.return === Infinity) return;
    const sameKey = (byKey.get(get.input.key) ?? []).filter((op) => op.return < get.call);
    for (const w1 of sameKey) {
      const v1 = writtenValue(w1);
      if (v1 === undefined || v1 === get.output.value) continue;
      if (sameKey.some((w2) => w2.call > w1.return && definitelyOverwrites(w2))) {
        candidates.push({ index, stale: v1 });
        return;
      }
    }
  });
  if (candidates.length === 0) return undefined;
  const { index, stale } = prng.pick(candidates);
  const copy = history.map((op) => ({ ...op }));
  const target = copy[index] as KvOp;
  target.output = { value: stale };
  return { history: copy, index };
}

/**
 * Reference checker for tiny histories: tries every order that respects real time (op a must
 * precede op b if a returned strictly before b was called), with no memoization or pruning
 * beyond that. Pending operations may be placed or left out.
 */
export function bruteForceLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
): boolean {
  const placed = new Array<boolean>(history.length).fill(false);
  const completed = history.filter((op) => op.return !== Infinity).length;
  const search = (state: S, placedCompleted: number): boolean => {
    if (placedCompleted === completed) return true;
    for (let i = 0; i < history.length; i++) {
      if (placed[i]) continue;
      const op = history[i] as Operation<I, O>;
      // op can go next only if no unplaced completed op had to happen before it.
      const blocked = history.some((other, j) => !placed[j] && j !== i && other.return < op.call);
      if (blocked) continue;
      const { ok, next } = model.step(state, op.input, op.output);
      if (!ok) continue;
      placed[i] = true;
      const found = search(next, placedCompleted + (op.return === Infinity ? 0 : 1));
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.init(), 0);
}

/** A small random history over few keys and values, linearizable or not. */
export function randomSmallKvHistory(prng: Prng, size: number): KvOp[] {
  const keys = ['a', 'b'];
  const values = ['1', '2', '3'];
  const ops: KvOp[] = [];
  for (let i = 0; i < size; i++) {
    const key = prng.pick(keys);
    const call = prng.int(20);
    const ret = prng.chance(0.1) ? Infinity : call + prng.int(10);
    const roll = prng.int(4);
    let input: KvInput;
    let output: KvOutput;
    if (roll === 0) {
      input = { op: 'get', key };
      output = { value: prng.chance(0.25) ? null : prng.pick(values) };
    } else if (roll === 1) {
      input = { op: 'put', key, value: prng.pick(values) };
      output = {};
    } else if (roll === 2) {
      input = { op: 'delete', key };
      output = prng.chance(0.5) ? {} : { ok: prng.chance(0.5) };
    } else {
      input = {
        op: 'cas',
        key,
        expected: prng.chance(0.3) ? null : prng.pick(values),
        value: prng.pick(values),
      };
      output = { ok: prng.chance(0.5) };
    }
    if (ret === Infinity) output = { unknown: true };
    ops.push({ clientId: i, input, call, output, return: ret });
  }
  return ops;
}
