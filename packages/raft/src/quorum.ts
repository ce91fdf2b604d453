/**
 * Quorum arithmetic for majority and joint configurations (Raft thesis §4.3). Pure
 * functions over sets of voter ids; the tracker supplies match indexes and votes.
 */

export const VoteResult = {
  /** Not decided yet: enough votes are missing to go either way. */
  Pending: 0,
  Lost: 1,
  Won: 2,
} as const;
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

/** The commit index reported for an empty configuration, so that min() ignores it. */
export const EMPTY_CONFIG_COMMIT = Number.MAX_SAFE_INTEGER;

const scratch: number[] = [];

/**
 * The largest index acknowledged by a majority of `voters` (§5.3). Voters with no known
 * acknowledgement count as 0. An empty configuration returns {@link EMPTY_CONFIG_COMMIT}.
 */
export function majorityCommitted(
  voters: ReadonlySet<number>,
  acked: (id: number) => number | undefined,
): number {
  const n = voters.size;
  if (n === 0) return EMPTY_CONFIG_COMMIT;
  scratch.length = 0;
  for (const id of voters) scratch.push(acked(id) ?? 0);
  // Insertion sort, descending: configurations are small and this avoids allocation.
  for (let i = 1; i < n; i++) {
    const v = scratch[i]!;
    let j = i - 1;
    while (j >= 0 && scratch[j]! < v) {
      scratch[j + 1] = scratch[j]!;
      j--;
    }
    scratch[j + 1] = v;
  }
  // The (n/2 + 1)-th largest value is held by a majority.
  return scratch[n >> 1]!;
}

/** Result of an election over `voters` given the votes cast so far (true = granted). */
export function majorityVoteResult(
  voters: ReadonlySet<number>,
  votes: ReadonlyMap<number, boolean>,
): VoteResult {
  const n = voters.size;
  // An empty configuration wins every vote, so that a joint config with one empty half
  // behaves like its other half.
  if (n === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = (n >> 1) + 1;
  if (granted >= q) return VoteResult.Won;
  if (granted + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}

/** A joint configuration: decisions need a majority of both halves. */
export interface JointConfig {
  readonly incoming: ReadonlySet<number>;
  /** Empty unless the configuration is joint. */
  readonly outgoing: ReadonlySet<number>;
}

export function jointCommitted(
  cfg: JointConfig,
  acked: (id: number) => number | undefined,
): number {
  const a = majorityCommitted(cfg.incoming, acked);
  const b = majorityCommitted(cfg.outgoing, acked);
  return a < b ? a : b;
}

export function jointVoteResult(cfg: JointConfig, votes: ReadonlyMap<number, boolean>): VoteResult {
  const r1 = majorityVoteResult(cfg.incoming, votes);
  const r2 = majorityVoteResult(cfg.outgoing, votes);
  if (r1 === r2) return r1;
  if (r1 === VoteResult.Lost || r2 === VoteResult.Lost) return VoteResult.Lost;
  return VoteResult.Pending;
}

/** All voter ids of a joint configuration, sorted. */
export function jointVoterIds(cfg: JointConfig): number[] {
  const ids = new Set<number>(cfg.incoming);
  for (const id of cfg.outgoing) ids.add(id);
  return [...ids].sort((a, b) => a - b);
}

export function describeMajority(voters: ReadonlySet<number>): string {
  return `(${[...voters].sort((a, b) => a - b).join(' ')})`;
}

export function describeJoint(cfg: JointConfig): string {
  const s = describeMajority(cfg.incoming);
  return cfg.outgoing.size > 0 ? `${s}&&${describeMajority(cfg.outgoing)}` : s;
}
