import { ConfigError } from './errors.js';
import type { RaftLogger } from './logger.js';
import { discardLogger } from './logger.js';
import type { ReadOnlyOption } from './readonly.js';
import type { Storage } from './storage.js';

/** Configuration of one Raft node. Time is counted in ticks the host delivers. */
export interface RaftConfig {
  /** This node's id: a positive safe integer, unique in the cluster. */
  id: number;
  /** The persisted log and state to start from. */
  storage: Storage;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The actual timeout
   * is randomized in [electionTick, 2*electionTick) per term. 10 × heartbeatTick is usual.
   */
  electionTick: number;
  /** Ticks between leader heartbeats. Must be < electionTick. */
  heartbeatTick: number;
  /**
   * Uniform random number in [0, 1), used only for election timeout jitter. Inject a
   * seeded generator for deterministic runs.
   */
  random: () => number;
  /**
   * Last index the host's state machine has applied (e.g. from its own snapshot), so that
   * committed entries up to it are not handed out again after a restart. Default 0.
   */
  applied?: number;
  /** Pre-election round before incrementing the term (thesis §9.6). Default true. */
  preVote?: boolean;
  /**
   * Leader steps down if it has not heard from a quorum within an election timeout, and
   * followers that heard from a leader recently ignore vote requests (thesis §6.2, leader
   * lease). Default true.
   */
  checkQuorum?: boolean;
  /** How ReadIndex requests are confirmed. Default 'safe'. */
  readOnlyOption?: ReadOnlyOption;
  /** Target maximum bytes of entries per MsgApp (at least one entry is sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Maximum bytes of committed entries per Ready. Default 16 MiB. */
  maxCommittedSizePerReady?: number;
  /**
   * Leader refuses proposals once this many payload bytes are uncommitted (0: no limit).
   * Default 0.
   */
  maxUncommittedEntriesSize?: number;
  /** Maximum MsgApp messages in flight per follower in Replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Maximum payload bytes in flight per follower (0: no limit). Default 0. */
  maxInflightBytes?: number;
  /** Followers refuse proposals instead of forwarding them to the leader. Default false. */
  disableProposalForwarding?: boolean;
  /**
   * A leader that applies its own removal (or demotion) steps down, first telling the
   * most up-to-date voter to campaign. Default true.
   */
  stepDownOnRemoval?: boolean;
  /**
   * Persisted notices (decision 0050): once a leader's own copy of the log is durable, it tells
   * each follower that forwarded a proposal in it, in an empty MsgApp marked
   * `LEADER_PERSISTED_CONTEXT`. Where the leader and that follower alone are a quorum
   * (up to three voters, not joint), the follower then commits as soon as its own copy is
   * durable too, without waiting for its acknowledgement to reach the leader and the leader's
   * commit index to come back: two message delays fewer for a write sent to a follower. The
   * leader's ReadIndex covers what it announced, so reads stay linearizable. Followers
   * understand the notice whatever this says; it only decides whether a leader sends them.
   * Default false (etcd's behaviour).
   */
  persistedNotices?: boolean;
  logger?: RaftLogger;
}

export type ResolvedRaftConfig = Required<RaftConfig>;

const MiB = 1024 * 1024;

/** Fills defaults and validates; throws ConfigError naming the offending field. */
export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  const r: ResolvedRaftConfig = {
    id: c.id,
    storage: c.storage,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    random: c.random,
    applied: c.applied ?? 0,
    preVote: c.preVote ?? true,
    checkQuorum: c.checkQuorum ?? true,
    readOnlyOption: c.readOnlyOption ?? 'safe',
    maxSizePerMsg: c.maxSizePerMsg ?? MiB,
    maxCommittedSizePerReady: c.maxCommittedSizePerReady ?? 16 * MiB,
    maxUncommittedEntriesSize: c.maxUncommittedEntriesSize ?? 0,
    maxInflightMsgs: c.maxInflightMsgs ?? 256,
    maxInflightBytes: c.maxInflightBytes ?? 0,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    stepDownOnRemoval: c.stepDownOnRemoval ?? true,
    persistedNotices: c.persistedNotices ?? false,
    logger: c.logger ?? discardLogger,
  };
  const positiveInt = (name: keyof RaftConfig, v: number): void => {
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new ConfigError(`raft config: ${name} must be a positive integer, got ${String(v)}`);
    }
  };
  const nonNegativeInt = (name: keyof RaftConfig, v: number): void => {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new ConfigError(
        `raft config: ${name} must be a non-negative integer, got ${String(v)}`,
      );
    }
  };
  positiveInt('id', r.id);
  positiveInt('heartbeatTick', r.heartbeatTick);
  positiveInt('electionTick', r.electionTick);
  if (r.electionTick <= r.heartbeatTick) {
    throw new ConfigError(
      `raft config: electionTick (${r.electionTick}) must be greater than heartbeatTick (${r.heartbeatTick})`,
    );
  }
  if (typeof r.storage !== 'object' || r.storage === null) {
    throw new ConfigError('raft config: storage is required');
  }
  if (typeof r.random !== 'function') {
    throw new ConfigError('raft config: random must be a function returning [0, 1)');
  }
  nonNegativeInt('applied', r.applied);
  positiveInt('maxSizePerMsg', r.maxSizePerMsg);
  positiveInt('maxCommittedSizePerReady', r.maxCommittedSizePerReady);
  nonNegativeInt('maxUncommittedEntriesSize', r.maxUncommittedEntriesSize);
  positiveInt('maxInflightMsgs', r.maxInflightMsgs);
  nonNegativeInt('maxInflightBytes', r.maxInflightBytes);
  if (r.maxInflightBytes !== 0 && r.maxInflightBytes < r.maxSizePerMsg) {
    throw new ConfigError(
      `raft config: maxInflightBytes (${r.maxInflightBytes}) must be 0 (unlimited) or >= maxSizePerMsg (${r.maxSizePerMsg})`,
    );
  }
  if (r.readOnlyOption !== 'safe' && r.readOnlyOption !== 'lease-based') {
    throw new ConfigError(
      `raft config: readOnlyOption must be 'safe' or 'lease-based', got ${String(r.readOnlyOption)}`,
    );
  }
  if (r.readOnlyOption === 'lease-based' && !r.checkQuorum) {
    throw new ConfigError('raft config: readOnlyOption lease-based requires checkQuorum');
  }
  return r;
}
