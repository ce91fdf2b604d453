/** Leadership transfer (thesis §3.10). */
import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from '../src/errors.js';
import { MessageType, StateType } from '../src/types.js';
import { Cluster, enc } from './helpers/cluster.js';

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower with MsgTimeoutNow', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    const term = c.raw(1).status().term;
    c.raw(1).transferLeadership(2);
    c.stabilize();
    expect(c.sentOf(MessageType.MsgTimeoutNow, { from: 1, to: 2 })).toHaveLength(1);
    expect(c.leader()).toBe(2);
    expect(c.raw(2).status().term).toBe(term + 1);
    c.propose(2, 'b');
    expect(c.node(1).appliedData()).toEqual(['a', 'b']);
  });

  it('catches a lagging transferee up first', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    for (let i = 0; i < 5; i++) c.propose(1, `v${i}`);
    c.recover();
    c.raw(1).transferLeadership(3);
    c.stabilize();
    expect(c.leader()).toBe(3);
    expect(c.node(3).appliedData()).toHaveLength(5);
  });

  it('refuses proposals while a transfer is in progress', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    c.raw(1).transferLeadership(3);
    c.stabilize();
    expect(c.raw(1).status().leadTransferee).toBe(3);
    expect(() => c.raw(1).propose(enc('x'))).toThrow(ProposalDroppedError);
    expect(() => c.raw(1).propose(enc('x'))).toThrow(/transfer to 3 in progress/);
  });

  it('is abandoned after an election timeout if the transferee does not take over', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    c.raw(1).transferLeadership(3);
    c.stabilize();
    c.tick(1, 10);
    expect(c.raw(1).status().leadTransferee).toBe(0);
    expect(c.node(1).raftState).toBe(StateType.Leader);
    c.propose(1, 'accepted again');
  });

  it('from a follower is forwarded to the leader', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.raw(3).transferLeadership(3);
    c.stabilize();
    expect(c.leader()).toBe(3);
  });

  it('to itself, or to a learner, is ignored', () => {
    const c = new Cluster([1, 2, 3, 4], { voters: [1, 2, 3], learners: [4] });
    c.campaign(1);
    c.raw(1).transferLeadership(1);
    c.raw(1).transferLeadership(4);
    c.stabilize();
    expect(c.leader()).toBe(1);
    expect(c.raw(1).status().leadTransferee).toBe(0);
  });

  it('a second request for another node replaces the first', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    c.raw(1).transferLeadership(3);
    c.stabilize();
    c.recover();
    c.raw(1).transferLeadership(2);
    c.stabilize();
    expect(c.leader()).toBe(2);
  });

  it('succeeds despite CheckQuorum leases (the vote is marked as a transfer)', () => {
    const c = new Cluster([1, 2, 3], { config: { checkQuorum: true, preVote: true } });
    c.campaign(1);
    c.raw(1).transferLeadership(2);
    c.stabilize();
    expect(c.leader()).toBe(2);
  });

  it('without a known leader the request is refused', () => {
    const c = new Cluster([1, 2, 3]);
    expect(() => c.raw(2).transferLeadership(2)).toThrow(ProposalDroppedError);
  });
});
