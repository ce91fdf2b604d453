/**
 * `--help` text in pflag's layout, with Kubernetes-style named sections ("Logging flags:").
 *
 *       --bind-address string   The IP address to listen on. (default "0.0.0.0")
 *   -v, --v int                 Number for the log level verbosity.
 */
import type { AnyFlagSpec, FlagSpecs } from './flag-types.js';

export interface UsageOptions {
  /** Command name shown in the `Usage:` line. */
  name: string;
  /** Paragraph printed above `Usage:`. */
  description?: string;
  /** Whether `--version` is offered (it is unless the command has no version). */
  versionFlag?: boolean;
  /** Positional argument syntax after `[flags]`, e.g. `<file>...`. */
  argsUsage?: string;
}

interface Row {
  name: string;
  left: string;
  help: string;
}

function row(name: string, spec: AnyFlagSpec): Row {
  const short = spec.shorthand === undefined ? '    ' : `-${spec.shorthand}, `;
  const type = spec.typeName === '' ? '' : ` ${spec.typeName}`;
  const shown = spec.formatDefault(spec.default);
  const defaultText = shown === '' ? '' : ` (default ${shown})`;
  const envText = spec.env === undefined ? '' : ` [$${spec.env}]`;
  return { name, left: `  ${short}--${name}${type}`, help: `${spec.help}${defaultText}${envText}` };
}

/** Renders the full help text, ending in a newline. */
export function formatUsage(specs: FlagSpecs, options: UsageOptions): string {
  const sections = new Map<string, Row[]>([['', []]]);
  for (const [name, spec] of Object.entries(specs)) {
    const key = spec.group ?? '';
    const rows = sections.get(key) ?? [];
    rows.push(row(name, spec));
    sections.set(key, rows);
  }
  const generic = sections.get('') as Row[];
  generic.push({ name: 'help', left: '  -h, --help', help: `help for ${options.name}` });
  if ((options.versionFlag ?? true) && !('version' in specs)) {
    generic.push({ name: 'version', left: '      --version', help: 'Print version and exit.' });
  }
  const width = Math.max(...[...sections.values()].flat().map((r) => r.left.length));

  const lines: string[] = [];
  if (options.description !== undefined && options.description !== '') {
    lines.push(options.description.trimEnd(), '');
  }
  const argsUsage = options.argsUsage === undefined ? '' : ` ${options.argsUsage}`;
  lines.push('Usage:', `  ${options.name} [flags]${argsUsage}`);
  for (const [group, rows] of sections) {
    if (rows.length === 0) continue;
    lines.push('', group === '' ? 'Flags:' : `${group}:`);
    rows.sort((a, b) => a.name.localeCompare(b.name));
    for (const r of rows) {
      const indent = ' '.repeat(width + 3);
      const help = r.help.replaceAll('\n', `\n${indent}`);
      lines.push(`${r.left.padEnd(width)}   ${help}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
