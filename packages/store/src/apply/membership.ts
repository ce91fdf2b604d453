import { createHash } from 'node:crypto';

export interface Member {
  readonly id: bigint;
  /** Empty until the member has started and published its attributes. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/**
 * etcd's member ID: the first 8 bytes (big-endian) of SHA-1 over the sorted peer URLs, the
 * cluster token and, for members added at runtime, the Unix time in seconds. Computing it the
 * same way gives a kubets-store cluster the member IDs etcd would give the same configuration.
 */
export function computeMemberId(peerURLs: readonly string[], clusterToken: string, nowMs?: number): bigint {
  const parts = [...peerURLs].sort();
  let s = parts.join('') + clusterToken;
  if (nowMs !== undefined) s += String(Math.floor(nowMs / 1000));
  return createHash('sha1').update(s).digest().readBigUInt64BE(0);
}

/** etcd's cluster ID: the first 8 bytes of SHA-1 over the sorted member IDs (big-endian). */
export function computeClusterId(memberIds: Iterable<bigint>): bigint {
  const ids = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const b = Buffer.alloc(8 * ids.length);
  ids.forEach((id, i) => b.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(b).digest().readBigUInt64BE(0);
}

/** etcd's "%x" formatting of IDs, as in logs and `etcdctl member list`. */
export function formatId(id: bigint): string {
  return id.toString(16);
}

/**
 * The cluster's membership (etcd's RaftCluster): replicated through Raft configuration-change
 * entries and MemberAttributes requests, kept in snapshots. Removed IDs are remembered so a
 * removed member can never rejoin under the same ID.
 */
export class Membership {
  private readonly members = new Map<bigint, Member>();
  private readonly removed = new Set<bigint>();

  constructor(public clusterId: bigint) {}

  get(id: bigint): Member | undefined {
    return this.members.get(id);
  }

  has(id: bigint): boolean {
    return this.members.has(id);
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  /** Members ordered by ID, as etcd lists them. */
  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
    this.members.set(member.id, { ...member, peerURLs: [...member.peerURLs], clientURLs: [...member.clientURLs] });
  }

  remove(id: bigint): void {
    this.members.delete(id);
    this.removed.add(id);
  }

  promote(id: bigint): void {
    const m = this.members.get(id);
    if (m !== undefined) m.isLearner = false;
  }

  updatePeerURLs(id: bigint, peerURLs: string[]): void {
    const m = this.members.get(id);
    if (m !== undefined) m.peerURLs = [...peerURLs];
  }

  setAttributes(id: bigint, name: string, clientURLs: string[]): void {
    const m = this.members.get(id);
    if (m !== undefined) {
      m.name = name;
      m.clientURLs = [...clientURLs];
    }
  }

  /** Whether any member other than `except` already uses one of `peerURLs`. */
  peerURLInUse(peerURLs: readonly string[], except?: bigint): boolean {
    for (const m of this.members.values()) {
      if (m.id === except) continue;
      if (m.peerURLs.some((u) => peerURLs.includes(u))) return true;
    }
    return false;
  }

  removedIds(): bigint[] {
    return [...this.removed];
  }

  restore(clusterId: bigint, members: Iterable<Member>, removed: Iterable<bigint>): void {
    this.clusterId = clusterId;
    this.members.clear();
    this.removed.clear();
    for (const m of members) this.add(m);
    for (const id of removed) this.removed.add(id);
  }
}
