import type { LeaseAttachments } from '../mvcc/store.js';

/** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
export const MAX_LEASE_TTL = 9_000_000_000;
/** etcd's leaseRevokeRate: at most this many leases are revoked per second. */
export const LEASE_REVOKE_RATE = 1000;
/** etcd's expiredLeaseRetryInterval: an expired lease whose revoke did not land is retried after. */
export const EXPIRED_LEASE_RETRY_MS = 3000;

export class LeaseError extends Error {
  constructor(
    readonly code: 'not-found' | 'exists' | 'ttl-too-large',
    message: string,
  ) {
    super(message);
    this.name = 'LeaseError';
  }
}

export const errLeaseNotFound = (): LeaseError => new LeaseError('not-found', 'lease not found');

export interface Lease {
  readonly id: bigint;
  /** The TTL in seconds the lease was granted with (after raising it to the minimum TTL). */
  readonly ttl: number;
  /** Keys (binary strings) attached to the lease. */
  readonly keys: ReadonlySet<string>;
}

interface LeaseState {
  id: bigint;
  ttl: number;
  /** Virtual ms when the lease expires; Infinity while this member is not the leader. */
  expiry: number;
  /** Do not report the lease as expired again before this time (its revoke is in flight). */
  retryAt: number;
  keys: Set<string>;
}

export interface LessorOptions {
  /**
   * Leases shorter than this are granted with this TTL instead. etcd derives it from the
   * election timeout (1.5 election timeouts, rounded up to whole seconds) so a lease cannot
   * expire just because a leader election is in progress.
   */
  minTtlSeconds: number;
}

/**
 * Lease bookkeeping, as etcd's lessor: the replicated part (which leases exist, their TTL and
 * keys) changes only through applied entries (grant, revoke, key puts and deletes); the timing
 * part (expiry) lives only on the leader ("primary"). Followers keep every lease forever; when a
 * member becomes leader it re-bases every lease to now + TTL + an extension (`promote`), so
 * a leader change never expires a lease early — etcd's behaviour without lease checkpoints.
 *
 * Expiry itself is not an action here: the leader asks `expired(now)` and proposes a revoke
 * through Raft, so every member deletes the lease's keys at the same revision.
 */
export class Lessor implements LeaseAttachments {
  private readonly leaseMap = new Map<bigint, LeaseState>();
  private primary = false;

  constructor(private readonly opts: LessorOptions) {
    if (!Number.isInteger(opts.minTtlSeconds) || opts.minTtlSeconds < 1) {
      throw new Error(
        `lessor: minTtlSeconds must be a positive integer, got ${opts.minTtlSeconds}`,
      );
    }
  }

  get minTtlSeconds(): number {
    return this.opts.minTtlSeconds;
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  get size(): number {
    return this.leaseMap.size;
  }

  /** Creates a lease (applied from the log). `now` only matters on the leader. */
  grant(id: bigint, ttl: number, now: number): Lease {
    if (id === 0n) throw errLeaseNotFound();
    if (ttl > MAX_LEASE_TTL) throw new LeaseError('ttl-too-large', 'too large lease TTL');
    if (this.leaseMap.has(id)) throw new LeaseError('exists', 'lease already exists');
    const state: LeaseState = {
      id,
      ttl: Math.max(ttl, this.opts.minTtlSeconds),
      expiry: Infinity,
      retryAt: 0,
      keys: new Set(),
    };
    if (this.primary) state.expiry = now + state.ttl * 1000;
    this.leaseMap.set(id, state);
    return state;
  }

  /**
   * Removes a lease (applied from the log) and returns its keys in sorted order: the caller
   * deletes them in the same MVCC transaction, as etcd does, so every member deletes them alike.
   */
  revoke(id: bigint): string[] {
    const state = this.leaseMap.get(id);
    if (state === undefined) throw errLeaseNotFound();
    const keys = [...state.keys].sort();
    this.leaseMap.delete(id);
    return keys;
  }

  /** Leader only: extends the lease to now + TTL. Returns the TTL. */
  renew(id: bigint, now: number): number {
    const state = this.leaseMap.get(id);
    if (state === undefined) throw errLeaseNotFound();
    if (this.primary) {
      state.expiry = now + state.ttl * 1000;
      state.retryAt = 0;
    }
    return state.ttl;
  }

  lookup(id: bigint): Lease | undefined {
    return this.leaseMap.get(id);
  }

  /** Milliseconds until the lease expires (Infinity on a follower), undefined if unknown. */
  remainingMs(id: bigint, now: number): number | undefined {
    const state = this.leaseMap.get(id);
    if (state === undefined) return undefined;
    return state.expiry === Infinity ? Infinity : Math.max(0, state.expiry - now);
  }

  leases(): Lease[] {
    return [...this.leaseMap.values()];
  }

  /**
   * This member became leader: every lease expires at now + extendMs + TTL. Like etcd, when many
   * leases would expire in the same second their expiries are spread so that revokes stay under
   * 3/4 of LEASE_REVOKE_RATE per second.
   */
  promote(now: number, extendMs: number): void {
    this.primary = true;
    for (const state of this.leaseMap.values()) {
      state.expiry = now + extendMs + state.ttl * 1000;
      state.retryAt = 0;
    }
    if (this.leaseMap.size < LEASE_REVOKE_RATE) return;
    const byExpiry = [...this.leaseMap.values()].sort((a, b) => a.expiry - b.expiry);
    const targetPerSecond = (3 * LEASE_REVOKE_RATE) / 4;
    let baseWindow = byExpiry[0]!.expiry - now;
    let nextWindow = baseWindow + 1000;
    let expires = 0;
    for (const state of byExpiry) {
      const remaining = state.expiry - now;
      if (remaining > nextWindow) {
        baseWindow = remaining;
        nextWindow = baseWindow + 1000;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= targetPerSecond) continue;
      // Leases extended by n seconds, n seconds ahead of the base window, move by one second.
      const delay = 1000 * (expires / targetPerSecond) - (remaining - baseWindow);
      nextWindow = baseWindow + delay;
      state.expiry = now + delay + extendMs + state.ttl * 1000;
    }
  }

  /** This member lost leadership: leases no longer expire here. */
  demote(): void {
    this.primary = false;
    for (const state of this.leaseMap.values()) {
      state.expiry = Infinity;
      state.retryAt = 0;
    }
  }

  /**
   * Leader only: up to `limit` leases whose expiry has passed and whose revoke has not been
   * requested in the last EXPIRED_LEASE_RETRY_MS. The caller proposes their revocation.
   */
  expired(now: number, limit: number): bigint[] {
    if (!this.primary) return [];
    const out: bigint[] = [];
    for (const state of this.leaseMap.values()) {
      if (out.length >= limit) break;
      if (state.expiry <= now && state.retryAt <= now) {
        state.retryAt = now + EXPIRED_LEASE_RETRY_MS;
        out.push(state.id);
      }
    }
    return out;
  }

  attach(lease: bigint, key: string): void {
    // A put with an unknown lease is rejected before it reaches the store; a lease missing here
    // means the snapshot or log is inconsistent, which must not pass silently.
    const state = this.leaseMap.get(lease);
    if (state === undefined) throw new Error(`lessor: attach to unknown lease ${lease}`);
    state.keys.add(key);
  }

  detach(lease: bigint, key: string): void {
    // The lease may already be gone: revoke removes it and then deletes its keys.
    this.leaseMap.get(lease)?.keys.delete(key);
  }

  /** Drops every lease and re-creates the given ones (snapshot restore); keys are re-attached later. */
  restore(leases: Iterable<{ id: bigint; ttl: number }>, now: number): void {
    this.leaseMap.clear();
    for (const l of leases) {
      this.leaseMap.set(l.id, {
        id: l.id,
        ttl: l.ttl,
        expiry: this.primary ? now + l.ttl * 1000 : Infinity,
        retryAt: 0,
        keys: new Set(),
      });
    }
  }
}
