#!/usr/bin/env node
// Runs the deterministic simulation suite with many seeds.
//   npm run sim                      500 fresh seeds per suite (random base, printed)
//   npm run sim -- --seeds 2000      2000 seeds per suite
//   npm run sim -- --seeds 200 --base 7000   seeds 7000..7199 (reproducible sweep)
//   npm run sim -- --seed 1234       replay one seed
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const env = { ...process.env };
let seeds = '500';
for (let i = 0; i < args.length; i++) {
  const flag = args[i];
  const value = args[i + 1];
  if (flag === '--seeds' && value !== undefined) seeds = value;
  else if (flag === '--base' && value !== undefined) env.KUBETS_SIM_SEED_BASE = value;
  else if (flag === '--seed' && value !== undefined) env.KUBETS_SIM_SEED = value;
  else {
    console.error(`unknown argument ${flag}; use --seeds N, --base B or --seed S`);
    process.exit(2);
  }
  i++;
}
if (!/^[0-9]+$/.test(seeds)) {
  console.error(`--seeds needs a positive integer, got ${seeds}`);
  process.exit(2);
}
env.KUBETS_SIM_SEEDS = seeds;
const r = spawnSync('npx', ['vitest', 'run', 'test/sim'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
