/**
 * Subcommand dispatch for `kubets <command> [<subcommand>...] [flags]`, on top of
 * `@kubets/component-base`'s pflag-compatible parser. Groups (`kubets`, `kubets pki`) list their
 * commands in `--help`; leaves (`kubets pki init`) parse flags and run. Nothing here exits the
 * process: `runCli` returns the exit code, so the whole CLI is testable in-process.
 *
 * Exit codes: 0 success or help, 1 the command failed, 2 a usage error (unknown command or flag,
 * bad flag value, missing required flag), as Go's flag package and kubectl use them.
 */
import { EXIT_FAILURE, EXIT_USAGE, decideCommand } from '@kubets/component-base';
import type { FlagSpecs, ParsedFlags, TextSink } from '@kubets/component-base';
import type { CryptoKeyPair, KeyAlgorithm } from '../pki/keys.js';
import type { RandomBytes } from '../pki/random.js';

/** Everything a command may touch besides the file system: injected for tests. */
export interface CliContext {
  stdout: TextSink;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
  now(): Date;
  randomBytes: RandomBytes;
  hostname(): string;
  /**
   * Key source for commands that create keys; fresh Web Crypto keys when absent. Tests inject a
   * generator that reuses the slow RSA key within a file.
   */
  generateKeyPair?: (algorithm: KeyAlgorithm) => Promise<CryptoKeyPair>;
}

/** A command-line mistake detected after parsing (missing or conflicting flags): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface LeafCommand<S extends FlagSpecs = FlagSpecs> {
  kind: 'leaf';
  name: string;
  aliases?: readonly string[];
  /** One line for the parent's command list. */
  summary: string;
  /** Paragraphs shown at the top of `--help`; defaults to the summary. */
  description?: string;
  flags: S;
  run(parsed: ParsedFlags<S>, context: CliContext): Promise<void> | void;
}

export interface CommandGroup {
  kind: 'group';
  name: string;
  aliases?: readonly string[];
  summary: string;
  description?: string;
  commands: readonly Command[];
}

export type Command = LeafCommand<FlagSpecs> | CommandGroup;

/** Declares a leaf with its flag types inferred (and then widened for the command table). */
export function leafCommand<S extends FlagSpecs>(
  definition: Omit<LeafCommand<S>, 'kind'>,
): Command {
  return { kind: 'leaf', ...definition } as unknown as Command;
}

function findCommand(group: CommandGroup, name: string): Command | undefined {
  return group.commands.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}

/** Edit distance, for "Did you mean this?" suggestions as cobra makes them. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(
        above + 1,
        (row[j - 1] as number) + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function suggestions(group: CommandGroup, typed: string): string[] {
  return group.commands
    .flatMap((c) => [c.name, ...(c.aliases ?? [])])
    .filter((name) => editDistance(name, typed) <= 2 || name.startsWith(typed));
}

/** `--help` of a group: description, usage, the command list, and a pointer to leaf help. */
export function formatGroupHelp(path: string, group: CommandGroup): string {
  const width = Math.max(...group.commands.map((c) => c.name.length));
  const lines = [
    (group.description ?? group.summary).trimEnd(),
    '',
    'Usage:',
    `  ${path} <command> [flags]`,
    '',
    'Commands:',
  ];
  for (const c of group.commands) {
    const aliases =
      c.aliases !== undefined && c.aliases.length > 0 ? ` (alias: ${c.aliases.join(', ')})` : '';
    lines.push(`  ${c.name.padEnd(width)}   ${c.summary}${aliases}`);
  }
  lines.push(
    '',
    'Flags:',
    `  -h, --help      help for ${path}`,
    '      --version   Print version and exit.',
    '',
    `Use "${path} <command> --help" for more information about a command.`,
  );
  return `${lines.join('\n')}\n`;
}

function usageFailure(context: CliContext, path: string, message: string): number {
  context.stderr.write(`error: ${message}\nSee '${path} --help' for usage.\n`);
  return EXIT_USAGE;
}

/**
 * Runs `argv` against the command tree rooted at `root` and returns the exit
 * code. Group-level flags are only `-h/--help` and `--version`; everything else belongs to
 * leaves.
 */
export async function runCli(
  root: CommandGroup,
  argv: readonly string[],
  context: CliContext,
  version: string,
): Promise<number> {
  let group = root;
  let path = root.name;
  let rest = argv;
  for (;;) {
    const [word, ...tail] = rest;
    // `kubets help pki init` is `kubets pki init --help`, as cobra's help command works.
    if (word === 'help' && tail.length > 0) {
      rest = [...tail, '--help'];
      continue;
    }
    if (word === undefined || word === '-h' || word === '--help' || word === 'help') {
      context.stdout.write(formatGroupHelp(path, group));
      return 0;
    }
    if (word === '--version') {
      context.stdout.write(`${root.name} v${version.replace(/^v/, '')}\n`);
      return 0;
    }
    if (word.startsWith('-')) {
      const name = word.replace(/^-+/, '').split('=')[0] ?? '';
      return usageFailure(
        context,
        path,
        `unknown flag: ${word.startsWith('--') ? `--${name}` : word} (flags go after the command: "${path} <command> [flags]")`,
      );
    }
    const command = findCommand(group, word);
    if (command === undefined) {
      const similar = suggestions(group, word);
      const hint =
        similar.length > 0
          ? `\n\nDid you mean this?\n${similar.map((s) => `\t${s}`).join('\n')}\n`
          : '';
      return usageFailure(context, path, `unknown command "${word}" for "${path}"${hint}`);
    }
    path = `${path} ${command.name}`;
    rest = tail;
    if (command.kind === 'group') {
      group = command;
      continue;
    }
    return runLeaf(command, path, rest, context, version);
  }
}

async function runLeaf(
  command: LeafCommand,
  path: string,
  argv: readonly string[],
  context: CliContext,
  version: string,
): Promise<number> {
  const decision = decideCommand(
    {
      name: path,
      version,
      description: command.description ?? command.summary,
      flags: command.flags,
    },
    argv,
    // Flags declare no environment variables; the environment reaches commands via context.
    {},
  );
  if (decision.action === 'exit') {
    if (decision.stdout !== '') context.stdout.write(decision.stdout);
    if (decision.stderr !== '') context.stderr.write(decision.stderr);
    return decision.code;
  }
  try {
    await command.run(decision.parsed, context);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(context, path, err.message);
    context.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}
