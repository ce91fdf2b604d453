/**
 * The API server's metrics, with kube-apiserver's names and labels so existing dashboards work:
 * requests (count, latency, in flight, long-running), watch events, stored objects, and etcd
 * request latency.
 */
import {
  hotCount,
  type ComponentMetrics,
  type HotCount,
  type HotObserver,
  type Tally,
} from '@kubets/component-base';
import type { StorageObserver } from './storage/store.js';
import type { CacheObserver } from './storage/cacher/cacher.js';

import { memoized } from './storage/shared.js';

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

/** Upstream's apiserver_watch_events_sizes buckets: 1 KiB doubling 8 times. */
export const WATCH_EVENT_SIZE_BUCKETS = [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

export class ApiServerMetrics implements StorageObserver, CacheObserver {
  private readonly requests;
  private readonly duration;
  private readonly inflight;
  private readonly longRunning;
  private readonly watchEvents;
  private readonly storageObjects;
  private readonly etcdDuration;
  private readonly watchEventSizes;
  /** Bound children per group/version/resource: the watch hot path avoids label hashing. */
  private readonly watchChildren = new Map<
    string,
    { events: HotCount; sizes: { add(t: Tally, times?: number): void } }
  >();
  /**
   * Per request label set: its duration handle and request counts by code (every request
   * observes both; resolving them once saves prom-client's label hashing per request).
   */
  private readonly requestChildren = new Map<
    string,
    { duration: HotObserver; counts: Map<number, HotCount> }
  >();
  private readonly etcdChildren = new Map<string, HotObserver>();
  private readonly inflightNow = { readOnly: 0, mutating: 0 };
  private readonly cacheEventsDispatched;
  private readonly cacheEventsReceived;
  private readonly cacheResourceVersion;
  private readonly cacheCapacity;
  private readonly cacheInitializations;
  private readonly registeredWatchersGauge;
  private readonly terminatedWatchers;
  private readonly consistentReads;
  private readonly cacheLists;
  private readonly cacheListReturned;

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
    // Observed per request: a HotHistogram whose handles are resolved once per label set.
    this.duration = metrics.hotHistogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: requestLabels,
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
    // Counted per watcher per write by the fan-out: plain additions folded in at scrape time
    // (component-base's hotCount).
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
    this.etcdDuration = metrics.hotHistogram({
      name: 'etcd_request_duration_seconds',
      help: 'Etcd request latency in seconds for each operation and object type.',
      labelNames: ['operation', 'type'],
      buckets: ETCD_DURATION_BUCKETS,
    });
    this.watchEventSizes = metrics.hotHistogram({
      name: 'apiserver_watch_events_sizes',
      help: 'Watch event size distribution in bytes',
      labelNames: ['group', 'version', 'resource'],
      buckets: WATCH_EVENT_SIZE_BUCKETS,
    });
    this.cacheEventsDispatched = metrics.counter({
      name: 'apiserver_watch_cache_events_dispatched_total',
      help: 'Counter of events dispatched in watch cache broken by resource type.',
      labelNames: ['resource'],
    });
    this.cacheEventsReceived = metrics.counter({
      name: 'apiserver_watch_cache_events_received_total',
      help: 'Counter of events received in watch cache broken by resource type.',
      labelNames: ['resource'],
    });
    this.cacheResourceVersion = metrics.gauge({
      name: 'apiserver_watch_cache_resource_version',
      help: 'Current resource version of watch cache broken by resource type.',
      labelNames: ['resource'],
    });
    this.cacheCapacity = metrics.gauge({
      name: 'apiserver_watch_cache_capacity',
      help: 'Total capacity of watch cache broken by resource type.',
      labelNames: ['resource'],
    });
    this.cacheInitializations = metrics.counter({
      name: 'apiserver_watch_cache_initializations_total',
      help: 'Counter of watch cache initializations broken by resource type.',
      labelNames: ['resource'],
    });
    this.registeredWatchersGauge = metrics.gauge({
      name: 'apiserver_registered_watchers',
      help: 'Number of currently registered watchers for a given resources',
      labelNames: ['group', 'version', 'kind'],
    });
    this.terminatedWatchers = metrics.counter({
      name: 'apiserver_terminated_watchers_total',
      help: 'Counter of watchers closed due to unresponsiveness broken by resource type.',
      labelNames: ['resource'],
    });
    this.consistentReads = metrics.counter({
      name: 'apiserver_watch_cache_consistent_read_total',
      help: 'Counter for consistent reads from cache.',
      labelNames: ['resource', 'success', 'fallback'],
    });
    this.cacheLists = metrics.counter({
      name: 'apiserver_cache_list_total',
      help: 'Number of LIST requests served from watch cache',
      labelNames: ['resource_prefix', 'index'],
    });
    this.cacheListReturned = metrics.counter({
      name: 'apiserver_cache_list_returned_objects_total',
      help: 'Number of objects returned for a LIST request from watch cache',
      labelNames: ['resource_prefix'],
    });
    this.inflight.set({ request_kind: 'readOnly' }, 0);
    this.inflight.set({ request_kind: 'mutating' }, 0);
    // Changed twice per request: plain numbers, set on the gauge when it is read (prom-client
    // calls a metric's collect hook before reading its values, as component-base's hotCount).
    const inflight = this.inflight as unknown as { collect?: () => void };
    inflight.collect = () => {
      this.inflight.set({ request_kind: 'readOnly' }, this.inflightNow.readOnly);
      this.inflight.set({ request_kind: 'mutating' }, this.inflightNow.mutating);
    };
  }

  observeRequest(labels: RequestLabels, code: number, seconds: number): void {
    const key = `${labels.verb}\0${labels.dry_run}\0${labels.group}\0${labels.version}\0${labels.resource}\0${labels.subresource}\0${labels.scope}\0${labels.component}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) {
      child = { duration: this.duration.observer({ ...labels }), counts: new Map() };
      this.requestChildren.set(key, child);
    }
    let count = child.counts.get(code);
    if (count === undefined) {
      count = hotCount(this.requests, { ...labels, code: String(code) });
      child.counts.set(code, count);
    }
    count.add();
    child.duration.observe(seconds);
  }

  inflightDelta(kind: 'readOnly' | 'mutating', delta: number): void {
    this.inflightNow[kind] += delta;
  }

  longRunningDelta(labels: LongRunningLabels, delta: number): void {
    this.longRunning.inc(labels, delta);
  }

  /**
   * Events written to one watcher in one write, by encoded size. A batch written to many
   * watchers passes the same `sizes` array each time: its bucket tally is computed once.
   */
  watchEventsWritten(
    group: string,
    version: string,
    resource: string,
    sizes: readonly number[],
  ): void {
    this.watchEventsWriter(group, version, resource)(sizes);
  }

  /**
   * watchEventsWritten for one watch's group/version/resource, resolved once (the fan-out calls
   * it per watcher and batch).
   */
  watchEventsWriter(
    group: string,
    version: string,
    resource: string,
  ): (sizes: readonly number[]) => void {
    const child = this.watchChild(group, version, resource);
    return (sizes) => {
      child.events.add(sizes.length);
      child.sizes.add(memoized(sizes, 'tally', () => this.watchEventSizes.tally(sizes)));
    };
  }

  /** watchEventsSent for one watch's group/version/resource, resolved once. */
  watchEventsCounter(group: string, version: string, resource: string): (count: number) => void {
    const child = this.watchChild(group, version, resource);
    return (count) => child.events.add(count);
  }

  /** `count` events written to one watcher (sizes not observed). */
  watchEventsSent(group: string, version: string, resource: string, count: number): void {
    this.watchChild(group, version, resource).events.add(count);
  }

  /** One event written to one watcher (`bytes`: its encoded size). */
  watchEvent(group: string, version: string, resource: string, bytes?: number): void {
    const child = this.watchChild(group, version, resource);
    child.events.add();
    if (bytes !== undefined) child.sizes.add(this.watchEventSizes.tally([bytes]));
  }

  private watchChild(group: string, version: string, resource: string) {
    const key = `${group}/${version}/${resource}`;
    let child = this.watchChildren.get(key);
    if (!child) {
      child = {
        events: hotCount(this.watchEvents, { group, version, resource }),
        sizes: this.watchEventSizes.child({ group, version, resource }),
      };
      this.watchChildren.set(key, child);
    }
    return child;
  }

  // CacheObserver: the watch cache.

  initialized(resource: string): void {
    this.cacheInitializations.inc({ resource });
  }

  resourceVersion(resource: string, rv: bigint): void {
    this.cacheResourceVersion.set({ resource }, Number(rv));
  }

  capacity(resource: string, capacity: number): void {
    this.cacheCapacity.set({ resource }, capacity);
  }

  eventsReceived(resource: string, count: number): void {
    this.cacheEventsReceived.inc({ resource }, count);
  }

  eventsDispatched(resource: string, count: number): void {
    this.cacheEventsDispatched.inc({ resource }, count);
  }

  watcherTerminated(resource: string): void {
    this.terminatedWatchers.inc({ resource });
  }

  registeredWatchers(
    labels: { group: string; version: string; kind: string },
    delta: number,
  ): void {
    this.registeredWatchersGauge.inc(labels, delta);
  }

  consistentRead(resource: string, success: boolean, fallback: boolean): void {
    this.consistentReads.inc({ resource, success: String(success), fallback: String(fallback) });
  }

  cacheList(resource: string, returned: number): void {
    this.cacheLists.inc({ resource_prefix: `/${resource}`, index: '' });
    this.cacheListReturned.inc({ resource_prefix: `/${resource}` }, returned);
  }

  setStorageObjects(resource: string, count: number): void {
    this.storageObjects.set({ resource }, count);
  }

  /** StorageObserver: etcd request latency. */
  request(operation: string, type: string, seconds: number): void {
    const key = `${operation}\0${type}`;
    let o = this.etcdChildren.get(key);
    if (o === undefined) {
      o = this.etcdDuration.observer({ operation, type });
      this.etcdChildren.set(key, o);
    }
    o.observe(seconds);
  }
}
