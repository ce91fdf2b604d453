/**
 * The Raft consensus state machine (Ongaro & Ousterhout, "In Search of an Understandable
 * Consensus Algorithm", and Ongaro's thesis), shaped after etcd-io/raft: no I/O, no
 * timers, no randomness of its own. Input: ticks and messages. Output: messages in
 * `msgs`, new entries in the unstable log, commit index changes and read states, which
 * RawNode packages into Ready batches.
 *
 * Private to the package; hosts use RawNode.
 */
import { Changer, ConfChangeError, isLeaveJoint, restoreConfig } from './confchange.js';
import { decodeConfChange } from './codec.js';
import type { ResolvedRaftConfig } from './config.js';
import {
  CompactedError,
  ProposalDroppedError,
  RaftInvariantError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
} from './errors.js';
import { RaftLog } from './log.js';
import type { RaftLogger } from './logger.js';
import type { RaftMetrics } from './metrics.js';
import { newRaftMetrics } from './metrics.js';
import { ProgressState } from './progress.js';
import { jointCommitted, jointVoteResult, VoteResult } from './quorum.js';
import {
  isPersistedNotice,
  LEADER_PERSISTED_CONTEXT,
  leaderAndFollowerAreQuorum,
} from './persisted-notice.js';
import { ReadOnly } from './readonly.js';
import { describeConfig, isJoint, ProgressTracker, toConfState } from './tracker.js';
import type { ConfigAndProgress } from './confchange.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  ReadState,
  Snapshot,
  SoftState,
} from './types.js';
import {
  bytesEqual,
  EMPTY_BYTES,
  EntryType,
  makeMessage,
  MessageType,
  messageTypeName,
  NONE,
  payloadSize,
  StateType,
  stateTypeName,
  voteResponseType,
} from './types.js';

/** Marks a MsgVote sent because of a leadership transfer: it bypasses leader leases. */
export const CAMPAIGN_TRANSFER_CONTEXT: Uint8Array = new TextEncoder().encode('CampaignTransfer');

/** Ticks by which a lease is shorter than the election timeout (see Raft.leaseValid). */
const LEASE_MARGIN_TICKS = 3;

type CampaignType = 'pre-election' | 'election' | 'transfer';

function isCampaignTransfer(ctx: Uint8Array): boolean {
  return bytesEqual(ctx, CAMPAIGN_TRANSFER_CONTEXT);
}

export class Raft {
  readonly id: number;
  term = 0;
  vote = NONE;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  state: StateType = StateType.Follower;
  /** Whether this node is a learner in the current configuration. */
  isLearner = false;
  /** Outgoing messages, drained by RawNode.ready(). */
  msgs: Message[] = [];
  lead = NONE;
  /** Target of an in-progress leadership transfer, or NONE. */
  leadTransferee = NONE;
  /**
   * Log index of the latest conf change proposed by this leader (or the last index at
   * election). A new conf change is accepted only once this index is applied.
   */
  pendingConfIndex = 0;
  /** Payload bytes of entries this leader appended that are not yet applied. */
  uncommittedSize = 0;
  readOnly: ReadOnly;
  /** Reads received before this leader committed an entry in its term. */
  pendingReadIndexMessages: Message[] = [];
  readStates: ReadState[] = [];
  /** Ticks since the last election timeout reset (followers: since leader contact). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Leader: ticks since it became leader; heartbeats carry it so acks date the lease. */
  leaseClock = 0;
  /** Leader: set once it asked another node to take over; lease reads stop for the term. */
  leaseRevoked = false;
  /**
   * Lease-based reads only: ticks left during which this (re)started node refuses to vote.
   * A node that restarts forgets whom it followed, so without this it could vote a new
   * leader in while the old one still trusts a lease that included it.
   */
  voteHoldTicks = 0;
  readonly metrics: RaftMetrics = newRaftMetrics();
  /** Leader: proposals were appended since the last broadcast (see flushAppends). */
  appendsPending = false;
  /**
   * Leader with persisted notices: each follower whose forwarded proposal awaits this leader's
   * sync, and the last index of that proposal's entries.
   */
  private readonly forwardedProposals = new Map<number, number>();
  /**
   * Leader: per follower, the index of the last persisted notice it was sent this term (notices
   * to one follower only grow, so the largest of these is the most this leader announced).
   */
  private readonly noticeSentTo = new Map<number, number>();
  /** Follower: the index up to which the current leader said its log is durable. */
  private leaderPersisted = 0;

  private readonly cfg: ResolvedRaftConfig;
  private readonly logger: RaftLogger;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;

  constructor(cfg: ResolvedRaftConfig) {
    this.cfg = cfg;
    this.id = cfg.id;
    this.logger = cfg.logger;
    this.electionTimeout = cfg.electionTick;
    this.heartbeatTimeout = cfg.heartbeatTick;
    this.log = new RaftLog(cfg.storage, cfg.maxCommittedSizePerReady);
    this.tracker = new ProgressTracker(cfg.maxInflightMsgs, cfg.maxInflightBytes);
    this.readOnly = new ReadOnly(cfg.readOnlyOption);

    const { hardState, confState } = cfg.storage.initialState();
    const restored = restoreConfig(this.tracker, this.log.lastIndex(), confState);
    this.switchToConfig(restored);
    if (hardState.term !== 0 || hardState.vote !== 0 || hardState.commit !== 0) {
      this.loadState(hardState);
    }
    if (cfg.applied > 0) this.log.appliedTo(cfg.applied);
    this.becomeFollower(this.term, NONE);
    if (cfg.readOnlyOption === 'lease-based') this.voteHoldTicks = this.electionTimeout;
    this.logger.info(
      `${this.id} newRaft [${describeConfig(this.tracker.config)}] term: ${this.term}, commit: ${this.log.committed}, applied: ${this.log.applied}, lastindex: ${this.log.lastIndex()}, lastterm: ${this.log.lastTerm()}`,
    );
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.log.committed || hs.commit > this.log.lastIndex()) {
      throw new RaftInvariantError(
        `${this.id} state.commit ${hs.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
      );
    }
    this.log.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  // -------------------------------------------------------------------------------------
  // Sending

  /**
   * Queues a message. Vote messages carry an explicit term (pre-votes use a future
   * term); everything else gets the current term, except proposals and read requests,
   * which are forwarded as local messages (term 0).
   */
  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (
      t === MessageType.MsgVote ||
      t === MessageType.MsgVoteResp ||
      t === MessageType.MsgPreVote ||
      t === MessageType.MsgPreVoteResp
    ) {
      // A rejection from a node still at term 0 (never joined an election) is the one
      // vote message without a term; the receiver treats it as current.
      if (m.term === 0 && !(m.reject && this.term === 0)) {
        throw new RaftInvariantError(`term should be set when sending ${messageTypeName(t)}`);
      }
    } else {
      if (m.term !== 0) {
        throw new RaftInvariantError(
          `term should not be set when sending ${messageTypeName(t)} (was ${m.term})`,
        );
      }
      if (t !== MessageType.MsgProp && t !== MessageType.MsgReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends a MsgApp (or MsgSnap) to `to` if flow control allows. */
  sendAppend(to: number): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends entries from pr.next to a follower. With sendIfEmpty false, nothing is sent
   * when there are no new entries (used to fill the inflight window). Returns whether a
   * message was sent.
   */
  maybeSendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm = 0;
    let ents: Entry[] = [];
    let needSnapshot = false;
    try {
      prevTerm = this.log.term(prevIndex);
      ents = this.log.entries(pr.next, this.cfg.maxSizePerMsg);
    } catch (err) {
      if (!(err instanceof CompactedError || err instanceof UnavailableError)) throw err;
      needSnapshot = true;
    }
    if (!needSnapshot) {
      if (ents.length === 0 && !sendIfEmpty) return false;
      const m = makeMessage({
        type: MessageType.MsgApp,
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents,
        commit: this.log.committed,
      });
      if (ents.length > 0) pr.sentEntries(ents[ents.length - 1]!.index, payloadSize(ents));
      this.send(m);
      return true;
    }
    // The entries the follower needs were compacted: send a snapshot, but only to a
    // follower that is alive (a snapshot is expensive).
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.log.snapshot();
    } catch (err) {
      if (err instanceof SnapshotTemporarilyUnavailableError) return false;
      throw err;
    }
    if (snapshot.metadata.index === 0) {
      throw new RaftInvariantError(`${this.id} needs a non-empty snapshot to catch up ${to}`);
    }
    this.logger.debug(
      `${this.id} [firstindex: ${this.log.firstIndex()}, commit: ${this.log.committed}] sent snapshot[index: ${snapshot.metadata.index}, term: ${snapshot.metadata.term}] to ${to} [${pr.describe()}]`,
    );
    pr.becomeSnapshot(snapshot.metadata.index);
    this.metrics.snapshotsSent++;
    this.send(makeMessage({ type: MessageType.MsgSnap, to, snapshot }));
    return true;
  }

  private sendHeartbeat(to: number, ctx: Uint8Array): void {
    // Never tell a follower to commit beyond what it is known to have: it might not have
    // those entries (yet), or have different ones.
    const pr = this.tracker.progress.get(to)!;
    const commit = Math.min(pr.match, this.log.committed);
    // `index` carries the lease clock; the follower echoes it so the ack can be dated.
    this.send(
      makeMessage({
        type: MessageType.MsgHeartbeat,
        to,
        commit,
        context: ctx,
        index: this.leaseClock,
      }),
    );
  }

  private forEachPeer(fn: (id: number) => void): void {
    for (const id of this.tracker.memberIds()) if (id !== this.id) fn(id);
  }

  /**
   * Sends every follower what it lacks: one MsgApp even if empty (it carries the commit
   * index), then more while entries remain and flow control allows (Replicate state).
   */
  bcastAppend(): void {
    this.appendsPending = false;
    this.forEachPeer((id) => {
      // An empty append only to carry the commit index is spared a follower that commits as
      // far by itself (decision 0050); its next append or heartbeat carries the index anyway.
      if (!this.maybeSendAppend(id, !this.commitsByItself(id))) return;
      while (this.maybeSendAppend(id, false)) {
        /* fill the inflight window */
      }
    });
  }

  /** Sends the MsgApps for proposals appended since the last broadcast. */
  flushAppends(): void {
    if (!this.appendsPending) return;
    this.appendsPending = false;
    if (this.state === StateType.Leader) this.bcastAppend();
  }

  private bcastHeartbeat(): void {
    // A regular heartbeat also confirms every pending read (in case a round was lost).
    const ctx = this.readOnly.startRound();
    this.bcastHeartbeatWithCtx(ctx ?? EMPTY_BYTES);
  }

  private bcastHeartbeatWithCtx(ctx: Uint8Array): void {
    this.forEachPeer((id) => this.sendHeartbeat(id, ctx));
  }

  // -------------------------------------------------------------------------------------
  // Commit and apply

  /** Advances the commit index to what a quorum has (current-term entries only, §5.4.2). */
  maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  /**
   * The host persisted the entries of a Ready. A leader counts its own log only once
   * persisted, so a quorum never includes an acknowledgement that a crash can undo.
   */
  onEntriesPersisted(persisted: readonly Entry[]): void {
    // Entries may have been replaced between Ready and advance (a new leader's append).
    // By the Log Matching property, the last persisted entry still in our log marks the
    // persisted prefix; the replaced suffix stays unstable and is handed out again.
    let k = persisted.length - 1;
    while (k >= 0 && this.log.termOrZero(persisted[k]!.index) !== persisted[k]!.term) k--;
    if (k < 0) return;
    const { index, term } = persisted[k]!;
    this.log.unstable.stableTo(index, term);
    if (this.state !== StateType.Leader) {
      this.commitByPersistedNotice();
      return;
    }
    const pr = this.tracker.progress.get(this.id);
    if (pr === undefined) return; // removed from the configuration
    if (pr.maybeUpdate(index) && this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
    this.sendPersistedNotices(this.log.lastPersistedIndex());
  }

  /**
   * Leader: tells each follower whose forwarded proposal is now durable here that this log is
   * durable up to `persisted`, where the two of them are a quorum (decision 0050). Not while a
   * conf change is unapplied: the quorum must be judged in the configuration that decides these
   * entries' commit, which is the current one only when no change is pending.
   */
  private sendPersistedNotices(persisted: number): void {
    if (this.forwardedProposals.size === 0) return;
    const term = this.log.termOrZero(persisted);
    const allowed = term === this.term && this.pendingConfIndex <= this.log.applied;
    for (const [id, upTo] of this.forwardedProposals) {
      if (upTo > persisted) continue;
      this.forwardedProposals.delete(id);
      // Committed already: the commit round's append carries the news.
      if (!allowed || upTo <= this.log.committed) continue;
      const pr = this.tracker.progress.get(id);
      // Only to a follower that was sent these entries (else the notice would be rejected).
      if (pr === undefined || pr.state !== ProgressState.Replicate || pr.next <= persisted) {
        continue;
      }
      if (!leaderAndFollowerAreQuorum(this.tracker.config, this.id, id)) continue;
      this.send(
        makeMessage({
          type: MessageType.MsgApp,
          to: id,
          index: persisted,
          logTerm: term,
          commit: this.log.committed,
          context: LEADER_PERSISTED_CONTEXT,
        }),
      );
      this.metrics.persistedNoticesSent++;
      this.noticeSentTo.set(id, persisted);
    }
  }

  /**
   * Leader: whether follower `id` holds every committed entry durably and was sent a persisted
   * notice covering them all, so it commits them without being told.
   */
  private commitsByItself(id: number): boolean {
    const noticed = this.noticeSentTo.get(id);
    if (noticed === undefined) return false;
    const committed = this.log.committed;
    const pr = this.tracker.progress.get(id);
    return (
      noticed >= committed &&
      pr !== undefined &&
      pr.state === ProgressState.Replicate &&
      pr.match >= committed
    );
  }

  /**
   * Follower: commits what both this node and the leader hold durably, when the leader said
   * the two of them are a quorum (a persisted notice, decision 0050). The notice's position
   * check proved this log equal to the leader's up to `leaderPersisted`, and only entries of
   * the current term may be counted (§5.4.2); earlier ones commit with them.
   */
  private commitByPersistedNotice(): void {
    if (this.leaderPersisted === 0 || this.state !== StateType.Follower) return;
    const upTo = Math.min(this.leaderPersisted, this.log.lastPersistedIndex());
    if (upTo <= this.log.committed || this.log.termOrZero(upTo) !== this.term) return;
    this.log.commitTo(upTo);
    this.metrics.commitsByPersistedNotice++;
  }

  /**
   * The commit index a read must wait for: the leader's, or more if this leader told a follower
   * its log was durable beyond it (that follower may have committed and answered a client).
   */
  private readIndexFloor(): number {
    let floor = this.log.committed;
    for (const announced of this.noticeSentTo.values()) if (announced > floor) floor = announced;
    return floor;
  }

  /** The host applied committed entries up to `index`. */
  appliedTo(index: number, appliedBytes: number): void {
    const newApplied = Math.max(index, this.log.applied);
    this.log.appliedTo(newApplied);
    this.reduceUncommittedSize(appliedBytes);
    if (
      this.tracker.config.autoLeave &&
      newApplied >= this.pendingConfIndex &&
      this.state === StateType.Leader
    ) {
      // The joint configuration is in force and auto-leave was requested: propose the
      // empty change that leaves it. If refused (transfer in progress) this is retried on
      // the next apply.
      try {
        this.step(
          makeMessage({
            type: MessageType.MsgProp,
            from: this.id,
            entries: [{ term: 0, index: 0, type: EntryType.EntryConfChange, data: EMPTY_BYTES }],
          }),
        );
        this.logger.info(
          `${this.id} initiating automatic transition out of joint configuration ${describeConfig(this.tracker.config)}`,
        );
      } catch (err) {
        if (!(err instanceof ProposalDroppedError)) throw err;
        this.logger.debug(`${this.id} not leaving joint configuration yet: ${err.message}`);
      }
    }
  }

  /** The host applied (installed) the snapshot it was handed. */
  appliedSnapshot(s: Snapshot): void {
    const index = s.metadata.index;
    this.log.unstable.stableSnapTo(index);
    this.log.appliedTo(index);
  }

  private increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadSize(ents);
    const limit = this.cfg.maxUncommittedEntriesSize;
    // Always allow one proposal through when nothing is uncommitted, however large.
    if (limit > 0 && this.uncommittedSize > 0 && s > 0 && this.uncommittedSize + s > limit) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  private reduceUncommittedSize(s: number): void {
    this.uncommittedSize = s > this.uncommittedSize ? 0 : this.uncommittedSize - s;
  }

  private appendEntry(es: readonly Entry[]): boolean {
    const li = this.log.lastIndex();
    const ents: Entry[] = new Array<Entry>(es.length);
    for (let i = 0; i < es.length; i++) {
      const e = es[i]!;
      ents[i] = { term: this.term, index: li + 1 + i, type: e.type, data: e.data };
    }
    if (!this.increaseUncommittedSize(ents)) {
      this.logger.warn(
        `${this.id} appending new entries to log would exceed uncommitted entry size limit; dropping proposal`,
      );
      return false;
    }
    this.log.append(ents);
    return true;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  // -------------------------------------------------------------------------------------
  // Role transitions

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.tracker.resetVotes();
    const last = this.log.lastIndex();
    for (const id of this.tracker.memberIds()) {
      const pr = this.tracker.progress.get(id)!;
      pr.becomeProbe();
      pr.match = 0;
      pr.next = last + 1;
      pr.recentActive = false;
      pr.leaseAck = Number.NEGATIVE_INFINITY;
      if (id === this.id) pr.match = this.log.lastPersistedIndex();
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly(this.cfg.readOnlyOption);
    this.pendingReadIndexMessages = [];
    this.leaseClock = 0;
    this.leaseRevoked = false;
    this.appendsPending = false;
    this.forwardedProposals.clear();
    this.noticeSentTo.clear();
    this.leaderPersisted = 0;
  }

  private resetRandomizedElectionTimeout(): void {
    const r = this.cfg.random();
    if (!(r >= 0 && r < 1)) {
      throw new RaftInvariantError(`config.random() must return a number in [0, 1), got ${r}`);
    }
    this.randomizedElectionTimeout = this.electionTimeout + Math.floor(r * this.electionTimeout);
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateType.Follower;
    this.logger.debug(`${this.id} became follower at term ${this.term}`);
  }

  private becomeCandidate(): void {
    if (this.state === StateType.Leader) {
      throw new RaftInvariantError('invalid transition [leader -> candidate]');
    }
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.Candidate;
    this.metrics.electionsStarted++;
    this.logger.info(`${this.id} became candidate at term ${this.term}`);
  }

  private becomePreCandidate(): void {
    if (this.state === StateType.Leader) {
      throw new RaftInvariantError('invalid transition [leader -> pre-candidate]');
    }
    // Term and vote are untouched: a pre-election must not disturb anyone.
    this.tracker.resetVotes();
    this.lead = NONE;
    this.state = StateType.PreCandidate;
    this.metrics.preElectionsStarted++;
    this.logger.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  private becomeLeader(): void {
    if (this.state === StateType.Follower) {
      throw new RaftInvariantError('invalid transition [follower -> leader]');
    }
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    const self = this.tracker.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // We don't know whether an unapplied conf change is in the log; refusing new ones
    // until everything up to here is applied is safe and avoids scanning the log.
    this.pendingConfIndex = this.log.lastIndex();
    // §5.4.2: commit an entry of this term to learn the commit index; also lets reads
    // through (§6.4) once committed.
    this.appendEntry([{ term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES }]);
    this.metrics.becameLeader++;
    this.logger.info(`${this.id} became leader at term ${this.term}`);
  }

  /** Whether this node may campaign: a voter with no snapshot waiting to be applied. */
  promotable(): boolean {
    const pr = this.tracker.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.hasPendingSnapshot();
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    let lo = this.log.applied + 1;
    const hi = this.log.committed + 1;
    while (lo < hi) {
      const ents = this.log.slice(lo, hi, this.cfg.maxSizePerMsg);
      for (const e of ents) if (e.type === EntryType.EntryConfChange) return true;
      lo += ents.length;
    }
    return false;
  }

  private hup(t: CampaignType): void {
    if (this.state === StateType.Leader) {
      this.logger.debug(`${this.id} ignoring MsgHup because already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger.warn(`${this.id} is unpromotable and can not campaign`);
      return;
    }
    // A committed but unapplied conf change may remove us or change the quorum: wait.
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn(
        `${this.id} cannot campaign at term ${this.term} since there are still pending configuration changes to apply`,
      );
      return;
    }
    this.logger.info(`${this.id} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: MessageType;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteMsg = MessageType.MsgPreVote;
      // Pre-votes ask about the next term without moving to it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.MsgVote;
      term = this.term;
    }
    // Our own vote counts at once: the vote is in the HardState that the host persists
    // before sending any of the requests below.
    if (this.poll(this.id, true) === VoteResult.Won) {
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    const ctx = t === 'transfer' ? CAMPAIGN_TRANSFER_CONTEXT : EMPTY_BYTES;
    for (const id of this.tracker.memberIds()) {
      if (id === this.id || !this.tracker.isVoter(id)) continue;
      this.logger.debug(
        `${this.id} [logterm: ${lastTerm}, index: ${lastIndex}] sent ${messageTypeName(voteMsg)} request to ${id} at term ${term}`,
      );
      this.send(
        makeMessage({
          type: voteMsg,
          to: id,
          term,
          index: lastIndex,
          logTerm: lastTerm,
          context: ctx,
        }),
      );
    }
  }

  private poll(id: number, granted: boolean): VoteResult {
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes().result;
  }

  // -------------------------------------------------------------------------------------
  // Ticks

  tick(): void {
    if (this.voteHoldTicks > 0) this.voteHoldTicks--;
    if (this.state === StateType.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(makeMessage({ type: MessageType.MsgHup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    this.leaseClock++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        this.step(makeMessage({ type: MessageType.MsgCheckQuorum, from: this.id }));
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === StateType.Leader && this.leadTransferee !== NONE) {
        this.logger.info(
          `${this.id} abandons transfer of leadership to ${this.leadTransferee}: timeout`,
        );
        this.leadTransferee = NONE;
      }
    }
    if (this.state !== StateType.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(makeMessage({ type: MessageType.MsgBeat, from: this.id }));
    }
  }

  // -------------------------------------------------------------------------------------
  // Step

  /** Processes one message. Throws ProposalDroppedError for refused proposals. */
  step(m: Message): void {
    if (m.term === 0) {
      // Local message (or a forwarded proposal / read request).
    } else if (m.term > this.term) {
      if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
        const force = isCampaignTransfer(m.context);
        const inLease =
          (this.cfg.checkQuorum &&
            this.lead !== NONE &&
            this.electionElapsed < this.electionTimeout) ||
          this.voteHoldTicks > 0;
        if (!force && inLease) {
          // §6.2 / leader lease: we heard from a leader within the minimum election
          // timeout, so this candidate is disruptive (or partitioned): ignore it
          // without adopting its term.
          this.logger.info(
            `${this.id} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}, vote: ${this.vote}] ignored ${messageTypeName(m.type)} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}: lease is not expired (remaining ticks: ${this.electionTimeout - this.electionElapsed})`,
          );
          return;
        }
      }
      if (m.type === MessageType.MsgPreVote) {
        // Never change term in response to a pre-vote.
      } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
        // Granted pre-votes carry the future term we asked about; the term moves only
        // if the pre-election is won.
      } else {
        this.logger.info(
          `${this.id} [term: ${this.term}] received a ${messageTypeName(m.type)} message with higher term from ${m.from} [term: ${m.term}]`,
        );
        if (
          m.type === MessageType.MsgApp ||
          m.type === MessageType.MsgHeartbeat ||
          m.type === MessageType.MsgSnap
        ) {
          this.becomeFollower(m.term, m.from);
        } else {
          this.becomeFollower(m.term, NONE);
        }
      }
    } else if (m.term < this.term) {
      if (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp) {
        // A leader of an older term. Either a delayed message, or that leader is stuck
        // behind a partition where we advanced our term: answer with our term (the paper's
        // AppendEntries reply) so it steps down. etcd-raft answers only with CheckQuorum or
        // PreVote; without them the simulation found a deadlock: a voter whose stale
        // configuration made it campaign only towards removed peers held the highest term,
        // ignored the leader's appends, and the leader never heard of its term.
        this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from }));
      } else if (m.type === MessageType.MsgPreVote || m.type === MessageType.MsgVote) {
        // Reject with our term, as the paper's RequestVote reply does, so a candidate with a
        // stale term catches up. Ignoring it instead (as etcd-raft does for MsgVote) can
        // deadlock: a node whose stale configuration makes it campaign only towards
        // unreachable peers may hold the highest term while its vote is needed.
        this.send(
          makeMessage({
            type: voteResponseType(m.type),
            to: m.from,
            term: this.term,
            reject: true,
          }),
        );
      }
      // Other stale messages are ignored.
      return;
    }

    switch (m.type) {
      case MessageType.MsgHup:
        this.hup(this.cfg.preVote ? 'pre-election' : 'election');
        return;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote: {
        // We can vote if this is a repeat of our vote, if we have not voted and know no
        // leader in this term, or if this is a pre-vote for a future term...
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === MessageType.MsgPreVote && m.term > this.term);
        // ...and the candidate's log is at least as up to date as ours (§5.4.1).
        // Learners vote too: a learner may have been promoted without knowing yet.
        if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
          this.logger.info(
            `${this.id} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}, vote: ${this.vote}] cast ${messageTypeName(m.type)} for ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
          );
          // Answer with the message's term: for pre-votes that is a future term, which
          // the pre-candidate needs to see to count the vote.
          this.send(makeMessage({ type: voteResponseType(m.type), to: m.from, term: m.term }));
          if (m.type === MessageType.MsgVote) {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.logger.info(
            `${this.id} [logterm: ${this.log.lastTerm()}, index: ${this.log.lastIndex()}, vote: ${this.vote}] rejected ${messageTypeName(m.type)} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${this.term}`,
          );
          this.send(
            makeMessage({
              type: voteResponseType(m.type),
              to: m.from,
              term: this.term,
              reject: true,
            }),
          );
        }
        return;
      }
      default:
        switch (this.state) {
          case StateType.Leader:
            this.stepLeader(m);
            return;
          case StateType.Candidate:
          case StateType.PreCandidate:
            this.stepCandidate(m);
            return;
          default:
            this.stepFollower(m);
        }
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.MsgBeat:
        this.bcastHeartbeat();
        return;
      case MessageType.MsgCheckQuorum:
        if (!this.tracker.quorumActive()) {
          this.logger.warn(`${this.id} stepped down to follower since quorum is not active`);
          this.metrics.checkQuorumStepDowns++;
          this.becomeFollower(this.term, NONE);
        }
        // Start the next CheckQuorum window (the leader itself always counts as active).
        for (const id of this.tracker.memberIds()) {
          if (id !== this.id) this.tracker.progress.get(id)!.recentActive = false;
        }
        return;
      case MessageType.MsgProp:
        this.leaderPropose(m);
        return;
      case MessageType.MsgReadIndex:
        this.metrics.readIndexRequests += m.from === this.id || m.from === NONE ? 1 : 0;
        if (this.tracker.isSingleton()) {
          // The only voter: our commit index is, trivially, the cluster's.
          this.respondToReadIndex(m, this.readIndexFloor());
          return;
        }
        // Until this leader commits an entry of its term its commit index may lag behind
        // what previous leaders committed (§6.4): hold the read until then.
        if (!this.committedEntryInCurrentTerm()) {
          this.pendingReadIndexMessages.push(m);
          return;
        }
        this.handleReadIndex(m);
        return;
      default:
        break;
    }

    const pr = this.tracker.progress.get(m.from);
    if (pr === undefined) {
      this.logger.debug(`${this.id} no progress available for ${m.from}`);
      return;
    }
    switch (m.type) {
      case MessageType.MsgAppResp: {
        pr.recentActive = true;
        if (m.reject) {
          // Fast backtracking: the follower told us the highest index that might match
          // (and its term); skip all our entries with a higher term in one step.
          let nextProbeIdx = m.rejectHint;
          if (m.logTerm > 0) {
            nextProbeIdx = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
          }
          if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
            this.logger.debug(
              `${this.id} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${m.from} for index ${m.index}; decreased progress to [${pr.describe()}]`,
            );
            if (pr.state === ProgressState.Replicate) pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        const oldPaused = pr.isPaused();
        if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe)) {
          if (pr.state === ProgressState.Probe) {
            pr.becomeReplicate();
          } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.log.firstIndex()) {
            // The follower can continue from the log (whichever snapshot it applied).
            this.logger.debug(
              `${this.id} recovered from needing snapshot, resumed sending replication messages to ${m.from} [${pr.describe()}]`,
            );
            pr.becomeProbe();
            pr.becomeReplicate();
          } else if (pr.state === ProgressState.Replicate) {
            pr.inflights.freeLE(m.index);
          }
          if (this.maybeCommit()) {
            this.releasePendingReadIndexMessages();
            this.bcastAppend();
          } else if (oldPaused) {
            // The follower was paused and may be missing our commit index.
            this.sendAppend(m.from);
          }
          // Fill the inflight window without sending empty messages.
          while (this.maybeSendAppend(m.from, false)) {
            /* keep sending */
          }
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
            this.logger.info(
              `${this.id} sent MsgTimeoutNow to ${m.from} after received MsgAppResp`,
            );
            this.sendTimeoutNow(m.from);
          }
        }
        return;
      }
      case MessageType.MsgHeartbeatResp: {
        pr.recentActive = true;
        pr.msgAppFlowPaused = false;
        // A full window with a live follower means messages were probably lost: free one
        // slot so replication resumes.
        if (pr.state === ProgressState.Replicate && pr.inflights.full()) {
          pr.inflights.freeFirstOne();
        }
        if (pr.match < this.log.lastIndex() || pr.state === ProgressState.Probe) {
          this.sendAppend(m.from);
        }
        if (m.index > pr.leaseAck) pr.leaseAck = m.index;
        if (m.context.length === 0) return;
        const acks = this.readOnly.recvAck(m.from, m.context);
        if (acks === undefined) return;
        if (!this.quorumAcked(acks)) return;
        for (const rs of this.readOnly.advance(m.context)) {
          this.respondToReadIndex(rs.req, rs.index);
        }
        // The round completed: the requests that arrived meanwhile get the next one.
        if (!this.readOnly.roundInFlight && this.readOnly.pendingCount > 0) {
          this.bcastHeartbeatWithCtx(this.readOnly.startRound()!);
        }
        return;
      }
      case MessageType.MsgSnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) {
          // The snapshot never arrived: probe from the old position, not past it.
          pr.pendingSnapshot = 0;
        }
        pr.becomeProbe();
        this.logger.debug(
          `${this.id} snapshot ${m.reject ? 'failed' : 'succeeded'}, resumed sending replication messages to ${m.from} [${pr.describe()}]`,
        );
        // Wait for the follower's MsgAppResp (or the next heartbeat) before probing.
        pr.msgAppFlowPaused = true;
        return;
      case MessageType.MsgUnreachable:
        // An optimistic MsgApp was probably lost: fall back to probing.
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.logger.debug(
          `${this.id} failed to send message to ${m.from} because it is unreachable [${pr.describe()}]`,
        );
        return;
      case MessageType.MsgTransferLeader: {
        if (pr.isLearner) {
          this.logger.debug(`${this.id} is learner. Ignored transferring leadership`);
          return;
        }
        const transferee = m.from;
        if (this.leadTransferee !== NONE) {
          if (this.leadTransferee === transferee) return; // already in progress
          this.logger.info(
            `${this.id} [term ${this.term}] abort previous transferring leadership to ${this.leadTransferee}`,
          );
          this.leadTransferee = NONE;
        }
        if (transferee === this.id) return; // already leader
        this.logger.info(
          `${this.id} [term ${this.term}] starts to transfer leadership to ${transferee}`,
        );
        // The transfer must finish within an election timeout.
        this.electionElapsed = 0;
        this.leadTransferee = transferee;
        if (pr.match === this.log.lastIndex()) {
          this.sendTimeoutNow(transferee);
        } else {
          this.sendAppend(transferee);
        }
        return;
      }
      default:
        return;
    }
  }

  private quorumAcked(acks: ReadonlyMap<number, boolean>): boolean {
    return jointVoteResult(this.tracker.config.voters, acks) === VoteResult.Won;
  }

  private sendTimeoutNow(to: number): void {
    // The transferee will campaign bypassing leases: ours can no longer be trusted.
    this.leaseRevoked = true;
    this.send(makeMessage({ type: MessageType.MsgTimeoutNow, to }));
  }

  private leaderPropose(m: Message): void {
    if (m.entries.length === 0) throw new RaftInvariantError(`${this.id} stepped empty MsgProp`);
    if (!this.tracker.progress.has(this.id)) {
      // Removed from the configuration while leading: take no new proposals.
      this.dropProposal('leader was removed from the configuration');
    }
    if (this.leadTransferee !== NONE) {
      this.dropProposal(`leadership transfer to ${this.leadTransferee} in progress`);
    }
    let entries = m.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.type !== EntryType.EntryConfChange) continue;
      const failed = this.checkConfChangeProposal(e);
      if (failed === undefined) {
        this.pendingConfIndex = this.log.lastIndex() + i + 1;
        continue;
      }
      const local = m.from === this.id || m.from === NONE;
      if (local && entries.length === 1) this.dropProposal(`conf change refused: ${failed}`);
      this.logger.info(
        `${this.id} ignoring conf change at config ${describeConfig(this.tracker.config)}: ${failed}`,
      );
      // Keep the position in the batch but make it a no-op.
      if (entries === m.entries) entries = entries.slice();
      (entries as Entry[])[i] = {
        term: 0,
        index: 0,
        type: EntryType.EntryNormal,
        data: EMPTY_BYTES,
      };
    }
    if (!this.appendEntry(entries)) this.dropProposal('uncommitted entries size limit reached');
    if (this.cfg.persistedNotices && m.from !== this.id && m.from !== NONE) {
      this.forwardedProposals.set(m.from, this.log.lastIndex());
    }
    // Sending is deferred to the next Ready: every proposal made until then travels in the
    // same MsgApp, which batches entries and spares inflight slots.
    this.appendsPending = true;
  }

  /** Why a proposed conf change must be refused, or undefined if it is acceptable. */
  private checkConfChangeProposal(e: Entry): string | undefined {
    if (this.pendingConfIndex > this.log.applied) {
      return `possible unapplied conf change at index ${this.pendingConfIndex} (applied to ${this.log.applied})`;
    }
    let cc: ConfChange;
    try {
      cc = decodeConfChange(e.data);
    } catch (err) {
      return `undecodable conf change: ${(err as Error).message}`;
    }
    const joint = isJoint(this.tracker.config);
    const leave = isLeaveJoint(cc);
    if (joint && !leave) return 'must transition out of joint config first';
    if (!joint && leave) return 'not in joint state; refusing empty conf change';
    // No other change is pending, so the configuration this entry will be applied to is
    // the current one: a dry run tells whether it will be valid.
    try {
      new Changer(this.tracker, this.log.lastIndex()).apply(cc);
    } catch (err) {
      if (err instanceof ConfChangeError) return err.message;
      throw err;
    }
    return undefined;
  }

  private dropProposal(reason: string): never {
    this.metrics.proposalsDropped++;
    throw new ProposalDroppedError(reason);
  }

  private handleReadIndex(m: Message): void {
    if (this.readOnly.option === 'lease-based' && this.leaseValid()) {
      // No other leader can exist while the lease holds: answer without a round trip.
      this.respondToReadIndex(m, this.readIndexFloor());
      return;
    }
    // Remember the commit index, then confirm leadership with a heartbeat round. One round is
    // in flight at a time, as each host batches its own reads: a request arriving while one is
    // unanswered joins the next, which starts when that one completes (or with the next
    // regular heartbeat, should it be lost). With reads coming from every member, this saves
    // a heartbeat broadcast per member and round.
    this.readOnly.addRequest(this.readIndexFloor(), m);
    this.readOnly.recvAck(this.id, m.context);
    if (!this.readOnly.roundInFlight) this.bcastHeartbeatWithCtx(this.readOnly.startRound()!);
  }

  /**
   * Whether this leader's lease holds. A follower that answered a heartbeat sent at lease
   * clock c had reset its election timer after c, so it refuses votes until it has ticked
   * electionTimeout times since; the first of those ticks may come right away, so that is
   * at least (electionTimeout - 1) tick intervals after c. The hosts' ticks may each run up
   * to one interval late (they must be caught up, one tick per elapsed interval), which
   * costs one more interval on each side. So once a quorum acknowledged heartbeats sent at
   * or after c, no other leader can be elected while now - c <= electionTimeout - 3.
   * Unbounded clock drift or a host that drops ticks breaks this (as for every lease).
   */
  leaseValid(): boolean {
    if (this.leaseRevoked || !this.cfg.checkQuorum) return false;
    const acked = jointCommitted(this.tracker.config.voters, (id) =>
      id === this.id ? this.leaseClock : this.tracker.progress.get(id)?.leaseAck,
    );
    return this.leaseClock - acked <= this.electionTimeout - LEASE_MARGIN_TICKS;
  }

  private respondToReadIndex(req: Message, index: number): void {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index, requestCtx: req.context });
      this.metrics.readStatesProduced++;
      return;
    }
    this.send(
      makeMessage({
        type: MessageType.MsgReadIndexResp,
        to: req.from,
        index,
        context: req.context,
      }),
    );
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) return;
    const msgs = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of msgs) this.handleReadIndex(m);
  }

  private stepCandidate(m: Message): void {
    const myVoteResp =
      this.state === StateType.PreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
    switch (m.type) {
      case MessageType.MsgProp:
        this.dropProposal(`no leader at term ${this.term}`);
        return;
      case MessageType.MsgApp:
        // A leader exists at our term (or, for a pre-candidate, at our current term).
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.MsgHeartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.MsgSnap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case MessageType.MsgReadIndex:
        this.dropProposal(`no leader at term ${this.term} to serve a read`);
        return;
      case MessageType.MsgTimeoutNow:
        this.logger.debug(
          `${this.id} [term ${this.term} state ${stateTypeName(this.state)}] ignored MsgTimeoutNow from ${m.from}`,
        );
        return;
      default:
        if (m.type !== myVoteResp) return;
        {
          const result = this.poll(m.from, !m.reject);
          this.logger.info(
            `${this.id} received ${messageTypeName(m.type)}${m.reject ? ' rejection' : ''} from ${m.from} at term ${this.term}`,
          );
          if (result === VoteResult.Won) {
            if (this.state === StateType.PreCandidate) {
              this.campaign('election');
            } else {
              this.becomeLeader();
              this.bcastAppend();
            }
          } else if (result === VoteResult.Lost) {
            // A pre-vote response may carry a future term; stay at ours.
            this.becomeFollower(this.term, NONE);
          }
        }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.MsgProp:
        if (this.lead === NONE) this.dropProposal(`no leader at term ${this.term}`);
        if (this.cfg.disableProposalForwarding) {
          this.dropProposal(`not forwarding to leader ${this.lead} (forwarding disabled)`);
        }
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.MsgApp:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.MsgHeartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.MsgSnap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.MsgTransferLeader:
        if (this.lead === NONE) {
          this.dropProposal(`no leader at term ${this.term}; dropping leader transfer`);
        }
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.MsgTimeoutNow:
        // The leader asks us to take over: skip pre-vote (we know the leader is alive and
        // consents) and bypass leases.
        this.logger.info(
          `${this.id} [term ${this.term}] received MsgTimeoutNow from ${m.from} and starts an election to get leadership`,
        );
        this.hup('transfer');
        return;
      case MessageType.MsgReadIndex:
        if (m.from === this.id || m.from === NONE) this.metrics.readIndexRequests++;
        if (this.lead === NONE) this.dropProposal(`no leader at term ${this.term} to serve a read`);
        m.to = this.lead;
        this.send(m);
        return;
      case MessageType.MsgReadIndexResp:
        this.readStates.push({ index: m.index, requestCtx: m.context });
        this.metrics.readStatesProduced++;
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      // A persisted notice behind our commit index tells us nothing; it needs no answer.
      if (isPersistedNotice(m)) return;
      // Everything up to our commit index is settled; tell the leader where we are.
      this.send(
        makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.log.committed }),
      );
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew >= 0) {
      if (isPersistedNotice(m)) {
        // The leader learns nothing from an answer: it knows what this node was sent.
        if (m.index > this.leaderPersisted) this.leaderPersisted = m.index;
        this.commitByPersistedNotice();
        return;
      }
      this.send(makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: lastNew }));
      return;
    }
    // Reject with a hint: the largest index ≤ min(m.index, lastIndex) whose term is ≤
    // m.logTerm. Every entry after it differs from the leader's log at m.index, so the
    // leader can skip them all.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.logger.debug(
      `${this.id} [logterm: ${this.log.termOrZero(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`,
    );
    this.send(
      makeMessage({
        type: MessageType.MsgAppResp,
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hint.index,
        logTerm: hint.term,
      }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    this.send(
      makeMessage({
        type: MessageType.MsgHeartbeatResp,
        to: m.from,
        context: m.context,
        index: m.index,
      }),
    );
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (s === null) throw new RaftInvariantError(`${this.id} received MsgSnap without snapshot`);
    if (this.restore(s)) {
      this.logger.info(
        `${this.id} [commit: ${this.log.committed}] restored snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`,
      );
      this.send(
        makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.log.lastIndex() }),
      );
    } else {
      this.logger.info(
        `${this.id} [commit: ${this.log.committed}] ignored snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`,
      );
      this.send(
        makeMessage({ type: MessageType.MsgAppResp, to: m.from, index: this.log.committed }),
      );
    }
  }

  /** Installs a snapshot from the leader. Returns false if it was not needed. */
  private restore(s: Snapshot): boolean {
    const meta = s.metadata;
    if (meta.index <= this.log.committed) return false;
    if (this.state !== StateType.Follower) {
      // Defense in depth: only followers restore snapshots.
      this.logger.warn(
        `${this.id} attempted to restore snapshot as ${stateTypeName(this.state)}; should never happen`,
      );
      this.becomeFollower(this.term + 1, NONE);
      return false;
    }
    // The receiver may be missing from the snapshot's configuration: a node added after
    // the snapshot was taken (the bootstrap snapshot, typically) learns of its own addition
    // from the entries that follow. Until then it is not promotable and cannot campaign.
    const cs = meta.confState;
    if (this.log.matchTerm(meta.index, meta.term)) {
      // We already have the snapshot's last entry: just fast-forward the commit index.
      this.logger.info(
        `${this.id} fast-forwarded commit to snapshot [index: ${meta.index}, term: ${meta.term}]`,
      );
      this.log.commitTo(meta.index);
      return false;
    }
    this.log.restore(s);
    const restored = restoreConfig(
      new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes),
      this.log.lastIndex(),
      cs,
    );
    this.switchToConfig(restored);
    this.metrics.snapshotsRestored++;
    return true;
  }

  // -------------------------------------------------------------------------------------
  // Membership

  /** Applies a committed conf change; returns the resulting membership. */
  applyConfChange(cc: ConfChange): ConfState {
    this.metrics.confChangesApplied++;
    let next: ConfigAndProgress;
    try {
      next = new Changer(this.tracker, this.log.lastIndex()).apply(cc);
    } catch (err) {
      if (!(err instanceof ConfChangeError)) throw err;
      // Every replica reaches the same verdict from the same configuration, so ignoring
      // the change deterministically keeps them consistent. The leader refuses such
      // proposals up front; this covers hosts bypassing it.
      this.logger.error(`${this.id} ignoring invalid committed conf change: ${err.message}`);
      return toConfState(this.tracker.config);
    }
    return this.switchToConfig(next);
  }

  private switchToConfig(next: ConfigAndProgress): ConfState {
    this.tracker.setConfig(next.config, next.progress);
    this.logger.info(`${this.id} switched to configuration ${describeConfig(this.tracker.config)}`);
    const cs = toConfState(this.tracker.config);
    const self = this.tracker.progress.get(this.id);
    this.isLearner = self !== undefined && self.isLearner;

    if ((self === undefined || this.isLearner) && this.state === StateType.Leader) {
      // We were removed (or demoted). Stepping down promptly lets the remaining voters
      // elect a leader; hand over to the most up-to-date voter to skip the timeout.
      if (this.cfg.stepDownOnRemoval) {
        const successor = this.bestTransferee();
        this.becomeFollower(this.term, NONE);
        if (successor !== NONE) this.sendTimeoutNow(successor);
      }
      return cs;
    }
    if (this.state !== StateType.Leader || cs.voters.length === 0) return cs;

    if (this.maybeCommit()) {
      // The new quorum may already hold more entries.
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else {
      // Probe new members right away instead of waiting for the next heartbeat.
      this.forEachPeer((id) => {
        this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.tracker.isVoter(this.leadTransferee)) {
      this.leadTransferee = NONE;
    }
    return cs;
  }

  /** A voter other than us whose log is complete, to hand leadership to; or NONE. */
  private bestTransferee(): number {
    const last = this.log.lastIndex();
    for (const id of this.tracker.memberIds()) {
      if (id === this.id || !this.tracker.isVoter(id)) continue;
      const pr = this.tracker.progress.get(id)!;
      if (pr.match === last) return id;
    }
    return NONE;
  }
}
