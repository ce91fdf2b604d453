import { describe, expect, it } from 'vitest';
import { hotCount } from './hot-metrics.js';
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
