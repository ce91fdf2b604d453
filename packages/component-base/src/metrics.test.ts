import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../test/prom-text.js';
import { BUILD_INFO_METRIC, createMetrics, exponentialBuckets, linearBuckets } from './metrics.js';

describe('ComponentMetrics', () => {
  it('keeps each component in its own registry', async () => {
    const a = createMetrics({ component: 'a', version: '1.0.0', defaultMetrics: false });
    const b = createMetrics({ component: 'b', version: '1.0.0', defaultMetrics: false });
    a.counter({ name: 'shared_name_total', help: 'x' }).inc(2);
    b.counter({ name: 'shared_name_total', help: 'x' }).inc(5);
    expect(sampleValue(parseExposition(await a.scrape()), 'shared_name_total')).toBe(2);
    expect(sampleValue(parseExposition(await b.scrape()), 'shared_name_total')).toBe(5);
  });

  it('exports the build info gauge with upstream-style labels', async () => {
    const metrics = createMetrics({
      component: 'kubets-store',
      version: '0.1.0',
      gitCommit: 'abc123',
      defaultMetrics: false,
    });
    const families = parseExposition(await metrics.scrape());
    const family = families.get(BUILD_INFO_METRIC);
    expect(family?.type).toBe('gauge');
    expect(family?.samples).toEqual([
      {
        name: 'kubets_build_info',
        labels: {
          component: 'kubets-store',
          version: '0.1.0',
          git_version: 'v0.1.0',
          git_commit: 'abc123',
          node_version: process.version,
          platform: `${process.platform}/${process.arch}`,
        },
        value: 1,
      },
    ]);
  });

  it('registers process and Node.js default metrics unless disabled', async () => {
    const withDefaults = parseExposition(
      await createMetrics({ component: 'x', version: '1' }).scrape(),
    );
    expect(withDefaults.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(withDefaults.get('process_start_time_seconds')?.type).toBe('gauge');
    expect(withDefaults.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
    const without = parseExposition(
      await createMetrics({ component: 'x', version: '1', defaultMetrics: false }).scrape(),
    );
    expect(without.has('process_cpu_user_seconds_total')).toBe(false);
  });

  it('declares labelled counters, gauges and histograms', async () => {
    const metrics = createMetrics({ component: 'x', version: '1', defaultMetrics: false });
    const requests = metrics.counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests.',
      labelNames: ['verb', 'code'],
    });
    requests.inc({ verb: 'GET', code: '200' }, 3);
    metrics.gauge({ name: 'etcd_server_has_leader', help: 'Whether a leader exists.' }).set(1);
    const latency = metrics.histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency.',
      labelNames: ['result'],
      buckets: exponentialBuckets(0.001, 2, 4),
    });
    latency.observe({ result: 'scheduled' }, 0.003);
    const families = parseExposition(await metrics.scrape());
    expect(sampleValue(families, 'apiserver_request_total', { verb: 'GET', code: '200' })).toBe(3);
    expect(sampleValue(families, 'etcd_server_has_leader')).toBe(1);
    const bucket = (le: string) =>
      sampleValue(families, 'scheduler_scheduling_attempt_duration_seconds_bucket', { le });
    expect([
      bucket('0.001'),
      bucket('0.002'),
      bucket('0.004'),
      bucket('0.008'),
      bucket('+Inf'),
    ]).toEqual([0, 0, 1, 1, 1]);
  });

  it('refuses bad names, missing help, bad buckets and duplicates', () => {
    const metrics = createMetrics({ component: 'x', version: '1', defaultMetrics: false });
    expect(() => metrics.counter({ name: 'bad-name', help: 'x' })).toThrow('invalid metric name');
    expect(() => metrics.gauge({ name: 'ok', help: ' ' })).toThrow('needs help text');
    expect(() => metrics.gauge({ name: 'ok', help: 'x', labelNames: ['__reserved'] })).toThrow(
      'invalid label name',
    );
    expect(() => metrics.histogram({ name: 'h', help: 'x', buckets: [1, 1] })).toThrow(
      'increasing',
    );
    metrics.counter({ name: 'once_total', help: 'x' });
    expect(() => metrics.counter({ name: 'once_total', help: 'x' })).toThrow(
      /already been registered/,
    );
  });
});

describe('bucket helpers', () => {
  it('match Prometheus ExponentialBuckets and LinearBuckets', () => {
    expect(exponentialBuckets(1, 2, 4)).toEqual([1, 2, 4, 8]);
    expect(linearBuckets(0.5, 0.5, 3)).toEqual([0.5, 1, 1.5]);
    expect(() => exponentialBuckets(0, 2, 3)).toThrow(RangeError);
    expect(() => linearBuckets(0, 1, 0)).toThrow(RangeError);
  });
});
