import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { HotHistogram, hotCount, hotObserver } from './hot-metrics.js';
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

describe('HotHistogram observers', () => {
  const metrics = (): ComponentMetrics =>
    new ComponentMetrics({ component: 'test', version: '0.0.0', defaultMetrics: false });

  it('gives a scrape the same exposition as observing each value at once', async () => {
    const direct = metrics();
    const hot = metrics();
    const def = { name: 'op_seconds', help: 'Op', buckets: [0.001, 0.01, 0.1] };
    const plain = direct.histogram(def);
    const observer = hotObserver(hot.hotHistogram(def));
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
    const h = m.hotHistogram({
      name: 'rtt_seconds',
      help: 'RTT',
      labelNames: ['To'],
      buckets: [1],
    });
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

// The exposition is exactly prom-client's own histogram's for the same observations (cumulative
// buckets, +Inf, _sum, _count), so dashboards see no difference.
const labels = { group: '', version: 'v1', resource: 'pods' };

describe('HotHistogram against prom-client', () => {
  it('a histogram fed tallies equals prom-client fed every observation', async () => {
    const bulkRegistry = new Registry();
    const plainRegistry = new Registry();
    const buckets = [1024, 2048, 4096];
    const bulk = new HotHistogram(
      'sizes',
      'Sizes',
      ['group', 'version', 'resource'],
      buckets,
      bulkRegistry,
    );
    const plain = new Histogram({
      name: 'sizes',
      help: 'Sizes',
      labelNames: ['group', 'version', 'resource'],
      buckets,
      registers: [plainRegistry],
    });
    const batch = [100, 1024, 1500, 5000, 3000];
    const tally = bulk.tally(batch);
    const child = bulk.child(labels);
    // One batch written to 3 watchers, once as 3 separate adds and once with times=2 later.
    child.add(tally);
    child.add(tally, 2);
    for (let i = 0; i < 3; i++) for (const v of batch) plain.observe(labels, v);
    expect(await bulkRegistry.metrics()).toBe(await plainRegistry.metrics());
  });

  it('single observations through handles equal prom-client observe, label sets in first-seen order', async () => {
    const bulkRegistry = new Registry();
    const plainRegistry = new Registry();
    const buckets = [0.005, 0.025, 0.1];
    const names = ['name', 'type', 'rejected'];
    const bulk = new HotHistogram('lat', 'Latency', names, buckets, bulkRegistry);
    const plain = new Histogram({
      name: 'lat',
      help: 'Latency',
      labelNames: names,
      buckets,
      registers: [plainRegistry],
    });
    const sets = [
      { name: 'b', type: 'admit', rejected: 'false' },
      { name: 'a', type: 'validate', rejected: 'true' },
    ];
    const handles = sets.map((l) => bulk.observer(l));
    const values = [0, 0.005, 0.0051, 0.1, 7, 0.02];
    values.forEach((v, i) => {
      handles[i % 2]!.observe(v);
      plain.observe(sets[i % 2]!, v);
    });
    // A second handle for the same label set shares its series.
    expect(bulk.observer(sets[0])).toBe(handles[0]);
    bulk.observer(sets[0]).observe(0.01);
    plain.observe(sets[0]!, 0.01);
    expect(await bulkRegistry.metrics()).toBe(await plainRegistry.metrics());
    expect(() => handles[0]!.observe(Number.NaN)).toThrow(TypeError);
  });
});
