#!/usr/bin/env node
// kubets-sim: runs a package's simulation suite over many seeds and takes a census.
//   kubets-sim [--seeds=N] [--first-seed=S] [--seed=X] [--verbose] [PATH...] [-- VITEST_ARGS...]
// It translates flags into the KUBETS_SIM_* environment the runner reads, runs `vitest run`,
// and ends with `N passed, M failed` (a seed passes when every simulation that ran it passed),
// listing each failing seed with the command that replays it. A seed found here replays the
// same way under `npm test`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_BASE_ENV, SEED_COUNT_ENV, SEED_ENV } from '../runner.js';
import { formatSeedCensus, readSeedCensus, RESULTS_ENV } from '../seed-results.js';

const VERBOSE_ENV = 'KUBETS_SIM_VERBOSE';

const USAGE = `Usage: kubets-sim [flags] [PATH...] [-- VITEST_ARGS...]

Runs the simulation tests under PATH (default "test/sim") with vitest and ends with
"N passed, M failed", listing every failing seed and how to replay it.

Flags:
      --first-seed int     first seed when --seeds is given (default: random, printed by the run)
  -h, --help               show this help
      --seed int           replay exactly this seed (sets ${SEED_ENV})
      --seed-base int      same as --first-seed
      --seeds int          run this many seeds (sets ${SEED_COUNT_ENV}) (default: the suite's fixed list)
      --verbose            print each run's report (sets ${VERBOSE_ENV}=1)
`;

const SEED_FLAGS: Record<string, string> = {
  seeds: SEED_COUNT_ENV,
  seed: SEED_ENV,
  'seed-base': SEED_BASE_ENV,
  'first-seed': SEED_BASE_ENV,
};

function main(argv: string[]): number {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const paths: string[] = [];
  const vitestArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      vitestArgs.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (arg === '--verbose') {
      env[VERBOSE_ENV] = '1';
      continue;
    }
    const m = /^--(seeds|seed|seed-base|first-seed)(?:=(.*))?$/.exec(arg);
    if (m) {
      const flag = m[1]!;
      const value = m[2] ?? argv[++i];
      if (value === undefined || !/^\d+$/.test(value)) {
        process.stderr.write(
          `error: invalid argument ${JSON.stringify(value ?? '')} for "--${flag}" flag: must be a non-negative integer\nRun 'kubets-sim --help' for usage.\n`,
        );
        return 2;
      }
      env[SEED_FLAGS[flag]!] = value;
      continue;
    }
    if (arg.startsWith('-')) {
      process.stderr.write(`error: unknown flag: ${arg}\nRun 'kubets-sim --help' for usage.\n`);
      return 2;
    }
    paths.push(arg);
  }

  const scratch = mkdtempSync(join(tmpdir(), 'kubets-sim-'));
  const resultsFile = join(scratch, 'results.jsonl');
  env[RESULTS_ENV] = resultsFile;
  try {
    const r = spawnSync(
      'npx',
      ['vitest', 'run', ...(paths.length > 0 ? paths : ['test/sim']), ...vitestArgs],
      {
        stdio: 'inherit',
        env,
      },
    );
    const census = readSeedCensus(resultsFile);
    const pkg = process.env.npm_package_name;
    const replay = (seed: number): string =>
      pkg
        ? `npm run sim -w ${pkg} -- --seed ${seed} --verbose`
        : `kubets-sim --seed ${seed} --verbose`;
    if (census.passed.length + census.failed.size === 0) {
      process.stderr.write(
        'kubets-sim: no simulation recorded a seed (did the suite use runSeeds from @kubets/sim?)\n',
      );
      return r.status === 0 ? 1 : (r.status ?? 1);
    }
    process.stdout.write(formatSeedCensus(census, replay));
    return census.failed.size === 0 && r.status === 0 ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv.slice(2));
