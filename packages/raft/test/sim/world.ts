/**
 * A whole simulated deployment for one seed: servers (NodeHost) on a SimNetwork with a
 * VirtualClock, clients issuing key-value operations recorded for the linearizability
 * checker, a nemesis injecting faults, and optionally an operator changing membership.
 *
 * Phases: faults (safety: invariants checked continuously), heal (liveness: a leader and
 * a fresh commit within a bound), drain (outstanding client operations finish), verdict
 * (replicas converge; the history is linearizable).
 */
import type { KvInput, KvOutput, Prng } from '@kubets/sim';
import {
  checkLinearizable,
  HistoryRecorder,
  kvModel,
  SimDisk,
  SimNetwork,
  VirtualClock,
} from '@kubets/sim';
import type { ConfChange } from '../../src/index.js';
import { bootstrapSnapshot, ConfChanges, ConfChangeType, StateType } from '../../src/index.js';
import { SafetyChecker } from './invariants.js';
import type { HostOptions } from './node-host.js';
import { NodeHost, TICK_MS } from './node-host.js';

export interface FaultProfile {
  /** Mean ms between nemesis actions. */
  nemesisEveryMs: number;
  partitions: boolean;
  asymmetric: boolean;
  crashes: boolean;
  /** Max simultaneous crashed nodes. */
  maxCrashed: number;
  lossRate: number;
  duplicateRate: number;
  maxDelayMs: number;
  tornWrites: boolean;
  /** Probability that a nemesis action isolates the current leader. */
  isolateLeaderBias: number;
}

export interface WorldOptions {
  nodes: number;
  clients: number;
  keys: number;
  /** Fraction of client operations that are reads. */
  readFraction: number;
  faultPhaseMs: number;
  livenessBoundMs: number;
  faults: FaultProfile;
  membership: boolean;
  host: HostOptions;
}

/**
 * Swarm testing: each seed draws its own mix and intensity of faults and settings.
 * The 'lease' profile stresses lease-based reads: leader isolation, crashes and many reads.
 */
export function swarmOptions(
  prng: Prng,
  base: { nodes: number; faultPhaseMs: number; profile?: 'swarm' | 'lease' },
): WorldOptions {
  const lease = base.profile === 'lease';
  const checkQuorum = lease || prng.chance(0.8);
  const preVote = prng.chance(0.8);
  const leaseReads = lease || (checkQuorum && prng.chance(0.4));
  const smallMessages = prng.chance(0.3);
  const options: WorldOptions = {
    nodes: base.nodes,
    clients: prng.range(2, 5),
    keys: prng.range(2, 4),
    readFraction: lease ? 0.6 : 0.4,
    faultPhaseMs: base.faultPhaseMs,
    livenessBoundMs: 3000,
    membership: !lease && prng.chance(0.35),
    faults: {
      nemesisEveryMs: prng.range(80, 400),
      partitions: prng.chance(0.7),
      asymmetric: prng.chance(0.4),
      crashes: prng.chance(0.7),
      maxCrashed: prng.range(1, Math.max(1, base.nodes - 1)),
      lossRate: prng.chance(0.6) ? prng.next() * 0.2 : 0,
      duplicateRate: prng.chance(0.4) ? prng.next() * 0.1 : 0,
      maxDelayMs: prng.pick([5, 10, 20, 60]),
      tornWrites: prng.chance(0.5),
      isolateLeaderBias: lease ? 0.5 : 0.1,
    },
    host: {
      raft: {
        electionTick: 10,
        heartbeatTick: 1,
        preVote,
        checkQuorum,
        readOnlyOption: leaseReads ? 'lease-based' : 'safe',
        maxSizePerMsg: smallMessages ? 200 : 64 * 1024,
        maxInflightMsgs: prng.pick([2, 8, 256]),
        maxInflightBytes: smallMessages && prng.chance(0.5) ? 1000 : 0,
      },
      maxSyncDelayMs: prng.pick([0, 2, 8]),
      snapshotEvery: prng.pick([10, 30, 100]),
      compactionKeep: prng.pick([0, 5, 50]),
    },
  };
  // Drawn last so that the draws above, hence each seed's faults, stay as they were.
  options.host.raft.persistedNotices = prng.chance(0.7);
  return options;
}

const OP_TIMEOUT_MS = 500;

export interface WorldReport {
  seed: number;
  ops: number;
  completed: number;
  leaders: number;
  restarts: number;
  tornBytes: number;
  confChanges: number;
  snapshotsSent: number;
  /** Commits by persisted notices on the nodes alive at the end (their metrics since start). */
  commitsByPersistedNotice: number;
  messages: number;
  dropped: number;
  highestApplied: number;
  checks: number;
}

export class World {
  readonly clock = new VirtualClock();
  readonly net: SimNetwork<Uint8Array>;
  readonly checker = new SafetyChecker();
  readonly hosts = new Map<number, NodeHost>();
  readonly history: HistoryRecorder<KvInput, KvOutput>;
  private nextNodeId: number;
  private clientsRunning = true;
  private faultsRunning = true;
  private inflightOps = 0;
  private opsIssued = 0;
  private opsCompleted = 0;
  private confChangesProposed = 0;
  private readonly removedSince = new Map<number, number>();
  private readonly everMember = new Set<number>();
  private readonly crashedAt = new Map<number, number>();

  constructor(
    private readonly prng: Prng,
    readonly opts: WorldOptions,
  ) {
    this.net = new SimNetwork<Uint8Array>({
      clock: this.clock,
      prng: prng.fork('net'),
      defaultLink: { minDelayMs: 1, maxDelayMs: 8 },
    });
    this.history = new HistoryRecorder<KvInput, KvOutput>(() => this.clock.now());
    const voters = Array.from({ length: opts.nodes }, (_, i) => i + 1);
    this.nextNodeId = opts.nodes + 1;
    for (const id of voters) {
      const host = this.createHost(id);
      // Founding members start from the bootstrap snapshot.
      host.log.rewrite(bootstrapSnapshot(voters), { term: 1, vote: 0, commit: 1 }, []);
      host.start();
      this.everMember.add(id);
    }
  }

  private createHost(id: number): NodeHost {
    const disk = new SimDisk({
      prng: this.prng.fork(`disk-${id}`),
      tornWrites: this.opts.faults.tornWrites,
    });
    const host = new NodeHost(
      id,
      disk,
      this.clock,
      this.net,
      this.prng.fork(`host-${id}`),
      this.checker,
      this.opts.host,
    );
    this.hosts.set(id, host);
    return host;
  }

  private liveHosts(): NodeHost[] {
    return [...this.hosts.values()].filter((h) => h.alive);
  }

  leader(): NodeHost | undefined {
    let best: NodeHost | undefined;
    let bestTerm = -1;
    for (const h of this.liveHosts()) {
      const st = h.node.basicStatus();
      if (st.raftState === StateType.Leader && st.term > bestTerm) {
        best = h;
        bestTerm = st.term;
      }
    }
    return best;
  }

  // --- running ------------------------------------------------------------------------

  run(seed: number): WorldReport {
    for (let c = 1; c <= this.opts.clients; c++) this.startClient(c);
    this.startSafetyWatch();
    this.scheduleNemesis();
    if (this.opts.membership) {
      this.scheduleOperator();
      this.scheduleRetirement();
    }
    this.clock.advance(this.opts.faultPhaseMs);

    // Heal everything and demand progress within a bound.
    this.faultsRunning = false;
    this.net.heal();
    this.net.setDefaultLink({ minDelayMs: 1, maxDelayMs: 8, lossRate: 0, duplicateRate: 0 });
    for (const h of this.hosts.values()) if (!h.alive && !h.retired) h.start();
    this.checkLiveness();

    // Let outstanding operations finish, then judge.
    this.clientsRunning = false;
    const drained = this.clock.runUntil(() => this.inflightOps === 0, OP_TIMEOUT_MS * 2);
    if (!drained) throw new Error(`drain: ${this.inflightOps} client operations still in flight`);
    this.checkConvergence();
    this.checkHistory();
    let snapshotsSent = 0;
    let commitsByPersistedNotice = 0;
    for (const h of this.hosts.values()) {
      if (!h.alive) continue;
      const m = h.node.metrics();
      snapshotsSent += m.snapshotsSent;
      commitsByPersistedNotice += m.commitsByPersistedNotice;
    }
    return {
      seed,
      ops: this.opsIssued,
      completed: this.opsCompleted,
      leaders: this.checker.leaderCount,
      restarts: [...this.hosts.values()].reduce((s, h) => s + h.restarts, 0),
      tornBytes: [...this.hosts.values()].reduce((s, h) => s + h.tornBytesRecovered, 0),
      confChanges: this.confChangesProposed,
      snapshotsSent,
      commitsByPersistedNotice,
      messages: this.net.stats.sent,
      dropped: this.net.stats.dropped,
      highestApplied: this.checker.highestApplied,
      checks: this.checker.checks,
    };
  }

  /** Every tick: leaders per term; every 200 ms: Log Matching across live replicas. */
  private startSafetyWatch(): void {
    let n = 0;
    this.clock.setInterval(() => {
      for (const h of this.liveHosts()) {
        const st = h.node.basicStatus();
        if (st.raftState === StateType.Leader) this.checker.onLeader(h.id, st.term);
      }
      if (++n % 20 === 0) {
        const live = this.liveHosts();
        for (let i = 0; i < live.length; i++) {
          for (let j = i + 1; j < live.length; j++) {
            this.checker.checkLogMatching(
              live[i]!.id,
              live[i]!.storage,
              live[j]!.id,
              live[j]!.storage,
            );
          }
        }
      }
    }, TICK_MS);
  }

  private checkLiveness(): void {
    const start = this.clock.now();
    const bound = this.opts.livenessBoundMs;
    const members = (): NodeHost[] => {
      const lead = this.leader();
      if (lead === undefined) return [];
      const cfg = lead.node.status().config;
      const ids = new Set([
        ...cfg.voters,
        ...cfg.votersOutgoing,
        ...cfg.learners,
        ...cfg.learnersNext,
      ]);
      return [...ids].map((id) => this.hosts.get(id)!).filter((h) => h !== undefined);
    };
    // A leader whose term every live member has caught up with.
    const elected = this.clock.runUntil(() => {
      const lead = this.leader();
      if (lead === undefined) return false;
      const term = lead.node.basicStatus().term;
      return members().every(
        (h) =>
          h.alive && h.node.basicStatus().lead === lead.id && h.node.basicStatus().term === term,
      );
    }, bound);
    if (!elected) {
      throw new Error(
        `liveness: no stable leader ${bound} ms after healing (${this.describeNodes()})`,
      );
    }
    // A fresh write commits and every member applies it.
    // Each attempt is a new command (client 0): an earlier attempt may have been applied
    // while its waiter sat on a node that lost leadership.
    let attempt = 0;
    let probeIndex = 0;
    const tryPropose = (): void => {
      if (probeIndex > 0) return;
      const lead = this.leader();
      attempt++;
      const probe = { c: 0, s: attempt, op: 'put' as const, k: '__probe', v: `${attempt}` };
      lead?.propose(probe, () => {
        probeIndex = lead.appliedIndex;
      });
      this.clock.setTimeout(tryPropose, 100);
    };
    tryPropose();
    const done = this.clock.runUntil(
      () => probeIndex > 0 && members().every((h) => h.alive && h.appliedIndex >= probeIndex),
      bound - (this.clock.now() - start),
    );
    if (!done) {
      throw new Error(
        `liveness: a proposal did not commit on every member within ${bound} ms of healing (${this.describeNodes()})`,
      );
    }
  }

  private checkConvergence(): void {
    let members: NodeHost[] = [];
    const converged = this.clock.runUntil(() => {
      const lead = this.leader();
      if (lead === undefined) return false;
      const cfg = lead.node.status().config;
      members = [...new Set([...cfg.voters, ...cfg.learners])].map((id) => this.hosts.get(id)!);
      return new Set(members.map((h) => h.appliedIndex)).size === 1;
    }, 1000);
    if (!converged)
      throw new Error(
        `convergence: members did not reach the same applied index (${this.describeNodes()})`,
      );
    const digests = new Set(members.map((h) => h.kv.digest()));
    if (digests.size !== 1)
      throw new Error('convergence: members have different states at the same index');
  }

  private checkHistory(): void {
    const history = this.history.history();
    const res = checkLinearizable(kvModel, history, { timeoutMs: 20_000 });
    if (res.timedOut)
      throw new Error(`linearizability check timed out on ${history.length} operations`);
    if (!res.ok) throw new Error(`history is not linearizable: ${res.explanation ?? ''}`);
  }

  describeNodes(): string {
    return [...this.hosts.values()]
      .map((h) => {
        if (!h.alive) return `${h.id}:${h.retired ? 'retired' : 'down'}`;
        const s = h.node.basicStatus();
        return `${h.id}:${['F', 'C', 'L', 'P'][s.raftState]} t${s.term} lead${s.lead} c${s.commit} a${h.appliedIndex}`;
      })
      .join(' ');
  }

  // --- clients ------------------------------------------------------------------------

  private startClient(clientId: number): void {
    const rng = this.prng.fork(`client-${clientId}`);
    let seq = 0;
    let target = rng.range(1, this.opts.nodes);
    const lastSeen = new Map<string, string | null>();
    const next = (): void => {
      if (!this.clientsRunning) return;
      this.clock.setTimeout(issue, rng.int(30));
    };
    const pickTarget = (): void => {
      const candidates = [...this.hosts.values()].filter((h) => h.alive && !h.retired);
      if (candidates.length > 0) target = rng.pick(candidates).id;
    };
    const issue = (): void => {
      if (!this.clientsRunning) return;
      const host = this.hosts.get(target);
      if (host === undefined || !host.alive) {
        pickTarget();
        this.clock.setTimeout(issue, 10);
        return;
      }
      seq++;
      const key = `k${rng.int(this.opts.keys)}`;
      const r = rng.next();
      let input: KvInput;
      const rf = this.opts.readFraction;
      if (r < rf) input = { op: 'get', key };
      else if (r < rf + (1 - rf) * 0.6) input = { op: 'put', key, value: `v${clientId}.${seq}` };
      else if (r < rf + (1 - rf) * 0.75) input = { op: 'delete', key };
      else
        input = {
          op: 'cas',
          key,
          expected: lastSeen.get(key) ?? null,
          value: `v${clientId}.${seq}`,
        };
      const handle = this.history.invoke(clientId, input);
      this.opsIssued++;
      this.inflightOps++;
      let finished = false;
      const finish = (out: KvOutput | 'timeout' | 'refused'): void => {
        if (finished) return;
        finished = true;
        this.inflightOps--;
        clearTimeout();
        if (out === 'refused') {
          this.history.discard(handle);
          pickTarget();
        } else if (out === 'timeout') {
          // A read had no effect; a write's fate is unknown and stays pending.
          if (input.op === 'get') this.history.discard(handle);
          host.cancel(opKey);
          pickTarget();
        } else {
          this.history.complete(handle, out);
          this.opsCompleted++;
          if (input.op === 'get') lastSeen.set(key, out.value ?? null);
        }
        next();
      };
      const opKey = input.op === 'get' ? `r:${clientId}:${seq}` : `${clientId}:${seq}`;
      const timer = this.clock.setTimeout(() => finish('timeout'), OP_TIMEOUT_MS);
      const clearTimeout = (): void => this.clock.clearTimer(timer);
      let accepted: boolean;
      if (input.op === 'get') {
        accepted = host.read(opKey, key, (value) => finish({ value }));
      } else {
        const cmd =
          input.op === 'put'
            ? { c: clientId, s: seq, op: 'put' as const, k: key, v: input.value }
            : input.op === 'delete'
              ? { c: clientId, s: seq, op: 'delete' as const, k: key }
              : {
                  c: clientId,
                  s: seq,
                  op: 'cas' as const,
                  k: key,
                  v: input.value,
                  e: input.expected,
                };
        accepted = host.propose(cmd, (out) => finish(out));
      }
      if (!accepted) finish('refused');
    };
    next();
  }

  // --- faults -------------------------------------------------------------------------

  private scheduleNemesis(): void {
    const rng = this.prng.fork('nemesis');
    const f = this.opts.faults;
    this.net.setDefaultLink({
      minDelayMs: 1,
      maxDelayMs: f.maxDelayMs,
      lossRate: f.lossRate,
      duplicateRate: f.duplicateRate,
    });
    const act = (): void => {
      if (!this.faultsRunning) return;
      const actions: (() => void)[] = [() => this.net.heal()];
      const ids = [...this.hosts.values()].filter((h) => !h.retired).map((h) => h.id);
      if (f.partitions) {
        actions.push(() => {
          const shuffled = rng.shuffle(ids);
          const cut = rng.range(1, Math.max(1, shuffled.length - 1));
          this.net.partition(shuffled.slice(0, cut), shuffled.slice(cut));
        });
        actions.push(() => {
          const lead = this.leader();
          if (lead !== undefined) this.net.isolate(lead.id);
        });
      }
      if (f.asymmetric) {
        actions.push(() => {
          const lead = this.leader();
          if (lead === undefined) return;
          const outbound = rng.chance(0.5);
          for (const id of ids) {
            if (id === lead.id) continue;
            if (outbound) this.net.cut(lead.id, id);
            else this.net.cut(id, lead.id);
          }
        });
      }
      if (f.crashes) {
        actions.push(() => {
          const down = [...this.hosts.values()].filter((h) => !h.alive && !h.retired).length;
          if (down >= f.maxCrashed) return;
          const victims = this.liveHosts();
          if (victims.length === 0) return;
          const victim = rng.chance(0.4) ? (this.leader() ?? rng.pick(victims)) : rng.pick(victims);
          victim.crash();
          this.crashedAt.set(victim.id, this.clock.now());
          this.clock.setTimeout(
            () => {
              if (!victim.alive && !victim.retired && this.faultsRunning) victim.start();
            },
            rng.range(20, 1500),
          );
        });
      }
      const isolateLeader = rng.chance(f.isolateLeaderBias);
      if (isolateLeader) {
        this.net.heal();
        const lead = this.leader();
        if (lead !== undefined) this.net.isolate(lead.id);
      } else {
        rng.pick(actions)();
      }
      this.clock.setTimeout(act, rng.range(f.nemesisEveryMs >> 1, f.nemesisEveryMs * 2));
    };
    this.clock.setTimeout(act, f.nemesisEveryMs);
  }

  /**
   * Shuts down nodes removed from the configuration a while ago, as a host would once it
   * sees its removal applied. A removed node may never learn of its removal itself; left
   * running without PreVote/CheckQuorum it would disrupt the cluster (thesis §4.2.3).
   */
  private scheduleRetirement(): void {
    this.clock.setInterval(() => {
      // The latest committed configuration: that of the replica that applied most, down or
      // not (what it applied was committed). A leader's view may be stale.
      let latest: NodeHost | undefined;
      for (const h of this.hosts.values()) {
        if (latest === undefined || h.appliedIndex > latest.appliedIndex) latest = h;
      }
      if (latest === undefined) return;
      const cfg = latest.confState;
      const members = new Set([
        ...cfg.voters,
        ...cfg.votersOutgoing,
        ...cfg.learners,
        ...cfg.learnersNext,
      ]);
      for (const id of members) this.everMember.add(id);
      for (const h of this.hosts.values()) {
        if (h.retired || members.has(h.id) || !this.everMember.has(h.id)) continue;
        const since = this.removedSince.get(h.id);
        if (since === undefined) this.removedSince.set(h.id, this.clock.now());
        else if (this.clock.now() - since > 500) h.retire();
      }
    }, 100);
  }

  /** Membership changes while faults go on: add learners, promote, remove, replace. */
  private scheduleOperator(): void {
    const rng = this.prng.fork('operator');
    const propose = (lead: NodeHost, cc: ConfChange): void => {
      if (lead.proposeConfChange(cc)) this.confChangesProposed++;
    };
    const act = (): void => {
      if (!this.faultsRunning) return;
      this.clock.setTimeout(act, rng.range(200, 700));
      const lead = this.leader();
      if (lead === undefined) return;
      const cfg = lead.node.status().config;
      if (cfg.votersOutgoing.length > 0) return; // joint: auto-leave in progress
      const learner = cfg.learners.find((id) => this.hosts.get(id)?.retired === false);
      if (learner !== undefined && rng.chance(0.7)) {
        propose(lead, ConfChanges.addNode(learner));
        return;
      }
      const voters = cfg.voters;
      const choice = rng.int(3);
      if (choice === 0 && voters.length < 5 && this.hosts.size < 12) {
        const id = this.nextNodeId++;
        this.createHost(id).start();
        propose(lead, ConfChanges.addLearner(id));
      } else if (choice === 1 && voters.length > 3) {
        propose(lead, ConfChanges.removeNode(rng.pick(voters)));
      } else if (this.hosts.size < 12) {
        const id = this.nextNodeId++;
        this.createHost(id).start();
        const old = rng.pick(voters);
        propose(
          lead,
          ConfChanges.joint([
            { type: ConfChangeType.AddNode, nodeId: id },
            { type: ConfChangeType.RemoveNode, nodeId: old },
          ]),
        );
      }
    };
    this.clock.setTimeout(act, 300);
  }
}
