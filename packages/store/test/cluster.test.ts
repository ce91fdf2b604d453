/**
 * Three kubets-store members in one process, replicating through the gRPC peer transport:
 * replication, linearizable reads on followers, leader failover, restart with data, lease
 * forwarding, and membership (learner add, catch-up by snapshot, promote, remove).
 */
import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './support/cluster.js';
import { get, put } from './support/requests.js';

async function eventually<T>(
  what: string,
  fn: () => Promise<T> | T,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const value = async (
  c: TestCluster,
  memberIndex: number,
  key: string,
): Promise<string | undefined> => {
  const r = await c.members[memberIndex]!.etcd!.range(get(key));
  return (r.kvs?.[0]?.value as Buffer | undefined)?.toString();
};

describe('three-member kubets-store cluster', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.destroy();
    cluster = undefined;
  });

  it('replicates writes and serves linearizable reads on every member', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => m !== leader)!;
    // A write through a follower is forwarded to the leader by Raft.
    await follower.etcd!.put(put('k', 'v1'));
    for (let i = 0; i < 3; i++) expect(await value(cluster, i, 'k')).toBe('v1');
    // Every member reports the same revision and all three members.
    const revs = await Promise.all(
      cluster.members.map(async (m) => Number((await m.etcd!.range(get('k'))).header!.revision)),
    );
    expect(new Set(revs).size).toBe(1);
    expect(leader.etcd!.memberList()).toHaveLength(3);
    await eventually('members published their names', () => {
      const names = leader.etcd!.memberList().map((m) => m.name);
      if (names.some((n) => n === '')) throw new Error(`names ${names.join(',')}`);
    });
  });

  it('fails over when the leader stops and catches the old leader up when it returns', async () => {
    cluster = await startCluster(3);
    const first = await cluster.waitForLeader();
    await first.etcd!.put(put('a', '1'));
    await first.stop();
    const second = await cluster.waitForLeader();
    expect(second).not.toBe(first);
    await second.etcd!.put(put('b', '2'));
    await first.start();
    await cluster.waitForLeader();
    const idx = cluster.members.indexOf(first);
    expect(
      await eventually('old leader caught up', async () => {
        const v = await value(cluster!, idx, 'b');
        if (v !== '2') throw new Error(`b=${v}`);
        return v;
      }),
    ).toBe('2');
    expect(await value(cluster, idx, 'a')).toBe('1');
  });

  it('serves the etcd3 client across members, with leases kept alive through a follower', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => m !== leader)!;
    const client = new Etcd3({ hosts: `127.0.0.1:${follower.clientPort}` });
    try {
      const lease = client.lease(1);
      await lease.grant();
      await lease.put('live').value('1');
      // Keep-alives go to a follower, which forwards them to the leader.
      await new Promise((r) => setTimeout(r, 1800));
      expect(await client.get('live').string()).toBe('1');
      const ttl = await client.leaseClient.leaseTimeToLive({ ID: await lease.grant(), keys: true });
      expect(ttl.keys.map((k) => k.toString())).toEqual(['live']);
      await lease.revoke();
      expect(await client.get('live').string()).toBeNull();
    } finally {
      client.close();
    }
  });

  it('adds a learner that catches up from a snapshot, promotes it and removes the old leader', async () => {
    // Snapshots every 20 entries keeping only 5 behind: the new member cannot be caught up
    // from the log and must receive a snapshot.
    cluster = await startCluster(3, { snapshotCount: 20, catchUpEntries: 5 });
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 60; i++) await leader.etcd!.put(put(`pre/${i}`, String(i)));
    const m4 = await cluster.addMember('m4');
    const added = await leader.etcd!.memberAdd([`http://127.0.0.1:${m4.peerPort}`], true);
    expect(added.member.isLearner).toBe(true);
    await m4.start('existing');
    const idx = cluster.members.indexOf(m4);
    await eventually('learner caught up', () => {
      if (m4.etcd!.sm.mvcc.get('pre/59') === undefined) throw new Error('not yet');
    });
    expect(leader.etcd!.raft.raw.metrics().snapshotsSent).toBeGreaterThan(0);
    expect(m4.etcd!.raft.raw.metrics().snapshotsRestored).toBe(1);
    // A learner does not vote but follows the log.
    await leader.etcd!.put(put('after-join', 'x'));
    await eventually('learner applies new writes', () => {
      if (m4.etcd!.sm.mvcc.get('after-join') === undefined) throw new Error('not yet');
    });
    await eventually('promote', async () => {
      const l = await cluster!.waitForLeader();
      await l.etcd!.memberPromote(m4.etcd!.memberId);
    });
    const members = (await cluster.waitForLeader()).etcd!.memberList();
    expect(members.find((m) => Number(m.ID) === m4.etcd!.memberId)?.isLearner).toBe(false);
    // Remove the old leader; the remaining three keep working.
    const current = await cluster.waitForLeader();
    const old = leader.etcd!.memberId;
    await current.etcd!.memberRemove(old);
    await leader.stop();
    const next = await cluster.waitForLeader();
    await next.etcd!.put(put('after-remove', 'y'));
    expect(await value(cluster, idx, 'after-remove')).toBe('y');
    expect(next.etcd!.memberList().map((m) => Number(m.ID))).not.toContain(old);
  }, 45_000);
});
