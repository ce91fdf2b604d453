/**
 * Persisted notices (decision 0050): a leader tells a follower that forwarded a proposal when
 * its own copy is durable, and where the two are a quorum the follower commits by itself.
 */
import { describe, expect, it } from 'vitest';
import { ConfChanges } from '../src/confchange.js';
import { LEADER_PERSISTED_CONTEXT } from '../src/persisted-notice.js';
import { MessageType } from '../src/types.js';
import { Cluster, dec, enc } from './helpers/cluster.js';
import { msg, newRaft, storageWithTerms } from './helpers/raft.js';

const withNotices = { config: { persistedNotices: true } };
/** Acknowledgements of appends never reach the leader: only a notice can commit. */
const dropAcks = (m: { type: MessageType }): boolean => m.type !== MessageType.MsgAppResp;

/** With acknowledgements dropped, a write node 2 forwards stays uncommitted: no notice left. */
function expectForwardedWriteToWait(c: Cluster): void {
  c.hook = dropAcks;
  c.propose(2, 'w');
  expect(c.node(2).appliedData()).toEqual([]);
  expect(c.raw(1).metrics().persistedNoticesSent).toBe(0);
}

describe('persisted notices', () => {
  it('a follower that forwarded a write commits and applies it before the leader hears an acknowledgement', () => {
    const c = new Cluster([1, 2, 3], withNotices);
    c.campaign(1);
    const leaderCommit = c.raw(1).status().commit;
    c.hook = dropAcks;
    c.propose(2, 'w');
    expect(c.node(2).appliedData()).toEqual(['w']);
    // Neither the leader nor the other follower has committed it.
    expect(c.raw(1).status().commit).toBe(leaderCommit);
    expect(c.node(3).appliedData()).toEqual([]);
    expect(c.raw(1).metrics().persistedNoticesSent).toBe(1);
    expect(c.raw(2).metrics().commitsByPersistedNotice).toBe(1);
    // The notice is not answered: it tells the leader nothing.
    const notices = c
      .sentOf(MessageType.MsgApp, { from: 1, to: 2 })
      .filter((m) => dec(m.context) === dec(LEADER_PERSISTED_CONTEXT));
    expect(notices).toHaveLength(1);
    // Once the acknowledgements flow, everyone agrees.
    c.hook = undefined;
    c.tickAll(2);
    expect(c.node(1).appliedData()).toEqual(['w']);
    expect(c.node(3).appliedData()).toEqual(['w']);
  });

  it('the leader spares that follower the empty append that would only carry the commit index', () => {
    const c = new Cluster([1, 2, 3], withNotices);
    c.campaign(1);
    const before = c.sent.length;
    c.propose(2, 'w');
    const commitOnly = (to: number) =>
      c.sent
        .slice(before)
        .filter(
          (m) =>
            m.type === MessageType.MsgApp &&
            m.from === 1 &&
            m.to === to &&
            m.entries.length === 0 &&
            m.context.length === 0,
        );
    expect(commitOnly(2)).toEqual([]);
    expect(commitOnly(3).length).toBeGreaterThan(0);
    expect(c.node(2).appliedData()).toEqual(['w']);
    expect(c.node(3).appliedData()).toEqual(['w']);
  });

  it("the leader's ReadIndex covers what it announced, so reads wait for the follower's write", () => {
    const c = new Cluster([1, 2, 3], withNotices);
    c.campaign(1);
    c.hook = dropAcks;
    c.propose(2, 'w');
    const written = c.node(2).appliedIndex;
    expect(c.raw(1).status().commit).toBeLessThan(written);
    c.raw(1).readIndex(enc('r'));
    c.stabilize();
    expect(c.node(1).readStates.map((rs) => rs.index)).toEqual([written]);
  });

  it('without the option the leader sends none (etcd behaviour): the follower waits for the commit', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    expectForwardedWriteToWait(c);
  });

  it('writes proposed on the leader need no notice', () => {
    const c = new Cluster([1, 2, 3], withNotices);
    c.campaign(1);
    c.propose(1, 'w');
    expect(c.raw(1).metrics().persistedNoticesSent).toBe(0);
    expect(c.node(2).appliedData()).toEqual(['w']);
  });

  it('with five voters the leader and one follower are no quorum: no notice', () => {
    const c = new Cluster([1, 2, 3, 4, 5], withNotices);
    c.campaign(1);
    expectForwardedWriteToWait(c);
  });

  it('while a conf change is unapplied the leader sends none', () => {
    const c = new Cluster([1, 2, 3], withNotices);
    c.campaign(1);
    // The conf change is appended but its commit is held back, so it stays unapplied.
    c.hook = dropAcks;
    c.raw(1).proposeConfChange(ConfChanges.addLearner(4));
    c.stabilize();
    expectForwardedWriteToWait(c);
  });

  it('a follower counts only entries of the current term (§5.4.2)', () => {
    // Node 2 holds entries 1..2 of term 1; the leader of term 2 says it has them durably.
    const r = newRaft(2, { storage: storageWithTerms([1, 1]) });
    r.becomeFollower(2, 1);
    const notice = (index: number, logTerm: number) =>
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 2,
        index,
        logTerm,
        commit: 0,
        context: LEADER_PERSISTED_CONTEXT,
      });
    r.step(notice(2, 1));
    expect(r.log.committed).toBe(0);
    expect(r.msgs).toEqual([]);
  });

  it('a notice that does not match the follower log is refused like any append and commits nothing', () => {
    const r = newRaft(2, { storage: storageWithTerms([1]) });
    r.becomeFollower(2, 1);
    r.step(
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 2,
        index: 3,
        logTerm: 2,
        commit: 0,
        context: LEADER_PERSISTED_CONTEXT,
      }),
    );
    expect(r.log.committed).toBe(0);
    expect(r.msgs.map((m) => [m.type, m.reject])).toEqual([[MessageType.MsgAppResp, true]]);
  });
});
