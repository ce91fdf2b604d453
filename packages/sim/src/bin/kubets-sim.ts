#!/usr/bin/env node
// kubets-sim: runs a package's simulation suite with more seeds than `npm test` does.
//   kubets-sim [--seeds=N] [--seed=S] [--seed-base=B] [PATH...] [-- VITEST_ARGS...]
// It only translates flags into the KUBETS_SIM_* environment the runner reads and starts
// `vitest run`, so a seed found here replays with the same command under `npm test`.
import { spawnSync } from 'node:child_process';
import { SEED_BASE_ENV, SEED_COUNT_ENV, SEED_ENV } from '../runner.js';

const USAGE = `Usage: kubets-sim [flags] [PATH...] [-- VITEST_ARGS...]

Runs the simulation tests under PATH (default "test/sim") with vitest.

Flags:
  -h, --help               show this help
      --seed int           replay exactly this seed (sets ${SEED_ENV})
      --seed-base int      first seed when --seeds is given (default: random, printed by the run)
      --seeds int          run this many seeds (sets ${SEED_COUNT_ENV}) (default: the suite's fixed list)
`;

function parseCount(flag: string, value: string | undefined): string | Error {
  if (value === undefined || !/^\d+$/.test(value)) {
    return new Error(
      `invalid argument ${JSON.stringify(value ?? '')} for "--${flag}" flag: must be a non-negative integer`,
    );
  }
  return value;
}

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
    const m = /^--(seeds|seed|seed-base)(?:=(.*))?$/.exec(arg);
    if (m) {
      const flag = m[1]!;
      const raw = m[2] ?? argv[++i];
      const value = parseCount(flag, raw);
      if (value instanceof Error) {
        process.stderr.write(`error: ${value.message}\nRun 'kubets-sim --help' for usage.\n`);
        return 2;
      }
      env[flag === 'seeds' ? SEED_COUNT_ENV : flag === 'seed' ? SEED_ENV : SEED_BASE_ENV] = value;
      continue;
    }
    if (arg.startsWith('-')) {
      process.stderr.write(`error: unknown flag: ${arg}\nRun 'kubets-sim --help' for usage.\n`);
      return 2;
    }
    paths.push(arg);
  }
  const r = spawnSync(
    'npx',
    ['vitest', 'run', ...(paths.length > 0 ? paths : ['test/sim']), ...vitestArgs],
    {
      stdio: 'inherit',
      env,
    },
  );
  return r.status ?? 1;
}

process.exitCode = main(process.argv.slice(2));
