import { describe, expect, it } from 'vitest';
import {
  CompactedError,
  RaftInvariantError,
  SnapshotOutOfDateError,
  UnavailableError,
} from './errors.js';
import { MemoryStorage } from './storage.js';
import type { Entry } from './types.js';
import { EMPTY_BYTES, EntryType } from './types.js';

const ent = (index: number, term: number, size = 0): Entry => ({
  index,
  term,
  type: EntryType.EntryNormal,
  data: size > 0 ? new Uint8Array(size) : EMPTY_BYTES,
});

function storageWith(...ents: Entry[]): MemoryStorage {
  const s = new MemoryStorage();
  s.append(ents);
  return s;
}

describe('MemoryStorage', () => {
  it('starts empty with first index 1', () => {
    const s = new MemoryStorage();
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.term(0)).toBe(0);
    expect(() => s.term(1)).toThrow(UnavailableError);
  });
  it('term() respects compaction bounds', () => {
    const s = storageWith(ent(1, 1), ent(2, 2), ent(3, 3));
    s.compact(2);
    expect(s.firstIndex()).toBe(3);
    expect(s.term(2)).toBe(2); // compacted entry's term stays available
    expect(() => s.term(1)).toThrow(CompactedError);
    expect(s.term(3)).toBe(3);
    expect(() => s.term(4)).toThrow(UnavailableError);
  });
  it('entries() returns ranges, limited by size but at least one entry', () => {
    const s = storageWith(ent(1, 1, 100), ent(2, 1, 100), ent(3, 1, 100));
    expect(s.entries(1, 4, Infinity).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(s.entries(1, 4, 0).map((e) => e.index)).toEqual([1]);
    expect(s.entries(1, 4, 250).map((e) => e.index)).toEqual([1, 2]);
    expect(() => s.entries(1, 5, Infinity)).toThrow(UnavailableError);
    s.compact(1);
    expect(() => s.entries(1, 3, Infinity)).toThrow(CompactedError);
  });
  it('append truncates a conflicting suffix', () => {
    const s = storageWith(ent(1, 1), ent(2, 1), ent(3, 1));
    s.append([ent(2, 2), ent(3, 2), ent(4, 2)]);
    expect([1, 2, 3, 4].map((i) => s.term(i))).toEqual([1, 2, 2, 2]);
    s.append([ent(2, 3)]);
    expect(s.lastIndex()).toBe(2);
  });
  it('append skips already-compacted entries and refuses gaps', () => {
    const s = storageWith(ent(1, 1), ent(2, 1), ent(3, 1));
    s.compact(2);
    s.append([ent(1, 1), ent(2, 1), ent(3, 1), ent(4, 1)]);
    expect(s.lastIndex()).toBe(4);
    expect(() => s.append([ent(6, 1)])).toThrow(RaftInvariantError);
  });
  it('createSnapshot/applySnapshot reject out-of-date snapshots', () => {
    const s = storageWith(ent(1, 1), ent(2, 2), ent(3, 2));
    const snap = s.createSnapshot(2, undefined, new Uint8Array([7]));
    expect(snap.metadata).toMatchObject({ index: 2, term: 2 });
    expect(() => s.createSnapshot(2, undefined, EMPTY_BYTES)).toThrow(SnapshotOutOfDateError);
    const other = new MemoryStorage();
    other.applySnapshot(snap);
    expect(other.firstIndex()).toBe(3);
    expect(other.lastIndex()).toBe(2);
    expect(other.term(2)).toBe(2);
    expect(() => other.applySnapshot(snap)).toThrow(SnapshotOutOfDateError);
  });
  it('compact refuses indexes past the end or already compacted', () => {
    const s = storageWith(ent(1, 1), ent(2, 1));
    expect(() => s.compact(3)).toThrow(/past the last index/);
    s.compact(1);
    expect(() => s.compact(1)).toThrow(CompactedError);
  });
});
