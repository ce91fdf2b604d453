/** Membership changes: single-step, joint consensus (thesis §4), learners, leader removal. */
import { describe, expect, it } from 'vitest';
import { ConfChanges } from '../src/confchange.js';
import { ProposalDroppedError } from '../src/errors.js';
import type { ConfChange, ConfChangeSingle } from '../src/types.js';
import { ConfChangeTransition, ConfChangeType, MessageType, StateType } from '../src/types.js';
import { decodeConfChange, encodeConfChange } from '../src/codec.js';
import { EntryType } from '../src/types.js';
import { Cluster } from './helpers/cluster.js';
import { drain, msg, newRaft } from './helpers/raft.js';

const add = (nodeId: number): ConfChangeSingle => ({ type: ConfChangeType.AddNode, nodeId });
const rem = (nodeId: number): ConfChangeSingle => ({ type: ConfChangeType.RemoveNode, nodeId });

function confChange(c: Cluster, id: number, cc: ConfChange): void {
  c.raw(id).proposeConfChange(cc);
  c.stabilize();
}

describe('single-step membership changes', () => {
  it('adds a node, which catches up from the bootstrap snapshot and the log', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    c.addJoiningNode(4);
    confChange(c, 1, ConfChanges.addNode(4));
    c.tickAll(2);
    expect(c.raw(1).status().config.voters).toEqual([1, 2, 3, 4]);
    expect(c.node(4).confState.voters).toEqual([1, 2, 3, 4]);
    expect(c.node(4).appliedData()).toEqual(['a']);
    c.propose(1, 'b');
    expect(c.node(4).appliedData()).toEqual(['a', 'b']);
    // The new voter counts: with two of four down nothing commits.
    c.stop(3);
    c.stop(4);
    c.propose(1, 'c');
    expect(c.node(1).appliedData()).toEqual(['a', 'b']);
  });

  it('removes a follower; the rest keep committing', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    confChange(c, 1, ConfChanges.removeNode(3));
    expect(c.raw(1).status().config.voters).toEqual([1, 2]);
    c.stop(3);
    c.propose(1, 'x');
    expect(c.node(2).appliedData()).toEqual(['x']);
  });

  it('a removed leader steps down after the change commits and hands over', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'before');
    confChange(c, 1, ConfChanges.removeNode(1));
    expect(c.node(1).raftState).toBe(StateType.Follower);
    // The most up-to-date remaining voter was told to campaign at once.
    expect(c.sentOf(MessageType.MsgTimeoutNow, { from: 1 })).toHaveLength(1);
    c.stop(1);
    const lead = c.leader();
    expect([2, 3]).toContain(lead);
    c.propose(lead, 'after');
    expect(c.node(2).appliedData()).toEqual(['before', 'after']);
    expect(c.node(3).appliedData()).toEqual(['before', 'after']);
  });

  it('at most one change may be pending', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(2);
    c.isolate(3);
    c.raw(1).proposeConfChange(ConfChanges.addNode(4));
    expect(() => c.raw(1).proposeConfChange(ConfChanges.addNode(5))).toThrow(ProposalDroppedError);
    expect(() => c.raw(1).proposeConfChange(ConfChanges.addNode(5))).toThrow(
      /unapplied conf change/,
    );
    expect(c.raw(1).metrics().proposalsDropped).toBe(2);
    c.recover();
    c.tickAll(2);
    c.raw(1).proposeConfChange(ConfChanges.addNode(5)); // accepted once the first is applied
  });

  it('a forwarded conf change that must be refused becomes a no-op entry', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    c.raw(1).proposeConfChange(ConfChanges.removeNode(3));
    c.hook = (m) => m.type !== MessageType.MsgApp; // keep it unapplied
    c.recover();
    c.raw(2).proposeConfChange(ConfChanges.removeNode(2)); // forwarded to 1, which refuses
    c.stabilize();
    c.hook = undefined;
    c.tickAll(2);
    expect(c.raw(1).status().config.voters).toEqual([1, 2]);
  });

  it('several changes in one Auto proposal go through joint consensus', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addJoiningNode(4);
    c.addJoiningNode(5);
    c.raw(1).proposeConfChange({
      transition: ConfChangeTransition.Auto,
      changes: [add(4), add(5)],
      context: new Uint8Array(),
    });
    c.stabilize();
    c.tickAll(2);
    // The joint config was entered, then left automatically by the leader: two entries.
    const st = c.node(1).storage;
    const ccs = st
      .entries(st.firstIndex(), st.lastIndex() + 1, Infinity)
      .filter((e) => e.type === EntryType.EntryConfChange);
    expect(ccs.map((e) => decodeConfChange(e.data).changes.length)).toEqual([2, 0]);
    expect(c.raw(1).status().config).toEqual({
      voters: [1, 2, 3, 4, 5],
      votersOutgoing: [],
      learners: [],
      learnersNext: [],
      autoLeave: false,
    });
  });

  it('refuses removing the last voter at proposal time', () => {
    const c = new Cluster([1]);
    c.campaign(1);
    expect(() => c.raw(1).proposeConfChange(ConfChanges.removeNode(1))).toThrow(
      /removed all voters/,
    );
  });

  it('a node does not campaign while a committed conf change is unapplied', () => {
    const r = newRaft(2);
    const cc = {
      index: 1,
      term: 1,
      type: EntryType.EntryConfChange,
      data: encodeConfChange(ConfChanges.removeNode(3)),
    };
    r.step(
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 1,
        index: 0,
        logTerm: 0,
        commit: 1,
        entries: [cc],
      }),
    );
    expect(r.log.committed).toBe(1);
    for (let i = 0; i < 30; i++) r.tick();
    expect(r.state).toBe(StateType.Follower);
    r.applyConfChange(ConfChanges.removeNode(3));
    r.appliedTo(1, 0);
    for (let i = 0; i < 30; i++) r.tick();
    expect(r.state).toBe(StateType.Candidate);
  });
});

describe('joint consensus', () => {
  it('replaces a majority of voters through a joint configuration, left automatically', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    c.addJoiningNode(4);
    c.addJoiningNode(5);
    c.raw(1).proposeConfChange(ConfChanges.joint([add(4), add(5), rem(2), rem(3)]));
    c.stabilize();
    c.tickAll(3);
    const st = c.raw(1).status().config;
    expect(st).toEqual({
      voters: [1, 4, 5],
      votersOutgoing: [],
      learners: [],
      learnersNext: [],
      autoLeave: false,
    });
    c.stop(2);
    c.stop(3);
    c.propose(1, 'b');
    expect(c.node(5).appliedData()).toEqual(['a', 'b']);
  });

  it('while joint, commitment needs a majority of both configurations', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addJoiningNode(4);
    c.addJoiningNode(5);
    c.raw(1).proposeConfChange(
      ConfChanges.joint([add(4), add(5), rem(2), rem(3)], ConfChangeTransition.JointExplicit),
    );
    c.stabilize();
    c.tickAll(3);
    expect(c.raw(1).status().config).toMatchObject({
      voters: [1, 4, 5],
      votersOutgoing: [1, 2, 3],
      autoLeave: false,
    });
    // Old majority down: nothing commits even though the new majority is up.
    c.stop(2);
    c.stop(3);
    const commit = c.raw(1).status().commit;
    c.propose(1, 'blocked');
    expect(c.raw(1).status().commit).toBe(commit);
    c.start(2);
    c.tickAll(2);
    expect(c.raw(1).status().commit).toBeGreaterThan(commit);
    // Explicit transition: stays joint until the host leaves it.
    expect(c.raw(1).status().config.votersOutgoing).toEqual([1, 2, 3]);
    c.raw(1).proposeConfChange(ConfChanges.leaveJoint());
    c.stabilize();
    expect(c.raw(1).status().config.votersOutgoing).toEqual([]);
  });

  it('refuses a new change while joint, and leaving when not joint', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    expect(() => c.raw(1).proposeConfChange(ConfChanges.leaveJoint())).toThrow(
      /not in joint state/,
    );
    c.raw(1).proposeConfChange(ConfChanges.joint([add(4)], ConfChangeTransition.JointExplicit));
    c.addJoiningNode(4);
    c.stabilize();
    expect(() => c.raw(1).proposeConfChange(ConfChanges.addNode(5))).toThrow(
      /transition out of joint/,
    );
  });

  it('the joint leader can be removed: it leads until the joint config is left', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addJoiningNode(4);
    c.raw(1).proposeConfChange(ConfChanges.joint([add(4), rem(1)]));
    c.stabilize();
    c.tickAll(3);
    expect(c.node(1).raftState).toBe(StateType.Follower);
    c.stop(1);
    c.tickAll(25);
    const lead = c.leader();
    expect([2, 3, 4]).toContain(lead);
    expect(c.raw(lead).status().config.voters).toEqual([2, 3, 4]);
  });
});

describe('learners', () => {
  it('receive the log but neither vote, campaign nor count for commitment', () => {
    const c = new Cluster([1, 2, 3, 4], { voters: [1, 2, 3], learners: [4] });
    c.campaign(1);
    c.propose(1, 'a');
    expect(c.node(4).appliedData()).toEqual(['a']);
    expect(c.raw(4).status().isLearner).toBe(true);
    // Commit proceeds without the learner, and not with the learner alone.
    c.stop(4);
    c.propose(1, 'b');
    expect(c.node(2).appliedData()).toEqual(['a', 'b']);
    c.start(4);
    c.stop(2);
    c.stop(3);
    c.propose(1, 'c');
    expect(c.node(1).appliedData()).toEqual(['a', 'b']);
    // A learner never campaigns.
    c.start(2);
    c.start(3);
    c.stop(1);
    for (let i = 0; i < 50; i++) c.tick(4);
    expect(c.node(4).raftState).toBe(StateType.Follower);
    expect(c.sentOf(MessageType.MsgVote, { from: 4 })).toHaveLength(0);
  });

  it('are added with AddLearnerNode and promoted to voters', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addJoiningNode(4);
    confChange(c, 1, ConfChanges.addLearner(4));
    c.tickAll(2);
    expect(c.raw(1).status().config.learners).toEqual([4]);
    expect(c.raw(1).status().progress.get(4)!.isLearner).toBe(true);
    confChange(c, 1, ConfChanges.addNode(4));
    expect(c.raw(1).status().config).toMatchObject({ voters: [1, 2, 3, 4], learners: [] });
    expect(c.raw(4).status().isLearner).toBe(false);
  });

  it('a learner still votes when asked (it may have been promoted without knowing)', () => {
    const r = newRaft(3, { voters: [1, 2], learners: [3] });
    expect(r.isLearner).toBe(true);
    r.step(msg({ type: MessageType.MsgVote, from: 1, to: 3, term: 2, logTerm: 0, index: 0 }));
    expect(drain(r)).toMatchObject([{ type: MessageType.MsgVoteResp, to: 1, reject: false }]);
  });

  it('a voter can be demoted to learner through a joint configuration', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.raw(1).proposeConfChange(
      ConfChanges.joint(
        [{ type: ConfChangeType.AddLearnerNode, nodeId: 3 }],
        ConfChangeTransition.JointImplicit,
      ),
    );
    c.stabilize();
    c.tickAll(3);
    expect(c.raw(1).status().config).toMatchObject({
      voters: [1, 2],
      learners: [3],
      votersOutgoing: [],
      learnersNext: [],
    });
    expect(c.raw(3).status().isLearner).toBe(true);
  });
});
