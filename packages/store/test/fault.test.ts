/**
 * Faults with real processes: a 3-member kubets-store cluster under a modest write load (three
 * concurrent clients for a few seconds) loses its leader to SIGKILL; a new leader must be
 * elected, the killed member restarted on its data must catch up, every acknowledged write must
 * then be on every member, and the recorded client history must be linearizable
 * (@kubets/sim's checker with its key-value model).
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

describe('SIGKILL of the leader of a 3-member cluster under load', () => {
  // One cluster per seed; whatever a failed seed left running is stopped here.
  let cluster: StoreClusterTarget | undefined;
  let stubs: MemberClients[] = [];
  const teardown = async (): Promise<void> => {
    for (const s of stubs) {
      s.kv.close();
      s.maintenance.close();
    }
    stubs = [];
    await cluster?.stop();
    cluster = undefined;
  };
  afterEach(teardown);

  for (const seed of simulationSeeds([7])) {
    it(`elects a new leader, catches the killed member up, loses no acknowledged write, stays linearizable (seed ${seed})`, async () => {
      await runSimulation('kubets-store leader SIGKILL under load', seed, async (prng) => {
        // Etcd's timing halved: the new leader comes sooner, keeping the test short.
        await teardown();
        cluster = await startStoreCluster(3, {
          extraArgs: ['--heartbeat-interval=50', '--election-timeout=500'],
        });
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
        const oldLeader = await leaderIndex();

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
              if (input.op === 'put' && input.key.startsWith('ack/'))
                acked.set(input.key, input.value);
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

        const faults = (async () => {
          await new Promise((r) => setTimeout(r, prng.range(600, 1000)));
          await members[oldLeader]!.kill();
          const newLeader = await leaderIndex(oldLeader);
          expect(newLeader).not.toBe(oldLeader);
          await new Promise((r) => setTimeout(r, prng.range(300, 700)));
          await members[oldLeader]!.start();
          await new Promise((r) => setTimeout(r, 800));
        })();
        try {
          await faults;
        } finally {
          running = false;
          await Promise.all(clients);
        }

        // The restarted member catches up: every acknowledged write is on every member.
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
          `seed ${seed}: ${completed} completed, ${ops.length - completed} unknown, ${failures} failed; ${acked.size} acknowledged unique puts; errors:`,
          Object.fromEntries(errs),
        );
        expect(acked.size).toBeGreaterThan(20);
        const result = checkLinearizable(kvModel, ops, { timeoutMs: 20_000 });
        if (!result.ok)
          throw new Error(`not linearizable (seed ${seed}): ${result.explanation ?? ''}`);
        expect(result.timedOut).toBe(false);
      });
    }, 60_000);
  }
});
