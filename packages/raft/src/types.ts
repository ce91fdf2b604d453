/**
 * Plain data types exchanged between the Raft state machine and its host: log entries,
 * messages, hard state, configuration state and snapshots.
 *
 * Node ids, terms and indexes are JavaScript `number`s restricted to safe integers
 * (≤ 2^53 - 1). That range outlives any real cluster (a million entries per second for
 * 285 years) and keeps every comparison and map lookup on the fast small-integer path,
 * which bigint would not. Node id 0 is reserved to mean "no node" ({@link NONE}).
 */

/** The reserved node id meaning "nobody" (no leader known, no vote cast). */
export const NONE = 0;

/** Message types. The numeric values match etcd-io/raft's `raftpb.MessageType`. */
export const MessageType = {
  /** Local: start an election (pre-election when PreVote is on). */
  MsgHup: 0,
  /** Local: leader broadcasts heartbeats. */
  MsgBeat: 1,
  /** Proposal of new entries; local on the leader, forwarded by followers. */
  MsgProp: 2,
  /** AppendEntries: entries after (index, logTerm), plus the leader's commit index. */
  MsgApp: 3,
  /** AppendEntries response: accepted up to `index`, or rejected with a hint. */
  MsgAppResp: 4,
  /** RequestVote for `term`, candidate's last entry is (index, logTerm). */
  MsgVote: 5,
  MsgVoteResp: 6,
  /** InstallSnapshot: the whole snapshot in `snapshot`. */
  MsgSnap: 7,
  /** Heartbeat carrying min(match, commit) and an optional ReadIndex context. */
  MsgHeartbeat: 8,
  MsgHeartbeatResp: 9,
  /** Local: the host reports that a peer could not be reached. */
  MsgUnreachable: 10,
  /** Local: the host reports the outcome of sending a snapshot. */
  MsgSnapStatus: 11,
  /** Local: leader checks that a quorum was active in the last election timeout. */
  MsgCheckQuorum: 12,
  /** Request to transfer leadership to `from`; forwarded to the leader by followers. */
  MsgTransferLeader: 13,
  /** Leader tells the transferee to campaign immediately. */
  MsgTimeoutNow: 14,
  /** Linearizable read request; `context` identifies it. Forwarded to the leader. */
  MsgReadIndex: 15,
  MsgReadIndexResp: 16,
  /** Pre-election probe for `term` (the candidate's term + 1) that changes no state. */
  MsgPreVote: 17,
  MsgPreVoteResp: 18,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

const messageTypeNames: readonly string[] = Object.keys(MessageType);
/** Name of a message type, e.g. `MsgApp`, for logs and errors. */
export function messageTypeName(t: number): string {
  return messageTypeNames[t] ?? `MsgUnknown(${t})`;
}
/** Number of defined message types (they are numbered 0..count-1). */
export const MESSAGE_TYPE_COUNT = messageTypeNames.length;

export const EntryType = {
  /** Application data (or the empty entry a new leader appends). */
  EntryNormal: 0,
  /** A {@link ConfChange} encoded with `encodeConfChange`. */
  EntryConfChange: 1,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/** One log entry. Entries are immutable once created: the log and messages share them. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** State that must be on stable storage before messages depending on it are sent. */
export interface HardState {
  readonly term: number;
  /** Candidate voted for in `term`, or NONE. */
  readonly vote: number;
  readonly commit: number;
}

/** Membership: voters (incoming and, while joint, outgoing), learners, staged learners. */
export interface ConfState {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** Voters of the outgoing configuration while in a joint configuration, else empty. */
  readonly votersOutgoing: readonly number[];
  /** Nodes that become learners when the joint configuration is left. */
  readonly learnersNext: readonly number[];
  /** Whether the leader leaves the joint configuration automatically. */
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly confState: ConfState;
  /** Index of the last entry the snapshot covers. */
  readonly index: number;
  /** Term of that entry. */
  readonly term: number;
}

export interface Snapshot {
  readonly data: Uint8Array;
  readonly metadata: SnapshotMetadata;
}

/**
 * A Raft message. Every field is always present (unused ones are 0/empty) so that all
 * messages share one object shape, which keeps property access monomorphic and fast.
 */
export interface Message {
  type: MessageType;
  to: number;
  from: number;
  term: number;
  /** MsgApp: term of the entry at `index`. MsgVote: candidate's last term. Reject hint term. */
  logTerm: number;
  index: number;
  entries: readonly Entry[];
  commit: number;
  /** MsgSnap only; null otherwise. */
  snapshot: Snapshot | null;
  reject: boolean;
  rejectHint: number;
  /** ReadIndex request id, heartbeat read context, or the campaign-transfer marker. */
  context: Uint8Array;
}

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

/** Builds a message with every field set (defaults 0 / empty). */
export function makeMessage(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    type: fields.type,
    to: fields.to ?? NONE,
    from: fields.from ?? NONE,
    term: fields.term ?? 0,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? NO_ENTRIES,
    commit: fields.commit ?? 0,
    snapshot: fields.snapshot ?? null,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    context: fields.context ?? EMPTY_BYTES,
  };
}

export const StateType = {
  Follower: 0,
  Candidate: 1,
  Leader: 2,
  PreCandidate: 3,
} as const;
export type StateType = (typeof StateType)[keyof typeof StateType];
const stateNames = ['Follower', 'Candidate', 'Leader', 'PreCandidate'] as const;
export function stateTypeName(s: StateType): string {
  return stateNames[s];
}

/** Volatile state worth reporting to the host when it changes (leader, role). */
export interface SoftState {
  readonly lead: number;
  readonly raftState: StateType;
}

/**
 * Result of a ReadIndex request: once the local applied index reaches `index`, the host
 * may serve the read identified by `requestCtx` linearizably.
 */
export interface ReadState {
  readonly index: number;
  readonly requestCtx: Uint8Array;
}

export const ConfChangeType = {
  AddNode: 0,
  RemoveNode: 1,
  /** No membership effect; lets the host carry node metadata (address) through the log. */
  UpdateNode: 2,
  AddLearnerNode: 3,
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

export const ConfChangeTransition = {
  /**
   * One change: applied directly (single-step). Several: joint consensus, left
   * automatically by the leader once the joint configuration is applied.
   */
  Auto: 0,
  /** Always use joint consensus and leave it automatically. */
  JointImplicit: 1,
  /** Always use joint consensus; the host leaves it by proposing an empty ConfChange. */
  JointExplicit: 2,
} as const;
export type ConfChangeTransition = (typeof ConfChangeTransition)[keyof typeof ConfChangeTransition];

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: number;
}

/**
 * A membership change (etcd's ConfChangeV2). An empty `changes` list with the Auto
 * transition means "leave the joint configuration".
 */
export interface ConfChange {
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque host data (e.g. the new member's address), carried through the log. */
  readonly context: Uint8Array;
}

/** Outcome of sending a snapshot, reported with `RawNode.reportSnapshot`. */
export type SnapshotStatus = 'finish' | 'failure';

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === 0 && hs.commit === 0;
}

/** Whether two byte strings hold the same bytes (message contexts are a few bytes long). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export const EMPTY_CONF_STATE: ConfState = Object.freeze({
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
});

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  data: EMPTY_BYTES,
  metadata: Object.freeze({ confState: EMPTY_CONF_STATE, index: 0, term: 0 }),
});

export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}

/** True if the message type is generated locally and must never come from the network. */
export function isLocalMessage(t: MessageType): boolean {
  return (
    t === MessageType.MsgHup ||
    t === MessageType.MsgBeat ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgSnapStatus ||
    t === MessageType.MsgCheckQuorum
  );
}

/** True for messages that answer a request; only meaningful from a tracked peer. */
export function isResponseMessage(t: MessageType): boolean {
  return (
    t === MessageType.MsgAppResp ||
    t === MessageType.MsgVoteResp ||
    t === MessageType.MsgHeartbeatResp ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgPreVoteResp
  );
}

export function voteResponseType(t: MessageType): MessageType {
  switch (t) {
    case MessageType.MsgVote:
      return MessageType.MsgVoteResp;
    case MessageType.MsgPreVote:
      return MessageType.MsgPreVoteResp;
    default:
      throw new Error(`not a vote message: ${messageTypeName(t)}`);
  }
}

/** Bytes an entry is charged for in size limits (payload plus a fixed header estimate). */
export function entrySize(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}
const ENTRY_OVERHEAD_BYTES = 16;

/** Sum of entry payload sizes (what uncommitted-size and inflight-bytes limits count). */
export function payloadSize(entries: readonly Entry[]): number {
  let s = 0;
  for (const e of entries) s += e.data.length;
  return s;
}

/**
 * Returns the longest prefix of `entries` whose total size stays within `maxBytes`, but
 * always at least one entry so that progress is possible with any limit.
 */
export function limitSize<T extends Entry>(entries: T[], maxBytes: number): T[] {
  if (entries.length <= 1) return entries;
  let size = entrySize(entries[0]!);
  let limit = 1;
  for (; limit < entries.length; limit++) {
    size += entrySize(entries[limit]!);
    if (size > maxBytes) break;
  }
  return limit === entries.length ? entries : entries.slice(0, limit);
}

/** Short human-readable description of a message, for logs and test failures. */
export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${messageTypeName(m.type)} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.entries.length > 0) {
    s += ` Entries:[${m.entries.map((e) => `${e.term}/${e.index}${e.type === EntryType.EntryConfChange ? 'cc' : ''}`).join(' ')}]`;
  }
  if (m.snapshot !== null)
    s += ` Snapshot:${m.snapshot.metadata.term}/${m.snapshot.metadata.index}`;
  return s;
}
