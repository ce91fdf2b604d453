import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@kubets/component-base';
import { decodeMessage, type Message } from '@kubets/raft';
import { loadGrpcObject } from '../gen/etcd/load.js';
import type { RaftPeerHandlers } from '../gen/etcd/types/kubets/store/RaftPeer.js';
import type { SnapshotChunk__Output } from '../gen/etcd/types/kubets/store/SnapshotChunk.js';
import type { EtcdServer } from './etcd-server.js';
import { toStatus } from './grpc-services.js';
import type { StoreMetrics } from './metrics.js';
import { withPeerBatchCodec, type PeerBatch } from './peer-batch.js';
import type { PeerFaults } from './peer-faults.js';

export interface PeerServiceOptions {
  etcd: EtcdServer;
  logger: Logger;
  metrics?: StoreMetrics;
  /** TEST ONLY: peers whose traffic is dropped (see peer-faults.ts). */
  faults?: PeerFaults;
}

function clusterMismatch(
  etcd: EtcdServer,
  clusterId: string,
): Partial<grpc.StatusObject> | undefined {
  if (clusterId === etcd.clusterId.toString()) return undefined;
  return {
    code: grpc.status.PERMISSION_DENIED,
    details: `cluster ID mismatch: this member belongs to cluster ${etcd.clusterId.toString(16)}, the sender to ${BigInt(clusterId).toString(16)}`,
  };
}

/** The receiving side of the peer protocol (RaftPeer service) on --listen-peer-urls. */
export function addPeerService(server: grpc.Server, opts: PeerServiceOptions): void {
  const { etcd, logger, metrics, faults } = opts;
  const deliver = (m: Message): void => {
    if (m.to !== etcd.memberId) {
      logger.warn('Dropping a Raft message addressed to another member', { to: m.to.toString(16) });
      return;
    }
    try {
      etcd.receive(m);
    } catch (err) {
      logger.warn('Dropping an invalid Raft message', {
        from: m.from.toString(16),
        err: String(err),
      });
    }
  };

  const handlers: RaftPeerHandlers = {
    Messages: (call, callback) => {
      let failed = false;
      call.on('data', (raw: unknown) => {
        // The service definition below decodes this stream with the batch codec.
        const batch = raw as PeerBatch;
        if (failed || faults?.blocked(batch.from) === true) return;
        const bad =
          batch.clusterId === etcd.clusterId
            ? undefined
            : clusterMismatch(etcd, batch.clusterId.toString());
        if (bad) {
          failed = true;
          logger.warn('Refusing peer traffic from another cluster', {
            from: batch.from,
            reason: bad.details,
          });
          callback(bad);
          return;
        }
        let bytes = 0;
        for (const encoded of batch.messages) {
          bytes += encoded.length;
          let m: Message;
          try {
            m = decodeMessage(encoded);
          } catch (err) {
            logger.warn('Dropping an undecodable Raft message', {
              from: batch.from,
              err: String(err),
            });
            continue;
          }
          deliver(m);
        }
        metrics?.peerReceivedBytes.inc({ From: batch.from.toString(16) }, bytes);
      });
      call.on('end', () => {
        if (!failed) callback(null, {});
      });
      call.on('error', () => undefined);
    },

    Snapshot: (call, callback) => {
      let head: SnapshotChunk__Output | undefined;
      const parts: Buffer[] = [];
      let received = 0;
      let failed = false;
      call.on('data', (chunk: SnapshotChunk__Output) => {
        if (failed) return;
        if (head === undefined) {
          const bad =
            faults?.blocked(Number(chunk.from)) === true
              ? { code: grpc.status.UNAVAILABLE, details: 'partitioned (test fault injection)' }
              : clusterMismatch(etcd, chunk.cluster_ID);
          if (bad) {
            failed = true;
            callback(bad);
            return;
          }
          head = chunk;
          return;
        }
        parts.push(chunk.data);
        received += chunk.data.length;
      });
      call.on('end', () => {
        if (failed) return;
        if (head === undefined || received !== Number(head.total_bytes)) {
          callback({
            code: grpc.status.DATA_LOSS,
            details: `incomplete snapshot: ${received} of ${head?.total_bytes ?? '?'} bytes`,
          });
          return;
        }
        try {
          const m = decodeMessage(head.message);
          if (m.snapshot === null) throw new Error('snapshot message without a snapshot');
          const withData: Message = {
            ...m,
            snapshot: { metadata: m.snapshot.metadata, data: Buffer.concat(parts) },
          };
          logger.info('Received a snapshot from the leader', {
            from: m.from.toString(16),
            index: m.snapshot.metadata.index,
            bytes: received,
          });
          deliver(withData);
          callback(null, {});
        } catch (err) {
          callback({
            code: grpc.status.INVALID_ARGUMENT,
            details: `bad snapshot message: ${(err as Error).message}`,
          });
        }
      });
      call.on('error', () => undefined);
    },

    LeaseRenew: (call, callback) => {
      const bad = clusterMismatch(etcd, call.request.cluster_ID);
      if (bad) return callback(bad);
      etcd.leaseRenewLocal(BigInt(call.request.ID)).then(
        (ttl) => callback(null, { TTL: ttl }),
        (err: unknown) => callback(toStatus(err)),
      );
    },

    LeaseTimeToLive: (call, callback) => {
      etcd.leaseTimeToLiveLocal(BigInt(call.request.ID), call.request.keys).then(
        (res) => callback(null, res),
        (err: unknown) => callback(toStatus(err)),
      );
    },

    Members: (_call, callback) => {
      callback(null, {
        cluster_ID: etcd.clusterId.toString(),
        members: etcd.sm.membership.list().map((m) => ({
          ID: m.id,
          name: m.name,
          peer_URLs: m.peerURLs,
          client_URLs: m.clientURLs,
          is_learner: m.isLearner,
        })),
      });
    },

    Ping: (call, callback) => {
      const bad = clusterMismatch(etcd, call.request.cluster_ID);
      if (bad) return callback(bad);
      callback(null, { member_ID: etcd.memberId });
    },
  };
  server.addService(withPeerBatchCodec(loadGrpcObject().kubets.store.RaftPeer.service), handlers);
}
