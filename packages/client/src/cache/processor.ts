/**
 * The fan-out side of a shared informer (sharedProcessor / processorListener): each registered
 * handler gets its own unbounded buffer, drained in order, so a slow handler delays only itself
 * and every handler sees every notification for a key in the order the cache applied them.
 */
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { DeletedFinalStateUnknown } from './keys.js';

/** cache.ResourceEventHandler. Handlers must not mutate the objects they receive. */
export interface ResourceEventHandler<T> {
  /** `isInInitialList` is true for objects of the first list (and for replays to late joiners). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** A tombstone when the final state is unknown (the object vanished during a disconnect). */
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export type Notification<T> =
  | { kind: 'add'; obj: T; isInInitialList: boolean }
  | { kind: 'update'; oldObj: T; newObj: T }
  | { kind: 'delete'; obj: T | DeletedFinalStateUnknown<T> };

/** Handlers called per turn before yielding to the event loop, so I/O is not starved. */
const BATCH = 1000;

export class ProcessorListener<T> {
  private buffer: Notification<T>[] = [];
  private head = 0;
  private scheduled = false;
  private stopped = false;
  private pendingInitial = 0;
  private nextResync: number;

  constructor(
    readonly handler: ResourceEventHandler<T>,
    /** What the handler asked for. */
    readonly requestedResyncPeriodMs: number,
    /** What it gets: at least the informer's resync check period. */
    public resyncPeriodMs: number,
    now: number,
    private readonly upstreamHasSynced: () => boolean,
    private readonly logger: Logger,
  ) {
    this.nextResync = now + resyncPeriodMs;
  }

  add(n: Notification<T>): void {
    if (this.stopped) return;
    if (n.kind === 'add' && n.isInInitialList) this.pendingInitial++;
    this.buffer.push(n);
    this.schedule();
  }

  /** True once the informer synced and this handler has seen every object of the initial list. */
  hasSynced(): boolean {
    return this.upstreamHasSynced() && this.pendingInitial === 0;
  }

  /** Notifications waiting for the handler. */
  get pending(): number {
    return this.buffer.length - this.head;
  }

  shouldResync(now: number): boolean {
    if (this.resyncPeriodMs === 0) return false;
    return now >= this.nextResync;
  }

  determineNextResync(now: number): void {
    this.nextResync = now + this.resyncPeriodMs;
  }

  stop(): void {
    this.stopped = true;
    this.buffer = [];
    this.head = 0;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    let n = 0;
    while (!this.stopped && this.head < this.buffer.length) {
      if (n++ >= BATCH) {
        this.scheduled = true;
        setImmediate(() => this.drain());
        return;
      }
      const note = this.buffer[this.head]!;
      this.buffer[this.head] = undefined as unknown as Notification<T>;
      this.head++;
      this.deliver(note);
    }
    if (this.head > 0 && this.head >= this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    }
  }

  private deliver(note: Notification<T>): void {
    try {
      switch (note.kind) {
        case 'add':
          this.handler.onAdd?.(note.obj, note.isInInitialList);
          break;
        case 'update':
          this.handler.onUpdate?.(note.oldObj, note.newObj);
          break;
        case 'delete':
          this.handler.onDelete?.(note.obj);
          break;
      }
    } catch (err) {
      // One faulty handler must not stop delivery to itself or to others.
      this.logger.error(err, 'event handler failed', { notification: note.kind });
    } finally {
      if (note.kind === 'add' && note.isInInitialList) this.pendingInitial--;
    }
  }
}

export class SharedProcessor<T> {
  /** listener -> whether it is due for the resync in progress. */
  private readonly listeners = new Map<ProcessorListener<T>, boolean>();

  constructor(private readonly clock: Clock) {}

  addListener(l: ProcessorListener<T>): void {
    this.listeners.set(l, false);
  }

  removeListener(l: ProcessorListener<T>): boolean {
    l.stop();
    return this.listeners.delete(l);
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Sends to all listeners, or for a resync (`isSync`) only to those due for one. */
  distribute(n: Notification<T>, isSync: boolean): void {
    for (const [l, syncing] of this.listeners) {
      if (!isSync || syncing) l.add(n);
    }
  }

  /** Marks the listeners due for a resync; true if any is. */
  shouldResync(): boolean {
    const now = this.clock.now();
    let needed = false;
    for (const l of this.listeners.keys()) {
      const due = l.shouldResync(now);
      this.listeners.set(l, due);
      if (due) {
        needed = true;
        l.determineNextResync(now);
      }
    }
    return needed;
  }

  resyncCheckPeriodChanged(checkPeriodMs: number): void {
    for (const l of this.listeners.keys()) {
      l.resyncPeriodMs = determineResyncPeriod(l.requestedResyncPeriodMs, checkPeriodMs);
    }
  }

  stop(): void {
    for (const l of this.listeners.keys()) l.stop();
  }
}

/** A handler's effective resync period given the informer's check period. */
export function determineResyncPeriod(desiredMs: number, checkMs: number): number {
  if (desiredMs === 0) return 0;
  if (checkMs === 0) return 0;
  return Math.max(desiredMs, checkMs);
}
