/**
 * Seed sweeps. Under `npm test` a simulation stops at its first failing seed (one failure is
 * enough to fail CI, and its message says how to replay it). Under `kubets-sim` the goal is a
 * census: every seed runs, each outcome is appended to the file named by KUBETS_SIM_RESULTS,
 * and the command prints `N passed, M failed` with every failing seed.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { runSimulation, SimulationFailure } from './runner.js';
import type { Prng } from './prng.js';

/** File that collects one JSON line per (simulation, seed) outcome during a `kubets-sim` sweep. */
export const RESULTS_ENV = 'KUBETS_SIM_RESULTS';

export interface SeedOutcome {
  simulation: string;
  seed: number;
  ok: boolean;
  /** First line of the failure, when not ok. */
  error?: string;
}

/**
 * Runs `body` for every seed. Without KUBETS_SIM_RESULTS it throws the first SimulationFailure;
 * with it, it records every outcome and throws at the end if any seed failed, naming them all.
 * Returns the results of the seeds that passed.
 */
export function runSeeds<T>(
  name: string,
  seeds: readonly number[],
  body: (prng: Prng, seed: number) => T,
  env: Readonly<Record<string, string | undefined>> = process.env,
): T[] {
  const resultsFile = env[RESULTS_ENV];
  const results: T[] = [];
  const failed: SimulationFailure[] = [];
  for (const seed of seeds) {
    try {
      results.push(runSimulation(name, seed, (prng) => body(prng, seed)));
      if (resultsFile) record(resultsFile, { simulation: name, seed, ok: true });
    } catch (err) {
      if (!resultsFile || !(err instanceof SimulationFailure)) throw err;
      failed.push(err);
      record(resultsFile, { simulation: name, seed, ok: false, error: err.message.split('\n')[0] });
    }
  }
  if (failed.length > 0) {
    throw new Error(
      `${name}: ${failed.length} of ${seeds.length} seeds failed: ${failed.map((f) => f.seed).join(', ')}\n${failed[0]!.message}`,
    );
  }
  return results;
}

function record(file: string, outcome: SeedOutcome): void {
  appendFileSync(file, `${JSON.stringify(outcome)}\n`);
}

export interface SeedCensus {
  /** Seeds whose every simulation passed. */
  passed: number[];
  /** Seeds with at least one failing simulation, with the failures. */
  failed: Map<number, SeedOutcome[]>;
}

/** Reads a results file: a seed passes only if every simulation that ran it passed. */
export function readSeedCensus(file: string): SeedCensus {
  const bySeed = new Map<number, SeedOutcome[]>();
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const outcome = JSON.parse(line) as SeedOutcome;
      bySeed.set(outcome.seed, [...(bySeed.get(outcome.seed) ?? []), outcome]);
    }
  }
  const census: SeedCensus = { passed: [], failed: new Map() };
  for (const [seed, outcomes] of [...bySeed].sort((a, b) => a[0] - b[0])) {
    const failures = outcomes.filter((o) => !o.ok);
    if (failures.length === 0) census.passed.push(seed);
    else census.failed.set(seed, failures);
  }
  return census;
}

/** The closing report: each failing seed with its replay command, then `N passed, M failed`. */
export function formatSeedCensus(census: SeedCensus, replay: (seed: number) => string): string {
  const lines: string[] = [];
  for (const [seed, failures] of census.failed) {
    for (const f of failures) lines.push(`FAIL seed ${seed}: ${f.error ?? f.simulation}`);
    lines.push(`  replay: ${replay(seed)}`);
  }
  lines.push(`${census.passed.length} passed, ${census.failed.size} failed`);
  return `${lines.join('\n')}\n`;
}
