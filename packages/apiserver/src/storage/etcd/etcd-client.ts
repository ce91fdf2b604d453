/**
 * A small etcd v3 client over the generated gRPC code (proto/etcd): KV, Watch, Lease and
 * Maintenance, with several endpoints and failover. It works the same against real etcd and
 * kubets-store, which speak the same protocol. Unary calls go over component-base's JavaScript
 * HTTP/2 client (unary.ts: grpc-js's per-call layers and node:http2's per-stream objects cost
 * more than the exchange); the watch stream uses grpc-js. Range, Txn and watch answers are
 * decoded by hand (response-codec.ts).
 *
 * Failover: one connection per endpoint (each reconnects by itself); a call that fails
 * with UNAVAILABLE moves to the next endpoint and is retried — always for reads, and for writes
 * only when the request provably never left (see isSafeToRetryWrite), like etcd's clientv3.
 */
import {
  Metadata,
  credentials,
  makeGenericClientConstructor,
  type ChannelCredentials,
  type ClientOptions,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { packageDefinition } from '../../gen/etcd/load.js';
import type { WatchClient } from '../../gen/etcd/types/etcdserverpb/Watch.js';
import type { RangeRequest } from '../../gen/etcd/types/etcdserverpb/RangeRequest.js';
import type { RangeResponse__Output } from '../../gen/etcd/types/etcdserverpb/RangeResponse.js';
import type { PutRequest } from '../../gen/etcd/types/etcdserverpb/PutRequest.js';
import type { PutResponse__Output } from '../../gen/etcd/types/etcdserverpb/PutResponse.js';
import type { DeleteRangeRequest } from '../../gen/etcd/types/etcdserverpb/DeleteRangeRequest.js';
import type { DeleteRangeResponse__Output } from '../../gen/etcd/types/etcdserverpb/DeleteRangeResponse.js';
import type { TxnRequest } from '../../gen/etcd/types/etcdserverpb/TxnRequest.js';
import type { TxnResponse__Output } from '../../gen/etcd/types/etcdserverpb/TxnResponse.js';
import type { CompactionResponse__Output } from '../../gen/etcd/types/etcdserverpb/CompactionResponse.js';
import type { LeaseGrantResponse__Output } from '../../gen/etcd/types/etcdserverpb/LeaseGrantResponse.js';
import type { LeaseRevokeResponse__Output } from '../../gen/etcd/types/etcdserverpb/LeaseRevokeResponse.js';
import type { StatusResponse__Output } from '../../gen/etcd/types/etcdserverpb/StatusResponse.js';
import { parseEtcdServers, type EtcdEndpoint } from './endpoints.js';
import { isSafeToRetryWrite, isUnavailable } from './errors.js';
import { UnaryTransport, type UnaryMethod } from './unary.js';
import { WatchMux } from './watch-mux.js';
import { encodeTxnRequestFramed } from './txn-codec.js';
import { decodeRangeResponse, decodeTxnResponse, decodeWatchResponse } from './response-codec.js';

export interface EtcdTLSOptions {
  /** PEM CA bundle used to verify the etcd servers (`--etcd-cafile`). */
  ca?: Buffer;
  /** PEM client certificate and key (`--etcd-certfile`, `--etcd-keyfile`). */
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdClientOptions {
  /** `--etcd-servers`: URLs such as `http://127.0.0.1:2379`. */
  endpoints: readonly string[] | string;
  tls?: EtcdTLSOptions;
  /** Deadline of each unary request; default 15 s. */
  requestTimeoutMs?: number;
  /** Pause between failover attempts; default 100 ms (doubling up to 2 s). */
  retryBackoffMs?: number;
  /** Client spans and `traceparent` for calls made inside a traced request. */
  tracing?: EtcdCallTracing;
}

/** What the client needs from request tracing (src/request/tracing.ts). */
export interface EtcdCallTracing {
  etcdCall<T>(operation: string, req: unknown, fn: () => Promise<T>): Promise<T>;
  inject(metadata: Metadata): Metadata;
}

interface Member {
  endpoint: EtcdEndpoint;
  /** KV, Lease and Maintenance calls (JavaScript HTTP/2 client, see unary.ts). */
  unary: UnaryTransport;
  /** The watch stream (grpc-js, its own connection). */
  watch: WatchClient;
}

/** A method of the generated package definition, e.g. `method('KV', 'Txn')`. */
function method<Req, Res>(service: string, name: string): UnaryMethod<Req, Res> {
  const def = (packageDefinition[`etcdserverpb.${service}`] as Record<string, unknown>)[name];
  if (!def) throw new Error(`etcdserverpb.${service}/${name} is not in the etcd protos`);
  return def as UnaryMethod<Req, Res>;
}

// Reads, writes and watch messages are decoded by hand (response-codec.ts): same output,
// without protobufjs's Long objects per int64.
const RANGE: UnaryMethod<RangeRequest, RangeResponse__Output> = {
  ...method<RangeRequest, RangeResponse__Output>('KV', 'Range'),
  responseDeserialize: decodeRangeResponse,
};
const PUT = method<PutRequest, PutResponse__Output>('KV', 'Put');
const DELETE_RANGE = method<DeleteRangeRequest, DeleteRangeResponse__Output>('KV', 'DeleteRange');
// Every write is a Txn: its request is encoded by hand (same bytes, one pass, txn-codec.ts).
const TXN: UnaryMethod<TxnRequest, TxnResponse__Output> = {
  ...method<TxnRequest, TxnResponse__Output>('KV', 'Txn'),
  requestFrame: encodeTxnRequestFramed,
  responseDeserialize: decodeTxnResponse,
};

type WatchClientConstructor = new (
  target: string,
  creds: ChannelCredentials,
  options: ClientOptions,
) => WatchClient;

/** The Watch service's grpc-js client, its messages decoded by hand. */
const WatchClientConstructor = makeGenericClientConstructor(
  {
    Watch: {
      ...(packageDefinition['etcdserverpb.Watch'] as ServiceDefinition).Watch!,
      responseDeserialize: decodeWatchResponse,
    },
  },
  'etcdserverpb.Watch',
) as unknown as WatchClientConstructor;
const COMPACT = method<object, CompactionResponse__Output>('KV', 'Compact');
const LEASE_GRANT = method<object, LeaseGrantResponse__Output>('Lease', 'LeaseGrant');
const LEASE_REVOKE = method<object, LeaseRevokeResponse__Output>('Lease', 'LeaseRevoke');
const STATUS = method<object, StatusResponse__Output>('Maintenance', 'Status');

const CHANNEL_OPTIONS: ClientOptions = {
  // kube-apiserver raises the receive limit: a full list of a large resource easily passes 4 MiB.
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // Same keepalive as kube-apiserver's etcd client (30 s / 10 s): notice dead members quickly.
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // HTTP/2 receive window: grpc-js's default 64 KiB lets etcd send only ~30 pods of watch
  // events per window update, so under load the watch cache fell seconds behind etcd. Go's
  // gRPC (kube-apiserver's client) grows its window up to 16 MiB; this fixes it there.
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

export class EtcdClient {
  private readonly members: Member[];
  private active = 0;
  private readonly requestTimeoutMs: number;
  private readonly retryBackoffMs: number;
  private closed = false;
  private readonly tracing: EtcdCallTracing | undefined;
  /** Multiplexes every watch of this client over one gRPC stream. */
  readonly watches: WatchMux;

  constructor(options: EtcdClientOptions) {
    const { endpoints, secure } = parseEtcdServers(options.endpoints);
    const creds: ChannelCredentials = secure
      ? credentials.createSsl(
          options.tls?.ca ?? null,
          options.tls?.key ?? null,
          options.tls?.cert ?? null,
        )
      : credentials.createInsecure();
    if (!secure && (options.tls?.cert || options.tls?.ca)) {
      throw new Error('etcd TLS files were given but --etcd-servers uses http://; use https://');
    }
    // Two HTTP/2 connections per member: unary calls, and the watch stream.
    this.members = endpoints.map((endpoint) => ({
      endpoint,
      unary: new UnaryTransport({
        target: endpoint.target,
        secure,
        ...(options.tls ? { tls: options.tls } : {}),
      }),
      watch: new WatchClientConstructor(endpoint.target, creds, CHANNEL_OPTIONS),
    }));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.tracing = options.tracing;
    this.watches = new WatchMux({
      openStream: () => {
        const member = this.members[this.active]!;
        return { stream: member.watch.Watch(), endpoint: member.endpoint.url };
      },
      onStreamFailed: () => this.rotate(),
      retryBackoffMs: this.retryBackoffMs,
    });
  }

  /** The endpoint requests currently go to (for logs). */
  get currentEndpoint(): string {
    return this.members[this.active]!.endpoint.url;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint.url);
  }

  range(req: RangeRequest): Promise<RangeResponse__Output> {
    return this.call('range', false, RANGE, req);
  }

  put(req: PutRequest): Promise<PutResponse__Output> {
    return this.call('put', true, PUT, req);
  }

  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse__Output> {
    return this.call('deleteRange', true, DELETE_RANGE, req);
  }

  txn(req: TxnRequest): Promise<TxnResponse__Output> {
    return this.call('txn', true, TXN, req);
  }

  compact(revision: bigint, physical = false): Promise<CompactionResponse__Output> {
    return this.call('compact', true, COMPACT, { revision: revision.toString(), physical });
  }

  leaseGrant(ttlSeconds: number): Promise<LeaseGrantResponse__Output> {
    return this.call('leaseGrant', true, LEASE_GRANT, { TTL: String(ttlSeconds), ID: '0' });
  }

  leaseRevoke(id: string): Promise<LeaseRevokeResponse__Output> {
    return this.call('leaseRevoke', true, LEASE_REVOKE, { ID: id });
  }

  /** Maintenance.Status of the member requests go to (health checks). */
  status(): Promise<StatusResponse__Output> {
    return this.call('status', false, STATUS, {});
  }

  /** Closes every connection; pending watches end with an error. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watches.close();
    for (const m of this.members) {
      m.watch.close();
      m.unary.close();
    }
  }

  private rotate(): void {
    this.active = (this.active + 1) % this.members.length;
  }

  private call<Req, Res>(
    name: string,
    mutating: boolean,
    method: UnaryMethod<Req, Res>,
    req: Req,
  ): Promise<Res> {
    return this.tracing === undefined
      ? this.send(name, mutating, method, req)
      : this.tracing.etcdCall(name, req, () => this.send(name, mutating, method, req));
  }

  private async send<Req, Res>(
    name: string,
    mutating: boolean,
    method: UnaryMethod<Req, Res>,
    req: Req,
  ): Promise<Res> {
    if (this.closed) throw new Error(`etcd client is closed (${name})`);
    // Each member gets two chances: a member may be restarting.
    const attempts = Math.max(2, this.members.length * 2);
    let backoff = this.retryBackoffMs;
    for (let attempt = 1; ; attempt++) {
      const member = this.members[this.active]!;
      try {
        return await member.unary.call(
          method,
          req,
          Date.now() + this.requestTimeoutMs,
          // The store continues the request's trace from this header (`traceparent`).
          this.tracing === undefined
            ? undefined
            : this.tracing.inject(new Metadata()).toHttp2Headers(),
        );
      } catch (err) {
        const retryable = mutating ? isSafeToRetryWrite(err) : isUnavailable(err);
        if (!retryable || attempt >= attempts || this.closed) throw err;
        if (this.members.length > 1) this.rotate();
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }
}
