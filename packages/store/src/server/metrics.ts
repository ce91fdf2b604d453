import {
  exponentialBuckets,
  hotObserver,
  type ComponentMetrics,
  type HotObserver,
} from '@kubets/component-base';

/**
 * kubets-store's Prometheus metrics, under etcd's names and help texts where etcd has them, so
 * etcd dashboards and alerts (e.g. etcd_server_has_leader == 0, WAL fsync p99) work unchanged.
 */
export class StoreMetrics {
  readonly hasLeader;
  readonly isLeader;
  readonly isLearner;
  readonly leaderChanges;
  readonly proposalsCommitted;
  readonly proposalsApplied;
  readonly proposalsPending;
  readonly proposalsFailed;
  readonly persistedNoticesSent;
  readonly commitsByPersistedNotice;
  readonly leaseExpired;
  readonly serverId;
  readonly serverVersion;
  readonly dbTotalSize;
  readonly dbTotalSizeInUse;
  readonly keysTotal;
  readonly currentRevision;
  readonly compactRevision;
  readonly putTotal;
  readonly deleteTotal;
  readonly rangeTotal;
  readonly txnTotal;
  readonly watcherTotal;
  readonly watchStreamTotal;
  readonly walFsyncDuration;
  readonly backendCommitDuration;
  /** Observed on every WAL write and every apply: HotHistogram observers (decisions 0030, 0041). */
  readonly walFsync: HotObserver;
  readonly backendCommit: HotObserver;
  readonly snapshotSaveDuration;
  readonly peerRoundTrip;
  readonly peerSentBytes;
  readonly peerReceivedBytes;
  readonly peerSentFailures;
  readonly grpcStarted;
  readonly grpcHandled;
  readonly grpcMsgReceived;
  readonly grpcMsgSent;

  constructor(m: ComponentMetrics) {
    this.hasLeader = m.gauge({
      name: 'etcd_server_has_leader',
      help: 'Whether or not a leader exists. 1 is existence, 0 is not.',
    });
    this.isLeader = m.gauge({
      name: 'etcd_server_is_leader',
      help: 'Whether or not this member is a leader. 1 if is, 0 otherwise.',
    });
    this.isLearner = m.gauge({
      name: 'etcd_server_is_learner',
      help: 'Whether or not this member is a learner. 1 if is, 0 otherwise.',
    });
    this.leaderChanges = m.counter({
      name: 'etcd_server_leader_changes_seen_total',
      help: 'The number of leader changes seen.',
    });
    this.proposalsCommitted = m.gauge({
      name: 'etcd_server_proposals_committed_total',
      help: 'The total number of consensus proposals committed.',
    });
    this.proposalsApplied = m.gauge({
      name: 'etcd_server_proposals_applied_total',
      help: 'The total number of consensus proposals applied.',
    });
    this.proposalsPending = m.gauge({
      name: 'etcd_server_proposals_pending',
      help: 'The current number of pending proposals to commit.',
    });
    this.proposalsFailed = m.counter({
      name: 'etcd_server_proposals_failed_total',
      help: 'The total number of failed proposals seen.',
    });
    // kubets only (decision 0050): etcd has no persisted notices.
    this.persistedNoticesSent = m.gauge({
      name: 'kubets_raft_persisted_notices_sent_total',
      help: 'The total number of notices this member sent as leader to tell a member that forwarded a proposal that the leader has it on disk.',
    });
    this.commitsByPersistedNotice = m.gauge({
      name: 'kubets_raft_commits_by_persisted_notice_total',
      help: "The total number of times this member committed entries on a leader's persisted notice, ahead of the leader's commit index.",
    });
    this.leaseExpired = m.counter({
      name: 'etcd_server_lease_expired_total',
      help: 'The total number of expired leases.',
    });
    this.serverId = m.gauge({
      name: 'etcd_server_id',
      help: "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
      labelNames: ['server_id'],
    });
    this.serverVersion = m.gauge({
      name: 'etcd_server_version',
      help: "Which version is running. 1 for 'server_version' label with current version.",
      labelNames: ['server_version'],
    });
    this.dbTotalSize = m.gauge({
      name: 'etcd_mvcc_db_total_size_in_bytes',
      help: 'Total size of the underlying database physically allocated in bytes.',
    });
    this.dbTotalSizeInUse = m.gauge({
      name: 'etcd_mvcc_db_total_size_in_use_in_bytes',
      help: 'Total size of the underlying database logically in use in bytes.',
    });
    this.keysTotal = m.gauge({
      name: 'etcd_debugging_mvcc_keys_total',
      help: 'Total number of keys.',
    });
    this.currentRevision = m.gauge({
      name: 'etcd_debugging_mvcc_current_revision',
      help: 'The current revision of store.',
    });
    this.compactRevision = m.gauge({
      name: 'etcd_debugging_mvcc_compact_revision',
      help: 'The revision of the last compaction in store.',
    });
    this.putTotal = m.counter({
      name: 'etcd_mvcc_put_total',
      help: 'Total number of puts seen by this member.',
    });
    this.deleteTotal = m.counter({
      name: 'etcd_mvcc_delete_total',
      help: 'Total number of deletes seen by this member.',
    });
    this.rangeTotal = m.counter({
      name: 'etcd_mvcc_range_total',
      help: 'Total number of ranges seen by this member.',
    });
    this.txnTotal = m.counter({
      name: 'etcd_mvcc_txn_total',
      help: 'Total number of txns seen by this member.',
    });
    this.watcherTotal = m.gauge({
      name: 'etcd_debugging_mvcc_watcher_total',
      help: 'Total number of watchers.',
    });
    this.watchStreamTotal = m.gauge({
      name: 'etcd_debugging_mvcc_watch_stream_total',
      help: 'Total number of watch streams.',
    });
    // etcd's buckets: 1ms .. ~8s, doubling.
    const diskBuckets = exponentialBuckets(0.001, 2, 14);
    this.walFsyncDuration = m.hotHistogram({
      name: 'etcd_disk_wal_fsync_duration_seconds',
      help: 'The latency distributions of fsync called by WAL.',
      buckets: diskBuckets,
    });
    this.backendCommitDuration = m.hotHistogram({
      name: 'etcd_disk_backend_commit_duration_seconds',
      help: 'The latency distributions of commit called by backend (kubets-store: applying one batch of committed entries to the in-memory MVCC store).',
      buckets: diskBuckets,
    });
    this.walFsync = hotObserver(this.walFsyncDuration);
    this.backendCommit = hotObserver(this.backendCommitDuration);
    this.snapshotSaveDuration = m.histogram({
      name: 'etcd_debugging_snap_save_total_duration_seconds',
      help: 'The total latency distributions of save called by snapshot.',
      buckets: exponentialBuckets(0.001, 2, 14),
    });
    this.peerRoundTrip = m.histogram({
      name: 'etcd_network_peer_round_trip_time_seconds',
      help: 'Round-Trip-Time histogram between peers',
      labelNames: ['To'],
      buckets: exponentialBuckets(0.0001, 2, 16),
    });
    this.peerSentBytes = m.counter({
      name: 'etcd_network_peer_sent_bytes_total',
      help: 'The total number of bytes sent to peers.',
      labelNames: ['To'],
    });
    this.peerReceivedBytes = m.counter({
      name: 'etcd_network_peer_received_bytes_total',
      help: 'The total number of bytes received from peers.',
      labelNames: ['From'],
    });
    this.peerSentFailures = m.counter({
      name: 'etcd_network_peer_sent_failures_total',
      help: 'The total number of send failures from peers.',
      labelNames: ['To'],
    });
    const grpcLabels = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
    this.grpcStarted = m.counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames: grpcLabels,
    });
    this.grpcHandled = m.counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...grpcLabels, 'grpc_code'],
    });
    this.grpcMsgReceived = m.counter({
      name: 'grpc_server_msg_received_total',
      help: 'Total number of RPC stream messages received on the server.',
      labelNames: grpcLabels,
    });
    this.grpcMsgSent = m.counter({
      name: 'grpc_server_msg_sent_total',
      help: 'Total number of gRPC stream messages sent by the server.',
      labelNames: grpcLabels,
    });
  }
}
