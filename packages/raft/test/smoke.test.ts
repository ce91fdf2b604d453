import { describe, expect, it } from 'vitest';
import { Cluster } from './helpers/cluster.js';

describe('smoke', () => {
  it('elects and replicates', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    expect(c.leader()).toBe(1);
    c.propose(1, 'a');
    c.propose(2, 'b');
    for (const id of [1, 2, 3]) expect(c.node(id).appliedData()).toEqual(['a', 'b']);
  });
  it('prevote + checkquorum elect by ticks', () => {
    const c = new Cluster([1, 2, 3], { config: (id) => ({ preVote: true, checkQuorum: true, random: () => (id - 1) / 3 }) });
    c.tickAll(30);
    expect(c.leaders().length).toBe(1);
  });
});
