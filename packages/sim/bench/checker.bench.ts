/**
 * Linearizability checker throughput. Histories are generated once, outside the timed
 * functions, from a simulated linearizable store (see test/support/kv-history.ts).
 * Run: npm run bench -w @kubets/sim
 */
import { bench, describe } from 'vitest';
import { injectStaleRead, linearizableKvHistory } from '../test/support/kv-history.js';
import { kvMapModel, kvModel } from '../src/kv-model.js';
import { checkLinearizable } from '../src/linearizability.js';
import { Prng } from '../src/prng.js';

function mustBe(ok: boolean, result: { ok: boolean; explanation?: string }): void {
  if (result.ok !== ok) throw new Error(`expected ok=${ok}: ${result.explanation ?? ''}`);
}

const prng = new Prng(1);
const medium = linearizableKvHistory(prng, {
  operations: 5000,
  keys: 50,
  clients: 5,
  pendingRate: 0.01,
});
const mediumStale = injectStaleRead(medium, prng);
const large = linearizableKvHistory(prng, {
  operations: 50_000,
  keys: 200,
  clients: 10,
  pendingRate: 0.01,
});
const hotKey = linearizableKvHistory(prng, {
  operations: 2000,
  keys: 1,
  clients: 8,
  pendingRate: 0.01,
});
const small = linearizableKvHistory(prng, { operations: 300, keys: 5, clients: 3 });
if (mediumStale === undefined) throw new Error('no stale read could be planted');

describe('checkLinearizable (kvModel, partitioned by key)', () => {
  bench('5,000 ops, 50 keys, 5 clients: linearizable', () => {
    mustBe(true, checkLinearizable(kvModel, medium));
  });
  bench('5,000 ops, 50 keys, 5 clients: one planted stale read', () => {
    mustBe(false, checkLinearizable(kvModel, mediumStale.history));
  });
  bench('50,000 ops, 200 keys, 10 clients: linearizable', () => {
    mustBe(true, checkLinearizable(kvModel, large));
  });
  bench('2,000 ops on one hot key, 8 clients: linearizable', () => {
    mustBe(true, checkLinearizable(kvModel, hotKey));
  });
});

describe('partitioning vs one search over the whole map', () => {
  bench('300 ops, 5 keys: kvModel (partitioned)', () => {
    mustBe(true, checkLinearizable(kvModel, small));
  });
  bench('300 ops, 5 keys: kvMapModel (unpartitioned)', () => {
    mustBe(true, checkLinearizable(kvMapModel, small));
  });
});
