/** Linearizable reads: ReadIndex (thesis §6.4) in safe and lease-based modes. */
import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from '../src/errors.js';
import { MessageType } from '../src/types.js';
import { Cluster, dec, enc } from './helpers/cluster.js';

const readOf = (c: Cluster, id: number) =>
  c.node(id).readStates.map((rs) => ({ index: rs.index, ctx: dec(rs.requestCtx) }));

describe('ReadIndex (safe)', () => {
  it('the leader answers with its commit index after a heartbeat quorum', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    const commit = c.raw(1).status().commit;
    const before = c.sentOf(MessageType.MsgHeartbeat).length;
    c.raw(1).readIndex(enc('r1'));
    c.stabilize();
    expect(readOf(c, 1)).toEqual([{ index: commit, ctx: 'r1' }]);
    const hbs = c.sentOf(MessageType.MsgHeartbeat).slice(before);
    expect(hbs).toHaveLength(2);
    expect(hbs.every((m) => dec(m.context) === 'r1')).toBe(true);
  });

  it('an isolated leader cannot confirm a read', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(1);
    c.raw(1).readIndex(enc('r1'));
    c.tick(1, 5);
    expect(c.node(1).readStates).toEqual([]);
  });

  it('one ack from a quorum suffices; the minority can be down', () => {
    const c = new Cluster([1, 2, 3, 4, 5]);
    c.campaign(1);
    c.stop(4);
    c.stop(5);
    c.raw(1).readIndex(enc('r'));
    c.stabilize();
    expect(readOf(c, 1)).toHaveLength(1);
  });

  it('reads wait until the new leader has committed an entry of its term', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    // The new leader's empty entry does not reach anyone for now.
    c.hook = (m) => !(m.type === MessageType.MsgApp && m.from === 2);
    c.campaign(2);
    expect(c.leader()).toBe(2);
    c.raw(2).readIndex(enc('early'));
    c.stabilize();
    expect(c.node(2).readStates).toEqual([]);
    c.hook = undefined;
    c.tickAll(2);
    const commit = c.raw(2).status().commit;
    expect(readOf(c, 2)).toEqual([{ index: commit, ctx: 'early' }]);
  });

  it('a follower read is forwarded to the leader and answered back', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    c.raw(3).readIndex(enc('from-3'));
    c.stabilize();
    const commit = c.raw(1).status().commit;
    expect(readOf(c, 3)).toEqual([{ index: commit, ctx: 'from-3' }]);
    expect(c.node(1).readStates).toEqual([]);
    expect(c.sentOf(MessageType.MsgReadIndexResp, { from: 1, to: 3 })).toHaveLength(1);
  });

  it('several pending reads are confirmed by one heartbeat round, in order', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(2);
    c.isolate(3);
    for (const ctx of ['x', 'y', 'z']) c.raw(1).readIndex(enc(ctx));
    c.stabilize();
    expect(c.node(1).readStates).toEqual([]);
    c.recover();
    c.tick(1); // a regular heartbeat carries the newest pending context
    expect(readOf(c, 1).map((r) => r.ctx)).toEqual(['x', 'y', 'z']);
  });

  it('reads arriving while a round is unanswered share the next round', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    const before = c.sentOf(MessageType.MsgHeartbeat).length;
    c.raw(1).readIndex(enc('r1'));
    // Before any acknowledgement: one from the leader's host, one forwarded by a follower.
    c.raw(1).readIndex(enc('r2'));
    c.raw(3).readIndex(enc('r3'));
    c.stabilize();
    expect(readOf(c, 1).map((r) => r.ctx)).toEqual(['r1', 'r2']);
    expect(readOf(c, 3).map((r) => r.ctx)).toEqual(['r3']);
    const hbs = c.sentOf(MessageType.MsgHeartbeat).slice(before);
    // Two rounds (r1's, then one for r2 and r3), not three.
    expect(hbs.map((m) => dec(m.context))).toEqual(['r1', 'r1', 'r3', 'r3']);
  });

  it('a single-voter cluster answers immediately', () => {
    const c = new Cluster([1]);
    c.campaign(1);
    c.raw(1).readIndex(enc('solo'));
    c.stabilize();
    expect(readOf(c, 1)).toEqual([{ index: c.raw(1).status().commit, ctx: 'solo' }]);
  });

  it('without a known leader the request is refused', () => {
    const c = new Cluster([1, 2, 3]);
    expect(() => c.raw(1).readIndex(enc('r'))).toThrow(ProposalDroppedError);
    expect(() => c.raw(1).readIndex(new Uint8Array())).toThrow(/non-empty request context/);
  });

  it('a pending read is dropped when the leader steps down (the host times out)', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(1);
    c.raw(1).readIndex(enc('r'));
    c.recover();
    c.isolate(1);
    c.campaign(2);
    c.recover();
    c.tickAll(3);
    expect(c.node(1).readStates).toEqual([]);
    expect(c.leader()).toBe(2);
  });
});

describe('ReadIndex (lease-based)', () => {
  /** Node 1 times out first; others later. Lease mode holds votes for one election timeout. */
  function leaseCluster(): Cluster {
    const c = new Cluster([1, 2, 3], {
      config: (id) => ({
        checkQuorum: true,
        readOnlyOption: 'lease-based',
        random: () => (id === 1 ? 0 : 0.9),
      }),
    });
    c.tickAll(10);
    expect(c.leader()).toBe(1);
    c.tickAll(1); // one heartbeat round establishes the lease
    return c;
  }

  it('a freshly started node refuses votes for an election timeout', () => {
    const c = new Cluster([1, 2, 3], {
      config: { checkQuorum: true, readOnlyOption: 'lease-based' },
    });
    c.campaign(1);
    expect(c.leaders()).toEqual([]);
  });

  it('the leader answers from its commit index without a heartbeat round', () => {
    const c = leaseCluster();
    c.propose(1, 'a');
    const hbBefore = c.sentOf(MessageType.MsgHeartbeat).length;
    c.raw(1).readIndex(enc('lease'));
    c.stabilize();
    expect(readOf(c, 1)).toEqual([{ index: c.raw(1).status().commit, ctx: 'lease' }]);
    expect(c.sentOf(MessageType.MsgHeartbeat).length).toBe(hbBefore);
  });

  it('followers are served through the leader', () => {
    const c = leaseCluster();
    c.raw(2).readIndex(enc('f'));
    c.stabilize();
    expect(readOf(c, 2)).toEqual([{ index: c.raw(1).status().commit, ctx: 'f' }]);
  });

  it('once the lease expires the read needs a heartbeat quorum again', () => {
    const c = leaseCluster();
    c.isolate(2);
    c.isolate(3);
    c.tick(1, 8); // the newest acked heartbeat is 8 ticks old: past electionTick - 3 = 7
    c.raw(1).readIndex(enc('late'));
    c.stabilize();
    expect(c.node(1).readStates).toEqual([]);
    c.recover();
    c.tick(1);
    expect(readOf(c, 1).map((r) => r.ctx)).toEqual(['late']);
  });

  it('a lease is still valid a few ticks after the last acknowledgement', () => {
    const c = leaseCluster();
    c.isolate(2);
    c.isolate(3);
    c.tick(1, 7); // exactly at the lease boundary (electionTick - 3)
    c.raw(1).readIndex(enc('in-lease'));
    c.stabilize();
    expect(readOf(c, 1).map((r) => r.ctx)).toEqual(['in-lease']);
  });

  it('a leader that started a leadership transfer stops trusting its lease', () => {
    const c = leaseCluster();
    c.isolate(2);
    c.raw(1).transferLeadership(2); // 2 is up to date: MsgTimeoutNow is sent (and lost)
    c.stabilize();
    c.recover();
    c.raw(1).readIndex(enc('r'));
    c.stabilize();
    // Answered only through a heartbeat round, which 2 (now a candidate/leader at a higher
    // term) breaks; in any case not from the lease.
    expect(c.sentOf(MessageType.MsgHeartbeat).some((m) => dec(m.context) === 'r')).toBe(true);
  });

  it('still waits for the first commit of the leader term', () => {
    const c = new Cluster([1, 2, 3], {
      config: (id) => ({
        checkQuorum: true,
        readOnlyOption: 'lease-based',
        random: () => (id === 1 ? 0 : 0.9),
      }),
    });
    c.hook = (m) => m.type !== MessageType.MsgApp;
    c.tickAll(11);
    expect(c.leader()).toBe(1);
    c.raw(1).readIndex(enc('early'));
    c.stabilize();
    expect(c.node(1).readStates).toEqual([]);
    c.hook = undefined;
    c.tickAll(2);
    expect(readOf(c, 1).map((r) => r.ctx)).toEqual(['early']);
  });
});
