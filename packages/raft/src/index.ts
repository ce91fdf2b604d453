/**
 * raft-ts: the Raft consensus algorithm as a pure, deterministic state machine.
 * See README.md for the Ready/advance contract and an example host loop.
 */
export { RawNode } from './rawnode.js';
export type { Ready } from './rawnode.js';
export type { RaftConfig } from './config.js';
export type { Storage, InitialState } from './storage.js';
export { MemoryStorage, bootstrapSnapshot } from './storage.js';
export type { RaftLogger } from './logger.js';
export { discardLogger } from './logger.js';
export type { RaftMetrics } from './metrics.js';
export type { ReadOnlyOption } from './readonly.js';
export type { Status, BasicStatus, ProgressStatus } from './status.js';
export { ProgressState, progressStateName } from './progress.js';
export { ConfChanges, ConfChangeError, isLeaveJoint } from './confchange.js';
export { CAMPAIGN_TRANSFER_CONTEXT } from './raft.js';
export { LEADER_PERSISTED_CONTEXT, isPersistedNotice } from './persisted-notice.js';
export {
  RaftError,
  CompactedError,
  UnavailableError,
  SnapshotTemporarilyUnavailableError,
  SnapshotOutOfDateError,
  ProposalDroppedError,
  RaftContractError,
  ConfigError,
  RaftInvariantError,
} from './errors.js';
export type { DecodeOptions } from './codec.js';
export {
  CodecError,
  CODEC_VERSION,
  RecordKind,
  encodeMessage,
  decodeMessage,
  encodeEntry,
  decodeEntry,
  encodeHardState,
  decodeHardState,
  encodeConfState,
  decodeConfState,
  encodeSnapshotMetadata,
  decodeSnapshotMetadata,
  encodeSnapshot,
  decodeSnapshot,
  encodeConfChange,
  decodeConfChange,
  encodedMessageSize,
} from './codec.js';
export type {
  Entry,
  HardState,
  ConfState,
  Snapshot,
  SnapshotMetadata,
  Message,
  SoftState,
  ReadState,
  ConfChange,
  ConfChangeSingle,
  SnapshotStatus,
} from './types.js';
export {
  NONE,
  MessageType,
  messageTypeName,
  EntryType,
  StateType,
  stateTypeName,
  ConfChangeType,
  ConfChangeTransition,
  EMPTY_BYTES,
  EMPTY_CONF_STATE,
  EMPTY_SNAPSHOT,
  makeMessage,
  describeMessage,
  isEmptyHardState,
  isEmptySnapshot,
  isLocalMessage,
  isResponseMessage,
} from './types.js';
