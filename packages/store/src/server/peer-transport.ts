import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@kubets/component-base';
import { EMPTY_BYTES, MessageType, encodeMessage, type Message } from '@kubets/raft';
import { ErrLeaseNotFound, ErrNoLeader, EtcdError } from '../apply/errors.js';
import { loadGrpcObject } from '../gen/etcd/load.js';
import type { LeaseTimeToLiveResponse__Output } from '../gen/etcd/types/etcdserverpb/LeaseTimeToLiveResponse.js';
import type { MembersResponse__Output } from '../gen/etcd/types/kubets/store/MembersResponse.js';
import type { RaftPeerClient } from '../gen/etcd/types/kubets/store/RaftPeer.js';
import { NO_CHANNELZ } from './listen.js';
import { withPeerBatchCodec, type PeerBatch } from './peer-batch.js';
import type { PeerFaults } from './peer-faults.js';
import type { StoreMetrics } from './metrics.js';

/** Raft messages sent in one envelope at most (a burst beyond waits for the next turn). */
const MAX_BATCH = 1024;
/** Messages queued for one peer before new ones are dropped (Raft resends what matters). */
const MAX_QUEUE = 4096;
const SNAPSHOT_CHUNK = 1024 * 1024;

export interface PeerTransportOptions {
  memberId: number;
  clusterId: () => bigint;
  logger: Logger;
  metrics?: StoreMetrics;
  credentials: () => grpc.ChannelCredentials;
  /** The state machine encoding of the snapshot at `index` (MsgSnap carries it). */
  snapshotData(index: number): Promise<Uint8Array>;
  reportUnreachable(id: number): void;
  reportSnapshot(id: number, ok: boolean): void;
  /** How often to measure the round trip to each peer (ms); 0 disables. */
  pingIntervalMs?: number;
  /** TEST ONLY: peers to drop traffic to (see peer-faults.ts). */
  faults?: PeerFaults;
}

let peerClientCtor:
  (new (...args: ConstructorParameters<typeof grpc.Client>) => RaftPeerClient) | undefined;

/** The RaftPeer client class, its Messages stream on the hand-written batch codec. */
function peerClient(): new (...args: ConstructorParameters<typeof grpc.Client>) => RaftPeerClient {
  peerClientCtor ??= grpc.makeGenericClientConstructor(
    withPeerBatchCodec(loadGrpcObject().kubets.store.RaftPeer.service),
    'RaftPeer',
  ) as unknown as new (...args: ConstructorParameters<typeof grpc.Client>) => RaftPeerClient;
  return peerClientCtor;
}

/** host:port of the first usable peer URL. */
export function peerAddress(urls: readonly string[]): string {
  for (const raw of urls) {
    try {
      const u = new URL(raw);
      if (u.port !== '') return `${u.hostname}:${u.port}`;
    } catch {
      // try the next one
    }
  }
  throw new Error(`no usable peer URL in ${JSON.stringify(urls)}`);
}

/**
 * One outgoing connection to a peer: a long-lived client stream of message batches. Messages
 * are queued and written in batches (one envelope per synchronous burst of sends); when the stream's buffer
 * is full the queue waits for 'drain'; when the peer is unreachable the queued messages are
 * dropped and Raft is told, so it probes the peer instead of streaming into the void. The
 * stream is re-opened on the next message after a back-off.
 */
class PeerConnection {
  readonly client: RaftPeerClient;
  private call: grpc.ClientWritableStream<PeerBatch> | undefined;
  private queue: Uint8Array[] = [];
  private scheduled = false;
  private draining = false;
  private retryAt = 0;
  private backoffMs = 50;
  private lastUnreachableReport = 0;
  private pinger: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly id: number,
    readonly address: string,
    private readonly opts: PeerTransportOptions,
  ) {
    const Ctor = peerClient();
    this.client = new Ctor(address, opts.credentials(), {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      // Raft resends what is lost; grpc-js's retry layer would only copy every message of this
      // long-lived stream into its replay buffer.
      'grpc.enable_retries': 0,
      // A peer that was down or slow to handshake must be retried within a heartbeat or two, as
      // etcd's rafthttp does; grpc-js's default reconnect backoff grows to 120 s.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      ...NO_CHANNELZ,
    });
    const every = opts.pingIntervalMs ?? 5000;
    if (every > 0 && opts.metrics !== undefined) {
      this.pinger = setInterval(() => this.ping(), every);
      this.pinger.unref();
    }
  }

  /** TEST ONLY: an injected partition cuts this peer off. */
  get partitioned(): boolean {
    return this.opts.faults?.blocked(this.id) ?? false;
  }

  enqueue(encoded: Uint8Array): void {
    if (this.closed) return;
    if (this.partitioned) {
      this.unreachable('partitioned (test fault injection)');
      return;
    }
    if (this.queue.length >= MAX_QUEUE) {
      this.unreachable('send queue full');
      return;
    }
    this.queue.push(encoded);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.draining) return;
    this.scheduled = true;
    // A microtask, not the next event-loop turn: the Raft loop hands over a whole Ready's
    // messages synchronously, so they still share one envelope, and the envelope leaves
    // without waiting behind the I/O callbacks of the next turn.
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.queue.length === 0 || this.draining) return;
    if (Date.now() < this.retryAt) {
      // Still backing off from a failure: drop rather than pile up stale messages.
      this.queue = [];
      this.unreachable('backing off');
      return;
    }
    const call = this.openCall();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      let bytes = 0;
      for (const b of batch) bytes += b.length;
      this.opts.metrics?.peerSentBytes.inc({ To: this.id.toString(16) }, bytes);
      const more = call.write({
        clusterId: this.opts.clusterId(),
        from: this.opts.memberId,
        to: this.id,
        messages: batch,
      });
      if (!more) {
        this.draining = true;
        call.once('drain', () => {
          this.draining = false;
          this.schedule();
        });
        return;
      }
    }
  }

  private openCall(): grpc.ClientWritableStream<PeerBatch> {
    if (this.call !== undefined) return this.call;
    const call = this.client.Messages((err) => {
      if (this.call === call) this.call = undefined;
      this.draining = false;
      if (err && !this.closed) {
        this.retryAt = Date.now() + this.backoffMs;
        this.backoffMs = Math.min(this.backoffMs * 2, 1000);
        this.opts.metrics?.peerSentFailures.inc({ To: this.id.toString(16) });
        this.opts.logger
          .v(2)
          .info('Peer stream failed', { peer: this.id.toString(16), err: err.message });
        this.unreachable(err.message);
      }
      if (this.queue.length > 0) this.schedule();
    });
    call.on('metadata', () => {
      this.backoffMs = 50;
    });
    // The service definition above serializes PeerBatch objects on this stream.
    this.call = call;
    return call;
  }

  private unreachable(_why: string): void {
    const now = Date.now();
    // Raft only needs to hear it now and then; reporting on every message would thrash.
    if (now - this.lastUnreachableReport < 100) return;
    this.lastUnreachableReport = now;
    this.opts.reportUnreachable(this.id);
  }

  /** Streams a MsgSnap with the state machine in chunks on its own call. */
  async sendSnapshot(m: Message): Promise<void> {
    const snap = m.snapshot!;
    let ok = false;
    try {
      if (this.partitioned) throw new Error('partitioned (test fault injection)');
      const data = await this.opts.snapshotData(snap.metadata.index);
      const header = encodeMessage({
        ...m,
        snapshot: { metadata: snap.metadata, data: EMPTY_BYTES },
      });
      await new Promise<void>((resolve, reject) => {
        const call = this.client.Snapshot((err) => (err ? reject(err) : resolve()));
        const write = async (): Promise<void> => {
          const base = {
            cluster_ID: this.opts.clusterId().toString(),
            from: this.opts.memberId,
            to: this.id,
          };
          call.write({ ...base, message: header, total_bytes: data.length });
          for (let off = 0; off < data.length; off += SNAPSHOT_CHUNK) {
            const more = call.write({ ...base, data: data.subarray(off, off + SNAPSHOT_CHUNK) });
            if (!more) await new Promise((r) => call.once('drain', r));
          }
          call.end();
        };
        write().catch(reject);
      });
      ok = true;
      this.opts.logger.info('Sent snapshot to peer', {
        peer: this.id.toString(16),
        index: snap.metadata.index,
        bytes: data.length,
      });
    } catch (err) {
      this.opts.logger.warn('Sending a snapshot to a peer failed', {
        peer: this.id.toString(16),
        err: String(err),
      });
    }
    this.opts.reportSnapshot(this.id, ok);
  }

  private ping(): void {
    const started = performance.now();
    this.client.Ping(
      { cluster_ID: this.opts.clusterId().toString(), from: this.opts.memberId },
      { deadline: Date.now() + 2000 },
      (err) => {
        if (!err) {
          this.opts.metrics?.peerRoundTrip.observe(
            { To: this.id.toString(16) },
            (performance.now() - started) / 1000,
          );
        }
      },
    );
  }

  close(): void {
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    this.call?.end();
    this.call = undefined;
    this.client.close();
  }
}

/**
 * The gRPC peer transport: one PeerConnection per other member, created and closed as the
 * membership changes. Also forwards leader-local lease calls.
 */
export class GrpcPeerTransport {
  private readonly peers = new Map<number, PeerConnection>();

  constructor(private readonly opts: PeerTransportOptions) {}

  setPeers(peers: ReadonlyMap<number, readonly string[]>): void {
    for (const [id, conn] of this.peers) {
      const urls = peers.get(id);
      if (urls === undefined || peerAddress(urls) !== conn.address) {
        conn.close();
        this.peers.delete(id);
      }
    }
    for (const [id, urls] of peers) {
      if (id === this.opts.memberId || this.peers.has(id)) continue;
      try {
        this.peers.set(id, new PeerConnection(id, peerAddress(urls), this.opts));
      } catch (err) {
        this.opts.logger.warn('Cannot reach a member: bad peer URLs', {
          peer: id.toString(16),
          err: String(err),
        });
      }
    }
  }

  send(messages: readonly Message[]): void {
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (peer === undefined) {
        this.opts.reportUnreachable(m.to);
        continue;
      }
      if (m.type === MessageType.MsgSnap && m.snapshot !== null) void peer.sendSnapshot(m);
      else peer.enqueue(encodeMessage(m));
    }
  }

  /** LeaseKeepAlive on a follower: the leader renews. */
  leaseRenew(leader: number, id: bigint): Promise<number> {
    const peer = this.peers.get(leader);
    if (peer === undefined || peer.partitioned) return Promise.reject(ErrNoLeader());
    return new Promise((resolve, reject) => {
      peer.client.LeaseRenew(
        { cluster_ID: this.opts.clusterId().toString(), ID: id.toString() },
        { deadline: Date.now() + 5000 },
        (err, res) => (err || !res ? reject(fromPeerError(err)) : resolve(Number(res.TTL))),
      );
    });
  }

  leaseTimeToLive(
    leader: number,
    id: bigint,
    keys: boolean,
  ): Promise<LeaseTimeToLiveResponse__Output> {
    const peer = this.peers.get(leader);
    if (peer === undefined || peer.partitioned) return Promise.reject(ErrNoLeader());
    return new Promise((resolve, reject) => {
      peer.client.LeaseTimeToLive(
        { ID: id.toString(), keys },
        { deadline: Date.now() + 5000 },
        (err, res) => (err || !res ? reject(fromPeerError(err)) : resolve(res)),
      );
    });
  }

  stop(): Promise<void> {
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    return Promise.resolve();
  }
}

/** A forwarded call's failure, as the etcd error the client should see. */
function fromPeerError(err: grpc.ServiceError | null): Error {
  if (err === null) return new Error('empty response from peer');
  if (err.code === grpc.status.NOT_FOUND) return ErrLeaseNotFound();
  if (err.details.startsWith('etcdserver:')) return new EtcdError(err.code, err.details);
  return ErrNoLeader();
}

/** Asks the members at `peerURLs` for the cluster's membership (a member joining a running cluster). */
export async function fetchClusterMembers(
  peerURLs: readonly string[],
  credentials: grpc.ChannelCredentials,
): Promise<MembersResponse__Output> {
  const Ctor = loadGrpcObject().kubets.store.RaftPeer;
  const errors: string[] = [];
  for (const url of peerURLs) {
    const client = new Ctor(peerAddress([url]), credentials);
    try {
      return await new Promise<MembersResponse__Output>((resolve, reject) =>
        client.Members({}, { deadline: Date.now() + 3000 }, (err, res) =>
          err || !res ? reject(err ?? new Error('empty response')) : resolve(res),
        ),
      );
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
    } finally {
      client.close();
    }
  }
  throw new Error(`could not reach any member of the cluster (${errors.join('; ')})`);
}
