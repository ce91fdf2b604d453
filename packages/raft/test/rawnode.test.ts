/** The RawNode API and the Ready/advance contract. */
import { describe, expect, it } from 'vitest';
import { decodeConfChange } from '../src/codec.js';
import { ConfChanges } from '../src/confchange.js';
import { ProposalDroppedError, RaftContractError } from '../src/errors.js';
import { RawNode } from '../src/rawnode.js';
import { MemoryStorage } from '../src/storage.js';
import { EntryType, makeMessage, MessageType, StateType } from '../src/types.js';
import { Cluster, enc } from './helpers/cluster.js';

function singleNode(): { node: RawNode; storage: MemoryStorage } {
  const storage = MemoryStorage.bootstrap([1]);
  const node = new RawNode({ id: 1, storage, electionTick: 10, heartbeatTick: 1, random: () => 0 });
  return { node, storage };
}

/** Runs Ready cycles like a host until nothing is left. */
function drive(node: RawNode, storage: MemoryStorage): void {
  for (let i = 0; i < 20 && node.hasReady(); i++) {
    const rd = node.ready();
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.EntryConfChange) node.applyConfChange(decodeConfChange(e.data));
    }
    node.advance();
  }
}

describe('Ready/advance contract', () => {
  it('advance() without a ready() throws', () => {
    const { node } = singleNode();
    expect(() => node.advance()).toThrow(RaftContractError);
    expect(() => node.advance()).toThrow(/without a preceding ready/);
  });

  it('ready() twice without advance() throws; hasReady() is false meanwhile', () => {
    const { node } = singleNode();
    node.campaign();
    expect(node.hasReady()).toBe(true);
    node.ready();
    expect(node.hasReady()).toBe(false);
    expect(() => node.ready()).toThrow(/called again before advance/);
    node.advance();
    expect(() => node.advance()).toThrow(RaftContractError);
  });

  it('advance() refuses to proceed while a committed conf change was not applied', () => {
    const { node, storage } = singleNode();
    node.campaign();
    drive(node, storage);
    node.proposeConfChange(ConfChanges.addNode(2));
    let rd = node.ready();
    storage.append(rd.entries);
    node.advance();
    rd = node.ready();
    expect(rd.committedEntries.some((e) => e.type === EntryType.EntryConfChange)).toBe(true);
    expect(() => node.advance()).toThrow(/conf change\(s\) not applied/);
    node.applyConfChange(
      decodeConfChange(rd.committedEntries.find((e) => e.type === EntryType.EntryConfChange)!.data),
    );
    node.advance();
    expect(node.status().config.voters).toEqual([1, 2]);
  });

  it('a single node elects itself, persisting its vote before anything else', () => {
    const { node, storage } = singleNode();
    node.campaign();
    const rd = node.ready();
    expect(rd.softState).toEqual({ lead: 1, raftState: StateType.Leader });
    expect(rd.hardState).toMatchObject({ term: 2, vote: 1 });
    expect(rd.mustSync).toBe(true);
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    // The leader's own entry is not committed until the host acknowledged persisting it.
    expect(rd.committedEntries).toEqual([]);
    storage.append(rd.entries);
    storage.setHardState(rd.hardState!);
    node.advance();
    const rd2 = node.ready();
    expect(rd2.committedEntries.map((e) => e.index)).toEqual([2]);
    expect(rd2.hardState).toMatchObject({ commit: 2 });
    expect(rd2.mustSync).toBe(false); // only the commit index changed
    node.advance();
    expect(node.hasReady()).toBe(false);
  });

  it('entries replaced between ready() and advance() are handed out again', () => {
    const storage = MemoryStorage.bootstrap([1, 2]);
    const node = new RawNode({
      id: 2,
      storage,
      electionTick: 10,
      heartbeatTick: 1,
      random: () => 0,
      preVote: false,
    });
    const app = (term: number, index: number, logTerm: number, entries: [number, number][]) =>
      makeMessage({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term,
        index,
        logTerm,
        entries: entries.map(([i, t]) => ({
          index: i,
          term: t,
          type: EntryType.EntryNormal,
          data: enc('x'),
        })),
      });
    node.step(
      app(2, 1, 1, [
        [2, 2],
        [3, 2],
      ]),
    );
    const rd = node.ready();
    expect(rd.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['2/2', '3/2']);
    storage.append(rd.entries);
    // A new leader overwrites index 3 before the host acknowledged.
    node.step(app(3, 2, 2, [[3, 3]]));
    node.advance();
    const rd2 = node.ready();
    expect(rd2.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['3/3']);
    storage.append(rd2.entries);
    node.advance();
    expect(storage.term(3)).toBe(3);
  });

  it('a restarted node re-delivers committed entries after the applied index', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    for (const v of ['a', 'b', 'c']) c.propose(1, v);
    const st = c.node(2).storage;
    const applied = c.node(2).applied[1]!.index; // applied up to 'b'
    const node = new RawNode({
      id: 2,
      storage: st,
      electionTick: 10,
      heartbeatTick: 1,
      random: () => 0,
      applied,
    });
    const rd = node.ready();
    expect(rd.committedEntries.map((e) => new TextDecoder().decode(e.data))).toEqual(['c']);
  });
});

describe('RawNode input validation', () => {
  it('refuses local message types from the network', () => {
    const { node } = singleNode();
    for (const type of [
      MessageType.MsgHup,
      MessageType.MsgBeat,
      MessageType.MsgCheckQuorum,
      MessageType.MsgUnreachable,
      MessageType.MsgSnapStatus,
    ]) {
      expect(() => node.step(makeMessage({ type, to: 1, from: 2 }))).toThrow(/local message/);
    }
  });

  it('refuses messages addressed to another node and unknown types', () => {
    const { node } = singleNode();
    expect(() =>
      node.step(makeMessage({ type: MessageType.MsgApp, to: 7, from: 2, term: 5 })),
    ).toThrow(/addressed to 7/);
    expect(() => node.step(makeMessage({ type: 99 as never, to: 1, from: 2 }))).toThrow(
      /unknown message type 99/,
    );
  });

  it('ignores responses from nodes outside the configuration', () => {
    const { node } = singleNode();
    node.step(makeMessage({ type: MessageType.MsgAppResp, to: 1, from: 9, term: 50, index: 3 }));
    expect(node.status().term).toBe(1);
  });

  it('refuses proposals without a leader, and non-binary data', () => {
    const c = new Cluster([1, 2, 3]);
    expect(() => c.raw(2).propose(enc('x'))).toThrow(ProposalDroppedError);
    expect(() => c.raw(2).propose('x' as never)).toThrow(/Uint8Array/);
    expect(() => c.raw(2).proposeBatch([])).toThrow(/at least one/);
    expect(c.raw(2).metrics().proposalsDropped).toBe(1);
  });

  it('a forwarded proposal that reaches a non-leader is dropped silently', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(1);
    c.raw(2).campaign(); // 2 is now a candidate without a leader
    expect(() =>
      c.raw(2).step(
        makeMessage({
          type: MessageType.MsgProp,
          to: 2,
          from: 3,
          entries: [{ index: 0, term: 0, type: 0, data: enc('x') }],
        }),
      ),
    ).not.toThrow();
  });

  it('proposals on a follower are forwarded to the leader', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.raw(3).proposeBatch([enc('a'), enc('b')]);
    c.stabilize();
    expect(c.sentOf(MessageType.MsgProp, { from: 3, to: 1 })).toHaveLength(1);
    expect(c.node(1).appliedData()).toEqual(['a', 'b']);
  });

  it('can refuse forwarding', () => {
    const c = new Cluster([1, 2, 3], { config: { disableProposalForwarding: true } });
    c.campaign(1);
    expect(() => c.raw(3).propose(enc('a'))).toThrow(/forwarding disabled/);
  });

  it('refuses a random source outside [0, 1)', () => {
    expect(
      () =>
        new RawNode({
          id: 1,
          storage: MemoryStorage.bootstrap([1]),
          electionTick: 10,
          heartbeatTick: 1,
          random: () => 1,
        }),
    ).toThrow(/\[0, 1\)/);
  });
});

describe('status and metrics', () => {
  it('reports state, progress and counters', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    const s = c.raw(1).status();
    expect(s).toMatchObject({ id: 1, lead: 1, raftStateName: 'Leader', vote: 1, isLearner: false });
    expect(s.commit).toBe(s.lastIndex);
    expect(s.applied).toBe(s.commit);
    expect([...s.progress.keys()]).toEqual([1, 2, 3]);
    expect(s.progress.get(2)).toMatchObject({
      stateName: 'Replicate',
      match: s.lastIndex,
      next: s.lastIndex + 1,
    });
    expect(c.raw(2).status().progress.size).toBe(0);
    const m1 = c.raw(1).metrics();
    expect(m1).toMatchObject({ becameLeader: 1, electionsStarted: 1, leaderChanges: 1 });
    expect(m1.messagesSent).toBeGreaterThan(0);
    expect(c.raw(2).metrics()).toMatchObject({ becameLeader: 0, leaderChanges: 1 });
    expect(c.raw(2).metrics().messagesReceived).toBeGreaterThan(0);
  });
});
