/**
 * Counters kept by a node, for the host to export (e.g. through prom-client). They only
 * ever increase; a restarted node starts from zero.
 */
export interface RaftMetrics {
  /** Proposals refused (no leader, transfer in progress, size limit, invalid conf change). */
  proposalsDropped: number;
  /** Times this node observed a new leader (a different non-empty leader id). */
  leaderChanges: number;
  /** Elections started (term incremented as candidate), including transfers. */
  electionsStarted: number;
  /** Pre-vote rounds started. */
  preElectionsStarted: number;
  /** Times this node became leader. */
  becameLeader: number;
  /** Times a leader stepped down because CheckQuorum found no active quorum. */
  checkQuorumStepDowns: number;
  /** Snapshots sent to followers (MsgSnap). */
  snapshotsSent: number;
  /** Snapshots received and restored by this node. */
  snapshotsRestored: number;
  /** ReadIndex requests started on this node. */
  readIndexRequests: number;
  /** Read states produced on this node (requests confirmed). */
  readStatesProduced: number;
  /** Messages handed to the host for sending. */
  messagesSent: number;
  /** Messages stepped into the node from peers. */
  messagesReceived: number;
  /** Committed membership changes applied (including ignored invalid ones). */
  confChangesApplied: number;
  /** Leader: persisted notices sent to followers that forwarded proposals (decision 0050). */
  persistedNoticesSent: number;
  /** Follower: times a persisted notice let it commit ahead of the leader's commit index. */
  commitsByPersistedNotice: number;
}

export function newRaftMetrics(): RaftMetrics {
  return {
    proposalsDropped: 0,
    leaderChanges: 0,
    electionsStarted: 0,
    preElectionsStarted: 0,
    becameLeader: 0,
    checkQuorumStepDowns: 0,
    snapshotsSent: 0,
    snapshotsRestored: 0,
    readIndexRequests: 0,
    readStatesProduced: 0,
    messagesSent: 0,
    messagesReceived: 0,
    confChangesApplied: 0,
    persistedNoticesSent: 0,
    commitsByPersistedNotice: 0,
  };
}
