import { describe, expect, it } from 'vitest';
import { CompactedError, RaftInvariantError, UnavailableError } from './errors.js';
import { RaftLog } from './log.js';
import { MemoryStorage } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { EMPTY_BYTES, EMPTY_CONF_STATE, EntryType } from './types.js';

const ent = (index: number, term: number, size = 0): Entry => ({
  index,
  term,
  type: EntryType.EntryNormal,
  data: size > 0 ? new Uint8Array(size) : EMPTY_BYTES,
});
const ids = (es: readonly Entry[]) => es.map((e) => `${e.index}/${e.term}`);

function logWith(stable: Entry[], unstable: Entry[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(stable);
  const l = new RaftLog(s, Infinity);
  l.append(unstable);
  return l;
}

describe('RaftLog', () => {
  it('reads terms across storage and the unstable tail', () => {
    const l = logWith([ent(1, 1), ent(2, 1)], [ent(3, 2)]);
    expect(l.lastIndex()).toBe(3);
    expect(l.term(2)).toBe(1);
    expect(l.term(3)).toBe(2);
    expect(() => l.term(4)).toThrow(UnavailableError);
    expect(l.termOrZero(4)).toBe(0);
    expect(ids(l.slice(1, 4, Infinity))).toEqual(['1/1', '2/1', '3/2']);
  });

  it('findConflict returns the first mismatching or new entry', () => {
    const l = logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);
    expect(l.findConflict([])).toBe(0);
    expect(l.findConflict([ent(1, 1), ent(2, 2)])).toBe(0);
    expect(l.findConflict([ent(2, 2), ent(3, 3), ent(4, 4)])).toBe(4);
    expect(l.findConflict([ent(2, 1), ent(3, 4)])).toBe(2);
  });

  it('maybeAppend enforces the consistency check and truncates conflicts (§5.3)', () => {
    const l = logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);
    expect(l.maybeAppend(3, 2, 3, [ent(4, 4)])).toBe(-1); // term mismatch at 3
    expect(l.maybeAppend(4, 3, 3, [ent(5, 4)])).toBe(-1); // missing index 4
    expect(l.maybeAppend(2, 2, 2, [ent(3, 4), ent(4, 4)])).toBe(4);
    expect(ids(l.slice(1, 5, Infinity))).toEqual(['1/1', '2/2', '3/4', '4/4']);
    expect(l.committed).toBe(2);
    // Commit is bounded by the last new entry, not by the leader's commit.
    expect(l.maybeAppend(2, 2, 10, [ent(3, 4)])).toBe(3);
    expect(l.committed).toBe(3);
    // An old, shorter MsgApp must not truncate matching entries after it.
    expect(l.lastIndex()).toBe(4);
  });

  it('refuses to overwrite committed entries', () => {
    const l = logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);
    l.commitTo(3);
    expect(() => l.maybeAppend(1, 1, 3, [ent(2, 5)])).toThrow(RaftInvariantError);
    expect(() => l.append([ent(3, 9)])).toThrow(RaftInvariantError);
  });

  it('commitTo cannot go past the last index', () => {
    const l = logWith([ent(1, 1)]);
    expect(() => l.commitTo(2)).toThrow(/out of range/);
    l.commitTo(1);
    l.commitTo(0); // never decreases
    expect(l.committed).toBe(1);
  });

  it('maybeCommit only commits entries of the given term (§5.4.2)', () => {
    const l = logWith([ent(1, 1), ent(2, 2)]);
    expect(l.maybeCommit(2, 1)).toBe(false);
    expect(l.maybeCommit(2, 2)).toBe(true);
    expect(l.committed).toBe(2);
  });

  it('isUpToDate compares last term then index (§5.4.1)', () => {
    const l = logWith([ent(1, 1), ent(2, 2), ent(3, 2)]);
    expect(l.isUpToDate(3, 2)).toBe(true);
    expect(l.isUpToDate(2, 2)).toBe(false);
    expect(l.isUpToDate(1, 3)).toBe(true);
    expect(l.isUpToDate(9, 1)).toBe(false);
  });

  it('findConflictByTerm skips entries with a higher term', () => {
    const l = logWith([ent(1, 1), ent(2, 1), ent(3, 3), ent(4, 3), ent(5, 5)]);
    expect(l.findConflictByTerm(5, 4)).toEqual({ index: 4, term: 3 });
    expect(l.findConflictByTerm(5, 2)).toEqual({ index: 2, term: 1 });
    expect(l.findConflictByTerm(5, 0)).toEqual({ index: 0, term: 0 });
    expect(l.findConflictByTerm(5, 5)).toEqual({ index: 5, term: 5 });
  });

  it('findConflictByTerm reports a compacted index with unknown term', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 2), ent(3, 3)]);
    s.compact(2);
    const l = new RaftLog(s, Infinity);
    expect(l.findConflictByTerm(3, 1)).toEqual({ index: 1, term: 0 });
  });

  it('slice honours compaction and size limits', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 100), ent(2, 1, 100), ent(3, 1, 100)]);
    s.compact(1);
    const l = new RaftLog(s, Infinity);
    l.append([ent(4, 1, 100)]);
    expect(() => l.slice(1, 3, Infinity)).toThrow(CompactedError);
    expect(ids(l.slice(2, 5, Infinity))).toEqual(['2/1', '3/1', '4/1']);
    expect(ids(l.slice(2, 5, 250))).toEqual(['2/1', '3/1']);
    expect(ids(l.slice(3, 5, 0))).toEqual(['3/1']);
  });

  it('hands out committed entries up to the commit index, capped in bytes', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 100), ent(2, 1, 100)]);
    const l = new RaftLog(s, 150);
    l.append([ent(3, 1, 100)]);
    l.commitTo(3);
    expect(ids(l.nextCommittedEntries())).toEqual(['1/1']);
    l.appliedTo(1);
    expect(ids(l.nextCommittedEntries())).toEqual(['2/1']);
    l.appliedTo(3);
    expect(l.hasNextCommittedEntries()).toBe(false);
    expect(() => l.appliedTo(2)).toThrow(/out of range/);
  });

  it('a restored snapshot replaces the log and blocks applying until handed out', () => {
    const l = logWith([ent(1, 1), ent(2, 1)]);
    const snap: Snapshot = {
      data: EMPTY_BYTES,
      metadata: { confState: EMPTY_CONF_STATE, index: 10, term: 3 },
    };
    l.restore(snap);
    expect(l.committed).toBe(10);
    expect(l.lastIndex()).toBe(10);
    expect(l.firstIndex()).toBe(11);
    expect(l.term(10)).toBe(3);
    expect(l.nextCommittedEntries()).toEqual([]);
    expect(l.hasNextCommittedEntries()).toBe(false);
    l.append([ent(11, 3)]);
    expect(l.lastIndex()).toBe(11);
  });

  it('stableTo ignores acknowledgements for replaced entries', () => {
    const l = logWith([], [ent(1, 1), ent(2, 1)]);
    l.append([ent(2, 2)]); // replaced before the host acknowledged (2,1)
    l.unstable.stableTo(2, 1);
    expect(l.unstable.entries.length).toBe(2);
    (l.storage as MemoryStorage).append(l.unstable.entries);
    l.unstable.stableTo(2, 2);
    expect(l.unstable.entries.length).toBe(0);
    expect(l.unstable.offset).toBe(3);
    expect(l.lastPersistedIndex()).toBe(2);
  });

  it('lastPersistedIndex excludes unstable entries', () => {
    const l = logWith([ent(1, 1), ent(2, 1)], [ent(3, 1)]);
    expect(l.lastPersistedIndex()).toBe(2);
  });

  it('unstable truncateAndAppend handles every position', () => {
    const l = logWith([ent(1, 1)], [ent(2, 1), ent(3, 1), ent(4, 1)]);
    l.append([ent(5, 1)]);
    expect(ids(l.unstable.entries)).toEqual(['2/1', '3/1', '4/1', '5/1']);
    l.append([ent(4, 2)]);
    expect(ids(l.unstable.entries)).toEqual(['2/1', '3/1', '4/2']);
    l.append([ent(2, 3), ent(3, 3)]);
    expect(ids(l.unstable.entries)).toEqual(['2/3', '3/3']);
    l.append([ent(1, 4)]); // before the unstable offset: replaces stable entries too
    expect(l.unstable.offset).toBe(1);
    expect(l.lastIndex()).toBe(1);
    expect(() => l.unstable.truncateAndAppend([ent(5, 4)])).toThrow(/gap/);
  });
});
