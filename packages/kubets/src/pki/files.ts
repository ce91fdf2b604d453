/**
 * The disk side: writing a set of PKI files with the right permission bits, never overwriting
 * unless asked, and reading them back with errors that name the file.
 *
 * Each file is written to a temporary name in its directory and renamed into place, so a reader
 * never sees half a key, and the mode is set at creation (a key is never briefly world-readable,
 * and an existing file's looser mode is not inherited on `--force`).
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import type { PkiFile } from './cluster-pki.js';

/** Files that exist already and would be replaced. */
export class ExistingFilesError extends Error {
  constructor(readonly paths: string[]) {
    super(
      `refusing to overwrite existing ${paths.length === 1 ? 'file' : 'files'}: ${listPaths(paths)}`,
    );
    this.name = 'ExistingFilesError';
  }
}

/** Up to `shown` paths, then "and N more", to keep a refusal readable. */
export function listPaths(paths: readonly string[], shown = 4): string {
  if (paths.length <= shown + 1) return paths.join(', ');
  return `${paths.slice(0, shown).join(', ')} and ${paths.length - shown} more`;
}

/**
 * Checks that `path` is relative and stays inside its directory (`etcd/peer` yes,
 * `../x` or `/etc/x` no). Returns it normalised.
 */
export function checkRelativePath(path: string): string {
  const normalised = normalize(path);
  if (path === '' || isAbsolute(path) || normalised.startsWith(`..${sep}`) || normalised === '..') {
    throw new Error(`"${path}" must be a relative path inside the directory`);
  }
  return normalised;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export interface WriteOptions {
  /** Replace existing files instead of refusing. */
  force: boolean;
}

/** Where each file goes: `dir` joined with its relative path. */
export interface FileDestination {
  file: PkiFile;
  path: string;
}

export function destinations(
  files: readonly PkiFile[],
  dirFor: (file: PkiFile) => string,
): FileDestination[] {
  return files.map((file) => ({ file, path: join(dirFor(file), checkRelativePath(file.path)) }));
}

/** Those of `paths` that exist (as anything, even a dangling symlink). */
export async function existingPaths(paths: readonly string[]): Promise<string[]> {
  const present: string[] = [];
  for (const path of paths) if (await exists(path)) present.push(path);
  return present;
}

/**
 * Writes every file, or none when some exist and `force` is off (then throws
 * `ExistingFilesError` naming all of them). Directories are created as needed (0755, like
 * kubeadm's pki directory: the keys inside are protected by their own modes).
 */
export async function writeFiles(
  targets: readonly FileDestination[],
  options: WriteOptions,
): Promise<void> {
  if (!options.force) {
    const present = await existingPaths(targets.map((target) => target.path));
    if (present.length > 0) throw new ExistingFilesError(present);
  }
  for (const target of targets) {
    await mkdir(dirname(target.path), { recursive: true, mode: 0o755 });
    await writeAtomically(target.path, target.file.contents, target.file.mode);
  }
}

async function writeAtomically(path: string, contents: string, mode: number): Promise<void> {
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(contents);
    // The umask may have cleared bits of `mode` at creation; set exactly what was asked.
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temporary, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Reads a UTF-8 file; a missing or unreadable file becomes an Error naming it. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${what} ${path} does not exist`);
    throw new Error(
      `cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Relative path of `path` under `dir`, for messages and listings. */
export function displayPath(dir: string, path: string): string {
  const rel = relative(dir, path);
  return rel.startsWith('..') ? path : rel;
}
