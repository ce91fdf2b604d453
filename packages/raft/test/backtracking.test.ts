/** Fast log backtracking with rejection hints (paper §5.3 optimisation, etcd's hint+term). */
import { describe, expect, it } from 'vitest';
import { MessageType } from '../src/types.js';
import { Cluster } from './helpers/cluster.js';
import { ent } from './helpers/raft.js';

function divergentCluster(followerTerms: number[], leaderTerms: number[]) {
  const c = new Cluster([1, 2, 3]);
  const load = (id: number, terms: number[], term: number) => {
    c.node(id).storage.append(terms.map((t, i) => ent(i + 2, t)));
    c.node(id).storage.setHardState({ term, vote: 0, commit: 1 });
    c.node(id).restart();
  };
  load(1, leaderTerms, Math.max(...leaderTerms));
  load(2, followerTerms, Math.max(...followerTerms));
  load(3, leaderTerms, Math.max(...leaderTerms));
  return c;
}

describe('conflict backtracking', () => {
  it('a follower with a long divergent suffix is fixed in a few round trips', () => {
    // Follower: 100 entries of term 2 (never committed). Leader: 100 entries of term 3.
    const c = divergentCluster(Array(100).fill(2), Array(100).fill(3));
    c.cut(1, 2);
    c.campaign(1);
    c.recover();
    c.tickAll(2);
    const rejects = c.sentOf(MessageType.MsgAppResp, { from: 2 }).filter((m) => m.reject);
    // Without hints this takes ~100 rejections; with term hints, a couple.
    expect(rejects.length).toBeLessThanOrEqual(3);
    const st1 = c.node(1).storage;
    const st2 = c.node(2).storage;
    expect(st2.lastIndex()).toBe(st1.lastIndex());
    expect(st2.term(st2.lastIndex())).toBe(st1.term(st1.lastIndex()));
    expect(st2.term(50)).toBe(3);
  });

  it('a follower far behind is caught up in one round trip', () => {
    const c = divergentCluster([1], Array(200).fill(2));
    c.cut(1, 2);
    c.campaign(1);
    c.recover();
    c.tickAll(2);
    const rejects = c.sentOf(MessageType.MsgAppResp, { from: 2 }).filter((m) => m.reject);
    expect(rejects.length).toBeLessThanOrEqual(1);
    expect(c.node(2).storage.lastIndex()).toBe(c.node(1).storage.lastIndex());
  });

  it('skips whole terms of the leader log that the follower cannot match', () => {
    // Follower: terms 1..1,4x50 ; leader: 2x50, 5x50: the leader skips its term-5 block.
    const c = divergentCluster(
      [...Array(10).fill(1), ...Array(50).fill(4)],
      [...Array(10).fill(1), ...Array(50).fill(2), ...Array(50).fill(5)],
    );
    c.cut(1, 2);
    c.campaign(1);
    c.recover();
    c.tickAll(2);
    const rejects = c.sentOf(MessageType.MsgAppResp, { from: 2 }).filter((m) => m.reject);
    expect(rejects.length).toBeLessThanOrEqual(4);
    expect(c.node(2).storage.term(30)).toBe(2);
    expect(c.node(2).storage.lastIndex()).toBe(c.node(1).storage.lastIndex());
  });
});
