import { RaftError } from './errors.js';
import type { Progress } from './progress.js';
import type { ProgressTracker, TrackerConfig } from './tracker.js';
import type { ConfChange, ConfChangeSingle, ConfState } from './types.js';
import { ConfChangeTransition, ConfChangeType, EMPTY_BYTES } from './types.js';

/** A membership change that cannot be applied to the current configuration. */
export class ConfChangeError extends RaftError {}

/** Result of a configuration change: the new configuration and progress map. */
export interface ConfigAndProgress {
  readonly config: TrackerConfig;
  readonly progress: Map<number, Progress>;
}

interface WorkingConfig {
  incoming: Set<number>;
  outgoing: Set<number>;
  learners: Set<number>;
  learnersNext: Set<number>;
  autoLeave: boolean;
}

/** True if the change means "leave the joint configuration" (empty, Auto transition). */
export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.transition === ConfChangeTransition.Auto && cc.changes.length === 0;
}

/**
 * Whether the change must use joint consensus, and if so whether to leave it
 * automatically. Single changes with the Auto transition are applied directly.
 */
export function enterJointMode(cc: ConfChange): { joint: boolean; autoLeave: boolean } {
  if (cc.transition === ConfChangeTransition.Auto && cc.changes.length <= 1) {
    return { joint: false, autoLeave: false };
  }
  return {
    joint: true,
    autoLeave:
      cc.transition === ConfChangeTransition.Auto ||
      cc.transition === ConfChangeTransition.JointImplicit,
  };
}

/**
 * Computes configuration changes without touching the live tracker, following thesis
 * §4.3 (joint consensus) and §4.1 (single-server changes: at most one voter changes).
 * Every method returns a fresh configuration and progress map or throws ConfChangeError.
 */
export class Changer {
  constructor(
    private readonly tracker: ProgressTracker,
    /** Last log index; new members are probed from here. */
    private readonly lastIndex: number,
  ) {}

  /** Applies any ConfChange as the log prescribes (leave joint, enter joint or simple). */
  apply(cc: ConfChange): ConfigAndProgress {
    if (isLeaveJoint(cc)) return this.leaveJoint();
    const mode = enterJointMode(cc);
    if (mode.joint) return this.enterJoint(mode.autoLeave, cc.changes);
    return this.simple(cc.changes);
  }

  /** C_old → C_old,new: the outgoing half keeps the old voters, changes apply to incoming. */
  enterJoint(autoLeave: boolean, changes: readonly ConfChangeSingle[]): ConfigAndProgress {
    const { cfg, prs } = this.copy();
    if (cfg.outgoing.size > 0) throw new ConfChangeError('config is already joint');
    if (cfg.incoming.size === 0) {
      throw new ConfChangeError("can't make a zero-voter config joint");
    }
    cfg.outgoing = new Set(cfg.incoming);
    this.applyChanges(cfg, prs, changes);
    cfg.autoLeave = autoLeave;
    return checkAndReturn(cfg, prs);
  }

  /** C_old,new → C_new: drop the outgoing half; staged learners become learners. */
  leaveJoint(): ConfigAndProgress {
    const { cfg, prs } = this.copy();
    if (cfg.outgoing.size === 0) throw new ConfChangeError("can't leave a non-joint config");
    for (const id of cfg.learnersNext) {
      cfg.learners.add(id);
      prs.get(id)!.isLearner = true;
    }
    cfg.learnersNext = new Set();
    for (const id of cfg.outgoing) {
      if (!cfg.incoming.has(id) && !cfg.learners.has(id)) prs.delete(id);
    }
    cfg.outgoing = new Set();
    cfg.autoLeave = false;
    return checkAndReturn(cfg, prs);
  }

  /**
   * Changes applied directly, without joint consensus. Safe only if at most one voter is
   * added or removed (any two majorities of the old and new configurations overlap).
   */
  simple(changes: readonly ConfChangeSingle[]): ConfigAndProgress {
    const { cfg, prs } = this.copy();
    if (cfg.outgoing.size > 0) {
      throw new ConfChangeError("can't apply simple config change in joint config");
    }
    this.applyChanges(cfg, prs, changes);
    const before = this.tracker.config.voters.incoming;
    let diff = 0;
    for (const id of before) if (!cfg.incoming.has(id)) diff++;
    for (const id of cfg.incoming) if (!before.has(id)) diff++;
    if (diff > 1) {
      throw new ConfChangeError('more than one voter changed without entering joint config');
    }
    return checkAndReturn(cfg, prs);
  }

  private copy(): { cfg: WorkingConfig; prs: Map<number, Progress> } {
    const c = this.tracker.config;
    const cfg: WorkingConfig = {
      incoming: new Set(c.voters.incoming),
      outgoing: new Set(c.voters.outgoing),
      learners: new Set(c.learners),
      learnersNext: new Set(c.learnersNext),
      autoLeave: c.autoLeave,
    };
    checkInvariants(cfg, this.tracker.progress);
    const prs = new Map<number, Progress>();
    for (const [id, pr] of this.tracker.progress) prs.set(id, pr.clone());
    return { cfg, prs };
  }

  private applyChanges(
    cfg: WorkingConfig,
    prs: Map<number, Progress>,
    changes: readonly ConfChangeSingle[],
  ): void {
    for (const cc of changes) {
      // Node id 0 marks a change the host decided to skip.
      if (cc.nodeId === 0) continue;
      switch (cc.type) {
        case ConfChangeType.AddNode:
          this.makeVoter(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.AddLearnerNode:
          this.makeLearner(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.RemoveNode:
          remove(cfg, prs, cc.nodeId);
          break;
        case ConfChangeType.UpdateNode:
          break;
        default:
          throw new ConfChangeError(`unexpected conf change type ${String(cc.type)}`);
      }
    }
    if (cfg.incoming.size === 0) throw new ConfChangeError('removed all voters');
  }

  private makeVoter(cfg: WorkingConfig, prs: Map<number, Progress>, id: number): void {
    const pr = prs.get(id);
    if (pr === undefined) {
      this.initProgress(cfg, prs, id, false);
      return;
    }
    pr.isLearner = false;
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    cfg.incoming.add(id);
  }

  private makeLearner(cfg: WorkingConfig, prs: Map<number, Progress>, id: number): void {
    const pr = prs.get(id);
    if (pr === undefined) {
      this.initProgress(cfg, prs, id, true);
      return;
    }
    if (pr.isLearner) return;
    // Remove as a voter but keep the progress.
    remove(cfg, prs, id);
    prs.set(id, pr);
    // A voter of the outgoing half cannot become a learner until the joint config is
    // left (a node can't be both); stage it in learnersNext.
    if (cfg.outgoing.has(id)) {
      cfg.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      cfg.learners.add(id);
    }
  }

  private initProgress(
    cfg: WorkingConfig,
    prs: Map<number, Progress>,
    id: number,
    isLearner: boolean,
  ): void {
    if (isLearner) cfg.learners.add(id);
    else cfg.incoming.add(id);
    // Probe from the last index: the new member likely needs everything (and will get a
    // snapshot if the log was compacted), but probing costs one round trip either way.
    prs.set(id, this.tracker.newProgress(Math.max(this.lastIndex, 1), isLearner));
  }
}

function remove(cfg: WorkingConfig, prs: Map<number, Progress>, id: number): void {
  if (!prs.has(id)) return;
  cfg.incoming.delete(id);
  cfg.learners.delete(id);
  cfg.learnersNext.delete(id);
  // Still a voter of the outgoing half: keep tracking it until the joint config is left.
  if (!cfg.outgoing.has(id)) prs.delete(id);
}

function checkInvariants(cfg: WorkingConfig, prs: ReadonlyMap<number, Progress>): void {
  for (const set of [cfg.incoming, cfg.outgoing, cfg.learners, cfg.learnersNext]) {
    for (const id of set) {
      if (!prs.has(id)) throw new ConfChangeError(`no progress for ${id}`);
    }
  }
  for (const id of cfg.learnersNext) {
    if (!cfg.outgoing.has(id)) {
      throw new ConfChangeError(`${id} is in learnersNext, but not in the outgoing voters`);
    }
    if (prs.get(id)!.isLearner) {
      throw new ConfChangeError(`${id} is in learnersNext, but is already marked as learner`);
    }
  }
  for (const id of cfg.learners) {
    if (cfg.outgoing.has(id)) throw new ConfChangeError(`${id} is in learners and outgoing voters`);
    if (cfg.incoming.has(id)) throw new ConfChangeError(`${id} is in learners and voters`);
    if (!prs.get(id)!.isLearner) {
      throw new ConfChangeError(`${id} is in learners, but is not marked as learner`);
    }
  }
  if (cfg.outgoing.size === 0) {
    if (cfg.learnersNext.size > 0)
      throw new ConfChangeError('learnersNext must be empty when not joint');
    if (cfg.autoLeave) throw new ConfChangeError('autoLeave must be false when not joint');
  }
}

function checkAndReturn(cfg: WorkingConfig, prs: Map<number, Progress>): ConfigAndProgress {
  checkInvariants(cfg, prs);
  return {
    config: {
      voters: { incoming: cfg.incoming, outgoing: cfg.outgoing },
      learners: cfg.learners,
      learnersNext: cfg.learnersNext,
      autoLeave: cfg.autoLeave,
    },
    progress: prs,
  };
}

/**
 * Builds the configuration described by a ConfState (from storage or a snapshot) with
 * fresh progress for every member.
 */
export function restoreConfig(
  tracker: ProgressTracker,
  lastIndex: number,
  cs: ConfState,
): ConfigAndProgress {
  const cfg: WorkingConfig = {
    incoming: new Set(cs.voters),
    outgoing: new Set(cs.votersOutgoing),
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
  const prs = new Map<number, Progress>();
  const next = Math.max(lastIndex, 1);
  for (const set of [cfg.incoming, cfg.outgoing, cfg.learnersNext]) {
    for (const id of set) {
      if (id <= 0 || !Number.isSafeInteger(id)) {
        throw new ConfChangeError(`invalid node id ${id} in conf state`);
      }
      if (!prs.has(id)) prs.set(id, tracker.newProgress(next, false));
    }
  }
  for (const id of cfg.learners) {
    if (id <= 0 || !Number.isSafeInteger(id)) {
      throw new ConfChangeError(`invalid node id ${id} in conf state`);
    }
    if (prs.has(id)) throw new ConfChangeError(`${id} is both a voter and a learner in conf state`);
    prs.set(id, tracker.newProgress(next, true));
  }
  if (cfg.incoming.size === 0 && cfg.outgoing.size > 0) {
    throw new ConfChangeError('conf state has outgoing voters but no incoming voters');
  }
  checkInvariants(cfg, prs);
  return checkAndReturn(cfg, prs);
}

/** Builders for common membership changes. */
export const ConfChanges = {
  /** Single-step change: add (or promote a learner to) a voter. */
  addNode(nodeId: number, context: Uint8Array = EMPTY_BYTES): ConfChange {
    return single(ConfChangeType.AddNode, nodeId, context);
  },
  /** Single-step change: remove a voter or learner. */
  removeNode(nodeId: number): ConfChange {
    return single(ConfChangeType.RemoveNode, nodeId, EMPTY_BYTES);
  },
  addLearner(nodeId: number, context: Uint8Array = EMPTY_BYTES): ConfChange {
    return single(ConfChangeType.AddLearnerNode, nodeId, context);
  },
  /** Several changes at once through joint consensus. */
  joint(
    changes: readonly ConfChangeSingle[],
    transition: ConfChangeTransition = ConfChangeTransition.Auto,
  ): ConfChange {
    return { transition, changes, context: EMPTY_BYTES };
  },
  /** Leaves an explicit joint configuration. */
  leaveJoint(): ConfChange {
    return { transition: ConfChangeTransition.Auto, changes: [], context: EMPTY_BYTES };
  },
} as const;

function single(type: ConfChangeType, nodeId: number, context: Uint8Array): ConfChange {
  return { transition: ConfChangeTransition.Auto, changes: [{ type, nodeId }], context };
}
