/**
 * Leader-only cluster operations sent to a follower, with real processes, as etcd 3.4 answers
 * them: MemberPromote is forwarded to the leader over the peer transport (the leader alone
 * knows whether the learner caught up), MoveLeader is refused with "etcdserver: not leader"
 * (etcdctl move-leader looks for the leader among its endpoints and says "no leader endpoint
 * given" when there is none).
 */
import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGrpcObject } from '../src/gen/etcd/load.js';
import type { MemberAddResponse__Output } from '../src/gen/etcd/types/etcdserverpb/MemberAddResponse.js';
import type { MemberListResponse__Output } from '../src/gen/etcd/types/etcdserverpb/MemberListResponse.js';
import type { StatusResponse__Output } from '../src/gen/etcd/types/etcdserverpb/StatusResponse.js';
import {
  ETCDCTL_BIN,
  startStoreCluster,
  waitFor,
  which,
  type StoreClusterTarget,
} from './support/targets.js';

const proto = loadGrpcObject().etcdserverpb;
const insecure = grpc.credentials.createInsecure();
const deadline = (ms = 5000): grpc.CallOptions => ({ deadline: Date.now() + ms });

function unary<T>(call: (cb: grpc.requestCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    call((err, res) =>
      err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res),
    ),
  );
}

function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: grpc.ServiceError) => err,
  );
}

describe('leader-only operations on a follower', () => {
  let cluster: StoreClusterTarget | undefined;
  const closers: Array<{ close(): void }> = [];
  afterAll(async () => {
    for (const c of closers) c.close();
    await cluster?.stop();
  });

  it('forwards MemberPromote to the leader and refuses MoveLeader as etcd does', async () => {
    cluster = await startStoreCluster(3, {
      extraArgs: ['--heartbeat-interval=50', '--election-timeout=1000'],
    });
    const c = cluster;
    const maintenance = (endpoint: string) => {
      const m = new proto.Maintenance(endpoint, insecure);
      closers.push(m);
      return m;
    };
    const clusterApi = (endpoint: string) => {
      const m = new proto.Cluster(endpoint, insecure);
      closers.push(m);
      return m;
    };
    const status = (endpoint: string): Promise<StatusResponse__Output> =>
      unary((cb) => maintenance(endpoint).Status({}, deadline(), cb));
    /** A voter that is not the leader right now, and the leader's ID. */
    const follower = async () => {
      const st = await status(c.members[0]!.endpoint);
      for (const m of c.members.slice(0, 3)) {
        const s = await status(m.endpoint);
        if (s.header!.member_id !== st.leader) return { endpoint: m.endpoint, leader: st.leader };
      }
      throw new Error('no follower');
    };

    // MoveLeader on a follower: etcd's ErrGRPCNotLeader, nothing moves.
    const f = await follower();
    const self = (await status(f.endpoint)).header!.member_id;
    const refused = await failure(
      unary((cb) => maintenance(f.endpoint).MoveLeader({ targetID: self }, deadline(), cb)),
    );
    expect(refused.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.details).toBe('etcdserver: not leader');
    if (which(ETCDCTL_BIN) !== undefined) {
      const r = spawnSync(
        ETCDCTL_BIN,
        [`--endpoints=${f.endpoint}`, 'move-leader', BigInt(self).toString(16)],
        { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 },
      );
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('no leader endpoint given at');
    } else {
      console.warn(`${ETCDCTL_BIN} not installed (Debian etcd-client); skipping its part`);
    }

    // MemberPromote through a follower: the leader answers. First for a learner that never
    // started (not in sync: etcd's error), then once it caught up.
    const learner = await c.addMember('s4');
    const added = await unary<MemberAddResponse__Output>((cb) =>
      clusterApi(f.endpoint).MemberAdd(
        { peerURLs: [learner.peerURL], isLearner: true },
        deadline(),
        cb,
      ),
    );
    const learnerId = added.member!.ID;
    const via = (await follower()).endpoint;
    const notReady = await failure(
      unary((cb) => clusterApi(via).MemberPromote({ ID: learnerId }, deadline(), cb)),
    );
    expect(notReady.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(notReady.details).toBe(
      'etcdserver: can only promote a learner member which is in sync with leader',
    );

    await learner.start();
    await waitFor(
      'the learner to be promoted through a follower',
      async () => {
        const target = (await follower()).endpoint;
        await unary((cb) => clusterApi(target).MemberPromote({ ID: learnerId }, deadline(), cb));
        return true;
      },
      60_000,
    );
    const list = await unary<MemberListResponse__Output>((cb) =>
      clusterApi(c.members[0]!.endpoint).MemberList({}, deadline(), cb),
    );
    expect(list.members.find((m) => m.ID === learnerId)?.isLearner).toBe(false);

    // MoveLeader on the leader hands leadership to the given voter.
    const before = await follower();
    const leaderMember = await (async () => {
      for (const m of c.members) {
        if ((await status(m.endpoint)).header!.member_id === before.leader) return m;
      }
      throw new Error('leader not found');
    })();
    const target = (await status(before.endpoint)).header!.member_id;
    await unary((cb) =>
      maintenance(leaderMember.endpoint).MoveLeader({ targetID: target }, deadline(10_000), cb),
    );
    expect((await status(before.endpoint)).leader).toBe(target);
  }, 120_000);
});
