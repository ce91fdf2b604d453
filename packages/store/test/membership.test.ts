/**
 * Membership changes with real processes, under a write load: a learner is added to a 3-member
 * cluster whose log is already compacted behind a snapshot (small --snapshot-count and
 * --experimental-snapshot-catchup-entries), so it can only catch up from a snapshot streamed by
 * the leader; it is promoted to a voter; then the old leader is removed (and exits). Two
 * clients write unique keys all along, to whichever members exist; every acknowledged write
 * must be on every remaining member at the end.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGrpcObject } from '../src/gen/etcd/load.js';
import type { ClusterClient } from '../src/gen/etcd/types/etcdserverpb/Cluster.js';
import type { KVClient } from '../src/gen/etcd/types/etcdserverpb/KV.js';
import type { MemberAddResponse__Output } from '../src/gen/etcd/types/etcdserverpb/MemberAddResponse.js';
import type { RangeResponse__Output } from '../src/gen/etcd/types/etcdserverpb/RangeResponse.js';
import type { StatusResponse__Output } from '../src/gen/etcd/types/etcdserverpb/StatusResponse.js';
import { startStoreCluster, waitFor, type StoreClusterTarget } from './support/targets.js';

const proto = loadGrpcObject().etcdserverpb;
const insecure = grpc.credentials.createInsecure();

function unary<T>(call: (cb: grpc.requestCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    call((err, res) =>
      err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res),
    ),
  );
}

const deadline = (ms = 3000): grpc.CallOptions => ({ deadline: Date.now() + ms });

describe('membership changes under load', () => {
  let cluster: StoreClusterTarget | undefined;
  const closers: Array<{ close(): void }> = [];
  afterAll(async () => {
    for (const c of closers) c.close();
    await cluster?.stop();
  });

  it('adds a learner that catches up by snapshot, promotes it, removes the old leader; no acknowledged write lost', async () => {
    cluster = await startStoreCluster(3, {
      extraArgs: [
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--snapshot-count=100',
        '--experimental-snapshot-catchup-entries=10',
      ],
    });
    const c = cluster;
    const kv = new Map<string, KVClient>();
    const kvOf = (endpoint: string): KVClient => {
      let k = kv.get(endpoint);
      if (k === undefined) {
        k = new proto.KV(endpoint, insecure);
        kv.set(endpoint, k);
        closers.push(k);
      }
      return k;
    };
    const clusterApi = (endpoint: string): ClusterClient => {
      const k = new proto.Cluster(endpoint, insecure);
      closers.push(k);
      return k;
    };
    const status = async (endpoint: string): Promise<StatusResponse__Output> => {
      const m = new proto.Maintenance(endpoint, insecure);
      try {
        return await unary<StatusResponse__Output>((cb) => m.Status({}, deadline(1000), cb));
      } finally {
        m.close();
      }
    };
    /** Members the clients may use: the running ones that have not been removed. */
    const removed = new Set<string>();
    const live = (): string[] =>
      c.members
        .filter((m) => m.process !== undefined && !removed.has(m.name))
        .map((m) => m.endpoint);

    const acked: string[] = [];
    let running = true;
    let seq = 0;
    const writers = Array.from({ length: 2 }, async (_, w) => {
      let next = w;
      while (running) {
        const targets = live();
        const endpoint = targets[next++ % targets.length]!;
        const key = `m/${w}/${++seq}`;
        try {
          await unary((cb) =>
            kvOf(endpoint).Put({ key: Buffer.from(key), value: Buffer.from('v') }, deadline(), cb),
          );
          acked.push(key);
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });

    try {
      // Enough writes that the leader snapshotted and compacted its log (100 + 10 entries).
      await waitFor('writes past the first snapshot', () => acked.length > 250, 60_000);

      const first = c.members[0]!;
      const learner = await c.addMember('s4');
      const added = await unary<MemberAddResponse__Output>((cb) =>
        clusterApi(first.endpoint).MemberAdd(
          { peerURLs: [learner.peerURL], isLearner: true },
          deadline(),
          cb,
        ),
      );
      expect(added.member?.isLearner).toBe(true);
      const learnerId = added.member!.ID;
      await learner.start();
      await waitFor(
        'the learner to restore a snapshot from the leader',
        () =>
          readFileSync(`${learner.dataDir}.log`, 'utf8').includes(
            'Restored the state machine from a leader snapshot',
          ),
        30_000,
      );

      // Promote once the learner is close enough to the leader (etcd refuses before). Asked of
      // the first member, leader or not: a follower forwards MemberPromote to the leader.
      await waitFor(
        'the learner to be promoted',
        async () => {
          await unary((cb) =>
            clusterApi(first.endpoint).MemberPromote({ ID: learnerId }, deadline(), cb),
          );
          return true;
        },
        // A loaded CI box can keep the learner behind the leader's write rate for a while.
        90_000,
      );

      // Remove the current leader through another member; the leader leaves the cluster.
      const st = await status(first.endpoint);
      const leaderId = st.leader;
      const statuses = await Promise.all(
        c.members.map(async (m) => ({ m, st: await status(m.endpoint).catch(() => undefined) })),
      );
      const oldLeader = statuses.find((x) => x.st?.header?.member_id === leaderId)!.m;
      const other = c.members.find((m) => m !== oldLeader && m.process !== undefined)!;
      removed.add(oldLeader.name);
      await waitFor(
        'the old leader to be removed',
        async () => {
          await unary((cb) =>
            clusterApi(other.endpoint).MemberRemove({ ID: leaderId }, deadline(), cb),
          );
          return true;
        },
        30_000,
      );
      await waitFor(
        'the removed member to exit',
        () => oldLeader.process?.child.exitCode !== null,
        30_000,
      );
      // A new leader among the remaining three, and writes keep being acknowledged.
      const remaining = c.members.filter((m) => m !== oldLeader);
      await waitFor('a new leader agreed by the remaining members', async () => {
        const sts = await Promise.all(remaining.map((m) => status(m.endpoint)));
        const l = sts[0]!.leader;
        return l !== '0' && l !== leaderId && sts.every((x) => x.leader === l);
      });
      const before = acked.length;
      await waitFor('writes after the removal', () => acked.length > before + 20, 30_000);
    } finally {
      running = false;
      await Promise.all(writers);
    }

    // Every acknowledged write is on every remaining member, the promoted learner included.
    const remaining = c.members.filter((m) => !removed.has(m.name));
    expect(remaining).toHaveLength(3);
    await waitFor('every remaining member to hold every acknowledged write', async () => {
      for (const m of remaining) {
        const r = await unary<RangeResponse__Output>((cb) =>
          kvOf(m.endpoint).Range(
            {
              key: Buffer.from('m/'),
              range_end: Buffer.from('m0'),
              serializable: true,
              keys_only: true,
            },
            deadline(),
            cb,
          ),
        );
        const have = new Set(r.kvs.map((x) => x.key.toString()));
        if (!acked.every((k) => have.has(k))) return false;
      }
      return true;
    });
    console.log(`membership under load: ${acked.length} acknowledged writes, all on every member`);
  }, 240_000);
});
