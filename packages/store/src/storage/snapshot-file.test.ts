import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { SimDisk } from '@kubets/sim';
import { describe, expect, it } from 'vitest';
import { NodeFs, SimDiskFs } from './fs.js';
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

describe('snapshot files written as the state is encoded', () => {
  /** The state in pieces, one per turn of the event loop, as an encoder in slices gives it. */
  async function* pieces(parts: string[], onEach?: (i: number) => void): AsyncGenerator<Buffer> {
    for (const [i, p] of parts.entries()) {
      await new Promise((resolve) => setImmediate(resolve));
      onEach?.(i);
      yield Buffer.from(p);
    }
  }

  it('streams the pieces, syncing every few bytes, and loads them back as one state', async () => {
    const disk = new SimDisk();
    const dir = new SnapshotDir(new SimDiskFs(disk), 'member/snap');
    const parts = ['alpha-', 'beta-', 'gamma-', 'delta'];
    const syncsBefore = disk.stats.syncs;
    await dir.save(
      3,
      40,
      { metadata: Buffer.from('m40'), state: pieces(parts) },
      { syncEveryBytes: 8 },
    );
    // Every 8 bytes, then the head and the directory.
    expect(disk.stats.syncs - syncsBefore).toBeGreaterThanOrEqual(4);
    disk.crash();
    const [only] = await dir.list();
    const loaded = await dir.load(only!.name);
    expect(Buffer.from(loaded.state).toString()).toBe(parts.join(''));
    expect(Buffer.from(loaded.metadata).toString()).toBe('m40');
  });

  it('leaves no snapshot file behind when the state stops coming (aborted encode, crash)', async () => {
    const disk = new SimDisk();
    const fs = new SimDiskFs(disk);
    const dir = new SnapshotDir(fs, 'member/snap');
    const failing = pieces(['one', 'two', 'three'], (i) => {
      if (i === 2) throw new Error('aborted');
    });
    await expect(dir.save(1, 5, { metadata: Buffer.from('m'), state: failing })).rejects.toThrow(
      'aborted',
    );
    expect(await fs.list('member/snap')).toEqual([]);

    // Power lost in the middle of the stream (the process dies with it): after a restart
    // there is no snapshot 6, at most a temporary file the next purge removes.
    const crashing = pieces(['one', 'two', 'three'], (i) => {
      if (i === 2) {
        disk.crash();
        throw new Error('power lost');
      }
    });
    await expect(
      dir.save(1, 6, { metadata: Buffer.from('m'), state: crashing }, { syncEveryBytes: 1 }),
    ).rejects.toThrow('power lost');
    expect(await dir.list()).toEqual([]);
  });

  it('refuses a file cut short in the middle, naming it', async () => {
    const disk = new SimDisk();
    const fs = new SimDiskFs(disk);
    const dir = new SnapshotDir(fs, 'member/snap');
    const name = await dir.save(2, 9, {
      metadata: Buffer.from('meta'),
      state: pieces(['x'.repeat(1000), 'y'.repeat(1000)]),
    });
    const path = `member/snap/${name}`;
    disk.truncate(path, disk.size(path) - 700);
    await expect(dir.load(name)).rejects.toThrow(
      `snapshot: simdisk:${path} is corrupt: truncated: body of`,
    );
    // The head alone, as a file whose head was written but not its body would look.
    disk.truncate(path, 20);
    await expect(dir.load(name)).rejects.toThrow(`snapshot: simdisk:${path} is corrupt`);
  });

  it('reads version 1 files, whose state was length-prefixed', () => {
    const metadata = Buffer.from('meta');
    const state = Buffer.from('old state');
    const body = Buffer.concat([
      Buffer.from([metadata.length]),
      metadata,
      Buffer.from([state.length]),
      state,
    ]);
    const head = Buffer.alloc(28);
    head.write('kubets-snap\0', 'latin1');
    head.writeUInt32LE(1, 12);
    head.writeUInt32LE(crc32(body), 16);
    head.writeBigUInt64LE(BigInt(body.length), 20);
    const loaded = decodeSnapshotFile(Buffer.concat([head, body]), 'v1.snap');
    expect(Buffer.from(loaded.state).toString()).toBe('old state');
  });

  it('writes the same bytes on a real directory, the head filled in last', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kubets-snap-'));
    const fs = new NodeFs(root);
    try {
      const dir = new SnapshotDir(fs, 'member/snap');
      const parts = ['a'.repeat(5000), 'b'.repeat(3000)];
      const name = await dir.save(
        1,
        7,
        { metadata: Buffer.from('m7'), state: pieces(parts) },
        { syncEveryBytes: 4096 },
      );
      expect(await fs.list('member/snap')).toEqual([name]);
      const raw = await dir.readRaw(name);
      expect(raw).toEqual(
        encodeSnapshotFile({ metadata: Buffer.from('m7'), state: Buffer.from(parts.join('')) }),
      );
    } finally {
      await fs.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
