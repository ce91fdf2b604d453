import type { ProgressState } from './progress.js';
import { progressStateName } from './progress.js';
import type { Raft } from './raft.js';
import { toConfState } from './tracker.js';
import type { ConfState, StateType } from './types.js';
import { stateTypeName } from './types.js';

/** The leader's view of one peer's replication. */
export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  /** 'Probe' | 'Replicate' | 'Snapshot'. */
  readonly stateName: string;
  readonly pendingSnapshot: number;
  readonly recentActive: boolean;
  readonly paused: boolean;
  readonly isLearner: boolean;
  readonly inflightMessages: number;
  readonly inflightBytes: number;
}

/** Term, vote, indexes, leader and role: cheap to produce. */
export interface BasicStatus {
  readonly id: number;
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
  readonly applied: number;
  readonly lead: number;
  readonly raftState: StateType;
}

/** A snapshot of a node's state, for monitoring and debugging. */
export interface Status {
  readonly id: number;
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
  readonly lead: number;
  readonly raftState: StateType;
  /** 'Follower' | 'Candidate' | 'Leader' | 'PreCandidate'. */
  readonly raftStateName: string;
  readonly leadTransferee: number;
  readonly isLearner: boolean;
  readonly config: ConfState;
  /** Per-peer replication progress; only populated on the leader. */
  readonly progress: ReadonlyMap<number, ProgressStatus>;
}

export function getStatus(r: Raft): Status {
  const progress = new Map<number, ProgressStatus>();
  if (r.state === 2 /* Leader */) {
    for (const id of r.tracker.memberIds()) {
      const pr = r.tracker.progress.get(id)!;
      progress.set(id, {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        stateName: progressStateName(pr.state),
        pendingSnapshot: pr.pendingSnapshot,
        recentActive: pr.recentActive,
        paused: pr.isPaused(),
        isLearner: pr.isLearner,
        inflightMessages: pr.inflights.size,
        inflightBytes: pr.inflights.bytes,
      });
    }
  }
  return {
    id: r.id,
    term: r.term,
    vote: r.vote,
    commit: r.log.committed,
    applied: r.log.applied,
    lastIndex: r.log.lastIndex(),
    firstIndex: r.log.firstIndex(),
    lead: r.lead,
    raftState: r.state,
    raftStateName: stateTypeName(r.state),
    leadTransferee: r.leadTransferee,
    isLearner: r.isLearner,
    config: toConfState(r.tracker.config),
    progress,
  };
}
