import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The fields of a workspace package.json that the repository checks read. */
export interface PackageManifest {
  name?: string;
  version?: string;
  private?: boolean;
  type?: string;
  license?: string;
  description?: string;
  repository?: unknown;
  engines?: Record<string, string>;
  files?: string[];
  exports?: unknown;
  bin?: Record<string, string> | string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  kubets?: { layer?: number; devOnly?: boolean };
  workspaces?: string[];
}

export interface WorkspacePackage {
  /** Absolute folder of the package. */
  dir: string;
  /** Folder relative to the repository root, e.g. `packages/raft`. */
  relDir: string;
  manifest: PackageManifest;
}

export function readManifest(dir: string): PackageManifest {
  const file = join(dir, 'package.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
  } catch (err) {
    throw new Error(`${file}: cannot read package.json: ${(err as Error).message}`);
  }
}

/**
 * Lists the workspace packages named by the root package.json's `workspaces`. Only the two
 * forms this repository uses are supported: a folder (`e2e`) and a folder's children (`packages/*`).
 */
export function listWorkspacePackages(root: string): WorkspacePackage[] {
  const patterns = readManifest(root).workspaces ?? [];
  const dirs: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const parent = join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const entry of readdirSync(parent, { withFileTypes: true }).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        if (entry.isDirectory()) dirs.push(join(parent, entry.name));
      }
    } else if (!pattern.includes('*')) {
      dirs.push(join(root, pattern));
    } else {
      throw new Error(
        `workspace pattern ${JSON.stringify(pattern)} is not supported (use "dir" or "dir/*")`,
      );
    }
  }
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, relDir: relative(root, dir), manifest: readManifest(dir) }));
}

/** Recursively lists files under `dir` whose names end with one of `suffixes`, skipping build output. */
export function listSourceFiles(dir: string, suffixes: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (current: string): void => {
    if (!existsSync(current)) return;
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.'))
        continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (suffixes.some((s) => entry.name.endsWith(s)) && !entry.name.endsWith('.d.ts'))
        out.push(path);
    }
  };
  walk(dir);
  return out;
}
