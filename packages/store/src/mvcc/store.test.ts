import { describe, expect, it } from 'vitest';
import { MvccError } from './errors.js';
import { KeyHistory } from './key-history.js';
import { keyString, requestRange, singleKey, type KeyRange, type MvccEvent } from './kv.js';
import { MvccStore, type LeaseAttachments } from './store.js';

const b = (s: string): Buffer => Buffer.from(s);
const k = (s: string): string => keyString(b(s));
const prefix = (p: string): KeyRange => {
  const end = Buffer.from(p);
  end[end.length - 1]! += 1;
  return { key: k(p), end: keyString(end) };
};

function put(store: MvccStore, key: string, value: string, lease = 0n): number {
  const txn = store.write();
  txn.put(b(key), b(value), lease);
  txn.end();
  return store.rev;
}

function del(store: MvccStore, range: KeyRange): number {
  const txn = store.write();
  const n = txn.deleteRange(range).length;
  txn.end();
  return n;
}

const values = (store: MvccStore, range: KeyRange, rev = 0): string[] =>
  store.range(range, { rev }).kvs.map((kv) => `${kv.key.toString()}=${kv.value.toString()}`);

describe('MvccStore revisions', () => {
  it("keeps its own copy of a key, not a view of the buffer the key's first write came in", () => {
    const store = new MvccStore();
    // A key that is a view of a larger buffer, as a write's key in its log entry may be.
    const entry = Buffer.from('....key-a....value....');
    const txn = store.write();
    txn.put(entry.subarray(4, 9), entry.subarray(13, 18), 0n);
    txn.end();
    const [history] = [...store.exportHistories()];
    expect(history!.key.toString()).toBe('key-a');
    entry.fill(0);
    expect(history!.key.toString()).toBe('key-a');
  });

  it('starts at revision 1 with no compaction, like etcd', () => {
    const store = new MvccStore();
    expect(store.rev).toBe(1);
    expect(store.compactRev).toBe(-1);
    expect(store.range(singleKey(k('a'))).kvs).toEqual([]);
  });

  it('gives every write transaction one revision and tracks create/mod revision and version', () => {
    const store = new MvccStore();
    expect(put(store, 'a', '1')).toBe(2);
    expect(put(store, 'a', '2')).toBe(3);
    const kv = store.get(k('a'))!;
    expect(kv).toMatchObject({ createRevision: 2, modRevision: 3, version: 2 });
    expect(kv.value.toString()).toBe('2');
    expect(del(store, singleKey(k('a')))).toBe(1);
    expect(store.rev).toBe(4);
    expect(store.get(k('a'))).toBeUndefined();
    // A re-created key starts a new generation: version 1, new create revision.
    put(store, 'a', '3');
    expect(store.get(k('a'))).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
  });

  it('does not create a revision for a transaction that changes nothing', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    expect(del(store, singleKey(k('zzz')))).toBe(0);
    expect(store.rev).toBe(2);
  });

  it('puts all writes of one transaction in one revision with increasing sub revisions', () => {
    const store = new MvccStore();
    const seen: MvccEvent[][] = [];
    store.onCommit((events) => seen.push([...events]));
    const txn = store.write();
    txn.put(b('a'), b('1'), 0n);
    txn.put(b('b'), b('2'), 0n);
    // Reads inside the transaction see its own writes.
    expect(txn.range({ key: k('a'), end: '' }).count).toBe(2);
    // ... while readers outside still see the old revision.
    expect(store.range({ key: k('a'), end: '' }).count).toBe(0);
    txn.deleteRange(singleKey(k('a')));
    const events = txn.end();
    expect(store.rev).toBe(2);
    expect(events.map((e) => [e.type, e.kv.key.toString(), e.kv.modRevision, e.sub])).toEqual([
      ['PUT', 'a', 2, 0],
      ['PUT', 'b', 2, 1],
      ['DELETE', 'a', 2, 2],
    ]);
    // Each event carries its key as the string watchers test ranges with.
    expect(events.map((e) => e.ks)).toEqual([k('a'), k('b'), k('a')]);
    expect(seen).toHaveLength(1);
  });

  it('refuses a second concurrent write transaction and use after end', () => {
    const store = new MvccStore();
    const txn = store.write();
    expect(() => store.write()).toThrow(/already open/);
    txn.end();
    expect(() => txn.put(b('a'), b('1'), 0n)).toThrow(/already ended/);
  });

  it('reports deletes as etcd does: key and mod revision only, previous kv attached', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    const txn = store.write();
    txn.deleteRange(singleKey(k('a')));
    const [e] = txn.end();
    expect(e!.type).toBe('DELETE');
    expect(e!.kv).toMatchObject({ createRevision: 0, modRevision: 3, version: 0, lease: 0n });
    expect(e!.kv.value.length).toBe(0);
    expect(e!.prevKv?.value.toString()).toBe('1');
  });
});

describe('MvccStore range', () => {
  function sample(): MvccStore {
    const store = new MvccStore();
    for (const key of ['a', 'b', 'b/1', 'b/2', 'c', 'd']) put(store, key, key.toUpperCase());
    return store;
  }

  it('reads single keys, [key, end) ranges, prefixes and "\\0" (all keys >= key)', () => {
    const store = sample();
    expect(values(store, singleKey(k('b')))).toEqual(['b=B']);
    expect(values(store, { key: k('b'), end: k('c') })).toEqual(['b=B', 'b/1=B/1', 'b/2=B/2']);
    expect(values(store, prefix('b/'))).toEqual(['b/1=B/1', 'b/2=B/2']);
    expect(values(store, requestRange(b('c'), Buffer.from([0])))).toEqual(['c=C', 'd=D']);
    expect(values(store, requestRange(Buffer.from([0]), Buffer.from([0])))).toHaveLength(6);
    // An end at or before the key is an empty range.
    expect(values(store, { key: k('c'), end: k('b') })).toEqual([]);
    expect(values(store, { key: k('c'), end: k('c') })).toEqual([]);
  });

  it('applies limit but counts every key in range', () => {
    const store = sample();
    const r = store.range({ key: k('a'), end: '' }, { limit: 2 });
    expect(r.kvs.map((kv) => kv.key.toString())).toEqual(['a', 'b']);
    expect(r.count).toBe(6);
    const c = store.range({ key: k('a'), end: '' }, { countOnly: true });
    expect(c.kvs).toEqual([]);
    expect(c.count).toBe(6);
    expect(c.rev).toBe(store.rev);
  });

  it('orders binary keys bytewise, like bytes.Compare', () => {
    const store = new MvccStore();
    const keys = [
      Buffer.from([0xff]),
      Buffer.from([0x01]),
      Buffer.from([0x7f, 0x00]),
      Buffer.from([0x80]),
    ];
    for (const key of keys) {
      const txn = store.write();
      txn.put(key, b('v'), 0n);
      txn.end();
    }
    const got = store
      .range(requestRange(Buffer.from([0]), Buffer.from([0])))
      .kvs.map((kv) => [...kv.key]);
    expect(got).toEqual([[0x01], [0x7f, 0x00], [0x80], [0xff]]);
  });

  it('reads past revisions until they are compacted', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    put(store, 'b', '1'); // 3
    put(store, 'a', '2'); // 4
    del(store, singleKey(k('b'))); // 5
    expect(values(store, { key: k('a'), end: '' }, 2)).toEqual(['a=1']);
    expect(values(store, { key: k('a'), end: '' }, 3)).toEqual(['a=1', 'b=1']);
    expect(values(store, { key: k('a'), end: '' }, 4)).toEqual(['a=2', 'b=1']);
    expect(values(store, { key: k('a'), end: '' }, 5)).toEqual(['a=2']);
    expect(values(store, { key: k('a'), end: '' }, 1)).toEqual([]);
    // The response revision is the store's current one, not the requested one.
    expect(store.range(singleKey(k('a')), { rev: 2 }).rev).toBe(5);
  });

  it('rejects future revisions with ErrFutureRev', () => {
    const store = sample();
    expect(() => store.range(singleKey(k('a')), { rev: store.rev + 1 })).toThrow(
      'mvcc: required revision is a future revision',
    );
  });
});

describe('MvccStore compaction', () => {
  it('keeps reads at and after the compaction revision, fails below it', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    put(store, 'a', '2'); // 3
    put(store, 'b', '1'); // 4
    store.compact(3);
    expect(store.compactRev).toBe(3);
    expect(values(store, { key: k('a'), end: '' }, 3)).toEqual(['a=2']);
    expect(values(store, { key: k('a'), end: '' }, 4)).toEqual(['a=2', 'b=1']);
    let err: unknown;
    try {
      store.range(singleKey(k('a')), { rev: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MvccError);
    expect((err as MvccError).message).toBe('mvcc: required revision has been compacted');
  });

  it('rejects compaction at or below the previous one and in the future', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    store.compact(2);
    expect(() => store.compact(2)).toThrow('mvcc: required revision has been compacted');
    expect(() => store.compact(1)).toThrow('mvcc: required revision has been compacted');
    expect(() => store.compact(4)).toThrow('mvcc: required revision is a future revision');
    store.compact(3);
  });

  it('releases space of overwritten and deleted keys and forgets deleted keys', () => {
    const store = new MvccStore();
    put(store, 'a', 'x'.repeat(1000));
    put(store, 'a', 'y');
    put(store, 'gone', 'z'.repeat(1000));
    del(store, singleKey(k('gone')));
    const before = store.sizeBytes;
    store.compact(store.rev);
    expect(store.sizeBytes).toBeLessThan(before - 2000);
    expect(store.keyCount).toBe(1);
    expect(store.historyLength).toBe(1); // the delete event at the compaction revision stays
    put(store, 'b', '1');
    store.compact(store.rev);
    // The tombstone of "gone" is dropped at the next compaction.
    expect([...store.exportHistories()].map((h) => h.key.toString())).toEqual(['a', 'b']);
  });

  it('keeps events from the compaction revision on and refuses older history', () => {
    const store = new MvccStore();
    for (let i = 0; i < 5; i++) put(store, `k${i}`, 'v'); // revs 2..6
    store.compact(4);
    expect([...store.eventsBetween(4, 6)].map((e) => e.kv.modRevision)).toEqual([4, 5, 6]);
    expect(() => store.eventsBetween(3, 6)).toThrow('compacted');
  });
});

describe('MvccStore leases and snapshots', () => {
  it('tells the lease tracker about attached and detached keys', () => {
    const calls: string[] = [];
    const leases: LeaseAttachments = {
      attach: (l, key) => calls.push(`+${l}:${key}`),
      detach: (l, key) => calls.push(`-${l}:${key}`),
    };
    const store = new MvccStore(leases);
    put(store, 'a', '1', 7n);
    put(store, 'a', '2', 7n); // same lease: no change
    put(store, 'a', '3', 9n);
    put(store, 'a', '4');
    put(store, 'a', '5', 9n);
    del(store, singleKey(k('a')));
    expect(calls).toEqual(['+7:a', '-7:a', '+9:a', '-9:a', '+9:a', '-9:a']);
  });

  it('restores from exported histories with identical reads and events', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'b', '1');
    const t = store.write();
    t.put(b('a'), b('2'), 0n);
    t.deleteRange(singleKey(k('b')));
    t.end();
    put(store, 'c', '1');
    store.compact(3);
    const copy = new MvccStore();
    const histories = [...store.exportHistories()].map((h) => {
      const c = new KeyHistory(h.key);
      for (const r of h.revisions) c.append(r);
      return c;
    });
    copy.restore({ currentRev: store.rev, compactRev: store.compactRev, histories });
    for (const rev of [3, 4, 5]) {
      expect(values(copy, { key: k('a'), end: '' }, rev)).toEqual(
        values(store, { key: k('a'), end: '' }, rev),
      );
    }
    const ev = (s: MvccStore) =>
      [...s.eventsBetween(3, s.rev)].map((e) => [
        e.type,
        e.kv.key.toString(),
        e.kv.modRevision,
        e.sub,
      ]);
    expect(ev(copy)).toEqual(ev(store));
    expect(copy.keyCount).toBe(store.keyCount);
    expect(copy.sizeBytes).toBe(store.sizeBytes);
  });
});
