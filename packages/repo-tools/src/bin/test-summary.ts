#!/usr/bin/env node
// kubets-test-summary --since=FILE: totals the vitest JSON reports of every workspace package that
// were written after FILE's modification time, prints `N passed, N failed, N skipped`, and exits 1
// if any test failed or a package with a test script produced no report.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectTestCounts, formatSummary } from '../test-summary.js';

const USAGE = `Usage: kubets-test-summary --since=FILE [--root=DIR]

Flags:
  -h, --help          show this help
      --root string   repository root (default ".")
      --since string  only reports newer than this file count (written when the run started)
`;

function main(argv: string[]): number {
  let root = resolve('.');
  let since: string | undefined;
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (arg.startsWith('--root=')) root = resolve(arg.slice(7));
    else if (arg.startsWith('--since=')) since = resolve(arg.slice(8));
    else {
      process.stderr.write(
        `error: unknown flag: ${arg}\nRun 'kubets-test-summary --help' for usage.\n`,
      );
      return 2;
    }
  }
  if (!since) {
    process.stderr.write(
      "error: --since is required\nRun 'kubets-test-summary --help' for usage.\n",
    );
    return 2;
  }
  const sinceMs = existsSync(since) ? statSync(since).mtimeMs : 0;
  const counts = collectTestCounts(root, sinceMs);
  process.stdout.write(formatSummary(counts));
  return counts.every((c) => c.reported && c.failed === 0) ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
