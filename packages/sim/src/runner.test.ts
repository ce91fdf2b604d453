import { afterEach, describe, expect, it, vi } from 'vitest';
import { Prng } from './prng.js';
import { SimulationFailure, runSimulation, simulationSeeds } from './runner.js';

describe('runSimulation', () => {
  it('passes a Prng seeded with the seed and returns the body result', () => {
    const result = runSimulation('ok', 42, (prng) => prng.uint32());
    expect(result).toBe(new Prng(42).uint32());
  });

  it('wraps a failure with the seed, the name, the replay hint and the cause', () => {
    const original = new Error('two leaders in term 3');
    let caught: unknown;
    try {
      runSimulation('raft election', 1234, () => {
        throw original;
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SimulationFailure);
    const failure = caught as SimulationFailure;
    expect(failure.message.startsWith('simulation failed (seed=1234)')).toBe(true);
    expect(failure.message).toContain('raft election');
    expect(failure.message).toContain('two leaders in term 3');
    expect(failure.message).toContain('KUBETS_SIM_SEED=1234');
    expect(failure.seed).toBe(1234);
    expect(failure.cause).toBe(original);
    expect(failure.stack).toContain('Caused by: Error: two leaders in term 3');
  });

  it('wraps non-Error throws too', () => {
    expect(() =>
      runSimulation('s', 7, () => {
        throw 'a string'; // eslint-disable-line @typescript-eslint/only-throw-error
      }),
    ).toThrow(/^simulation failed \(seed=7\): s: a string/);
  });

  it('wraps rejections of async bodies', async () => {
    await expect(
      runSimulation('async', 9, () => Promise.reject(new Error('late'))),
    ).rejects.toThrow(/^simulation failed \(seed=9\): async: late/);
    await expect(runSimulation('async ok', 9, () => Promise.resolve(5))).resolves.toBe(5);
  });

  it('replays exactly: the same seed gives the same run', () => {
    const body = (prng: Prng): number[] => Array.from({ length: 10 }, () => prng.int(1000));
    expect(runSimulation('a', 5, body)).toEqual(runSimulation('b', 5, body));
  });

  it('rejects a non-integer seed', () => {
    expect(() => runSimulation('x', 1.5, () => 0)).toThrow(/safe integer/);
  });
});

describe('simulationSeeds', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('returns the defaults when no variable is set', () => {
    expect(simulationSeeds([1, 2, 3], { env: {} })).toEqual([1, 2, 3]);
  });

  it('KUBETS_SIM_SEED replays one seed and wins over KUBETS_SIM_SEEDS', () => {
    expect(simulationSeeds([1, 2], { env: { KUBETS_SIM_SEED: '77' } })).toEqual([77]);
    expect(
      simulationSeeds([1], { env: { KUBETS_SIM_SEED: '-5', KUBETS_SIM_SEEDS: '10' } }),
    ).toEqual([-5]);
  });

  it('KUBETS_SIM_SEEDS runs N consecutive seeds from KUBETS_SIM_SEED_BASE', () => {
    expect(
      simulationSeeds([1], { env: { KUBETS_SIM_SEEDS: '4', KUBETS_SIM_SEED_BASE: '100' } }),
    ).toEqual([100, 101, 102, 103]);
  });

  it('KUBETS_SIM_SEEDS without a base picks a random base and prints it', () => {
    const lines: string[] = [];
    const seeds = simulationSeeds([1], {
      env: { KUBETS_SIM_SEEDS: '3' },
      randomBase: () => 5000,
      log: (line) => lines.push(line),
    });
    expect(seeds).toEqual([5000, 5001, 5002]);
    expect(lines.join('\n')).toContain('KUBETS_SIM_SEED_BASE=5000');
  });

  it('reads process.env by default', () => {
    vi.stubEnv('KUBETS_SIM_SEED', '31337');
    expect(simulationSeeds([1, 2])).toEqual([31337]);
    vi.stubEnv('KUBETS_SIM_SEED', '');
    vi.stubEnv('KUBETS_SIM_SEEDS', '2');
    vi.stubEnv('KUBETS_SIM_SEED_BASE', '9');
    expect(simulationSeeds([1, 2])).toEqual([9, 10]);
  });

  it('rejects malformed values naming the variable', () => {
    expect(() => simulationSeeds([], { env: { KUBETS_SIM_SEED: 'abc' } })).toThrow(
      /KUBETS_SIM_SEED must be an integer/,
    );
    expect(() => simulationSeeds([], { env: { KUBETS_SIM_SEED: '1.5' } })).toThrow(
      /KUBETS_SIM_SEED/,
    );
    expect(() => simulationSeeds([], { env: { KUBETS_SIM_SEEDS: '0' } })).toThrow(
      /KUBETS_SIM_SEEDS must be between/,
    );
    expect(() =>
      simulationSeeds([], { env: { KUBETS_SIM_SEEDS: '2', KUBETS_SIM_SEED_BASE: 'x' } }),
    ).toThrow(/KUBETS_SIM_SEED_BASE must be an integer/);
    expect(() => simulationSeeds([0.5], { env: {} })).toThrow(/not a safe integer/);
  });
});
