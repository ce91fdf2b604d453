/**
 * Pure command-line parsing with pflag semantics: `--flag=value`, `--flag value`, `--bool`,
 * `--bool=false`, `-x value`, `-xvalue`, grouped bool shorthands (`-ab`), `--` to end flags, and
 * positional arguments interspersed with flags. Nothing here prints or exits: see command.ts.
 */
import { parseBool } from './flag-types.js';
import type { AnyFlagSpec, FlagSpecs, FlagValues } from './flag-types.js';

/** Where a flag's final value came from; config-file merging needs to tell them apart. */
export type FlagSource = 'default' | 'env' | 'command-line';

export interface ParsedFlags<S extends FlagSpecs> {
  kind: 'ok';
  values: FlagValues<S>;
  sources: { [K in keyof S]: FlagSource };
  /** Positional arguments, in order. */
  args: string[];
}

export type ParseOutcome<S extends FlagSpecs> =
  ParsedFlags<S> | { kind: 'help' } | { kind: 'version' } | { kind: 'error'; error: FlagError };

/** A command-line problem; `flag` names the offending flag when there is one. */
export class FlagError extends Error {
  constructor(
    message: string,
    readonly flag?: string,
  ) {
    super(message);
    this.name = 'FlagError';
  }
}

export interface ParseOptions {
  /** Environment for flags declared with `env`; omit to ignore the environment. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Recognise `--version` (unless the specs declare their own). Default true. */
  versionFlag?: boolean;
}

/** Reserved names handled by the parser itself. */
const HELP = 'help';
const VERSION = 'version';

/** Checks a set of specs for mistakes a component author could make; throws on the first. */
export function validateFlagSpecs(specs: FlagSpecs): void {
  const shorthands = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(name)) {
      throw new Error(`invalid flag name "${name}"`);
    }
    if (name === HELP) throw new Error('flag name "help" is reserved');
    if (spec.shorthand !== undefined) {
      if (spec.shorthand === 'h') throw new Error(`flag --${name}: shorthand "h" is reserved`);
      const other = shorthands.get(spec.shorthand);
      if (other !== undefined) {
        throw new Error(`flags --${other} and --${name} share shorthand "${spec.shorthand}"`);
      }
      shorthands.set(spec.shorthand, name);
    }
  }
}

/** How a flag is named in error messages: `"--port"` or `"-p, --port"`, as pflag does. */
function displayName(name: string, spec: AnyFlagSpec): string {
  return spec.shorthand === undefined ? `--${name}` : `-${spec.shorthand}, --${name}`;
}

/**
 * Parses `argv` (without the node and script paths) against `specs`. Returns the values, or
 * `help`/`version` when those flags appear, or the first error, exactly like pflag stops at the
 * first problem.
 */
export function parseFlags<S extends FlagSpecs>(
  specs: S,
  argv: readonly string[],
  options: ParseOptions = {},
): ParseOutcome<S> {
  validateFlagSpecs(specs);
  const versionEnabled = (options.versionFlag ?? true) && !(VERSION in specs);
  const values: Record<string, unknown> = {};
  const sources: Record<string, FlagSource> = {};
  const byShorthand = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    values[name] = spec.default;
    sources[name] = 'default';
    if (spec.shorthand !== undefined) byShorthand.set(spec.shorthand, name);
  }

  // The environment goes first so the command line overrides it.
  if (options.env !== undefined) {
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.env === undefined) continue;
      const raw = options.env[spec.env];
      if (raw === undefined) continue;
      try {
        values[name] = spec.parse(raw, values[name], true);
        sources[name] = 'env';
      } catch (err) {
        return fail(
          `invalid value ${JSON.stringify(raw)} for environment variable ${spec.env} ` +
            `(flag --${name}): ${messageOf(err)}`,
          name,
        );
      }
    }
  }

  const set = (name: string, raw: string): FlagError | undefined => {
    const spec = specs[name] as AnyFlagSpec;
    try {
      const first = sources[name] !== 'command-line';
      values[name] = spec.parse(raw, values[name], first);
      sources[name] = 'command-line';
      return undefined;
    } catch (err) {
      return new FlagError(
        `invalid argument ${JSON.stringify(raw)} for "${displayName(name, spec)}" flag: ${messageOf(err)}`,
        name,
      );
    }
  };

  const args: string[] = [];
  let wantVersion = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) {
        return fail(`bad flag syntax: ${arg}`);
      }
      const eq = body.indexOf('=');
      const name = eq === -1 ? body : body.slice(0, eq);
      let raw: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
      if (name === HELP) return { kind: 'help' };
      if (name === VERSION && versionEnabled) {
        try {
          if (raw === undefined || parseBool(raw)) wantVersion = true;
        } catch (err) {
          return fail(`invalid argument "${raw}" for "--version" flag: ${messageOf(err)}`, VERSION);
        }
        continue;
      }
      const spec = specs[name];
      if (spec === undefined) return fail(`unknown flag: --${name}`, name);
      if (raw === undefined) {
        const next = argv[i + 1];
        if (spec.isBool) {
          raw = 'true';
        } else if (next !== undefined) {
          // pflag takes the next word as the value even if it starts with '-'.
          raw = next;
          i++;
        } else {
          return fail(`flag needs an argument: --${name}`, name);
        }
      }
      const error = set(name, raw);
      if (error !== undefined) return { kind: 'error', error };
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const letters = arg.slice(1);
      for (let j = 0; j < letters.length; j++) {
        const letter = letters[j] as string;
        const name = byShorthand.get(letter);
        if (name === undefined) {
          if (letter === 'h') return { kind: 'help' };
          return fail(`unknown shorthand flag: '${letter}' in ${arg}`);
        }
        const spec = specs[name] as AnyFlagSpec;
        let raw: string;
        if (letters[j + 1] === '=') {
          raw = letters.slice(j + 2);
          j = letters.length;
        } else if (spec.isBool) {
          raw = 'true';
        } else if (j + 1 < letters.length) {
          raw = letters.slice(j + 1);
          j = letters.length;
        } else if (i + 1 < argv.length) {
          raw = argv[++i] as string;
        } else {
          return fail(`flag needs an argument: '${letter}' in ${arg}`, name);
        }
        const error = set(name, raw);
        if (error !== undefined) return { kind: 'error', error };
      }
      continue;
    }
    args.push(arg);
  }
  if (wantVersion) return { kind: 'version' };
  return {
    kind: 'ok',
    values: values as FlagValues<S>,
    sources: sources as { [K in keyof S]: FlagSource },
    args,
  };
}

function fail(message: string, flag?: string): { kind: 'error'; error: FlagError } {
  return { kind: 'error', error: new FlagError(message, flag) };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
