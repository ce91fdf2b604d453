/**
 * cache.DeltaFIFO: the queue between a reflector and an informer's cache. For every object key it
 * accumulates the changes ("deltas") seen since the key was last popped, so a consumer that falls
 * behind processes each object once with its full recent history, never an event twice and never
 * out of order. `replace` (a relist) turns objects that disappeared while the watch was down into
 * Deleted deltas carrying {@link DeletedFinalStateUnknown} tombstones.
 */
import type { KubeObject } from '@kubets/apimachinery';
import { DeletedFinalStateUnknown, defaultKeyFunc, type KeyFunc } from './keys.js';
import type { ReflectorStore } from './store.js';

export type DeltaType = 'Added' | 'Updated' | 'Deleted' | 'Replaced' | 'Sync';

export interface Delta<T> {
  type: DeltaType;
  object: T | DeletedFinalStateUnknown<T>;
}

/** What the FIFO consults to find deletions on relist and objects to resync: the cache. */
export interface KeyListerGetter<T> {
  listKeys(): string[];
  getByKey(key: string): T | undefined;
}

export class FIFOClosedError extends Error {
  constructor() {
    super('DeltaFIFO: manipulating with closed queue');
    this.name = 'FIFOClosedError';
  }
}

/** Thrown by a pop callback to put the item back (cache.ErrRequeue). */
export class RequeueError extends Error {
  constructor(readonly reason: unknown) {
    super(`requeue: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'RequeueError';
  }
}

export interface DeltaFIFOOptions<T> {
  keyFunc?: KeyFunc<T>;
  /** The cache the consumer maintains; without it relists cannot detect deletions. */
  knownObjects?: KeyListerGetter<T>;
  /**
   * Emit `Replaced` (rather than `Sync`) for objects of a relist, so consumers can tell a relist
   * from a periodic resync. Default true, as informers use it.
   */
  emitDeltaTypeReplaced?: boolean;
  /** Applied once to every object entering the queue (e.g. to strip managedFields). */
  transform?: (obj: T) => T;
}

/** The process callback of {@link DeltaFIFO.pop}. */
export type PopProcessFunc<T> = (deltas: readonly Delta<T>[], isInInitialList: boolean) => void;

/**
 * Collapses two consecutive deletions into one, keeping the one that knows the final state (an
 * actual DELETED event beats a relist tombstone).
 */
function dedupDeltas<T>(deltas: Delta<T>[]): void {
  const n = deltas.length;
  if (n < 2) return;
  const a = deltas[n - 1]!;
  const b = deltas[n - 2]!;
  if (a.type !== 'Deleted' || b.type !== 'Deleted') return;
  deltas[n - 2] = b.object instanceof DeletedFinalStateUnknown ? a : b;
  deltas.length = n - 1;
}

export class DeltaFIFO<T = KubeObject> implements ReflectorStore<T> {
  private readonly items = new Map<string, Delta<T>[]>();
  private queue: string[] = [];
  private head = 0;
  private populated = false;
  private initialPopulationCount = 0;
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly keyFunc: KeyFunc<T>;
  private readonly knownObjects: KeyListerGetter<T> | undefined;
  private readonly emitReplaced: boolean;
  private readonly transform: ((obj: T) => T) | undefined;

  constructor(options: DeltaFIFOOptions<T> = {}) {
    this.keyFunc = options.keyFunc ?? (defaultKeyFunc as KeyFunc<T>);
    this.knownObjects = options.knownObjects;
    this.emitReplaced = options.emitDeltaTypeReplaced ?? true;
    this.transform = options.transform;
  }

  keyOf(obj: T | DeletedFinalStateUnknown<T> | Delta<T>[]): string {
    if (Array.isArray(obj)) {
      const newest = obj[obj.length - 1];
      if (!newest) throw new Error('DeltaFIFO: zero-length Deltas object');
      return this.keyFunc(newest.object);
    }
    return this.keyFunc(obj);
  }

  /** True once the first replace (or any add) was fully popped. */
  hasSynced(): boolean {
    return this.populated && this.initialPopulationCount === 0;
  }

  add(obj: T): void {
    this.populated = true;
    this.queueAction('Added', obj);
  }

  update(obj: T): void {
    this.populated = true;
    this.queueAction('Updated', obj);
  }

  /**
   * Queues a deletion, unless the object is neither queued nor known, which means a relist has
   * already reported it (no second report of the same deletion).
   */
  delete(obj: T | DeletedFinalStateUnknown<T>): void {
    const id = this.keyOf(obj);
    this.populated = true;
    const queued = this.items.has(id);
    if (this.knownObjects === undefined) {
      if (!queued) return;
    } else if (!queued && this.knownObjects.getByKey(id) === undefined) {
      return;
    }
    this.queueAction('Deleted', obj);
  }

  /**
   * The result of a (re)list: a Replaced delta for every listed object, then a Deleted tombstone
   * for every queued or cached object the list no longer contains.
   */
  replace(list: T[], _resourceVersion: string): void {
    const action: DeltaType = this.emitReplaced ? 'Replaced' : 'Sync';
    const keys = new Set<string>();
    for (const item of list) {
      const key = this.keyOf(item);
      keys.add(key);
      this.queueAction(action, item);
    }
    let queuedDeletions = 0;
    // Objects still queued (not yet in the cache) that the new list lacks.
    for (const [k, deltas] of [...this.items]) {
      if (keys.has(k)) continue;
      let deleted: T | undefined;
      const newest = deltas[deltas.length - 1];
      if (newest) {
        deleted =
          newest.object instanceof DeletedFinalStateUnknown ? newest.object.obj : newest.object;
      }
      queuedDeletions++;
      this.queueAction('Deleted', new DeletedFinalStateUnknown(k, deleted));
    }
    // Cached objects that the new list lacks and that have nothing queued.
    if (this.knownObjects) {
      for (const k of this.knownObjects.listKeys()) {
        if (keys.has(k)) continue;
        if ((this.items.get(k)?.length ?? 0) > 0) continue;
        queuedDeletions++;
        this.queueAction('Deleted', new DeletedFinalStateUnknown(k, this.knownObjects.getByKey(k)));
      }
    }
    if (!this.populated) {
      this.populated = true;
      this.initialPopulationCount = keys.size + queuedDeletions;
    }
  }

  /**
   * Queues a Sync delta for every cached object that has nothing queued. Objects with queued
   * deltas are skipped: their cached state is about to be superseded, and a Sync would carry the
   * older state after the newer one.
   */
  resync(): void {
    if (!this.knownObjects) return;
    for (const k of this.knownObjects.listKeys()) {
      const obj = this.knownObjects.getByKey(k);
      if (obj === undefined) continue;
      const id = this.keyOf(obj);
      if ((this.items.get(id)?.length ?? 0) > 0) continue;
      this.queueAction('Sync', obj);
    }
  }

  /**
   * Waits for a key, removes it with its deltas and calls `process` synchronously with them (so
   * nothing else touches the queue in between). If `process` throws a {@link RequeueError} the
   * deltas go back (unless the key was re-queued meanwhile); any other error is rethrown after
   * the item was removed. Rejects with {@link FIFOClosedError} once closed and empty.
   */
  async pop(process: PopProcessFunc<T>): Promise<Delta<T>[]> {
    for (;;) {
      while (this.head >= this.queue.length) {
        if (this.closed) throw new FIFOClosedError();
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
      const isInInitialList = !this.hasSynced();
      const id = this.queue[this.head]!;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (this.initialPopulationCount > 0) this.initialPopulationCount--;
      const deltas = this.items.get(id);
      if (!deltas) continue; // cannot happen: every queued key has deltas
      this.items.delete(id);
      try {
        process(deltas, isInInitialList);
      } catch (err) {
        if (err instanceof RequeueError) {
          if (!this.items.has(id)) {
            this.items.set(id, deltas);
            this.queue.push(id);
          }
          throw err.reason;
        }
        throw err;
      }
      return deltas;
    }
  }

  /** Keys with queued deltas, in queue order. */
  listKeys(): string[] {
    return this.queue.slice(this.head);
  }

  /** The queued deltas of `key` (a copy). */
  getByKey(key: string): Delta<T>[] | undefined {
    const d = this.items.get(key);
    return d ? [...d] : undefined;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  isClosed(): boolean {
    return this.closed;
  }

  private queueAction(type: DeltaType, obj: T | DeletedFinalStateUnknown<T>): void {
    const id = this.keyOf(obj);
    let object = obj;
    if (this.transform && !(obj instanceof DeletedFinalStateUnknown)) object = this.transform(obj);
    let deltas = this.items.get(id);
    if (!deltas) {
      deltas = [];
      this.items.set(id, deltas);
      this.queue.push(id);
    }
    deltas.push({ type, object });
    dedupDeltas(deltas);
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}
