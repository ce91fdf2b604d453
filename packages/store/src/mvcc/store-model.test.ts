import type { Prng } from '@kubets/sim';
import { runSimulation, simulationSeeds } from '@kubets/sim';
import { describe, expect, it } from 'vitest';
import { MvccError } from './errors.js';
import { keyString } from './kv.js';
import { MvccStore } from './store.js';

/**
 * The MVCC store against a naive model: every revision's full key -> value map. Random puts,
 * deletes (single and ranges), multi-op transactions and compactions; reads at random past
 * revisions must match the model (or fail with ErrCompacted exactly below the compaction).
 */
describe('MvccStore against a naive model', () => {
  it('agrees on every read at every retained revision', () => {
    for (const seed of simulationSeeds([7, 8, 9])) {
      runSimulation('mvcc model', seed, (prng: Prng) => {
        const store = new MvccStore();
        const snapshots = new Map<number, Map<string, string>>([[1, new Map()]]);
        let current = new Map<string, string>();
        const keys = Array.from({ length: 12 }, (_, i) => `k${i.toString().padStart(2, '0')}`);
        for (let step = 0; step < 400; step++) {
          const roll = prng.next();
          if (roll < 0.85) {
            const txn = store.write();
            const next = new Map(current);
            for (let n = prng.range(1, 3); n > 0; n--) {
              const key = prng.pick(keys);
              if (prng.chance(0.75)) {
                const v = `v${step}-${n}`;
                txn.put(Buffer.from(key), Buffer.from(v), 0n);
                next.set(key, v);
              } else {
                const a = prng.pick(keys);
                const b = prng.pick(keys);
                const [lo, hi] = a < b ? [a, b] : [b, a];
                txn.deleteRange({ key: lo, end: lo === hi ? undefined : hi });
                for (const k of [...next.keys()])
                  if (lo === hi ? k === lo : k >= lo && k < hi) next.delete(k);
              }
            }
            const changed = txn.end().length > 0;
            if (changed) {
              current = next;
              snapshots.set(store.rev, current);
            }
          } else if (store.rev > store.compactRev + 1) {
            const rev = prng.range(Math.max(store.compactRev + 1, 1), store.rev);
            store.compact(rev);
          }
          // Read at a random revision.
          const rev = prng.range(1, store.rev);
          const modelAt = (r: number): Map<string, string> => {
            for (let x = r; x >= 1; x--) {
              const m = snapshots.get(x);
              if (m) return m;
            }
            return new Map();
          };
          if (rev < store.compactRev) {
            expect(() =>
              store.range({ key: keyString(Buffer.from([0])), end: '' }, { rev }),
            ).toThrow(MvccError);
          } else {
            const got = store.range({ key: keyString(Buffer.from([0])), end: '' }, { rev });
            const want = [...modelAt(rev)].sort(([a], [b]) => (a < b ? -1 : 1));
            expect(got.kvs.map((kv) => [kv.key.toString(), kv.value.toString()])).toEqual(want);
            expect(got.count).toBe(want.length);
          }
        }
        expect(store.keyCount).toBe(current.size);
      });
    }
  });
});
