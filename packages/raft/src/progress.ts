import type { Inflights } from './inflights.js';

/**
 * How the leader replicates to a follower:
 * - Probe: the follower's log position is unknown; send one MsgApp at a time and wait.
 * - Replicate: the follower is known to match; stream MsgApps optimistically, limited by
 *   the inflight window.
 * - Snapshot: a snapshot was sent; send nothing until its fate is known.
 */
export const ProgressState = {
  Probe: 0,
  Replicate: 1,
  Snapshot: 2,
} as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];
const names = ['Probe', 'Replicate', 'Snapshot'] as const;
export function progressStateName(s: ProgressState): string {
  return names[s];
}

/** The leader's view of one follower (or learner). */
export class Progress {
  /** Highest index known to be replicated on the follower. */
  match: number;
  /** Index of the next entry to send. Invariant: match < next. */
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** Snapshot index in flight while in Snapshot state. */
  pendingSnapshot = 0;
  /**
   * Whether the follower was heard from since the last CheckQuorum round. A new peer
   * starts active so that CheckQuorum does not fire before it had a chance to answer.
   */
  recentActive: boolean;
  /**
   * In Probe: a probe is outstanding, wait for its answer (or a heartbeat). In Replicate:
   * unused (the inflight window decides).
   */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;
  /**
   * Highest leader lease clock echoed by the follower's heartbeat responses in this term
   * (-Infinity: none yet). Dates the follower's promise not to vote for others.
   */
  leaseAck = Number.NEGATIVE_INFINITY;

  constructor(
    next: number,
    inflights: Inflights,
    opts: { isLearner?: boolean; recentActive?: boolean; match?: number } = {},
  ) {
    this.match = opts.match ?? 0;
    this.next = next;
    this.inflights = inflights;
    this.isLearner = opts.isLearner ?? false;
    this.recentActive = opts.recentActive ?? false;
  }

  /**
   * A copy for a new configuration (the conf-change Changer never mutates the live map).
   * The inflight window is shared: the old configuration is discarded on success.
   */
  clone(): Progress {
    const p = new Progress(this.next, this.inflights, {
      isLearner: this.isLearner,
      recentActive: this.recentActive,
      match: this.match,
    });
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.msgAppFlowPaused = this.msgAppFlowPaused;
    p.leaseAck = this.leaseAck;
    return p;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // Resume after the snapshot if it was applied; if it failed pendingSnapshot is 0.
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /**
   * The follower acknowledged up to n. Returns false if that is not news (stale or
   * duplicated response).
   */
  maybeUpdate(n: number): boolean {
    if (n <= this.match) return false;
    this.match = n;
    if (this.next < n + 1) this.next = n + 1;
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Records MsgApp entries sent up to `last` (Replicate: move next ahead optimistically). */
  sentEntries(last: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      this.next = last + 1;
      this.inflights.add(last, bytes);
    } else {
      this.msgAppFlowPaused = true;
    }
  }

  /**
   * The follower rejected a MsgApp at index `rejected`; `matchHint` is the highest index
   * that may still match. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      // An old rejection for an index we already know matches is stale.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In Probe, only the answer to the outstanding probe (at next-1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether sending MsgApp to this follower should wait. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.msgAppFlowPaused;
      case ProgressState.Replicate:
        return this.inflights.full();
      default:
        return true;
    }
  }

  describe(): string {
    let s = `${progressStateName(this.state)} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    if (this.inflights.size > 0) s += ` inflight=${this.inflights.size}`;
    return s;
  }
}
