import { encodeConfChange } from './codec.js';
import type { RaftConfig } from './config.js';
import { resolveConfig } from './config.js';
import { ProposalDroppedError, RaftContractError } from './errors.js';
import type { RaftMetrics } from './metrics.js';
import { Raft } from './raft.js';
import type { BasicStatus, Status } from './status.js';
import { getStatus } from './status.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  ReadState,
  Snapshot,
  SnapshotStatus,
  SoftState,
} from './types.js';
import {
  EntryType,
  hardStateEqual,
  isLocalMessage,
  isResponseMessage,
  makeMessage,
  MESSAGE_TYPE_COUNT,
  messageTypeName,
  MessageType,
  NONE,
  payloadSize,
} from './types.js';

/**
 * A batch of work for the host. Process it in this order, then call `advance()`:
 *
 * 1. Persist `snapshot` (if any), then `entries` (replacing any stored entries at or after
 *    the first one's index), then `hardState` (if any). Sync to stable storage when
 *    `mustSync` is true.
 * 2. Send `messages` — only after step 1 is durable: vote grants and append
 *    acknowledgements promise that their data survives a crash.
 * 3. Apply `snapshot` (if any) and then `committedEntries`, in order, to the state
 *    machine. For each entry of type EntryConfChange, call `RawNode.applyConfChange`
 *    with the decoded change (`decodeConfChange(entry.data)`).
 * 4. Serve reads in `readStates` once the applied index reaches their index.
 * 5. Call `advance()`.
 */
export interface Ready {
  /** Leader and role, when changed since the previous Ready; otherwise null. */
  readonly softState: SoftState | null;
  /** Term, vote and commit to persist, when changed; otherwise null. */
  readonly hardState: HardState | null;
  readonly readStates: readonly ReadState[];
  /** New log entries to persist. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, to persist and apply; otherwise null. */
  readonly snapshot: Snapshot | null;
  /** Entries committed by the cluster, to apply in order. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send once the state above is persisted. */
  readonly messages: readonly Message[];
  /** Whether the writes of step 1 must be synced (fsync) before step 2. */
  readonly mustSync: boolean;
}

/**
 * The host-facing Raft node: a synchronous, single-threaded state machine (etcd's
 * RawNode). The host calls `tick()` at a fixed interval, feeds peer messages to `step()`,
 * and drains work with `hasReady()` / `ready()` / `advance()`.
 */
export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private outstanding: Ready | null = null;
  /** Conf change entries in the outstanding Ready not yet passed to applyConfChange. */
  private confChangesToApply = 0;
  private lastKnownLeader = NONE;

  constructor(config: RaftConfig) {
    this.raft = new Raft(resolveConfig(config));
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): number {
    return this.raft.id;
  }

  /** Advances the logical clock by one tick (elections, heartbeats, CheckQuorum). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with a pre-vote round if PreVote is enabled). */
  campaign(): void {
    this.raft.step(makeMessage({ type: MessageType.MsgHup, from: this.raft.id }));
  }

  /**
   * Proposes data to be appended to the log. On a follower the proposal is forwarded to
   * the leader. Throws {@link ProposalDroppedError} when it is refused; acceptance does
   * not guarantee commitment (the host learns that from committed entries).
   */
  propose(data: Uint8Array): void {
    this.proposeEntries([{ term: 0, index: 0, type: EntryType.EntryNormal, data }]);
  }

  /** Proposes several payloads as one batch (one log append, one MsgApp per follower). */
  proposeBatch(data: readonly Uint8Array[]): void {
    if (data.length === 0) throw new RaftContractError('proposeBatch needs at least one entry');
    this.proposeEntries(
      data.map((d) => ({ term: 0, index: 0, type: EntryType.EntryNormal, data: d })),
    );
  }

  /**
   * Proposes a membership change. Only one may be pending at a time; the leader refuses
   * others (ProposalDroppedError when proposed on the leader itself; a forwarded one
   * becomes a no-op entry).
   */
  proposeConfChange(cc: ConfChange): void {
    for (const c of cc.changes) {
      if (!Number.isSafeInteger(c.nodeId) || c.nodeId < 0) {
        throw new RaftContractError(`invalid node id ${c.nodeId} in conf change`);
      }
    }
    this.proposeEntries([
      { term: 0, index: 0, type: EntryType.EntryConfChange, data: encodeConfChange(cc) },
    ]);
  }

  private proposeEntries(entries: Entry[]): void {
    for (const e of entries) {
      if (!(e.data instanceof Uint8Array)) {
        throw new RaftContractError('proposal data must be a Uint8Array');
      }
    }
    this.raft.step(makeMessage({ type: MessageType.MsgProp, from: this.raft.id, entries }));
  }

  /**
   * Applies a committed membership change (call it while applying the entry) and returns
   * the resulting configuration, which the host stores with its snapshots.
   */
  applyConfChange(cc: ConfChange): ConfState {
    if (this.confChangesToApply > 0) this.confChangesToApply--;
    return this.raft.applyConfChange(cc);
  }

  /**
   * Feeds a message received from a peer. Local-only message types are refused; messages
   * addressed to another node are a routing bug. Responses from nodes no longer in the
   * configuration, and proposals this node cannot take, are dropped silently.
   */
  step(m: Message): void {
    if (!Number.isInteger(m.type) || m.type < 0 || m.type >= MESSAGE_TYPE_COUNT) {
      throw new RaftContractError(`unknown message type ${String(m.type)}`);
    }
    if (isLocalMessage(m.type)) {
      throw new RaftContractError(
        `cannot step local message ${messageTypeName(m.type)} received from the network`,
      );
    }
    if (m.to !== this.raft.id) {
      throw new RaftContractError(
        `message ${messageTypeName(m.type)} from ${m.from} is addressed to ${m.to}, not to this node (${this.raft.id})`,
      );
    }
    if (isResponseMessage(m.type) && !this.raft.tracker.progress.has(m.from)) return;
    this.raft.metrics.messagesReceived++;
    try {
      this.raft.step(m);
    } catch (err) {
      // A forwarded proposal or read reaching a node that cannot take it is not the
      // network's fault; the originator times out and retries.
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
  }

  /**
   * Requests a linearizable read. `ctx` must be unique among outstanding requests; the
   * answer arrives as a ReadState with the same ctx in a later Ready. Throws
   * ProposalDroppedError if no leader is known. Without an answer (leader change,
   * message loss) the host must time out and retry.
   */
  readIndex(ctx: Uint8Array): void {
    if (ctx.length === 0)
      throw new RaftContractError('readIndex needs a non-empty request context');
    this.raft.step(
      makeMessage({ type: MessageType.MsgReadIndex, from: this.raft.id, context: ctx }),
    );
  }

  /** Asks the leader to hand leadership to `transferee` (aborted after an election timeout). */
  transferLeadership(transferee: number): void {
    this.raft.step(makeMessage({ type: MessageType.MsgTransferLeader, from: transferee }));
  }

  /** Tells the leader that the last message to `id` probably did not arrive. */
  reportUnreachable(id: number): void {
    this.raft.step(makeMessage({ type: MessageType.MsgUnreachable, from: id }));
  }

  /** Tells the leader whether the snapshot it sent to `id` was delivered. */
  reportSnapshot(id: number, status: SnapshotStatus): void {
    this.raft.step(
      makeMessage({ type: MessageType.MsgSnapStatus, from: id, reject: status === 'failure' }),
    );
  }

  /** Whether a Ready with work is available (false while one is outstanding). */
  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    const r = this.raft;
    if (r.appendsPending) return true;
    if (r.lead !== this.prevSoftState.lead || r.state !== this.prevSoftState.raftState) return true;
    if (
      r.term !== this.prevHardState.term ||
      r.vote !== this.prevHardState.vote ||
      r.log.committed !== this.prevHardState.commit
    ) {
      return true;
    }
    return (
      r.msgs.length > 0 ||
      r.log.unstable.entries.length > 0 ||
      r.log.unstable.snapshot !== null ||
      r.log.hasNextCommittedEntries() ||
      r.readStates.length > 0
    );
  }

  /**
   * Takes the pending work. Must be followed by `advance()` before the next `ready()`;
   * `step`, `tick` and proposals may be called in between.
   */
  ready(): Ready {
    if (this.outstanding !== null) {
      throw new RaftContractError('ready() called again before advance() of the previous Ready');
    }
    const r = this.raft;
    r.flushAppends();
    const ss = r.softState();
    const softChanged =
      ss.lead !== this.prevSoftState.lead || ss.raftState !== this.prevSoftState.raftState;
    const hs = r.hardState();
    const hardChanged = !hardStateEqual(hs, this.prevHardState);
    const entries = r.log.unstable.entries.slice();
    const snapshot = r.log.unstable.snapshot;
    const committedEntries = r.log.nextCommittedEntries();
    const messages = r.msgs;
    r.msgs = [];
    const readStates = r.readStates;
    r.readStates = [];

    let confChanges = 0;
    for (const e of committedEntries) if (e.type === EntryType.EntryConfChange) confChanges++;
    this.confChangesToApply = confChanges;
    r.metrics.messagesSent += messages.length;
    if (softChanged && ss.lead !== NONE && ss.lead !== this.lastKnownLeader) {
      this.lastKnownLeader = ss.lead;
      r.metrics.leaderChanges++;
    }

    const rd: Ready = {
      softState: softChanged ? ss : null,
      hardState: hardChanged ? hs : null,
      readStates,
      entries,
      snapshot,
      committedEntries,
      messages,
      mustSync:
        hs.term !== this.prevHardState.term ||
        hs.vote !== this.prevHardState.vote ||
        entries.length > 0 ||
        snapshot !== null,
    };
    this.outstanding = rd;
    return rd;
  }

  /**
   * Acknowledges that the outstanding Ready was processed (persisted, sent, applied).
   * Throws if there is no outstanding Ready or a committed conf change in it was not
   * passed to applyConfChange.
   */
  advance(): void {
    const rd = this.outstanding;
    if (rd === null) throw new RaftContractError('advance() called without a preceding ready()');
    if (this.confChangesToApply > 0) {
      throw new RaftContractError(
        `advance() called with ${this.confChangesToApply} committed conf change(s) not applied; call applyConfChange for each EntryConfChange`,
      );
    }
    this.outstanding = null;
    if (rd.softState !== null) this.prevSoftState = rd.softState;
    if (rd.hardState !== null) this.prevHardState = rd.hardState;
    const r = this.raft;
    if (rd.snapshot !== null) r.appliedSnapshot(rd.snapshot);
    if (rd.entries.length > 0) r.onEntriesPersisted(rd.entries);
    if (rd.committedEntries.length > 0) {
      const last = rd.committedEntries[rd.committedEntries.length - 1]!;
      r.appliedTo(last.index, payloadSize(rd.committedEntries));
    }
  }

  /** Full status, including per-peer progress on the leader. */
  status(): Status {
    return getStatus(this.raft);
  }

  /** The cheap part of the status (no allocation of progress maps), for hot paths. */
  basicStatus(): BasicStatus {
    const r = this.raft;
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lead: r.lead,
      raftState: r.state,
    };
  }

  /** A copy of the node's counters. */
  metrics(): RaftMetrics {
    return { ...this.raft.metrics };
  }

  /** Uncommitted payload bytes held by this leader (for the uncommitted-size limit). */
  get uncommittedSize(): number {
    return this.raft.uncommittedSize;
  }
}
