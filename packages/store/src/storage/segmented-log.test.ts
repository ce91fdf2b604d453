import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng, SimDisk, runSimulation, simulationSeeds } from '@kubets/sim';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeFs, SimDiskFs, type StorageFs } from './fs.js';
import { HEADER_BYTES, SegmentedLog, WalCorruptError, type WalRecord } from './segmented-log.js';

const META = Buffer.from('member-1/cluster-9');
const rec = (i: number): WalRecord => ({ type: 2, payload: Buffer.from(`record-${i}`) });
const texts = (records: WalRecord[]) => records.map((r) => r.payload.toString());

function opts(fs: StorageFs, extra: Partial<Parameters<typeof SegmentedLog.create>[0]> = {}) {
  return { fs, dir: 'member/wal', metadata: META, ...extra };
}

describe('SegmentedLog on SimDisk', () => {
  it('returns synced records after a crash and loses unsynced ones', async () => {
    const disk = new SimDisk();
    const fs = new SimDiskFs(disk);
    const log = await SegmentedLog.create(opts(fs));
    for (let i = 0; i < 3; i++) log.append(2, rec(i).payload);
    await log.sync();
    log.append(2, rec(3).payload); // never synced
    disk.crash();
    const { records, torn } = await SegmentedLog.open(opts(fs));
    expect(texts(records)).toEqual(['record-0', 'record-1', 'record-2']);
    expect(torn).toBeUndefined();
  });

  it('shares one fdatasync between concurrent sync calls (group commit)', async () => {
    const disk = new SimDisk();
    const fs = new SimDiskFs(disk);
    const log = await SegmentedLog.create(opts(fs));
    const before = disk.stats.syncs;
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      log.append(2, rec(i).payload);
      waits.push(log.sync());
    }
    await Promise.all(waits);
    expect(disk.stats.syncs - before).toBeLessThanOrEqual(2);
    const { records } = await SegmentedLog.open(opts(fs));
    expect(records).toHaveLength(50);
  });

  it('truncates a torn tail under random crash points during the last write', async () => {
    let tornSeen = 0;
    for (const seed of simulationSeeds([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])) {
      await runSimulation('wal torn tail', seed, async (prng) => {
        const disk = new SimDisk({ prng: prng.fork('disk'), tornWrites: true });
        // The power fails after the last batch reached the page cache, before its fdatasync.
        let powerFails = false;
        const fs = new (class extends SimDiskFs {
          override sync(path: string): Promise<void> {
            if (!powerFails) return super.sync(path);
            disk.crash();
            return Promise.reject(new Error('power failure'));
          }
        })(disk);
        const log = await SegmentedLog.create(opts(fs));
        let synced = 0;
        let appended = 0;
        const rounds = prng.range(1, 6);
        for (let r = 0; r < rounds; r++) {
          const n = prng.range(1, 20);
          for (let i = 0; i < n; i++) log.append(2, rec(appended++).payload);
          powerFails = r === rounds - 1;
          const done = await log.sync().then(
            () => true,
            () => false,
          );
          if (done) synced = appended;
        }
        powerFails = false;
        const { records, torn } = await SegmentedLog.open(opts(fs));
        if (torn) tornSeen++;
        // Everything synced survives, in order; the interrupted batch leaves only a prefix.
        expect(records.length).toBeGreaterThanOrEqual(synced);
        expect(records.length).toBeLessThanOrEqual(appended);
        expect(texts(records)).toEqual(
          Array.from({ length: records.length }, (_, i) => `record-${i}`),
        );
        // And the repaired log accepts new records.
        const again = await SegmentedLog.open(opts(fs));
        again.log.append(2, Buffer.from('after'));
        await again.log.sync();
        const last = await SegmentedLog.open(opts(fs));
        expect(texts(last.records).at(-1)).toBe('after');
      });
    }
    // The seeds must actually exercise torn records, or this test proves nothing.
    expect(tornSeen).toBeGreaterThan(0);
  });

  it('reports a torn record explicitly', async () => {
    const disk = new SimDisk();
    const fs = new SimDiskFs(disk);
    const log = await SegmentedLog.create(opts(fs));
    log.append(2, rec(0).payload);
    log.append(2, rec(1).payload);
    await log.sync();
    const [name] = await fs.list('member/wal');
    const path = `member/wal/${name}`;
    const size = disk.size(path);
    disk.truncate(path, size - 3); // the last record loses its tail
    disk.syncAll();
    const { records, torn } = await SegmentedLog.open(opts(fs));
    expect(texts(records)).toEqual(['record-0']);
    expect(torn).toMatchObject({
      file: `simdisk:${path}`,
      reason: expect.stringContaining('past the end'),
    });
  });

  it('stops on corruption before the tail, naming the file and offset', async () => {
    const disk = new SimDisk();
    const fs = new SimDiskFs(disk);
    const log = await SegmentedLog.create(opts(fs));
    for (let i = 0; i < 3; i++) log.append(2, rec(i).payload);
    await log.sync();
    const [name] = await fs.list('member/wal');
    const path = `member/wal/${name}`;
    const all = disk.read(path);
    // Offset of record-1: after the metadata record and record-0.
    const metaLen = HEADER_BYTES + 1 + 12 + META.length;
    const rec0Len = HEADER_BYTES + 1 + 'record-0'.length;
    const target = metaLen + rec0Len;
    disk.corrupt(path, target + HEADER_BYTES + 3);
    expect(all.length).toBeGreaterThan(target);
    await expect(SegmentedLog.open(opts(fs))).rejects.toThrow(
      `wal: corrupt record in simdisk:${path} at offset ${target}: record checksum mismatch`,
    );
    const err = await SegmentedLog.open(opts(fs)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptError);
  });

  it('treats a damaged length field as corruption, not as a torn tail', async () => {
    const disk = new SimDisk();
    const fs = new SimDiskFs(disk);
    const log = await SegmentedLog.create(opts(fs));
    for (let i = 0; i < 3; i++) log.append(2, rec(i).payload);
    await log.sync();
    const [name] = await fs.list('member/wal');
    const path = `member/wal/${name}`;
    const metaLen = HEADER_BYTES + 1 + 12 + META.length;
    disk.corrupt(path, metaLen + 1); // inside record-0's length
    await expect(SegmentedLog.open(opts(fs))).rejects.toThrow(/header checksum mismatch/);
  });

  it('refuses a log written for another member or cluster', async () => {
    const fs = new SimDiskFs(new SimDisk());
    const log = await SegmentedLog.create(opts(fs));
    await log.sync();
    await expect(
      SegmentedLog.open(opts(fs, { metadata: Buffer.from('member-2/cluster-9') })),
    ).rejects.toThrow(/belongs to a different member or cluster/);
  });

  it('cuts segments, reads across them and releases old ones', async () => {
    const fs = new SimDiskFs(new SimDisk());
    const log = await SegmentedLog.create(opts(fs, { segmentBytes: 100 }), 1);
    let index = 1;
    log.setHeadRecords(() => [{ type: 3, payload: Buffer.from(`head-${index}`) }]);
    for (let s = 0; s < 4; s++) {
      const before = log.segmentNames.length;
      // Each sync past the segment size cuts a new segment named after the next entry index.
      while (log.segmentNames.length === before) {
        log.append(2, rec(index).payload, index);
        index++;
        await log.sync();
      }
      expect(log.segmentNames.at(-1)).toMatch(
        new RegExp(`-${index.toString(16).padStart(16, '0')}\\.wal$`),
      );
    }
    expect(log.segmentNames).toHaveLength(5);
    const { records } = await SegmentedLog.open(opts(fs));
    expect(records.filter((r) => r.type === 2)).toHaveLength(index - 1);
    expect(records.filter((r) => r.type === 3)).toHaveLength(4);
    const secondStart = parseInt(log.segmentNames[2]!.slice(17, 33), 16);
    expect(await log.releaseBefore(secondStart)).toBe(2);
    expect(log.segmentNames).toHaveLength(3);
    const reopened = await SegmentedLog.open(opts(fs));
    expect(reopened.records[0]!.payload.toString()).toBe(`head-${secondStart}`);
  });

  it('detects a missing segment in the middle', async () => {
    const disk = new SimDisk();
    const fs = new SimDiskFs(disk);
    const log = await SegmentedLog.create(opts(fs, { segmentBytes: 50 }), 1);
    for (let s = 0; s < 3; s++) {
      log.append(2, rec(s).payload, s + 1);
      await log.cut();
    }
    disk.remove(`member/wal/${log.segmentNames[1]!}`);
    disk.syncAll();
    await expect(SegmentedLog.open(opts(fs))).rejects.toThrow(/segment sequence gap/);
  });
});

describe('SegmentedLog on a real directory', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips records through real files with fdatasync', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-wal-'));
    const fs = new NodeFs(dir);
    const synced: number[] = [];
    const log = await SegmentedLog.create(
      opts(fs, { onSync: (s) => synced.push(s), now: () => performance.now() }),
    );
    const prng = new Prng(7);
    const payloads = Array.from({ length: 100 }, () =>
      Buffer.alloc(prng.range(0, 300), prng.int(256)),
    );
    for (const p of payloads) log.append(5, p);
    await log.sync();
    await fs.close();
    expect(synced.length).toBeGreaterThan(0);
    const { records } = await SegmentedLog.open(opts(new NodeFs(dir)));
    expect(records.map((r) => r.payload)).toEqual(payloads);
  });

  it('writes synchronously once the segment is open, falling back to sync() around cuts', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-wal-'));
    const fs = new NodeFs(dir);
    const log = await SegmentedLog.create(opts(fs, { segmentBytes: 600 }));
    const written: string[] = [];
    let fallbacks = 0;
    for (let i = 0; i < 40; i++) {
      log.append(5, Buffer.from(`record-${i}`), i + 1);
      written.push(`record-${i}`);
      // The first write opens the file (asynchronously) and a full segment needs a cut.
      if (!log.syncNow()) {
        fallbacks++;
        await log.sync();
      }
      expect(log.syncNow()).toBe(true); // nothing left to write
    }
    expect(fallbacks).toBeGreaterThan(1);
    expect(fallbacks).toBeLessThan(20);
    expect(log.segmentNames.length).toBeGreaterThan(1);
    await fs.close();
    const { records } = await SegmentedLog.open(opts(new NodeFs(dir)));
    expect(texts(records)).toEqual(written);
  });

  it('never writes synchronously on a file system without synchronous writes', async () => {
    const fs = new SimDiskFs(new SimDisk());
    const log = await SegmentedLog.create(opts(fs));
    log.append(5, Buffer.from('x'));
    expect(log.canSyncNow()).toBe(false);
    expect(log.syncNow()).toBe(false);
    await log.sync();
    expect(log.syncNow()).toBe(true);
  });
});
