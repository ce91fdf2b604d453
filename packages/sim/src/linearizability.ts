/**
 * Linearizability checking: Wing & Gong's search with Lowe's memoization, as in Porcupine
 * (github.com/anishathalye/porcupine).
 *
 * A history is linearizable if every operation can be given a single instant between its call
 * and its return such that running the operations in that order on a sequential model
 * produces every recorded output. The search walks call/return events in time order, tries to
 * linearize any operation whose call precedes the first outstanding return, and backtracks when
 * it reaches a return it could not satisfy. The cache of (set of linearized operations, model
 * state) pairs prunes paths that reach a configuration already explored, which turns the
 * exponential search into something practical for real histories. Partitioning (by key for a
 * key-value store) splits one big search into many small independent ones.
 *
 * Operations that never returned (return = Infinity) may or may not have taken effect: the
 * search may linearize them anywhere after their call, or leave them out.
 */

export interface Operation<I, O> {
  clientId: number;
  input: I;
  /** Time the client issued the call. */
  call: number;
  output: O;
  /** Time the client saw the result; Infinity if it never did (outcome unknown). */
  return: number;
}

export interface Model<S, I, O> {
  /** The state before any operation. */
  init(): S;
  /**
   * Applies `input` to `state`; `ok` says whether `output` is a legal result in that state.
   * Must not mutate `state` (the search revisits it). For a pending operation the recorded
   * output stands for "unknown", so the model should accept any result for it.
   */
  step(state: S, input: I, output: O): { ok: boolean; next: S };
  /** Splits a history into independent sub-histories (e.g. by key). Optional. */
  partition?(history: Operation<I, O>[]): Operation<I, O>[][];
  /** State equality for memoization; default ===. */
  equal?(a: S, b: S): boolean;
  /**
   * A string key for a state, used to bucket memoized states. Equal states must hash alike;
   * without `equal`, equal hashes are taken to mean equal states.
   */
  hash?(state: S): string;
  /** Human-readable operation for failure explanations. */
  describeOperation?(input: I, output: O): string;
  /** Human-readable state for failure explanations. */
  describeState?(state: S): string;
}

export interface CheckResult {
  /** True if every partition is linearizable. False on a violation and on a timeout. */
  ok: boolean;
  /** The time budget ran out before a verdict; ok is false but nothing was proven. */
  timedOut: boolean;
  /** Number of independent sub-histories checked. */
  partitions: number;
  /** Index (in model.partition's output) of the partition that is not linearizable. */
  failingPartition?: number;
  /** For a violation: the longest linearizable prefix found and what could not follow it. */
  explanation?: string;
}

export interface CheckOptions {
  /** Give up after this many ms of wall-clock time (result: ok false, timedOut true). */
  timeoutMs?: number;
  /** Clock for the time budget; default Date.now. Only read when timeoutMs is set. */
  now?: () => number;
}

/** How many search steps between looks at the clock. */
const DEADLINE_CHECK_INTERVAL = 1024;
const NIL = -1;

function validateHistory<I, O>(history: readonly Operation<I, O>[]): void {
  history.forEach((op, index) => {
    if (typeof op.call !== 'number' || !Number.isFinite(op.call)) {
      throw new RangeError(
        `operation ${index}: call time must be a finite number, got ${String(op.call)}`,
      );
    }
    if (typeof op.return !== 'number' || Number.isNaN(op.return)) {
      throw new RangeError(
        `operation ${index}: return time must be a number or Infinity, got ${String(op.return)}`,
      );
    }
    if (op.return < op.call) {
      throw new RangeError(
        `operation ${index}: returns at ${op.return}, before its call at ${op.call}`,
      );
    }
  });
}

type Verdict = 'ok' | 'illegal' | 'timeout';

interface PartitionOutcome {
  verdict: Verdict;
  /** Operation indices of the longest linearization prefix reached (for explanations). */
  longestPrefix: number[];
}

/**
 * Set of linearized operations with an incrementally maintained Zobrist hash: each operation
 * owns a random 53-bit value split in two 32-bit halves, and the hash is the XOR of the values
 * of the members. Setting or clearing a bit is O(1), so memoizing costs O(1) per search step
 * instead of O(ops) for serializing the set; buckets still compare the exact bits.
 */
class LinearizedSet {
  readonly words: Uint32Array;
  private hashHigh = 0;
  private hashLow = 0;
  private readonly zobristHigh: Int32Array;
  private readonly zobristLow: Int32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
    this.zobristHigh = new Int32Array(size);
    this.zobristLow = new Int32Array(size);
    // Fixed (splitmix32-derived) values: the checker stays deterministic and seed-free.
    let state = 0x2545f491;
    const nextWord = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return z ^ (z >>> 16);
    };
    for (let i = 0; i < size; i++) {
      this.zobristHigh[i] = nextWord();
      this.zobristLow[i] = nextWord();
    }
  }

  /** Flips membership of `i` (set when absent, clear when present). */
  toggle(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) ^ (1 << (i & 31));
    this.hashHigh ^= this.zobristHigh[i] as number;
    this.hashLow ^= this.zobristLow[i] as number;
  }

  /** A 53-bit hash of the set, usable as an exact Map key. */
  hash(): number {
    return (this.hashHigh >>> 0) * 0x20_0000 + (this.hashLow >>> 11);
  }

  equals(words: Uint32Array): boolean {
    for (let i = 0; i < words.length; i++) if (words[i] !== this.words[i]) return false;
    return true;
  }
}

interface CacheEntry<S> {
  words: Uint32Array;
  state: S;
}

/** The memo of explored (linearized set, state) configurations. */
class ConfigCache<S> {
  private readonly buckets = new Map<number | string, CacheEntry<S>[]>();
  private readonly sameState: (a: S, b: S) => boolean;

  constructor(
    private readonly hash: ((s: S) => string) | undefined,
    equal: ((a: S, b: S) => boolean) | undefined,
  ) {
    // With a hash but no equal, equal hashes mean equal states (the bucket key includes it).
    this.sameState = equal ?? (hash !== undefined ? () => true : (a, b) => a === b);
  }

  /** Adds the configuration; returns false if it was already present. */
  add(set: LinearizedSet, state: S): boolean {
    const key = this.hash === undefined ? set.hash() : `${set.hash()}|${this.hash(state)}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(key, bucket);
    } else {
      for (const seen of bucket) {
        if (set.equals(seen.words) && this.sameState(seen.state, state)) return false;
      }
    }
    bucket.push({ words: set.words.slice(), state });
    return true;
  }
}

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  deadline: (() => boolean) | undefined,
): PartitionOutcome {
  const n = ops.length;
  // Events: 2i = call of op i, 2i+1 = return of op i. Sorted by time; at equal times calls come
  // first, so operations whose intervals touch count as concurrent (intervals are closed).
  const events = Array.from({ length: 2 * n }, (_, e) => e);
  const time = (e: number): number => {
    const op = ops[e >> 1] as Operation<I, O>;
    return e & 1 ? op.return : op.call;
  };
  events.sort((x, y) => time(x) - time(y) || (x & 1) - (y & 1) || x - y);

  // Doubly linked list over event ids, with a sentinel head (id 2n). Lifting an operation
  // unlinks its call and return; backtracking relinks them in reverse order.
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(NIL);
  const prev = new Int32Array(2 * n + 1).fill(NIL);
  let last = head;
  for (const e of events) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }

  const unlink = (e: number): void => {
    const p = prev[e] as number;
    const q = next[e] as number;
    next[p] = q;
    if (q !== NIL) prev[q] = p;
  };
  // Relinking works because an unlinked event keeps its own prev/next, and operations are
  // relinked in the reverse order of unlinking (a stack).
  const relink = (e: number): void => {
    const p = prev[e] as number;
    const q = next[e] as number;
    next[p] = e;
    if (q !== NIL) prev[q] = e;
  };
  const lift = (op: number): void => {
    unlink(2 * op);
    unlink(2 * op + 1);
  };
  const unlift = (op: number): void => {
    relink(2 * op + 1);
    relink(2 * op);
  };

  const completed = ops.filter((op) => op.return !== Infinity).length;
  let completedLeft = completed;
  const linearized = new LinearizedSet(n);
  const cache = new ConfigCache<S>(model.hash?.bind(model), model.equal?.bind(model));
  const stackOps: number[] = [];
  const stackStates: S[] = [];
  let longestPrefix: number[] = [];

  let state = model.init();
  let entry = next[head] as number;
  let steps = 0;
  for (;;) {
    if (completedLeft === 0) return { verdict: 'ok', longestPrefix: stackOps.slice() };
    if (deadline !== undefined && ++steps % DEADLINE_CHECK_INTERVAL === 0 && deadline()) {
      return { verdict: 'timeout', longestPrefix };
    }
    // While completed operations remain, the list holds at least one finite return, so the
    // walk meets a return before it could run off the end.
    const op = entry >> 1;
    if ((entry & 1) === 0) {
      const operation = ops[op] as Operation<I, O>;
      const result = model.step(state, operation.input, operation.output);
      if (result.ok) {
        linearized.toggle(op);
        if (cache.add(linearized, result.next)) {
          stackOps.push(op);
          stackStates.push(state);
          state = result.next;
          if (operation.return !== Infinity) completedLeft--;
          lift(op);
          if (stackOps.length > longestPrefix.length) longestPrefix = stackOps.slice();
          entry = next[head] as number;
          continue;
        }
        linearized.toggle(op);
      }
      entry = next[entry] as number;
    } else {
      // The earliest outstanding return: its operation must already be linearized on this
      // path, so undo the most recent choice and try the next candidate after it.
      const undone = stackOps.pop();
      if (undone === undefined) return { verdict: 'illegal', longestPrefix };
      state = stackStates.pop() as S;
      linearized.toggle(undone);
      if ((ops[undone] as Operation<I, O>).return !== Infinity) completedLeft++;
      unlift(undone);
      entry = next[2 * undone] as number;
    }
  }
}

function describeOp<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const body =
    model.describeOperation?.(op.input, op.output) ??
    `${JSON.stringify(op.input)} -> ${JSON.stringify(op.output)}`;
  const end = op.return === Infinity ? 'pending' : String(op.return);
  return `client ${op.clientId}: ${body} [${op.call}, ${end}]`;
}

function describeState<S, I, O>(model: Model<S, I, O>, state: S): string {
  if (model.describeState !== undefined) return model.describeState(state);
  if (model.hash !== undefined) return model.hash(state);
  return JSON.stringify(state) ?? String(state);
}

const MAX_LISTED = 12;

function explain<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  partition: number,
  prefix: readonly number[],
): string {
  let state = model.init();
  for (const i of prefix)
    state = model.step(
      state,
      (ops[i] as Operation<I, O>).input,
      (ops[i] as Operation<I, O>).output,
    ).next;
  const done = new Set(prefix);
  const rest = ops.map((_, i) => i).filter((i) => !done.has(i));
  // The operation that blocks progress is the unlinearized one that returned first; every
  // candidate for the next slot was called no later than that.
  const firstReturn = rest.reduce(
    (min, i) => Math.min(min, (ops[i] as Operation<I, O>).return),
    Infinity,
  );
  const candidates = rest.filter((i) => (ops[i] as Operation<I, O>).call <= firstReturn);
  const shownPrefix = prefix.slice(-MAX_LISTED);
  const lines = [
    `partition ${partition} (${ops.length} operations) is not linearizable.`,
    `Longest linearizable prefix: ${prefix.length} operations` +
      (prefix.length > shownPrefix.length ? `, last ${shownPrefix.length}:` : ':'),
    ...shownPrefix.map((i) => `  ${describeOp(model, ops[i] as Operation<I, O>)}`),
    `State after it: ${describeState(model, state)}`,
    'None of these can come next (illegal output, or only to an explored dead end):',
    ...candidates
      .slice(0, MAX_LISTED)
      .map((i) => `  ${describeOp(model, ops[i] as Operation<I, O>)}`),
  ];
  if (candidates.length > MAX_LISTED)
    lines.push(`  ... and ${candidates.length - MAX_LISTED} more`);
  return lines.join('\n');
}

/**
 * Checks `history` against `model`. Partitions (if the model defines `partition`) are checked
 * independently, in order; the first violation is reported.
 */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: Operation<I, O>[],
  opts: CheckOptions = {},
): CheckResult {
  validateHistory(history);
  const parts = model.partition !== undefined ? model.partition(history) : [history];
  let deadline: (() => boolean) | undefined;
  if (opts.timeoutMs !== undefined) {
    if (!(opts.timeoutMs >= 0))
      throw new RangeError(`timeoutMs must be >= 0, got ${opts.timeoutMs}`);
    const now = opts.now ?? Date.now;
    const end = now() + opts.timeoutMs;
    deadline = () => now() >= end;
  }
  for (let p = 0; p < parts.length; p++) {
    const ops = parts[p] as Operation<I, O>[];
    const outcome = checkPartition(model, ops, deadline);
    if (outcome.verdict === 'timeout') {
      return {
        ok: false,
        timedOut: true,
        partitions: parts.length,
        explanation: `timed out after ${opts.timeoutMs} ms while checking partition ${p} of ${parts.length} (${ops.length} operations); no verdict`,
      };
    }
    if (outcome.verdict === 'illegal') {
      return {
        ok: false,
        timedOut: false,
        partitions: parts.length,
        failingPartition: p,
        explanation: explain(model, ops, p, outcome.longestPrefix),
      };
    }
  }
  return { ok: true, timedOut: false, partitions: parts.length };
}
