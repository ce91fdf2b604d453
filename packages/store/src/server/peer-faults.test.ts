import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PARTITION_FILE_ENV, parsePartitionFile, peerFaultsFromEnv } from './peer-faults.js';

describe('test-only partition injection', () => {
  it('parses names and hex IDs separated by commas, spaces or newlines', () => {
    expect([...parsePartitionFile('s1, s2\n a3f \n\n')]).toEqual(['s1', 's2', 'a3f']);
  });

  it('does nothing without the environment variable', () => {
    expect(peerFaultsFromEnv({}, () => 'x').blocked(1)).toBe(false);
  });

  it('follows the file: blocks listed members by name or ID, heals when emptied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubets-faults-'));
    const file = join(dir, 'partition');
    writeFileSync(file, 's2\nff');
    const names = new Map([
      [2, 's2'],
      [3, 's3'],
    ]);
    const faults = peerFaultsFromEnv({ [PARTITION_FILE_ENV]: file }, (id) => names.get(id));
    try {
      const until = async (cond: () => boolean): Promise<void> => {
        for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
      };
      await until(() => faults.blocked(2));
      expect([faults.blocked(2), faults.blocked(0xff), faults.blocked(3)]).toEqual([
        true,
        true,
        false,
      ]);
      writeFileSync(file, '');
      await until(() => !faults.blocked(2));
      expect(faults.blocked(2)).toBe(false);
    } finally {
      faults.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
