import { describe, expect, it } from 'vitest';
import { Prng } from '@kubets/sim';
import { FakeClock, flushAsync } from '../testing/fake-clock.js';
import { sleep } from '../util/clock.js';
import { DelayingQueue } from './delaying-queue.js';
import { WorkQueue } from './queue.js';

describe('WorkQueue', () => {
  it('deduplicates an item queued several times before it is processed', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(2);
    expect((await q.get()).item).toBe('a');
    expect((await q.get()).item).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('processes an item added during processing again after done, never concurrently', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const first = await q.get();
    expect(first.item).toBe('a');
    q.add('a'); // while processing
    expect(q.len()).toBe(0); // not handed out while being processed
    let second: string | undefined;
    void q.get().then((r) => (second = r.item));
    await flushAsync();
    expect(second).toBeUndefined();
    q.done('a');
    await flushAsync();
    expect(second).toBe('a');
    q.done('a');
    expect(q.processingCount()).toBe(0);
  });

  it('hands items to waiting workers in FIFO order', async () => {
    const q = new WorkQueue<number>();
    const got: number[] = [];
    const w1 = q.get().then((r) => got.push(r.item!));
    const w2 = q.get().then((r) => got.push(r.item!));
    q.add(1);
    q.add(2);
    await Promise.all([w1, w2]);
    expect(got).toEqual([1, 2]);
  });

  it('shutDown: ignores new adds, still hands out queued items, then reports shutdown', async () => {
    const q = new WorkQueue<string>();
    const waiting = q.get();
    q.add('x');
    expect((await waiting).item).toBe('x');
    q.add('y');
    q.shutDown();
    q.add('z');
    expect(q.shuttingDown()).toBe(true);
    expect(await q.get()).toEqual({ item: 'y', shutdown: false });
    expect(await q.get()).toEqual({ item: undefined, shutdown: true });
    const blocked = new WorkQueue<string>();
    const pending = blocked.get();
    blocked.shutDown();
    expect(await pending).toEqual({ item: undefined, shutdown: true });
  });

  it('shutDownWithDrain waits until every item handed out is done', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    q.add('b');
    const a = await q.get();
    const b = await q.get();
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    await flushAsync();
    expect(drained).toBe(false);
    q.done(a.item!);
    await flushAsync();
    expect(drained).toBe(false);
    q.done(b.item!);
    await drain;
    expect(drained).toBe(true);
  });

  it('a plain shutDown ends a drain early', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    await q.get();
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => (drained = true));
    await flushAsync();
    expect(drained).toBe(false);
    q.shutDown();
    await drain;
    expect(drained).toBe(true);
  });

  it('property: with concurrent workers, no key is processed twice at once and every add after a processing start is processed later', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const prng = new Prng(seed);
      const clock = new FakeClock();
      const q = new WorkQueue<string>({ clock });
      const keys = ['a', 'b', 'c', 'd'];
      const inFlight = new Set<string>();
      /** Per key: was it added after its last processing began (so another run is owed)? */
      const owed = new Map<string, boolean>();
      let violations = '';
      let processed = 0;
      const worker = async (): Promise<void> => {
        for (;;) {
          const { item, shutdown } = await q.get();
          if (shutdown) return;
          if (inFlight.has(item)) violations += `seed ${seed}: ${item} processed concurrently\n`;
          inFlight.add(item);
          owed.set(item, false);
          processed++;
          // Simulated work of random length, during which adds may happen.
          await sleep(clock, prng.int(5), undefined);
          inFlight.delete(item);
          q.done(item);
        }
      };
      const workers = [worker(), worker(), worker()];
      for (let step = 0; step < 300; step++) {
        const k = prng.pick(keys);
        q.add(k);
        owed.set(k, true);
        if (prng.chance(0.5)) await clock.advance(prng.int(3));
      }
      await clock.runUntil(() => q.len() === 0 && q.processingCount() === 0, 10_000);
      for (const [k, isOwed] of owed) {
        if (isOwed) violations += `seed ${seed}: ${k} added but never processed afterwards\n`;
      }
      await q.shutDownWithDrain();
      await Promise.all(workers);
      expect(violations, `seed ${seed}`).toBe('');
      expect(processed).toBeGreaterThan(10);
      expect(processed).toBeLessThan(300);
    }
  });
});

describe('DelayingQueue', () => {
  it('adds items after their delay, in ready order, and keeps the earlier of two ready times', async () => {
    const clock = new FakeClock();
    const q = new DelayingQueue<string>({ clock });
    q.addAfter('slow', 100);
    q.addAfter('fast', 10);
    q.addAfter('slow', 50); // earlier: wins
    q.addAfter('fast', 500); // later: ignored
    q.addAfter('now', 0);
    expect(q.len()).toBe(1);
    await clock.advance(9);
    expect(q.len()).toBe(1);
    await clock.advance(1);
    expect(q.len()).toBe(2);
    await clock.advance(40);
    expect(q.len()).toBe(3);
    expect(q.waitingCount()).toBe(0);
    const order = [(await q.get()).item, (await q.get()).item, (await q.get()).item];
    expect(order).toEqual(['now', 'fast', 'slow']);
    await clock.advance(1000);
    expect(q.len()).toBe(0);
  });

  it('drops waiting items on shutdown', async () => {
    const clock = new FakeClock();
    const q = new DelayingQueue<string>({ clock });
    q.addAfter('a', 10);
    q.shutDown();
    await clock.advance(20);
    expect(q.len()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});
