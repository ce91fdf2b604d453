/**
 * Running a simulation for a seed and choosing which seeds to run. A failure always names its
 * seed and the environment variable that replays it, because a failing seed nobody can
 * reproduce is worth nothing.
 */
import { Prng } from './prng.js';

/** Replays exactly one seed. */
export const SEED_ENV = 'KUBETS_SIM_SEED';
/** Runs this many seeds instead of the defaults. */
export const SEED_COUNT_ENV = 'KUBETS_SIM_SEEDS';
/** First seed when KUBETS_SIM_SEEDS is set; a random base is chosen (and printed) otherwise. */
export const SEED_BASE_ENV = 'KUBETS_SIM_SEED_BASE';

const MAX_SEED_COUNT = 1_000_000;

/** The error thrown by runSimulation; the original error is `cause`. */
export class SimulationFailure extends Error {
  readonly seed: number;
  readonly simulation: string;
  constructor(simulation: string, seed: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `simulation failed (seed=${seed}): ${simulation}: ${reason}\n` +
        `  replay with: ${SEED_ENV}=${seed} (e.g. ${SEED_ENV}=${seed} npx vitest run -t ${JSON.stringify(simulation)})`,
      { cause },
    );
    this.name = 'SimulationFailure';
    this.seed = seed;
    this.simulation = simulation;
    // Keep the failing frame visible: the original stack is what one debugs.
    if (cause instanceof Error && cause.stack !== undefined) {
      this.stack = `${this.name}: ${this.message}\nCaused by: ${cause.stack}`;
    }
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs `body` with a Prng seeded by `seed`. If the body throws (or, for an async body, its
 * promise rejects) the error is rethrown as a SimulationFailure whose message starts with
 * `simulation failed (seed=<seed>)` and says how to replay it.
 */
export function runSimulation<T>(name: string, seed: number, body: (prng: Prng) => T): T {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(
      `runSimulation(${JSON.stringify(name)}): seed must be a safe integer, got ${seed}`,
    );
  }
  const prng = new Prng(seed);
  let result: T;
  try {
    result = body(prng);
  } catch (err) {
    throw new SimulationFailure(name, seed, err);
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).catch((err: unknown) => {
      throw new SimulationFailure(name, seed, err);
    }) as T;
  }
  return result;
}

function parseInteger(env: string, raw: string): number {
  const trimmed = raw.trim();
  const value = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new Error(`${env} must be an integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export interface SimulationSeedsOptions {
  /** Environment to read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Source of a fresh base seed when KUBETS_SIM_SEEDS is set without a base. */
  randomBase?: () => number;
  /** Where to announce a randomly chosen base (default console.log). */
  log?: (line: string) => void;
}

/**
 * The seeds a simulation test should run:
 * - `KUBETS_SIM_SEED=<n>`: just n (replaying a failure); wins over the others;
 * - `KUBETS_SIM_SEEDS=<N>`: N consecutive seeds from `KUBETS_SIM_SEED_BASE`, or from a fresh
 *   random base (printed) so that repeated runs explore new seeds;
 * - otherwise `defaults` (the fixed list CI runs).
 */
export function simulationSeeds(
  defaults: readonly number[],
  opts: SimulationSeedsOptions = {},
): number[] {
  const env = opts.env ?? process.env;
  const single = env[SEED_ENV];
  if (single !== undefined && single.trim() !== '') return [parseInteger(SEED_ENV, single)];

  const countRaw = env[SEED_COUNT_ENV];
  if (countRaw !== undefined && countRaw.trim() !== '') {
    const count = parseInteger(SEED_COUNT_ENV, countRaw);
    if (count < 1 || count > MAX_SEED_COUNT) {
      throw new Error(`${SEED_COUNT_ENV} must be between 1 and ${MAX_SEED_COUNT}, got ${count}`);
    }
    const baseRaw = env[SEED_BASE_ENV];
    let base: number;
    if (baseRaw !== undefined && baseRaw.trim() !== '') {
      base = parseInteger(SEED_BASE_ENV, baseRaw);
    } else {
      const random = opts.randomBase ?? (() => Math.floor(Math.random() * 0x7fff_ffff));
      base = random();
      (opts.log ?? console.log)(
        `simulationSeeds: ${count} seeds from random base ${base} (${SEED_BASE_ENV}=${base} repeats this set)`,
      );
    }
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(base + count - 1)) {
      throw new Error(`${SEED_BASE_ENV} ${base} + ${count} seeds leaves the safe integer range`);
    }
    return Array.from({ length: count }, (_, i) => base + i);
  }

  for (const seed of defaults) {
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`default seed ${seed} is not a safe integer`);
  }
  return [...defaults];
}
