import {
  EntryType,
  MessageType,
  RawNode,
  StateType,
  decodeConfChange,
  type ConfChange,
  type ConfState,
  type Entry,
  type MemoryStorage,
  type Message,
  type RaftConfig,
  type ReadState,
  type Ready,
  type SnapshotMetadata,
  type SoftState,
  type Status,
} from '@kubets/raft';
import { SnapshotAbortedError, type SlicedEncoding } from '../apply/encode-slices.js';
import type { RaftLog } from '../storage/raft-log.js';

/** What the Raft host loop asks of the server that owns it. */
export interface RaftNodeHooks {
  /** Leader or role changed. */
  onSoftState(state: SoftState, term: number): void;
  /** A committed normal entry, in log order. */
  applyEntry(entry: Entry): void;
  /** A committed membership change, after Raft applied it; `confState` is the new configuration. */
  applyConfChange(entry: Entry, cc: ConfChange, confState: ConfState): void;
  /** A snapshot from the leader replaces the state machine. */
  restoreSnapshot(metadata: SnapshotMetadata, state: Uint8Array): void;
  /** A ReadIndex answer. */
  onReadState(rs: ReadState): void;
  /**
   * The state machine's encoding at the last applied entry, for a local snapshot: captured at
   * the call, produced slice by slice while entries go on being applied (see encodeInSlices).
   */
  encodeState(): SlicedEncoding;
  /** Messages to deliver to peers (already persisted state backs them). */
  send(messages: readonly Message[]): void;
  /** The durable log failed: the process must stop (nothing can be acknowledged any more). */
  onFatal(err: Error): void;
  /** After each Ready was processed (metrics, waking waiters). */
  afterReady?(rd: Ready): void;
  /**
   * Whether blocking the event loop for a small WAL write is cheap now: false while the
   * process is pushing a lot of output (watch fan-out), which a blocked loop would stall.
   * Undefined: always.
   */
  mayWriteInline?(): boolean;
  /** A batch of committed entries was applied, taking `seconds`. */
  onApplied?(seconds: number, entries: number): void;
  /** A local snapshot was written, taking `seconds`. */
  onSnapshotSaved?(seconds: number, index: number): void;
}

export interface RaftNodeOptions {
  config: Omit<RaftConfig, 'storage'>;
  storage: MemoryStorage;
  log: RaftLog;
  hooks: RaftNodeHooks;
  /** Take a snapshot every this many applied entries (etcd's --snapshot-count). */
  snapshotCount: number;
  /** Entries kept in memory behind a snapshot for slow followers (etcd: 5000). */
  catchUpEntries?: number;
  /** Initial membership (from the snapshot the node starts from). */
  confState: ConfState;
  /** Index of the snapshot the node starts from. */
  snapshotIndex: number;
  /** Term of the last entry the state machine has applied (with `config.applied`). */
  appliedTerm: number;
}

/**
 * Messages that may leave before this Ready is synced: forwarded proposals and ReadIndex
 * requests (from any member: they carry no term and promise nothing), and a leader's appends,
 * heartbeats and snapshots.
 */
function sendBeforeSync(m: Message, leader: boolean): boolean {
  switch (m.type) {
    case MessageType.MsgProp:
    case MessageType.MsgReadIndex:
      return true;
    case MessageType.MsgApp:
    case MessageType.MsgHeartbeat:
    case MessageType.MsgSnap:
      return leader;
    default:
      return false;
  }
}

/**
 * Readys with at most this many entries are written on the event-loop thread (when the WAL can);
 * bigger batches go through the thread pool. One client's writes come one entry per Ready;
 * a dozen concurrent clients already fill Readys with several.
 */
export const INLINE_WRITE_MAX_ENTRIES = 4;
/** ... and at most this many bytes of entry data (a big entry would hold the loop up). */
export const INLINE_WRITE_MAX_BYTES = 64 * 1024;

function inlineWrite(entries: readonly Entry[]): boolean {
  if (entries.length > INLINE_WRITE_MAX_ENTRIES) return false;
  let bytes = 0;
  for (const e of entries) bytes += e.data.length;
  return bytes <= INLINE_WRITE_MAX_BYTES;
}

/** Resolves after the current event-loop turn's I/O writes went out (setImmediate). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Drives a RawNode: the Ready loop (apply committed, persist, send, advance), ticks, proposals, reads
 * and local snapshots. One loop runs at a time; while it waits for an fdatasync, new proposals
 * queue inside Raft and go out together in the next Ready — that is the group commit.
 */
export class RaftNode {
  readonly raw: RawNode;
  private readonly storage: MemoryStorage;
  private readonly log: RaftLog;
  private readonly hooks: RaftNodeHooks;
  private running = false;
  private stopped = false;
  private wakeScheduled = false;
  private confState: ConfState;
  private appliedIndex: number;
  private appliedTerm = 0;
  private snapshotIndex: number;
  private snapshotting: Promise<void> | undefined;
  /** The encoding a local snapshot in progress is reading. */
  private encoding: SlicedEncoding | undefined;
  private idle: Array<() => void> = [];

  constructor(private readonly opts: RaftNodeOptions) {
    this.storage = opts.storage;
    this.log = opts.log;
    this.hooks = opts.hooks;
    this.confState = opts.confState;
    this.snapshotIndex = opts.snapshotIndex;
    this.appliedIndex = opts.config.applied ?? 0;
    this.appliedTerm = opts.appliedTerm;
    this.raw = new RawNode({ ...opts.config, storage: opts.storage });
  }

  get applied(): number {
    return this.appliedIndex;
  }

  get configuration(): ConfState {
    return this.confState;
  }

  status(): Status {
    return this.raw.status();
  }

  tick(): void {
    if (this.stopped) return;
    this.raw.tick();
    this.wake();
  }

  /** Proposes a normal entry; throws ProposalDroppedError if Raft refuses it. */
  propose(data: Uint8Array): void {
    this.raw.propose(data);
    this.wake();
  }

  proposeConfChange(cc: ConfChange): void {
    this.raw.proposeConfChange(cc);
    this.wake();
  }

  readIndex(ctx: Uint8Array): void {
    this.raw.readIndex(ctx);
    this.wake();
  }

  step(m: Message): void {
    if (this.stopped) return;
    this.raw.step(m);
    this.wake();
  }

  campaign(): void {
    this.raw.campaign();
    this.wake();
  }

  transferLeadership(to: number): void {
    this.raw.transferLeadership(to);
    this.wake();
  }

  reportUnreachable(id: number): void {
    if (this.stopped) return;
    this.raw.reportUnreachable(id);
    this.wake();
  }

  reportSnapshot(id: number, ok: boolean): void {
    if (this.stopped) return;
    this.raw.reportSnapshot(id, ok ? 'finish' : 'failure');
    this.wake();
  }

  /** Schedules the Ready loop (coalesced: many wakes, one run). */
  wake(): void {
    if (this.running || this.wakeScheduled || this.stopped) return;
    this.wakeScheduled = true;
    queueMicrotask(() => {
      this.wakeScheduled = false;
      void this.run();
    });
  }

  /** Resolves once the loop has nothing to do (tests and shutdown). */
  async settle(): Promise<void> {
    while (this.running || this.wakeScheduled || (!this.stopped && this.raw.hasReady())) {
      this.wake();
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
    await this.snapshotting;
  }

  async stop(): Promise<void> {
    // A local snapshot being encoded is dropped: the previous snapshot and the WAL behind it
    // still hold everything, and waiting for a large encode would hold up the shutdown.
    this.encoding?.abort();
    await this.settle().catch(() => undefined);
    this.stopped = true;
    await this.snapshotting;
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (!this.stopped && this.raw.hasReady()) {
        await this.process(this.raw.ready());
      }
    } catch (err) {
      this.stopped = true;
      this.hooks.onFatal(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.running = false;
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
    }
  }

  private async process(rd: Ready): Promise<void> {
    // Read before any await: the role this Ready was produced in.
    const leader = this.raw.basicStatus().raftState === StateType.Leader;
    if (rd.softState !== null)
      this.hooks.onSoftState(rd.softState, rd.hardState?.term ?? this.raw.status().term);

    // 1. A snapshot from the leader: persisted, then it replaces the state machine.
    if (rd.snapshot !== null) {
      // A local snapshot still being encoded reads the state machine this one replaces.
      this.encoding?.abort();
      await this.snapshotting;
      await this.log.saveSnapshot(rd.snapshot.metadata, rd.snapshot.data);
      this.storage.applySnapshot({ data: new Uint8Array(0), metadata: rd.snapshot.metadata });
      this.snapshotIndex = rd.snapshot.metadata.index;
      this.hooks.restoreSnapshot(rd.snapshot.metadata, rd.snapshot.data);
      this.confState = rd.snapshot.metadata.confState;
      this.appliedIndex = rd.snapshot.metadata.index;
      this.appliedTerm = rd.snapshot.metadata.term;
    }

    // 2. Messages leave before anything else is done with this Ready, so peers work in
    // parallel with this member's apply and fsync.
    // Without new entries or a new term/vote to persist (no mustSync), every message may go:
    // what they promise (acknowledged indexes, the commit index) is durable already.
    // With them, a leader still sends its appends and heartbeats before its own fsync (Raft
    // thesis §10.2.1, as etcd's raft loop does), so followers persist in parallel with it
    // instead of after it. Safe because these promise nothing about the leader's disk, and the
    // leader counts its own copy of an entry towards the commit quorum only once it is synced
    // (advance()). A follower forwards proposals and ReadIndex requests at once too.
    // One exception: a follower's acknowledgements in a Ready that applies entries and persists
    // nothing new (the answer to a commit-only append) wait for the answers to this member's
    // clients: they acknowledge entries the leader already counted, and their write wakes the
    // leader, which on a busy machine can take the CPU this member needs to answer.
    let later: readonly Message[] = [];
    let afterAnswers: Message[] | undefined;
    if (!rd.mustSync) {
      if (!leader && rd.committedEntries.length > 0 && rd.messages.length > 0) {
        const now: Message[] = [];
        for (const m of rd.messages)
          (m.type === MessageType.MsgAppResp ? (afterAnswers ??= []) : now).push(m);
        if (now.length > 0) this.hooks.send(now);
      } else if (rd.messages.length > 0) {
        this.hooks.send(rd.messages);
      }
    } else if (rd.messages.length > 0) {
      const early: Message[] = [];
      const rest: Message[] = [];
      for (const m of rd.messages) (sendBeforeSync(m, leader) ? early : rest).push(m);
      if (early.length > 0) this.hooks.send(early);
      later = rest;
    }

    // 3. Apply committed entries before waiting for this Ready's fsync, as etcd's raft loop
    // does: committed entries are already durable on a quorum, so their clients need not wait
    // for the next batch's fsync. (A single member counts itself only once it persisted.)
    if (rd.committedEntries.length > 0) {
      const started = performance.now();
      this.applyCommitted(rd.committedEntries);
      this.hooks.onApplied?.((performance.now() - started) / 1000, rd.committedEntries.length);
    }
    for (const rs of rd.readStates) this.hooks.onReadState(rs);
    // After the check phase's turn: the gRPC layer writes the answers of the entries applied
    // above from process.nextTick (or, node:http2, a native immediate queued before this one).
    if (afterAnswers !== undefined) {
      const msgs = afterAnswers;
      setImmediate(() => {
        if (!this.stopped) this.hooks.send(msgs);
      });
    }

    // 4. Persist new entries and the hard state.
    this.log.save(rd.hardState, rd.entries);
    this.storage.append(rd.entries);
    if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
    if (rd.mustSync) {
      // A small write happens on this thread when the WAL can (decision 0019): under light
      // load the loop has nothing else to do while it waits, and a thread-pool round trip
      // costs more CPU than the write. A big batch means requests are queueing, and heavy
      // watch output means sockets to refill: then the thread pool lets this thread parse,
      // apply and send while the disk works. Whatever this
      // turn queued for sockets leaves first (appends sent early, responses and watch events
      // of the entries applied above, other requests' responses): Node writes HTTP/2 frames
      // in the check phase, so the write waits for it (setImmediate runs after it) rather
      // than holding them back behind the disk.
      // A Ready that applied nothing and released no reads left nothing behind for the
      // sockets (its early messages are written inside send()): its write starts at once, not
      // a loop turn later. That is a follower's Ready for a new append, whose write and
      // acknowledgement are on every put's critical path (decision 0030).
      const inline = inlineWrite(rd.entries) && (this.hooks.mayWriteInline?.() ?? true);
      const leftOutput =
        rd.committedEntries.length > 0 || rd.readStates.length > 0 || rd.snapshot !== null;
      if (inline && leftOutput && this.log.canSyncNow()) await nextTurn();
      if (!inline || !this.log.syncNow()) await this.log.sync();
    }

    // 5. Send the rest: everything those messages promise (vote grants, append
    // acknowledgements) is durable now.
    if (later.length > 0) this.hooks.send(later);

    this.raw.advance();
    this.hooks.afterReady?.(rd);
    this.maybeSnapshot();
  }

  private applyCommitted(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index <= this.appliedIndex) {
        // Already in the state machine (covered by the snapshot it was restored from).
        if (e.type === EntryType.EntryConfChange)
          this.raw.applyConfChange(decodeConfChange(e.data));
        continue;
      }
      if (e.type === EntryType.EntryConfChange) {
        const cc = decodeConfChange(e.data);
        this.confState = this.raw.applyConfChange(cc);
        this.hooks.applyConfChange(e, cc, this.confState);
      } else {
        this.hooks.applyEntry(e);
      }
      this.appliedIndex = e.index;
      this.appliedTerm = e.term;
    }
  }

  /** Takes a local snapshot when enough entries were applied since the last one. */
  private maybeSnapshot(): void {
    if (this.snapshotting !== undefined) return;
    if (this.appliedIndex - this.snapshotIndex < this.opts.snapshotCount) return;
    void this.snapshotNow();
  }

  /**
   * The state machine encoding of the snapshot at `index`, read back from its file (waiting for
   * a snapshot still being written). Raft's in-memory storage keeps only snapshot metadata.
   */
  async snapshotState(index: number): Promise<Uint8Array> {
    await this.snapshotting;
    const entry = (await this.log.snapshots.list()).find((s) => s.index === index);
    if (entry === undefined) throw new Error(`no snapshot file for index ${index}`);
    return (await this.log.snapshots.load(entry.name)).state;
  }

  /**
   * Snapshots the state machine at the applied index in the background: the encoding runs in
   * slices between turns and streams into the snapshot file (decision 0047).
   */
  snapshotNow(): Promise<void> {
    if (this.snapshotting !== undefined) return this.snapshotting;
    const index = this.appliedIndex;
    if (index <= this.snapshotIndex) return Promise.resolve();
    const metadata: SnapshotMetadata = { index, term: this.appliedTerm, confState: this.confState };
    const started = performance.now();
    const encoding = this.hooks.encodeState();
    this.encoding = encoding;
    this.storage.createSnapshot(index, this.confState, new Uint8Array(0));
    this.snapshotIndex = index;
    this.snapshotting = this.log
      .saveSnapshot(metadata, encoding)
      .then(() => {
        this.hooks.onSnapshotSaved?.((performance.now() - started) / 1000, index);
        // Keep some entries behind the snapshot so slow followers catch up from the log.
        const compactTo = index - (this.opts.catchUpEntries ?? 5000);
        if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
      })
      .catch((err: unknown) => {
        // Aborted for a leader's snapshot or a shutdown: nothing was lost, the file is gone.
        if (err instanceof SnapshotAbortedError) return;
        this.stopped = true;
        this.hooks.onFatal(err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => {
        this.snapshotting = undefined;
        this.encoding = undefined;
      });
    return this.snapshotting;
  }
}
