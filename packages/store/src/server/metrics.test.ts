import { describe, expect, it } from 'vitest';
import { ComponentMetrics, hotCount, sampledGauge } from '@kubets/component-base';
import { StoreMetrics } from './metrics.js';

describe('hot counters', () => {
  it('reach the Prometheus counter when it is scraped, once per label set', async () => {
    const component = new ComponentMetrics({
      component: 'kubets-store',
      version: '0.0.0',
      defaultMetrics: false,
    });
    const metrics = new StoreMetrics(component);
    const a = hotCount(metrics.peerSentBytes, { To: 'a' });
    a.add(100);
    a.add(23);
    // The same label set shares one count (a reconnecting peer does not leak counts).
    expect(hotCount(metrics.peerSentBytes, { To: 'a' })).toBe(a);
    hotCount(metrics.peerSentBytes, { To: 'b' }).add(7);
    const first = await component.scrape();
    expect(first).toContain('etcd_network_peer_sent_bytes_total{To="a"} 123');
    expect(first).toContain('etcd_network_peer_sent_bytes_total{To="b"} 7');
    a.add(1);
    expect(await component.scrape()).toContain('etcd_network_peer_sent_bytes_total{To="a"} 124');
  });
});

describe('sampled gauges', () => {
  it('report their value when scraped', async () => {
    const component = new ComponentMetrics({
      component: 'kubets-store',
      version: '0.0.0',
      defaultMetrics: false,
    });
    const metrics = new StoreMetrics(component);
    let keys = 3;
    sampledGauge(metrics.keysTotal, () => keys);
    expect(await component.scrape()).toContain('etcd_debugging_mvcc_keys_total 3');
    keys = 5;
    expect(await component.scrape()).toContain('etcd_debugging_mvcc_keys_total 5');
  });
});
