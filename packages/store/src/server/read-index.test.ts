import { describe, expect, it } from 'vitest';
import { ErrNoLeader } from '../apply/errors.js';
import { IdGenerator } from '../lease/id-generator.js';
import { ReadIndexBatcher } from './read-index.js';

/** A batcher whose ReadIndex requests are recorded; timers never fire on their own. */
function batcher(ids: IdGenerator, sent: string[]): ReadIndexBatcher {
  return new ReadIndexBatcher({
    request: (ctx) => sent.push(Buffer.from(ctx).toString('hex')),
    nextContext: () => ids.next(),
    waitApplied: () => Promise.resolve(),
    retryMs: 500,
    noLeader: ErrNoLeader,
    setTimeout: () => undefined,
    clearTimeout: () => undefined,
    now: () => 0,
  });
}

describe('ReadIndexBatcher', () => {
  it('batches reads arriving during a round into the next one, released by their ReadState', async () => {
    const sent: string[] = [];
    const b = batcher(new IdGenerator(1n, 0), sent);
    const first = b.wait();
    const second = b.wait();
    const third = b.wait();
    expect(sent).toHaveLength(1); // second and third wait for the next round
    b.onReadState(5, Buffer.from(sent[0]!, 'hex'));
    await first;
    expect(sent).toHaveLength(2);
    b.onReadState(6, Buffer.from(sent[1]!, 'hex'));
    await Promise.all([second, third]);
    expect(b.pending).toBe(0);
  });

  it('gives two members different request contexts (the leader drops a duplicate one)', () => {
    // Two members started at the same moment, as in a new cluster: their rounds must not
    // collide in the leader's table of pending ReadIndex requests.
    const a: string[] = [];
    const c: string[] = [];
    const ba = batcher(new IdGenerator(0x1111n, 1_000), a);
    const bc = batcher(new IdGenerator(0x2222n, 1_000), c);
    for (let i = 0; i < 5; i++) {
      void ba.wait();
      void bc.wait();
      ba.onReadState(i, Buffer.from(a[a.length - 1]!, 'hex'));
      bc.onReadState(i, Buffer.from(c[c.length - 1]!, 'hex'));
    }
    expect(a.length).toBeGreaterThan(1);
    expect(a.filter((ctx) => c.includes(ctx))).toEqual([]);
    expect(new Set(a).size).toBe(a.length);
  });

  it('asks again after retryMs without an answer, from one timer shared by the rounds', async () => {
    const sent: string[] = [];
    const timers: Array<{ fn: () => void; at: number }> = [];
    let now = 0;
    const b = new ReadIndexBatcher({
      request: (ctx) => sent.push(Buffer.from(ctx).toString('hex')),
      nextContext: (() => {
        let n = 0n;
        return () => ++n;
      })(),
      waitApplied: () => Promise.resolve(),
      retryMs: 500,
      noLeader: ErrNoLeader,
      setTimeout: (fn, ms) => timers.push({ fn, at: now + ms }),
      clearTimeout: () => undefined,
      now: () => now,
    });
    const fire = (): void => {
      const t = timers.shift()!;
      now = Math.max(now, t.at);
      t.fn();
    };
    // Rounds answered in time: one timer armed for all of them.
    for (let i = 0; i < 3; i++) {
      const read = b.wait();
      now += 10;
      b.onReadState(i, Buffer.from(sent[sent.length - 1]!, 'hex'));
      await read;
    }
    expect(sent).toHaveLength(3);
    expect(timers).toHaveLength(1);
    // A round that started 20 ms after the timer was armed: the timer finds it young and
    // re-arms for the rest of its wait instead of asking again early.
    const late = b.wait();
    fire();
    expect(sent).toHaveLength(4);
    expect(timers).toHaveLength(1);
    expect(timers[0]!.at).toBe(30 + 500);
    // Unanswered for retryMs: asked again with a fresh context, which is what releases it.
    fire();
    expect(sent).toHaveLength(5);
    expect(sent[4]).not.toBe(sent[3]);
    b.onReadState(9, Buffer.from(sent[3]!, 'hex')); // the stale answer is ignored
    expect(b.pending).toBe(1);
    b.onReadState(9, Buffer.from(sent[4]!, 'hex'));
    await late;
    expect(b.pending).toBe(0);
    // Nothing in flight when it fires next: it stays disarmed.
    fire();
    expect(timers).toHaveLength(0);
  });
});
