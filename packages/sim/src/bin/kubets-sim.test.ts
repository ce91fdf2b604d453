import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../dist/bin/kubets-sim.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('kubets-sim', () => {
  it('lists its flags on --help', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--seeds int');
    expect(r.stdout).toContain('KUBETS_SIM_SEED');
  });

  it('names the bad flag and exits 2', () => {
    expect(run('--seeds=many')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('for "--seeds" flag'),
    });
    expect(run('--sedes=1')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('unknown flag: --sedes=1'),
    });
  });
});
