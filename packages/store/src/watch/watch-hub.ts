import { MvccError } from '../mvcc/errors.js';
import { rangeContains, type KeyRange, type MvccEvent } from '../mvcc/kv.js';
import type { MvccStore } from '../mvcc/store.js';

export interface WatchRequest {
  readonly range: KeyRange;
  /** First revision to deliver; 0 means "from the next revision". */
  readonly startRevision: number;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  readonly prevKv?: boolean;
  readonly progressNotify?: boolean;
  /** A client-chosen watch ID; 0 lets the stream pick the lowest free one. */
  readonly watchId?: number;
}

/** One message for a watch stream's client, in the shape of etcd's WatchResponse. */
export interface WatchMessage {
  readonly watchId: number;
  /** The header revision. */
  readonly revision: number;
  readonly events: readonly MvccEvent[];
  /** Whether the events should carry prev_kv (the watcher asked for it). */
  readonly prevKv: boolean;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compactRevision?: number;
  readonly cancelReason?: string;
}

/**
 * Where a stream's messages go. `send` returns false when the receiver is backed up (a gRPC
 * stream over its high-water mark): the hub then stops sending to that stream, keeps its
 * watchers' positions, and replays from the history when `resume()` is called.
 */
export interface WatchSink {
  send(message: WatchMessage): boolean;
}

export const ERR_WATCHER_DUPLICATE_ID = 'mvcc: duplicate watch ID provided on the WatchStream';
export const ERR_EMPTY_WATCHER_RANGE = 'mvcc: watcher range is empty';
/** Progress responses not tied to one watch carry this ID (clientv3.InvalidWatchID). */
export const PROGRESS_WATCH_ID = -1;

export interface WatchHubOptions {
  /** Runs a continuation later (setImmediate in the server), so a long replay yields the loop. */
  schedule: (fn: () => void) => void;
  /** Upper bound for the events of one replayed message (revisions are never split). */
  maxEventsPerMessage?: number;
  /** Replayed messages sent per scheduling turn before yielding. */
  maxMessagesPerTurn?: number;
}

class Watcher {
  /**
   * Next revision this watcher must deliver. Exact while unsynced; while synced it is a lower
   * bound (the watcher has everything up to the store's revision), only kept exact for a
   * watcher that starts in the future.
   */
  nextRev: number;
  synced = false;
  /** Progress notify: set when events were sent since the last progress tick. */
  active = false;
  /** Watchers with equal keys see the same events from the same position (replay sharing). */
  readonly selector: string;

  constructor(
    readonly id: number,
    readonly stream: WatchStream,
    readonly range: KeyRange,
    readonly noPut: boolean,
    readonly noDelete: boolean,
    readonly prevKv: boolean,
    readonly progressNotify: boolean,
    startRev: number,
  ) {
    this.nextRev = startRev;
    const filters = `${noPut ? 1 : 0}${noDelete ? 1 : 0}`;
    this.selector =
      range.end === undefined ? `${filters}k${range.key}` : `${filters}r${rangeId(range)}`;
  }

  accepts(e: MvccEvent): boolean {
    if (e.type === 'PUT' ? this.noPut : this.noDelete) return false;
    return e.kv.modRevision >= this.nextRev;
  }
}

/**
 * Delivers committed changes to watchers, etcd's watchableStore with the v3rpc watch server's
 * stream logic. Watchers are "synced" (they get each commit's events as it happens) or
 * "unsynced" (they replay the store's event history from their next revision, in batches, until
 * they catch up). A watcher whose next revision has been compacted gets a response carrying
 * compact_revision and is canceled, as etcd does. Events reach each watcher in revision order,
 * one revision never split across messages, none skipped, none repeated.
 */
export class WatchHub {
  private readonly singleKey = new Map<string, Set<Watcher>>();
  /**
   * Range watchers grouped by their range: many watchers commonly share one (every client of a
   * resource watches the same prefix), so a commit tests each event against each distinct range
   * once, not once per watcher.
   */
  private readonly ranged = new Map<string, RangeGroup>();
  private readonly streams = new Set<WatchStream>();
  readonly maxEventsPerMessage: number;
  readonly maxMessagesPerTurn: number;
  /** Messages handed to sinks since the last `takeSentCount()`. */
  private sent = 0;

  constructor(
    readonly store: MvccStore,
    readonly opts: WatchHubOptions,
  ) {
    this.maxEventsPerMessage = opts.maxEventsPerMessage ?? 1000;
    this.maxMessagesPerTurn = opts.maxMessagesPerTurn ?? 64;
    store.onCommit((events, rev) => this.onCommit(events, rev));
  }

  /**
   * Messages handed to sinks since the last call: how much watch output the process is
   * pushing (the server writes its WAL on the event-loop thread only while this is small).
   */
  takeSentCount(): number {
    const n = this.sent;
    this.sent = 0;
    return n;
  }

  /** @internal */
  countSent(): void {
    this.sent++;
  }

  openStream(sink: WatchSink): WatchStream {
    const stream = new WatchStream(this, sink);
    this.streams.add(stream);
    return stream;
  }

  get watcherCount(): number {
    let n = 0;
    for (const g of this.ranged.values()) n += g.watchers.size;
    for (const set of this.singleKey.values()) n += set.size;
    return n;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** @internal */
  register(w: Watcher): void {
    if (w.range.end === undefined) {
      let set = this.singleKey.get(w.range.key);
      if (set === undefined) this.singleKey.set(w.range.key, (set = new Set()));
      set.add(w);
    } else {
      const id = rangeId(w.range);
      let group = this.ranged.get(id);
      if (group === undefined) this.ranged.set(id, (group = new RangeGroup(w.range)));
      group.watchers.add(w);
    }
  }

  /** @internal */
  unregister(w: Watcher): void {
    if (w.range.end === undefined) {
      const set = this.singleKey.get(w.range.key);
      set?.delete(w);
      if (set?.size === 0) this.singleKey.delete(w.range.key);
    } else {
      const id = rangeId(w.range);
      const group = this.ranged.get(id);
      group?.watchers.delete(w);
      if (group?.watchers.size === 0) this.ranged.delete(id);
    }
  }

  /** @internal */
  closed(stream: WatchStream): void {
    this.streams.delete(stream);
  }

  /**
   * A commit's events to every synced watcher they concern. Watchers with the same events get
   * the same (read-only) array, so a sink that encodes per event encodes each event once.
   */
  private onCommit(events: readonly MvccEvent[], rev: number): void {
    if (events.length === 1) {
      // The common case (one put or delete per commit): no per-watcher lists at all.
      const e = events[0]!;
      const ks = e.ks;
      const shared = [e];
      const exact = this.singleKey.get(ks);
      if (exact !== undefined) deliverAll(exact, shared, rev);
      for (const g of this.ranged.values()) {
        if (rangeContains(g.range, ks)) deliverAll(g.watchers, shared, rev);
      }
      return;
    }
    const keys = events.map((e) => e.ks);
    if (this.singleKey.size > 0) {
      const byKey = new Map<string, MvccEvent[]>();
      for (const [i, e] of events.entries()) {
        const ks = keys[i]!;
        if (!this.singleKey.has(ks)) continue;
        const list = byKey.get(ks);
        if (list === undefined) byKey.set(ks, [e]);
        else list.push(e);
      }
      for (const [ks, list] of byKey) deliverAll(this.singleKey.get(ks)!, list, rev);
    }
    for (const g of this.ranged.values()) {
      const list = events.filter((_, i) => rangeContains(g.range, keys[i]!));
      if (list.length > 0) deliverAll(g.watchers, list, rev);
    }
  }
}

/** One replayed message's worth of history, and where it leaves the watcher. */
interface ReplayBatch {
  readonly events: MvccEvent[];
  readonly revision: number;
  /** The watcher's next revision after this batch; undefined: unchanged (not cacheable). */
  readonly nextRev: number | undefined;
  readonly synced: boolean;
}

/** Range watchers sharing one range. */
class RangeGroup {
  readonly watchers = new Set<Watcher>();
  constructor(readonly range: KeyRange) {}
}

/** A map key for a range (`end` defined): the length prefix keeps key and end apart. */
function rangeId(range: KeyRange): string {
  return `${range.key.length}:${range.key}${range.end ?? ''}`;
}

/** Delivers `events` (all in the watchers' range, in order) to every synced watcher of a set. */
function deliverAll(watchers: Iterable<Watcher>, events: MvccEvent[], rev: number): void {
  const first = events[0]!.kv.modRevision;
  for (const w of watchers) {
    if (!w.synced) continue;
    if (!w.noPut && !w.noDelete && first >= w.nextRev) {
      w.stream.deliver(w, events, rev);
      continue;
    }
    const mine = events.filter((e) => w.accepts(e));
    if (mine.length > 0) w.stream.deliver(w, mine, rev);
  }
}

/**
 * One client watch stream (one gRPC Watch call): many watchers, one ordered sink. Watch IDs are
 * per stream, as in etcd.
 */
export class WatchStream {
  private readonly watchers = new Map<number, Watcher>();
  /**
   * The watchers that are not synced, in the order they fell behind: a replay turn visits
   * these only (a turn that stops after a few messages must not walk every watcher).
   */
  private readonly unsynced = new Set<Watcher>();
  /**
   * Replay batches by start revision and selector, kept across turns while the store's
   * revision stays the same (a batch that reaches the head is only valid for that head):
   * watchers that fell behind together get the same batch, built once, even when the stream
   * blocks after a few messages and the rest follow on later turns.
   */
  private readonly batches = new Map<number, Map<string, ReplayBatch>>();
  private batchesRev = -1;
  private nextId = 0;
  private blocked = false;
  private replayScheduled = false;
  private progressPending = false;
  private isClosed = false;

  constructor(
    private readonly hub: WatchHub,
    private readonly sink: WatchSink,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Creates a watcher and sends its "created" response (or a created+canceled one with the
   * reason, as etcd does for a duplicate ID or an empty range). Returns the watch ID or -1.
   */
  watch(req: WatchRequest): number {
    const store = this.hub.store;
    const headerRev = store.rev;
    const fail = (reason: string): number => {
      this.send({
        watchId: -1,
        revision: headerRev,
        events: [],
        prevKv: false,
        created: true,
        canceled: true,
        cancelReason: reason,
      });
      return -1;
    };
    if (req.range.end !== undefined && req.range.end !== '' && req.range.key >= req.range.end) {
      return fail(ERR_EMPTY_WATCHER_RANGE);
    }
    let id = req.watchId ?? 0;
    if (id !== 0) {
      if (this.watchers.has(id)) return fail(ERR_WATCHER_DUPLICATE_ID);
    } else {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    const startRev = req.startRevision > 0 ? req.startRevision : headerRev + 1;
    const w = new Watcher(
      id,
      this,
      req.range,
      req.noPut ?? false,
      req.noDelete ?? false,
      req.prevKv ?? false,
      req.progressNotify ?? false,
      startRev,
    );
    this.watchers.set(id, w);
    this.hub.register(w);
    this.send({ watchId: id, revision: headerRev, events: [], prevKv: false, created: true });
    // Starting in the future or at the next revision: nothing to replay.
    w.synced = startRev > store.rev;
    if (!w.synced) {
      this.unsynced.add(w);
      this.scheduleReplay();
    }
    return id;
  }

  /** Cancels a watcher; sends the canceled response. Unknown IDs are ignored, as in etcd. */
  cancel(watchId: number): boolean {
    const w = this.watchers.get(watchId);
    if (w === undefined) return false;
    this.remove(w);
    this.send({
      watchId,
      revision: this.hub.store.rev,
      events: [],
      prevKv: false,
      canceled: true,
    });
    return true;
  }

  /**
   * A client progress request: answers with the current revision (watch ID -1) once every
   * watcher of the stream has caught up, so the revision is a promise that no older event is
   * still to come.
   */
  requestProgress(): void {
    this.progressPending = true;
    this.flushProgress();
  }

  /**
   * The periodic progress notification (etcd's --experimental-watch-progress-notify-interval):
   * every synced watcher created with progress_notify that sent nothing since the last tick gets
   * an empty response carrying the current revision.
   */
  progressTick(): void {
    const rev = this.hub.store.rev;
    for (const w of this.watchers.values()) {
      if (!w.progressNotify) continue;
      if (!w.active && w.synced && !this.blocked) {
        this.send({ watchId: w.id, revision: rev, events: [], prevKv: false });
      }
      w.active = false;
    }
  }

  /** The sink drained: replay what the watchers missed while it was backed up. */
  resume(): void {
    if (this.isClosed) return;
    this.blocked = false;
    this.scheduleReplay();
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const w of this.watchers.values()) this.hub.unregister(w);
    this.watchers.clear();
    this.unsynced.clear();
    this.batches.clear();
    this.hub.closed(this);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** @internal A commit's events for a synced watcher. */
  deliver(w: Watcher, events: MvccEvent[], rev: number): void {
    if (this.blocked) {
      // Synced so far, so this revision is the first one it misses; the replay after `resume`
      // sends it from the history.
      w.synced = false;
      w.nextRev = rev;
      this.unsynced.add(w);
      return;
    }
    w.nextRev = rev + 1;
    w.active = true;
    this.send({ watchId: w.id, revision: rev, events, prevKv: w.prevKv });
  }

  private remove(w: Watcher): void {
    this.watchers.delete(w.id);
    this.unsynced.delete(w);
    this.hub.unregister(w);
  }

  private send(message: WatchMessage): void {
    if (this.isClosed) return;
    this.hub.countSent();
    if (!this.sink.send(message)) this.blocked = true;
  }

  private scheduleReplay(): void {
    if (this.replayScheduled || this.isClosed) return;
    this.replayScheduled = true;
    this.hub.opts.schedule(() => {
      this.replayScheduled = false;
      this.replay();
    });
  }

  /** Sends unsynced watchers their missed events from the history, a bounded amount per turn. */
  private replay(): void {
    if (this.isClosed || this.blocked) return;
    const store = this.hub.store;
    let budget = this.hub.maxMessagesPerTurn;
    if (this.batchesRev !== store.rev) {
      // A batch that reached the old head is still a whole prefix of the history from its
      // start: kept, as one that does not sync its watcher (the rest follows next time).
      for (const atRev of this.batches.values()) {
        for (const [selector, b] of atRev) {
          if (b.synced) atRev.set(selector, { ...b, synced: false });
        }
      }
      this.batchesRev = store.rev;
    }
    const batches = this.batches;
    for (const w of this.unsynced) {
      if (budget <= 0 || this.blocked) break;
      while (!w.synced && budget > 0 && !this.blocked) {
        const compactRev = store.compactRev;
        if (w.nextRev < compactRev) {
          // etcd: the watcher's start revision is gone; tell the client and drop the watcher.
          this.remove(w);
          this.send({
            watchId: w.id,
            revision: store.rev,
            events: [],
            prevKv: false,
            compactRevision: compactRev,
            canceled: true,
          });
          budget--;
          break;
        }
        const batch = this.collect(w, batches);
        budget--;
        if (batch.events.length > 0) {
          w.active = true;
          this.send({
            watchId: w.id,
            revision: batch.revision,
            events: batch.events,
            prevKv: w.prevKv,
          });
        }
      }
      if (w.synced) this.unsynced.delete(w);
    }
    if (this.unsynced.size > 0) {
      this.pruneBatches();
      if (!this.blocked) this.scheduleReplay();
    } else {
      this.batches.clear();
      this.flushProgress();
    }
  }

  /**
   * Drops the batches of start revisions no unsynced watcher is at any more (they keep their
   * events and encoded bodies alive). Watchers cluster at a few positions, so this runs only
   * when more than a few are cached.
   */
  private pruneBatches(): void {
    if (this.batches.size <= 4) return;
    const live = new Set<number>();
    for (const w of this.unsynced) live.add(w.nextRev);
    for (const rev of this.batches.keys()) if (!live.has(rev)) this.batches.delete(rev);
  }

  /**
   * The next batch of history for `w`: whole revisions up to maxEventsPerMessage events.
   * Marks the watcher synced when the batch reaches the store's current revision.
   */
  private collect(w: Watcher, batches: Map<number, Map<string, ReplayBatch>>): ReplayBatch {
    let atRev = batches.get(w.nextRev);
    const known = atRev?.get(w.selector);
    if (known?.nextRev !== undefined) {
      w.nextRev = known.nextRev;
      if (known.synced) w.synced = true;
      return known;
    }
    const from = w.nextRev;
    const batch = this.collectFromHistory(w);
    if (batch.nextRev !== undefined) {
      if (atRev === undefined) batches.set(from, (atRev = new Map<string, ReplayBatch>()));
      atRev.set(w.selector, batch);
    }
    return batch;
  }

  private collectFromHistory(w: Watcher): ReplayBatch {
    const store = this.hub.store;
    const head = store.rev;
    const max = this.hub.maxEventsPerMessage;
    const events: MvccEvent[] = [];
    let lastRev = w.nextRev - 1;
    let cut = false;
    let scanned = 0;
    try {
      for (const e of store.eventsBetween(w.nextRev, head)) {
        const rev = e.kv.modRevision;
        // Cut only between revisions; also bound the scan when few events match.
        if (rev !== lastRev && (events.length >= max || scanned >= max * 16)) {
          cut = true;
          break;
        }
        scanned++;
        lastRev = rev;
        if (!w.accepts(e)) continue;
        if (!rangeContains(w.range, e.ks)) continue;
        events.push(e);
      }
    } catch (err) {
      if (!(err instanceof MvccError)) throw err;
      // Compacted meanwhile: the next round cancels it.
      return { events: [], revision: head, nextRev: undefined, synced: false };
    }
    if (cut) {
      w.nextRev = lastRev + 1;
      return { events, revision: lastRev, nextRev: w.nextRev, synced: false };
    }
    w.nextRev = head + 1;
    w.synced = true;
    return { events, revision: head, nextRev: w.nextRev, synced: true };
  }

  private flushProgress(): void {
    if (!this.progressPending || this.blocked || this.unsynced.size > 0) return;
    this.progressPending = false;
    this.send({
      watchId: PROGRESS_WATCH_ID,
      revision: this.hub.store.rev,
      events: [],
      prevKv: false,
    });
  }
}
