/**
 * Typed errors. Storage errors are part of the {@link Storage} contract (the library
 * recovers from them); the others tell the host that a request was refused or that it
 * broke the Ready/advance contract or a Raft invariant.
 */

/** Base class so hosts can catch everything this library throws with one `instanceof`. */
export class RaftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Storage: the requested index is older than the first retained entry (compacted away). */
export class CompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super(`requested index ${index} is unavailable due to compaction (first index ${firstIndex})`);
  }
}

/** Storage: the requested index is newer than the last stored entry. */
export class UnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super(`requested entry at index ${index} is unavailable (last index ${lastIndex})`);
  }
}

/** Storage: the snapshot is being produced; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('snapshot is temporarily unavailable');
  }
}

/** Storage: applying or creating a snapshot older than the one already held. */
export class SnapshotOutOfDateError extends RaftError {
  constructor(requested: number, current: number) {
    super(`requested snapshot index ${requested} is older than the existing snapshot ${current}`);
  }
}

/**
 * A proposal (or read, or transfer) was refused: no leader is known, a leadership
 * transfer is in progress, the node is not in the configuration, or the uncommitted-size
 * limit is reached. The host should retry later, possibly on another node.
 */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}`);
  }
}

/** The host broke the Ready/advance protocol or passed an invalid argument. */
export class RaftContractError extends RaftError {}

/** The configuration passed to the node is invalid. */
export class ConfigError extends RaftError {}

/**
 * A Raft safety invariant would be violated (e.g. truncating committed entries). This
 * always means a bug or corrupted storage; the node must not continue.
 */
export class RaftInvariantError extends RaftError {}
