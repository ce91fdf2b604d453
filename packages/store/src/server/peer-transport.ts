import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { hotCount, type HotCount, type Logger } from '@kubets/component-base';
import { EMPTY_BYTES, MessageType, encodeMessage, type Message } from '@kubets/raft';
import { ErrLeaseNotFound, ErrNoLeader, EtcdError } from '../apply/errors.js';
import type { LeaseTimeToLiveResponse__Output } from '../gen/etcd/types/etcdserverpb/LeaseTimeToLiveResponse.js';
import type { Member__Output } from '../gen/etcd/types/etcdserverpb/Member.js';
import type { MembersResponse__Output } from '../gen/etcd/types/kubets/store/MembersResponse.js';
import type { StoreMetrics } from './metrics.js';
import { encodeFrames } from './peer-frames.js';
import type { PeerFaults } from './peer-faults.js';
import {
  PEER_CONNECTION_WINDOW,
  PEER_HTTP2_SETTINGS,
  PEER_MAX_SESSION_MEMORY_MB,
  PeerHeader,
  PeerPath,
  formatId,
  leaseTimeToLiveCodec,
  rawStreamHandshake,
  memberPromoteCodec,
  membersCodec,
  type PeerTls,
} from './peer-wire.js';

/** Messages queued for one peer while its stream is congested; more are dropped (Raft resends). */
const MAX_QUEUE = 4096;
/** Snapshot data is written in chunks of this size, each after the previous one drained. */
export const SNAPSHOT_CHUNK = 1024 * 1024;
/** Reconnect back-off: from 50 ms, doubling, at most 1 s (a heartbeat or two, as rafthttp). */
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1000;
/** A forwarded call or a ping without an answer within this long fails. */
const CALL_TIMEOUT_MS = 5000;

const { HTTP2_HEADER_PATH, HTTP2_HEADER_METHOD, HTTP2_HEADER_STATUS } = http2.constants;

export interface PeerTransportOptions {
  memberId: number;
  clusterId: () => bigint;
  logger: Logger;
  metrics?: StoreMetrics;
  /** Peer TLS (--peer-* files); undefined: plaintext. */
  tls?: PeerTls;
  /** The state machine encoding of the snapshot at `index` (MsgSnap carries it). */
  snapshotData(index: number): Promise<Uint8Array>;
  reportUnreachable(id: number): void;
  reportSnapshot(id: number, ok: boolean): void;
  /** How often to measure the round trip to each peer (ms); 0 disables. */
  pingIntervalMs?: number;
  /** TEST ONLY: peers to drop traffic to (see peer-faults.ts). */
  faults?: PeerFaults;
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

/** Opens an HTTP/2 session to a peer (TLS when configured), with the peer protocol's windows. */
function connect(address: string, tls: PeerTls | undefined): http2.ClientHttp2Session {
  const base = {
    settings: PEER_HTTP2_SETTINGS,
    maxSessionMemory: PEER_MAX_SESSION_MEMORY_MB,
  };
  const session =
    tls === undefined
      ? http2.connect(`http://${address}`, base)
      : http2.connect(`https://${address}`, {
          ...base,
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
        });
  session.once('connect', () => session.setLocalWindowSize(PEER_CONNECTION_WINDOW));
  // Errors surface on the streams; an unhandled 'error' event would end the process.
  session.on('error', () => undefined);
  return session;
}

interface CallResult {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** One request on `session`, its whole answer read, failing after `timeoutMs`. */
function call(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body: Uint8Array | string | undefined,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    let req: http2.ClientHttp2Stream;
    try {
      req = session.request(headers, { endStream: body === undefined });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const timer = setTimeout(() => {
      req.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`peer request ${String(headers[HTTP2_HEADER_PATH])} timed out`));
    }, timeoutMs);
    let response: http2.IncomingHttpHeaders = {};
    const parts: Buffer[] = [];
    req.on('response', (h) => (response = h));
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      clearTimeout(timer);
      resolve({
        status: Number(response[HTTP2_HEADER_STATUS] ?? 0),
        headers: response,
        body: Buffer.concat(parts),
      });
    });
    req.on('error', (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body !== undefined) req.end(body);
  });
}

/** A peer's error answer, as the error a client should see. */
function callError(r: CallResult): Error {
  const code = Number(r.headers[PeerHeader.errorCode] ?? GrpcStatus.UNAVAILABLE);
  const message = r.body.toString('utf8');
  if (message.startsWith('etcdserver:')) return new EtcdError(code, message);
  if (code === Number(GrpcStatus.NOT_FOUND)) return ErrLeaseNotFound();
  return ErrNoLeader();
}

/**
 * One peer: an HTTP/2 session (opened on demand, re-opened after a back-off when it fails) for
 * snapshots, forwarded calls and pings, and the long-lived stream of this member's Raft messages
 * to the peer on a TCP or TLS connection of its own (decision 0023: a raw write costs about half
 * of an HTTP/2 stream write per message on each side). The messages of one `send` (one Ready's)
 * are framed into one write per peer, written before `send` returns. While
 * the stream is congested (write() returned false) messages wait for 'drain', up to MAX_QUEUE;
 * beyond that, or while the peer is unreachable, they are dropped and Raft is told, so it
 * probes the peer instead of streaming into the void (Raft resends what it needs).
 */
class PeerConnection {
  private session: http2.ClientHttp2Session | undefined;
  private stream: net.Socket | undefined;
  private queue: Uint8Array[] = [];
  private draining = false;
  private retryAt = 0;
  private backoffMs = BACKOFF_MIN_MS;
  private lastUnreachableReport = 0;
  private pinger: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly sent: HotCount | undefined;
  private readonly label: string;

  constructor(
    readonly id: number,
    readonly address: string,
    private readonly opts: PeerTransportOptions,
  ) {
    this.label = formatId(id);
    this.sent =
      opts.metrics === undefined
        ? undefined
        : hotCount(opts.metrics.peerSentBytes, { To: this.label });
    const every = opts.pingIntervalMs ?? 5000;
    if (every > 0) {
      this.pinger = setInterval(() => this.ping(), every);
      this.pinger.unref();
    }
  }

  /** TEST ONLY: an injected partition cuts this peer off. */
  get partitioned(): boolean {
    return this.opts.faults?.blocked(this.id) ?? false;
  }

  /**
   * Queues an encoded message; the caller flushes (`flushQueued`) once it handed over the
   * rest of its burst, so one Ready's messages to this peer share one write.
   */
  enqueue(encoded: Uint8Array): void {
    if (this.closed) return;
    if (this.partitioned) {
      this.unreachable();
      return;
    }
    if (this.queue.length >= MAX_QUEUE) {
      this.unreachable();
      return;
    }
    this.queue.push(encoded);
  }

  /**
   * Writes what was queued, at once: a Ready's messages are the next hop of a request (a
   * leader's appends, a follower's acknowledgement), so they leave before this member goes on
   * with the rest of the Ready (the WAL record's encoding, the apply), not at the next
   * microtask checkpoint after it. While the stream is congested, 'drain' flushes instead.
   */
  flushQueued(): void {
    if (this.queue.length > 0 && !this.draining) this.flush();
  }

  private flush(): void {
    if (this.closed || this.queue.length === 0 || this.draining) return;
    if (Date.now() < this.retryAt) {
      // Still backing off from a failure: drop rather than pile up stale messages.
      this.queue = [];
      this.unreachable();
      return;
    }
    const stream = this.messageStream();
    if (stream === undefined) {
      this.queue = [];
      this.unreachable();
      return;
    }
    const frames = encodeFrames(this.queue);
    this.queue = [];
    this.sent?.add(frames.length);
    if (!stream.write(frames)) {
      this.draining = true;
      stream.once('drain', this.onDrain);
    }
  }

  private readonly onDrain = (): void => {
    this.draining = false;
    this.flush();
  };

  /** The session, opened if needed; undefined when connecting fails at once. */
  private getSession(): http2.ClientHttp2Session | undefined {
    if (this.session !== undefined && !this.session.closed && !this.session.destroyed)
      return this.session;
    let session: http2.ClientHttp2Session;
    try {
      session = connect(this.address, this.opts.tls);
    } catch (err) {
      this.failed(err as Error);
      return undefined;
    }
    session.once('close', () => {
      if (this.session === session) this.session = undefined;
    });
    session.once('error', (err: Error) => this.failed(err));
    session.once('connect', () => {
      this.backoffMs = BACKOFF_MIN_MS;
    });
    this.session = session;
    return session;
  }

  /**
   * The message stream, opened if need be on a TCP (or TLS) connection of its own
   * (peer-wire.ts). A TLS client offers no ALPN protocol: the peer port's HTTP/2 server hands
   * such a connection over.
   */
  private messageStream(): net.Socket | undefined {
    if (this.stream !== undefined) return this.stream;
    const colon = this.address.lastIndexOf(':');
    const host = this.address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(this.address.slice(colon + 1));
    const t = this.opts.tls;
    let socket: net.Socket;
    try {
      socket =
        t === undefined
          ? net.connect({ host, port, noDelay: true })
          : tls.connect({
              host,
              port,
              ...(net.isIP(host) === 0 ? { servername: host } : {}),
              cert: t.cert,
              key: t.key,
              ...(t.ca !== undefined ? { ca: t.ca } : {}),
            });
    } catch (err) {
      this.failed(err as Error);
      return undefined;
    }
    socket.setNoDelay(true);
    // Buffered by the socket until it connects; the frames follow it.
    socket.write(rawStreamHandshake(this.opts.clusterId(), this.opts.memberId, this.id));
    // The receiver writes only to refuse: one line, then it closes.
    const parts: Buffer[] = [];
    socket.on('data', (c: Buffer) => {
      if (parts.length < 8) parts.push(c);
    });
    socket.once('end', () => {
      if (parts.length === 0) return;
      const line = Buffer.concat(parts).toString('utf8').trim();
      const sp = line.indexOf(' ');
      this.opts.logger.warn('A peer refused the message stream', {
        peer: this.label,
        status: Number(line.slice(0, sp)),
        reason: line.slice(sp + 1),
      });
    });
    socket.on('error', (err: Error) => this.failed(err));
    socket.once('close', () => {
      if (this.stream === socket) {
        this.stream = undefined;
        this.draining = false;
        if (!this.closed) this.failed(new Error('peer closed the message stream'));
      }
    });
    this.stream = socket;
    // The HTTP/2 session still measures the round trip (PING), which also notices a peer
    // that stopped answering, and carries snapshots and forwarded calls.
    this.getSession();
    return socket;
  }

  /** The session or stream failed: back off, count it, tell Raft. */
  private failed(err: Error): void {
    if (this.closed) return;
    const now = Date.now();
    if (now >= this.retryAt) {
      this.retryAt = now + this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
      this.opts.metrics?.peerSentFailures.inc({ To: this.label });
      this.opts.logger.v(2).info('Peer stream failed', { peer: this.label, err: err.message });
    }
    const stream = this.stream;
    this.stream = undefined;
    this.draining = false;
    stream?.destroy();
    this.unreachable();
  }

  private unreachable(): void {
    const now = Date.now();
    // Raft only needs to hear it now and then; reporting on every message would thrash.
    if (now - this.lastUnreachableReport < 100) return;
    this.lastUnreachableReport = now;
    this.opts.reportUnreachable(this.id);
  }

  /**
   * A forwarded call to this peer (a leader-local operation). Uses the same session; fails at
   * once while backing off from a failure.
   */
  async request(
    path: string,
    body: Uint8Array | string | undefined,
    method: 'GET' | 'POST' = 'POST',
  ): Promise<Buffer> {
    if (this.partitioned) throw ErrNoLeader();
    const session = this.getSession();
    if (session === undefined) throw ErrNoLeader();
    const r = await call(
      session,
      {
        [HTTP2_HEADER_METHOD]: method,
        [HTTP2_HEADER_PATH]: path,
        [PeerHeader.clusterId]: formatId(this.opts.clusterId()),
        [PeerHeader.from]: formatId(this.opts.memberId),
      },
      body,
    ).catch(() => {
      throw ErrNoLeader();
    });
    if (r.status !== 200) throw callError(r);
    return r.body;
  }

  /**
   * Streams a MsgSnap on a request of its own, the data in chunks that each wait for the
   * previous one to drain, so the message stream (a separate HTTP/2 stream) keeps flowing.
   */
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
      const session = this.getSession();
      if (session === undefined) throw new Error('peer unreachable');
      const req = session.request({
        [HTTP2_HEADER_METHOD]: 'POST',
        [HTTP2_HEADER_PATH]: PeerPath.snapshot,
        [PeerHeader.clusterId]: formatId(this.opts.clusterId()),
        [PeerHeader.from]: formatId(this.opts.memberId),
        [PeerHeader.to]: this.label,
        [PeerHeader.snapshotMessage]: Buffer.from(header).toString('base64'),
        [PeerHeader.snapshotBytes]: String(data.length),
      });
      const answer = new Promise<void>((resolve, reject) => {
        let status = 0;
        const parts: Buffer[] = [];
        req.on('response', (h) => (status = Number(h[HTTP2_HEADER_STATUS])));
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () =>
          status === 200
            ? resolve()
            : reject(new Error(`status ${status}: ${Buffer.concat(parts).toString('utf8')}`)),
        );
        req.on('error', reject);
        req.on('close', () => reject(new Error('snapshot stream closed')));
      });
      answer.catch(() => undefined);
      for (let off = 0; off < data.length; off += SNAPSHOT_CHUNK) {
        if (req.destroyed) break;
        const more = req.write(data.subarray(off, off + SNAPSHOT_CHUNK));
        this.sent?.add(Math.min(SNAPSHOT_CHUNK, data.length - off));
        if (!more) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              req.off('drain', done);
              req.off('close', done);
              resolve();
            };
            req.once('drain', done);
            req.once('close', done);
          });
        }
      }
      req.end();
      await answer;
      ok = true;
      this.opts.logger.info('Sent snapshot to peer', {
        peer: this.label,
        index: snap.metadata.index,
        bytes: data.length,
      });
    } catch (err) {
      this.opts.logger.warn('Sending a snapshot to a peer failed', {
        peer: this.label,
        err: String(err),
      });
    }
    this.opts.reportSnapshot(this.id, ok);
  }

  /**
   * Measures the round trip with an HTTP/2 PING (etcd_network_peer_round_trip_time_seconds)
   * and closes a session whose peer stopped answering, so the next message reconnects.
   */
  private ping(): void {
    const session = this.session;
    if (session === undefined || session.connecting || session.closed || session.destroyed) return;
    const timer = setTimeout(() => {
      if (this.session === session) this.failed(new Error('ping timed out'));
      session.destroy();
    }, CALL_TIMEOUT_MS);
    timer.unref();
    session.ping((err, duration) => {
      clearTimeout(timer);
      if (err === null)
        this.opts.metrics?.peerRoundTrip.observe({ To: this.label }, duration / 1000);
    });
  }

  close(): void {
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    this.stream?.destroy();
    this.stream = undefined;
    this.session?.close();
    this.session = undefined;
  }
}

/**
 * The peer transport over HTTP/2 (peer-wire.ts): one PeerConnection per other member, created
 * and closed as the membership changes. Also forwards leader-local calls.
 */
export class Http2PeerTransport {
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
    // All of this call's messages are queued: each peer's go out in one write.
    for (const peer of this.peers.values()) peer.flushQueued();
  }

  private peer(id: number): PeerConnection {
    const peer = this.peers.get(id);
    if (peer === undefined) throw ErrNoLeader();
    return peer;
  }

  /** LeaseKeepAlive on a follower: the leader renews. */
  async leaseRenew(leader: number, id: bigint): Promise<number> {
    const body = await this.peer(leader).request(PeerPath.leaseRenew, id.toString());
    return Number((JSON.parse(body.toString('utf8')) as { TTL: number }).TTL);
  }

  async leaseTimeToLive(
    leader: number,
    id: bigint,
    keys: boolean,
  ): Promise<LeaseTimeToLiveResponse__Output> {
    const body = await this.peer(leader).request(
      PeerPath.leaseTimeToLive,
      JSON.stringify({ ID: id.toString(), keys }),
    );
    return leaseTimeToLiveCodec.decode(body);
  }

  /** MemberPromote on a follower: only the leader knows whether the learner caught up. */
  async memberPromote(leader: number, id: number): Promise<Member__Output[]> {
    const body = await this.peer(leader).request(PeerPath.memberPromote, String(id));
    return memberPromoteCodec.decode(body).members;
  }

  stop(): Promise<void> {
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    return Promise.resolve();
  }
}

/** Asks the members at `peerURLs` for the cluster's membership (a member joining a running cluster). */
export async function fetchClusterMembers(
  peerURLs: readonly string[],
  tls: PeerTls | undefined,
): Promise<MembersResponse__Output> {
  const errors: string[] = [];
  for (const url of peerURLs) {
    let session: http2.ClientHttp2Session | undefined;
    try {
      session = connect(peerAddress([url]), tls);
      const r = await call(
        session,
        { [HTTP2_HEADER_METHOD]: 'GET', [HTTP2_HEADER_PATH]: PeerPath.members },
        undefined,
        3000,
      );
      if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body.toString('utf8')}`);
      return membersCodec.decode(r.body);
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
    } finally {
      session?.destroy();
    }
  }
  throw new Error(`could not reach any member of the cluster (${errors.join('; ')})`);
}
