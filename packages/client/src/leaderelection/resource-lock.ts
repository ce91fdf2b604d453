/**
 * The lock leader election runs on (client-go tools/leaderelection/resourcelock): a record of who
 * holds leadership and when it was last renewed, stored in an API object that is only ever
 * changed with optimistic concurrency, so two candidates can never both win the same round.
 */

/** resourcelock.LeaderElectionRecord; times are RFC 3339 MicroTime strings. */
export interface LeaderElectionRecord {
  /** '' when nobody holds the lock (after a release). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaderTransitions: number;
}

export interface ResourceLock {
  /**
   * The current record and its serialized form (compared to detect change). Throws a NotFound
   * StatusError when the lock object does not exist.
   */
  get(signal?: AbortSignal): Promise<{ record: LeaderElectionRecord; raw: string }>;
  /** Creates the lock object; throws AlreadyExists if someone else was first. */
  create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void>;
  /**
   * Writes the record conditionally on the lock object's version last read or written through
   * this lock; throws a Conflict if it changed since.
   */
  update(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void>;
  /** This candidate's identity. */
  identity(): string;
  /** For logs: `namespace/name`. */
  describe(): string;
  /** Reports a leadership event (e.g. as a Kubernetes Event); optional. */
  recordEvent?(message: string): void;
}

/** The canonical serialization used to detect a changed record (key order fixed). */
export function serializeRecord(r: LeaderElectionRecord): string {
  return JSON.stringify({
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: r.acquireTime,
    renewTime: r.renewTime,
    leaderTransitions: r.leaderTransitions,
  });
}
