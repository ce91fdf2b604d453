/**
 * The `kubets` binary as a real process: exit codes, streams and files, as a shell sees them.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForChild } from './build-for-child.js';
import type { ChildBuild } from './build-for-child.js';

let build: ChildBuild;
// Each process start loads the X.509 stack: ~0.5 s on an idle machine, seconds on a loaded one.
beforeAll(async () => {
  build = await buildForChild();
}, 30_000);
afterAll(async () => build?.remove());

function kubets(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [build.bin, ...args],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe('kubets binary', () => {
  // Unknown commands and every other usage error are covered in-process (src/cli); this checks
  // that the process really exits 2 and prints to stderr only.
  it('exits 2 with a message naming the flag for a bad flag value', async () => {
    const flag = await kubets(
      'pki',
      'init',
      '--dir=/nonexistent',
      '--service-cluster-ip-range=10.96.0.0/33',
    );
    expect(flag.code).toBe(2);
    expect(flag.stdout).toBe('');
    expect(flag.stderr).toBe(
      'error: invalid argument "10.96.0.0/33" for "--service-cluster-ip-range" flag: prefix length 33 out of range for IPv4 (0-32)\n' +
        "See 'kubets pki init --help' for usage.\n",
    );
  }, 30_000);

  it('creates a PKI (exit 0) and refuses to overwrite it (exit 1)', async () => {
    const dir = join(build.dir, 'pki');
    const first = await kubets('pki', 'init', `--dir=${dir}`, '--node-name=n1');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(await readdir(dir)).toContain('admin.conf');
    expect((await stat(join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);
    const second = await kubets('pki', 'init', `--dir=${dir}`, '--node-name=n1');
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`refusing to overwrite the existing CA ${join(dir, 'ca.crt')}`);
  }, 40_000);
});
