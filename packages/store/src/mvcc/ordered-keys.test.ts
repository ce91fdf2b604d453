import type { Prng } from '@kubets/sim';
import { runSimulation, simulationSeeds } from '@kubets/sim';
import { describe, expect, it } from 'vitest';
import { OrderedKeys } from './ordered-keys.js';

describe('OrderedKeys', () => {
  it('matches a sorted array under random inserts, deletes and range scans', () => {
    for (const seed of simulationSeeds([1, 2, 3])) {
      runSimulation('ordered keys model', seed, (prng: Prng) => {
        const keys = new OrderedKeys();
        const model = new Set<string>();
        // Small alphabet, long runs: exercises chunk splits (512) and merges.
        const randomKey = () =>
          Array.from({ length: prng.range(1, 4) }, () =>
            String.fromCharCode(prng.range(0, 255)),
          ).join('');
        for (let step = 0; step < 6000; step++) {
          const k = randomKey();
          if (prng.chance(0.65)) {
            const fresh = !model.has(k);
            model.add(k);
            if (keys.insert(k) !== fresh)
              throw new Error(`insert(${JSON.stringify(k)}) disagrees at step ${step}`);
          } else if (keys.delete(k) !== model.delete(k)) {
            throw new Error(`delete(${JSON.stringify(k)}) disagrees at step ${step}`);
          }
          if (step % 500 === 0) {
            const sorted = [...model].sort();
            expect([...keys.keys()]).toEqual(sorted);
            const a = randomKey();
            const b = randomKey();
            const [lo, hi] = a < b ? [a, b] : [b, a];
            const want = sorted.filter((x) => x >= lo && x < hi);
            expect([...keys.range(lo, hi)]).toEqual(want);
            expect([...keys.rangeReverse(lo, hi)]).toEqual([...want].reverse());
            expect([...keys.range(lo)]).toEqual(sorted.filter((x) => x >= lo));
            expect([...keys.rangeReverse(lo)]).toEqual(sorted.filter((x) => x >= lo).reverse());
          }
          if (keys.size !== model.size || keys.has(k) !== model.has(k)) {
            throw new Error(`size or membership disagrees at step ${step}`);
          }
        }
      });
    }
  });

  it('orders latin1 strings like bytes', () => {
    const keys = new OrderedKeys();
    for (const b of [[0xff], [0x00], [0x7f, 0x01], [0x80], [0x00, 0x00]])
      keys.insert(Buffer.from(b).toString('latin1'));
    expect([...keys.keys()].map((k) => [...Buffer.from(k, 'latin1')])).toEqual([
      [0x00],
      [0x00, 0x00],
      [0x7f, 0x01],
      [0x80],
      [0xff],
    ]);
  });
});
