/**
 * The process shell around `parseFlags`: prints usage, version and errors, and exits with the
 * conventional codes (0 for `--help`/`--version`, 2 for a usage error, 1 when the command fails).
 * `decideCommand` is the pure part; `runCommand` does the printing and exiting.
 */
import type { FlagSpecs } from './flag-types.js';
import { formatUsage } from './flag-usage.js';
import { parseFlags } from './flags.js';
import type { ParsedFlags } from './flags.js';

/** Exit code for a command-line mistake, as Go's flag package and most CLIs use. */
export const EXIT_USAGE = 2;
/** Exit code when the command itself fails. */
export const EXIT_FAILURE = 1;

export interface CommandDefinition<S extends FlagSpecs> {
  /** Binary name, e.g. `kubets-scheduler`. */
  name: string;
  /** Printed by `--version` as `<name> v<version>`. */
  version: string;
  /** Paragraph shown at the top of `--help`. */
  description?: string;
  flags: S;
  /**
   * Whether positional arguments are accepted. Upstream components take none and reject any
   * (`"kube-scheduler" does not take any arguments`), so that is the default.
   */
  args?: 'none' | 'any';
  /** Positional syntax for the usage line when `args` is `any`. */
  argsUsage?: string;
  /** The program. Its rejection is reported as `error: <message>` with exit code 1. */
  run(parsed: ParsedFlags<S>): void | Promise<void>;
}

export interface TextSink {
  write(text: string): unknown;
}

export interface CommandIO {
  /** Arguments after the script path. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  stdout: TextSink;
  stderr: TextSink;
  exit(code: number): void;
}

export type CommandDecision<S extends FlagSpecs> =
  | { action: 'run'; parsed: ParsedFlags<S> }
  | { action: 'exit'; code: number; stdout: string; stderr: string };

/** Formats `v1.2.3` without doubling an existing `v`. */
export function versionLine(name: string, version: string): string {
  return `${name} ${version.startsWith('v') ? version : `v${version}`}\n`;
}

/** Decides what a command line means, without side effects. */
export function decideCommand<S extends FlagSpecs>(
  definition: Omit<CommandDefinition<S>, 'run'>,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CommandDecision<S> {
  const outcome = parseFlags(definition.flags, argv, { env });
  const hint = `See '${definition.name} --help' for usage.\n`;
  switch (outcome.kind) {
    case 'help':
      return {
        action: 'exit',
        code: 0,
        stdout: formatUsage(definition.flags, {
          name: definition.name,
          description: definition.description,
          argsUsage: definition.argsUsage,
        }),
        stderr: '',
      };
    case 'version':
      return {
        action: 'exit',
        code: 0,
        stdout: versionLine(definition.name, definition.version),
        stderr: '',
      };
    case 'error':
      return {
        action: 'exit',
        code: EXIT_USAGE,
        stdout: '',
        stderr: `error: ${outcome.error.message}\n${hint}`,
      };
    case 'ok':
      if ((definition.args ?? 'none') === 'none' && outcome.args.length > 0) {
        return {
          action: 'exit',
          code: EXIT_USAGE,
          stdout: '',
          stderr:
            `error: "${definition.name}" does not take any arguments, got ` +
            `${JSON.stringify(outcome.args)}\n${hint}`,
        };
      }
      return { action: 'run', parsed: outcome };
  }
}

/**
 * Parses the process's command line and runs the command. Returns once `run` has resolved (a
 * server typically keeps the process alive afterwards and leaves through graceful shutdown).
 */
export async function runCommand<S extends FlagSpecs>(
  definition: CommandDefinition<S>,
  io: Partial<CommandIO> = {},
): Promise<void> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const exit = io.exit ?? ((code: number) => process.exit(code));
  const decision = decideCommand(
    definition,
    io.argv ?? process.argv.slice(2),
    io.env ?? process.env,
  );
  if (decision.action === 'exit') {
    if (decision.stdout !== '') stdout.write(decision.stdout);
    if (decision.stderr !== '') stderr.write(decision.stderr);
    exit(decision.code);
    return;
  }
  try {
    await definition.run(decision.parsed);
  } catch (err) {
    stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    exit(EXIT_FAILURE);
  }
}
