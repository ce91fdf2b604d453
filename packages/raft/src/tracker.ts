import { Inflights } from './inflights.js';
import { Progress } from './progress.js';
import type { JointConfig } from './quorum.js';
import { describeJoint, jointCommitted, jointVoteResult, VoteResult } from './quorum.js';
import type { ConfState } from './types.js';

/** Membership as the tracker sees it (sets for fast lookup). */
export interface TrackerConfig {
  readonly voters: JointConfig;
  readonly learners: ReadonlySet<number>;
  /** Outgoing voters that become learners when the joint configuration is left. */
  readonly learnersNext: ReadonlySet<number>;
  readonly autoLeave: boolean;
}

export const EMPTY_TRACKER_CONFIG: TrackerConfig = {
  voters: { incoming: new Set(), outgoing: new Set() },
  learners: new Set(),
  learnersNext: new Set(),
  autoLeave: false,
};

export function isJoint(cfg: TrackerConfig): boolean {
  return cfg.voters.outgoing.size > 0;
}

const sorted = (s: ReadonlySet<number>): number[] => [...s].sort((a, b) => a - b);

export function toConfState(cfg: TrackerConfig): ConfState {
  return {
    voters: sorted(cfg.voters.incoming),
    learners: sorted(cfg.learners),
    votersOutgoing: sorted(cfg.voters.outgoing),
    learnersNext: sorted(cfg.learnersNext),
    autoLeave: cfg.autoLeave,
  };
}

export function describeConfig(cfg: TrackerConfig): string {
  let s = `voters=${describeJoint(cfg.voters)}`;
  if (cfg.learners.size > 0) s += ` learners=(${sorted(cfg.learners).join(' ')})`;
  if (cfg.learnersNext.size > 0) s += ` learners_next=(${sorted(cfg.learnersNext).join(' ')})`;
  if (cfg.autoLeave) s += ' autoleave';
  return s;
}

/**
 * Progress of every member plus the active configuration and the votes of the current
 * election. Iteration is always in ascending id order so that runs are deterministic.
 */
export class ProgressTracker {
  config: TrackerConfig = EMPTY_TRACKER_CONFIG;
  progress = new Map<number, Progress>();
  readonly votes = new Map<number, boolean>();
  private ids: number[] = [];

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  newInflights(): Inflights {
    return new Inflights(this.maxInflight, this.maxInflightBytes);
  }

  newProgress(next: number, isLearner: boolean): Progress {
    return new Progress(next, this.newInflights(), { isLearner, recentActive: true });
  }

  /** Installs a configuration and its progress map (from the conf-change Changer). */
  setConfig(cfg: TrackerConfig, progress: Map<number, Progress>): void {
    this.config = cfg;
    this.progress = progress;
    this.ids = [...progress.keys()].sort((a, b) => a - b);
  }

  /** Ids of all tracked members (voters and learners), ascending. */
  memberIds(): readonly number[] {
    return this.ids;
  }

  /** Highest index replicated on a quorum of the (joint) voter configuration. */
  committed(): number {
    return jointCommitted(this.config.voters, (id) => this.progress.get(id)?.match);
  }

  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && this.config.voters.outgoing.size === 0;
  }

  isVoter(id: number): boolean {
    return this.config.voters.incoming.has(id) || this.config.voters.outgoing.has(id);
  }

  /** Whether a quorum was recently active (CheckQuorum, §6.2). */
  quorumActive(): boolean {
    const active = new Map<number, boolean>();
    for (const id of this.ids) {
      const pr = this.progress.get(id)!;
      if (!pr.isLearner) active.set(id, pr.recentActive);
    }
    return jointVoteResult(this.config.voters, active) === VoteResult.Won;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records a vote; only the first vote from a given node counts. */
  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.ids) {
      if (this.progress.get(id)!.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }
}
