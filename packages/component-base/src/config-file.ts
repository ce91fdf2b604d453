/**
 * Component config files (`--config`), YAML or JSON, checked against the `apiVersion` and
 * `kind` the component expects (`kubescheduler.config.k8s.io/v1`,
 * `KubeSchedulerConfiguration`). Every error names the file and, for syntax errors, the line.
 *
 * Precedence, as upstream: flags set on the command line > config file > defaults
 * (`mergeConfig` then `overlayFlags`).
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { parseAllDocuments, parseDocument } from 'yaml';
import type { FlagSpecs } from './flag-types.js';
import type { ParsedFlags } from './flags.js';

export interface ConfigKind {
  /** Accepted `apiVersion` values, newest first. */
  apiVersion: string | readonly string[];
  kind: string;
  /**
   * Further checks on the decoded object (unknown fields, value ranges). Returns the
   * problems, each a short sentence naming the field; empty when valid.
   */
  validate?: (config: Record<string, unknown>) => readonly string[];
}

export class ConfigFileError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    const where = line === undefined ? '' : `line ${line}, column ${column ?? 1}: `;
    super(`config file "${path}": ${where}${detail}`);
    this.name = 'ConfigFileError';
  }
}

/** Decodes and checks config file text. `path` is used only in error messages. */
export function parseConfigFile<T = Record<string, unknown>>(
  text: string,
  path: string,
  expected: ConfigKind,
): T {
  const document = decode(text, path);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ConfigFileError(
      path,
      `expected a mapping with apiVersion and kind, got ${describe(document)}`,
    );
  }
  const config = document as Record<string, unknown>;
  const versions =
    typeof expected.apiVersion === 'string' ? [expected.apiVersion] : expected.apiVersion;
  const wanted = versions.map((v) => JSON.stringify(v)).join(', ');
  if (config.kind === undefined) {
    throw new ConfigFileError(path, `missing kind (expected "${expected.kind}")`);
  }
  if (config.kind !== expected.kind) {
    throw new ConfigFileError(
      path,
      `unexpected kind ${JSON.stringify(config.kind)} (expected "${expected.kind}")`,
    );
  }
  if (config.apiVersion === undefined) {
    throw new ConfigFileError(path, `missing apiVersion (expected ${wanted})`);
  }
  if (typeof config.apiVersion !== 'string' || !versions.includes(config.apiVersion)) {
    throw new ConfigFileError(
      path,
      `unsupported apiVersion ${JSON.stringify(config.apiVersion)} for kind ${expected.kind} ` +
        `(supported: ${wanted})`,
    );
  }
  const problems = expected.validate?.(config) ?? [];
  if (problems.length > 0) {
    throw new ConfigFileError(path, `invalid ${expected.kind}: ${problems.join('; ')}`);
  }
  return config as T;
}

/** Reads and checks a config file. */
export async function loadConfigFile<T = Record<string, unknown>>(
  path: string,
  expected: ConfigKind,
  readFile: (path: string) => Promise<string> = (p) => fsReadFile(p, 'utf8'),
): Promise<T> {
  let text: string;
  try {
    text = await readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const detail =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot read: ${err instanceof Error ? err.message : String(err)}`;
    throw new ConfigFileError(path, detail);
  }
  return parseConfigFile<T>(text, path, expected);
}

/** JSON when the content starts like JSON, YAML otherwise. */
function decode(text: string, path: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') throw new ConfigFileError(path, 'file is empty');
  const first = body.trimStart()[0];
  if (first === '{' || first === '[') return decodeJson(body, path);
  return decodeYaml(body, path);
}

function decodeJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const position = /at position (\d+)/.exec(message);
    if (position !== null) {
      const { line, column } = lineColumn(text, Number(position[1]));
      throw new ConfigFileError(path, `invalid JSON: ${message}`, line, column);
    }
    // Some V8 messages carry no position; the YAML parser (JSON is YAML) can still find it.
    const located = parseDocument(text, { schema: 'json', uniqueKeys: true }).errors[0]
      ?.linePos?.[0];
    throw new ConfigFileError(path, `invalid JSON: ${message}`, located?.line, located?.col);
  }
}

function decodeYaml(text: string, path: string): unknown {
  // Input with only comments yields an empty list (yaml's EmptyStream).
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  for (const document of documents) {
    const error = document.errors[0];
    if (error !== undefined) {
      const detail = (error.message.split('\n')[0] ?? '').replace(
        / at line \d+, column \d+:?$/,
        '',
      );
      const pos = error.linePos?.[0];
      throw new ConfigFileError(path, `invalid YAML: ${detail}`, pos?.line, pos?.col);
    }
  }
  if (documents.length === 0) throw new ConfigFileError(path, 'file is empty');
  if (documents.length !== 1) {
    throw new ConfigFileError(path, `expected one YAML document, found ${documents.length}`);
  }
  const only = documents[0];
  if (only === undefined || only.contents === null)
    throw new ConfigFileError(path, 'file is empty');
  return only.toJS({ maxAliasCount: 100 }) as unknown;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Defaults overlaid with the file: nested objects merge, anything else (lists included) in the
 * file replaces the default. Neither input is modified.
 */
export function mergeConfig<C extends object>(defaults: C, file: object | undefined): C {
  const merge = (base: unknown, over: unknown): unknown => {
    if (over === undefined) return structuredClone(base);
    if (isPlainObject(base) && isPlainObject(over)) {
      const out: PlainObject = structuredClone(base);
      for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value);
      return out;
    }
    return structuredClone(over);
  };
  return merge(defaults, file) as C;
}

/** Where a flag's value goes in the config: a dotted path, optionally converted. */
export type FlagBinding = string | { path: string; toConfig: (value: unknown) => unknown };

/**
 * Writes the flags that were set explicitly (command line or their environment variable) into
 * `config` at their bound paths; flags left at their defaults do not override the file.
 * Returns a new object.
 */
export function overlayFlags<C extends object, S extends FlagSpecs>(
  config: C,
  parsed: Pick<ParsedFlags<S>, 'values' | 'sources'>,
  bindings: { readonly [K in keyof S]?: FlagBinding },
): C {
  const out = structuredClone(config) as PlainObject;
  for (const [flag, binding] of Object.entries(bindings) as [keyof S & string, FlagBinding][]) {
    if (binding === undefined || parsed.sources[flag] === 'default') continue;
    const path = typeof binding === 'string' ? binding : binding.path;
    const value = parsed.values[flag] as unknown;
    setPath(out, path, typeof binding === 'string' ? value : binding.toConfig(value));
  }
  return out as C;
}

function setPath(target: PlainObject, path: string, value: unknown): void {
  const keys = path.split('.');
  if (keys.some((k) => k === '')) throw new Error(`invalid config path "${path}"`);
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) {
      node[key] = {};
    } else if (!isPlainObject(next)) {
      throw new Error(`config path "${path}": "${key}" is not an object`);
    }
    node = node[key] as PlainObject;
  }
  node[keys[keys.length - 1] as string] = structuredClone(value);
}
