import { describe, expect, it } from 'vitest';
import { keyString, requestRange, singleKey, type KeyRange } from '../mvcc/kv.js';
import { MvccStore } from '../mvcc/store.js';
import {
  ERR_EMPTY_WATCHER_RANGE,
  ERR_WATCHER_DUPLICATE_ID,
  PROGRESS_WATCH_ID,
  WatchHub,
  type WatchHubOptions,
  type WatchMessage,
} from './watch-hub.js';

const b = (s: string): Buffer => Buffer.from(s);
const k = (s: string): string => keyString(b(s));
const prefix = (p: string): KeyRange => {
  const end = b(p);
  end[end.length - 1]! += 1;
  return { key: k(p), end: keyString(end) };
};

function setup(opts: Partial<Omit<WatchHubOptions, 'schedule'>> = {}) {
  const store = new MvccStore();
  const queue: Array<() => void> = [];
  const hub = new WatchHub(store, { schedule: (fn) => queue.push(fn), ...opts });
  const flush = (): void => {
    for (let i = 0; queue.length > 0 && i < 10_000; i++) queue.shift()!();
  };
  const put = (key: string, value: string): void => {
    const t = store.write();
    t.put(b(key), b(value), 0n);
    t.end();
  };
  const del = (key: string): void => {
    const t = store.write();
    t.deleteRange(singleKey(k(key)));
    t.end();
  };
  return { store, hub, flush, put, del, queue };
}

function collector(accept: () => boolean = () => true) {
  const messages: WatchMessage[] = [];
  return {
    messages,
    sink: {
      send(m: WatchMessage) {
        messages.push(m);
        return accept();
      },
    },
    events: (id: number) =>
      messages
        .filter((m) => m.watchId === id)
        .flatMap((m) =>
          m.events.map((e) => `${e.type} ${e.kv.key.toString()}@${e.kv.modRevision}`),
        ),
  };
}

describe('WatchHub live delivery', () => {
  it('sends created, then at the end of each turn one message with only the matching events', () => {
    const { hub, put, del, store, flush } = setup();
    const c = collector();
    const stream = hub.openStream(c.sink);
    const id = stream.watch({ range: prefix('a/'), startRevision: 0 });
    expect(id).toBe(0);
    expect(c.messages[0]).toMatchObject({ watchId: 0, created: true, revision: 1 });
    put('a/1', 'x'); // 2
    expect(c.messages).toHaveLength(1); // held until the turn ends
    flush();
    put('b', 'x'); // 3 (not watched)
    flush();
    const t = store.write();
    t.put(b('a/2'), b('y'), 0n);
    t.put(b('a/3'), b('z'), 0n);
    t.end(); // 4
    flush();
    del('a/1'); // 5
    flush();
    expect(c.events(0)).toEqual(['PUT a/1@2', 'PUT a/2@4', 'PUT a/3@4', 'DELETE a/1@5']);
    expect(c.messages.slice(1).map((m) => m.revision)).toEqual([2, 4, 5]);
  });

  it('merges the revisions of one turn into one message per watcher, shared by equal watchers', () => {
    const { hub, put, del, flush, store } = setup();
    const c = collector();
    const s = hub.openStream(c.sink);
    const c2 = collector();
    const s2 = hub.openStream(c2.sink);
    const a = s.watch({ range: prefix('a/'), startRevision: 0 });
    const a2 = s.watch({ range: prefix('a/'), startRevision: 0 });
    const other = s2.watch({ range: prefix('a/'), startRevision: 0 });
    const one = s.watch({ range: singleKey(k('a/1')), startRevision: 0 });
    put('a/1', 'x'); // 2
    put('b', 'x'); // 3
    const t = store.write();
    t.put(b('a/2'), b('y'), 0n);
    t.put(b('a/3'), b('z'), 0n);
    t.end(); // 4
    del('a/1'); // 5
    flush();
    const want = ['PUT a/1@2', 'PUT a/2@4', 'PUT a/3@4', 'DELETE a/1@5'];
    expect(c.events(a)).toEqual(want);
    expect(c.events(a2)).toEqual(want);
    expect(c2.events(other)).toEqual(want);
    expect(c.events(one)).toEqual(['PUT a/1@2', 'DELETE a/1@5']);
    const msgs = (cc: typeof c, id: number) =>
      cc.messages.filter((m) => m.watchId === id && m.events.length > 0);
    for (const [cc, id] of [
      [c, a],
      [c, a2],
      [c2, other],
      [c, one],
    ] as const) {
      expect(msgs(cc, id)).toHaveLength(1);
      expect(msgs(cc, id)[0]!.revision).toBe(5);
    }
    // One array for the watchers that hold the same revisions, on every stream: its encoding
    // is shared.
    expect(msgs(c, a2)[0]!.events).toBe(msgs(c, a)[0]!.events);
    expect(msgs(c2, other)[0]!.events).toBe(msgs(c, a)[0]!.events);
  });

  it('starts a new message past maxEventsPerMessage or maxBytesPerMessage, never splitting a revision', () => {
    const { hub, put, flush, store } = setup({ maxEventsPerMessage: 3 });
    const c = collector();
    const s = hub.openStream(c.sink);
    const id = s.watch({ range: prefix('a/'), startRevision: 0 });
    put('a/1', 'x'); // 2
    put('a/2', 'x'); // 3
    const t = store.write();
    for (let i = 0; i < 4; i++) t.put(b(`a/t${i}`), b('y'), 0n);
    t.end(); // 4: more than the bound on its own, sent whole
    put('a/3', 'x'); // 5
    flush();
    expect(
      c.messages.filter((m) => m.watchId === id && m.events.length > 0).map((m) => m.events.length),
    ).toEqual([2, 4, 1]);
    expect(c.events(id)).toEqual([
      'PUT a/1@2',
      'PUT a/2@3',
      'PUT a/t0@4',
      'PUT a/t1@4',
      'PUT a/t2@4',
      'PUT a/t3@4',
      'PUT a/3@5',
    ]);
    const big = setup({ maxBytesPerMessage: 10 });
    const cb = collector();
    const sb = big.hub.openStream(cb.sink);
    const idb = sb.watch({ range: prefix('a/'), startRevision: 0 });
    for (let i = 0; i < 4; i++) big.put(`a/${i}`, 'vv'); // 5 bytes each
    big.flush();
    expect(
      cb.messages
        .filter((m) => m.watchId === idb && m.events.length > 0)
        .map((m) => m.events.length),
    ).toEqual([2, 2]);
  });

  it('applies NOPUT / NODELETE filters and passes the prev_kv wish along', () => {
    const { hub, put, del, flush } = setup();
    const c = collector();
    const s = hub.openStream(c.sink);
    const noPut = s.watch({
      range: singleKey(k('x')),
      startRevision: 0,
      noPut: true,
      prevKv: true,
    });
    const noDel = s.watch({ range: singleKey(k('x')), startRevision: 0, noDelete: true });
    put('x', '1');
    put('x', '2');
    del('x');
    flush();
    expect(c.events(noPut)).toEqual(['DELETE x@4']);
    expect(c.events(noDel)).toEqual(['PUT x@2', 'PUT x@3']);
    const delMsg = c.messages.find((m) => m.watchId === noPut && m.events.length > 0)!;
    expect(delMsg.prevKv).toBe(true);
    expect(delMsg.events[0]!.prevKv?.value.toString()).toBe('2');
  });

  it('delivers to every watcher of a shared range, with its own filters, until it is canceled', () => {
    const { hub, put, del, store, flush } = setup();
    const c = collector();
    const s1 = hub.openStream(c.sink);
    const c2 = collector();
    const s2 = hub.openStream(c2.sink);
    const a = s1.watch({ range: prefix('a/'), startRevision: 0 });
    const noPut = s1.watch({ range: prefix('a/'), startRevision: 0, noPut: true });
    const all = s1.watch({ range: { key: k('a/'), end: '' }, startRevision: 0 });
    const one = s1.watch({ range: singleKey(k('a/1')), startRevision: 0 });
    const other = s2.watch({ range: prefix('a/'), startRevision: 0 });
    put('a/1', 'x'); // 2
    const t = store.write();
    t.put(b('a/2'), b('y'), 0n);
    t.put(b('b'), b('y'), 0n);
    t.deleteRange(singleKey(k('a/1')));
    t.end(); // 3
    // The held events go out before the canceled response.
    expect(s1.cancel(a)).toBe(true);
    expect(c.messages.at(-1)).toMatchObject({ watchId: a, canceled: true });
    del('a/2'); // 4
    flush();
    expect(c.events(a)).toEqual(['PUT a/1@2', 'PUT a/2@3', 'DELETE a/1@3']);
    expect(c.events(noPut)).toEqual(['DELETE a/1@3', 'DELETE a/2@4']);
    expect(c.events(all)).toEqual([
      'PUT a/1@2',
      'PUT a/2@3',
      'PUT b@3',
      'DELETE a/1@3',
      'DELETE a/2@4',
    ]);
    expect(c.events(one)).toEqual(['PUT a/1@2', 'DELETE a/1@3']);
    expect(c2.events(other)).toEqual(['PUT a/1@2', 'PUT a/2@3', 'DELETE a/1@3', 'DELETE a/2@4']);
    expect(hub.watcherCount).toBe(4);
  });

  it('counts the messages handed to sinks, a held message when it is started', () => {
    const { hub, put, flush } = setup();
    const c = collector();
    const s = hub.openStream(c.sink);
    for (let i = 0; i < 3; i++) s.watch({ range: prefix('a/'), startRevision: 0 });
    expect(hub.takeSentCount()).toBe(3); // created responses
    put('a/1', 'x');
    put('a/2', 'x'); // merged with a/1: one message per watcher
    expect(hub.takeSentCount()).toBe(3);
    flush();
    expect(hub.takeSentCount()).toBe(0);
    put('a/3', 'x');
    flush();
    expect(hub.takeSentCount()).toBe(3);
  });

  it('assigns the lowest free IDs, honours client IDs and rejects duplicates and empty ranges', () => {
    const { hub } = setup();
    const c = collector();
    const s = hub.openStream(c.sink);
    expect(s.watch({ range: singleKey(k('a')), startRevision: 0, watchId: 1 })).toBe(1);
    expect(s.watch({ range: singleKey(k('a')), startRevision: 0 })).toBe(0);
    expect(s.watch({ range: singleKey(k('a')), startRevision: 0 })).toBe(2);
    expect(s.watch({ range: singleKey(k('a')), startRevision: 0, watchId: 2 })).toBe(-1);
    expect(c.messages.at(-1)).toMatchObject({
      watchId: -1,
      created: true,
      canceled: true,
      cancelReason: ERR_WATCHER_DUPLICATE_ID,
    });
    expect(s.watch({ range: { key: k('b'), end: k('a') }, startRevision: 0 })).toBe(-1);
    expect(c.messages.at(-1)!.cancelReason).toBe(ERR_EMPTY_WATCHER_RANGE);
    // "\0" as range end is "all keys >= key", not an empty range.
    expect(s.watch({ range: requestRange(b('b'), Buffer.from([0])), startRevision: 0 })).toBe(3);
  });

  it('stops delivering after cancel and ignores unknown IDs', () => {
    const { hub, put, flush } = setup();
    const c = collector();
    const s = hub.openStream(c.sink);
    const id = s.watch({ range: singleKey(k('a')), startRevision: 0 });
    expect(s.cancel(id)).toBe(true);
    expect(c.messages.at(-1)).toMatchObject({ watchId: id, canceled: true });
    expect(s.cancel(42)).toBe(false);
    put('a', '1');
    flush();
    expect(c.events(id)).toEqual([]);
    expect(hub.watcherCount).toBe(0);
  });

  it('waits for a future start revision', () => {
    const { hub, put, flush } = setup();
    const c = collector();
    const s = hub.openStream(c.sink);
    const id = s.watch({ range: singleKey(k('a')), startRevision: 4 });
    put('a', '1'); // 2
    put('a', '2'); // 3
    put('a', '3'); // 4
    flush();
    expect(c.events(id)).toEqual(['PUT a@4']);
  });
});

describe('WatchHub history replay', () => {
  it('replays from a past start revision in order, then continues live without gaps', () => {
    const { hub, put, flush } = setup({ maxEventsPerMessage: 2 });
    for (let i = 0; i < 7; i++) put(`k${i}`, 'v'); // revisions 2..8
    const c = collector();
    const s = hub.openStream(c.sink);
    const id = s.watch({ range: { key: k('k'), end: k('l') }, startRevision: 4 });
    put('k7', 'v'); // 9: arrives while the watcher is still replaying
    flush();
    put('k8', 'v'); // 10: live
    flush();
    expect(c.events(id)).toEqual([4, 5, 6, 7, 8, 9, 10].map((r) => `PUT k${r - 2}@${r}`));
    // Replayed messages hold at most two events and never split a revision.
    for (const m of c.messages) expect(m.events.length).toBeLessThanOrEqual(2);
  });

  it('cuts replayed messages between revisions once they hold maxBytesPerMessage', () => {
    const { hub, put, flush } = setup({ maxBytesPerMessage: 10 });
    for (let i = 0; i < 5; i++) put(`k${i}`, 'vvv'); // revisions 2..6, 5 bytes each
    const c = collector();
    const s = hub.openStream(c.sink);
    const id = s.watch({ range: { key: k('k'), end: k('l') }, startRevision: 2 });
    flush();
    expect(c.events(id)).toEqual([2, 3, 4, 5, 6].map((r) => `PUT k${r - 2}@${r}`));
    expect(
      c.messages.filter((m) => m.watchId === id && m.events.length > 0).map((m) => m.events.length),
    ).toEqual([2, 2, 1]);
  });

  it('cancels a watcher whose start revision is compacted, reporting compact_revision', () => {
    const { hub, put, flush, store } = setup();
    for (let i = 0; i < 5; i++) put('a', String(i));
    store.compact(4);
    const c = collector();
    const s = hub.openStream(c.sink);
    const id = s.watch({ range: singleKey(k('a')), startRevision: 2 });
    flush();
    expect(c.messages.at(-1)).toMatchObject({ watchId: id, compactRevision: 4, canceled: true });
    expect(s.size).toBe(0);
    // Starting exactly at the compaction revision is still allowed.
    const ok = s.watch({ range: singleKey(k('a')), startRevision: 4 });
    flush();
    expect(c.events(ok)).toEqual(['PUT a@4', 'PUT a@5', 'PUT a@6']);
  });

  it("holds a backed-up stream's events in memory and sends one merged message per watcher", () => {
    const { hub, put, flush, store } = setup();
    let open = true;
    const c = collector(() => open);
    const s = hub.openStream(c.sink);
    const a = s.watch({ range: singleKey(k('a')), startRevision: 0 });
    const bId = s.watch({ range: singleKey(k('b')), startRevision: 0 });
    open = false;
    put('a', '1'); // 2
    flush(); // sent; the sink reports it is now full
    put('a', '2'); // 3: held
    put('b', '1'); // 4: held
    flush(); // nothing goes while backed up
    put('a', '3'); // 5: held with a@3
    flush();
    store.compact(5); // held events do not need the history
    expect(c.events(a)).toEqual(['PUT a@2']);
    open = true;
    s.resume();
    flush();
    expect(c.events(a)).toEqual(['PUT a@2', 'PUT a@3', 'PUT a@5']);
    expect(
      c.messages.filter((m) => m.watchId === a && m.events.length > 0).map((m) => m.revision),
    ).toEqual([2, 5]);
    put('a', '4'); // 6: live again
    flush();
    expect(c.events(a)).toEqual(['PUT a@2', 'PUT a@3', 'PUT a@5', 'PUT a@6']);
    expect(c.events(bId)).toEqual(['PUT b@4']);
  });

  it('replays from the history a watcher that held more than a message while backed up', () => {
    const { hub, put, del, flush, store } = setup({ maxEventsPerMessage: 2 });
    let open = true;
    const c = collector(() => open);
    const s = hub.openStream(c.sink);
    const same = [0, 1, 2].map(() => s.watch({ range: prefix('p/'), startRevision: 0 }));
    const noDel = s.watch({ range: prefix('p/'), startRevision: 0, noDelete: true });
    const other = s.watch({ range: prefix('q/'), startRevision: 0 });
    open = false;
    put('p/1', 'x'); // 2
    flush(); // delivered to the first watcher only, then the sink is full
    put('q/1', 'x'); // 3
    const t = store.write();
    t.put(b('p/2'), b('y'), 0n);
    t.put(b('p/3'), b('z'), 0n);
    t.end(); // 4: over the bound for the watchers holding p/1@2
    del('p/1'); // 5
    flush();
    open = true;
    s.resume();
    flush();
    put('p/4', 'w'); // 6
    flush();
    expect(c.events(same[0]!)).toEqual([
      'PUT p/1@2',
      'PUT p/2@4',
      'PUT p/3@4',
      'DELETE p/1@5',
      'PUT p/4@6',
    ]);
    for (const id of same.slice(1)) expect(c.events(id)).toEqual(c.events(same[0]!));
    expect(c.events(noDel)).toEqual(['PUT p/1@2', 'PUT p/2@4', 'PUT p/3@4', 'PUT p/4@6']);
    expect(c.events(other)).toEqual(['PUT q/1@3']);
  });

  for (const maxEventsPerMessage of [3, 1000]) {
    it(`keeps every event once and in order when the stream blocks every few messages while puts go on (max ${maxEventsPerMessage})`, () => {
      // Held messages and replay batches (max 3: watchers give up their held events and
      // replay) are reused across turns and revisions: a watcher must still get each event
      // exactly once, in order, never a revision split, and join the live stream without a gap.
      const { hub, put, del, queue, store } = setup({ maxEventsPerMessage });
      let room = Infinity;
      const c = collector(() => --room > 0);
      const s = hub.openStream(c.sink);
      const ids = Array.from({ length: 12 }, (_, i) =>
        s.watch({ range: prefix('p/'), startRevision: 0, noDelete: i % 4 === 3 }),
      );
      let n = 0;
      const expected: string[] = [];
      const expectedNoDel: string[] = [];
      const write = (): void => {
        n++;
        const key = `p/${n % 5}`;
        if (n % 7 === 0) {
          del(key);
          expected.push(`DELETE ${key}@${store.rev}`);
        } else if (n % 11 === 0) {
          // Two events in one revision.
          const t = store.write();
          t.put(b(key), b('m'), 0n);
          t.put(b(`${key}x`), b('m'), 0n);
          t.end();
          for (const kk of [key, `${key}x`]) {
            expected.push(`PUT ${kk}@${store.rev}`);
            expectedNoDel.push(`PUT ${kk}@${store.rev}`);
          }
        } else {
          put(key, String(n));
          expected.push(`PUT ${key}@${store.rev}`);
          expectedNoDel.push(`PUT ${key}@${store.rev}`);
        }
      };
      room = 2;
      for (let i = 0; i < 10; i++) write();
      // Turns: the sink takes a few messages each time, and more puts land between turns.
      for (let turn = 0; turn < 500 && (queue.length > 0 || turn < 60); turn++) {
        room = 1 + (turn % 4);
        s.resume();
        if (turn < 60 && turn % 3 === 0) write();
        if (turn < 60 && turn % 5 === 0) write();
        const next = queue.shift();
        next?.();
      }
      room = Infinity;
      s.resume();
      for (let i = 0; queue.length > 0 && i < 1000; i++) queue.shift()!();
      write();
      for (let i = 0; queue.length > 0 && i < 1000; i++) queue.shift()!();
      ids.forEach((id, i) => {
        // Deletes of keys that do not exist yet are no events (n % 7 === 0 with an absent key).
        const want = (i % 4 === 3 ? expectedNoDel : expected).filter(
          (e) => !e.startsWith('DELETE') || c.events(ids[0]!).includes(e),
        );
        expect(c.events(id)).toEqual(want);
      });
      expect(c.events(ids[0]!)).toEqual(expected);
      // A revision is never split across messages.
      for (const id of ids) {
        const seen = new Set<number>();
        for (const m of c.messages.filter((mm) => mm.watchId === id && mm.events.length > 0)) {
          const revs = new Set(m.events.map((e) => e.kv.modRevision));
          for (const r of revs) expect(seen.has(r)).toBe(false);
          for (const r of revs) seen.add(r);
          // The header revision: the last event's (live) or the store's (a replay's end).
          expect(m.revision).toBeGreaterThanOrEqual(Math.max(...revs));
        }
      }
    });
  }

  it('cancels a held-back watcher whose missed revisions were compacted before its replay', () => {
    const { hub, put, flush, store } = setup({ maxEventsPerMessage: 1 });
    let open = true;
    const c = collector(() => open);
    const s = hub.openStream(c.sink);
    const a = s.watch({ range: singleKey(k('a')), startRevision: 0 });
    const quiet = s.watch({ range: singleKey(k('q')), startRevision: 0 });
    open = false;
    put('a', '1');
    flush();
    put('a', '2');
    put('a', '3'); // over the bound: a gives up its held events and will replay from 3
    store.compact(4);
    open = true;
    s.resume();
    flush();
    expect(c.messages.find((m) => m.compactRevision)).toMatchObject({
      watchId: a,
      compactRevision: 4,
    });
    // A watcher that had nothing to deliver is unaffected by the compaction.
    put('q', '1');
    flush();
    expect(c.events(quiet)).toEqual(['PUT q@5']);
  });

  it("sends a watcher's held events before its canceled response, also while backed up", () => {
    const { hub, put, flush } = setup();
    let open = true;
    const c = collector(() => open);
    const s = hub.openStream(c.sink);
    const a = s.watch({ range: singleKey(k('a')), startRevision: 0 });
    const bId = s.watch({ range: singleKey(k('b')), startRevision: 0 });
    open = false;
    put('b', '0'); // 2
    flush(); // the sink is full
    put('a', '1'); // 3
    put('a', '2'); // 4
    s.cancel(a);
    const mine = c.messages.filter((m) => m.watchId === a);
    expect(mine.map((m) => [m.events.length, m.canceled ?? false])).toEqual([
      [0, false], // created
      [2, false],
      [0, true],
    ]);
    put('a', '3');
    open = true;
    s.resume();
    flush();
    expect(c.events(a)).toEqual(['PUT a@3', 'PUT a@4']);
    expect(c.events(bId)).toEqual(['PUT b@2']);
    expect(s.size).toBe(1);
  });
});

/**
 * A hub with the busy hold: `delay` calls wait in `timers` until the fake clock reaches their
 * time (`advance`), `schedule` calls are the end of the turn (`flush`).
 */
function busySetup(opts: Partial<WatchHubOptions> = {}) {
  let clock = 0;
  const timers: Array<{ at: number; fn: () => void }> = [];
  const base = setup({
    delay: (fn, ms) => timers.push({ at: clock + ms, fn }),
    now: () => clock,
    busyFlushMessages: 3,
    busyHoldMs: 10,
    ...opts,
  });
  const advance = (ms: number): void => {
    clock += ms;
    for (;;) {
      const i = timers.findIndex((t) => t.at <= clock);
      if (i < 0) break;
      timers.splice(i, 1)[0]!.fn();
      base.flush();
    }
  };
  return { ...base, timers, advance };
}

describe('WatchHub under load (busy hold)', () => {
  const eventMessages = (c: ReturnType<typeof collector>, id: number) =>
    c.messages.filter((m) => m.watchId === id && m.events.length > 0);

  it('sends at the end of the turn while idle, and after a small flush', () => {
    const { hub, put, flush, timers } = busySetup();
    const c = collector();
    const s = hub.openStream(c.sink);
    const ids = [0, 1].map(() => s.watch({ range: prefix('a/'), startRevision: 0 }));
    for (let i = 0; i < 3; i++) {
      put(`a/${i}`, 'x');
      flush(); // two messages a turn: below busyFlushMessages, nothing waits
    }
    expect(timers).toHaveLength(0);
    for (const id of ids) expect(eventMessages(c, id).map((m) => m.revision)).toEqual([2, 3, 4]);
  });

  it("holds the next flush for busyHoldMs after a busy one, merging that time's revisions per watcher", () => {
    const { hub, put, flush, advance, timers } = busySetup();
    const c = collector();
    const s = hub.openStream(c.sink);
    const c2 = collector();
    const s2 = hub.openStream(c2.sink);
    const ids = [0, 1, 2].map(() => s.watch({ range: prefix('a/'), startRevision: 0 }));
    const other = s2.watch({ range: prefix('a/'), startRevision: 0 });
    put('a/1', 'x'); // 2
    flush(); // four messages: busy
    expect(eventMessages(c, ids[0]!)).toHaveLength(1);
    put('a/2', 'x'); // 3
    flush();
    advance(4);
    put('a/3', 'x'); // 4
    flush();
    // Held on both streams until 10 ms after the busy flush.
    expect(eventMessages(c, ids[0]!)).toHaveLength(1);
    expect(eventMessages(c2, other)).toHaveLength(1);
    expect(timers).toHaveLength(1);
    advance(6);
    for (const [cc, id] of [...ids.map((i) => [c, i] as const), [c2, other] as const]) {
      expect(eventMessages(cc, id).map((m) => m.revision)).toEqual([2, 4]);
      expect(cc.events(id)).toEqual(['PUT a/1@2', 'PUT a/2@3', 'PUT a/3@4']);
    }
    // That flush was busy too: the next put waits again; once the member has been quiet for
    // busyHoldMs, a put goes out at the end of its turn.
    put('a/4', 'x'); // 5
    flush();
    expect(c.events(ids[0]!)).toHaveLength(3);
    advance(10);
    expect(c.events(ids[0]!)).toHaveLength(4);
    advance(10); // quiet
    put('a/5', 'x'); // 6
    flush();
    expect(c.events(ids[0]!).at(-1)).toBe('PUT a/5@6');
    expect(timers).toHaveLength(0);
  });

  it('keeps the message bounds, cancel and progress order while holding', () => {
    const { hub, put, flush, advance } = busySetup({ maxEventsPerMessage: 2 });
    const c = collector();
    const s = hub.openStream(c.sink);
    const ids = [0, 1, 2].map(() => s.watch({ range: prefix('a/'), startRevision: 0 }));
    put('a/0', 'x'); // 2
    flush(); // busy
    for (let i = 1; i <= 5; i++) put(`a/${i}`, 'x'); // 3..7: over the bound after two
    s.requestProgress();
    expect(s.cancel(ids[2]!)).toBe(true);
    flush();
    // The canceled watcher's held events went out before its canceled response.
    const cancelAt = c.messages.findIndex((m) => m.watchId === ids[2] && m.canceled === true);
    expect(c.events(ids[2]!)).toEqual([
      'PUT a/0@2',
      'PUT a/1@3',
      'PUT a/2@4',
      'PUT a/3@5',
      'PUT a/4@6',
      'PUT a/5@7',
    ]);
    expect(
      c.messages.findLastIndex((m) => m.watchId === ids[2] && m.events.length > 0),
    ).toBeLessThan(cancelAt);
    // Not answered while events are held.
    expect(c.messages.some((m) => m.watchId === PROGRESS_WATCH_ID)).toBe(false);
    advance(10);
    for (const id of ids.slice(0, 2)) {
      expect(eventMessages(c, id).map((m) => m.events.length)).toEqual([1, 2, 2, 1]);
      expect(c.events(id)).toEqual(c.events(ids[2]!));
    }
    const progress = c.messages.findIndex((m) => m.watchId === PROGRESS_WATCH_ID);
    expect(progress).toBe(c.messages.length - 1);
    expect(c.messages[progress]).toMatchObject({ revision: 7, events: [] });
  });

  it('keeps every event once and in order with puts, holds and a stream that blocks now and then', () => {
    const { hub, put, flush, advance, store } = busySetup({ maxEventsPerMessage: 4 });
    let room = Infinity;
    const c = collector(() => --room > 0);
    const s = hub.openStream(c.sink);
    const ids = Array.from({ length: 6 }, () => s.watch({ range: prefix('p/'), startRevision: 0 }));
    const expected: string[] = [];
    for (let n = 0; n < 200; n++) {
      put(`p/${n % 7}`, String(n));
      expected.push(`PUT p/${n % 7}@${store.rev}`);
      if (n % 3 === 0) flush();
      if (n % 5 === 0) advance(n % 4);
      if (n % 17 === 0) room = 1 + (n % 5); // the sink fills after a few messages
      if (n % 13 === 0) {
        room = Infinity;
        s.resume();
      }
    }
    room = Infinity;
    s.resume();
    flush();
    advance(100);
    for (const id of ids) expect(c.events(id)).toEqual(expected);
    // Fewer messages than revisions: the holds merged them.
    expect(eventMessages(c, ids[0]!).length).toBeLessThan(expected.length);
  });
});

describe('WatchHub progress', () => {
  it('answers a progress request with watch ID -1 once every watcher caught up', () => {
    const { hub, put, flush } = setup();
    for (let i = 0; i < 3; i++) put('a', String(i));
    const c = collector();
    const s = hub.openStream(c.sink);
    s.watch({ range: singleKey(k('a')), startRevision: 2 });
    s.requestProgress();
    expect(c.messages.some((m) => m.watchId === PROGRESS_WATCH_ID)).toBe(false);
    flush();
    const last = c.messages.at(-1)!;
    expect(last).toMatchObject({ watchId: PROGRESS_WATCH_ID, revision: 4, events: [] });
  });

  it('answers a progress request made while backed up only after the held events went out', () => {
    const { hub, put, flush } = setup();
    let open = true;
    const c = collector(() => open);
    const s = hub.openStream(c.sink);
    const a = s.watch({ range: singleKey(k('a')), startRevision: 0 });
    open = false;
    put('a', '1'); // 2
    flush(); // full
    put('a', '2'); // 3: held
    s.requestProgress();
    put('a', '3'); // 4: held
    flush();
    expect(c.messages.some((m) => m.watchId === PROGRESS_WATCH_ID)).toBe(false);
    open = true;
    s.resume();
    flush();
    const progress = c.messages.findIndex((m) => m.watchId === PROGRESS_WATCH_ID);
    const lastEvents = c.messages.findLastIndex((m) => m.watchId === a && m.events.length > 0);
    expect(progress).toBeGreaterThan(lastEvents);
    expect(c.messages[progress]).toMatchObject({ revision: 4, events: [] });
    expect(c.events(a)).toEqual(['PUT a@2', 'PUT a@3', 'PUT a@4']);
  });

  it('notifies idle progress_notify watchers on each tick, skipping those that sent events', () => {
    const { hub, put } = setup();
    const c = collector();
    const s = hub.openStream(c.sink);
    const p = s.watch({ range: singleKey(k('a')), startRevision: 0, progressNotify: true });
    const quiet = s.watch({ range: singleKey(k('b')), startRevision: 0 });
    put('a', '1');
    s.progressTick(); // p was active: nothing
    expect(
      c.messages.filter((m) => m.watchId === p && m.events.length === 0 && !m.created),
    ).toEqual([]);
    put('z', '1');
    s.progressTick();
    expect(c.messages.at(-1)).toMatchObject({ watchId: p, revision: 3, events: [] });
    expect(c.messages.filter((m) => m.watchId === quiet && !m.created)).toEqual([]);
  });
});

describe('WatchHub streams', () => {
  it('drops every watcher of a closed stream', () => {
    const { hub, put } = setup();
    const c = collector();
    const s = hub.openStream(c.sink);
    s.watch({ range: singleKey(k('a')), startRevision: 0 });
    s.watch({ range: prefix('a'), startRevision: 0 });
    expect(hub.watcherCount).toBe(2);
    s.close();
    expect(hub.watcherCount).toBe(0);
    expect(hub.streamCount).toBe(0);
    put('a', '1');
    expect(c.messages.filter((m) => m.events.length > 0)).toEqual([]);
  });
});
