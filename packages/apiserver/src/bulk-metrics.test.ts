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
});
