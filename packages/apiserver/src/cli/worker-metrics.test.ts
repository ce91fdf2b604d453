import { describe, expect, it } from 'vitest';
import { createMetrics } from '@kubets/component-base';
import { exposition, mergeWorkerMetrics, type MetricJSON } from './worker-metrics.js';
import { workerAuditPath } from './workers.js';

/** A worker's registry with the metrics whose merge differs: a counter, gauges, a histogram. */
async function worker(requests: number, inflight: number, objects: number): Promise<MetricJSON[]> {
  const m = createMetrics({
    component: 'kubets-apiserver',
    version: '0.1.0',
    defaultMetrics: true,
  });
  m.counter({ name: 'apiserver_request_total', help: 'r', labelNames: ['verb'] }).inc(
    { verb: 'GET' },
    requests,
  );
  m.gauge({ name: 'apiserver_current_inflight_requests', help: 'i' }).set(inflight);
  m.gauge({ name: 'apiserver_storage_objects', help: 'o', labelNames: ['resource'] }).set(
    { resource: 'pods' },
    objects,
  );
  m.histogram({ name: 'apiserver_request_duration_seconds', help: 'd', buckets: [0.1, 1] }).observe(
    0.5,
  );
  return (await m.registry.getMetricsAsJSON()) as unknown as MetricJSON[];
}

describe('mergeWorkerMetrics', () => {
  it('sums counters, histograms and per-process gauges; shared gauges are not multiplied', async () => {
    const text = exposition(mergeWorkerMetrics([await worker(3, 2, 100), await worker(4, 5, 101)]));
    expect(text).toContain('apiserver_request_total{verb="GET"} 7\n');
    expect(text).toContain('apiserver_current_inflight_requests 7\n');
    expect(text).toContain('apiserver_storage_objects{resource="pods"} 101\n');
    expect(text).toContain('apiserver_request_duration_seconds_bucket{le="0.1"} 0\n');
    expect(text).toContain('apiserver_request_duration_seconds_bucket{le="1"} 2\n');
    expect(text).toContain('apiserver_request_duration_seconds_bucket{le="+Inf"} 2\n');
    expect(text).toContain('apiserver_request_duration_seconds_count 2\n');
    expect(text.match(/^kubets_build_info\{/gm)).toHaveLength(1);
    // prom-client's own merge modes: the start time has none that makes sense, so it is left out.
    expect(text).not.toContain('process_start_time_seconds');
    expect(text).toContain('# TYPE apiserver_request_total counter\n');
  });

  it('escapes label values and help text', () => {
    const text = exposition(
      mergeWorkerMetrics([
        [
          {
            name: 'x',
            help: 'a\\b\nc',
            type: 'gauge',
            values: [{ value: 1, labels: { l: 'q"\\\n' } }],
          },
        ],
      ]),
    );
    expect(text).toBe('# HELP x a\\\\b\\nc\n# TYPE x gauge\nx{l="q\\"\\\\\\n"} 1\n');
  });
});

describe('workerAuditPath', () => {
  it('gives each worker its own file beside the flag’s', () => {
    const role = { index: 2, count: 2, bootstrap: false };
    expect(workerAuditPath('/var/log/audit.log', role)).toBe('/var/log/audit.worker2.log');
    expect(workerAuditPath('/var/log/audit', role)).toBe('/var/log/audit.worker2');
    expect(workerAuditPath('/var/log.d/.audit', role)).toBe('/var/log.d/.audit.worker2');
    expect(workerAuditPath('-', role)).toBe('-');
    expect(workerAuditPath('/var/log/audit.log', undefined)).toBe('/var/log/audit.log');
  });
});
