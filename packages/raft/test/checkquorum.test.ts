/** CheckQuorum and leader leases (thesis §6.2). */
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_TRANSFER_CONTEXT } from '../src/raft.js';
import { MessageType, StateType } from '../src/types.js';
import { Cluster } from './helpers/cluster.js';
import { drain, electLeader, msg, newRaft } from './helpers/raft.js';

describe('CheckQuorum', () => {
  it('a leader that hears from no quorum for an election timeout steps down', () => {
    const c = new Cluster([1, 2, 3], { config: { checkQuorum: true } });
    c.campaign(1);
    c.isolate(1);
    c.tick(1, 9);
    expect(c.node(1).raftState).toBe(StateType.Leader);
    c.tick(1, 11);
    expect(c.node(1).raftState).toBe(StateType.Follower);
    expect(c.raw(1).metrics().checkQuorumStepDowns).toBe(1);
  });

  it('a leader with an active quorum stays leader', () => {
    const c = new Cluster([1, 2, 3], { config: { checkQuorum: true } });
    c.campaign(1);
    c.isolate(3);
    for (let i = 0; i < 50; i++) c.tick(1);
    expect(c.node(1).raftState).toBe(StateType.Leader);
  });

  it('without CheckQuorum an isolated leader keeps believing it leads (contrast)', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(1);
    c.tick(1, 50);
    expect(c.node(1).raftState).toBe(StateType.Leader);
  });

  it('a follower in lease ignores a higher-term vote request and keeps its term', () => {
    const r = newRaft(2, { checkQuorum: true });
    r.step(msg({ type: MessageType.MsgHeartbeat, from: 1, to: 2, term: 1 }));
    drain(r);
    r.step(msg({ type: MessageType.MsgVote, from: 3, to: 2, term: 2, logTerm: 1, index: 10 }));
    expect(drain(r)).toEqual([]);
    expect(r.term).toBe(1);
    expect(r.lead).toBe(1);
    // Once the lease (an election timeout without hearing from the leader) expires, it votes.
    for (let i = 0; i < 10; i++) r.tick();
    r.step(msg({ type: MessageType.MsgVote, from: 3, to: 2, term: 5, logTerm: 1, index: 10 }));
    expect(r.term).toBe(5);
  });

  it('a leadership-transfer vote bypasses the lease', () => {
    const r = newRaft(2, { checkQuorum: true });
    r.step(msg({ type: MessageType.MsgHeartbeat, from: 1, to: 2, term: 1 }));
    drain(r);
    r.step(
      msg({
        type: MessageType.MsgVote,
        from: 3,
        to: 2,
        term: 2,
        logTerm: 1,
        index: 10,
        context: CAMPAIGN_TRANSFER_CONTEXT,
      }),
    );
    expect(drain(r)).toMatchObject([{ type: MessageType.MsgVoteResp, reject: false }]);
    expect(r.vote).toBe(3);
  });

  it('a leader also ignores disruptive vote requests while its quorum is active', () => {
    const r = newRaft(1, { checkQuorum: true });
    electLeader(r);
    r.step(
      msg({ type: MessageType.MsgVote, from: 3, to: 1, term: r.term + 1, logTerm: 9, index: 9 }),
    );
    expect(r.state).toBe(StateType.Leader);
  });

  it('a partitioned node with an inflated term rejoins and the cluster recovers', () => {
    // With CheckQuorum but without PreVote, the isolated node bumps its term; on return its
    // votes are ignored (lease) but the leader's heartbeats get a higher-term response, so
    // the leader steps down and a fresh election follows.
    const c = new Cluster([1, 2, 3], {
      config: (id) => ({ checkQuorum: true, random: () => id / 4 }),
    });
    c.campaign(1);
    c.propose(1, 'a');
    c.isolate(3);
    c.tick(3, 60); // many elections
    const t3 = c.raw(3).status().term;
    c.recover();
    c.tickAll(60);
    expect(c.leaders()).toHaveLength(1);
    const lead = c.leader();
    expect(c.raw(lead).status().term).toBeGreaterThanOrEqual(t3);
    c.propose(lead, 'b');
    for (const id of [1, 2, 3]) expect(c.node(id).appliedData()).toEqual(['a', 'b']);
  });

  it('a newly added peer counts as active until the next check', () => {
    const r = newRaft(1, { checkQuorum: true, voters: [1] });
    electLeader(r, []);
    expect(r.state).toBe(StateType.Leader);
    r.applyConfChange({
      transition: 0,
      changes: [{ type: 0, nodeId: 2 }],
      context: new Uint8Array(),
    });
    for (let i = 0; i < 10; i++) r.tick();
    expect(r.state).toBe(StateType.Leader);
    for (let i = 0; i < 10; i++) r.tick();
    expect(r.state).toBe(StateType.Follower);
  });
});
