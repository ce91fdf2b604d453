/**
 * Recording Events: `EventRecorder.eventf` builds an events.k8s.io/v1 Event and hands it to the
 * {@link EventBroadcaster}, which correlates it (aggregation, dedup, spam filter) and writes it to
 * an {@link EventSink} in the background. Recording never blocks or fails the caller: events are
 * best-effort, as upstream. Writes that fail for transport reasons are retried (12 tries, 10 s
 * apart, the first wait randomized so clients do not retry in lockstep); a write the server
 * rejects is dropped.
 */
import type { JsonObject, KubeObject } from '@kubets/apimachinery';
import {
  StatusError,
  formatMicroTime,
  goQuote,
  goSprintV,
  isAlreadyExists,
  isNotFound,
} from '@kubets/apimachinery';
import { MERGE_PATCH, type NamespaceableResourceClient } from '../rest/interfaces.js';
import type { Random } from '../util/backoff.js';
import { realClock, sleep, type Clock } from '../util/clock.js';
import { stderrLogger, type Logger } from '../util/logger.js';
import { EventCorrelator, EventNamer, type CorrelatorOptions } from './correlator.js';
import { objectReference, type Event, type EventType, type ObjectReference } from './types.js';

/** Where events go: usually the API server's events.k8s.io/v1 Events. */
export interface EventSink {
  create(event: Event): Promise<Event>;
  update(event: Event): Promise<Event>;
  /** Applies a JSON merge patch to the existing event. */
  patch(event: Event, patch: JsonObject): Promise<Event>;
}

/** An EventSink over an events.k8s.io/v1 resource client. */
export function resourceEventSink(client: NamespaceableResourceClient<Event>): EventSink {
  const ns = (e: Event): string => e.metadata?.namespace ?? 'default';
  return {
    create: (e) => client.namespace(ns(e)).create(e),
    update: (e) => client.namespace(ns(e)).update(e),
    patch: (e, p) => client.namespace(ns(e)).patch(e.metadata?.name ?? '', MERGE_PATCH, p),
  };
}

export const MAX_TRIES_PER_EVENT = 12;
export const DEFAULT_RETRY_SLEEP_MS = 10_000;
/** Events waiting to be written beyond this are dropped (upstream's channel size). */
export const MAX_QUEUED_EVENTS = 1000;
/** The API server rejects notes over 1 kB. */
export const MAX_NOTE_BYTES = 1024;

export interface EventBroadcasterOptions {
  sink: EventSink;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  correlator?: CorrelatorOptions;
  retrySleepMs?: number;
  maxTries?: number;
  maxQueued?: number;
}

export class EventBroadcaster {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly correlator: EventCorrelator;
  readonly namer: EventNamer;
  private readonly queue: Event[] = [];
  private working: Promise<void> | undefined;
  private stopped = false;
  private readonly stop = new AbortController();
  private dropped = 0;

  constructor(private readonly options: EventBroadcasterOptions) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? stderrLogger;
    this.namer = new EventNamer(this.clock);
    this.correlator = new EventCorrelator({ clock: this.clock, ...options.correlator }, this.namer);
  }

  /** A recorder reporting as `reportingController` (e.g. `kubets.io/scheduler`) / `reportingInstance`. */
  newRecorder(reportingController: string, reportingInstance: string): EventRecorder {
    if (!reportingController) throw new Error('an event recorder needs a reportingController');
    if (!reportingInstance) throw new Error('an event recorder needs a reportingInstance');
    return new EventRecorder(this, reportingController, reportingInstance, this.clock);
  }

  /** Events dropped because the queue was full or the broadcaster stopped. */
  get droppedCount(): number {
    return this.dropped;
  }

  /** Queues an event for writing; never blocks. */
  enqueue(event: Event): void {
    if (this.stopped || this.queue.length >= (this.options.maxQueued ?? MAX_QUEUED_EVENTS)) {
      this.dropped++;
      this.logger.warn('dropping event', { reason: event.reason, stopped: this.stopped });
      return;
    }
    this.queue.push(event);
    this.working ??= this.work().finally(() => {
      this.working = undefined;
    });
  }

  /** Resolves when every queued event has been written (or given up on). */
  async flush(): Promise<void> {
    while (this.working) await this.working;
  }

  /** Stops writing; queued events are dropped and a retry wait is cut short. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.dropped += this.queue.length;
    this.queue.length = 0;
    this.stop.abort();
    await this.working;
  }

  private async work(): Promise<void> {
    for (;;) {
      const event = this.queue.shift();
      if (!event) return;
      await this.recordToSink(event);
    }
  }

  /** recordToSink: correlate, then write with retries. */
  private async recordToSink(event: Event): Promise<void> {
    const result = this.correlator.correlate(event);
    if (result.skip) return;
    const maxTries = this.options.maxTries ?? MAX_TRIES_PER_EVENT;
    const sleepMs = this.options.retrySleepMs ?? DEFAULT_RETRY_SLEEP_MS;
    for (let tries = 1; ; tries++) {
      if (await this.recordEvent(result.event, result.patch)) return;
      if (tries >= maxTries || this.stopped) {
        this.logger.warn('unable to write event (retry limit exceeded)', { reason: event.reason });
        return;
      }
      const wait = tries === 1 ? sleepMs * this.random() : sleepMs;
      if (!(await sleep(this.clock, wait, this.stop.signal))) return;
    }
  }

  /** One write attempt; true when done (written, or rejected for good). */
  private async recordEvent(event: Event, patch: JsonObject | undefined): Promise<boolean> {
    const sink = this.options.sink;
    let written: Event | undefined;
    let error: unknown;
    try {
      if (patch) written = await sink.patch(event, patch);
    } catch (err) {
      error = err;
    }
    // A repeat whose original is gone (expired, deleted) is created afresh.
    if (!patch || (error !== undefined && isNotFound(error))) {
      error = undefined;
      const fresh = { ...event, metadata: { ...event.metadata } };
      delete fresh.metadata.resourceVersion;
      try {
        written = await sink.create(fresh);
      } catch (err) {
        error = err;
      }
    }
    if (error === undefined && written) {
      this.correlator.updateState(written);
      return true;
    }
    if (error instanceof StatusError) {
      // The server understood and refused: retrying would not help.
      if (!isAlreadyExists(error)) {
        this.logger.warn('server rejected event (will not retry)', {
          reason: event.reason,
          error: error.message,
        });
      }
      return true;
    }
    this.logger.warn('unable to write event (may retry after sleeping)', {
      reason: event.reason,
      error: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
}

/**
 * The Go printf subset notes use: %s and %v (Go's %v rendering), %d, %q and %%; a verb without an
 * argument renders as `%!v(MISSING)`, as in Go.
 */
export function sprintf(fmt: string, args: readonly unknown[]): string {
  if (args.length === 0) return fmt;
  let i = 0;
  const out = fmt.replace(/%([%svdq])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const a = args[i++];
    switch (verb) {
      case 'd':
        return typeof a === 'number' || typeof a === 'bigint' ? String(a) : `%!d(${goSprintV(a)})`;
      case 'q':
        return goQuote(typeof a === 'string' ? a : goSprintV(a));
      default:
        return goSprintV(a);
    }
  });
  if (i < args.length) return `${out}%!(EXTRA ${args.slice(i).map(goSprintV).join(', ')})`;
  return out;
}

function truncateUtf8(s: string, maxBytes: number): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= maxBytes) return s;
  // Cut on a character boundary.
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

export class EventRecorder {
  constructor(
    private readonly broadcaster: EventBroadcaster,
    readonly reportingController: string,
    readonly reportingInstance: string,
    private readonly clock: Clock,
  ) {}

  /**
   * Records an event about `regarding` (events.EventRecorder.Eventf). `note` may use printf
   * verbs filled from `args`; `action` says what was done or failed (e.g. `Scheduling`).
   */
  eventf(
    regarding: KubeObject | ObjectReference,
    related: KubeObject | ObjectReference | undefined,
    type: EventType,
    reason: string,
    action: string,
    note: string,
    ...args: unknown[]
  ): void {
    if (type !== 'Normal' && type !== 'Warning') {
      throw new Error(`unsupported event type: ${JSON.stringify(type)}`);
    }
    if (!reason) throw new Error('an event needs a reason');
    if (!action) throw new Error('an event needs an action');
    const ref = objectReference(regarding);
    const namespace = ref.namespace || 'default';
    const event: Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: this.broadcaster.namer.name(ref.name ?? 'event'),
        namespace,
      },
      eventTime: formatMicroTime(BigInt(Math.floor(this.clock.now())) * 1000n),
      reportingController: this.reportingController,
      reportingInstance: this.reportingInstance,
      action,
      reason,
      regarding: ref,
      ...(related ? { related: objectReference(related) } : {}),
      note: truncateUtf8(sprintf(note, args), MAX_NOTE_BYTES),
      type,
    };
    this.broadcaster.enqueue(event);
  }
}
