/**
 * Deterministic simulation of a replicated key-value store on raft-ts: 3- and 5-node
 * clusters under message loss, duplication, reordering, delay, partitions (symmetric,
 * asymmetric, leader-isolating), crashes losing unsynced writes (with torn records), restarts,
 * snapshots with compaction, and membership changes. Safety invariants are checked
 * continuously, liveness after healing, and the client history for linearizability.
 *
 * A failure names its seed; replay with KUBETS_SIM_SEED=<seed> or
 * `npm run sim -w @kubets/raft -- --seed <seed> --verbose`. Sweep many seeds with
 * `npm run sim -w @kubets/raft -- --seeds N --first-seed S`, which ends with `N passed, M failed`.
 */
import type { Prng } from '@kubets/sim';
import { runSeeds, simulationSeeds } from '@kubets/sim';
import { describe, expect, it } from 'vitest';
import type { WorldReport } from './world.js';
import { swarmOptions, World } from './world.js';

/** The fixed seeds `npm test` runs (about 12 s in all); `npm run sim` runs many more. */
const FIXED_SEEDS = Array.from({ length: 100 }, (_, i) => 1000 + i);
const SEEDS = simulationSeeds(FIXED_SEEDS);
const verbose = process.env.KUBETS_SIM_VERBOSE === '1';

function simulate(
  root: Prng,
  nodes: number,
  seed: number,
  profile: 'swarm' | 'lease' = 'swarm',
): WorldReport {
  // Each suite gets its own stream for the same seed; the seed alone replays it.
  const prng = root.fork(`${profile}-${nodes}`);
  const world = new World(prng, swarmOptions(prng, { nodes, faultPhaseMs: 3000, profile }));
  const report = world.run(seed);
  if (verbose) console.log(JSON.stringify(report));
  return report;
}

describe('raft kv simulation', () => {
  for (const nodes of [3, 5]) {
    // The test name contains the simulation name, so the replay hint's -t filter matches.
    it(`raft kv ${nodes} nodes: swarm-randomized faults, ${SEEDS.length} seeds`, () => {
      const reports = runSeeds(`raft kv ${nodes} nodes`, SEEDS, (prng, seed) =>
        simulate(prng, nodes, seed),
      );
      // The runs must have exercised something: every run elected leaders (liveness demands
      // one), and overall most runs completed client operations despite the faults.
      expect(reports.every((r) => r.leaders > 0)).toBe(true);
      expect(reports.filter((r) => r.completed > 0).length).toBeGreaterThanOrEqual(
        reports.length / 2,
      );
      // Three voters: followers committed by the leader's persisted notices in some runs.
      if (nodes === 3 && SEEDS.length >= 20) {
        expect(reports.some((r) => r.commitsByPersistedNotice > 0)).toBe(true);
      }
    }, 600_000);
  }

  it(`raft kv lease reads: leader isolation and crashes, ${SEEDS.length} seeds`, () => {
    const reports = runSeeds('raft kv lease reads', SEEDS, (prng, seed) =>
      simulate(prng, 3, seed, 'lease'),
    );
    expect(reports.filter((r) => r.completed > 0).length).toBeGreaterThanOrEqual(
      reports.length / 2,
    );
  }, 600_000);
});
