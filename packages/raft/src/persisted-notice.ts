/**
 * Persisted notices (decision 0050): how a follower of a leader that told it "my copy of the
 * log is durable up to index d" may commit without the leader's commit round.
 *
 * Raft commits an entry of the current term once a quorum holds it durably (§5.4.2); usually
 * only the leader counts, so a write sent to a follower waits for the follower's
 * acknowledgement to reach the leader and for the new commit index to come back. Where the
 * leader and that follower alone are a quorum, the follower can count by itself, Paxos-learner
 * style, once it knows the leader's copy is durable and its own log matches the leader's.
 */
import type { TrackerConfig } from './tracker.js';
import { isJoint } from './tracker.js';
import type { Message } from './types.js';
import { bytesEqual } from './types.js';

/** The `context` of an empty MsgApp that is a persisted notice ("kubets persisted", v1). */
export const LEADER_PERSISTED_CONTEXT: Uint8Array = Uint8Array.of(0x6b, 0x70, 0x01);

export function isPersistedNotice(m: Message): boolean {
  return m.entries.length === 0 && bytesEqual(m.context, LEADER_PERSISTED_CONTEXT);
}

/**
 * Whether `leader` and `follower` alone are a quorum of `cfg`: both voters of a configuration
 * of at most three voters that is not joint (a joint configuration needs both majorities).
 */
export function leaderAndFollowerAreQuorum(
  cfg: TrackerConfig,
  leader: number,
  follower: number,
): boolean {
  if (isJoint(cfg)) return false;
  const voters = cfg.voters.incoming;
  return voters.size <= 3 && voters.has(leader) && voters.has(follower);
}
