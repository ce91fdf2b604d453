import { createHash } from 'node:crypto';
import type { ConfState } from '@kubets/raft';

export interface Member {
  /** A positive safe integer: it doubles as the member's Raft node ID. */
  readonly id: number;
  /** Empty until the member has started and published its attributes. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

const ID_MASK = (1n << 53n) - 1n;

/**
 * etcd's member ID construction — the first 8 bytes (big-endian) of SHA-1 over the sorted peer
 * URLs, the cluster token and, for members added at runtime, the Unix time in seconds — reduced
 * to its low 53 bits, because member IDs double as Raft node IDs, which are safe integers.
 * Clients treat member IDs as opaque uint64 values, so the narrower range is invisible to them.
 */
export function computeMemberId(
  peerURLs: readonly string[],
  clusterToken: string,
  nowMs?: number,
): number {
  const parts = [...peerURLs].sort();
  let s = parts.join('') + clusterToken;
  if (nowMs !== undefined) s += String(Math.floor(nowMs / 1000));
  const id = Number(createHash('sha1').update(s).digest().readBigUInt64BE(0) & ID_MASK);
  return id === 0 ? 1 : id;
}

/** etcd's cluster ID: the first 8 bytes of SHA-1 over the sorted member IDs (big-endian). */
export function computeClusterId(memberIds: Iterable<number>): bigint {
  const ids = [...memberIds].sort((a, b) => a - b);
  const b = Buffer.alloc(8 * ids.length);
  ids.forEach((id, i) => b.writeBigUInt64BE(BigInt(id), 8 * i));
  return createHash('sha1').update(b).digest().readBigUInt64BE(0);
}

/** etcd's "%x" formatting of IDs, as in logs and `etcdctl member list`. */
/** The founding configuration of a new cluster: every member a voter, as etcd-raft bootstraps. */
export function foundingConfState(members: readonly Pick<Member, 'id'>[]): ConfState {
  return {
    voters: members.map((m) => m.id).sort((a, b) => a - b),
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
}

export function formatId(id: number | bigint): string {
  return id.toString(16);
}

/**
 * The cluster's membership (etcd's RaftCluster): replicated through Raft configuration-change
 * entries and MemberAttributes requests, kept in snapshots. Removed IDs are remembered so a
 * removed member can never rejoin under the same ID.
 */
export class Membership {
  private readonly members = new Map<number, Member>();
  private readonly removed = new Set<number>();

  constructor(public clusterId: bigint) {}

  get(id: number): Member | undefined {
    return this.members.get(id);
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  isRemoved(id: number): boolean {
    return this.removed.has(id);
  }

  /** Members ordered by ID, as etcd lists them. */
  list(): Member[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id);
  }

  get size(): number {
    return this.members.size;
  }

  voters(): Member[] {
    return this.list().filter((m) => !m.isLearner);
  }

  add(member: Member): void {
    if (this.members.has(member.id) || this.removed.has(member.id)) {
      throw new Error(`membership: member ${formatId(member.id)} already exists or was removed`);
    }
    this.members.set(member.id, {
      ...member,
      peerURLs: [...member.peerURLs],
      clientURLs: [...member.clientURLs],
    });
  }

  remove(id: number): void {
    this.members.delete(id);
    this.removed.add(id);
  }

  promote(id: number): void {
    const m = this.members.get(id);
    if (m !== undefined) m.isLearner = false;
  }

  updatePeerURLs(id: number, peerURLs: string[]): void {
    const m = this.members.get(id);
    if (m !== undefined) m.peerURLs = [...peerURLs];
  }

  setAttributes(id: number, name: string, clientURLs: string[]): void {
    const m = this.members.get(id);
    if (m !== undefined) {
      m.name = name;
      m.clientURLs = [...clientURLs];
    }
  }

  /** Whether any member other than `except` already uses one of `peerURLs`. */
  peerURLInUse(peerURLs: readonly string[], except?: number): boolean {
    for (const m of this.members.values()) {
      if (m.id === except) continue;
      if (m.peerURLs.some((u) => peerURLs.includes(u))) return true;
    }
    return false;
  }

  removedIds(): number[] {
    return [...this.removed];
  }

  restore(clusterId: bigint, members: Iterable<Member>, removed: Iterable<number>): void {
    this.clusterId = clusterId;
    this.members.clear();
    this.removed.clear();
    for (const m of members) this.add(m);
    for (const id of removed) this.removed.add(id);
  }
}
