import { SimDisk } from '@kubets/sim';
import { describe, expect, it } from 'vitest';
import { SimDiskFs } from './fs.js';
import {
  SnapshotCorruptError,
  SnapshotDir,
  decodeSnapshotFile,
  encodeSnapshotFile,
} from './snapshot-file.js';

describe('snapshot files', () => {
  it('saves atomically, lists newest first, loads and purges', async () => {
    const disk = new SimDisk();
    const dir = new SnapshotDir(new SimDiskFs(disk), 'member/snap');
    await dir.save(1, 10, { metadata: Buffer.from('m10'), state: Buffer.from('s10') });
    await dir.save(2, 30, { metadata: Buffer.from('m30'), state: Buffer.from('s30') });
    await dir.save(2, 20, { metadata: Buffer.from('m20'), state: Buffer.from('s20') });
    disk.crash(); // everything was synced
    expect((await dir.list()).map((s) => s.index)).toEqual([30, 20, 10]);
    const loaded = await dir.load((await dir.list())[0]!.name);
    expect(Buffer.from(loaded.state).toString()).toBe('s30');
    await dir.purge(2);
    expect((await dir.list()).map((s) => s.index)).toEqual([30, 20]);
  });

  it('detects corruption and foreign files', () => {
    const file = encodeSnapshotFile({ metadata: Buffer.from('meta'), state: Buffer.alloc(100, 1) });
    expect(Buffer.from(decodeSnapshotFile(file, 'x').metadata).toString()).toBe('meta');
    const flipped = Buffer.from(file);
    flipped[flipped.length - 5]! ^= 0x10;
    expect(() => decodeSnapshotFile(flipped, '/d/s.snap')).toThrow(
      'snapshot: /d/s.snap is corrupt: checksum mismatch',
    );
    expect(() => decodeSnapshotFile(Buffer.from('SQLite format 3\0......'), 'db')).toThrow(
      SnapshotCorruptError,
    );
  });
});
