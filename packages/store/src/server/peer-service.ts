import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { hotCount, type Logger } from '@kubets/component-base';
import { decodeMessage, type Message } from '@kubets/raft';
import { toEtcdError } from '../apply/errors.js';
import type { EtcdServer } from './etcd-server.js';
import type { ListenUrl } from './listen.js';
import type { StoreMetrics } from './metrics.js';
import { FrameDecoder } from './peer-frames.js';
import type { PeerFaults } from './peer-faults.js';
import {
  PEER_CONNECTION_WINDOW,
  PEER_HTTP2_SETTINGS,
  PEER_MAX_SESSION_MEMORY_MB,
  PeerHeader,
  PeerPath,
  RAW_HANDSHAKE_MAX,
  RAW_STREAM_MAGIC,
  formatId,
  leaseTimeToLiveCodec,
  memberPromoteCodec,
  membersCodec,
  parseId,
  type PeerTls,
} from './peer-wire.js';

/** What the peer port serves; EtcdServer implements it. */
export type PeerServiceTarget = Pick<
  EtcdServer,
  | 'memberId'
  | 'clusterId'
  | 'receive'
  | 'leaseRenewLocal'
  | 'leaseTimeToLiveLocal'
  | 'memberPromoteLocal'
  | 'sm'
>;

export interface PeerServiceOptions {
  etcd: PeerServiceTarget;
  logger: Logger;
  metrics?: StoreMetrics;
  /** TEST ONLY: peers whose traffic is dropped (see peer-faults.ts). */
  faults?: PeerFaults;
}

/** Largest body of a forwarded call (they carry an ID or two). */
const MAX_CALL_BODY = 64 * 1024;

const { HTTP2_HEADER_PATH, HTTP2_HEADER_METHOD, HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE } =
  http2.constants;

/** Answers a request with an error: the HTTP status, the gRPC code to surface and the message. */
function fail(
  stream: http2.ServerHttp2Stream,
  status: number,
  code: number,
  message: string,
): void {
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) {
    stream.respond({
      [HTTP2_HEADER_STATUS]: status,
      [HTTP2_HEADER_CONTENT_TYPE]: 'text/plain; charset=utf-8',
      [PeerHeader.errorCode]: String(code),
    });
  }
  stream.end(message);
}

function reply(stream: http2.ServerHttp2Stream, body: Uint8Array | string, type: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ [HTTP2_HEADER_STATUS]: 200, [HTTP2_HEADER_CONTENT_TYPE]: type });
  stream.end(body);
}

function replyError(stream: http2.ServerHttp2Stream, err: unknown): void {
  const e = toEtcdError(err);
  if (e !== undefined) fail(stream, 500, e.grpcCode, e.message);
  else fail(stream, 500, GrpcStatus.INTERNAL, err instanceof Error ? err.message : String(err));
}

/** Reads a small request body, then calls `handle` with it. */
function readBody(stream: http2.ServerHttp2Stream, handle: (body: Buffer) => void): void {
  const parts: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_CALL_BODY) {
      fail(stream, 413, GrpcStatus.RESOURCE_EXHAUSTED, 'request body too large');
      stream.destroy();
      return;
    }
    parts.push(chunk);
  });
  stream.on('end', () => {
    if (!stream.destroyed) handle(Buffer.concat(parts, size));
  });
}

/**
 * What the peer port serves: HTTP/2 requests, and raw message streams (peer-wire.ts's
 * RAW_STREAM_MAGIC): the connection and the bytes read from it so far.
 */
export type PeerHandler = ((
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
) => void) & { rawStream?: (socket: net.Socket, head: Buffer) => void };

/**
 * The receiving side of the peer protocol (peer-wire.ts): a handler for an HTTP/2 server's
 * 'stream' event on --listen-peer-urls, and for the raw message streams.
 */
export function peerStreamHandler(opts: PeerServiceOptions): PeerHandler {
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

  /** Refuses a request from another cluster or (test faults) from a cut-off peer. */
  const refused = (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
  ): boolean => {
    const cluster = parseId(headers[PeerHeader.clusterId]);
    if (cluster !== etcd.clusterId) {
      // rafthttp answers a cluster ID mismatch with 412 Precondition Failed.
      fail(
        stream,
        412,
        GrpcStatus.PERMISSION_DENIED,
        `cluster ID mismatch: this member belongs to cluster ${formatId(etcd.clusterId)}, the sender to ${cluster === undefined ? '(none)' : formatId(cluster)}`,
      );
      return true;
    }
    const from = parseId(headers[PeerHeader.from]);
    if (from !== undefined && faults?.blocked(Number(from)) === true) {
      fail(stream, 503, GrpcStatus.UNAVAILABLE, 'partitioned (test fault injection)');
      return true;
    }
    return false;
  };

  const messageStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const fromId = parseId(headers[PeerHeader.from]);
    const to = parseId(headers[PeerHeader.to]);
    if (fromId === undefined || (to !== undefined && Number(to) !== etcd.memberId)) {
      fail(stream, 400, GrpcStatus.INVALID_ARGUMENT, `stream for member ${String(to)}`);
      return;
    }
    const from = Number(fromId);
    stream.respond({ [HTTP2_HEADER_STATUS]: 200 });
    const sink = messageSink(from);
    stream.on('data', (chunk: Buffer) => {
      if (!sink(chunk)) stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    });
    stream.on('end', () => stream.end());
  };

  /** Decodes and delivers the frames of one sender's stream; false: corrupt, close it. */
  const messageSink = (from: number): ((chunk: Buffer) => boolean) => {
    const received =
      metrics === undefined
        ? undefined
        : hotCount(metrics.peerReceivedBytes, { From: formatId(from) });
    const decoder = new FrameDecoder();
    return (chunk) => {
      received?.add(chunk.length);
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        logger.warn('Closing a corrupt peer stream', { from: formatId(from), err: String(err) });
        return false;
      }
      // TEST ONLY: an injected partition drops what arrives, as a cut cable would.
      if (faults?.blocked(from) === true) return true;
      for (const frame of frames) {
        let m: Message;
        try {
          m = decodeMessage(frame);
        } catch (err) {
          logger.warn('Dropping an undecodable Raft message', {
            from: formatId(from),
            err: String(err),
          });
          continue;
        }
        deliver(m);
      }
      return true;
    };
  };

  /**
   * A raw message stream: the handshake line, checked as the HTTP/2
   * stream's headers are, then frames. A refusal is one line back, then the connection ends.
   */
  const rawStream = (socket: net.Socket, head: Buffer): void => {
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    let buffered = head;
    let sink: ((chunk: Buffer) => boolean) | undefined;
    let refused = false;
    const refuse = (status: number, reason: string): void => {
      refused = true;
      socket.end(`${status} ${reason}\n`);
    };
    const onData = (chunk: Buffer): void => {
      if (refused) return;
      if (sink !== undefined) {
        if (!sink(chunk)) socket.destroy();
        return;
      }
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const nl = buffered.indexOf(10, RAW_STREAM_MAGIC.length);
      if (nl < 0) {
        if (buffered.length > RAW_HANDSHAKE_MAX) refuse(400, 'handshake too long');
        return;
      }
      const [cluster, fromId, to] = buffered
        .subarray(RAW_STREAM_MAGIC.length, nl)
        .toString('latin1')
        .split(' ')
        .map((f) => parseId(f));
      if (cluster !== etcd.clusterId) {
        refuse(
          412,
          `cluster ID mismatch: this member belongs to cluster ${formatId(etcd.clusterId)}, the sender to ${cluster === undefined ? '(none)' : formatId(cluster)}`,
        );
        return;
      }
      if (fromId === undefined || to === undefined || Number(to) !== etcd.memberId) {
        refuse(400, `stream for member ${String(to)}`);
        return;
      }
      if (faults?.blocked(Number(fromId)) === true) {
        refuse(503, 'partitioned (test fault injection)');
        return;
      }
      sink = messageSink(Number(fromId));
      const rest = buffered.subarray(nl + 1);
      buffered = Buffer.alloc(0);
      if (rest.length > 0 && !sink(rest)) socket.destroy();
    };
    socket.on('data', onData);
    onData(Buffer.alloc(0));
    socket.resume();
  };

  const snapshotStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const total = Number(headers[PeerHeader.snapshotBytes] ?? NaN);
    if (!Number.isSafeInteger(total) || total < 0) {
      fail(stream, 400, GrpcStatus.INVALID_ARGUMENT, `bad ${PeerHeader.snapshotBytes}`);
      return;
    }
    const head = Buffer.from(String(headers[PeerHeader.snapshotMessage] ?? ''), 'base64');
    const parts: Buffer[] = [];
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      received += chunk.length;
    });
    stream.on('end', () => {
      if (stream.headersSent) return;
      if (received !== total) {
        fail(
          stream,
          400,
          GrpcStatus.DATA_LOSS,
          `incomplete snapshot: ${received} of ${total} bytes`,
        );
        return;
      }
      try {
        const m = decodeMessage(head);
        if (m.snapshot === null) throw new Error('snapshot message without a snapshot');
        const withData: Message = {
          ...m,
          snapshot: { metadata: m.snapshot.metadata, data: Buffer.concat(parts, received) },
        };
        logger.info('Received a snapshot from the leader', {
          from: m.from.toString(16),
          index: m.snapshot.metadata.index,
          bytes: received,
        });
        metrics?.peerReceivedBytes.inc({ From: formatId(m.from) }, received);
        deliver(withData);
        reply(stream, '', 'text/plain');
      } catch (err) {
        fail(stream, 400, GrpcStatus.INVALID_ARGUMENT, `bad snapshot message: ${String(err)}`);
      }
    });
  };

  const handler: PeerHandler = (stream, headers) => {
    stream.on('error', () => undefined);
    const path = headers[HTTP2_HEADER_PATH];
    const method = headers[HTTP2_HEADER_METHOD];
    if (path === PeerPath.members && method === 'GET') {
      // Asked by a member joining the cluster, which does not know the cluster ID yet.
      reply(
        stream,
        membersCodec.encode({
          cluster_ID: etcd.clusterId.toString(),
          members: etcd.sm.membership.list().map((m) => ({
            ID: m.id,
            name: m.name,
            peer_URLs: m.peerURLs,
            client_URLs: m.clientURLs,
            is_learner: m.isLearner,
          })),
        }),
        'application/protobuf',
      );
      return;
    }
    if (method !== 'POST') {
      fail(stream, 405, GrpcStatus.UNIMPLEMENTED, `${String(method)} not allowed`);
      return;
    }
    if (refused(stream, headers)) return;
    switch (path) {
      case PeerPath.stream:
        messageStream(stream, headers);
        return;
      case PeerPath.snapshot:
        snapshotStream(stream, headers);
        return;
      case PeerPath.leaseRenew:
        readBody(stream, (body) => {
          etcd.leaseRenewLocal(BigInt(body.toString('utf8').trim() || '0')).then(
            (ttl) => reply(stream, JSON.stringify({ TTL: ttl }), 'application/json'),
            (err: unknown) => replyError(stream, err),
          );
        });
        return;
      case PeerPath.leaseTimeToLive:
        readBody(stream, (body) => {
          let req: { ID: string; keys: boolean };
          try {
            req = JSON.parse(body.toString('utf8')) as { ID: string; keys: boolean };
          } catch (err) {
            fail(stream, 400, GrpcStatus.INVALID_ARGUMENT, String(err));
            return;
          }
          etcd.leaseTimeToLiveLocal(BigInt(req.ID), req.keys === true).then(
            (res) => reply(stream, leaseTimeToLiveCodec.encode(res), 'application/protobuf'),
            (err: unknown) => replyError(stream, err),
          );
        });
        return;
      case PeerPath.memberPromote:
        readBody(stream, (body) => {
          const id = Number(body.toString('utf8').trim());
          etcd.memberPromoteLocal(id).then(
            (members) =>
              reply(stream, memberPromoteCodec.encode({ members }), 'application/protobuf'),
            (err: unknown) => replyError(stream, err),
          );
        });
        return;
      default:
        fail(stream, 404, GrpcStatus.UNIMPLEMENTED, `no peer handler for ${String(path)}`);
    }
  };
  handler.rawStream = rawStream;
  return handler;
}

/** The peer port's HTTP/2 servers, one per --listen-peer-urls. */
export interface PeerListener {
  readonly ports: number[];
  close(): Promise<void>;
}

/**
 * Reads a connection's first 4 bytes, then hands it on: to `raw` when they start the raw
 * message stream's magic, else to `other` with the bytes pushed back (HTTP/2's preface starts
 * with `PRI `).
 */
function peekConnection(
  socket: net.Socket,
  raw: (socket: net.Socket, head: Buffer) => void,
  other: (socket: net.Socket) => void,
): void {
  const magic = RAW_STREAM_MAGIC.subarray(0, 4);
  let head: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (head.length < magic.length) return;
    socket.off('data', onData);
    socket.pause();
    if (head.subarray(0, magic.length).equals(magic)) {
      raw(socket, head);
    } else {
      socket.unshift(head);
      other(socket);
    }
  };
  socket.on('data', onData);
}

/** Plaintext: a TCP server handing HTTP/2 connections to `h2` and raw streams to `raw`. */
function dispatchConnections(
  h2: http2.Http2Server,
  raw: (socket: net.Socket, head: Buffer) => void,
  sockets: Set<net.Socket>,
): net.Server {
  return net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    peekConnection(socket, raw, (s) => h2.emit('connection', s));
  });
}

/** Serves `handler` on every URL, with TLS when `tls` is given. */
export async function listenPeer(
  urls: readonly ListenUrl[],
  tls: PeerTls | undefined,
  handler: PeerHandler,
): Promise<PeerListener> {
  const servers: net.Server[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  const base = {
    settings: PEER_HTTP2_SETTINGS,
    maxSessionMemory: PEER_MAX_SESSION_MEMORY_MB,
  };
  const ports: number[] = [];
  const closeAll = async (): Promise<void> => {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
    await Promise.all(
      servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))),
    );
  };
  try {
    for (const url of urls) {
      const server =
        tls === undefined
          ? http2.createServer(base)
          : http2.createSecureServer({
              ...base,
              cert: tls.cert,
              key: tls.key,
              ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
              requestCert: tls.clientCertAuth,
              rejectUnauthorized: tls.clientCertAuth,
            });
      // Plaintext: raw message streams share the port (the HTTP/2 server gets the rest).
      const raw = handler.rawStream;
      const listening =
        tls === undefined && raw !== undefined ? dispatchConnections(server, raw, sockets) : server;
      servers.push(listening);
      server.on('session', (session: http2.ServerHttp2Session) => {
        sessions.add(session);
        session.on('close', () => sessions.delete(session));
        session.on('error', () => undefined);
        session.setLocalWindowSize(PEER_CONNECTION_WINDOW);
      });
      server.on('stream', handler);
      if (tls !== undefined && raw !== undefined) {
        // TLS: a raw stream's client offers no ALPN protocol, so node:http2 hands over the
        // (authenticated) connection as an unknown protocol; anything else is closed.
        server.on('unknownProtocol', (socket: net.Socket) => {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
          peekConnection(socket, raw, (s) => s.destroy());
        });
      }
      // A client failing the TLS handshake (no certificate under --peer-client-cert-auth, or
      // plaintext) is refused by the TLS layer; nothing to log per attempt.
      server.on('tlsClientError', () => undefined);
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(url.port, url.host, () => {
          listening.off('error', reject);
          resolve();
        });
      });
      ports.push((listening.address() as AddressInfo).port);
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { ports, close: closeAll };
}
