import { describe, expect, it } from 'vitest';
import { hotCount, hotObserver } from './hot-metrics.js';
import { ComponentMetrics } from './metrics.js';

describe('hotCount', () => {
  it('folds plain additions into the counter at scrape time, one count per label set', async () => {
    const metrics = new ComponentMetrics({
      component: 'test',
      version: '0.0.0',
      defaultMetrics: false,
    });
    const counter = metrics.counter({
      name: 'events_total',
      help: 'Events',
      labelNames: ['resource'],
    });
    const pods = hotCount(counter, { resource: 'pods' });
    pods.add(5);
    pods.add();
    expect(hotCount(counter, { resource: 'pods' })).toBe(pods);
    hotCount(counter, { resource: 'nodes' }).add(2);
    const first = await metrics.scrape();
    expect(first).toContain('events_total{resource="pods"} 6');
    expect(first).toContain('events_total{resource="nodes"} 2');
    pods.add(1);
    expect(await metrics.scrape()).toContain('events_total{resource="pods"} 7');
  });
});

describe('hotObserver', () => {
  const metrics = (): ComponentMetrics =>
    new ComponentMetrics({ component: 'test', version: '0.0.0', defaultMetrics: false });

  it('gives a scrape the same exposition as observing each value at once', async () => {
    const direct = metrics();
    const hot = metrics();
    const def = { name: 'op_seconds', help: 'Op', buckets: [0.001, 0.01, 0.1] };
    const plain = direct.histogram(def);
    const observer = hotObserver(hot.histogram(def));
    // More than one batch, values on and between the bounds.
    for (let i = 0; i < 700; i++) {
      const v = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.2][i % 6]!;
      plain.observe(v);
      observer.observe(v);
    }
    expect(await hot.scrape()).toBe(await direct.scrape());
    plain.observe(0.02);
    observer.observe(0.02);
    expect(await hot.scrape()).toBe(await direct.scrape());
  });

  it('keeps label sets apart and fails a non-finite value at once', async () => {
    const m = metrics();
    const h = m.histogram({ name: 'rtt_seconds', help: 'RTT', labelNames: ['To'], buckets: [1] });
    const a = hotObserver(h, { To: 'a' });
    expect(hotObserver(h, { To: 'a' })).toBe(a);
    a.observe(0.5);
    hotObserver(h, { To: 'b' }).observe(2);
    const text = await m.scrape();
    expect(text).toContain('rtt_seconds_bucket{le="1",To="a"} 1');
    expect(text).toContain('rtt_seconds_bucket{le="1",To="b"} 0');
    expect(text).toContain('rtt_seconds_count{To="b"} 1');
    expect(() => a.observe(Number.NaN)).toThrow(TypeError);
  });
});
