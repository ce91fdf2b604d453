#!/usr/bin/env node
// kubets-repo-check: the repository-wide rules `npm test` enforces after the package suites:
// layering and cycles (ARCHITECTURE.md), publishable manifests, and generated code matching proto/.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkLayers, formatViolation } from '../layers.js';
import { checkManifests } from '../manifest.js';
import { findStaleGenerated } from '../proto-gen.js';
import { listWorkspacePackages } from '../workspace.js';

const USAGE = `Usage: kubets-repo-check [--root=DIR]

Checks the monorepo: layer rules and import cycles, publishable package.json files, and that
generated protobuf code is current. Exits 1 listing every violation.

Flags:
  -h, --help         show this help
      --root string  repository root (default: the nearest folder above with a "workspaces" package.json)
`;

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'turbo.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root (turbo.json) above ${start}`);
    dir = parent;
  }
}

function main(argv: string[]): number {
  let root: string | undefined;
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (arg.startsWith('--root=')) root = resolve(arg.slice('--root='.length));
    else {
      process.stderr.write(
        `error: unknown flag: ${arg}\nRun 'kubets-repo-check --help' for usage.\n`,
      );
      return 2;
    }
  }
  root ??= findRoot(process.cwd());
  const problems = [...checkLayers(root), ...checkManifests(root)].map(formatViolation);
  for (const pkg of listWorkspacePackages(root)) {
    if (!existsSync(join(pkg.dir, 'proto.config.json'))) continue;
    problems.push(
      ...findStaleGenerated(pkg.dir, join(root, 'proto')).map((d) => `${pkg.relDir}/${d}`),
    );
  }
  if (problems.length > 0) {
    process.stderr.write(
      `kubets-repo-check: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
    );
    return 1;
  }
  process.stdout.write(
    'kubets-repo-check: layers, cycles, manifests and generated code are in order\n',
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
