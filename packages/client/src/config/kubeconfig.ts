/**
 * Kubeconfig files as kubectl reads them (client-go tools/clientcmd): the v1 `Config` format,
 * the loading precedence (`--kubeconfig`, then the `KUBECONFIG` list, then `~/.kube/config`) and
 * the merge rules of a `KUBECONFIG` list. File access is injected so the rules are unit-testable.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** A named extension (`extensions: [{name, extension}]`); the extension is free-form. */
export interface NamedExtension {
  name: string;
  extension: unknown;
}

/** `clusters[].cluster`. */
export interface Cluster {
  server?: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  /** A PEM file; relative paths are resolved against the kubeconfig's directory on load. */
  'certificate-authority'?: string;
  /** Base64 of PEM. */
  'certificate-authority-data'?: string;
  'proxy-url'?: string;
  extensions?: NamedExtension[];
}

/** `users[].user` (the fields kubets uses; others are kept but ignored). */
export interface AuthInfo {
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  as?: string;
  'as-groups'?: string[];
  'as-uid'?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
  extensions?: NamedExtension[];
}

/** `contexts[].context`. */
export interface Context {
  cluster?: string;
  user?: string;
  namespace?: string;
  extensions?: NamedExtension[];
}

/** A kubeconfig with its lists turned into maps (clientcmdapi.Config). */
export interface Kubeconfig {
  currentContext: string;
  clusters: Map<string, Cluster>;
  users: Map<string, AuthInfo>;
  contexts: Map<string, Context>;
  /** The files it was read from, first one first (empty for an in-memory config). */
  sources: string[];
}

export function emptyKubeconfig(): Kubeconfig {
  return {
    currentContext: '',
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    sources: [],
  };
}

/** A kubeconfig that cannot be used; the message says which file and what is wrong. */
export class KubeconfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeconfigError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function namedList<T>(
  doc: Record<string, unknown>,
  listKey: string,
  itemKey: string,
  where: string,
): Map<string, T> {
  const out = new Map<string, T>();
  const list = doc[listKey];
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new KubeconfigError(`${where}: "${listKey}" must be a list`);
  for (const [i, entry] of list.entries()) {
    if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
      throw new KubeconfigError(`${where}: ${listKey}[${i}] must have a non-empty "name"`);
    }
    const value = entry[itemKey] ?? {};
    if (!isRecord(value)) {
      throw new KubeconfigError(`${where}: ${listKey}[${i}].${itemKey} must be a mapping`);
    }
    // Within one file a repeated name is an error upstream (the v1 -> internal conversion).
    if (out.has(entry.name)) {
      throw new KubeconfigError(`${where}: duplicate name "${entry.name}" in ${listKey}`);
    }
    out.set(entry.name, value as T);
  }
  return out;
}

/** Parses one kubeconfig document (YAML or JSON). `where` names it in errors. */
export function parseKubeconfig(text: string, where = 'kubeconfig'): Kubeconfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new KubeconfigError(`${where}: ${(err as Error).message}`, { cause: err });
  }
  // An empty file is a valid, empty config (kubectl creates one on first use).
  if (doc === null || doc === undefined) return emptyKubeconfig();
  if (!isRecord(doc)) throw new KubeconfigError(`${where}: not a kubeconfig (expected a mapping)`);
  if (doc.kind !== undefined && doc.kind !== 'Config') {
    throw new KubeconfigError(`${where}: kind ${JSON.stringify(doc.kind)} is not a Config`);
  }
  const current = doc['current-context'];
  return {
    currentContext: typeof current === 'string' ? current : '',
    clusters: namedList<Cluster>(doc, 'clusters', 'cluster', where),
    users: namedList<AuthInfo>(doc, 'users', 'user', where),
    contexts: namedList<Context>(doc, 'contexts', 'context', where),
    sources: [],
  };
}

function resolveIn(dir: string, path: string | undefined): string | undefined {
  if (path === undefined || path === '' || isAbsolute(path)) return path;
  return resolve(dir, path);
}

/**
 * clientcmd.ResolveLocalPaths: file references are relative to the kubeconfig that holds them,
 * not to the working directory, so a kubeconfig keeps working when read from anywhere.
 */
export function resolveLocalPaths(config: Kubeconfig, dir: string): Kubeconfig {
  const clusters = new Map<string, Cluster>();
  for (const [name, c] of config.clusters) {
    clusters.set(name, {
      ...c,
      'certificate-authority': resolveIn(dir, c['certificate-authority']),
    });
  }
  const users = new Map<string, AuthInfo>();
  for (const [name, u] of config.users) {
    users.set(name, {
      ...u,
      'client-certificate': resolveIn(dir, u['client-certificate']),
      'client-key': resolveIn(dir, u['client-key']),
      tokenFile: resolveIn(dir, u.tokenFile),
    });
  }
  for (const m of [clusters, users]) {
    for (const v of m.values()) {
      for (const k of Object.keys(v)) {
        if ((v as Record<string, unknown>)[k] === undefined)
          delete (v as Record<string, unknown>)[k];
      }
    }
  }
  return { ...config, clusters, users };
}

/**
 * Merges kubeconfigs as a `KUBECONFIG` list is merged: the first file to define a cluster, user
 * or context name wins that name (later definitions are ignored whole, not merged field by field),
 * and the first file to set `current-context` wins it.
 */
export function mergeKubeconfigs(configs: readonly Kubeconfig[]): Kubeconfig {
  const out = emptyKubeconfig();
  for (const c of configs) {
    if (out.currentContext === '' && c.currentContext !== '') out.currentContext = c.currentContext;
    for (const [k, v] of c.clusters) if (!out.clusters.has(k)) out.clusters.set(k, v);
    for (const [k, v] of c.users) if (!out.users.has(k)) out.users.set(k, v);
    for (const [k, v] of c.contexts) if (!out.contexts.has(k)) out.contexts.set(k, v);
    out.sources.push(...c.sources);
  }
  return out;
}

/** How {@link loadKubeconfig} reaches the file system and environment (injectable for tests). */
export interface KubeconfigLoadOptions {
  /** `--kubeconfig`: only this file is read, and it must exist. */
  explicitPath?: string;
  /** The environment (default `process.env`); `KUBECONFIG` and `HOME` are read from it. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file; throws an error with `code: 'ENOENT'` when it does not exist. */
  readFile?: (path: string) => string;
  /** The home directory (default: `env.HOME`, then `os.homedir()`). */
  home?: string;
}

function isNotExist(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

const defaultReadFile = (path: string): string => {
  // A directory in the list is a mistake worth naming, not an ENOENT to skip.
  if (statSync(path).isDirectory()) throw new Error(`${path} is a directory`);
  return readFileSync(path, 'utf8');
};

/** The files {@link loadKubeconfig} would read, in precedence order. */
export function kubeconfigPaths(options: KubeconfigLoadOptions = {}): {
  paths: string[];
  explicit: boolean;
} {
  if (options.explicitPath) return { paths: [options.explicitPath], explicit: true };
  const env = options.env ?? process.env;
  const list = env.KUBECONFIG;
  if (list) {
    // Empty entries are skipped and repeated files read once (clientcmd deduplicates).
    const seen = new Set<string>();
    const paths: string[] = [];
    for (const p of list.split(delimiter)) {
      if (p === '' || seen.has(p)) continue;
      seen.add(p);
      paths.push(p);
    }
    return { paths, explicit: false };
  }
  const home = options.home ?? env.HOME ?? homedir();
  return { paths: [join(home, '.kube', 'config')], explicit: false };
}

/**
 * Loads the kubeconfig kubectl would use. Files of a `KUBECONFIG` list (and the default
 * `~/.kube/config`) that do not exist are skipped; an explicit path that does not exist is an
 * error. Relative paths inside each file are resolved against that file's directory before the
 * merge. With no file at all the result is an empty config, which {@link buildClientConfig}
 * rejects with kubectl's "no configuration has been provided".
 */
export function loadKubeconfig(options: KubeconfigLoadOptions = {}): Kubeconfig {
  const read = options.readFile ?? defaultReadFile;
  const { paths, explicit } = kubeconfigPaths(options);
  const configs: Kubeconfig[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = read(path);
    } catch (err) {
      if (isNotExist(err) && !explicit) continue;
      if (isNotExist(err)) {
        throw new KubeconfigError(`stat ${path}: no such file or directory`, { cause: err });
      }
      throw new KubeconfigError(`error loading config file "${path}": ${(err as Error).message}`, {
        cause: err,
      });
    }
    const parsed = parseKubeconfig(text, `error loading config file "${path}"`);
    const abs = resolve(path);
    configs.push({ ...resolveLocalPaths(parsed, dirname(abs)), sources: [abs] });
  }
  return mergeKubeconfigs(configs);
}
