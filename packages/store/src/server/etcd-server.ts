import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  ConfChangeTransition,
  MemoryStorage,
  ConfChangeType,
  ProposalDroppedError,
  StateType,
  encodeSnapshotMetadata,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type SnapshotMetadata,
} from '@kubets/raft';
import { sampledGauge, type Logger } from '@kubets/component-base';
import { internalRequestCodec, messageCodec } from '../apply/codec.js';
import {
  ErrCompacted,
  ErrFutureRev,
  ErrLeaseNotFound,
  ErrLearnerNotReady,
  ErrMemberBadURLs,
  ErrMemberNotFound,
  ErrMemberNotLearner,
  ErrNoLeader,
  ErrNoSpace,
  ErrNotLeader,
  ErrPeerURLExist,
  ErrRequestTooLarge,
  ErrStopped,
  ErrTimeout,
  ErrTooManyLearners,
  ErrUnhealthy,
  toEtcdError,
} from '../apply/errors.js';
import { applyRange } from '../apply/kv-apply.js';
import {
  computeClusterId,
  computeMemberId,
  formatId,
  foundingConfState,
  type Member,
} from '../apply/membership.js';
import { encodeInSlices, eventLoopScheduler, type SlicePacing } from '../apply/encode-slices.js';
import {
  StateMachineEncoder,
  encodeStateMachine,
  restoreStateMachine,
} from '../apply/snapshot-codec.js';
import { StateMachine, type ApplyResult } from '../apply/state-machine.js';
import {
  checkDeleteRequest,
  checkPutRequest,
  checkRangeRequest,
  checkTxnRequest,
  DEFAULT_MAX_TXN_OPS,
} from '../apply/validate.js';
import type { AlarmRequest__Output } from '../gen/etcd/types/etcdserverpb/AlarmRequest.js';
import type { AlarmResponse } from '../gen/etcd/types/etcdserverpb/AlarmResponse.js';
import type { CompactionRequest__Output } from '../gen/etcd/types/etcdserverpb/CompactionRequest.js';
import type { CompactionResponse } from '../gen/etcd/types/etcdserverpb/CompactionResponse.js';
import type { DeleteRangeRequest__Output } from '../gen/etcd/types/etcdserverpb/DeleteRangeRequest.js';
import type { DeleteRangeResponse } from '../gen/etcd/types/etcdserverpb/DeleteRangeResponse.js';
import type { LeaseGrantRequest__Output } from '../gen/etcd/types/etcdserverpb/LeaseGrantRequest.js';
import type { LeaseGrantResponse } from '../gen/etcd/types/etcdserverpb/LeaseGrantResponse.js';
import type { LeaseTimeToLiveResponse } from '../gen/etcd/types/etcdserverpb/LeaseTimeToLiveResponse.js';
import type { Member as ProtoMember } from '../gen/etcd/types/etcdserverpb/Member.js';
import type { PutRequest__Output } from '../gen/etcd/types/etcdserverpb/PutRequest.js';
import type { PutResponse } from '../gen/etcd/types/etcdserverpb/PutResponse.js';
import type { RangeRequest__Output } from '../gen/etcd/types/etcdserverpb/RangeRequest.js';
import type { RangeResponse } from '../gen/etcd/types/etcdserverpb/RangeResponse.js';
import type { ResponseHeader } from '../gen/etcd/types/etcdserverpb/ResponseHeader.js';
import type { StatusResponse } from '../gen/etcd/types/etcdserverpb/StatusResponse.js';
import type { TxnRequest__Output } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';
import type { TxnResponse } from '../gen/etcd/types/etcdserverpb/TxnResponse.js';
import type {
  ConfChangeContext,
  ConfChangeContext__Output,
} from '../gen/etcd/types/kubets/store/ConfChangeContext.js';
import type { InternalRequest } from '../gen/etcd/types/kubets/store/InternalRequest.js';
import type { MembersResponse__Output } from '../gen/etcd/types/kubets/store/MembersResponse.js';
import { IdGenerator } from '../lease/id-generator.js';
import { encodeSnapshotFile } from '../storage/snapshot-file.js';
import type { StorageFs } from '../storage/fs.js';
import { RaftLog } from '../storage/raft-log.js';
import { WatchHub } from '../watch/watch-hub.js';
import { Compactor, type CompactionPolicy } from './compactor.js';
import type { StoreMetrics } from './metrics.js';
import { RaftNode } from './raft-node.js';
import { ReadIndexBatcher } from './read-index.js';
import type { StoreTracing } from './tracing.js';
import { Waiters } from './waiters.js';

/**
 * WAL writes happen on the event-loop thread only while fewer watch messages than this went out
 * since the previous write (see RaftNodeHooks.mayWriteInline, decision 0019).
 */
const INLINE_WRITE_MAX_WATCH_MESSAGES = 64;

/** The etcd API version kubets-store reports in Maintenance.Status. */
export const SERVER_VERSION = '3.5.0';

const confChangeContextCodec = messageCodec<ConfChangeContext, ConfChangeContext__Output>(
  'kubets.store.ConfChangeContext',
);

export interface InitialMember {
  readonly name: string;
  readonly peerURLs: readonly string[];
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/** What carries Raft messages to other members (see peer-transport.ts). */
export interface PeerTransport {
  send(messages: readonly Message[]): void;
  setPeers(peers: ReadonlyMap<number, readonly string[]>): void;
  /** Forwards a lease renewal to the leader. */
  leaseRenew(leader: number, id: bigint): Promise<number>;
  /** Forwards a lease TTL query to the leader. */
  leaseTimeToLive(leader: number, id: bigint, keys: boolean): Promise<LeaseTimeToLiveResponse>;
  /** Forwards MemberPromote to the leader (only it knows whether the learner caught up). */
  memberPromote(leader: number, id: number): Promise<ProtoMember[]>;
  stop(): Promise<void>;
}

export interface EtcdServerOptions {
  /** --name */
  name: string;
  /** Storage over --data-dir. */
  fs: StorageFs;
  /** --initial-cluster, parsed. */
  initialCluster: readonly InitialMember[];
  /** --initial-cluster-state */
  initialClusterState: 'new' | 'existing';
  /** --initial-cluster-token */
  initialClusterToken: string;
  /** --advertise-client-urls */
  clientURLs: readonly string[];
  /** --heartbeat-interval (ms) */
  heartbeatMs: number;
  /** --election-timeout (ms) */
  electionMs: number;
  /** --snapshot-count */
  snapshotCount: number;
  /**
   * --experimental-raft-persisted-notices: as leader, tell a follower that forwarded a write
   * when this member's copy is durable, so that in a cluster of up to three members the
   * follower answers its client one message round earlier (decision 0050). Default true.
   */
  persistedNotices?: boolean;
  /** Entries kept in memory behind a snapshot for slow followers (etcd: 5000). */
  catchUpEntries?: number;
  /**
   * How a local snapshot's encoding is spread over turns of the event loop, so requests are
   * served in between (decision 0047): ms per turn (default 4), share of wall time (0.25).
   */
  snapshotPacing?: SlicePacing;
  /** How long a proposal or read waits before "request timed out" (etcd: 5 s + 2 elections). */
  requestTimeoutMs?: number;
  /** --quota-backend-bytes */
  quotaBytes: number;
  maxTxnOps?: number;
  /** --max-request-bytes (etcd default 1.5 MiB). */
  maxRequestBytes?: number;
  /** --auto-compaction-mode/--auto-compaction-retention; undefined: off. */
  autoCompaction?: CompactionPolicy;
  /** Progress notify interval for watchers that asked for it (etcd default 10 min). */
  watchProgressNotifyMs?: number;
  logger: Logger;
  metrics?: StoreMetrics;
  /** Builds the peer transport once the member ID is known; undefined for a single member. */
  transport?: (server: EtcdServer) => PeerTransport;
  /**
   * Asks running members (at these peer URLs) for the cluster's ID and members: how a member
   * started with --initial-cluster-state=existing learns the cluster it joins.
   */
  fetchCluster?: (peerURLs: readonly string[]) => Promise<MembersResponse__Output>;
  /** Monotonic milliseconds (lease expiry). */
  now?: () => number;
  /** Wall-clock milliseconds (ID generation). */
  wallNow?: () => number;
  timers?: Timers;
  /** Randomness for election jitter. */
  random?: () => number;
  /** WAL segment size (tests use small ones). */
  walSegmentBytes?: number;
  /** Called when the server cannot continue (WAL write failed): the process should exit. */
  onFatal?: (err: Error) => void;
  /** Spans for traced requests (distributed tracing on); undefined: none. */
  tracing?: StoreTracing;
}

export interface ServerStatus {
  memberId: number;
  clusterId: bigint;
  leader: number;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  isLearner: boolean;
}

/**
 * One kubets-store member: the request layer of etcd's EtcdServer. Writes are proposed through
 * Raft and answered when their entry is applied; linearizable reads wait for a ReadIndex
 * round; serializable reads are served from the local state machine. Also runs the lease
 * expiry loop on the leader, publishes this member's client URLs, and takes snapshots.
 */
export class EtcdServer {
  readonly sm: StateMachine;
  readonly watchHub: WatchHub;
  readonly memberId: number;
  readonly name: string;
  readonly raft: RaftNode;
  private readonly log: RaftLog;
  private readonly logger: Logger;
  private readonly metrics: StoreMetrics | undefined;
  private readonly tracing: StoreTracing | undefined;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly ids: IdGenerator;
  private readonly waiters: Waiters<ApplyResult>;
  /** Linearizable reads waiting for their ReadIndex round, by a local sequence number. */
  private readonly readWaiters: Waiters<undefined>;
  private readSeq = 0;
  private readonly reads: ReadIndexBatcher;
  private appliedWaiters: Array<{ index: number; resolve: () => void }> = [];
  private readonly intervals: unknown[] = [];
  private transport: PeerTransport | undefined;
  private lead = 0;
  private term = 0;
  private clusterIdCache: { id: bigint; value: ResponseHeader['cluster_id'] } = {
    id: -1n,
    value: '',
  };
  private stopped = false;
  private published = false;
  private publishing = false;
  private revoking = new Set<bigint>();
  private readonly requestTimeoutMs: number;
  private readonly maxTxnOps: number;
  private readonly maxRequestBytes: number;

  private constructor(
    private readonly opts: EtcdServerOptions,
    init: {
      sm: StateMachine;
      log: RaftLog;
      raftStorage: MemoryStorage;
      confState: ConfState;
      snapshotIndex: number;
      memberId: number;
    },
  ) {
    this.name = opts.name;
    this.logger = opts.logger;
    this.metrics = opts.metrics;
    this.tracing = opts.tracing;
    this.timers = opts.timers ?? realTimers;
    this.now = opts.now ?? (() => performance.now());
    this.memberId = init.memberId;
    this.sm = init.sm;
    this.log = init.log;
    this.ids = new IdGenerator(BigInt(init.memberId), (opts.wallNow ?? Date.now)());
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000 + 2 * opts.electionMs;
    this.maxTxnOps = opts.maxTxnOps ?? DEFAULT_MAX_TXN_OPS;
    this.maxRequestBytes = opts.maxRequestBytes ?? 1.5 * 1024 * 1024;
    this.waiters = new Waiters<ApplyResult>({
      setTimeout: (fn, ms) => this.timers.setTimeout(fn, ms),
      clearTimeout: (h) => this.timers.clearTimeout(h),
      now: this.now,
    });
    this.readWaiters = new Waiters<undefined>({
      setTimeout: (fn, ms) => this.timers.setTimeout(fn, ms),
      clearTimeout: (h) => this.timers.clearTimeout(h),
      now: this.now,
    });
    this.watchHub = new WatchHub(this.sm.mvcc, {
      schedule: (fn) => setImmediate(fn),
      delay: (fn, ms) => this.timers.setTimeout(fn, ms),
    });
    this.reads = new ReadIndexBatcher({
      request: (ctx) => this.raft.readIndex(ctx),
      nextContext: () => this.ids.next(),
      waitApplied: (index) => this.waitApplied(index),
      retryMs: 500,
      noLeader: ErrNoLeader,
      setTimeout: (fn, ms) => this.timers.setTimeout(fn, ms),
      clearTimeout: (h) => this.timers.clearTimeout(h),
      now: this.now,
    });
    const electionTick = Math.max(2, Math.round(opts.electionMs / opts.heartbeatMs));
    this.raft = new RaftNode({
      config: {
        id: init.memberId,
        electionTick,
        heartbeatTick: 1,
        random: opts.random ?? Math.random,
        applied: init.sm.appliedIndex,
        preVote: true,
        checkQuorum: true,
        maxSizePerMsg: 1024 * 1024,
        maxInflightMsgs: 512,
        persistedNotices: opts.persistedNotices ?? true,
        logger: {
          debug: (m) => this.logger.v(4).info(m),
          info: (m) => this.logger.info(m),
          warn: (m) => this.logger.warn(m),
          error: (m) => this.logger.error(undefined, m),
        },
      },
      storage: init.raftStorage,
      log: init.log,
      snapshotCount: opts.snapshotCount,
      catchUpEntries: opts.catchUpEntries,
      confState: init.confState,
      snapshotIndex: init.snapshotIndex,
      appliedTerm: init.sm.appliedTerm,
      hooks: {
        onSoftState: (ss, term) => this.onSoftState(ss.lead, ss.raftState, term),
        applyEntry: (e) => this.applyEntry(e),
        applyConfChange: (e, cc, cs) => this.applyConfChange(e, cc, cs),
        restoreSnapshot: (meta, state) => this.restoreSnapshot(meta, state),
        onReadState: (rs) => this.reads.onReadState(rs.index, rs.requestCtx),
        encodeState: () =>
          encodeInSlices(new StateMachineEncoder(this.sm), eventLoopScheduler, opts.snapshotPacing),
        send: (msgs) => this.transport?.send(msgs),
        onFatal: (err) => this.fatal(err),
        afterReady: () => this.afterReady(),
        // More watch messages than this since the previous WAL write: keep the loop free.
        mayWriteInline: () => this.watchHub.takeSentCount() <= INLINE_WRITE_MAX_WATCH_MESSAGES,
        onApplied: (seconds) => this.metrics?.backendCommit.observe(seconds),
        onSnapshotSaved: (seconds, index) => {
          this.metrics?.snapshotSaveDuration.observe(seconds);
          this.logger.info('Saved a snapshot', { index, seconds: Number(seconds.toFixed(3)) });
        },
      },
    });
    const m = this.metrics;
    if (m) {
      // Read when scraped rather than set after every Ready (ten gauge updates per Ready were a
      // measurable share of a put's CPU). basicStatus, not status(), which copies every progress.
      sampledGauge(m.proposalsCommitted, () => this.raft.raw.basicStatus().commit);
      sampledGauge(m.proposalsApplied, () => this.raft.applied);
      sampledGauge(m.persistedNoticesSent, () => this.raft.raw.metrics().persistedNoticesSent);
      sampledGauge(
        m.commitsByPersistedNotice,
        () => this.raft.raw.metrics().commitsByPersistedNotice,
      );
      sampledGauge(m.dbTotalSize, () => this.sm.mvcc.sizeBytes);
      sampledGauge(m.dbTotalSizeInUse, () => this.sm.mvcc.sizeBytes);
      sampledGauge(m.keysTotal, () => this.sm.mvcc.keyCount);
      sampledGauge(m.currentRevision, () => this.sm.mvcc.rev);
      sampledGauge(m.compactRevision, () => this.sm.mvcc.compactRev);
      sampledGauge(m.watcherTotal, () => this.watchHub.watcherCount);
      sampledGauge(m.watchStreamTotal, () => this.watchHub.streamCount);
      sampledGauge(m.isLearner, () =>
        this.sm.membership.get(this.memberId)?.isLearner === true ? 1 : 0,
      );
    }
  }

  /** Recovers or creates the member's data directory and starts its Raft node. */
  static async start(opts: EtcdServerOptions): Promise<EtcdServer> {
    const self = opts.initialCluster.find((m) => m.name === opts.name);
    if (self === undefined) {
      throw new Error(
        `member name ${JSON.stringify(opts.name)} is not in --initial-cluster (${opts.initialCluster.map((m) => m.name).join(', ')})`,
      );
    }
    const configuredId = computeMemberId(self.peerURLs, opts.initialClusterToken);
    const electionTicks = Math.max(2, Math.round(opts.electionMs / opts.heartbeatMs));
    // etcd: minTTL = ceil(1.5 election timeouts), in seconds.
    const minLeaseTtlSeconds = Math.max(
      1,
      Math.ceil((3 * electionTicks * opts.heartbeatMs) / 2 / 1000),
    );
    const now = opts.now ?? (() => performance.now());
    const metricsHook = opts.metrics;
    const logOpts = {
      fs: opts.fs,
      segmentBytes: opts.walSegmentBytes,
      onSync: (seconds: number) => metricsHook?.walFsync.observe(seconds),
      now: () => performance.now(),
    };

    await EtcdServer.refuseForeignDataDir(opts.fs);
    if (await RaftLog.exists(opts.fs)) {
      const recovered = await RaftLog.open({ ...logOpts, identity: undefined });
      if (recovered.torn) {
        opts.logger.warn(
          'Truncated a torn record at the end of the WAL (an unacknowledged write)',
          {
            file: recovered.torn.file,
            offset: recovered.torn.offset,
            droppedBytes: recovered.torn.droppedBytes,
            reason: recovered.torn.reason,
          },
        );
      }
      const { memberId, clusterId } = recovered.identity;
      const sm = new StateMachine({ clusterId, quotaBytes: opts.quotaBytes, minLeaseTtlSeconds });
      if (recovered.snapshot !== undefined) {
        restoreStateMachine(sm, Buffer.from(recovered.snapshot.state), now());
      }
      // The data dir must be the one these flags describe. A founding member (state new) is
      // identified by its ID and its cluster's ID, both derived from --initial-cluster and the
      // token; a member that joined later (state existing) by its peer URLs in the membership.
      if (opts.initialClusterState === 'new') {
        const configuredCluster = computeClusterId(
          opts.initialCluster.map((m) => computeMemberId(m.peerURLs, opts.initialClusterToken)),
        );
        if (memberId !== configuredId || clusterId !== configuredCluster) {
          throw new Error(
            `data dir ${opts.fs.describe('')} belongs to member ${formatId(memberId)} of cluster ${formatId(clusterId)}, but --name ${opts.name} with this --initial-cluster and --initial-cluster-token is member ${formatId(configuredId)} of cluster ${formatId(configuredCluster)}; refusing to start`,
          );
        }
      } else {
        const known = sm.membership.get(memberId);
        if (
          known !== undefined &&
          !sameList([...known.peerURLs].sort(), [...self.peerURLs].sort())
        ) {
          throw new Error(
            `data dir ${opts.fs.describe('')} belongs to member ${formatId(memberId)} with peer URLs ${known.peerURLs.join(',')}, but --initial-cluster gives ${opts.name} ${self.peerURLs.join(',')}; refusing to start`,
          );
        }
      }
      const confState =
        recovered.snapshot?.metadata.confState ?? recovered.storage.initialState().confState;
      opts.logger.info('Recovered member from its data dir', {
        memberId: formatId(memberId),
        clusterId: formatId(clusterId),
        snapshotIndex: recovered.snapshot?.metadata.index ?? 0,
        lastIndex: recovered.storage.lastIndex(),
        commit: recovered.hardState.commit,
        revision: sm.mvcc.rev,
      });
      const server = new EtcdServer(opts, {
        sm,
        log: recovered.log,
        raftStorage: recovered.storage,
        confState,
        snapshotIndex: recovered.snapshot?.metadata.index ?? 0,
        memberId,
      });
      server.begin();
      // Re-apply the committed part of the log before serving, so even serializable reads of
      // a restarted member see what it had applied before it stopped (etcd replays likewise).
      await server.waitApplied(recovered.hardState.commit);
      return server;
    }

    if (opts.initialClusterState === 'existing') {
      return EtcdServer.join(opts, self, minLeaseTtlSeconds, logOpts);
    }
    const members: Member[] = opts.initialCluster.map((m) => ({
      id: computeMemberId(m.peerURLs, opts.initialClusterToken),
      name: '',
      peerURLs: [...m.peerURLs],
      clientURLs: [],
      isLearner: false,
    }));
    if (new Set(members.map((m) => m.id)).size !== members.length) {
      throw new Error('--initial-cluster lists the same peer URLs for two members');
    }
    const clusterId = computeClusterId(members.map((m) => m.id));
    const sm = new StateMachine({ clusterId, quotaBytes: opts.quotaBytes, minLeaseTtlSeconds });
    for (const m of members) sm.membership.add(m);
    // The founding snapshot at index 1, term 1 carries the initial membership, as etcd-raft's
    // bootstrap does; every founding member writes the same one.
    const confState = foundingConfState(members);
    const metadata: SnapshotMetadata = { index: 1, term: 1, confState };
    sm.appliedIndex = 1;
    sm.appliedTerm = 1;
    const state = encodeStateMachine(sm);
    const log = await RaftLog.create(
      { ...logOpts, identity: { memberId: configuredId, clusterId } },
      { metadata, state },
      { term: 1, vote: 0, commit: 1 },
    );
    const raftStorage = new MemoryStorage();
    raftStorage.applySnapshot({ data: new Uint8Array(0), metadata });
    raftStorage.setHardState({ term: 1, vote: 0, commit: 1 });
    opts.logger.info('Created a new member', {
      memberId: formatId(configuredId),
      clusterId: formatId(clusterId),
      members: members.map((m) => formatId(m.id)).join(','),
    });
    const server = new EtcdServer(opts, {
      sm,
      log,
      raftStorage,
      confState,
      snapshotIndex: 1,
      memberId: configuredId,
    });
    server.begin();
    return server;
  }

  /**
   * A new member joining a running cluster (--initial-cluster-state=existing): it must already
   * have been added (etcdctl member add); it learns the cluster ID and membership from the
   * other members and starts with an empty log, which the leader fills with a snapshot.
   */
  private static async join(
    opts: EtcdServerOptions,
    self: InitialMember,
    minLeaseTtlSeconds: number,
    logOpts: Omit<Parameters<typeof RaftLog.create>[0], 'identity'>,
  ): Promise<EtcdServer> {
    if (opts.fetchCluster === undefined)
      throw new Error('joining a cluster needs a peer transport');
    const others = opts.initialCluster
      .filter((m) => m.name !== opts.name)
      .flatMap((m) => m.peerURLs);
    if (others.length === 0) {
      throw new Error(
        '--initial-cluster-state=existing needs the other members in --initial-cluster',
      );
    }
    const remote = await opts.fetchCluster(others);
    const mine = [...self.peerURLs].sort();
    const me = remote.members.find((m) => sameList([...m.peer_URLs].sort(), mine));
    if (me === undefined) {
      throw new Error(
        `this member's peer URLs ${self.peerURLs.join(',')} are not in the running cluster's membership; add the member first (etcdctl member add ${opts.name} --peer-urls=${self.peerURLs.join(',')})`,
      );
    }
    const memberId = Number(me.ID);
    const clusterId = BigInt(remote.cluster_ID);
    const sm = new StateMachine({ clusterId, quotaBytes: opts.quotaBytes, minLeaseTtlSeconds });
    sm.membership.restore(
      clusterId,
      remote.members.map((m) => ({
        id: Number(m.ID),
        name: m.name,
        peerURLs: m.peer_URLs,
        clientURLs: m.client_URLs,
        isLearner: m.is_learner,
      })),
      [],
    );
    const log = await RaftLog.create({ ...logOpts, identity: { memberId, clusterId } }, undefined, {
      term: 0,
      vote: 0,
      commit: 0,
    });
    opts.logger.info('Joining a running cluster', {
      memberId: formatId(memberId),
      clusterId: formatId(clusterId),
      members: remote.members.map((m) => formatId(Number(m.ID))).join(','),
    });
    const server = new EtcdServer(opts, {
      sm,
      log,
      raftStorage: new MemoryStorage(),
      confState: {
        voters: [],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      },
      snapshotIndex: 0,
      memberId,
    });
    server.begin();
    return server;
  }

  /** A data dir written by etcd (bbolt db) or holding unknown content is refused by name. */
  private static async refuseForeignDataDir(fs: StorageFs): Promise<void> {
    if (await fs.exists('member/snap/db')) {
      throw new Error(
        `data dir ${fs.describe('')} was written by etcd (member/snap/db exists); kubets-store cannot use an etcd data dir — restore an etcd snapshot into etcd, or choose an empty --data-dir`,
      );
    }
    const top = await fs.list('');
    const unknown = top.filter((n) => !n.startsWith('.'));
    if (unknown.length > 0 && !(await fs.exists('member'))) {
      throw new Error(
        `data dir ${fs.describe('')} is not empty and holds no kubets-store member (found ${unknown.slice(0, 3).join(', ')}); refusing to use it`,
      );
    }
  }

  private begin(): void {
    this.metrics?.serverId.set({ server_id: formatId(this.memberId) }, 1);
    this.metrics?.serverVersion.set({ server_version: SERVER_VERSION }, 1);
    this.transport = this.opts.transport?.(this);
    this.transport?.setPeers(this.peerMap());
    this.intervals.push(this.timers.setInterval(() => this.raft.tick(), this.opts.heartbeatMs));
    this.intervals.push(this.timers.setInterval(() => this.revokeExpiredLeases(), 500));
    const progressMs = this.opts.watchProgressNotifyMs ?? 10 * 60 * 1000;
    this.intervals.push(
      this.timers.setInterval(() => {
        for (const s of this.progressStreams) s.progressTick();
      }, progressMs),
    );
    if (this.opts.autoCompaction !== undefined) {
      const compactor = new Compactor(this.opts.autoCompaction);
      this.intervals.push(
        this.timers.setInterval(() => this.autoCompact(compactor), compactor.intervalMs),
      );
    }
    // A single-member cluster elects itself at once rather than after an election timeout.
    if (
      this.raft.configuration.voters.length === 1 &&
      this.raft.configuration.voters[0] === this.memberId
    ) {
      this.raft.campaign();
    }
    this.raft.wake();
  }

  /** Watch streams for progress ticks (registered by the gRPC layer). */
  readonly progressStreams = new Set<{ progressTick(): void }>();

  private peerMap(): Map<number, string[]> {
    const peers = new Map<number, string[]>();
    for (const m of this.sm.membership.list())
      if (m.id !== this.memberId) peers.set(m.id, m.peerURLs);
    return peers;
  }

  // ---------------------------------------------------------------- status

  get clusterId(): bigint {
    return this.sm.membership.clusterId;
  }

  get leader(): number {
    return this.lead;
  }

  get isLeader(): boolean {
    return this.lead === this.memberId;
  }

  get raftTerm(): number {
    return this.term;
  }

  header(revision?: number): ResponseHeader {
    // The cluster ID changes only when a joining member learns it; cache its decimal form.
    const cid = this.clusterId;
    if (cid !== this.clusterIdCache.id) {
      // As the 32-bit halves protobufjs keeps 64-bit integers in (a Long's fields): every
      // response carries the header, and a decimal string would be parsed into one each time.
      const bits = {
        low: Number(cid & 0xffffffffn) | 0,
        high: Number(cid >> 32n) | 0,
        unsigned: true,
      };
      this.clusterIdCache = { id: cid, value: bits as unknown as ResponseHeader['cluster_id'] };
    }
    return {
      cluster_id: this.clusterIdCache.value,
      member_id: this.memberId,
      revision: revision ?? this.sm.mvcc.rev,
      raft_term: this.term,
    };
  }

  serverStatus(): ServerStatus {
    const st = this.raft.status();
    return {
      memberId: this.memberId,
      clusterId: this.clusterId,
      leader: st.lead,
      term: st.term,
      commitIndex: st.commit,
      appliedIndex: this.raft.applied,
      isLearner: st.isLearner,
    };
  }

  status(): StatusResponse {
    const st = this.serverStatus();
    const errors: string[] = [];
    if (st.leader === 0) errors.push('etcdserver: no leader');
    for (const a of this.sm.alarms.list()) errors.push(`memberID:${a.memberId} alarm:${a.alarm} `);
    return {
      header: this.header(),
      version: SERVER_VERSION,
      dbSize: this.sm.mvcc.sizeBytes,
      dbSizeInUse: this.sm.mvcc.sizeBytes,
      leader: st.leader,
      raftIndex: st.commitIndex,
      raftTerm: st.term,
      raftAppliedIndex: st.appliedIndex,
      errors,
      isLearner: st.isLearner,
    };
  }

  // ---------------------------------------------------------------- KV

  async range(r: RangeRequest__Output): Promise<RangeResponse> {
    const bad = checkRangeRequest(r);
    if (bad) throw bad;
    if (!r.serializable) await this.linearizableRead();
    this.metrics?.rangeTotal.inc();
    try {
      const resp = applyRange(this.sm.mvcc, r);
      resp.header = this.header(Number(resp.header?.revision ?? this.sm.mvcc.rev));
      return resp;
    } catch (err) {
      throw toEtcdError(err) ?? err;
    }
  }

  async put(r: PutRequest__Output): Promise<PutResponse> {
    const bad = checkPutRequest(r);
    if (bad) throw bad;
    await this.checkQuota({ kind: 'put', put: r });
    this.metrics?.putTotal.inc();
    return await this.propose({ put: r });
  }

  async deleteRange(r: DeleteRangeRequest__Output): Promise<DeleteRangeResponse> {
    const bad = checkDeleteRequest(r);
    if (bad) throw bad;
    this.metrics?.deleteTotal.inc();
    return await this.propose({ delete_range: r });
  }

  async txn(r: TxnRequest__Output): Promise<TxnResponse> {
    const bad = checkTxnRequest(r, this.maxTxnOps);
    if (bad) throw bad;
    this.metrics?.txnTotal.inc();
    if (isReadOnlyTxn(r)) {
      // Read-only transactions are served locally after a ReadIndex round (if any range in
      // them is linearizable), as etcd does.
      if (!isSerializableTxn(r)) await this.linearizableRead();
      const result = this.sm.apply({ ID: '0', request: 'txn', txn: r }, this.now());
      if (!result.ok) throw result.error;
      const resp = result.response as TxnResponse;
      resp.header = this.header(Number(resp.header?.revision ?? this.sm.mvcc.rev));
      return resp;
    }
    await this.checkQuota({ kind: 'txn', txn: r });
    return await this.propose({ txn: r });
  }

  async compact(r: CompactionRequest__Output): Promise<CompactionResponse> {
    const rev = Number(r.revision);
    // An already compacted revision fails fast: what this member applied is a prefix of the
    // cluster's history, so the cluster compacted it too. A revision beyond this member's is
    // not refused here: a follower may lag behind the revision a client just wrote through
    // another member. The apply decides, at the entry's place in the log, like etcd.
    if (rev <= this.sm.mvcc.compactRev) throw ErrCompacted();
    return await this.propose({ compaction: r });
  }

  // ---------------------------------------------------------------- leases

  async leaseGrant(r: LeaseGrantRequest__Output): Promise<LeaseGrantResponse> {
    let id = BigInt(r.ID);
    // The proposer picks the ID so every member applies the same one.
    if (id === 0n) id = this.ids.nextLeaseId();
    await this.checkQuota({ kind: 'lease_grant', leaseGrant: r });
    return await this.propose({
      lease_grant: { ID: id.toString(), TTL: r.TTL },
    });
  }

  async leaseRevoke(id: bigint): Promise<object> {
    return this.propose({ lease_revoke: { ID: id.toString() } });
  }

  /**
   * LeaseKeepAlive: lease expiry lives on the leader, so a follower forwards the renewal there
   * (etcd forwards over its peer HTTP API). Returns the TTL, 0 if the lease does not exist.
   */
  async leaseRenew(id: bigint): Promise<number> {
    if (this.lead === 0) throw ErrNoLeader();
    if (this.lead === this.memberId) return this.leaseRenewLocal(id);
    if (this.transport === undefined) throw ErrNoLeader();
    return this.transport.leaseRenew(this.lead, id);
  }

  /** Renews on this member, which must be the leader. */
  async leaseRenewLocal(id: bigint): Promise<number> {
    if (this.lead !== this.memberId) throw ErrNotLeader();
    // etcd waits for the applied index to catch up with the commit index first, so a renew
    // right after a grant on a new leader finds the lease.
    await this.waitApplied(this.raft.status().commit);
    try {
      return this.sm.lessor.renew(id, this.now());
    } catch {
      return 0;
    }
  }

  async leaseTimeToLive(id: bigint, keys: boolean): Promise<LeaseTimeToLiveResponse> {
    if (this.lead === 0) throw ErrNoLeader();
    if (this.lead === this.memberId) return this.leaseTimeToLiveLocal(id, keys);
    if (this.transport === undefined) throw ErrNoLeader();
    const resp = await this.transport.leaseTimeToLive(this.lead, id, keys);
    return { ...resp, header: this.header() };
  }

  /** TimeToLive answered by this member, which must be the leader (only it knows expiry). */
  async leaseTimeToLiveLocal(id: bigint, keys: boolean): Promise<LeaseTimeToLiveResponse> {
    if (this.lead !== this.memberId) throw ErrNotLeader();
    await this.waitApplied(this.raft.status().commit);
    const lease = this.sm.lessor.lookup(id);
    if (lease === undefined) return { header: this.header(), ID: id.toString(), TTL: -1 };
    const remaining = this.sm.lessor.remainingMs(id, this.now()) ?? 0;
    const resp: LeaseTimeToLiveResponse = {
      header: this.header(),
      ID: id.toString(),
      TTL: Math.floor(remaining / 1000),
      grantedTTL: lease.ttl,
    };
    if (keys) resp.keys = [...lease.keys].sort().map((k) => Buffer.from(k, 'latin1'));
    return resp;
  }

  async leaseLeases(): Promise<bigint[]> {
    await this.linearizableRead();
    return this.sm.lessor.leases().map((l) => l.id);
  }

  /** The leader revokes expired leases through Raft, so every member deletes their keys alike. */
  private revokeExpiredLeases(): void {
    if (!this.isLeader || this.stopped) return;
    const expired = this.sm.lessor.expired(this.now(), 500);
    for (const id of expired) {
      if (this.revoking.has(id)) continue;
      this.revoking.add(id);
      this.logger.v(2).info('Revoking expired lease', { leaseId: formatId(id) });
      this.leaseRevoke(id)
        .then(() => this.metrics?.leaseExpired.inc())
        .catch((err: unknown) => {
          const e = toEtcdError(err);
          if (e?.message !== ErrLeaseNotFound().message) {
            this.logger.warn('Failed to revoke an expired lease', {
              leaseId: formatId(id),
              err: String(err),
            });
          }
        })
        .finally(() => this.revoking.delete(id));
    }
  }

  /** Auto-compaction runs on the leader only (the compaction is replicated). */
  private autoCompact(compactor: Compactor): void {
    if (!this.isLeader || this.stopped) return;
    const rev = compactor.check(this.now(), this.sm.mvcc.rev, this.sm.mvcc.compactRev);
    if (rev === undefined) return;
    this.logger.info('Starting auto-compaction', { revision: rev, mode: compactor.policy.mode });
    this.compact({ revision: String(rev), physical: false }).catch((err: unknown) =>
      this.logger.warn('Auto-compaction failed', { revision: rev, err: String(err) }),
    );
  }

  // ---------------------------------------------------------------- alarms, maintenance

  async alarm(r: AlarmRequest__Output): Promise<AlarmResponse> {
    if (r.action === 'GET') {
      return {
        header: this.header(),
        alarms: this.sm.alarms
          .list(r.alarm === 'NONE' ? undefined : r.alarm)
          .map((a) => ({ memberID: a.memberId, alarm: a.alarm })),
      };
    }
    return await this.propose({ alarm: r });
  }

  /**
   * A consistent snapshot of the state machine for Maintenance.Snapshot: the kubets-store
   * snapshot file format, zero-padded to a multiple of 512 bytes, followed by the SHA-256 of
   * those bytes — etcd appends a SHA-256 to its page-aligned db, and etcdctl refuses a stream
   * whose length is not 32 modulo 512.
   */
  async snapshotBlob(): Promise<Buffer> {
    await this.linearizableRead();
    const metadata: SnapshotMetadata = {
      index: this.raft.applied,
      term: this.term,
      confState: this.raft.configuration,
    };
    const file = encodeSnapshotFile({
      metadata: encodeSnapshotMetadata(metadata),
      state: encodeStateMachine(this.sm),
    });
    const padded = Buffer.concat([file, Buffer.alloc((512 - (file.length % 512)) % 512)]);
    const sha = createHash('sha256').update(padded).digest();
    return Buffer.concat([padded, sha]);
  }

  hashKV(rev: number): { hash: number; compactRevision: number; revision: number } {
    let hash = 0;
    const at = rev > 0 ? rev : this.sm.mvcc.rev;
    if (at < this.sm.mvcc.compactRev) throw ErrCompacted();
    if (at > this.sm.mvcc.rev) throw ErrFutureRev();
    const compactRev = this.sm.mvcc.compactRev;
    for (const h of this.sm.mvcc.exportHistories()) {
      // From what the compaction keeps: while a snapshot is being encoded its splice waits.
      for (let i = h.retainedFrom(compactRev); i < h.revisions.length; i++) {
        const r = h.revisions[i]!;
        if (r.main > at) break;
        const head = Buffer.alloc(16);
        head.writeUInt32LE(r.main % 2 ** 32, 0);
        head.writeUInt32LE(r.sub, 4);
        head.writeUInt32LE(r.kv === null ? 1 : 0, 8);
        hash = crc32(head, hash);
        hash = crc32(h.key, hash);
        if (r.kv !== null) hash = crc32(r.kv.value, hash);
      }
    }
    return { hash, compactRevision: this.sm.mvcc.compactRev, revision: this.sm.mvcc.rev };
  }

  /**
   * Maintenance.Hash: etcd hashes its whole db (keys and every other bucket). Here: the key
   * history hash of HashKV at the current revision, continued over the compacted revision, the
   * leases (ID, granted TTL, attached keys) and the members (ID, peer URLs, learner), in a fixed
   * order. It is the same on every member that applied the same log; lease deadlines, which
   * each member keeps on its own clock, are left out.
   */
  hash(): number {
    let hash = this.hashKV(0).hash;
    const u64 = (v: bigint): Buffer => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, v));
      return b;
    };
    hash = crc32(u64(BigInt(this.sm.mvcc.compactRev)), hash);
    const leases = [...this.sm.lessor.leases()].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const l of leases) {
      hash = crc32(u64(l.id), hash);
      hash = crc32(u64(BigInt(l.ttl)), hash);
      for (const k of [...l.keys].sort()) hash = crc32(Buffer.from(k, 'latin1'), hash);
    }
    const members = [...this.sm.membership.list()].sort((a, b) => a.id - b.id);
    for (const m of members) {
      hash = crc32(u64(BigInt(m.id)), hash);
      for (const u of [...m.peerURLs].sort()) hash = crc32(Buffer.from(u), hash);
      hash = crc32(Buffer.from([m.isLearner ? 1 : 0]), hash);
    }
    return hash;
  }

  // ---------------------------------------------------------------- cluster

  memberList(): ProtoMember[] {
    return this.sm.membership.list().map(toProtoMember);
  }

  async memberAdd(
    peerURLs: string[],
    isLearner: boolean,
  ): Promise<{ member: ProtoMember; members: ProtoMember[] }> {
    checkPeerURLs(peerURLs);
    if (this.sm.membership.peerURLInUse(peerURLs)) throw ErrPeerURLExist();
    if (isLearner && this.sm.membership.list().filter((m) => m.isLearner).length >= 1) {
      throw ErrTooManyLearners();
    }
    const id = computeMemberId(peerURLs, '', (this.opts.wallNow ?? Date.now)());
    const member: Member = { id, name: '', peerURLs, clientURLs: [], isLearner };
    await this.proposeConfChange(
      isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode,
      member,
    );
    return { member: toProtoMember(member), members: this.memberList() };
  }

  async memberRemove(id: number): Promise<ProtoMember[]> {
    const m = this.sm.membership.get(id);
    if (m === undefined) throw ErrMemberNotFound();
    await this.proposeConfChange(ConfChangeType.RemoveNode, m);
    return this.memberList();
  }

  /**
   * MemberPromote: decided by the leader, the only member that knows how far the learner's log
   * is. A follower forwards the request over the peer transport, as etcd does.
   */
  async memberPromote(id: number): Promise<ProtoMember[]> {
    const m = this.sm.membership.get(id);
    if (m === undefined) throw ErrMemberNotFound();
    if (!m.isLearner) throw ErrMemberNotLearner();
    if (this.isLeader) return this.memberPromoteLocal(id);
    if (this.lead === 0 || this.transport === undefined) throw ErrNoLeader();
    return this.transport.memberPromote(this.lead, id);
  }

  /** MemberPromote on this member, which must be the leader. */
  async memberPromoteLocal(id: number): Promise<ProtoMember[]> {
    const m = this.sm.membership.get(id);
    if (m === undefined) throw ErrMemberNotFound();
    if (!m.isLearner) throw ErrMemberNotLearner();
    if (!this.isLeader) throw ErrNotLeader();
    // etcd: a learner may be promoted once its log is within 90% of the leader's.
    const progress = this.raft.status().progress.get(id);
    const commit = this.raft.status().commit;
    if (progress === undefined || progress.match < commit * 0.9) throw ErrLearnerNotReady();
    await this.proposeConfChange(ConfChangeType.AddNode, { ...m, isLearner: false });
    return this.memberList();
  }

  async memberUpdate(id: number, peerURLs: string[]): Promise<ProtoMember[]> {
    checkPeerURLs(peerURLs);
    const m = this.sm.membership.get(id);
    if (m === undefined) throw ErrMemberNotFound();
    if (this.sm.membership.peerURLInUse(peerURLs, id)) throw ErrPeerURLExist();
    await this.proposeConfChange(ConfChangeType.UpdateNode, { ...m, peerURLs });
    return this.memberList();
  }

  private async proposeConfChange(type: ConfChangeType, member: Member): Promise<void> {
    this.ensureRunning();
    const id = this.ids.next().toString();
    const context = confChangeContextCodec.encode({
      ID: id,
      member: {
        ID: member.id,
        name: member.name,
        peer_URLs: member.peerURLs,
        client_URLs: member.clientURLs,
        is_learner: member.isLearner,
      },
    });
    const cc: ConfChange = {
      transition: ConfChangeTransition.Auto,
      changes: [{ type, nodeId: member.id }],
      context,
    };
    const done = this.waiters.register(id, this.requestTimeoutMs, ErrTimeout);
    try {
      this.raft.proposeConfChange(cc);
    } catch (err) {
      this.waiters.reject(
        id,
        err instanceof ProposalDroppedError ? ErrUnhealthy() : (err as Error),
      );
    }
    const result = await done;
    if (!result.ok) throw result.error;
  }

  // ---------------------------------------------------------------- proposals and apply

  private ensureRunning(): void {
    if (this.stopped) throw ErrStopped();
  }

  /**
   * etcd's quota check before proposing: over the quota, the NOSPACE alarm is raised through
   * Raft (and waited for, so an Alarm GET right after the refusal sees it) and the request is
   * refused with "database space exceeded".
   */
  private async checkQuota(req: Parameters<StateMachine['quotaAvailable']>[0]): Promise<void> {
    if (this.sm.quotaAvailable(req)) return;
    if (!this.sm.alarms.isRaised('NOSPACE')) {
      this.logger.warn('Space quota exceeded; raising the NOSPACE alarm', {
        quotaBytes: this.opts.quotaBytes,
        sizeBytes: this.sm.mvcc.sizeBytes,
      });
      try {
        await this.propose({
          alarm: { action: 'ACTIVATE', memberID: this.memberId, alarm: 'NOSPACE' },
        });
      } catch (err) {
        this.logger.warn('Could not raise the NOSPACE alarm', { err: String(err) });
      }
    }
    throw ErrNoSpace();
  }

  /** Proposes a request and resolves with its apply result (or rejects with its error). */
  private async propose(req: Omit<InternalRequest, 'ID'>): Promise<object> {
    this.ensureRunning();
    const id = this.ids.next().toString();
    const data = internalRequestCodec.encode({ ID: id, ...req });
    if (data.length > this.maxRequestBytes) throw ErrRequestTooLarge();
    if (this.lead === 0) {
      this.metrics?.proposalsFailed.inc();
      throw ErrNoLeader();
    }
    const done = this.waiters.register(id, this.requestTimeoutMs, () => {
      this.metrics?.proposalsFailed.inc();
      return ErrTimeout();
    });
    this.metrics?.proposalsPending.inc();
    this.tracing?.proposed(id, data.length);
    try {
      this.raft.propose(data);
    } catch (err) {
      this.metrics?.proposalsFailed.inc();
      this.waiters.reject(id, err instanceof ProposalDroppedError ? ErrNoLeader() : (err as Error));
    }
    try {
      const result = await done;
      if (!result.ok) throw result.error;
      return result.response;
    } catch (err) {
      this.tracing?.abandoned(id, err);
      throw err;
    } finally {
      this.metrics?.proposalsPending.dec();
    }
  }

  private applyEntry(e: Entry): void {
    if (e.data.length === 0) {
      // The empty entry a new leader appends.
      this.sm.appliedIndex = e.index;
      this.sm.appliedTerm = e.term;
      return;
    }
    const req = internalRequestCodec.decode(e.data);
    const applying = this.tracing?.committed(req.ID, e.index, e.term);
    const result = this.sm.apply(req, this.now());
    applying?.end();
    this.sm.appliedIndex = e.index;
    this.sm.appliedTerm = e.term;
    if (
      req.request === 'member_attributes' &&
      Number(req.member_attributes?.member_ID) === this.memberId
    ) {
      this.published = true;
    }
    if (!this.waiters.resolve(req.ID, result) && !result.ok) {
      this.logger.v(2).info('Applied entry failed', { index: e.index, err: result.error.message });
    }
  }

  private applyConfChange(e: Entry, cc: ConfChange, confState: ConfState): void {
    this.sm.appliedIndex = e.index;
    this.sm.appliedTerm = e.term;
    let ctx: ConfChangeContext__Output | undefined;
    try {
      if (cc.context.length > 0) ctx = confChangeContextCodec.decode(cc.context);
    } catch (err) {
      this.logger.error(err, 'Undecodable membership change context', { index: e.index });
    }
    const change = cc.changes[0];
    const record = ctx?.member;
    if (change !== undefined) {
      const id = change.nodeId;
      const membership = this.sm.membership;
      switch (change.type) {
        case ConfChangeType.AddNode:
        case ConfChangeType.AddLearnerNode:
          if (membership.has(id)) {
            if (change.type === ConfChangeType.AddNode) membership.promote(id);
          } else if (!membership.isRemoved(id) && record) {
            membership.add({
              id,
              name: record.name,
              peerURLs: record.peer_URLs,
              clientURLs: record.client_URLs,
              isLearner: change.type === ConfChangeType.AddLearnerNode,
            });
          }
          break;
        case ConfChangeType.RemoveNode:
          membership.remove(id);
          if (id === this.memberId) {
            this.logger.warn('This member was removed from the cluster; stopping');
            this.timers.setTimeout(
              () => this.fatal(new Error('member removed from the cluster')),
              0,
            );
          }
          break;
        case ConfChangeType.UpdateNode:
          if (record) membership.updatePeerURLs(id, record.peer_URLs);
          break;
      }
      this.transport?.setPeers(this.peerMap());
    }
    this.logger.info('Applied membership change', {
      index: e.index,
      voters: confState.voters.map(formatId).join(','),
      learners: confState.learners.map(formatId).join(','),
    });
    if (ctx) this.waiters.resolve(ctx.ID, { ok: true, response: {} });
  }

  private restoreSnapshot(metadata: SnapshotMetadata, state: Uint8Array): void {
    restoreStateMachine(this.sm, Buffer.from(state), this.now());
    this.sm.appliedIndex = metadata.index;
    this.sm.appliedTerm = metadata.term;
    this.transport?.setPeers(this.peerMap());
    this.logger.info('Restored the state machine from a leader snapshot', {
      index: metadata.index,
      revision: this.sm.mvcc.rev,
    });
  }

  private onSoftState(lead: number, raftState: number, term: number): void {
    const wasLeader = this.lead === this.memberId;
    if (lead !== this.lead && lead !== 0) this.metrics?.leaderChanges.inc();
    this.lead = lead;
    this.term = term;
    const isLeader = raftState === StateType.Leader;
    this.metrics?.hasLeader.set(lead === 0 ? 0 : 1);
    this.metrics?.isLeader.set(isLeader ? 1 : 0);
    if (isLeader && !wasLeader) {
      // Every lease gets a full TTL from now: none expires because the leader changed.
      this.sm.lessor.promote(this.now(), this.opts.electionMs);
      this.logger.info('Became leader', { term, memberId: formatId(this.memberId) });
    } else if (!isLeader && wasLeader) {
      this.sm.lessor.demote();
    }
    if (lead !== 0) this.publishAttributes();
  }

  /** Announces this member's name and client URLs to the cluster (etcd's publish). */
  private publishAttributes(): void {
    if (this.published || this.publishing || this.stopped) return;
    const me = this.sm.membership.get(this.memberId);
    if (me && me.name === this.name && sameList(me.clientURLs, this.opts.clientURLs)) {
      this.published = true;
      return;
    }
    this.publishing = true;
    this.propose({
      member_attributes: {
        member_ID: this.memberId,
        name: this.name,
        client_URLs: [...this.opts.clientURLs],
      },
    })
      .then(() => {
        this.published = true;
      })
      .catch((err: unknown) =>
        this.logger
          .v(2)
          .info('Publishing member attributes failed; will retry', { err: String(err) }),
      )
      .finally(() => {
        this.publishing = false;
      });
  }

  private afterReady(): void {
    const applied = this.raft.applied;
    if (this.appliedWaiters.length > 0) {
      const ready = this.appliedWaiters.filter((w) => w.index <= applied);
      this.appliedWaiters = this.appliedWaiters.filter((w) => w.index > applied);
      for (const w of ready) w.resolve();
    }
    if (!this.published && this.lead !== 0) this.publishAttributes();
  }

  /** The state machine encoding of the local snapshot at `index` (for MsgSnap). */
  snapshotState(index: number): Promise<Uint8Array> {
    return this.raft.snapshotState(index);
  }

  /** Resolves once the state machine has applied up to `index`. */
  waitApplied(index: number): Promise<void> {
    if (this.raft.applied >= index) return Promise.resolve();
    return new Promise((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  /**
   * Resolves when a read started now reflects every write acknowledged before it. The request
   * timeout is the shared deadline timer of `readWaiters` (as proposals' `waiters`), not a
   * timer per read.
   */
  linearizableRead(): Promise<void> {
    this.ensureRunning();
    const span = this.tracing?.startChild('raft.read_index');
    const id = String(++this.readSeq);
    const waiters = this.readWaiters;
    const done = waiters.register(id, this.requestTimeoutMs, ErrTimeout);
    this.reads.add({
      resolve: () => waiters.resolve(id, undefined),
      reject: (err) => waiters.reject(id, err),
    });
    return span === undefined ? done : done.finally(() => span.end());
  }

  /** Delivers a message from a peer. */
  receive(m: Message): void {
    this.raft.step(m);
  }

  private fatal(err: Error): void {
    if (this.stopped) return;
    this.logger.error(err, 'kubets-store cannot continue');
    void this.stop();
    this.opts.onFatal?.(err);
  }

  /** Stops serving: fails pending requests, stops Raft and flushes the WAL. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.intervals) this.timers.clearInterval(h);
    this.waiters.rejectAll(ErrStopped());
    this.reads.failAll(ErrStopped());
    this.readWaiters.rejectAll(ErrStopped());
    await this.raft.stop();
    await this.transport?.stop();
    await this.log.close().catch(() => undefined);
    await this.opts.fs.close();
  }
}

function isReadOnlyTxn(r: TxnRequest__Output): boolean {
  const ro = (ops: TxnRequest__Output['success']): boolean =>
    ops.every(
      (op) =>
        op.request === 'request_range' ||
        (op.request === 'request_txn' && op.request_txn != null && isReadOnlyTxn(op.request_txn)),
    );
  return ro(r.success) && ro(r.failure);
}

function isSerializableTxn(r: TxnRequest__Output): boolean {
  const ser = (ops: TxnRequest__Output['success']): boolean =>
    ops.every(
      (op) =>
        (op.request === 'request_range' && op.request_range?.serializable === true) ||
        (op.request === 'request_txn' &&
          op.request_txn != null &&
          isSerializableTxn(op.request_txn)),
    );
  return ser(r.success) && ser(r.failure);
}

function toProtoMember(m: Member): ProtoMember {
  return {
    ID: m.id,
    name: m.name,
    peerURLs: m.peerURLs,
    clientURLs: m.clientURLs,
    isLearner: m.isLearner,
  };
}

function checkPeerURLs(urls: readonly string[]): void {
  if (urls.length === 0) throw ErrMemberBadURLs();
  for (const u of urls) {
    try {
      const parsed = new URL(u);
      if (!['http:', 'https:', 'unix:', 'unixs:'].includes(parsed.protocol) || parsed.port === '') {
        throw new Error('bad');
      }
    } catch {
      throw ErrMemberBadURLs();
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
