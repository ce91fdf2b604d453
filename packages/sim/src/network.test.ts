import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import type { LinkConfig, NetworkEvent, NodeId } from './network.js';
import { SimNetwork } from './network.js';
import { Prng } from './prng.js';

interface Received {
  at: number;
  from: NodeId;
  to: NodeId;
  msg: number;
}

function setup(seed: number, defaultLink?: Partial<LinkConfig>, nodes: NodeId[] = ['a', 'b', 'c']) {
  const clock = new VirtualClock();
  const net = new SimNetwork<number>({ clock, prng: new Prng(seed), defaultLink });
  const received: Received[] = [];
  for (const node of nodes) {
    net.register(node, (from, msg) => received.push({ at: clock.now(), from, to: node, msg }));
  }
  return { clock, net, received };
}

describe('SimNetwork', () => {
  it('delivers each message once within [minDelay, maxDelay] by default', () => {
    const { clock, net, received } = setup(1, { minDelayMs: 3, maxDelayMs: 9 });
    for (let i = 0; i < 500; i++) net.send('a', 'b', i);
    expect(received).toEqual([]); // nothing arrives before time moves
    clock.advance(2);
    expect(received).toEqual([]);
    clock.advance(7);
    expect(received).toHaveLength(500);
    const delays = new Set(received.map((r) => r.at));
    expect(Math.min(...delays)).toBe(3);
    expect(Math.max(...delays)).toBe(9);
    expect(delays.size).toBe(7); // every delay in the range occurs
    expect(new Set(received.map((r) => r.msg)).size).toBe(500);
    expect(net.stats).toEqual({ sent: 500, delivered: 500, dropped: 0, duplicated: 0 });
  });

  it('keeps FIFO order with a fixed delay and reorders with varied delays', () => {
    const fixed = setup(2, { minDelayMs: 5, maxDelayMs: 5 });
    for (let i = 0; i < 100; i++) fixed.net.send('a', 'b', i);
    fixed.clock.advance(5);
    expect(fixed.received.map((r) => r.msg)).toEqual(Array.from({ length: 100 }, (_, i) => i));

    const varied = setup(2, { minDelayMs: 1, maxDelayMs: 20 });
    for (let i = 0; i < 100; i++) {
      varied.net.send('a', 'b', i);
      varied.clock.advance(1); // even with sends spread over time
    }
    varied.clock.advance(20);
    const order = varied.received.map((r) => r.msg);
    expect(order).toHaveLength(100);
    const inversions = order.filter((m, i) => i > 0 && m < order[i - 1]!).length;
    expect(inversions).toBeGreaterThan(10);
  });

  it('drops and duplicates at roughly the configured rates', () => {
    const { clock, net, received } = setup(3, { lossRate: 0.2, duplicateRate: 0.1 });
    const n = 20_000;
    for (let i = 0; i < n; i++) net.send('a', 'b', i);
    clock.advance(10);
    expect(net.stats.dropped / n).toBeGreaterThan(0.18);
    expect(net.stats.dropped / n).toBeLessThan(0.22);
    // Duplication is decided for messages that survive loss: about 0.8 * 0.1 of all sends.
    expect(net.stats.duplicated / n).toBeGreaterThan(0.07);
    expect(net.stats.duplicated / n).toBeLessThan(0.09);
    expect(received).toHaveLength(net.stats.delivered);
    expect(net.stats.delivered + net.stats.dropped).toBe(n + net.stats.duplicated);
    const copies = new Map<number, number>();
    for (const r of received) copies.set(r.msg, (copies.get(r.msg) ?? 0) + 1);
    expect(Math.max(...copies.values())).toBe(2);
    expect([...copies.values()].filter((c) => c === 2)).toHaveLength(net.stats.duplicated);
  });

  it('per-link configs apply to one direction only and merge over the default', () => {
    const { clock, net, received } = setup(4, { minDelayMs: 1, maxDelayMs: 1 });
    net.setLink('a', 'b', { lossRate: 1 });
    net.setLink('a', 'b', { minDelayMs: 50, maxDelayMs: 50 }); // merges: loss stays 1
    expect(net.link('a', 'b')).toEqual({
      minDelayMs: 50,
      maxDelayMs: 50,
      lossRate: 1,
      duplicateRate: 0,
    });
    net.send('a', 'b', 1);
    net.send('b', 'a', 2);
    clock.advance(100);
    expect(received.map((r) => r.msg)).toEqual([2]);
    net.clearLink('a', 'b');
    net.send('a', 'b', 3);
    clock.advance(1);
    expect(received.map((r) => r.msg)).toEqual([2, 3]);
  });

  it('partition blocks exactly the cross-group pairs, both ways; unlisted nodes are unaffected', () => {
    const { clock, net, received } = setup(5, { minDelayMs: 1, maxDelayMs: 1 }, [
      1,
      2,
      3,
      4,
      'client',
    ]);
    net.partition([1, 2], [3, 4]);
    const nodes: NodeId[] = [1, 2, 3, 4, 'client'];
    for (const from of nodes) for (const to of nodes) if (from !== to) net.send(from, to, 0);
    clock.advance(1);
    const delivered = new Set(received.map((r) => `${r.from}->${r.to}`));
    const sameSide = (x: NodeId, y: NodeId) =>
      x === 'client' || y === 'client' || Number(x) <= 2 === Number(y) <= 2;
    for (const from of nodes) {
      for (const to of nodes) {
        if (from === to) continue;
        expect(delivered.has(`${from}->${to}`)).toBe(sameSide(from, to));
        expect(net.canDeliver(from, to)).toBe(sameSide(from, to));
      }
    }
    expect(net.stats.dropped).toBe(8);
  });

  it('isolate cuts a node off from everyone, including nodes registered later', () => {
    const { clock, net, received } = setup(6, { minDelayMs: 1, maxDelayMs: 1 });
    net.isolate('a');
    net.register('d', (from, msg) => received.push({ at: clock.now(), from, to: 'd', msg }));
    for (const other of ['b', 'c', 'd']) {
      net.send('a', other, 1);
      net.send(other, 'a', 2);
    }
    net.send('b', 'c', 3);
    net.send('a', 'a', 4); // a node can always reach itself
    clock.advance(1);
    expect(received.map((r) => `${r.from}->${r.to}:${r.msg}`)).toEqual(['b->c:3', 'a->a:4']);
  });

  it('cut is one-way (asymmetric partition)', () => {
    const { clock, net, received } = setup(7, { minDelayMs: 1, maxDelayMs: 1 });
    net.cut('a', 'b');
    net.send('a', 'b', 1);
    net.send('b', 'a', 2);
    net.send('a', 'c', 3);
    clock.advance(1);
    expect(received.map((r) => r.msg)).toEqual([2, 3]);
    expect(net.canDeliver('a', 'b')).toBe(false);
    expect(net.canDeliver('b', 'a')).toBe(true);
  });

  it('a partition also drops messages already in flight; heal restores delivery', () => {
    const { clock, net, received } = setup(8, { minDelayMs: 10, maxDelayMs: 10 });
    net.send('a', 'b', 1);
    clock.advance(5);
    net.partition(['a'], ['b', 'c']);
    clock.advance(10);
    expect(received).toEqual([]);
    net.heal();
    expect(net.canDeliver('a', 'b')).toBe(true);
    net.send('a', 'b', 2);
    net.cut('c', 'b');
    net.isolate('c');
    net.heal();
    net.send('c', 'b', 3);
    clock.advance(10);
    expect(received.map((r) => r.msg)).toEqual([2, 3]);
  });

  it('heal keeps link configs', () => {
    const { clock, net, received } = setup(9, { minDelayMs: 1, maxDelayMs: 1 });
    net.setLink('a', 'b', { lossRate: 1 });
    net.partition(['a'], ['b']);
    net.heal();
    net.send('a', 'b', 1);
    clock.advance(5);
    expect(received).toEqual([]);
    expect(net.link('a', 'b').lossRate).toBe(1);
  });

  it('drops messages to unregistered nodes, and in-flight messages to a crashed incarnation', () => {
    const { clock, net, received } = setup(10, { minDelayMs: 10, maxDelayMs: 10 });
    net.send('a', 'nobody', 1);
    net.send('a', 'b', 2);
    clock.advance(5);
    net.unregister('b'); // crash
    net.register('b', (from, msg) => received.push({ at: clock.now(), from, to: 'b', msg })); // restart
    clock.advance(5);
    expect(received).toEqual([]);
    net.send('a', 'b', 3); // to the new incarnation
    clock.advance(10);
    expect(received.map((r) => r.msg)).toEqual([3]);
    expect(net.stats.dropped).toBe(2);
    expect(() => net.register('b', () => undefined)).toThrow(/already registered/);
  });

  it('keeps numeric and string node ids apart', () => {
    const { clock, net, received } = setup(11, { minDelayMs: 1, maxDelayMs: 1 }, [1, '1']);
    net.cut(1, '1');
    net.send(1, '1', 1);
    net.send('1', 1, 2);
    clock.advance(1);
    expect(received.map((r) => r.msg)).toEqual([2]);
  });

  it('is deterministic: the same seed gives the same trace, another seed a different one', () => {
    const trace = (seed: number): string[] => {
      const clock = new VirtualClock();
      const events: string[] = [];
      const net = new SimNetwork<number>({
        clock,
        prng: new Prng(seed),
        defaultLink: { minDelayMs: 1, maxDelayMs: 30, lossRate: 0.1, duplicateRate: 0.1 },
        onEvent: (e: NetworkEvent<number>) =>
          events.push(
            `${e.at} ${e.type} ${e.from}->${e.to} ${e.msg}${e.type === 'drop' ? ` ${e.reason}` : ''}`,
          ),
      });
      const nodes = [0, 1, 2, 3, 4];
      // Each node forwards what it receives to a neighbour a few times.
      for (const node of nodes) {
        net.register(node, (_from, msg) => {
          if (msg < 60) net.send(node, (node + 1 + (msg % 3)) % 5, msg + 1);
        });
      }
      for (const node of nodes) for (let k = 0; k < 20; k++) net.send(node, (node + 2) % 5, k);
      clock.advance(40);
      net.partition([0, 1], [2, 3, 4]);
      clock.advance(40);
      net.heal();
      clock.runUntilIdle(100_000);
      return events;
    };
    const first = trace(123);
    expect(first.length).toBeGreaterThan(100);
    expect(first.some((e) => e.includes('drop') && e.includes('partitioned'))).toBe(true);
    expect(trace(123)).toEqual(first);
    expect(trace(124)).not.toEqual(first);
  });

  it('rejects invalid link configs with specific errors', () => {
    const clock = new VirtualClock();
    const prng = new Prng(1);
    expect(
      () => new SimNetwork({ clock, prng, defaultLink: { minDelayMs: 5, maxDelayMs: 2 } }),
    ).toThrow(/maxDelayMs must be an integer >= minDelayMs/);
    const net = new SimNetwork<number>({ clock, prng });
    expect(() => net.setLink('a', 'b', { lossRate: 2 })).toThrow(/lossRate must be in \[0, 1\]/);
    expect(() => net.setLink('a', 'b', { minDelayMs: -1 })).toThrow(/minDelayMs/);
    expect(() => net.setLink('a', 'b', { minDelayMs: 20 })).toThrow(/"a" -> "b"/);
    net.setLink('a', 'b', { minDelayMs: 8 });
    expect(() => net.setDefaultLink({ maxDelayMs: 5 })).toThrow(/with the new default/);
    expect(() => net.partition(['a', 'b'], ['b'])).toThrow(/in two groups/);
  });
});
