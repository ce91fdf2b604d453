import * as grpc from '@grpc/grpc-js';
import { hotCount, type Logger } from '@kubets/component-base';
import type {
  GrpcServer,
  ServerStreamCall,
  StreamCall,
  UnaryCall,
  UnaryCallback,
} from '@kubets/component-base/grpc-server';
import { ErrBadLeaderTransferee, ErrNotLeader, ErrTimeout, toEtcdError } from '../apply/errors.js';
import { loadGrpcObject } from '../gen/etcd/load.js';
import type { ClusterHandlers } from '../gen/etcd/types/etcdserverpb/Cluster.js';
import type { KVHandlers } from '../gen/etcd/types/etcdserverpb/KV.js';
import type { LeaseHandlers } from '../gen/etcd/types/etcdserverpb/Lease.js';
import type { LeaseKeepAliveRequest__Output } from '../gen/etcd/types/etcdserverpb/LeaseKeepAliveRequest.js';
import type { LeaseKeepAliveResponse } from '../gen/etcd/types/etcdserverpb/LeaseKeepAliveResponse.js';
import type { MaintenanceHandlers } from '../gen/etcd/types/etcdserverpb/Maintenance.js';
import type { WatchHandlers } from '../gen/etcd/types/etcdserverpb/Watch.js';
import type { WatchRequest__Output } from '../gen/etcd/types/etcdserverpb/WatchRequest.js';
import type { WatchResponse } from '../gen/etcd/types/etcdserverpb/WatchResponse.js';
import { requestRange } from '../mvcc/kv.js';
import type { EtcdServer } from './etcd-server.js';
import { withHandWrittenPut, withHandWrittenTxn } from './kv-codec.js';
import { withHandWrittenRange } from './range-codec.js';
import type { StoreMetrics } from './metrics.js';
import type { StoreTracing } from './tracing.js';
import {
  WATCH_HEAD_MAX,
  encodeWatchResponse,
  watchEventsBody,
  watchResponseHead,
  withPreEncodedResponses,
} from './watch-encoding.js';

/** Bytes of a snapshot stream message (etcd sends 32 KiB chunks). */
const SNAPSHOT_CHUNK = 32 * 1024;

export interface GrpcServicesOptions {
  etcd: EtcdServer;
  logger: Logger;
  metrics?: StoreMetrics;
  /** Server spans for unary calls (distributed tracing on). */
  tracing?: StoreTracing;
}

type ServiceName = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance';

/**
 * The generated (grpc-js) handler interface of a service, with the call objects of the
 * node:http2 gRPC server (component-base/grpc-server) in place of grpc-js's.
 */
type Handlers<H> = {
  [K in keyof H as string extends K ? never : K]: H[K] extends grpc.handleUnaryCall<
    infer Req,
    infer Res
  >
    ? (call: UnaryCall<Req, Res>, callback: UnaryCallback<Res>) => void
    : H[K] extends grpc.handleBidiStreamingCall<infer Req, infer Res>
      ? (call: StreamCall<Req, Res>) => void
      : H[K] extends grpc.handleServerStreamingCall<infer Req, infer Res>
        ? (call: ServerStreamCall<Req, Res>) => void
        : never;
};

/** The gRPC status an error becomes: etcd's code and message, or INTERNAL for the unexpected. */
export function toStatus(err: unknown): Partial<grpc.StatusObject> {
  const e = toEtcdError(err);
  if (e !== undefined) return { code: e.grpcCode, details: e.message };
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

/**
 * Registers etcd's KV, Watch, Lease, Cluster and Maintenance services on the gRPC server, on
 * top of an EtcdServer. Every response carries the header clients expect (cluster_id,
 * member_id, revision, raft_term).
 */
export function addEtcdServices(server: GrpcServer, opts: GrpcServicesOptions): void {
  const proto = loadGrpcObject().etcdserverpb;
  const { etcd, logger, metrics, tracing } = opts;

  function unary<Req, Res>(
    service: ServiceName,
    method: string,
    fn: (req: Req) => Promise<Res>,
  ): (call: UnaryCall<Req, Res>, callback: UnaryCallback<Res>) => void {
    const labels = {
      grpc_type: 'unary',
      grpc_service: `etcdserverpb.${service}`,
      grpc_method: method,
    };
    // Label children resolved once: per-request label hashing is measurable at 10k req/s.
    // Counted in plain numbers, folded into the counters when scraped (hotCount).
    const started = metrics && hotCount(metrics.grpcStarted, labels);
    const received = metrics && hotCount(metrics.grpcMsgReceived, labels);
    const sent = metrics && hotCount(metrics.grpcMsgSent, labels);
    const handledOk = metrics && hotCount(metrics.grpcHandled, { ...labels, grpc_code: 'OK' });
    const traced = tracing?.unary(
      `etcdserverpb.${service}`,
      method,
      fn,
      (err) => toStatus(err).code ?? grpc.status.UNKNOWN,
    );
    return (call, callback) => {
      started?.add();
      received?.add();
      (traced ? traced(call.request, call.metadata) : fn(call.request)).then(
        (res) => {
          handledOk?.add();
          sent?.add();
          callback(null, res);
        },
        (err: unknown) => {
          const st = toStatus(err);
          metrics?.grpcHandled.inc({ ...labels, grpc_code: grpc.status[st.code ?? 2] });
          if (st.code === grpc.status.INTERNAL) logger.error(err, 'Request failed', { method });
          callback(st);
        },
      );
    };
  }

  const withHeader = <T extends { header?: unknown }>(res: T, revision?: number): T => {
    const rev = (res.header as { revision?: number | string } | undefined)?.revision;
    return {
      ...res,
      header: etcd.header(revision ?? (rev !== undefined ? Number(rev) : undefined)),
    };
  };

  const kv: Handlers<KVHandlers> = {
    Range: unary('KV', 'Range', async (r) => withHeader(await etcd.range(r))),
    Put: unary('KV', 'Put', async (r) => withHeader(await etcd.put(r))),
    DeleteRange: unary('KV', 'DeleteRange', async (r) => withHeader(await etcd.deleteRange(r))),
    Txn: unary('KV', 'Txn', async (r) => withHeader(await etcd.txn(r))),
    Compact: unary('KV', 'Compact', async (r) => withHeader(await etcd.compact(r))),
  };
  server.addService(
    withHandWrittenTxn(withHandWrittenRange(withHandWrittenPut(proto.KV.service))),
    kv,
  );

  const lease: Handlers<LeaseHandlers> = {
    LeaseGrant: unary('Lease', 'LeaseGrant', async (r) => withHeader(await etcd.leaseGrant(r))),
    LeaseRevoke: unary('Lease', 'LeaseRevoke', async (r) => {
      await etcd.leaseRevoke(BigInt(r.ID));
      return { header: etcd.header() };
    }),
    LeaseTimeToLive: unary('Lease', 'LeaseTimeToLive', (r) =>
      etcd.leaseTimeToLive(BigInt(r.ID), r.keys),
    ),
    LeaseLeases: unary('Lease', 'LeaseLeases', async () => ({
      header: etcd.header(),
      leases: (await etcd.leaseLeases()).map((id) => ({ ID: id.toString() })),
    })),
    LeaseKeepAlive: (call) => {
      const labels = {
        grpc_type: 'bidi_stream',
        grpc_service: 'etcdserverpb.Lease',
        grpc_method: 'LeaseKeepAlive',
      };
      metrics?.grpcStarted.inc(labels);
      // Requests are answered in order; one renewal at a time per stream.
      let chain = Promise.resolve();
      let done = false;
      const finish = (st?: Partial<grpc.StatusObject>): void => {
        if (done) return;
        done = true;
        metrics?.grpcHandled.inc({ ...labels, grpc_code: grpc.status[st?.code ?? 0] });
        if (st) call.emit('error', st);
        else call.end();
      };
      call.on('data', (req: LeaseKeepAliveRequest__Output) => {
        metrics?.grpcMsgReceived.inc(labels);
        chain = chain.then(async () => {
          if (done) return;
          try {
            const id = BigInt(req.ID);
            const ttl = await etcd.leaseRenew(id);
            const resp: LeaseKeepAliveResponse = {
              header: etcd.header(),
              ID: id.toString(),
              TTL: ttl,
            };
            if (!done) {
              call.write(resp);
              metrics?.grpcMsgSent.inc(labels);
            }
          } catch (err) {
            finish(toStatus(err));
          }
        });
      });
      call.on('end', () => {
        void chain.then(() => finish());
      });
      call.on('error', () => {
        done = true;
      });
      call.on('cancelled', () => {
        done = true;
      });
    },
  };
  server.addService(proto.Lease.service, lease);

  const watch: Handlers<WatchHandlers> = {
    Watch: (call) => serveWatch(call, etcd, metrics),
  };
  server.addService(withPreEncodedResponses(proto.Watch.service), watch);

  const cluster: Handlers<ClusterHandlers> = {
    MemberList: unary('Cluster', 'MemberList', async (r) => {
      if (r.linearizable) await etcd.linearizableRead();
      return { header: etcd.header(), members: etcd.memberList() };
    }),
    MemberAdd: unary('Cluster', 'MemberAdd', async (r) => {
      const res = await etcd.memberAdd(r.peerURLs, r.isLearner);
      return { header: etcd.header(), ...res };
    }),
    MemberRemove: unary('Cluster', 'MemberRemove', async (r) => ({
      header: etcd.header(),
      members: await etcd.memberRemove(Number(r.ID)),
    })),
    MemberUpdate: unary('Cluster', 'MemberUpdate', async (r) => ({
      header: etcd.header(),
      members: await etcd.memberUpdate(Number(r.ID), r.peerURLs),
    })),
    MemberPromote: unary('Cluster', 'MemberPromote', async (r) => ({
      header: etcd.header(),
      members: await etcd.memberPromote(Number(r.ID)),
    })),
  };
  server.addService(proto.Cluster.service, cluster);

  const maintenance: Handlers<MaintenanceHandlers> = {
    Status: unary('Maintenance', 'Status', () => Promise.resolve(etcd.status())),
    Alarm: unary('Maintenance', 'Alarm', async (r) => withHeader(await etcd.alarm(r))),
    // The MVCC state lives in memory and the WAL is released by snapshots: there is nothing
    // to defragment. etcd answers after rewriting its db; we answer at once.
    Defragment: unary('Maintenance', 'Defragment', () =>
      Promise.resolve({ header: etcd.header() }),
    ),
    Hash: unary('Maintenance', 'Hash', async () => {
      // etcd hashes after a linearizable barrier too (it reads the committed db).
      await etcd.linearizableRead();
      return { header: etcd.header(), hash: etcd.hash() };
    }),
    HashKV: unary('Maintenance', 'HashKV', (r) => {
      const h = etcd.hashKV(Number(r.revision));
      return Promise.resolve({
        header: etcd.header(h.revision),
        hash: h.hash,
        compact_revision: h.compactRevision,
      });
    }),
    MoveLeader: unary('Maintenance', 'MoveLeader', async (r) => {
      const target = Number(r.targetID);
      if (!etcd.isLeader) throw ErrNotLeader();
      if (!etcd.sm.membership.has(target) || etcd.sm.membership.get(target)!.isLearner) {
        throw ErrBadLeaderTransferee();
      }
      etcd.raft.transferLeadership(target);
      const deadline = Date.now() + 5000;
      while (etcd.leader !== target) {
        if (Date.now() > deadline) throw ErrTimeout();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { header: etcd.header() };
    }),
    Snapshot: (call) => {
      const labels = {
        grpc_type: 'server_stream',
        grpc_service: 'etcdserverpb.Maintenance',
        grpc_method: 'Snapshot',
      };
      metrics?.grpcStarted.inc(labels);
      etcd.snapshotBlob().then(
        async (blob) => {
          for (let off = 0; off < blob.length; off += SNAPSHOT_CHUNK) {
            const chunk = blob.subarray(off, off + SNAPSHOT_CHUNK);
            const ok = call.write({
              header: etcd.header(),
              remaining_bytes: blob.length - off - chunk.length,
              blob: chunk,
            });
            metrics?.grpcMsgSent.inc(labels);
            if (!ok) await new Promise((resolve) => call.once('drain', resolve));
            if (call.cancelled) return;
          }
          metrics?.grpcHandled.inc({ ...labels, grpc_code: 'OK' });
          call.end();
        },
        (err: unknown) => {
          const st = toStatus(err);
          metrics?.grpcHandled.inc({ ...labels, grpc_code: grpc.status[st.code ?? 2] });
          call.emit('error', st);
        },
      );
    },
  };
  server.addService(proto.Maintenance.service, maintenance);
}

/** One Watch stream: create/cancel/progress requests in, ordered responses out. */
function serveWatch(
  call: StreamCall<WatchRequest__Output, WatchResponse>,
  etcd: EtcdServer,
  metrics: StoreMetrics | undefined,
): void {
  const labels = {
    grpc_type: 'bidi_stream',
    grpc_service: 'etcdserverpb.Watch',
    grpc_method: 'Watch',
  };
  metrics?.grpcStarted.inc(labels);
  // One message per watcher per commit: counted in plain numbers (hotCount).
  const sent = metrics && hotCount(metrics.grpcMsgSent, labels);
  const received = metrics && hotCount(metrics.grpcMsgReceived, labels);
  let closed = false;
  // Event responses: the body shared by every watcher of a commit, and a per-watcher head
  // written into this scratch buffer (copied out by the write).
  const head = Buffer.allocUnsafe(WATCH_HEAD_MAX);
  const parts = typeof call.writeFramedParts === 'function';
  const stream = etcd.watchHub.openStream({
    send: (msg) => {
      if (closed) return true;
      if (
        parts &&
        msg.events.length > 0 &&
        msg.created !== true &&
        msg.canceled !== true &&
        msg.compactRevision === undefined &&
        msg.cancelReason === undefined &&
        msg.watchId >= 0
      ) {
        const body = watchEventsBody(etcd.header(msg.revision), msg.events, msg.prevKv);
        sent?.add();
        return call.writeFramedParts(head, watchResponseHead(head, msg.watchId, body.length), body);
      }
      const bytes = encodeWatchResponse(
        {
          header: etcd.header(msg.revision),
          watch_id: msg.watchId,
          created: msg.created ?? false,
          canceled: msg.canceled ?? false,
          compact_revision: msg.compactRevision ?? 0,
          cancel_reason: msg.cancelReason ?? '',
        },
        msg.events,
        msg.prevKv,
        true,
      );
      sent?.add();
      // The service definition writes these framed bytes as they are (see watch-encoding.ts).
      return call.write(bytes as unknown as WatchResponse);
    },
  });
  etcd.progressStreams.add(stream);
  call.on('drain', () => stream.resume());
  call.on('data', (req: WatchRequest__Output) => {
    received?.add();
    switch (req.request_union) {
      case 'create_request': {
        const c = req.create_request!;
        // etcd: an empty key means "\0", the smallest key.
        const key = c.key.length === 0 ? Buffer.from([0]) : c.key;
        stream.watch({
          range: requestRange(key, c.range_end),
          startRevision: Number(c.start_revision),
          noPut: c.filters.includes('NOPUT'),
          noDelete: c.filters.includes('NODELETE'),
          prevKv: c.prev_kv,
          progressNotify: c.progress_notify,
          watchId: Number(c.watch_id),
        });
        break;
      }
      case 'cancel_request':
        stream.cancel(Number(req.cancel_request!.watch_id));
        break;
      case 'progress_request':
        stream.requestProgress();
        break;
      default:
        break;
    }
  });
  const close = (): void => {
    if (closed) return;
    closed = true;
    stream.close();
    etcd.progressStreams.delete(stream);
    metrics?.grpcHandled.inc({ ...labels, grpc_code: 'OK' });
  };
  call.on('end', () => {
    close();
    call.end();
  });
  call.on('error', close);
  call.on('cancelled', close);
  call.on('close', close);
}
