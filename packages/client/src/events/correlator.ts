/**
 * Client-side event correlation, ported from client-go tools/record/events_cache.go and mapped
 * onto events.k8s.io/v1 (the occurrence count lives in `series`):
 *
 * - aggregation: when one source reports more than 10 events that differ only in their note about
 *   the same object and reason within 10 minutes, further ones are folded into a single event
 *   whose note reads "(combined from similar events): <latest note>";
 * - deduplication: a repeat of an identical event becomes a patch of the existing event's series
 *   (count, lastObservedTime) instead of a new object;
 * - spam filter: each source+object gets a token bucket of 25 events refilled at 1 per 5 minutes;
 *   events beyond it are dropped, so a permanently failing object cannot flood the API server.
 */
import type { JsonObject } from '@kubets/apimachinery';
import { deepCopyJson, formatMicroTime } from '@kubets/apimachinery';
import { TokenBucket } from '../flowcontrol/token-bucket.js';
import { realClock, type Clock } from '../util/clock.js';
import { LruCache } from '../util/lru.js';
import type { Event } from './types.js';

export const MAX_LRU_CACHE_ENTRIES = 4096;
/** Similar events beyond this many within the interval are aggregated. */
export const DEFAULT_AGGREGATE_MAX_EVENTS = 10;
export const DEFAULT_AGGREGATE_INTERVAL_SECONDS = 600;
export const DEFAULT_SPAM_BURST = 25;
export const DEFAULT_SPAM_QPS = 1 / 300;

const join = (parts: (string | undefined)[]): string => parts.map((p) => p ?? '').join('\u0000');

/** Identical events (getEventKey): same source, object, type, reason, action and note. */
export function eventKey(e: Event): string {
  const r = e.regarding ?? {};
  return join([
    e.reportingController,
    e.reportingInstance,
    r.kind,
    r.namespace,
    r.name,
    r.fieldPath,
    r.uid,
    r.apiVersion,
    e.type,
    e.reason,
    e.action,
    e.note,
  ]);
}

/** Spam key (getSpamKey): the source and the object, whatever the event says. */
export function spamKey(e: Event): string {
  const r = e.regarding ?? {};
  return join([
    e.reportingController,
    e.reportingInstance,
    r.kind,
    r.namespace,
    r.name,
    r.uid,
    r.apiVersion,
    e.type,
  ]);
}

/** EventAggregatorByReasonFunc: group by source, object, type and reason; the note varies. */
export function aggregateByReason(e: Event): { aggregateKey: string; localKey: string } {
  const r = e.regarding ?? {};
  return {
    aggregateKey: join([
      e.reportingController,
      e.reportingInstance,
      r.kind,
      r.namespace,
      r.name,
      r.uid,
      r.apiVersion,
      e.type,
      e.reason,
      e.action,
    ]),
    localKey: e.note ?? '',
  };
}

export function aggregateMessage(e: Event): string {
  return `(combined from similar events): ${e.note ?? ''}`;
}

/** Unique event names `<object>.<hex nanoseconds>`, never repeating within one process. */
export class EventNamer {
  private lastNanos = 0n;

  constructor(private readonly clock: Clock) {}

  name(objectName: string): string {
    let nanos = BigInt(Math.floor(this.clock.now())) * 1_000_000n;
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    return `${objectName}.${nanos.toString(16)}`;
  }
}

interface AggregateRecord {
  localKeys: Set<string>;
  lastTimestamp: number;
}

interface EventLog {
  count: number;
  eventTime: string;
  name: string;
  resourceVersion: string;
}

export interface CorrelatorOptions {
  clock?: Clock;
  cacheSize?: number;
  spamBurst?: number;
  spamQps?: number;
  maxEvents?: number;
  maxIntervalSeconds?: number;
  /** Makes the spam key; by default source + object. */
  spamKeyFunc?: (e: Event) => string;
}

export interface CorrelateResult {
  /** The event to write (a copy; name and series filled in for repeats). */
  event: Event;
  /** A merge patch for an existing event; undefined when the event must be created. */
  patch: JsonObject | undefined;
  /** Dropped by the spam filter. */
  skip: boolean;
}

export class EventCorrelator {
  private readonly clock: Clock;
  private readonly aggregates: LruCache<string, AggregateRecord>;
  private readonly logs: LruCache<string, EventLog>;
  private readonly spam: LruCache<string, TokenBucket>;
  private readonly namer: EventNamer;
  private readonly maxEvents: number;
  private readonly maxIntervalMs: number;
  private readonly spamBurst: number;
  private readonly spamQps: number;
  private readonly spamKeyFunc: (e: Event) => string;

  constructor(options: CorrelatorOptions = {}, namer?: EventNamer) {
    this.clock = options.clock ?? realClock;
    const size = options.cacheSize ?? MAX_LRU_CACHE_ENTRIES;
    this.aggregates = new LruCache(size);
    this.logs = new LruCache(size);
    this.spam = new LruCache(size);
    this.namer = namer ?? new EventNamer(this.clock);
    this.maxEvents = options.maxEvents ?? DEFAULT_AGGREGATE_MAX_EVENTS;
    this.maxIntervalMs = (options.maxIntervalSeconds ?? DEFAULT_AGGREGATE_INTERVAL_SECONDS) * 1000;
    this.spamBurst = options.spamBurst ?? DEFAULT_SPAM_BURST;
    this.spamQps = options.spamQps ?? DEFAULT_SPAM_QPS;
    this.spamKeyFunc = options.spamKeyFunc ?? spamKey;
  }

  /** Aggregates, deduplicates and filters one event (EventCorrelate). */
  correlate(newEvent: Event): CorrelateResult {
    const { event: aggregated, key } = this.aggregate(newEvent);
    const { event, patch } = this.observe(aggregated, key);
    if (this.filter(event)) return { event, patch, skip: true };
    return { event, patch, skip: false };
  }

  /** Records the server's copy (name, resourceVersion) after a successful write. */
  updateState(event: Event): void {
    this.logs.set(eventKey(event), {
      count: event.series?.count ?? 1,
      eventTime: event.eventTime,
      name: event.metadata?.name ?? '',
      resourceVersion: event.metadata?.resourceVersion ?? '',
    });
  }

  private aggregate(newEvent: Event): { event: Event; key: string } {
    const now = this.clock.now();
    const fullKey = eventKey(newEvent);
    const { aggregateKey, localKey } = aggregateByReason(newEvent);
    let record = this.aggregates.get(aggregateKey);
    if (!record || now - record.lastTimestamp > this.maxIntervalMs) {
      record = { localKeys: new Set(), lastTimestamp: now };
    }
    record.localKeys.add(localKey);
    record.lastTimestamp = now;
    this.aggregates.set(aggregateKey, record);
    if (record.localKeys.size < this.maxEvents) return { event: newEvent, key: fullKey };
    // Do not let the set grow past the threshold.
    const first = record.localKeys.values().next().value as string;
    record.localKeys.delete(first);
    const regarding = newEvent.regarding ?? {};
    const event: Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: this.namer.name(regarding.name ?? 'event'),
        namespace: newEvent.metadata?.namespace ?? '',
      },
      eventTime: formatMicroTime(BigInt(Math.floor(now)) * 1000n),
      reportingController: newEvent.reportingController,
      reportingInstance: newEvent.reportingInstance,
      action: newEvent.action,
      reason: newEvent.reason,
      regarding: { ...regarding },
      ...(newEvent.related ? { related: { ...newEvent.related } } : {}),
      note: aggregateMessage(newEvent),
      type: newEvent.type,
    };
    return { event, key: aggregateKey };
  }

  private observe(newEvent: Event, key: string): { event: Event; patch: JsonObject | undefined } {
    const event = deepCopyJson(newEvent);
    const last = this.logs.get(key);
    let patch: JsonObject | undefined;
    let count = 1;
    if (last && last.count > 0) {
      count = last.count + 1;
      event.metadata = {
        ...event.metadata,
        name: last.name,
        resourceVersion: last.resourceVersion,
      };
      event.eventTime = last.eventTime;
      event.series = {
        count,
        lastObservedTime: formatMicroTime(BigInt(Math.floor(this.clock.now())) * 1000n),
      };
      patch = { series: { ...event.series } };
      if (event.note !== undefined) patch.note = event.note;
    }
    this.logs.set(key, {
      count,
      eventTime: event.eventTime,
      name: event.metadata?.name ?? '',
      resourceVersion: event.metadata?.resourceVersion ?? '',
    });
    return { event, patch };
  }

  /** EventSourceObjectSpamFilter.Filter: true when the event must be dropped. */
  private filter(event: Event): boolean {
    const key = this.spamKeyFunc(event);
    const now = this.clock.now();
    let bucket = this.spam.get(key);
    if (!bucket) bucket = new TokenBucket(this.spamQps, this.spamBurst, now);
    const allowed = bucket.tryTake(now);
    this.spam.set(key, bucket);
    return !allowed;
  }
}
