/**
 * Faults with real processes: a 3-member kubets-store cluster under a modest write load (three
 * concurrent clients for a few seconds) loses its leader, or a follower, to SIGKILL, or is cut
 * by network partitions (injected in the peer transport with the test-only
 * KUBETS_STORE_TEST_PARTITION_FILE): an isolated follower, an isolated leader, and every member
 * alone. After each fault heals, every acknowledged write must be on every member, and the
 * recorded client history must be linearizable (@kubets/sim's checker with its key-value model).
 *
 * The clients are plain etcd v3 gRPC stubs with a deadline and no retries: the npm etcd3 client
 * retries failed calls on another member, so one recorded put could take effect twice, which a
 * history of single invocations cannot describe.
 */
import * as grpc from '@grpc/grpc-js';
import {
  HistoryRecorder,
  checkLinearizable,
  kvModel,
  runSimulation,
  simulationSeeds,
  type Prng,
  type KvInput,
  type KvOutput,
} from '@kubets/sim';
import { afterEach, describe, expect, it } from 'vitest';
import { loadGrpcObject } from '../src/gen/etcd/load.js';
import type { KVClient } from '../src/gen/etcd/types/etcdserverpb/KV.js';
import type { MaintenanceClient } from '../src/gen/etcd/types/etcdserverpb/Maintenance.js';
import type { RangeResponse__Output } from '../src/gen/etcd/types/etcdserverpb/RangeResponse.js';
import type { StatusResponse__Output } from '../src/gen/etcd/types/etcdserverpb/StatusResponse.js';
import type { TxnResponse__Output } from '../src/gen/etcd/types/etcdserverpb/TxnResponse.js';
import { startStoreCluster, waitFor, type StoreClusterTarget } from './support/targets.js';

const proto = loadGrpcObject().etcdserverpb;
const insecure = grpc.credentials.createInsecure();
const REQUEST_DEADLINE_MS = 2000;

/** Client stubs for one member. */
interface MemberClients {
  kv: KVClient;
  maintenance: MaintenanceClient;
}

function unary<T>(call: (cb: grpc.requestCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    call((err, res) =>
      err || res === undefined ? reject(err ?? new Error('no response')) : resolve(res),
    ),
  );
}

/**
 * True when the request certainly had no effect: it never reached a server (nothing listens on
 * the port), or the member refused it before proposing it (no leader known: the proposal never
 * entered the log).
 */
function certainlyNoEffect(err: unknown): boolean {
  const e = err as Partial<grpc.ServiceError>;
  const details = e.details ?? '';
  return (
    e.code === grpc.status.UNAVAILABLE &&
    (/ECONNREFUSED/.test(details) || details === 'etcdserver: no leader')
  );
}

const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + REQUEST_DEADLINE_MS });

async function perform(kv: KVClient, input: KvInput): Promise<KvOutput> {
  const key = Buffer.from(input.key);
  switch (input.op) {
    case 'get': {
      const r = await unary<RangeResponse__Output>((cb) => kv.Range({ key }, deadline(), cb));
      const found = r.kvs[0];
      return { value: found ? found.value.toString() : null };
    }
    case 'put':
      await unary((cb) => kv.Put({ key, value: Buffer.from(input.value) }, deadline(), cb));
      return {};
    case 'delete': {
      const r = await unary<{ deleted: string }>((cb) => kv.DeleteRange({ key }, deadline(), cb));
      return { ok: Number(r.deleted) > 0 };
    }
    case 'cas': {
      const compare =
        input.expected === null
          ? { key, target: 'VERSION' as const, result: 'EQUAL' as const, version: 0 }
          : {
              key,
              target: 'VALUE' as const,
              result: 'EQUAL' as const,
              value: Buffer.from(input.expected),
            };
      const r = await unary<TxnResponse__Output>((cb) =>
        kv.Txn(
          {
            compare: [compare],
            success: [{ request_put: { key, value: Buffer.from(input.value) } }],
          },
          deadline(),
          cb,
        ),
      );
      return { ok: r.succeeded };
    }
  }
}

/** A mix of contended operations on three keys and puts of keys no one else writes. */
function nextInput(prng: Prng, clientId: number, seq: number): KvInput {
  const value = `c${clientId}-${seq}`;
  const r = prng.next();
  if (r < 0.3) return { op: 'put', key: `ack/${clientId}/${seq}`, value };
  const key = prng.pick(['x', 'y', 'z']);
  if (r < 0.55) return { op: 'get', key };
  if (r < 0.75) return { op: 'put', key, value };
  if (r < 0.8) return { op: 'delete', key };
  return {
    op: 'cas',
    key,
    expected: prng.chance(0.3) ? null : `c${prng.int(3)}-${prng.int(seq + 1)}`,
    value,
  };
}

async function status(c: MemberClients): Promise<StatusResponse__Output> {
  return unary<StatusResponse__Output>((cb) =>
    c.maintenance.Status({}, { deadline: Date.now() + 1000 }, cb),
  );
}

/** Every key under `ack/` as a member serves it locally (serializable: no forwarding). */
async function localAcks(c: MemberClients): Promise<Map<string, string>> {
  const r = await unary<RangeResponse__Output>((cb) =>
    c.kv.Range(
      { key: Buffer.from('ack/'), range_end: Buffer.from('ack0'), serializable: true },
      deadline(),
      cb,
    ),
  );
  return new Map(r.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
}

/** What a fault schedule may do to the cluster while the clients run. */
interface FaultContext {
  prng: Prng;
  members: StoreClusterTarget['members'];
  /** Index of the leader the members (all but `exclude`) agree on, waiting for one. */
  leaderIndex: (exclude?: number) => Promise<number>;
  /** Cuts the given members off from all others (both directions), healing any earlier cut. */
  isolate: (indexes: readonly number[]) => void;
  heal: () => void;
  /** Whether the history so far acknowledged any write (for the no-quorum check). */
  ackedCount: () => number;
  pause: (ms: number) => Promise<void>;
}

/**
 * Runs the client workload against a fresh 3-member cluster of real processes while `faults`
 * runs, then checks: every acknowledged write is on every member, and the history is
 * linearizable.
 */
async function scenario(
  name: string,
  seed: number,
  faults: (ctx: FaultContext) => Promise<void>,
  state: { cluster?: StoreClusterTarget; stubs: MemberClients[] },
): Promise<void> {
  await runSimulation(name, seed, async (prng) => {
    // Etcd's timing halved: the new leader comes sooner, keeping the test short.
    const cluster = await startStoreCluster(3, {
      extraArgs: ['--heartbeat-interval=50', '--election-timeout=500'],
    });
    state.cluster = cluster;
    const stubs = state.stubs;
    for (const m of cluster.members)
      stubs.push({
        kv: new proto.KV(m.endpoint, insecure),
        maintenance: new proto.Maintenance(m.endpoint, insecure),
      });
    const members = cluster.members;
    const leaderIndex = async (exclude?: number): Promise<number> => {
      let found = -1;
      await waitFor('a leader agreed by the running members', async () => {
        const live = members.map((_, i) => i).filter((i) => i !== exclude);
        const st = await Promise.all(live.map((i) => status(stubs[i]!)));
        const leader = st[0]!.leader;
        if (leader === '0' || !st.every((s) => s.leader === leader)) return false;
        found = live[st.findIndex((s) => s.header?.member_id === leader)] ?? -1;
        return found >= 0;
      });
      return found;
    };
    await leaderIndex();

    const t0 = performance.now();
    const history = new HistoryRecorder<KvInput, KvOutput>(() => performance.now() - t0);
    const acked = new Map<string, string>();
    let running = true;
    let seq = 0;
    let failures = 0;
    const errs = new Map<string, number>();
    const clients = Array.from({ length: 3 }, async (_, clientId) => {
      const cprng = prng.fork(`client${clientId}`);
      let next = clientId;
      while (running) {
        const target = stubs[next++ % stubs.length]!;
        const input = nextInput(cprng, clientId, ++seq);
        const h = history.invoke(clientId, input);
        try {
          const out = await perform(target.kv, input);
          history.complete(h, out);
          if (input.op === 'put' && input.key.startsWith('ack/')) acked.set(input.key, input.value);
        } catch (err) {
          failures++;
          const e = err as Partial<grpc.ServiceError>;
          const d = `${e.code} ${e.details ?? e.message}`.slice(0, 60);
          errs.set(d, (errs.get(d) ?? 0) + 1);
          // A failed read changed nothing, nor did a request that was never proposed. Any
          // other failed write (reset connection, deadline) may or may not have happened:
          // it stays pending (return = Infinity), as the checker expects.
          if (input.op === 'get' || certainlyNoEffect(err)) history.discard(h);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });

    const names = members.map((m) => m.name);
    const ctx: FaultContext = {
      prng,
      members,
      leaderIndex,
      isolate: (indexes) => {
        const cut = new Set(indexes);
        members.forEach((m, i) =>
          m.partition(
            cut.has(i) ? names.filter((_, j) => j !== i) : names.filter((_, j) => cut.has(j)),
          ),
        );
      },
      heal: () => {
        for (const m of members) m.partition([]);
      },
      ackedCount: () => acked.size,
      pause: (ms) => new Promise((r) => setTimeout(r, ms)),
    };
    try {
      await new Promise((r) => setTimeout(r, prng.range(600, 1000)));
      await faults(ctx);
    } finally {
      running = false;
      await Promise.all(clients);
    }

    // Recovered members catch up: every acknowledged write is on every member.
    await waitFor(
      'every member to hold every acknowledged write',
      async () => {
        const views = await Promise.all(stubs.map((s) => localAcks(s)));
        return views.every((v) => [...acked].every(([k, val]) => v.get(k) === val));
      },
      15_000,
    );

    const ops = history.history();
    const completed = ops.filter((o) => o.return !== Infinity).length;
    console.log(
      `${name} seed ${seed}: ${completed} completed, ${ops.length - completed} unknown, ${failures} failed; ${acked.size} acknowledged unique puts; errors:`,
      Object.fromEntries(errs),
    );
    expect(acked.size).toBeGreaterThan(20);
    const result = checkLinearizable(kvModel, ops, { timeoutMs: 20_000 });
    if (!result.ok) throw new Error(`not linearizable (seed ${seed}): ${result.explanation ?? ''}`);
    expect(result.timedOut).toBe(false);
  });
}

describe('faults of a 3-member cluster of real processes under load', () => {
  // One cluster per test; whatever a failed one left running is stopped here.
  const state: { cluster?: StoreClusterTarget; stubs: MemberClients[] } = { stubs: [] };
  const teardown = async (): Promise<void> => {
    for (const s of state.stubs) {
      s.kv.close();
      s.maintenance.close();
    }
    state.stubs = [];
    await state.cluster?.stop();
    state.cluster = undefined;
  };
  afterEach(teardown);

  for (const seed of simulationSeeds([7])) {
    it(`SIGKILL of the leader: a new leader, the killed member catches up, no acknowledged write lost, linearizable (seed ${seed})`, async () => {
      await scenario(
        'kubets-store leader SIGKILL under load',
        seed,
        async ({ prng, members, leaderIndex, pause }) => {
          const oldLeader = await leaderIndex();
          await members[oldLeader]!.kill();
          const newLeader = await leaderIndex(oldLeader);
          expect(newLeader).not.toBe(oldLeader);
          await pause(prng.range(300, 700));
          await members[oldLeader]!.start();
          await pause(800);
        },
        state,
      );
    }, 60_000);

    it(`SIGKILL of a follower: the cluster keeps serving, the follower catches up, linearizable (seed ${seed})`, async () => {
      await scenario(
        'kubets-store follower SIGKILL under load',
        seed,
        async ({ prng, members, leaderIndex, pause, ackedCount }) => {
          const leader = await leaderIndex();
          const follower = (leader + 1 + prng.int(2)) % 3;
          await members[follower]!.kill();
          // The two remaining members are a quorum: writes keep being acknowledged.
          const before = ackedCount();
          await waitFor(
            'writes acknowledged without the follower',
            () => ackedCount() > before + 5,
          );
          expect(await leaderIndex(follower)).toBe(leader);
          await pause(prng.range(300, 700));
          await members[follower]!.start();
          await pause(800);
        },
        state,
      );
    }, 60_000);

    it(`partitions: an isolated follower, then an isolated leader, then no quorum anywhere; heals each time, linearizable (seed ${seed})`, async () => {
      await scenario(
        'kubets-store partitions under load',
        seed,
        async ({ prng, leaderIndex, isolate, heal, pause, ackedCount }) => {
          // Minority partition: one follower cut off; the majority keeps committing.
          const leader = await leaderIndex();
          const follower = (leader + 1 + prng.int(2)) % 3;
          isolate([follower]);
          let before = ackedCount();
          await waitFor(
            'writes acknowledged by the majority side',
            () => ackedCount() > before + 5,
          );
          heal();
          await pause(prng.range(400, 800));

          // The leader in the minority: the majority side elects another leader and goes on.
          const oldLeader = await leaderIndex();
          isolate([oldLeader]);
          let newLeader = -1;
          await waitFor('a new leader on the majority side', async () => {
            newLeader = await leaderIndex(oldLeader);
            return newLeader !== oldLeader;
          });
          before = ackedCount();
          await waitFor('writes acknowledged by the new leader', () => ackedCount() > before + 5);
          heal();
          await pause(prng.range(400, 800));

          // Every member alone: no side has a quorum, so nothing is acknowledged.
          await leaderIndex();
          isolate([0, 1, 2]);
          // Requests already past the leader's commit may still finish: let them drain.
          await pause(REQUEST_DEADLINE_MS + 200);
          before = ackedCount();
          await pause(1000);
          expect(ackedCount()).toBe(before);
          heal();
          await leaderIndex();
          await pause(800);
        },
        state,
      );
    }, 90_000);
  }
});
