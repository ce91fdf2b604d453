import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatSeedCensus, readSeedCensus, RESULTS_ENV, runSeeds } from './seed-results.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
const failOn = (bad: number[]) => (_: unknown, seed: number) => {
  if (bad.includes(seed)) throw new Error(`invariant broken at seed ${seed}`);
  return seed * 2;
};

describe('runSeeds', () => {
  it('stops at the first failing seed under npm test, naming it', () => {
    expect(() => runSeeds('demo', [1, 2, 3, 4], failOn([2, 3]), {})).toThrow(
      /simulation failed \(seed=2\)/,
    );
  });

  it('returns every result when all seeds pass', () => {
    expect(runSeeds('demo', [1, 2, 3], failOn([]), {})).toEqual([2, 4, 6]);
  });

  it('in a sweep runs every seed, records each outcome and reports all failing seeds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubets-sim-census-'));
    dirs.push(dir);
    const file = join(dir, 'results.jsonl');
    const env = { [RESULTS_ENV]: file };
    expect(() => runSeeds('three nodes', [1, 2, 3, 4], failOn([2, 4]), env)).toThrow(
      /2 of 4 seeds failed: 2, 4/,
    );
    runSeeds('five nodes', [1, 2, 3, 4], failOn([]), env);
    const census = readSeedCensus(file);
    expect(census.passed).toEqual([1, 3]);
    expect([...census.failed.keys()]).toEqual([2, 4]);
    const text = formatSeedCensus(census, (s) => `kubets-sim --seed ${s} --verbose`);
    expect(text).toContain(
      'FAIL seed 2: simulation failed (seed=2): three nodes: invariant broken at seed 2',
    );
    expect(text).toContain('  replay: kubets-sim --seed 4 --verbose');
    expect(text.trimEnd().split('\n').at(-1)).toBe('2 passed, 2 failed');
  });
});
