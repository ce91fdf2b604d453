import { describe, expect, it } from 'vitest';
import { SimDisk, SimDiskError } from './disk.js';
import { Prng } from './prng.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (disk: SimDisk, file: string): string => dec.decode(disk.read(file));

describe('SimDisk', () => {
  it('reads see unsynced writes (page cache)', () => {
    const disk = new SimDisk();
    disk.append('wal', bytes('ab'));
    disk.append('wal', bytes('cd'));
    expect(text(disk, 'wal')).toBe('abcd');
    expect(disk.size('wal')).toBe(4);
    expect(disk.exists('wal')).toBe(true);
    expect(disk.stats.bytesWritten).toBe(4);
  });

  it('synced data survives a crash; unsynced appends are lost', () => {
    const disk = new SimDisk();
    disk.append('wal', bytes('synced;'));
    disk.sync('wal');
    disk.append('wal', bytes('lost'));
    expect(disk.durableSize('wal')).toBe(7);
    disk.crash();
    expect(text(disk, 'wal')).toBe('synced;');
    // Writing after a crash continues from the durable state.
    disk.append('wal', bytes('again'));
    disk.syncAll();
    disk.crash();
    expect(text(disk, 'wal')).toBe('synced;again');
    expect(disk.stats).toEqual({ syncs: 2, bytesWritten: 16, crashes: 2 });
  });

  it('a never-synced file disappears on crash', () => {
    const disk = new SimDisk();
    disk.append('tmp', bytes('x'));
    disk.crash();
    expect(disk.exists('tmp')).toBe(false);
    expect(disk.list()).toEqual([]);
  });

  it('a file whose name was made durable by another sync comes back empty', () => {
    const disk = new SimDisk();
    disk.append('a', bytes('data of a'));
    disk.append('b', bytes('b'));
    disk.sync('b'); // persists the directory (so "a" exists) but not a's data
    disk.crash();
    expect(disk.exists('a')).toBe(true);
    expect(text(disk, 'a')).toBe('');
    expect(text(disk, 'b')).toBe('b');
  });

  it('write() replaces contents; an unsynced overwrite rolls back to the old contents', () => {
    const disk = new SimDisk();
    disk.write('state', bytes('v1'));
    disk.sync('state');
    disk.write('state', bytes('version2'));
    expect(text(disk, 'state')).toBe('version2');
    disk.crash();
    expect(text(disk, 'state')).toBe('v1');
  });

  it('rename is atomic and durable only after a sync', () => {
    const disk = new SimDisk();
    disk.write('snap', bytes('old'));
    disk.syncAll();
    disk.write('snap.tmp', bytes('new'));
    disk.sync('snap.tmp');
    disk.rename('snap.tmp', 'snap');
    expect(text(disk, 'snap')).toBe('new');
    expect(disk.exists('snap.tmp')).toBe(false);
    disk.crash(); // rename not synced: the old name layout comes back
    expect(text(disk, 'snap')).toBe('old');
    expect(text(disk, 'snap.tmp')).toBe('new');

    disk.rename('snap.tmp', 'snap');
    disk.syncAll();
    disk.crash();
    expect(text(disk, 'snap')).toBe('new');
    expect(disk.exists('snap.tmp')).toBe(false);
  });

  it('rename carries the data durability of the file it moves', () => {
    const disk = new SimDisk();
    disk.write('tmp', bytes('never synced data'));
    disk.rename('tmp', 'final');
    disk.sync('final');
    disk.crash();
    // sync('final') synced the renamed file's data and the directory.
    expect(text(disk, 'final')).toBe('never synced data');
  });

  it('remove is durable after a sync; before that, a crash brings the file back', () => {
    const disk = new SimDisk();
    disk.write('seg-1', bytes('1'));
    disk.write('seg-2', bytes('2'));
    disk.syncAll();
    disk.remove('seg-1');
    expect(disk.exists('seg-1')).toBe(false);
    disk.crash();
    expect(disk.list('seg-')).toEqual(['seg-1', 'seg-2']);
    disk.remove('seg-1');
    disk.sync('seg-1'); // syncing a removed name makes the removal durable
    disk.crash();
    expect(disk.list('seg-')).toEqual(['seg-2']);
  });

  it('truncate shortens or zero-extends; unsynced truncation is undone by a crash', () => {
    const disk = new SimDisk();
    disk.write('f', bytes('abcdef'));
    disk.syncAll();
    disk.truncate('f', 3);
    expect(text(disk, 'f')).toBe('abc');
    disk.truncate('f', 5);
    expect([...disk.read('f')]).toEqual([97, 98, 99, 0, 0]);
    disk.crash();
    expect(text(disk, 'f')).toBe('abcdef');
    disk.truncate('f', 2);
    disk.sync('f');
    disk.crash();
    expect(text(disk, 'f')).toBe('ab');
  });

  it('keeps copies: mutating a returned or appended buffer does not change the disk', () => {
    const disk = new SimDisk();
    const data = bytes('abc');
    disk.append('f', data);
    data[0] = 0;
    const read = disk.read('f');
    read[1] = 0;
    expect(text(disk, 'f')).toBe('abc');
  });

  it('lists files by prefix, sorted', () => {
    const disk = new SimDisk();
    for (const name of ['wal/0002', 'snap/1', 'wal/0001', 'wal/0010']) disk.write(name, bytes(''));
    expect(disk.list('wal/')).toEqual(['wal/0001', 'wal/0002', 'wal/0010']);
    expect(disk.list()).toHaveLength(4);
  });

  it('torn writes keep a random prefix of the unsynced tail, never more, never other bytes', () => {
    const prng = new Prng(17);
    const lengths = new Set<number>();
    for (let round = 0; round < 200; round++) {
      const disk = new SimDisk({ prng, tornWrites: true });
      disk.append('wal', bytes('HEAD'));
      disk.sync('wal');
      disk.append('wal', bytes('record-1|'));
      disk.append('wal', bytes('record-2|'));
      disk.crash();
      const after = text(disk, 'wal');
      expect('HEADrecord-1|record-2|'.startsWith(after)).toBe(true);
      expect(after.startsWith('HEAD')).toBe(true);
      lengths.add(after.length);
    }
    // All of 0..18 extra bytes are possible; a fair spread shows up in 200 rounds.
    expect(lengths.size).toBeGreaterThan(12);
    expect(lengths.has(4)).toBe(true);
  });

  it('torn writes do not apply to overwritten files: those roll back whole', () => {
    const disk = new SimDisk({ prng: new Prng(1), tornWrites: true });
    disk.write('meta', bytes('old-meta'));
    disk.sync('meta');
    for (let i = 0; i < 20; i++) {
      disk.write('meta', bytes('new-meta-that-is-longer'));
      disk.crash();
      expect(text(disk, 'meta')).toBe('old-meta');
    }
  });

  it('without tornWrites an unsynced tail is always lost entirely', () => {
    const disk = new SimDisk({ prng: new Prng(1) });
    disk.append('wal', bytes('a'));
    disk.sync('wal');
    for (let i = 0; i < 20; i++) {
      disk.append('wal', bytes('tail'));
      disk.crash();
      expect(text(disk, 'wal')).toBe('a');
    }
  });

  it('corrupt flips a byte in both the cached and the durable data', () => {
    const disk = new SimDisk({ prng: new Prng(3) });
    disk.write('f', bytes('hello'));
    disk.syncAll();
    disk.corrupt('f', 1);
    const now = disk.read('f');
    expect(now[1]).not.toBe(bytes('e')[0]);
    disk.crash();
    expect(disk.read('f')).toEqual(now);

    // Also when the durable data is a separate copy (after an unsynced overwrite).
    const d2 = new SimDisk();
    d2.write('g', bytes('abc'));
    d2.syncAll();
    d2.truncate('g', 2);
    d2.corrupt('g', 0);
    expect(d2.read('g')[0]).toBe(97 ^ 0xff);
    d2.crash();
    expect([...d2.read('g')]).toEqual([97 ^ 0xff, 98, 99]);
    expect(() => d2.corrupt('g', 3)).toThrow(/outside \[0, 3\)/);
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number): string[] => {
      const disk = new SimDisk({ prng: new Prng(seed), tornWrites: true });
      const out: string[] = [];
      for (let i = 0; i < 30; i++) {
        disk.append('a', bytes(`entry-${i};`));
        disk.append('b', bytes(`entry-${i};`));
        if (i % 3 === 0) disk.sync('a');
        if (i % 5 === 0) {
          disk.crash();
          out.push(text(disk, 'a'), disk.exists('b') ? text(disk, 'b') : '-');
        }
      }
      return out;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('reports missing files and bad arguments with fs-style codes', () => {
    const disk = new SimDisk();
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(SimDiskError);
        return (err as SimDiskError).code;
      }
      return undefined;
    };
    expect(code(() => disk.read('nope'))).toBe('ENOENT');
    expect(code(() => disk.remove('nope'))).toBe('ENOENT');
    expect(code(() => disk.rename('nope', 'x'))).toBe('ENOENT');
    expect(code(() => disk.truncate('nope', 0))).toBe('ENOENT');
    expect(code(() => disk.sync('nope'))).toBe('ENOENT');
    expect(code(() => disk.append('', bytes('x')))).toBe('EINVAL');
    disk.write('f', bytes('x'));
    expect(code(() => disk.truncate('f', -1))).toBe('EINVAL');
    expect(() => disk.read('nope')).toThrow(/ENOENT: read: no such file "nope"/);
    expect(() => new SimDisk({ tornWrites: true })).toThrow(/needs a prng/);
  });
});
