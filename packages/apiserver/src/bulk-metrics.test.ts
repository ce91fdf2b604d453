/**
 * The bulk collectors expose exactly what prom-client's own counter and histogram would for the
 * same observations (cumulative buckets, +Inf, _sum, _count), so dashboards see no difference.
 */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BulkHistogram } from './bulk-metrics.js';

const labels = { group: '', version: 'v1', resource: 'pods' };

describe('bulk metrics', () => {
  it('a histogram fed tallies equals prom-client fed every observation', async () => {
    const bulkRegistry = new Registry();
    const plainRegistry = new Registry();
    const buckets = [1024, 2048, 4096];
    const bulk = new BulkHistogram(
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
    const bulk = new BulkHistogram('lat', 'Latency', names, buckets, bulkRegistry);
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
    bulk.observer(sets[0]!).observe(0.01);
    plain.observe(sets[0]!, 0.01);
    expect(await bulkRegistry.metrics()).toBe(await plainRegistry.metrics());
    expect(() => handles[0]!.observe(Number.NaN)).toThrow(TypeError);
  });
});
