import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { FakeClock } from '../testing/fake-clock.js';
import { workqueueMetricsProvider } from './metrics.js';
import { RateLimitingQueue } from './rate-limiting-queue.js';
import { WorkQueue } from './queue.js';

async function value(registry: Registry, name: string, queue: string): Promise<number | undefined> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => v.labels.name === queue && !('le' in v.labels))?.value;
}

describe('workqueue metrics', () => {
  it('registers the upstream metric names with the name label', async () => {
    const registry = new Registry();
    new WorkQueue<string>({ name: 'q', registry });
    const text = await registry.metrics();
    for (const name of [
      'workqueue_depth',
      'workqueue_adds_total',
      'workqueue_queue_duration_seconds',
      'workqueue_work_duration_seconds',
      'workqueue_retries_total',
      'workqueue_unfinished_work_seconds',
      'workqueue_longest_running_processor_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    // A second queue on the same registry shares the metrics (no double registration).
    new WorkQueue<string>({ name: 'other', registry });
    expect(workqueueMetricsProvider(registry)).toBe(workqueueMetricsProvider(registry));
  });

  it('measures depth, adds, queue latency, work duration, retries and in-progress work', async () => {
    const registry = new Registry();
    const clock = new FakeClock();
    const q = new RateLimitingQueue<string>({ name: 'ctrl', registry, clock });
    q.add('a');
    q.add('a'); // deduplicated: not another add
    q.add('b');
    expect(await value(registry, 'workqueue_depth', 'ctrl')).toBe(2);
    expect(await value(registry, 'workqueue_adds_total', 'ctrl')).toBe(2);
    await clock.advance(2000);
    const { item } = await q.get();
    expect(await value(registry, 'workqueue_depth', 'ctrl')).toBe(1);
    await clock.advance(3000);
    expect(await value(registry, 'workqueue_unfinished_work_seconds', 'ctrl')).toBe(3);
    expect(await value(registry, 'workqueue_longest_running_processor_seconds', 'ctrl')).toBe(3);
    q.done(item!);
    q.addRateLimited('a');
    expect(await value(registry, 'workqueue_retries_total', 'ctrl')).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('workqueue_queue_duration_seconds_sum{name="ctrl"} 2');
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="ctrl"} 1');
    expect(text).toContain('workqueue_work_duration_seconds_sum{name="ctrl"} 3');
    expect(text).toContain('workqueue_queue_duration_seconds_bucket{le="10",name="ctrl"} 1');
    expect(await value(registry, 'workqueue_unfinished_work_seconds', 'ctrl')).toBe(0);
    q.shutDown();
  });

  it('refuses an unnamed queue on a registry', () => {
    expect(() => new WorkQueue<string>({ registry: new Registry() })).toThrow(/needs a name/);
  });
});
