/**
 * CPU of the API server's etcd client per unary call, the transport alone (no registry, no
 * HTTP): `tsc -p bench/tsconfig.json && node .bench/bench/etcd-call-cpu.js`. Starts one real etcd
 * (/dev/shm) and measures this process's CPU (process.cpuUsage) per call for a small Range and a
 * small create Txn (the write every create makes), with ETCD_CALL_CONCURRENCY (50) calls in
 * flight and with one at a time, ETCD_CALL_OPS (10000) calls per round, ETCD_CALL_ROUNDS (3)
 * rounds (the minimum is reported: the figure least disturbed by other processes).
 *
 * ETCD_CALL_CLIENT=<path of another build's compiled storage/etcd/etcd-client.js> measures that
 * build's client under the same driver (A/B against main: main's
 * `.bench/src/storage/etcd/etcd-client.js` after building main's bench).
 */
import { startEtcd } from '../test/helpers/etcd.js';
import type { EtcdClient } from '../src/storage/etcd/etcd-client.js';

const OPS = Number(process.env.ETCD_CALL_OPS ?? 10_000);
const CONCURRENCY = Number(process.env.ETCD_CALL_CONCURRENCY ?? 50);
const ROUNDS = Number(process.env.ETCD_CALL_ROUNDS ?? 3);
const CLIENT = process.env.ETCD_CALL_CLIENT ?? '../src/storage/etcd/etcd-client.js';

/** CPU µs per call of `ops` calls of `fn`, `concurrency` in flight. */
async function measure(
  ops: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) await fn(next++);
    }),
  );
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / ops;
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const mod = (await import(CLIENT)) as { EtcdClient: typeof EtcdClient };
  const client = new mod.EtcdClient({ endpoints: etcd.endpoint });
  try {
    const value = Buffer.alloc(600, 0x61); // about a small pod's stored size
    await client.put({ key: Buffer.from('/bench/range'), value });
    let created = 0;
    const range = (): Promise<unknown> => client.range({ key: Buffer.from('/bench/range') });
    const create = (): Promise<unknown> => {
      const key = Buffer.from(`/bench/create/${created++}`);
      return client.txn({
        compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: '0' }],
        success: [{ request_put: { key, value } }],
        failure: [],
      });
    };
    // Warm-up: the JIT and the connection.
    await measure(OPS, CONCURRENCY, range);
    await measure(OPS / 2, CONCURRENCY, create);
    const rows: Array<[string, number, (i: number) => Promise<unknown>]> = [
      [`range, ${CONCURRENCY} in flight`, CONCURRENCY, range],
      ['range, one at a time', 1, range],
      [`create txn, ${CONCURRENCY} in flight`, CONCURRENCY, create],
      ['create txn, one at a time', 1, create],
    ];
    for (const [name, concurrency, fn] of rows) {
      const rounds: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        rounds.push(await measure(concurrency === 1 ? OPS / 5 : OPS, concurrency, fn));
      }
      console.log(
        `${name.padEnd(28)} ${Math.min(...rounds).toFixed(1)} µs CPU per call (rounds: ${rounds
          .map((r) => r.toFixed(1))
          .join(', ')})`,
      );
    }
  } finally {
    client.close();
    await etcd.stop();
  }
}

await main();
