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
 * stream over its high-water mark): the hub then stops sending to that stream, keeps each
 * watcher's new events in memory (merged into one message per watcher, up to the message
 * bounds; past them the watcher replays from the history), and sends them when `resume()` is
 * called.
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
  /**
   * Upper bound for the events of one replayed or merged message (revisions are never split:
   * a single revision with more events goes out whole).
   */
  maxEventsPerMessage?: number;
  /**
   * Upper bound for the key and value bytes of one merged message (live events held for a
   * watcher while its stream is backed up or within one turn); past it the held events go out
   * and a new message starts. grpc-js clients refuse messages over 4 MiB by default.
   */
  maxBytesPerMessage?: number;
  /** Replayed messages sent per scheduling turn before yielding. */
  maxMessagesPerTurn?: number;
  /**
   * Runs `fn` after `ms` milliseconds (setTimeout in the server): the held-events flush that
   * follows a busy one waits with it (see busyFlushMessages). Without it every flush is at the
   * end of the turn.
   */
  delay?: (fn: () => void, ms: number) => void;
  /** Milliseconds clock for the busy hold; performance.now. */
  now?: () => number;
  /**
   * A flush that hands at least this many held messages to sinks marks the member busy with
   * watch output: the next flush waits until busyHoldMs after it, so each watcher's events of
   * that time leave as one message (fewer, larger messages cost the member and the client
   * less per event; etcd batches the same way once its watchers fall behind). A member whose
   * last flush was small, or long enough ago, still flushes at the end of the turn. 128.
   */
  busyFlushMessages?: number;
  /** How long after a busy flush the next one waits, in ms; 0 turns the hold off. 20. */
  busyHoldMs?: number;
}

/**
 * The default busyHoldMs: in the store bench's fan-out (1,000 watchers, 10 writers) 20 ms gave
 * 9-16 (median 15) events per message in watch-only runs and 18-22 in whole runs, against
 * 3.4-4.2 without the hold (etcd: 11-47), and 5 ms only 5; the fan-out's p99 stayed at
 * 0.25-0.66 of etcd's (decision 0046).
 */
const BUSY_HOLD_MS = 20;

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
  /**
   * Live events not yet sent, one array per revision (the arrays the commit fan-out shares
   * between watchers), while the watcher is synced: they go out as one message at the end of
   * the turn, or when a backed-up stream drains. The first revision's array, undefined when
   * nothing is held (no list for the common case of one revision per message)...
   */
  heldFirst: MvccEvent[] | undefined = undefined;
  /** ...and the later revisions' arrays, if any. */
  heldRest: MvccEvent[][] | undefined = undefined;
  heldEvents = 0;
  heldBytes = 0;
  /** The first held revision (where a replay starts if the held events are given up). */
  heldFrom = 0;
  /** The last held revision (the merged message's header revision). */
  heldRev = 0;

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
  readonly maxBytesPerMessage: number;
  readonly maxMessagesPerTurn: number;
  /** Messages handed to sinks since the last `takeSentCount()`. */
  private sent = 0;
  /** Streams with held live events to send at the next flush (end of turn or of a hold). */
  private readonly toFlush = new Set<WatchStream>();
  private flushScheduled = false;
  readonly busyFlushMessages: number;
  readonly busyHoldMs: number;
  private readonly now: () => number;
  /** Until when (the `now` clock) a flush waits, after a busy one. */
  private busyUntil = -Infinity;
  /**
   * Merged held events by their first revision's array and the watchers' selector: watchers
   * that fell behind together (every watcher of a backed-up stream, and the same watchers on
   * other streams) hold the same arrays, so their merged message is built (and encoded) once.
   * Keyed weakly by the first array: the entry lives only as long as some watcher holds it.
   */
  private readonly merges = new WeakMap<readonly MvccEvent[], Map<string, MergedEvents>>();

  constructor(
    readonly store: MvccStore,
    readonly opts: WatchHubOptions,
  ) {
    this.maxEventsPerMessage = opts.maxEventsPerMessage ?? 1000;
    this.maxBytesPerMessage = opts.maxBytesPerMessage ?? 1024 * 1024;
    this.maxMessagesPerTurn = opts.maxMessagesPerTurn ?? 64;
    this.busyFlushMessages = opts.busyFlushMessages ?? 128;
    this.busyHoldMs = opts.delay === undefined ? 0 : (opts.busyHoldMs ?? BUSY_HOLD_MS);
    this.now = opts.now ?? (() => performance.now());
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

  /**
   * @internal A stream now holds live events: send them at the end of this turn, or, within
   * busyHoldMs of a busy flush, when that time is up.
   */
  flushLater(stream: WatchStream): void {
    this.toFlush.add(stream);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const wait = this.busyUntil - this.now();
    if (wait > 0) this.opts.delay!(this.flush, wait);
    else this.opts.schedule(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const streams = [...this.toFlush];
    this.toFlush.clear();
    let sent = 0;
    for (const s of streams) sent += s.flushHeld();
    if (this.busyHoldMs > 0 && sent >= this.busyFlushMessages) {
      this.busyUntil = this.now() + this.busyHoldMs;
    }
  };

  /**
   * @internal The events of `first` and `rest` (whole revisions, in order) as one array, the
   * same array for every watcher with this selector that holds the same revisions.
   */
  merged(
    selector: string,
    first: readonly MvccEvent[],
    rest: readonly MvccEvent[][],
    count: number,
  ): readonly MvccEvent[] {
    const last = rest[rest.length - 1]!;
    let bySelector = this.merges.get(first);
    const known = bySelector?.get(selector);
    // Same first array and selector: the same revisions from there on, so the same count
    // means the same events (the last array is checked too, cheaply).
    if (known !== undefined && known.count === count && known.last === last) return known.events;
    const events: MvccEvent[] = [...first];
    for (const list of rest) for (const e of list) events.push(e);
    if (bySelector === undefined)
      this.merges.set(first, (bySelector = new Map<string, MergedEvents>()));
    bySelector.set(selector, { last, count, events });
    return events;
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

interface MergedEvents {
  readonly last: readonly MvccEvent[];
  readonly count: number;
  readonly events: readonly MvccEvent[];
}

/** The key and value bytes of `events` (the bound for merged messages). */
function eventBytes(events: readonly MvccEvent[], prevKv: boolean): number {
  let n = 0;
  for (const e of events) {
    n += e.kv.key.length + e.kv.value.length;
    if (prevKv && e.prevKv !== undefined) n += e.prevKv.key.length + e.prevKv.value.length;
  }
  return n;
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
   * The watchers holding live events, in the order they started holding (an entry whose
   * watcher has sent or dropped its events since is skipped), and how many hold now.
   */
  private holding: Watcher[] = [];
  private holdingCount = 0;
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

  /**
   * Cancels a watcher; sends the canceled response, after the live events it still holds.
   * Unknown IDs are ignored, as in etcd.
   */
  cancel(watchId: number): boolean {
    const w = this.watchers.get(watchId);
    if (w === undefined) return false;
    if (w.heldFirst !== undefined) this.sendHeld(w);
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

  /**
   * The sink drained: send the live events held while it was backed up (one message per
   * watcher) and replay what the watchers that gave theirs up missed.
   */
  resume(): void {
    if (this.isClosed) return;
    this.blocked = false;
    if (this.holdingCount > 0) this.hub.flushLater(this);
    this.scheduleReplay();
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const w of this.watchers.values()) this.hub.unregister(w);
    this.watchers.clear();
    this.unsynced.clear();
    this.holding = [];
    this.holdingCount = 0;
    this.batches.clear();
    this.hub.closed(this);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * @internal A commit's events for a synced watcher: held, and sent at the end of the turn
   * together with the watcher's other events of this turn (a member applies a Ready's
   * committed entries in one go), or, within busyHoldMs of a busy flush, with its events of
   * that time, or, while the stream is backed up, when it drains. Merging
   * whole revisions into one message is what etcd's sync path does too; a client pays per
   * message, so fewer, larger messages are cheaper for it.
   */
  deliver(w: Watcher, events: MvccEvent[], rev: number): void {
    w.active = true;
    const bytes = eventBytes(events, w.prevKv);
    if (
      w.heldFirst !== undefined &&
      (w.heldEvents + events.length > this.hub.maxEventsPerMessage ||
        w.heldBytes + bytes > this.hub.maxBytesPerMessage)
    ) {
      if (this.blocked) {
        // Backed up for more than a message's worth: the held events are given up and replayed
        // from the history after `resume` (memory stays bounded per watcher; etcd's "victim"
        // watchers resync from the store too).
        this.dropHeld(w);
        w.synced = false;
        w.nextRev = w.heldFrom;
        this.unsynced.add(w);
        return;
      }
      this.sendHeld(w);
    }
    w.nextRev = rev + 1;
    if (w.heldFirst === undefined) {
      w.heldFirst = events;
      w.heldEvents = events.length;
      w.heldBytes = bytes;
      w.heldFrom = rev;
      w.heldRev = rev;
      this.holding.push(w);
      // One flush per stream and turn: scheduled by the first watcher that holds (while the
      // stream is backed up, `resume` schedules it).
      if (this.holdingCount++ === 0 && !this.blocked) this.hub.flushLater(this);
      // Counted now: the message leaves later in this turn.
      this.hub.countSent();
      return;
    }
    (w.heldRest ??= []).push(events);
    w.heldEvents += events.length;
    w.heldBytes += bytes;
    w.heldRev = rev;
  }

  /** @internal Sends every held message, in order, until the sink is backed up; returns how many. */
  flushHeld(): number {
    if (this.isClosed || this.blocked) return 0;
    const list = this.holding;
    let i = 0;
    let sent = 0;
    while (i < list.length && !this.blocked) {
      const w = list[i++]!;
      // Sent early (cancel, or a full message) or given up since: nothing to do.
      if (w.heldFirst !== undefined) {
        this.sendHeld(w);
        sent++;
      }
    }
    if (i === list.length) list.length = 0;
    else this.holding = list.slice(i);
    if (this.holdingCount === 0) this.flushProgress();
    return sent;
  }

  /** A watcher's held events as one message (whole revisions, in order). */
  private sendHeld(w: Watcher): void {
    const first = w.heldFirst!;
    const rest = w.heldRest;
    this.dropHeld(w);
    const events =
      rest === undefined ? first : this.hub.merged(w.selector, first, rest, w.heldEvents);
    this.send({ watchId: w.id, revision: w.heldRev, events, prevKv: w.prevKv }, false);
  }

  /** Forgets a watcher's held events (its entry in `holding` is skipped from now on). */
  private dropHeld(w: Watcher): void {
    if (w.heldFirst === undefined) return;
    w.heldFirst = undefined;
    w.heldRest = undefined;
    this.holdingCount--;
  }

  private remove(w: Watcher): void {
    this.watchers.delete(w.id);
    this.unsynced.delete(w);
    this.dropHeld(w);
    this.hub.unregister(w);
  }

  /** `count`: false for a held message, counted when it was started (see deliver). */
  private send(message: WatchMessage, count = true): void {
    if (this.isClosed) return;
    if (count) this.hub.countSent();
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
    const maxBytes = this.hub.maxBytesPerMessage;
    const events: MvccEvent[] = [];
    let lastRev = w.nextRev - 1;
    let cut = false;
    let scanned = 0;
    // Key and value bytes (prev_kv not counted: a batch is shared by watchers with and without
    // it, so its cut points must not depend on it).
    let bytes = 0;
    try {
      for (const e of store.eventsBetween(w.nextRev, head)) {
        const rev = e.kv.modRevision;
        // Cut only between revisions; also bound the scan when few events match.
        if (rev !== lastRev && (events.length >= max || bytes >= maxBytes || scanned >= max * 16)) {
          cut = true;
          break;
        }
        scanned++;
        lastRev = rev;
        if (!w.accepts(e)) continue;
        if (!rangeContains(w.range, e.ks)) continue;
        events.push(e);
        bytes += e.kv.key.length + e.kv.value.length;
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
    if (!this.progressPending || this.blocked || this.unsynced.size > 0 || this.holdingCount > 0) {
      return;
    }
    this.progressPending = false;
    this.send({
      watchId: PROGRESS_WATCH_ID,
      revision: this.hub.store.rev,
      events: [],
      prevKv: false,
    });
  }
}
