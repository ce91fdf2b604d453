/** PreVote (thesis §9.6): a pre-election round that changes no state unless it would win. */
import { describe, expect, it } from 'vitest';
import { MessageType, StateType } from '../src/types.js';
import { Cluster } from './helpers/cluster.js';
import { drain, electLeader, msg, newRaft, storageWithTerms } from './helpers/raft.js';

const preVoteCluster = (ids: number[], checkQuorum = false) =>
  new Cluster(ids, { config: { preVote: true, checkQuorum } });

describe('PreVote', () => {
  it('a pre-candidate asks for votes for term+1 without changing its term or vote', () => {
    const r = newRaft(1, { preVote: true });
    r.step(msg({ type: MessageType.MsgHup }));
    expect(r.state).toBe(StateType.PreCandidate);
    expect(r.term).toBe(0);
    expect(r.vote).toBe(0);
    const pre = drain(r);
    expect(pre.map((m) => [m.type, m.to, m.term])).toEqual([
      [MessageType.MsgPreVote, 2, 1],
      [MessageType.MsgPreVote, 3, 1],
    ]);
    // A quorum of pre-votes starts the real election.
    r.step(msg({ type: MessageType.MsgPreVoteResp, from: 2, to: 1, term: 1 }));
    expect(r.state).toBe(StateType.Candidate);
    expect(r.term).toBe(1);
    expect(drain(r).filter((m) => m.type === MessageType.MsgVote)).toHaveLength(2);
  });

  it('a voter grants a pre-vote without changing its own term or vote', () => {
    const r = newRaft(2, { preVote: true });
    r.term = 3;
    r.vote = 3;
    r.step(msg({ type: MessageType.MsgPreVote, from: 1, to: 2, term: 4, logTerm: 0, index: 0 }));
    expect(drain(r)).toMatchObject([
      { type: MessageType.MsgPreVoteResp, to: 1, term: 4, reject: false },
    ]);
    expect(r.term).toBe(3);
    expect(r.vote).toBe(3);
  });

  it('a pre-vote is refused to a candidate with a less up-to-date log', () => {
    const r = newRaft(2, { preVote: true, storage: storageWithTerms([1, 2]) });
    r.step(msg({ type: MessageType.MsgPreVote, from: 1, to: 2, term: 5, logTerm: 1, index: 5 }));
    expect(drain(r)).toMatchObject([{ type: MessageType.MsgPreVoteResp, reject: true }]);
  });

  it('a pre-vote from a stale term is rejected with the current term', () => {
    const r = newRaft(2, { preVote: true });
    r.term = 5;
    r.step(msg({ type: MessageType.MsgPreVote, from: 1, to: 2, term: 3 }));
    expect(drain(r)).toMatchObject([{ type: MessageType.MsgPreVoteResp, term: 5, reject: true }]);
  });

  it('a pre-candidate that loses returns to follower at its old term', () => {
    const r = newRaft(1, { preVote: true });
    r.step(msg({ type: MessageType.MsgHup }));
    r.step(msg({ type: MessageType.MsgPreVoteResp, from: 2, to: 1, term: 0, reject: true }));
    r.step(msg({ type: MessageType.MsgPreVoteResp, from: 3, to: 1, term: 0, reject: true }));
    expect(r.state).toBe(StateType.Follower);
    expect(r.term).toBe(0);
  });

  it('a pre-candidate becomes follower on hearing from a leader of its term', () => {
    const r = newRaft(1, { preVote: true });
    r.term = 2;
    r.step(msg({ type: MessageType.MsgHup }));
    r.step(msg({ type: MessageType.MsgHeartbeat, from: 2, to: 1, term: 2 }));
    expect(r.state).toBe(StateType.Follower);
    expect(r.lead).toBe(2);
  });

  it('a partitioned node does not inflate its term, and does not disrupt the leader on return', () => {
    const c = preVoteCluster([1, 2, 3]);
    c.campaign(1);
    const term = c.raw(1).status().term;
    c.isolate(3);
    for (let i = 0; i < 5; i++) c.campaign(3);
    expect(c.raw(3).status().term).toBe(term);
    expect(c.node(3).raftState).toBe(StateType.PreCandidate);
    c.propose(1, 'progress while 3 is away');
    c.recover();
    c.campaign(3); // its pre-votes are refused: its log is behind
    expect(c.raw(3).status().term).toBe(term);
    c.tickAll(2);
    expect(c.leader()).toBe(1);
    expect(c.raw(1).status().term).toBe(term);
  });

  it('without PreVote the same partition disrupts the cluster (contrast)', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    const term = c.raw(1).status().term;
    c.isolate(3);
    for (let i = 0; i < 5; i++) c.campaign(3);
    expect(c.raw(3).status().term).toBe(term + 5);
    c.recover();
    c.tickAll(12); // 3 times out again and its higher-term vote request deposes the leader
    expect(c.raw(1).status().term).toBeGreaterThan(term);
  });

  it('a cluster with PreVote still elects a leader when the old one dies', () => {
    const c = new Cluster([1, 2, 3], {
      config: (id) => ({ preVote: true, checkQuorum: true, random: () => id / 4 }),
    });
    c.campaign(1);
    c.stop(1);
    c.tickAll(40);
    expect(c.leaders().filter((id) => id !== 1)).toHaveLength(1);
  });

  it('a leader answers a stale-term MsgApp sender so it can step down (PreVote set)', () => {
    const r = newRaft(1);
    electLeader(r);
    const term = r.term;
    const f = newRaft(2, { preVote: true });
    f.term = term + 2;
    f.step(msg({ type: MessageType.MsgApp, from: 1, to: 2, term }));
    const [resp] = drain(f);
    expect(resp).toMatchObject({ type: MessageType.MsgAppResp, term: term + 2 });
    r.step(resp!);
    expect(r.state).toBe(StateType.Follower);
  });
});
