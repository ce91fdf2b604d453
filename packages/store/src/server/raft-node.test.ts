import { MemoryStorage, MessageType, type Entry, type Message } from '@kubets/raft';
import { SimDisk } from '@kubets/sim';
import { describe, expect, it } from 'vitest';
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
async function cluster(): Promise<{ nodes: Map<number, RaftNode>; events: Event[] }> {
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
        encodeState: () => new Uint8Array(0),
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

describe('RaftNode: commit updates no client waits for go after the answers', () => {
  it('a leader answers its own client before telling the followers of the commit', async () => {
    const { nodes, events } = await cluster();
    nodes.get(1)!.campaign();
    await settle(nodes);
    events.length = 0;

    nodes.get(1)!.propose(Buffer.from('own'));
    await settle(nodes);

    const answered = at(events, (e) => e.kind === 'answer' && e.member === 1);
    const first = events.findIndex((e, i) => commitTo(1, 2, -1)(e, i) || commitTo(1, 3, -1)(e, i));
    expect(first).toBeGreaterThan(answered);
    // Every member still applies the entry.
    for (const id of [1, 2, 3])
      expect(events.some((e) => e.kind === 'apply' && e.member === id && e.data === 'own')).toBe(
        true,
      );
  });

  it("a follower's forwarded proposal: its commit leaves before the leader applies, the other follower's after", async () => {
    const { nodes, events } = await cluster();
    nodes.get(1)!.campaign();
    await settle(nodes);
    events.length = 0;

    nodes.get(3)!.propose(Buffer.from('forwarded'));
    await settle(nodes);

    const leaderApplied = at(events, (e) => e.kind === 'apply' && e.member === 1);
    const leaderAnswered = at(events, (e) => e.kind === 'answer' && e.member === 1);
    // The appends with the entry went to both followers; then the commit updates.
    const appended = at(events, (e) => e.kind === 'send' && e.from === 1 && e.entries === 1);
    const toProposer = at(events, commitTo(1, 3, appended));
    const toOther = at(events, commitTo(1, 2, appended));
    expect(toProposer).toBeLessThan(leaderApplied);
    expect(toOther).toBeGreaterThan(leaderAnswered);
    expect(events.some((e) => e.kind === 'answer' && e.member === 3)).toBe(true);
    expect(events.some((e) => e.kind === 'apply' && e.member === 2)).toBe(true);
  });

  it('each follower whose client waits gets its commit before the leader applies', async () => {
    const { nodes, events } = await cluster();
    nodes.get(1)!.campaign();
    await settle(nodes);
    events.length = 0;
    // Both followers' proposals reach the leader in the same turn.
    nodes.get(2)!.propose(Buffer.from('from-2'));
    nodes.get(3)!.propose(Buffer.from('from-3'));
    await settle(nodes);

    const appended = at(events, (e) => e.kind === 'send' && e.from === 1 && e.entries > 0);
    for (const f of [2, 3]) {
      const applied = at(
        events,
        (e) => e.kind === 'apply' && e.member === 1 && e.data === `from-${f}`,
      );
      expect(at(events, commitTo(1, f, appended))).toBeLessThan(applied);
    }
    for (const id of [1, 2, 3])
      expect(events.filter((e) => e.kind === 'apply' && e.member === id)).toHaveLength(2);
  });
});
