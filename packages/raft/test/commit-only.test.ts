/**
 * Commit-only appends (decision 0039): an empty MsgApp that only carries a new commit index to a
 * follower whose answer would tell the leader nothing (it already holds the entries, or an
 * unanswered append of them is in flight) is marked, and a follower that accepts it does not
 * answer. Everything else is answered as before.
 */
import { describe, expect, it } from 'vitest';
import { ProgressState } from '../src/progress.js';
import { COMMIT_ONLY_CONTEXT } from '../src/raft.js';
import { EntryType, MessageType, type Message } from '../src/types.js';
import { Cluster, enc } from './helpers/cluster.js';
import {
  drain,
  electLeader,
  ent,
  msg,
  newRaft,
  persist,
  storageWithTerms,
} from './helpers/raft.js';

const prop = (data: Uint8Array) =>
  msg({
    type: MessageType.MsgProp,
    from: 1,
    entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data }],
  });

const marked = (m: Message): boolean =>
  Buffer.from(m.context).equals(Buffer.from(COMMIT_ONLY_CONTEXT));

describe('commit-only appends', () => {
  it('the leader marks the commit updates of a commit, not the appends that carry entries', () => {
    const r = newRaft(1, { voters: [1, 2, 3] });
    electLeader(r);
    // Both followers acknowledge the leader's empty entry: Replicate, match = last index.
    for (const from of [2, 3])
      r.step(
        msg({ type: MessageType.MsgAppResp, from, to: 1, term: r.term, index: r.log.lastIndex() }),
      );
    drain(r);
    expect(r.tracker.progress.get(2)!.state).toBe(ProgressState.Replicate);
    expect(r.tracker.progress.get(3)!.state).toBe(ProgressState.Replicate);

    r.step(prop(enc('a')));
    persist(r);
    const appends = drain(r).filter((m) => m.type === MessageType.MsgApp);
    expect(appends.map((m) => [m.to, m.entries.length, marked(m)])).toEqual([
      [2, 1, false],
      [3, 1, false],
    ]);
    const index = r.log.lastIndex();
    // Follower 2 acknowledges it: committed. 2 is known to hold it; 3's answer to the append
    // is still to come and will say the same.
    r.step(msg({ type: MessageType.MsgAppResp, from: 2, to: 1, term: r.term, index }));
    expect(r.log.committed).toBe(index);
    const updates = drain(r).filter((m) => m.type === MessageType.MsgApp);
    expect(updates.map((m) => [m.to, m.entries.length, m.commit, marked(m)])).toEqual([
      [2, 0, index, true],
      [3, 0, index, true],
    ]);
  });

  it('the append that recovers a lost answer (heartbeat path) is not marked', () => {
    const r = newRaft(1, { voters: [1, 2] });
    electLeader(r);
    r.step(
      msg({ type: MessageType.MsgAppResp, from: 2, to: 1, term: r.term, index: r.log.lastIndex() }),
    );
    drain(r);
    r.step(prop(enc('a')));
    persist(r);
    drain(r);
    // Follower 2's answer to the append is lost; its heartbeat answer makes the leader resend.
    r.step(msg({ type: MessageType.MsgHeartbeatResp, from: 2, to: 1, term: r.term }));
    const resent = drain(r).filter((m) => m.type === MessageType.MsgApp);
    expect(resent).toHaveLength(1);
    expect(resent[0]!.entries).toHaveLength(0);
    expect(marked(resent[0]!)).toBe(false);
  });

  it('a follower applies a marked update without answering it', () => {
    const f = newRaft(2, { storage: storageWithTerms([1, 1]) });
    f.step(msg({ type: MessageType.MsgHeartbeat, from: 1, to: 2, term: 1, commit: 0 }));
    drain(f);
    f.step(
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 1,
        index: 2,
        logTerm: 1,
        commit: 2,
        context: COMMIT_ONLY_CONTEXT,
      }),
    );
    expect(f.log.committed).toBe(2);
    expect(drain(f)).toEqual([]);
    // Unmarked, the same update is answered (what a leader before this change sends).
    f.step(
      msg({ type: MessageType.MsgApp, from: 1, to: 2, term: 1, index: 2, logTerm: 1, commit: 2 }),
    );
    expect(drain(f).map((m) => [m.type, m.index, m.reject])).toEqual([
      [MessageType.MsgAppResp, 2, false],
    ]);
  });

  it('a follower still answers a marked update it must reject or that is behind its commit', () => {
    const f = newRaft(2, { storage: storageWithTerms([1, 1]) });
    f.step(msg({ type: MessageType.MsgHeartbeat, from: 1, to: 2, term: 2, commit: 2 }));
    drain(f);
    // Index 3 is missing: rejected, with a hint.
    f.step(
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 2,
        index: 3,
        logTerm: 2,
        commit: 3,
        context: COMMIT_ONLY_CONTEXT,
      }),
    );
    expect(drain(f).map((m) => [m.type, m.reject, m.rejectHint])).toEqual([
      [MessageType.MsgAppResp, true, 2],
    ]);
    // Behind the follower's own commit index: it tells the leader where it is.
    f.step(
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 2,
        index: 1,
        logTerm: 1,
        commit: 1,
        context: COMMIT_ONLY_CONTEXT,
      }),
    );
    expect(drain(f).map((m) => [m.type, m.index, m.reject])).toEqual([
      [MessageType.MsgAppResp, 2, false],
    ]);
  });

  it('a follower accepting new entries in a marked message answers (only empty ones are silent)', () => {
    const f = newRaft(2, { storage: storageWithTerms([1]) });
    f.step(
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 1,
        index: 1,
        logTerm: 1,
        commit: 1,
        entries: [ent(2, 1)],
        context: COMMIT_ONLY_CONTEXT,
      }),
    );
    expect(drain(f).map((m) => [m.type, m.index])).toEqual([[MessageType.MsgAppResp, 2]]);
  });

  it('a cluster commits and replicates one proposal at a time with fewer answers', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    const before = c.sentOf(MessageType.MsgAppResp).length;
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const v of values) c.propose(1, v);
    for (const id of [1, 2, 3]) expect(c.node(id).appliedData()).toEqual(values);
    const updates = c
      .sentOf(MessageType.MsgApp, { from: 1 })
      .filter((m) => m.entries.length === 0 && marked(m));
    expect(updates.length).toBeGreaterThanOrEqual(values.length);
    // Per proposal each follower answers its append and leaves its (marked) commit update
    // unanswered: 2 answers, not 4.
    expect(c.sentOf(MessageType.MsgAppResp).length - before).toBe(2 * values.length);
  });
});
