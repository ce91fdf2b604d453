import { MemoryStorage, MessageType, type Entry, type Message } from '@kubets/raft';
import { SimDisk } from '@kubets/sim';
import { describe, expect, it } from 'vitest';
import { encodeInSlices, eventLoopScheduler } from '../apply/encode-slices.js';
import { SimDiskFs } from '../storage/fs.js';
import { RaftLog } from '../storage/raft-log.js';
import { RaftNode } from './raft-node.js';

/** What the members did, in order: applies, answers (from process.nextTick) and sends. */
type Event =
  | { kind: 'apply'; member: number; data: string }
  | { kind: 'answer'; member: number; data: string }
  | { kind: 'send'; from: number; to: number; type: MessageType; entries: number };

const text = (e: Entry): string => Buffer.from(e.data).toString();

/**
 * Three RaftNodes wired in-process over simulated disks. Messages are delivered from a
 * setImmediate (as from a socket), each member "answers" an applied entry from process.nextTick
 * (as the gRPC layer writes its responses).
 */
async function cluster(
  opts: { persistedNotices?: boolean } = {},
): Promise<{ nodes: Map<number, RaftNode>; events: Event[] }> {
  const ids = [1, 2, 3];
  const nodes = new Map<number, RaftNode>();
  const events: Event[] = [];
  for (const id of ids) {
    const storage = MemoryStorage.bootstrap(ids);
    const { hardState, confState } = storage.initialState();
    const snapshotIndex = storage.firstIndex() - 1;
    const log = await RaftLog.create(
      { fs: new SimDiskFs(new SimDisk()), identity: { memberId: id, clusterId: 7n } },
      undefined,
      hardState,
    );
    const node: RaftNode = new RaftNode({
      config: {
        id,
        electionTick: 10,
        heartbeatTick: 1,
        random: () => 0.5,
        applied: snapshotIndex,
        persistedNotices: opts.persistedNotices ?? false,
      },
      storage,
      log,
      snapshotCount: 1_000_000,
      confState,
      snapshotIndex,
      appliedTerm: storage.term(snapshotIndex),
      hooks: {
        onSoftState: () => undefined,
        applyEntry: (e) => {
          if (e.data.length === 0) return;
          events.push({ kind: 'apply', member: id, data: text(e) });
          process.nextTick(() => events.push({ kind: 'answer', member: id, data: text(e) }));
        },
        applyConfChange: () => undefined,
        restoreSnapshot: () => undefined,
        onReadState: () => undefined,
        encodeState: () =>
          encodeInSlices(
            { nextSlice: () => undefined, close: () => undefined, finished: true },
            eventLoopScheduler,
          ),
        send: (messages: readonly Message[]) => {
          for (const m of messages) {
            events.push({
              kind: 'send',
              from: id,
              to: m.to,
              type: m.type,
              entries: m.entries.length,
            });
            setImmediate(() => nodes.get(m.to)?.step(m));
          }
        },
        onFatal: (err) => {
          throw err;
        },
      },
    });
    nodes.set(id, node);
  }
  return { nodes, events };
}

/** Lets the members exchange messages until nothing is left in flight. */
async function settle(nodes: Map<number, RaftNode>): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setImmediate(r));
    await Promise.all([...nodes.values()].map((n) => n.settle()));
  }
}

/** The index in `events` of the first event matching `match`. */
function at(events: Event[], match: (e: Event, i: number) => boolean): number {
  const i = events.findIndex(match);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

const commitTo = (from: number, to: number, after: number) => (e: Event, i: number) =>
  i > after &&
  e.kind === 'send' &&
  e.from === from &&
  e.to === to &&
  e.type === MessageType.MsgApp &&
  e.entries === 0;

describe('RaftNode: commit updates', () => {
  // Decision 0034 measured holding commit updates back until the leader answered its own
  // clients: on a loaded machine the followers' apply then competes with the client's turnaround
  // instead, and puts got slower overall. A leader sends them before it applies.
  it("leave before the leader applies, whether its own client or a follower's proposed", async () => {
    const { nodes, events } = await cluster();
    nodes.get(1)!.campaign();
    await settle(nodes);
    for (const [member, data] of [
      [1, 'own'],
      [3, 'forwarded'],
    ] as const) {
      events.length = 0;
      nodes.get(member)!.propose(Buffer.from(data));
      await settle(nodes);
      const appended = at(events, (e) => e.kind === 'send' && e.from === 1 && e.entries === 1);
      const applied = at(events, (e) => e.kind === 'apply' && e.member === 1 && e.data === data);
      expect(at(events, commitTo(1, 2, appended))).toBeLessThan(applied);
      expect(at(events, commitTo(1, 3, appended))).toBeLessThan(applied);
      for (const id of [1, 2, 3])
        expect(events.some((e) => e.kind === 'apply' && e.member === id && e.data === data)).toBe(
          true,
        );
      expect(events.some((e) => e.kind === 'answer' && e.member === member)).toBe(true);
    }
  });

  it('a follower acknowledges a commit-only append after answering its client', async () => {
    const { nodes, events } = await cluster();
    nodes.get(1)!.campaign();
    await settle(nodes);
    events.length = 0;
    nodes.get(3)!.propose(Buffer.from('forwarded'));
    await settle(nodes);
    const appended = at(events, (e) => e.kind === 'send' && e.from === 1 && e.entries === 1);
    const commit = at(events, commitTo(1, 3, appended));
    const answered = at(events, (e) => e.kind === 'answer' && e.member === 3);
    const ack = at(
      events,
      (e, i) =>
        i > commit && e.kind === 'send' && e.from === 3 && e.type === MessageType.MsgAppResp,
    );
    expect(ack).toBeGreaterThan(answered);
  });
});

describe('RaftNode: persisted notices (decision 0050)', () => {
  it("a follower's forwarded write commits on the leader's notice", async () => {
    const { nodes, events } = await cluster({ persistedNotices: true });
    nodes.get(1)!.campaign();
    await settle(nodes);
    events.length = 0;
    nodes.get(3)!.propose(Buffer.from('forwarded'));
    await settle(nodes);
    expect(nodes.get(1)!.raw.metrics().persistedNoticesSent).toBe(1);
    expect(nodes.get(3)!.raw.metrics().commitsByPersistedNotice).toBe(1);
    expect(events.some((e) => e.kind === 'answer' && e.member === 3)).toBe(true);
    for (const id of [1, 2, 3])
      expect(events.some((e) => e.kind === 'apply' && e.member === id)).toBe(true);
    // To member 3: the append, then the notice (an empty MsgApp). A commit-only append may
    // follow when member 2's acknowledgement committed the entry before member 3's arrived.
    const toThree = events.filter(
      (e) => e.kind === 'send' && e.from === 1 && e.to === 3 && e.type === MessageType.MsgApp,
    );
    expect(toThree.slice(0, 2).map((e) => (e.kind === 'send' ? e.entries : -1))).toEqual([1, 0]);
  });
});
