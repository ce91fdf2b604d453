import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
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
      // A full segment needs a cut (asynchronous); each segment's handle is open from its
      // creation (pre-allocation), so every other write happens on this thread.
      if (!log.syncNow()) {
        fallbacks++;
        await log.sync();
      }
      expect(log.syncNow()).toBe(true); // nothing left to write
    }
    expect(fallbacks).toBeGreaterThan(0);
    expect(fallbacks).toBeLessThan(5);
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

  describe('pre-allocated segments (decision 0023)', () => {
    const SEG = 64 * 1024;
    const walDir = () => join(dir!, 'member', 'wal');
    const segFiles = () => readdirSync(walDir()).filter((n) => n.endsWith('.wal'));
    const lastSeg = () => join(walDir(), segFiles().at(-1)!);
    /** A NodeFs that cannot pre-allocate: the log format of earlier versions. */
    class AppendOnlyFs extends NodeFs {
      override preallocate(): Promise<void> {
        return Promise.resolve();
      }
    }
    const written = async (n: number, extra: Partial<Parameters<typeof opts>[1]> = {}) => {
      dir = mkdtempSync(join(tmpdir(), 'kubets-wal-'));
      const fs = new NodeFs(dir);
      const log = await SegmentedLog.create(opts(fs, { segmentBytes: SEG, ...extra }));
      for (let i = 0; i < n; i++) {
        log.append(2, rec(i).payload, i + 1);
        if (!log.syncNow()) await log.sync();
      }
      await fs.close();
    };

    it('extends the segment with zeros, writes into them and reopens at the end of the data', async () => {
      await written(5);
      expect(statSync(lastSeg()).size).toBe(SEG);
      const fs = new NodeFs(dir!);
      const first = await SegmentedLog.open(opts(fs, { segmentBytes: SEG }));
      expect(texts(first.records)).toEqual([
        'record-0',
        'record-1',
        'record-2',
        'record-3',
        'record-4',
      ]);
      expect(first.torn).toBeUndefined();
      first.log.append(2, Buffer.from('after-reopen'));
      expect(first.log.syncNow()).toBe(true); // the handle is open: written on this thread
      await fs.close();
      const again = await SegmentedLog.open(opts(new NodeFs(dir!), { segmentBytes: SEG }));
      expect(texts(again.records).slice(-2)).toEqual(['record-4', 'after-reopen']);
      expect(statSync(lastSeg()).size).toBe(SEG);
    });

    it('truncates a record torn inside the zero tail, then continues after the intact ones', async () => {
      await written(3);
      const file = lastSeg();
      const data = readFileSync(file);
      // The last record's final sector never reached the disk: its end reads as zeros.
      const recLen = HEADER_BYTES + 1 + 'record-2'.length;
      let end = data.length;
      while (data[end - 1] === 0) end--;
      const lost = Buffer.alloc(4);
      writeFileSync(file, Buffer.concat([data.subarray(0, end - 4), lost, data.subarray(end)]));
      const fs = new NodeFs(dir!);
      const { records, torn, log } = await SegmentedLog.open(opts(fs, { segmentBytes: SEG }));
      expect(texts(records)).toEqual(['record-0', 'record-1']);
      expect(torn).toMatchObject({ offset: end - recLen, reason: 'record checksum mismatch' });
      log.append(2, Buffer.from('after'));
      await log.sync();
      await fs.close();
      const again = await SegmentedLog.open(opts(new NodeFs(dir!), { segmentBytes: SEG }));
      expect(texts(again.records)).toEqual(['record-0', 'record-1', 'after']);
      expect(again.torn).toBeUndefined();
    });

    it('treats a header whose second sector was never written as a torn tail', async () => {
      dir = mkdtempSync(join(tmpdir(), 'kubets-wal-'));
      const fs = new NodeFs(dir);
      const log = await SegmentedLog.create(opts(fs, { segmentBytes: SEG }));
      // Metadata record + a filler record end 6 bytes before the first sector boundary, so
      // the next record's 12-byte header spans the boundary.
      const metaLen = HEADER_BYTES + 1 + 12 + META.length;
      log.append(2, Buffer.alloc(512 - 6 - metaLen - HEADER_BYTES - 1, 7));
      log.append(2, Buffer.from('straddles'));
      await log.sync();
      await fs.close();
      const file = lastSeg();
      const data = readFileSync(file);
      data.fill(0, 512, 1024); // the second sector is lost
      writeFileSync(file, data);
      const { records, torn } = await SegmentedLog.open(
        opts(new NodeFs(dir), { segmentBytes: SEG }),
      );
      expect(records).toHaveLength(1);
      expect(torn).toMatchObject({ offset: 506, reason: 'record header checksum mismatch' });
    });

    it('stops on a corrupt record before the tail of a pre-allocated segment, naming file and offset', async () => {
      await written(3);
      const file = lastSeg();
      const data = readFileSync(file);
      const metaLen = HEADER_BYTES + 1 + 12 + META.length;
      const rec0Len = HEADER_BYTES + 1 + 'record-0'.length;
      data[metaLen + rec0Len + HEADER_BYTES + 3]! ^= 0xff; // inside record-1
      writeFileSync(file, data);
      await expect(
        SegmentedLog.open(opts(new NodeFs(dir!), { segmentBytes: SEG })),
      ).rejects.toThrow(
        `wal: corrupt record in ${file} at offset ${metaLen + rec0Len}: record checksum mismatch`,
      );
    });

    it('trims a segment to its data before cutting the next; zeros ending an earlier segment are corruption', async () => {
      dir = mkdtempSync(join(tmpdir(), 'kubets-wal-'));
      const fs = new NodeFs(dir);
      const log = await SegmentedLog.create(opts(fs, { segmentBytes: 600 }));
      for (let i = 0; i < 60; i++) {
        log.append(2, rec(i).payload, i + 1);
        if (!log.syncNow()) await log.sync();
      }
      await fs.close();
      const names = segFiles();
      expect(names.length).toBeGreaterThan(2);
      for (const n of names.slice(0, -1)) {
        expect(statSync(join(walDir(), n)).size).toBeGreaterThanOrEqual(600);
        expect(readFileSync(join(walDir(), n)).at(-1)).not.toBe(0);
      }
      expect(statSync(lastSeg()).size).toBe(600);
      const { records } = await SegmentedLog.open(opts(new NodeFs(dir), { segmentBytes: 600 }));
      expect(texts(records)).toEqual(Array.from({ length: 60 }, (_, i) => `record-${i}`));
      const first = join(walDir(), names[0]!);
      const size = statSync(first).size;
      truncateSync(first, size + 100);
      await expect(SegmentedLog.open(opts(new NodeFs(dir), { segmentBytes: 600 }))).rejects.toThrow(
        `wal: corrupt record in ${first} at offset ${size}`,
      );
    });

    it('continues a log written without pre-allocation', async () => {
      dir = mkdtempSync(join(tmpdir(), 'kubets-wal-'));
      const plain = new AppendOnlyFs(dir);
      const log = await SegmentedLog.create(opts(plain, { segmentBytes: SEG }));
      log.append(2, Buffer.from('old-0'));
      log.append(2, Buffer.from('old-1'));
      await log.sync();
      await plain.close();
      const size = statSync(lastSeg()).size;
      expect(size).toBeLessThan(SEG);
      const fs = new NodeFs(dir);
      const opened = await SegmentedLog.open(opts(fs, { segmentBytes: SEG }));
      expect(statSync(lastSeg()).size).toBe(SEG);
      opened.log.append(2, Buffer.from('new-0'));
      expect(opened.log.syncNow()).toBe(true);
      await fs.close();
      const { records, torn } = await SegmentedLog.open(
        opts(new NodeFs(dir), { segmentBytes: SEG }),
      );
      expect(texts(records)).toEqual(['old-0', 'old-1', 'new-0']);
      expect(torn).toBeUndefined();
    });
  });
});
