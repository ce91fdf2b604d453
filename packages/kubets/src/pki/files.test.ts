import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/temp-dir.js';
import {
  ExistingFilesError,
  checkRelativePath,
  destinations,
  listPaths,
  readTextFile,
  writeFiles,
} from './files.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await makeTempDir()));
afterEach(async () => remove());

const files = [
  { path: 'ca.crt', contents: 'cert', mode: 0o644 },
  { path: 'ca.key', contents: 'key', mode: 0o600 },
  { path: 'etcd/ca.key', contents: 'etcd key', mode: 0o600 },
];
const mode = async (path: string) => (await stat(join(dir, path))).mode & 0o777;

describe('writeFiles', () => {
  it('writes contents with exact modes, creating directories', async () => {
    const oldUmask = process.umask(0o077); // a strict umask must not strip 0644 either
    try {
      await writeFiles(
        destinations(files, () => dir),
        { force: false },
      );
    } finally {
      process.umask(oldUmask);
    }
    expect(await readFile(join(dir, 'etcd/ca.key'), 'utf8')).toBe('etcd key');
    expect(await mode('ca.crt')).toBe(0o644);
    expect(await mode('ca.key')).toBe(0o600);
    expect(await mode('etcd/ca.key')).toBe(0o600);
    // No temporary files left behind.
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'ca.key', 'etcd']);
  });

  it('refuses to overwrite, names every existing file, and writes nothing', async () => {
    await writeFile(join(dir, 'ca.key'), 'old key');
    const error = await writeFiles(
      destinations(files, () => dir),
      { force: false },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistingFilesError);
    expect((error as ExistingFilesError).paths).toEqual([join(dir, 'ca.key')]);
    expect((error as Error).message).toBe(
      `refusing to overwrite existing file: ${join(dir, 'ca.key')}`,
    );
    expect(await readFile(join(dir, 'ca.key'), 'utf8')).toBe('old key');
    expect(await readdir(dir)).toEqual(['ca.key']);
  });

  it('replaces with force and tightens a looser existing mode', async () => {
    await writeFile(join(dir, 'ca.key'), 'old key');
    await chmod(join(dir, 'ca.key'), 0o644);
    await writeFiles(
      destinations(files, () => dir),
      { force: true },
    );
    expect(await readFile(join(dir, 'ca.key'), 'utf8')).toBe('key');
    expect(await mode('ca.key')).toBe(0o600);
  });
});

describe('checkRelativePath', () => {
  it('keeps paths inside the directory', () => {
    expect(checkRelativePath('etcd/peer')).toBe('etcd/peer');
    expect(checkRelativePath('a/../b')).toBe('b');
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', '', '..']) {
      expect(() => checkRelativePath(bad), bad).toThrow(
        'must be a relative path inside the directory',
      );
    }
  });
});

describe('listPaths', () => {
  it('shortens long lists', () => {
    expect(listPaths(['a', 'b'])).toBe('a, b');
    expect(listPaths(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c, d, e');
    expect(listPaths(['a', 'b', 'c', 'd', 'e', 'f'])).toBe('a, b, c, d and 2 more');
  });
});

describe('readTextFile', () => {
  it('names a missing file', async () => {
    await expect(readTextFile(join(dir, 'nope.crt'), 'CA certificate')).rejects.toThrow(
      `CA certificate ${join(dir, 'nope.crt')} does not exist`,
    );
  });
});
