/**
 * The `kubets` command tree and its process-facing entry point. Each top-level command is its own
 * module (`./pki/`, later `./up/` ...); adding one is adding it to `commands` below.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { CliContext, CommandGroup } from './command.js';
import { runCli } from './command.js';
import { pkiCommand } from './pki/index.js';
import { upCommand } from './up/up.js';

export const rootCommand: CommandGroup = {
  kind: 'group',
  name: 'kubets',
  summary: 'kubets: the Kubernetes architecture in TypeScript.',
  description: 'kubets: the Kubernetes architecture in TypeScript. The all-in-one CLI.',
  commands: [upCommand, pkiCommand],
};

/** The package version, read from package.json (two levels up from src/cli and dist/cli). */
export function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as {
    version?: string;
  };
  return manifest.version ?? '0.0.0';
}

/** The real process's context: its streams, clock, CSPRNG and host name. */
export function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => new Date(),
    randomBytes: (length) => new Uint8Array(randomBytes(length)),
    hostname,
  };
}

/** Runs the CLI on `argv` (without node and script paths); resolves to the exit code. */
export function main(
  argv: readonly string[],
  context: CliContext = processContext(),
): Promise<number> {
  return runCli(rootCommand, argv, context, packageVersion());
}
