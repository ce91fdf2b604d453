/**
 * @kubets/sim: deterministic simulation kit. One seed drives a PRNG, a virtual clock, a
 * simulated network and a crashing disk; a linearizability checker judges the histories.
 */
export { Prng } from './prng.js';
export { VirtualClock } from './clock.js';
export type { TimerId, VirtualClockOptions } from './clock.js';
export { SimNetwork, DEFAULT_LINK } from './network.js';
export type { NodeId, LinkConfig, NetworkEvent, DropReason, SimNetworkOptions } from './network.js';
export { SimDisk, SimDiskError } from './disk.js';
export type { SimDiskOptions, SimDiskErrorCode } from './disk.js';
export {
  runSimulation,
  simulationSeeds,
  SimulationFailure,
  SEED_ENV,
  SEED_COUNT_ENV,
  SEED_BASE_ENV,
} from './runner.js';
export type { SimulationSeedsOptions } from './runner.js';
export { checkLinearizable } from './linearizability.js';
export type { Operation, Model, CheckResult, CheckOptions } from './linearizability.js';
export { HistoryRecorder } from './history.js';
export type { HistoryRecorderOptions } from './history.js';
export { kvModel, kvMapModel } from './kv-model.js';
export type { KvInput, KvOutput, KvState } from './kv-model.js';
export { formatSeedCensus, readSeedCensus, RESULTS_ENV, runSeeds } from './seed-results.js';
export type { SeedCensus, SeedOutcome } from './seed-results.js';
