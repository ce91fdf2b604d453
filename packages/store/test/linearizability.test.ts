/**
 * Concurrent clients against a three-member cluster while members (often the leader) are stopped
 * and restarted; the recorded history must be linearizable (@kubets/sim's checker, key-value
 * model with compare-and-swap). The seed picks operations, members and fault times.
 */
import {
  HistoryRecorder,
  checkLinearizable,
  kvModel,
  runSimulation,
  simulationSeeds,
  type KvInput,
  type KvOutput,
  type Prng,
} from '@kubets/sim';
import { describe, expect, it } from 'vitest';
import type { EtcdServer } from '../src/server/etcd-server.js';
import { startCluster, type TestCluster } from './support/cluster.js';
import { deleteReq, get, put, txnReq } from './support/requests.js';

async function perform(etcd: EtcdServer, input: KvInput): Promise<KvOutput> {
  const key = Buffer.from(input.key);
  switch (input.op) {
    case 'get': {
      const r = await etcd.range(get(input.key));
      const kv = r.kvs?.[0];
      return { value: kv ? (kv.value as Buffer).toString() : null };
    }
    case 'put':
      await etcd.put(put(input.key, input.value));
      return {};
    case 'delete': {
      const r = await etcd.deleteRange(deleteReq({ key }));
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
      const r = await etcd.txn(
        txnReq({
          compare: [compare],
          success: [{ request_put: { key, value: Buffer.from(input.value) } }],
        }),
      );
      return { ok: r.succeeded === true };
    }
  }
}

function randomInput(prng: Prng, seq: number): KvInput {
  const key = prng.pick(['x', 'y', 'z']);
  const value = `v${seq}`;
  const r = prng.next();
  if (r < 0.4) return { op: 'get', key };
  if (r < 0.65) return { op: 'put', key, value };
  if (r < 0.75) return { op: 'delete', key };
  return {
    op: 'cas',
    key,
    expected: prng.chance(0.3) ? null : `v${prng.int(Math.max(1, seq))}`,
    value,
  };
}

describe('linearizability under member restarts', () => {
  for (const seed of simulationSeeds([101])) {
    it(`keeps the key-value history linearizable (seed ${seed})`, async () => {
      await runSimulation('kubets-store linearizability', seed, async (prng) => {
        const cluster: TestCluster = await startCluster(3);
        const t0 = performance.now();
        const history = new HistoryRecorder<KvInput, KvOutput>(() => performance.now() - t0);
        let seq = 0;
        let running = true;
        try {
          await cluster.waitForLeader();
          const clients = Array.from({ length: 5 }, async (_, clientId) => {
            const clientPrng = prng.fork(`client${clientId}`);
            while (running) {
              const live = cluster.members.filter((m) => m.etcd);
              if (live.length === 0) {
                await new Promise((r) => setTimeout(r, 10));
                continue;
              }
              const member = clientPrng.pick(live);
              const input = randomInput(clientPrng, ++seq);
              const h = history.invoke(clientId, input);
              try {
                history.complete(h, await perform(member.etcd!, input));
              } catch (err) {
                const msg = (err as Error).message;
                // Refused before reaching the log: certainly no effect. Anything else (timeout,
                // member stopped mid-request) may or may not have happened: left pending.
                if (msg === 'etcdserver: no leader' || input.op === 'get') history.discard(h);
                await new Promise((r) => setTimeout(r, 5));
              }
            }
          });
          const faults = (async () => {
            for (let round = 0; round < 3; round++) {
              await new Promise((r) => setTimeout(r, prng.range(300, 700)));
              const victim = prng.chance(0.6)
                ? (cluster.leader() ?? prng.pick(cluster.members))
                : prng.pick(cluster.members);
              await victim.stop();
              await new Promise((r) => setTimeout(r, prng.range(200, 600)));
              await victim.start();
            }
            await new Promise((r) => setTimeout(r, 300));
            running = false;
          })();
          await faults;
          await Promise.all(clients);
        } finally {
          running = false;
          await cluster.destroy();
        }
        const ops = history.history();
        const completed = ops.filter((o) => o.return !== Infinity).length;
        console.log(
          `seed ${seed}: ${completed} completed and ${ops.length - completed} unknown operations`,
        );
        expect(completed).toBeGreaterThan(50);
        const result = checkLinearizable(kvModel, ops, { timeoutMs: 20_000 });
        if (!result.ok) throw new Error(`not linearizable: ${result.explanation ?? ''}`);
        expect(result.timedOut).toBe(false);
      });
    }, 60_000);
  }
});
