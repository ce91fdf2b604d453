import type { AlarmRequest__Output } from '../gen/etcd/types/etcdserverpb/AlarmRequest.js';
import type { AlarmResponse } from '../gen/etcd/types/etcdserverpb/AlarmResponse.js';
import type { CompactionResponse } from '../gen/etcd/types/etcdserverpb/CompactionResponse.js';
import type { LeaseGrantResponse } from '../gen/etcd/types/etcdserverpb/LeaseGrantResponse.js';
import type { LeaseRevokeResponse } from '../gen/etcd/types/etcdserverpb/LeaseRevokeResponse.js';
import type { InternalRequest__Output } from '../gen/etcd/types/kubets/store/InternalRequest.js';
import { Lessor } from '../lease/lessor.js';
import { singleKey } from '../mvcc/kv.js';
import { MvccStore } from '../mvcc/store.js';
import { AlarmStore, type AlarmType } from './alarms.js';
import { ErrCorrupt, ErrNoSpace, toEtcdError, type EtcdError } from './errors.js';
import { applyDeleteRangeRequest, applyPutRequest, applyTxnRequest } from './kv-apply.js';
import { Membership } from './membership.js';
import { quotaAvailable, requestCost, type QuotaRequest } from './quota.js';

export type ApplyResult = { ok: true; response: object } | { ok: false; error: EtcdError };

export interface StateMachineOptions {
  clusterId: bigint;
  /** The space quota in bytes (--quota-backend-bytes); 0 means the default. */
  quotaBytes: number;
  /** Minimum lease TTL in seconds (derived from the election timeout). */
  minLeaseTtlSeconds: number;
}

/**
 * The replicated state machine: everything that committed log entries change — the MVCC store,
 * leases, alarms and membership — and the applier that changes it (etcd's applierV3 chain:
 * corrupt/capped/quota/backend). Deterministic: the same entries in the same order give every
 * member the same state; the clock is only used for the leader's lease expiry bookkeeping.
 */
export class StateMachine {
  readonly lessor: Lessor;
  readonly mvcc: MvccStore;
  readonly alarms = new AlarmStore();
  readonly membership: Membership;
  /** Index of the last applied log entry (etcd's consistent index). */
  appliedIndex = 0;
  /** Term of the last applied log entry. */
  appliedTerm = 0;

  constructor(readonly opts: StateMachineOptions) {
    this.lessor = new Lessor({ minTtlSeconds: opts.minLeaseTtlSeconds });
    this.mvcc = new MvccStore(this.lessor);
    this.membership = new Membership(opts.clusterId);
  }

  /** Whether a request costing `cost` bytes fits under the space quota. */
  quotaAvailable(req: QuotaRequest): boolean {
    return quotaAvailable(this.mvcc.sizeBytes, this.opts.quotaBytes, requestCost(req));
  }

  /** Applies one client request from the log. Engine errors become the etcd error clients see. */
  apply(req: InternalRequest__Output, now: number): ApplyResult {
    try {
      return { ok: true, response: this.dispatch(req, now) };
    } catch (err) {
      const etcdErr = toEtcdError(err);
      if (etcdErr === undefined) throw err;
      return { ok: false, error: etcdErr };
    }
  }

  private dispatch(req: InternalRequest__Output, now: number): object {
    if (this.alarms.isRaised('CORRUPT') && req.request !== 'alarm') throw ErrCorrupt();
    const capped = this.alarms.isRaised('NOSPACE');
    switch (req.request) {
      case 'put': {
        const put = req.put!;
        if (capped || !this.quotaAvailable({ kind: 'put', put })) throw ErrNoSpace();
        return applyPutRequest(this.mvcc, this.lessor, put);
      }
      case 'delete_range':
        return applyDeleteRangeRequest(this.mvcc, req.delete_range!);
      case 'txn': {
        const txn = req.txn!;
        const cost = requestCost({ kind: 'txn', txn });
        if (cost > 0 && (capped || !this.quotaAvailable({ kind: 'txn', txn }))) throw ErrNoSpace();
        return applyTxnRequest(this.mvcc, this.lessor, txn);
      }
      case 'compaction': {
        this.mvcc.compact(Number(req.compaction!.revision));
        const resp: CompactionResponse = { header: { revision: this.mvcc.rev } };
        return resp;
      }
      case 'lease_grant': {
        const grant = req.lease_grant!;
        if (capped || !this.quotaAvailable({ kind: 'lease_grant', leaseGrant: grant })) {
          throw ErrNoSpace();
        }
        const lease = this.lessor.grant(BigInt(grant.ID), Number(grant.TTL), now);
        const resp: LeaseGrantResponse = {
          header: { revision: this.mvcc.rev },
          ID: lease.id.toString(),
          TTL: lease.ttl,
        };
        return resp;
      }
      case 'lease_revoke':
        return this.revokeLease(BigInt(req.lease_revoke!.ID));
      case 'alarm':
        return this.applyAlarm(req.alarm!);
      case 'member_attributes': {
        const a = req.member_attributes!;
        this.membership.setAttributes(Number(a.member_ID), a.name, a.client_URLs);
        return {};
      }
      default:
        throw new Error(`state machine: log entry has no known request (ID ${req.ID})`);
    }
  }

  /** Revokes a lease and deletes its keys in one revision (sorted, as every member must). */
  private revokeLease(id: bigint): LeaseRevokeResponse {
    const keys = this.lessor.revoke(id);
    if (keys.length > 0) {
      const txn = this.mvcc.write();
      try {
        for (const key of keys) txn.deleteRange(singleKey(key));
      } finally {
        txn.end();
      }
    }
    return { header: { revision: this.mvcc.rev } };
  }

  private applyAlarm(r: AlarmRequest__Output): AlarmResponse {
    const type: AlarmType | undefined =
      r.alarm === 'NOSPACE' ? 'NOSPACE' : r.alarm === 'CORRUPT' ? 'CORRUPT' : undefined;
    const memberId = Number(r.memberID);
    const toProto = (a: { memberId: number; alarm: AlarmType }) => ({
      memberID: a.memberId,
      alarm: a.alarm,
    });
    switch (r.action) {
      case 'GET':
        return { header: { revision: this.mvcc.rev }, alarms: this.alarms.list(type).map(toProto) };
      case 'ACTIVATE': {
        if (type === undefined) return { header: { revision: this.mvcc.rev }, alarms: [] };
        return {
          header: { revision: this.mvcc.rev },
          alarms: [toProto(this.alarms.activate(memberId, type))],
        };
      }
      case 'DEACTIVATE': {
        if (type === undefined) return { header: { revision: this.mvcc.rev }, alarms: [] };
        const a = this.alarms.deactivate(memberId, type);
        return { header: { revision: this.mvcc.rev }, alarms: a ? [toProto(a)] : [] };
      }
    }
  }
}
