/**
 * Tests organised by the sections of the Raft paper (Ongaro & Ousterhout, 2014). Each
 * test checks the sentences of the section it names, in the style of etcd-io/raft's
 * raft_paper_test.go: set up, act, check.
 */
import { describe, expect, it } from 'vitest';
import { MessageType, StateType } from '../src/types.js';
import { Cluster, enc } from './helpers/cluster.js';
import {
  drain,
  electLeader,
  ent,
  logIds,
  msg,
  newRaft,
  persist,
  storageWithTerms,
} from './helpers/raft.js';

describe('§5.1 Raft basics: terms', () => {
  it('every server starts as a follower', () => {
    const r = newRaft(1);
    expect(r.state).toBe(StateType.Follower);
    expect(r.term).toBe(0);
  });

  it.each([
    ['follower', (r: ReturnType<typeof newRaft>) => void r],
    ['candidate', (r: ReturnType<typeof newRaft>) => r.step(msg({ type: MessageType.MsgHup }))],
    ['leader', (r: ReturnType<typeof newRaft>) => electLeader(r)],
  ])('a %s that sees a larger term becomes follower in that term', (_name, setup) => {
    const r = newRaft(1);
    setup(r);
    r.step(msg({ type: MessageType.MsgApp, from: 2, to: 1, term: 10 }));
    expect(r.state).toBe(StateType.Follower);
    expect(r.term).toBe(10);
    expect(r.lead).toBe(2);
  });

  it('a request with a stale term number is rejected with the current term', () => {
    const r = newRaft(1, { storage: storageWithTerms([1, 2]) });
    r.step(msg({ type: MessageType.MsgApp, from: 2, to: 1, term: 3, index: 2, logTerm: 2 }));
    drain(r);
    const before = logIds(r);
    r.step(
      msg({
        type: MessageType.MsgApp,
        from: 3,
        to: 1,
        term: 2,
        index: 2,
        logTerm: 2,
        entries: [ent(3, 2)],
      }),
    );
    expect(logIds(r)).toEqual(before);
    // The answer tells the stale leader our term, so it steps down (paper: "rejects the
    // request"; the reply carries currentTerm).
    const out = drain(r);
    expect(out.map((m) => [m.type, m.to, m.term])).toEqual([[MessageType.MsgAppResp, 3, 3]]);
  });
});

describe('§5.1 stale vote requests', () => {
  it('a vote request with a stale term is rejected with the current term, which the candidate adopts', () => {
    const voter = newRaft(2);
    voter.term = 9;
    voter.step(msg({ type: MessageType.MsgVote, from: 1, to: 2, term: 4 }));
    const [resp] = drain(voter);
    expect(resp).toMatchObject({ type: MessageType.MsgVoteResp, to: 1, term: 9, reject: true });
    const candidate = newRaft(1);
    candidate.term = 3;
    candidate.step(msg({ type: MessageType.MsgHup }));
    expect(candidate.term).toBe(4);
    candidate.step(resp!);
    expect(candidate.state).toBe(StateType.Follower);
    expect(candidate.term).toBe(9);
  });
});

describe('§5.2 Leader election (Election Safety: at most one leader per term)', () => {
  it('the leader sends heartbeats to all followers every heartbeat interval', () => {
    const r = newRaft(1);
    electLeader(r);
    r.tick();
    const hbs = drain(r).filter((m) => m.type === MessageType.MsgHeartbeat);
    expect(hbs.map((m) => m.to).sort()).toEqual([2, 3]);
    expect(hbs.every((m) => m.term === r.term)).toBe(true);
  });

  it.each([StateType.Follower, StateType.Candidate])(
    'a %s that hears nothing for an election timeout starts an election',
    (state) => {
      const r = newRaft(1);
      if (state === StateType.Candidate) r.step(msg({ type: MessageType.MsgHup }));
      const term = r.term;
      drain(r);
      for (let i = 0; i < 2 * 10; i++) r.tick();
      expect(r.state).toBe(StateType.Candidate);
      expect(r.term).toBeGreaterThan(term);
      expect(r.vote).toBe(1);
      const votes = drain(r).filter((m) => m.type === MessageType.MsgVote && m.term === r.term);
      expect(votes.map((m) => m.to).sort()).toEqual([2, 3]);
    },
  );

  it.each<[number, Record<number, boolean>, StateType]>([
    [1, {}, StateType.Leader],
    [3, { 2: true, 3: true }, StateType.Leader],
    [3, { 2: true }, StateType.Leader],
    [5, { 2: true, 3: true, 4: true, 5: true }, StateType.Leader],
    [5, { 2: true, 3: true, 4: true }, StateType.Leader],
    [5, { 2: true, 3: true }, StateType.Leader],
    [3, { 2: false, 3: false }, StateType.Follower],
    [5, { 2: false, 3: false, 4: false, 5: false }, StateType.Follower],
    [5, { 2: true, 3: false, 4: false, 5: false }, StateType.Follower],
    [3, {}, StateType.Candidate],
    [5, { 2: true }, StateType.Candidate],
    [5, { 2: false, 3: false }, StateType.Candidate],
  ])('election in one round: size %i votes %o -> %i', (size, votes, want) => {
    const voters = Array.from({ length: size }, (_, i) => i + 1);
    const r = newRaft(1, { voters });
    r.step(msg({ type: MessageType.MsgHup }));
    for (const [id, granted] of Object.entries(votes)) {
      r.step(
        msg({
          type: MessageType.MsgVoteResp,
          from: Number(id),
          to: 1,
          term: r.term,
          reject: !granted,
        }),
      );
    }
    expect(r.state).toBe(want);
    expect(r.term).toBe(1);
  });

  it('each server votes for at most one candidate per term, first-come-first-served', () => {
    for (const [vote, from, rejected] of [
      [0, 2, false],
      [0, 3, false],
      [2, 2, false],
      [3, 3, false],
      [2, 3, true],
      [3, 2, true],
    ] as const) {
      const r = newRaft(1);
      r.term = 1;
      r.vote = vote;
      r.step(msg({ type: MessageType.MsgVote, from, to: 1, term: 1 }));
      const [resp] = drain(r);
      expect(resp).toMatchObject({ type: MessageType.MsgVoteResp, to: from, reject: rejected });
    }
  });

  it('a candidate that hears from a leader of its term or newer becomes follower', () => {
    for (const term of [1, 2]) {
      const r = newRaft(1);
      r.step(msg({ type: MessageType.MsgHup }));
      expect(r.state).toBe(StateType.Candidate);
      r.step(msg({ type: MessageType.MsgApp, from: 2, to: 1, term }));
      expect(r.state).toBe(StateType.Follower);
      expect(r.term).toBe(term);
    }
  });

  it('election timeouts are randomized in [electionTick, 2*electionTick)', () => {
    const seen = new Set<number>();
    let x = 0;
    const r = newRaft(1, { random: () => (x = (x + 0.37) % 1) });
    for (let round = 0; round < 50; round++) {
      r.becomeFollower(r.term + 1, 0);
      let ticks = 0;
      while (r.state === StateType.Follower) {
        r.tick();
        ticks++;
      }
      seen.add(ticks);
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it('a split vote is resolved by randomized timeouts', () => {
    let seed = 1;
    const c = new Cluster([1, 2, 3, 4, 5], {
      config: () => {
        let s = seed++;
        return { random: () => (s = (s * 16807) % 2147483647) / 2147483647 };
      },
    });
    c.tickAll(60);
    expect(c.leaders()).toHaveLength(1);
  });
});

describe('§5.3 Log replication (Leader Append-Only, Log Matching)', () => {
  it('the leader appends the proposal and sends AppendEntries with the previous index/term', () => {
    const r = newRaft(1);
    electLeader(r);
    // Followers acknowledge the leader's empty entry.
    for (const id of [2, 3])
      r.step(msg({ type: MessageType.MsgAppResp, from: id, to: 1, term: r.term, index: 1 }));
    drain(r);
    r.step(msg({ type: MessageType.MsgProp, from: 1, entries: [ent(0, 0, enc('x'))] }));
    const apps = drain(r).filter((m) => m.type === MessageType.MsgApp);
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const m of apps) {
      expect(m).toMatchObject({ index: 1, logTerm: 1, commit: 1 });
      expect(m.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['2/1']);
    }
    expect(r.log.committed).toBe(1);
  });

  it('an entry is committed once the leader has replicated it on a majority', () => {
    for (const [size, acks, committed] of [
      [1, [], true],
      [3, [], false],
      [3, [2], true],
      [5, [2], false],
      [5, [2, 3], true],
      [5, [2, 3, 4, 5], true],
    ] as const) {
      const voters = Array.from({ length: size }, (_, i) => i + 1);
      const r = newRaft(1, { voters });
      r.step(msg({ type: MessageType.MsgHup }));
      for (const id of voters.slice(1))
        r.step(msg({ type: MessageType.MsgVoteResp, from: id, to: 1, term: 1 }));
      persist(r);
      r.step(msg({ type: MessageType.MsgProp, from: 1, entries: [ent(0, 0, enc('x'))] }));
      persist(r);
      for (const id of acks)
        r.step(msg({ type: MessageType.MsgAppResp, from: id, to: 1, term: 1, index: 2 }));
      expect(r.log.committed >= 2).toBe(committed);
    }
  });

  it('the leader does not count its own log before the host persisted it', () => {
    const r = newRaft(1, { voters: [1] });
    r.step(msg({ type: MessageType.MsgHup }));
    expect(r.state).toBe(StateType.Leader);
    expect(r.log.committed).toBe(0);
    persist(r);
    expect(r.log.committed).toBe(1);
  });

  it('committing an entry also commits all preceding entries; followers learn the commit index', () => {
    const r = newRaft(1, { storage: storageWithTerms([1, 1]) });
    r.term = 1;
    electLeader(r);
    r.step(msg({ type: MessageType.MsgAppResp, from: 2, to: 1, term: r.term, index: 3 }));
    expect(r.log.committed).toBe(3);
    const apps = drain(r).filter((m) => m.type === MessageType.MsgApp);
    expect(apps.length).toBeGreaterThan(0);
    expect(apps.every((m) => m.commit === 3)).toBe(true);
  });

  it('a follower applies the leader commit index, bounded by what it received', () => {
    const r = newRaft(1);
    r.step(
      msg({
        type: MessageType.MsgApp,
        from: 2,
        to: 1,
        term: 1,
        index: 0,
        logTerm: 0,
        commit: 5,
        entries: [ent(1, 1), ent(2, 1)],
      }),
    );
    expect(r.log.committed).toBe(2);
  });

  it.each<[number, number, number, boolean, number]>([
    // [prev term, prev index, commit, rejected, reject hint]
    [0, 0, 1, false, 0],
    [1, 1, 1, false, 0],
    [2, 2, 1, false, 0],
    // Rejections carry the highest index that may still match (fast backtracking).
    [1, 2, 1, true, 1],
    [3, 3, 1, true, 2],
  ])('consistency check: MsgApp after (%i, %i)', (logTerm, index, commit, reject, hint) => {
    const r = newRaft(1, { storage: storageWithTerms([1, 2]) });
    r.log.commitTo(1);
    r.becomeFollower(2, 2);
    r.step(msg({ type: MessageType.MsgApp, from: 2, to: 1, term: 2, logTerm, index, commit }));
    const [resp] = drain(r);
    expect(resp).toMatchObject({ type: MessageType.MsgAppResp, reject });
    if (reject) expect(resp!.rejectHint).toBe(hint);
  });

  it.each<[number, number, [number, number][], string[]]>([
    [2, 2, [[3, 3]], ['1/1', '2/2', '3/3']],
    [
      1,
      1,
      [
        [2, 3],
        [3, 4],
      ],
      ['1/1', '2/3', '3/4'],
    ],
    [0, 0, [[1, 1]], ['1/1', '2/2']],
    [0, 0, [[1, 3]], ['1/3']],
  ])(
    'a follower deletes conflicting entries and appends new ones (index %i)',
    (index, logTerm, es, want) => {
      const r = newRaft(1, { storage: storageWithTerms([1, 2]) });
      r.becomeFollower(2, 2);
      r.step(
        msg({
          type: MessageType.MsgApp,
          from: 2,
          to: 1,
          term: 2,
          logTerm,
          index,
          entries: es.map(([i, t]) => ent(i, t)),
        }),
      );
      expect(logIds(r)).toEqual(want);
    },
  );

  it('the leader brings divergent follower logs into agreement (Figure 7)', () => {
    // Leader log of Figure 7 (terms per index), term 8 after election.
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: number[][] = [
      [1, 1, 1, 4, 4, 5, 5, 6, 6], // (a) missing one
      [1, 1, 1, 4], // (b) missing many
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // (c) extra uncommitted
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d) extra of a later term
      [1, 1, 1, 4, 4, 4, 4], // (e) divergent term-4 suffix
      [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // (f) divergent terms 2 and 3
    ];
    for (const f of followers) {
      const c = new Cluster([1, 2, 3]);
      c.node(1).storage.append(leaderLog.map((t, i) => ent(i + 1, t)));
      c.node(1).storage.setHardState({ term: 8, vote: 0, commit: 1 });
      c.node(1).restart();
      c.node(2).storage.append(f.map((t, i) => ent(i + 1, t)));
      c.node(2).storage.setHardState({ term: 7, vote: 0, commit: 1 });
      c.node(2).restart();
      c.node(3).storage.append(leaderLog.map((t, i) => ent(i + 1, t)));
      c.node(3).storage.setHardState({ term: 7, vote: 0, commit: 1 });
      c.node(3).restart();
      c.campaign(1);
      expect(c.leader()).toBe(1);
      c.propose(1, 'x');
      const want = c
        .node(1)
        .storage.entries(2, 13, Infinity)
        .map((e) => `${e.index}/${e.term}`);
      expect(want).toHaveLength(11);
      const got = c
        .node(2)
        .storage.entries(2, c.node(2).storage.lastIndex() + 1, Infinity)
        .map((e) => `${e.index}/${e.term}`);
      expect(got).toEqual(want);
    }
  });

  it('Log Matching: entries with the same index and term are identical with identical prefixes', () => {
    const c = new Cluster([1, 2, 3, 4, 5], { seed: 9 });
    c.campaign(1);
    for (let i = 0; i < 5; i++) c.propose(1, `a${i}`);
    c.isolate(1);
    c.propose(1, 'lost'); // never committed
    c.campaign(2);
    c.recover();
    for (let i = 0; i < 5; i++) c.propose(2, `b${i}`);
    c.tickAll(3);
    const logs = [...c.nodes.values()].map((n) =>
      n.storage.entries(2, n.storage.lastIndex() + 1, Infinity),
    );
    for (const a of logs) {
      for (const b of logs) {
        for (let i = 0; i < Math.min(a.length, b.length); i++) {
          if (a[i]!.term === b[i]!.term) {
            expect(b.slice(0, i + 1)).toEqual(a.slice(0, i + 1));
          }
        }
      }
    }
  });
});

describe('§5.4 Safety (Leader Completeness, State Machine Safety)', () => {
  it.each<[number[], number, number, boolean]>([
    [[1, 1], 1, 2, false],
    [[1, 1], 1, 3, false],
    [[1, 1], 1, 1, true],
    [[1, 1], 2, 1, false],
    [[1, 2], 1, 3, true],
    [[1, 2], 2, 1, true],
    [[1, 2], 2, 2, false],
    [[1, 2], 2, 3, false],
  ])(
    'voter with log %o vs candidate last (term %i, index %i): rejected=%s',
    (terms, logTerm, index, rejected) => {
      const r = newRaft(1, { storage: storageWithTerms(terms) });
      r.step(msg({ type: MessageType.MsgVote, from: 2, to: 1, term: 3, logTerm, index }));
      const [resp] = drain(r);
      expect(resp).toMatchObject({ type: MessageType.MsgVoteResp, reject: rejected });
    },
  );

  it('a leader only commits entries of its own term by counting replicas (§5.4.2)', () => {
    for (const [index, committed] of [
      [1, 0],
      [2, 0],
      [3, 3],
    ] as const) {
      const r = newRaft(1, { storage: storageWithTerms([1, 2]) });
      r.term = 2;
      electLeader(r); // term 3, appends 3/3
      r.step(msg({ type: MessageType.MsgAppResp, from: 2, to: 1, term: r.term, index }));
      expect(r.log.committed).toBe(committed);
    }
  });

  it('Figure 8: an old-term entry on a majority is not committed until a current-term entry is', () => {
    // One entry per MsgApp, so that individual entries can be dropped.
    const c = new Cluster([1, 2, 3, 4, 5], { config: { maxSizePerMsg: 1 } });
    c.campaign(1); // term 2 (after the bootstrap term 1); its empty entry commits
    const base = c.raw(1).status().commit;
    const idx = base + 1;
    // (a) S1 replicates idx/2 to S2 only.
    for (const id of [3, 4, 5]) c.cut(1, id);
    c.propose(1, 'figure8');
    expect(c.node(2).storage.term(idx)).toBe(2);
    expect(c.raw(1).status().commit).toBe(base);
    // (b) S1 crashes; S5 wins term 3 with votes of S3 and S4 and appends idx/3, which
    // reaches nobody before S5 crashes.
    c.stop(1);
    c.recover();
    c.hook = (m) => !(m.from === 5 && m.type === MessageType.MsgApp);
    c.campaign(5);
    expect(c.leader()).toBe(5);
    expect(c.node(5).storage.term(idx)).toBe(3);
    c.stop(5);
    // (c) S1 restarts and wins term 4 (after losing term 3, where S3 and S4 had voted).
    c.start(1);
    c.node(1).restart();
    c.cut(1, 4);
    c.cut(1, 5);
    // Entries of S1's new term are lost whenever they would be accepted; probes get through.
    c.hook = (m) =>
      !(
        m.type === MessageType.MsgApp &&
        m.entries.some((e) => e.term >= 4) &&
        c.node(m.to).storage.lastIndex() >= m.index
      );
    c.campaign(1);
    if (c.leaders().length === 0) c.campaign(1);
    expect(c.leader()).toBe(1);
    expect(c.raw(1).status().term).toBe(4);
    // S1 replicated idx/2 to S3: a majority (S1, S2, S3) stores it, yet it must not be
    // committed by counting replicas, because S5 could still overwrite it (d).
    expect(c.node(3).storage.term(idx)).toBe(2);
    expect(c.raw(1).status().commit).toBe(base);
    // (e) Once the current-term entry reaches the majority, both commit.
    c.hook = undefined;
    c.tickAll(3);
    expect(c.raw(1).status().commit).toBe(idx + 1);
    expect(c.node(3).appliedData()).toEqual(['figure8']);
  });

  it('Leader Completeness: a newly elected leader holds every committed entry', () => {
    const c = new Cluster([1, 2, 3, 4, 5], { seed: 3 });
    c.campaign(1);
    c.cut(1, 4);
    c.cut(1, 5);
    for (let i = 0; i < 3; i++) c.propose(1, `v${i}`); // committed on 1, 2, 3
    const committed = c.raw(1).status().commit;
    c.stop(1);
    c.recover();
    // Node 4 lacks the entries: it must lose; the winner must be 2 or 3.
    c.campaign(4);
    expect(c.leaders()).toEqual([]);
    c.campaign(2);
    expect(c.leader()).toBe(2);
    expect(c.node(2).storage.lastIndex()).toBeGreaterThanOrEqual(committed);
  });

  it('State Machine Safety: all nodes apply the same entries in the same order', () => {
    const c = new Cluster([1, 2, 3], { seed: 4 });
    c.campaign(1);
    c.propose(1, 'a');
    c.drop(1, 3, 0.5);
    c.drop(2, 3, 0.5);
    for (let i = 0; i < 20; i++) c.propose(1, `x${i}`);
    c.recover();
    c.tickAll(5);
    const want = c.node(1).appliedData();
    expect(want).toHaveLength(21);
    expect(c.node(2).appliedData()).toEqual(want);
    expect(c.node(3).appliedData()).toEqual(want);
  });
});
