/**
 * Throughput of the simulated world: how many timers, messages and disk operations a
 * simulation can push per second of wall time.
 * Run: npm run bench -w @kubets/sim
 */
import { bench, describe } from 'vitest';
import { VirtualClock } from '../src/clock.js';
import { SimDisk } from '../src/disk.js';
import { SimNetwork } from '../src/network.js';
import { Prng } from '../src/prng.js';

describe('simulation primitives', () => {
  bench('Prng: 100,000 uint32 draws', () => {
    const p = new Prng(1);
    for (let i = 0; i < 100_000; i++) p.uint32();
  });

  bench('VirtualClock: 100,000 timers scheduled and fired', () => {
    const clock = new VirtualClock();
    const p = new Prng(2);
    for (let i = 0; i < 100_000; i++) clock.setTimeout(() => undefined, p.int(1000));
    clock.runUntilIdle(100_000);
  });

  bench('SimNetwork: 50,000 messages among 5 nodes with loss and duplication', () => {
    const clock = new VirtualClock();
    const net = new SimNetwork<number>({
      clock,
      prng: new Prng(3),
      defaultLink: { lossRate: 0.05, duplicateRate: 0.05 },
    });
    for (let n = 0; n < 5; n++) net.register(n, () => undefined);
    for (let i = 0; i < 50_000; i++) net.send(i % 5, (i + 1) % 5, i);
    clock.runUntilIdle(200_000);
  });

  bench('SimDisk: 20,000 appends of 100 bytes, sync every 10, one crash', () => {
    const disk = new SimDisk({ prng: new Prng(4), tornWrites: true });
    const record = new Uint8Array(100);
    for (let i = 0; i < 20_000; i++) {
      disk.append('wal', record);
      if (i % 10 === 9) disk.sync('wal');
    }
    disk.crash();
  });
});
