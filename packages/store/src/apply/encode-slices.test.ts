import { describe, expect, it } from 'vitest';
import { keyString } from '../mvcc/kv.js';
import type { InternalRequest } from '../gen/etcd/types/kubets/store/InternalRequest.js';
import { internalRequestCodec } from './codec.js';
import {
  SnapshotAbortedError,
  encodeInSlices,
  type SliceScheduler,
  type SlicedEncoding,
} from './encode-slices.js';
import { StateMachineEncoder, encodeStateMachine, restoreStateMachine } from './snapshot-codec.js';
import { StateMachine } from './state-machine.js';

const machine = () =>
  new StateMachine({ clusterId: 0xbeefn, quotaBytes: 1 << 30, minLeaseTtlSeconds: 1 });
const apply = (sm: StateMachine, req: InternalRequest) => {
  const r = sm.apply(
    internalRequestCodec.decode(internalRequestCodec.encode({ ID: 1, ...req })),
    0,
  );
  if (!r.ok) throw r.error;
  return r.response;
};
const put = (sm: StateMachine, key: string, value: string) =>
  apply(sm, { put: { key: Buffer.from(key), value: Buffer.from(value) } });
const del = (sm: StateMachine, key: string) =>
  apply(sm, { delete_range: { key: Buffer.from(key) } });
const key = (i: number) => `k${String(i).padStart(4, '0')}`;

/** 400 keys, several revisions each, some deleted, one compaction behind them. */
function populated(): StateMachine {
  const sm = machine();
  apply(sm, { lease_grant: { ID: '77', TTL: 60 } });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 400; i++) put(sm, key(i), `v${round}-${i}`);
  }
  for (let i = 0; i < 400; i += 7) del(sm, key(i));
  apply(sm, { put: { key: Buffer.from(key(3)), value: Buffer.from('leased'), lease: '77' } });
  apply(sm, { compaction: { revision: 500 } });
  sm.appliedIndex = 1234;
  sm.appliedTerm = 5;
  return sm;
}

/**
 * A scheduler whose clock advances 1 ms at every reading, so a 4 ms budget ends a slice after
 * a few checks, and whose turns run `betweenSlices` (the writes other requests would make).
 */
function fakeScheduler(betweenSlices: (turn: number) => void): SliceScheduler & { turns: number } {
  let clock = 0;
  const s = {
    turns: 0,
    now: () => clock++,
    wait: () => {
      betweenSlices(s.turns++);
      return Promise.resolve();
    },
  };
  return s;
}

async function collect(encoding: SlicedEncoding): Promise<Buffer[]> {
  const slices: Buffer[] = [];
  for await (const slice of encoding) slices.push(Buffer.from(slice));
  return slices;
}

/** What a client reading at `rev` would see of every key. */
const readAll = (sm: StateMachine, rev: number) =>
  sm.mvcc.range({ key: '', end: '' }, { rev }).kvs.map((kv) => [keyString(kv.key), kv]);

describe('snapshots encoded in slices', () => {
  it('equal the snapshot taken at once at the applied index while writes and compactions land between slices', async () => {
    const sm = populated();
    const expected = encodeStateMachine(sm);
    const revAtStart = sm.mvcc.rev;
    const compactAtStart = sm.mvcc.compactRev;
    const scheduler = fakeScheduler((turn) => {
      // New keys before and after the encoder's position, rewrites and deletions of keys it
      // has not reached yet, and compactions that drop revisions the snapshot still needs.
      put(sm, `a-new-${turn}`, 'x');
      put(sm, `z-new-${turn}`, 'x');
      put(sm, key(399 - turn), `late-${turn}`);
      del(sm, key(398 - turn));
      if (turn === 1) apply(sm, { compaction: { revision: revAtStart - 5 } });
      if (turn === 3) apply(sm, { compaction: { revision: revAtStart + 2 } });
      sm.appliedIndex++;
    });
    const slices = await collect(
      encodeInSlices(new StateMachineEncoder(sm), scheduler, { budgetMs: 4, share: 1 }),
    );

    expect(slices.length).toBeGreaterThan(3);
    expect(Buffer.concat(slices)).toEqual(expected);
    const restored = machine();
    restoreStateMachine(restored, Buffer.concat(slices), 0);
    expect([restored.appliedIndex, restored.mvcc.rev, restored.mvcc.compactRev]).toEqual([
      1234,
      revAtStart,
      compactAtStart,
    ]);
    const reference = machine();
    restoreStateMachine(reference, expected, 0);
    for (const rev of [compactAtStart, revAtStart - 5, revAtStart]) {
      expect(readAll(restored, rev)).toEqual(readAll(reference, rev));
    }
    expect(restored.lessor.lookup(77n)?.keys).toEqual(new Set([key(3)]));
  });

  it('runs the compactions deferred during the encode once it ends, and keeps them logical meanwhile', async () => {
    const sm = populated();
    const revAtStart = sm.mvcc.rev;
    let compactedRev = 0;
    const scheduler = fakeScheduler((turn) => {
      put(sm, key(turn), `late-${turn}`);
      if (turn === 0) {
        compactedRev = sm.mvcc.rev;
        apply(sm, { compaction: { revision: compactedRev } });
        // Reads below the new compaction revision fail at once.
        expect(() => sm.mvcc.range({ key: '', end: '' }, { rev: revAtStart - 10 })).toThrow(
          /compacted/,
        );
      }
    });
    const historyBefore = sm.mvcc.historyLength;
    await collect(
      encodeInSlices(new StateMachineEncoder(sm), scheduler, { budgetMs: 4, share: 1 }),
    );

    // Now spliced: nothing before the compaction revision is left in the history.
    expect(sm.mvcc.historyLength).toBeLessThan(historyBefore);
    expect([...sm.mvcc.eventsBetween(compactedRev, sm.mvcc.rev)][0]!.kv.modRevision).toBe(
      compactedRev,
    );
    const copy = machine();
    restoreStateMachine(copy, encodeStateMachine(sm), 0);
    expect(readAll(copy, sm.mvcc.rev)).toEqual(readAll(sm, sm.mvcc.rev));
  });

  it('waits between slices so that encoding takes at most its share of wall time', async () => {
    let clock = 0;
    const waits: number[] = [];
    let left = 4;
    // Each slice takes 5 ms of the fake clock; the fourth is the last.
    const encoder = {
      finished: false,
      nextSlice(): Uint8Array | undefined {
        if (left === 0) return undefined;
        clock += 5;
        this.finished = --left === 0;
        return new Uint8Array([left]);
      },
      close: () => undefined,
    };
    const scheduler: SliceScheduler = {
      now: () => clock,
      wait: (ms) => {
        waits.push(ms);
        clock += ms;
        return Promise.resolve();
      },
    };
    const slices = await collect(encodeInSlices(encoder, scheduler, { budgetMs: 4, share: 0.25 }));
    expect(slices).toHaveLength(4);
    // 5 ms of encoding, then 15 ms for everything else; none after the last slice.
    expect(waits).toEqual([15, 15, 15]);
  });

  it('stops with SnapshotAbortedError when aborted, releasing the compaction it held', async () => {
    const sm = populated();
    const encoding = encodeInSlices(
      new StateMachineEncoder(sm),
      fakeScheduler(() => undefined),
      { budgetMs: 4 },
    );
    const slices: Buffer[] = [];
    const reading = (async () => {
      for await (const slice of encoding) {
        slices.push(Buffer.from(slice));
        if (slices.length === 1) {
          apply(sm, { compaction: { revision: sm.mvcc.rev } });
          encoding.abort();
        }
      }
    })();
    await expect(reading).rejects.toThrow(SnapshotAbortedError);
    expect(slices).toHaveLength(1);
    // The compaction applied during the encode was carried out when it was aborted: only the
    // event of the compaction revision itself is left.
    expect(sm.mvcc.historyLength).toBe(1);
  });

  it('refuses to go on once the state machine was replaced by a restore', async () => {
    const sm = populated();
    const leaderSnapshot = encodeStateMachine(populated());
    const encoding = encodeInSlices(
      new StateMachineEncoder(sm),
      fakeScheduler((turn) => {
        if (turn === 0) restoreStateMachine(sm, leaderSnapshot, 0);
      }),
      { budgetMs: 4 },
    );
    await expect(collect(encoding)).rejects.toThrow(/replaced while being encoded/);
  });
});
