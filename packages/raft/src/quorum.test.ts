import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/helpers/cluster.js';
import {
  EMPTY_CONFIG_COMMIT,
  jointCommitted,
  jointVoteResult,
  majorityCommitted,
  majorityVoteResult,
  VoteResult,
} from './quorum.js';

const acked = (m: Record<number, number>) => (id: number) => m[id];

/** Definition-based reference: the largest i held by a majority. */
function bruteCommitted(voters: number[], m: Record<number, number>): number {
  if (voters.length === 0) return EMPTY_CONFIG_COMMIT;
  const candidates = [0, ...voters.map((v) => m[v] ?? 0)];
  let best = 0;
  for (const i of candidates) {
    const n = voters.filter((v) => (m[v] ?? 0) >= i).length;
    if (n > voters.length / 2 && i > best) best = i;
  }
  return best;
}

describe('majorityCommitted', () => {
  it('returns the index held by a majority', () => {
    expect(majorityCommitted(new Set([1, 2, 3]), acked({ 1: 5, 2: 4, 3: 1 }))).toBe(4);
    expect(majorityCommitted(new Set([1, 2, 3, 4]), acked({ 1: 5, 2: 4, 3: 3, 4: 1 }))).toBe(3);
    expect(majorityCommitted(new Set([1]), acked({ 1: 9 }))).toBe(9);
  });
  it('counts unknown voters as 0', () => {
    expect(majorityCommitted(new Set([1, 2, 3]), acked({ 1: 5 }))).toBe(0);
    expect(majorityCommitted(new Set([1, 2, 3]), acked({ 1: 5, 2: 7 }))).toBe(5);
  });
  it('returns the sentinel for an empty config', () => {
    expect(majorityCommitted(new Set(), acked({}))).toBe(EMPTY_CONFIG_COMMIT);
  });
  it('matches the definition on random inputs', () => {
    const rnd = seededRandom(7);
    for (let t = 0; t < 500; t++) {
      const n = Math.floor(rnd() * 7);
      const voters = Array.from({ length: n }, (_, i) => i + 1);
      const m: Record<number, number> = {};
      for (const v of voters) if (rnd() < 0.8) m[v] = Math.floor(rnd() * 10);
      expect(majorityCommitted(new Set(voters), acked(m))).toBe(bruteCommitted(voters, m));
    }
  });
});

describe('majorityVoteResult', () => {
  const votes = (m: Record<number, boolean>) =>
    new Map(Object.entries(m).map(([k, v]) => [Number(k), v]));
  it('decides once a majority agrees', () => {
    const v = new Set([1, 2, 3]);
    expect(majorityVoteResult(v, votes({ 1: true }))).toBe(VoteResult.Pending);
    expect(majorityVoteResult(v, votes({ 1: true, 2: true }))).toBe(VoteResult.Won);
    expect(majorityVoteResult(v, votes({ 1: true, 2: false }))).toBe(VoteResult.Pending);
    expect(majorityVoteResult(v, votes({ 1: true, 2: false, 3: false }))).toBe(VoteResult.Lost);
  });
  it('ignores votes from non-members', () => {
    expect(majorityVoteResult(new Set([1, 2, 3]), votes({ 1: true, 9: true }))).toBe(
      VoteResult.Pending,
    );
  });
  it('an empty config wins', () => {
    expect(majorityVoteResult(new Set(), votes({}))).toBe(VoteResult.Won);
  });
  it('even-sized configs need a strict majority', () => {
    const v = new Set([1, 2, 3, 4]);
    expect(majorityVoteResult(v, votes({ 1: true, 2: true, 3: false, 4: false }))).toBe(
      VoteResult.Lost,
    );
    expect(majorityVoteResult(v, votes({ 1: true, 2: true, 3: true }))).toBe(VoteResult.Won);
  });
});

describe('joint quorum', () => {
  it('commit is the minimum of both halves', () => {
    const cfg = { incoming: new Set([1, 2, 3]), outgoing: new Set([3, 4, 5]) };
    expect(jointCommitted(cfg, acked({ 1: 9, 2: 9, 3: 5, 4: 2, 5: 1 }))).toBe(2);
    expect(jointCommitted({ incoming: new Set([1]), outgoing: new Set() }, acked({ 1: 4 }))).toBe(
      4,
    );
  });
  it('needs both halves to win a vote', () => {
    const cfg = { incoming: new Set([1, 2, 3]), outgoing: new Set([4, 5, 6]) };
    const v = new Map<number, boolean>([
      [1, true],
      [2, true],
    ]);
    expect(jointVoteResult(cfg, v)).toBe(VoteResult.Pending);
    v.set(4, true);
    v.set(5, true);
    expect(jointVoteResult(cfg, v)).toBe(VoteResult.Won);
    v.set(6, false);
    expect(
      jointVoteResult(
        cfg,
        new Map([
          [4, false],
          [5, false],
          [1, true],
          [2, true],
        ]),
      ),
    ).toBe(VoteResult.Lost);
  });
  it('joint commit never exceeds either half (random)', () => {
    const rnd = seededRandom(11);
    for (let t = 0; t < 300; t++) {
      const inc = new Set<number>();
      const out = new Set<number>();
      const m: Record<number, number> = {};
      for (let id = 1; id <= 6; id++) {
        if (rnd() < 0.5) inc.add(id);
        if (rnd() < 0.4) out.add(id);
        m[id] = Math.floor(rnd() * 20);
      }
      if (inc.size === 0) inc.add(1);
      const j = jointCommitted({ incoming: inc, outgoing: out }, acked(m));
      expect(j).toBeLessThanOrEqual(majorityCommitted(inc, acked(m)));
      expect(j).toBeLessThanOrEqual(majorityCommitted(out, acked(m)));
      expect(j).toBe(Math.min(bruteCommitted([...inc], m), bruteCommitted([...out], m)));
    }
  });
});
