/**
 * One simulated server: a RawNode driven the way a production host drives it, with a
 * write-ahead log on a crashing SimDisk, messages encoded with the raft codec on a
 * SimNetwork, a key-value state machine, periodic snapshots with log compaction, and
 * client requests (proposals and ReadIndex reads).
 *
 * Disk writes are asynchronous: a Ready's records are appended at once, but the fsync
 * completes after a random delay; only then are its messages sent and its committed
 * entries applied, and advance() called. The node keeps receiving messages and ticks
 * meanwhile (stepping between ready() and advance()). A crash in that window loses the
 * unsynced records (possibly leaving a torn one).
 */
import type { KvOutput, Prng, SimDisk, SimNetwork, VirtualClock } from '@kubets/sim';
import type { ConfState, Message, RaftConfig, Ready } from '../../src/index.js';
import {
  decodeConfChange,
  decodeMessage,
  encodeMessage,
  EntryType,
  MessageType,
  ProposalDroppedError,
  RawNode,
  StateType,
} from '../../src/index.js';
import type { SafetyChecker } from './invariants.js';
import type { KvCommand } from './kv.js';
import { decodeCommand, encodeCommand, KvStateMachine } from './kv.js';
import { DurableLog } from './wal.js';
import type { MemoryStorage } from '../../src/index.js';

export const TICK_MS = 10;

export interface HostOptions {
  raft: Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied'>;
  /** Max fsync latency in ms (uniform in [0, max]). */
  maxSyncDelayMs: number;
  /** Take a state machine snapshot every this many applied entries. */
  snapshotEvery: number;
  /** Entries kept in the log before a snapshot index for slow followers. */
  compactionKeep: number;
}

type WriteWaiter = (out: KvOutput) => void;
type ReadWaiter = (value: string | null) => void;

export class NodeHost {
  readonly log: DurableLog;
  node!: RawNode;
  storage!: MemoryStorage;
  kv!: KvStateMachine;
  confState!: ConfState;
  appliedIndex = 0;
  alive = false;
  /** Permanently shut down (removed from the cluster). */
  retired = false;
  private incarnation = 0;
  private tickTimer: number | undefined;
  private busy = false;
  private lastSnapshotIndex = 0;
  private readonly writeWaiters = new Map<string, WriteWaiter>();
  private readonly readWaiters = new Map<string, { key: string; done: ReadWaiter }>();
  private pendingReads: { index: number; ctx: string }[] = [];
  private readonly textDecoder = new TextDecoder();
  restarts = 0;
  tornBytesRecovered = 0;

  constructor(
    readonly id: number,
    readonly disk: SimDisk,
    private readonly clock: VirtualClock,
    private readonly net: SimNetwork<Uint8Array>,
    private readonly prng: Prng,
    private readonly checker: SafetyChecker,
    private readonly opts: HostOptions,
  ) {
    this.log = new DurableLog(disk);
  }

  /** Starts (or restarts) the server from what its disk holds. */
  start(): void {
    if (this.alive) throw new Error(`node ${this.id} already running`);
    this.incarnation++;
    const loaded = this.log.load();
    this.tornBytesRecovered += loaded.tornBytes;
    this.storage = loaded.storage;
    const snap = this.storage.snapshot();
    this.kv = KvStateMachine.restore(snap.data);
    this.confState = snap.metadata.confState;
    this.appliedIndex = snap.metadata.index;
    this.lastSnapshotIndex = snap.metadata.index;
    this.checker.onStart(this.id, this.appliedIndex);
    const rng = this.prng.fork(`raft-${this.id}-${this.incarnation}`);
    this.node = new RawNode({
      ...this.opts.raft,
      id: this.id,
      storage: this.storage,
      random: () => rng.next(),
      applied: this.appliedIndex,
    });
    this.busy = false;
    this.pendingReads = [];
    this.alive = true;
    this.net.register(this.id, (_from, bytes) => this.onMessage(bytes));
    const inc = this.incarnation;
    // Random phase so nodes do not tick in lockstep.
    this.clock.setTimeout(() => {
      if (inc !== this.incarnation || !this.alive) return;
      this.tickTimer = this.clock.setInterval(() => this.onTick(), TICK_MS);
      this.onTick();
    }, this.prng.int(TICK_MS));
  }

  /** Power loss: unsynced writes are lost, in-memory state is gone. */
  crash(): void {
    if (!this.alive) return;
    this.alive = false;
    this.incarnation++;
    if (this.tickTimer !== undefined) this.clock.clearTimer(this.tickTimer);
    this.tickTimer = undefined;
    this.net.unregister(this.id);
    this.disk.crash();
    this.writeWaiters.clear();
    this.readWaiters.clear();
    this.restarts++;
  }

  /** Orderly shutdown of a removed node; it never comes back. */
  retire(): void {
    this.crash();
    this.retired = true;
  }

  private onTick(): void {
    if (!this.alive) return;
    this.node.tick();
    this.pump();
  }

  private onMessage(bytes: Uint8Array): void {
    if (!this.alive) return;
    const m = decodeMessage(bytes);
    this.node.step(m);
    this.pump();
  }

  // --- client requests --------------------------------------------------------------

  /** Proposes a write; `done` is called when this node applies it. False if refused now. */
  propose(cmd: KvCommand, done: WriteWaiter): boolean {
    if (!this.alive) return false;
    try {
      this.node.propose(encodeCommand(cmd));
    } catch (err) {
      if (err instanceof ProposalDroppedError) return false;
      throw err;
    }
    this.writeWaiters.set(`${cmd.c}:${cmd.s}`, done);
    this.pump();
    return true;
  }

  /** Linearizable read through ReadIndex. False if refused now. */
  read(ctx: string, key: string, done: ReadWaiter): boolean {
    if (!this.alive) return false;
    try {
      this.node.readIndex(new TextEncoder().encode(ctx));
    } catch (err) {
      if (err instanceof ProposalDroppedError) return false;
      throw err;
    }
    this.readWaiters.set(ctx, { key, done });
    this.pump();
    return true;
  }

  cancel(key: string): void {
    this.writeWaiters.delete(key);
    this.readWaiters.delete(key);
  }

  /** Proposes a membership change if this node leads; false otherwise. */
  proposeConfChange(cc: Parameters<RawNode['proposeConfChange']>[0]): boolean {
    if (!this.alive || !this.isLeader()) return false;
    try {
      this.node.proposeConfChange(cc);
    } catch (err) {
      if (err instanceof ProposalDroppedError) return false;
      throw err;
    }
    this.pump();
    return true;
  }

  isLeader(): boolean {
    return this.alive && this.node.status().raftState === StateType.Leader;
  }

  // --- the Ready loop -----------------------------------------------------------------

  private pump(): void {
    if (!this.alive || this.busy || !this.node.hasReady()) return;
    const rd = this.node.ready();
    this.busy = true;
    const status = this.node.status();
    if (status.raftState === StateType.Leader) {
      if (rd.softState !== null) this.checker.onLeader(this.id, status.term);
      this.checker.onLeaderAppend(this.id, this.storage, rd.entries);
    }
    if (rd.snapshot === null) this.log.append(rd.entries, rd.hardState);
    const needsSync = rd.mustSync || rd.snapshot !== null;
    const delay = needsSync ? this.prng.int(this.opts.maxSyncDelayMs + 1) : 0;
    const inc = this.incarnation;
    this.clock.setTimeout(() => {
      if (inc !== this.incarnation || !this.alive) return; // crashed meanwhile
      this.complete(rd, needsSync, status.term);
    }, delay);
  }

  private complete(rd: Ready, needsSync: boolean, termAtReady: number): void {
    // 1. Persist (the snapshot case rewrites the log atomically).
    if (rd.snapshot !== null) {
      this.storage.applySnapshot(rd.snapshot);
      this.storage.append(rd.entries);
      if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
      this.log.rewrite(
        rd.snapshot,
        this.storage.initialState().hardState,
        this.storedEntriesAfter(rd.snapshot.metadata.index),
      );
    } else {
      if (needsSync) this.log.sync();
      this.storage.append(rd.entries);
      if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
    }
    if (rd.softState?.raftState === StateType.Leader) {
      const st = this.node.status();
      if (st.raftState === StateType.Leader && st.term === termAtReady) {
        this.checker.onLeaderLog(this.id, st.term, this.storage);
      }
    }
    // 2. Send, only now that the state they depend on is durable.
    for (const m of rd.messages) this.send(m);
    // 3. Apply.
    if (rd.snapshot !== null) {
      this.kv = KvStateMachine.restore(rd.snapshot.data);
      this.confState = rd.snapshot.metadata.confState;
      this.appliedIndex = rd.snapshot.metadata.index;
      this.lastSnapshotIndex = this.appliedIndex;
      this.checker.onApplySnapshot(this.id, this.appliedIndex);
    }
    for (const e of rd.committedEntries) {
      this.checker.onApply(this.id, e);
      this.appliedIndex = e.index;
      if (e.type === EntryType.EntryConfChange) {
        this.confState = this.node.applyConfChange(decodeConfChange(e.data));
      } else if (e.data.length > 0) {
        const cmd = decodeCommand(e.data);
        const out = this.kv.apply(cmd);
        const key = `${cmd.c}:${cmd.s}`;
        const waiter = this.writeWaiters.get(key);
        if (waiter !== undefined && out !== undefined) {
          this.writeWaiters.delete(key);
          waiter(out);
        }
      }
    }
    for (const rs of rd.readStates) {
      this.pendingReads.push({ index: rs.index, ctx: this.textDecoder.decode(rs.requestCtx) });
    }
    this.node.advance();
    this.serveReads();
    this.maybeSnapshot();
    this.busy = false;
    this.pump();
  }

  private send(m: Message): void {
    this.net.send(this.id, m.to, encodeMessage(m));
    if (m.type === MessageType.MsgSnap) {
      // A stream transport learns whether the snapshot arrived; the sim approximates
      // that by whether the link is up at sending time.
      this.node.reportSnapshot(m.to, this.net.canDeliver(this.id, m.to) ? 'finish' : 'failure');
    }
  }

  private serveReads(): void {
    if (this.pendingReads.length === 0) return;
    const keep: { index: number; ctx: string }[] = [];
    for (const r of this.pendingReads) {
      if (r.index > this.appliedIndex) {
        keep.push(r);
        continue;
      }
      const w = this.readWaiters.get(r.ctx);
      if (w === undefined) continue;
      this.readWaiters.delete(r.ctx);
      w.done(this.kv.get(w.key));
    }
    this.pendingReads = keep;
  }

  private storedEntriesAfter(index: number) {
    const last = this.storage.lastIndex();
    return last > index ? this.storage.entries(index + 1, last + 1, Infinity) : [];
  }

  private maybeSnapshot(): void {
    if (this.appliedIndex - this.lastSnapshotIndex < this.opts.snapshotEvery) return;
    const index = this.appliedIndex;
    this.checker.onStateDigest(this.id, index, this.kv.digest());
    const snap = this.storage.createSnapshot(index, this.confState, this.kv.snapshot());
    const compactTo = index - this.opts.compactionKeep;
    if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
    this.log.rewrite(snap, this.storage.initialState().hardState, this.storedEntriesAfter(index));
    this.lastSnapshotIndex = index;
  }
}
