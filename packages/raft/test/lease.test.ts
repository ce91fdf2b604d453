/**
 * Lease safety for lease-based reads: while a leader believes its lease holds, no other
 * node may be leader of a newer term. Checked after every single tick and message
 * delivery of randomized schedules (tick order per round varies, so nodes tick with
 * different phases), with leader isolation, partitions and follower restarts.
 */
import { describe, expect, it } from 'vitest';
import type { Raft } from '../src/raft.js';
import type { RawNode } from '../src/rawnode.js';
import { StateType } from '../src/types.js';
import { Cluster, seededRandom } from './helpers/cluster.js';

const raftOf = (n: RawNode): Raft => (n as unknown as { raft: Raft }).raft;

function checkLeases(c: Cluster): number {
  const leaders = [...c.nodes.values()]
    .map((n) => raftOf(n.node))
    .filter((r) => r.state === StateType.Leader);
  let valid = 0;
  for (const a of leaders) {
    if (!a.leaseValid()) continue;
    valid++;
    for (const b of leaders) {
      if (b.term > a.term) {
        throw new Error(
          `node ${a.id} trusts its lease in term ${a.term} while ${b.id} leads term ${b.term}`,
        );
      }
    }
  }
  return valid;
}

describe('lease-based reads: lease safety', () => {
  it('no leader of a newer term exists while an older leader trusts its lease (randomized)', () => {
    let leaseObservations = 0;
    let leaderChanges = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const rnd = seededRandom(seed);
      const c = new Cluster([1, 2, 3], {
        config: (id) => ({
          checkQuorum: true,
          preVote: rnd() < 0.5,
          readOnlyOption: 'lease-based',
          random: seededRandom(seed * 31 + id),
        }),
      });
      const ids = [1, 2, 3];
      let lastLeader = 0;
      for (let round = 0; round < 300; round++) {
        const r = rnd();
        if (r < 0.02) {
          c.recover();
          const lead = c.leaders()[0];
          c.isolate(lead !== undefined && rnd() < 0.7 ? lead : ids[Math.floor(rnd() * 3)]!);
        } else if (r < 0.05) {
          c.recover();
          const a = ids[Math.floor(rnd() * 3)]!;
          const b = ids.find((x) => x !== a)!;
          c.cut(a, b);
        } else if (r < 0.07) {
          c.recover();
        } else if (r < 0.1) {
          // Restart a follower (it forgets whom it followed).
          const followers = ids.filter((id) => c.node(id).raftState !== StateType.Leader);
          c.node(followers[Math.floor(rnd() * followers.length)]!).restart();
        }
        for (const id of [...ids].sort(() => rnd() - 0.5)) {
          c.raw(id).tick();
          c.stabilize();
          leaseObservations += checkLeases(c);
        }
        const lead = c.leaders()[0] ?? 0;
        if (lead !== 0 && lead !== lastLeader) leaderChanges++;
        if (lead !== 0) lastLeader = lead;
      }
    }
    // The schedule must have exercised both valid leases and leader changes.
    expect(leaseObservations).toBeGreaterThan(1000);
    expect(leaderChanges).toBeGreaterThan(100);
  });
});
