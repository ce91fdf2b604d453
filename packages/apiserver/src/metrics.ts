/**
 * The API server's metrics, with kube-apiserver's names and labels so existing dashboards work:
 * requests (count, latency, in flight, long-running), watch events, stored objects, and etcd
 * request latency.
 */
import type { ComponentMetrics } from '@kubets/component-base';
import type { StorageObserver } from './storage/store.js';

/** Upstream's request latency buckets (k8s.io/apiserver/pkg/endpoints/metrics). */
export const REQUEST_DURATION_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45,
  60,
];
/** Upstream's etcd latency buckets (k8s.io/apiserver/pkg/storage/etcd3/metrics). */
export const ETCD_DURATION_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45,
  60,
];

export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  component: string;
}

type LongRunningLabels = Omit<RequestLabels, 'dry_run'>;

export class ApiServerMetrics implements StorageObserver {
  private readonly requests;
  private readonly duration;
  private readonly inflight;
  private readonly longRunning;
  private readonly watchEvents;
  private readonly storageObjects;
  private readonly etcdDuration;

  constructor(metrics: ComponentMetrics) {
    const requestLabels = [
      'verb',
      'dry_run',
      'group',
      'version',
      'resource',
      'subresource',
      'scope',
      'component',
    ] as const;
    this.requests = metrics.counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...requestLabels, 'code'],
    });
    this.duration = metrics.histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: [...requestLabels],
      buckets: REQUEST_DURATION_BUCKETS,
    });
    this.inflight = metrics.gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
    });
    this.longRunning = metrics.gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
    });
    this.watchEvents = metrics.counter({
      name: 'apiserver_watch_events_total',
      help: 'Number of events sent in watch clients',
      labelNames: ['group', 'version', 'resource'],
    });
    this.storageObjects = metrics.gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.',
      labelNames: ['resource'],
    });
    this.etcdDuration = metrics.histogram({
      name: 'etcd_request_duration_seconds',
      help: 'Etcd request latency in seconds for each operation and object type.',
      labelNames: ['operation', 'type'],
      buckets: ETCD_DURATION_BUCKETS,
    });
    this.inflight.set({ request_kind: 'readOnly' }, 0);
    this.inflight.set({ request_kind: 'mutating' }, 0);
  }

  observeRequest(labels: RequestLabels, code: number, seconds: number): void {
    this.requests.inc({ ...labels, code: String(code) });
    this.duration.observe(labels, seconds);
  }

  inflightDelta(kind: 'readOnly' | 'mutating', delta: number): void {
    this.inflight.inc({ request_kind: kind }, delta);
  }

  longRunningDelta(labels: LongRunningLabels, delta: number): void {
    this.longRunning.inc(labels, delta);
  }

  watchEvent(group: string, version: string, resource: string): void {
    this.watchEvents.inc({ group, version, resource });
  }

  setStorageObjects(resource: string, count: number): void {
    this.storageObjects.set({ resource }, count);
  }

  /** StorageObserver: etcd request latency. */
  request(operation: string, type: string, seconds: number): void {
    this.etcdDuration.observe({ operation, type }, seconds);
  }
}
