/**
 * resourcelock.LeaseLock: the leader election record kept in a coordination.k8s.io/v1 Lease.
 * Updates carry the resourceVersion of the Lease last seen, so a write based on a stale read
 * fails with 409 Conflict instead of overwriting another candidate's claim.
 */
import type { GroupVersionResource, KubeObject, ObjectMeta } from '@kubets/apimachinery';
import { deepCopyJson } from '@kubets/apimachinery';
import type { ResourceClient } from '../rest/interfaces.js';
import { serializeRecord, type LeaderElectionRecord, type ResourceLock } from './resource-lock.js';

export const LEASES: GroupVersionResource = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
};

export type LeaseSpec = {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
};

/** coordination.k8s.io/v1 Lease. */
export interface Lease extends KubeObject {
  apiVersion?: 'coordination.k8s.io/v1';
  kind?: 'Lease';
  metadata?: ObjectMeta;
  spec?: LeaseSpec;
}

export function leaseSpecToRecord(spec: LeaseSpec | undefined): LeaderElectionRecord {
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: spec?.acquireTime ?? '',
    renewTime: spec?.renewTime ?? '',
    leaderTransitions: spec?.leaseTransitions ?? 0,
  };
}

export function recordToLeaseSpec(r: LeaderElectionRecord): LeaseSpec {
  const spec: LeaseSpec = {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    leaseTransitions: r.leaderTransitions,
  };
  if (r.acquireTime) spec.acquireTime = r.acquireTime;
  if (r.renewTime) spec.renewTime = r.renewTime;
  return spec;
}

export interface LeaseLockOptions {
  /** A client for Leases in the lock's namespace. */
  client: ResourceClient<Lease>;
  namespace: string;
  name: string;
  identity: string;
  labels?: Record<string, string>;
  recordEvent?: (message: string) => void;
}

export class LeaseLock implements ResourceLock {
  /** The Lease as last read or written: its resourceVersion guards the next update. */
  private lease: Lease | undefined;

  constructor(private readonly options: LeaseLockOptions) {
    if (!options.name) throw new Error('lease lock needs a name');
    if (!options.namespace) throw new Error('lease lock needs a namespace');
    if (!options.identity) throw new Error('lease lock needs an identity');
  }

  async get(signal?: AbortSignal): Promise<{ record: LeaderElectionRecord; raw: string }> {
    const lease = await this.options.client.get(this.options.name, { signal });
    this.lease = lease;
    const record = leaseSpecToRecord(lease.spec);
    return { record, raw: serializeRecord(record) };
  }

  async create(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void> {
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.options.name,
        namespace: this.options.namespace,
        ...(this.options.labels ? { labels: { ...this.options.labels } } : {}),
      },
      spec: recordToLeaseSpec(record),
    };
    this.lease = await this.options.client.create(lease, { signal });
  }

  async update(record: LeaderElectionRecord, signal?: AbortSignal): Promise<void> {
    if (!this.lease) throw new Error('lease not initialized, call get or create first');
    const next = deepCopyJson(this.lease);
    next.spec = recordToLeaseSpec(record);
    if (this.options.labels) {
      next.metadata = {
        ...next.metadata,
        labels: { ...next.metadata?.labels, ...this.options.labels },
      };
    }
    this.lease = await this.options.client.update(next, { signal });
  }

  identity(): string {
    return this.options.identity;
  }

  describe(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  recordEvent(message: string): void {
    this.options.recordEvent?.(`${this.options.identity} ${message}`);
  }
}
