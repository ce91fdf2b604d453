/**
 * The HTTP/2 peer transport between two endpoints on 127.0.0.1: a sending Http2PeerTransport
 * and a receiving peer port (listenPeer + peerStreamHandler) in front of a fake member.
 */
import type * as http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { discardLogger } from '@kubets/component-base';
import { makeTestPki, type TestPki } from '@kubets/component-base/testing';
import { EntryType, MessageType, makeMessage, type Message } from '@kubets/raft';
import { ErrLearnerNotReady, EtcdError } from '../src/apply/errors.js';
import { freePort } from './support/ports.js';
import { missingTool, waitFor } from './support/targets.js';
import {
  listenPeer,
  peerStreamHandler,
  type PeerHandler,
  type PeerListener,
  type PeerServiceTarget,
} from '../src/server/peer-service.js';
import {
  Http2PeerTransport,
  SNAPSHOT_CHUNK,
  type PeerTransportOptions,
} from '../src/server/peer-transport.js';
import {
  RAW_HANDSHAKE_MAX,
  RAW_STREAM_MAGIC,
  rawStreamHandshake,
  type PeerTls,
} from '../src/server/peer-wire.js';

const CLUSTER = 0xc1a5n;
const SENDER = 1;
const RECEIVER = 2;
const logger = discardLogger();

interface FakeMember {
  target: PeerServiceTarget;
  received: Message[];
}

function fakeMember(clusterId = CLUSTER): FakeMember {
  const received: Message[] = [];
  const target = {
    memberId: RECEIVER,
    clusterId,
    receive: (m: Message) => received.push(m),
    leaseRenewLocal: () => Promise.resolve(42),
    leaseTimeToLiveLocal: () => Promise.reject(new Error('not used')),
    memberPromoteLocal: () => Promise.reject(ErrLearnerNotReady()),
    sm: { membership: { list: () => [] } },
  } as unknown as PeerServiceTarget;
  return { target, received };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(
  member: FakeMember,
  port = 0,
  tls?: PeerTls,
  handler?: PeerHandler,
): Promise<PeerListener> {
  const listener = await listenPeer(
    [{ scheme: tls ? 'https' : 'http', host: '127.0.0.1', port }],
    tls,
    handler ?? peerStreamHandler({ etcd: member.target, logger }),
  );
  cleanups.push(() => listener.close());
  return listener;
}

interface Sender {
  transport: Http2PeerTransport;
  unreachable: number[];
  snapshots: Array<{ id: number; ok: boolean }>;
}

function sender(port: number, opts: Partial<PeerTransportOptions> = {}): Sender {
  const s: Sender = { transport: undefined!, unreachable: [], snapshots: [] };
  s.transport = new Http2PeerTransport({
    memberId: SENDER,
    clusterId: () => CLUSTER,
    logger,
    snapshotData: () => Promise.resolve(new Uint8Array(0)),
    reportUnreachable: (id) => s.unreachable.push(id),
    reportSnapshot: (id, ok) => s.snapshots.push({ id, ok }),
    pingIntervalMs: 0,
    ...opts,
  });
  s.transport.setPeers(new Map([[RECEIVER, [`http://127.0.0.1:${port}`]]]));
  cleanups.push(() => s.transport.stop());
  return s;
}

function heartbeat(commit: number): Message {
  return makeMessage({
    type: MessageType.MsgHeartbeat,
    from: SENDER,
    to: RECEIVER,
    term: 3,
    commit,
  });
}

function append(index: number, bytes: number): Message {
  return makeMessage({
    type: MessageType.MsgApp,
    from: SENDER,
    to: RECEIVER,
    term: 3,
    index: index - 1,
    logTerm: 3,
    entries: [{ term: 3, index, type: EntryType.EntryNormal, data: new Uint8Array(bytes).fill(7) }],
  });
}

/** The peer port's handler for `member`, noting HTTP/2 request paths and raw streams. */
function observed(member: FakeMember): {
  handler: PeerHandler;
  paths: string[];
  rawStreams: number;
} {
  const inner = peerStreamHandler({ etcd: member.target, logger });
  const seen = { handler: undefined! as PeerHandler, paths: [] as string[], rawStreams: 0 };
  seen.handler = Object.assign(
    (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      seen.paths.push(String(headers[':path']));
      inner(stream, headers);
    },
    {
      rawStream: (socket: Socket, head: Buffer) => {
        seen.rawStreams++;
        inner.rawStream!(socket, head);
      },
    },
  );
  return seen;
}

describe('HTTP/2 peer transport', () => {
  it('delivers the messages of one burst in order on one stream', async () => {
    const member = fakeMember();
    const seen = observed(member);
    const listener = await serve(member, 0, undefined, seen.handler);
    const s = sender(listener.ports[0]!);
    s.transport.send(Array.from({ length: 100 }, (_, i) => heartbeat(i + 1)));
    s.transport.send([append(5, 100_000)]);
    await waitFor('101 messages', () => member.received.length === 101, 10_000);
    expect(member.received.slice(0, 100).map((m) => m.commit)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect(member.received[100]!.entries[0]!.data.length).toBe(100_000);
    expect(s.unreachable).toEqual([]);
    // Plaintext: the messages came on a TCP connection of their own, not an HTTP/2 stream
    // (decision 0023); HTTP/2 requests still work on the same port.
    expect(seen.rawStreams).toBe(1);
    expect(seen.paths).not.toContain('/raft/stream');
    expect(await s.transport.leaseRenew(RECEIVER, 7n)).toBe(42);
  });

  it('refuses a stream from another cluster', async () => {
    const member = fakeMember(0x999n);
    const listener = await serve(member);
    const s = sender(listener.ports[0]!);
    s.transport.send([heartbeat(1)]);
    await waitFor('the refusal reported', () => s.unreachable.length > 0, 10_000);
    expect(member.received).toEqual([]);
  });

  it('reconnects after the peer restarts on the same port', async () => {
    const port = await freePort();
    const first = fakeMember();
    const listener = await serve(first, port);
    const s = sender(port);
    s.transport.send([heartbeat(1)]);
    await waitFor('the first message', () => first.received.length === 1, 10_000);

    // The peer goes away: messages are dropped and Raft hears the peer is unreachable.
    await listener.close();
    for (let i = 0; i < 5 && s.unreachable.length === 0; i++) {
      s.transport.send([heartbeat(2)]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(s.unreachable).toContain(RECEIVER);

    // It comes back: within the back-off (at most 1 s) a new stream carries messages again.
    const second = fakeMember();
    await serve(second, port);
    let commit = 10;
    await waitFor(
      'a message after the restart',
      () => {
        s.transport.send([heartbeat(commit++)]);
        return second.received.length > 0;
      },
      10_000,
    );
    expect(second.received[0]!.commit).toBeGreaterThanOrEqual(10);
  });

  it('holds messages back while a slow peer does not read, drops beyond the queue, and recovers', async () => {
    const member = fakeMember();
    const handler = peerStreamHandler({ etcd: member.target, logger });
    const paused: Array<{ resume(): void }> = [];
    // A peer that accepts the stream but stops reading it (a stalled process).
    const stalled: PeerHandler = Object.assign(
      (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
        handler(stream, headers);
        stream.pause();
        paused.push(stream);
      },
      {
        rawStream: (socket: Socket, head: Buffer) => {
          handler.rawStream!(socket, head);
          socket.pause();
          paused.push(socket);
        },
      },
    );
    const listener = await serve(member, 0, undefined, stalled);
    const s = sender(listener.ports[0]!);
    // 40 MiB of appends: more than the HTTP/2 windows (16 MiB per stream) and socket buffers.
    for (let i = 1; i <= 40; i++) s.transport.send([append(i, 1024 * 1024)]);
    await new Promise((r) => setTimeout(r, 300));
    // Then many small messages, one burst each: they queue until the queue limit, then drop.
    for (let i = 1; i <= 6000; i++) s.transport.send([heartbeat(i)]);
    expect(s.unreachable).toContain(RECEIVER);
    expect(member.received).toEqual([]);

    // The peer reads again: what was written and queued arrives, in order, and the stream
    // keeps working.
    for (const p of paused) p.resume();
    // (Raft would resend: a message sent while the queue is still full is dropped.)
    await waitFor(
      'the stream to recover',
      () => {
        s.transport.send([heartbeat(1_000_000)]);
        return member.received.at(-1)?.commit === 1_000_000;
      },
      30_000,
    );
    const apps = member.received.filter((m) => m.type === MessageType.MsgApp);
    expect(apps.map((m) => m.entries[0]!.index)).toEqual(
      Array.from({ length: apps.length }, (_, i) => i + 1),
    );
    const beats = member.received
      .filter((m) => m.type === MessageType.MsgHeartbeat)
      .map((m) => m.commit);
    // In order, and fewer than sent: the queue limit dropped some.
    expect(beats).toEqual([...beats].sort((a, b) => a - b));
    expect(beats.length).toBeLessThan(6001);
  }, 60_000);

  it('streams a snapshot in chunks on its own request', async () => {
    const member = fakeMember();
    const listener = await serve(member);
    const data = new Uint8Array(3 * SNAPSHOT_CHUNK + 12345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const s = sender(listener.ports[0]!, { snapshotData: () => Promise.resolve(data) });
    s.transport.send([
      makeMessage({
        type: MessageType.MsgSnap,
        from: SENDER,
        to: RECEIVER,
        term: 3,
        snapshot: {
          metadata: {
            index: 500,
            term: 3,
            confState: {
              voters: [1, 2],
              learners: [],
              votersOutgoing: [],
              learnersNext: [],
              autoLeave: false,
            },
          },
          data: new Uint8Array(0),
        },
      }),
    ]);
    // Appends keep flowing on the message stream meanwhile.
    s.transport.send([heartbeat(1)]);
    await waitFor('the snapshot to be reported', () => s.snapshots.length === 1, 20_000);
    expect(s.snapshots).toEqual([{ id: RECEIVER, ok: true }]);
    const snap = member.received.find((m) => m.type === MessageType.MsgSnap);
    expect(snap?.snapshot?.metadata.index).toBe(500);
    expect(Buffer.from(snap!.snapshot!.data).equals(Buffer.from(data))).toBe(true);
    expect(member.received.some((m) => m.type === MessageType.MsgHeartbeat)).toBe(true);
  }, 30_000);

  it('answers a bad raw stream handshake with a status line and closes it', async () => {
    const member = fakeMember();
    const listener = await serve(member);
    const answer = (handshake: Buffer): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(listener.ports[0]!, '127.0.0.1', () => socket.write(handshake));
        const parts: Buffer[] = [];
        socket.on('data', (c: Buffer) => parts.push(c));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(parts).toString('utf8')));
      });
    expect(await answer(rawStreamHandshake(0x999n, SENDER, RECEIVER))).toMatch(
      /^412 cluster ID mismatch: this member belongs to cluster c1a5, the sender to 999\n$/,
    );
    expect(await answer(rawStreamHandshake(CLUSTER, SENDER, 77))).toMatch(/^400 stream for member/);
    expect(
      await answer(Buffer.concat([RAW_STREAM_MAGIC, Buffer.alloc(RAW_HANDSHAKE_MAX, 0x61)])),
    ).toBe('400 handshake too long\n');
    expect(member.received).toEqual([]);
  });

  it('forwards leader-local calls and keeps etcd errors', async () => {
    const member = fakeMember();
    const listener = await serve(member);
    const s = sender(listener.ports[0]!);
    expect(await s.transport.leaseRenew(RECEIVER, 5n)).toBe(42);
    const err = await s.transport.memberPromote(RECEIVER, 9).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdError);
    expect((err as EtcdError).message).toBe(ErrLearnerNotReady().message);
    expect((err as EtcdError).grpcCode).toBe(ErrLearnerNotReady().grpcCode);
  });
});

const opensslMissing = missingTool('openssl', 'openssl');

describe.skipIf(opensslMissing !== undefined)('HTTP/2 peer transport over TLS', () => {
  function pki(): { pki: TestPki; server: PeerTls; client: PeerTls; stranger: PeerTls } {
    const extensions = 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth';
    const pki = makeTestPki(
      [
        { name: 'peer', subject: '/CN=peer', extensions },
        { name: 'stranger', subject: '/CN=stranger', extensions, issuer: 'other-ca' },
      ],
      { cas: ['ca', 'other-ca'], prefix: 'kubets-peer-transport-pki-' },
    );
    const ca = pki.read('ca.crt');
    const peer = {
      ca,
      cert: pki.read('peer.crt'),
      key: pki.read('peer.key'),
      clientCertAuth: true,
    };
    return {
      pki,
      server: peer,
      client: peer,
      stranger: {
        ca,
        cert: pki.read('stranger.crt'),
        key: pki.read('stranger.key'),
        clientCertAuth: true,
      },
    };
  }

  it('carries messages with mutual TLS and refuses a certificate of another CA', async () => {
    const p = pki();
    cleanups.push(() => p.pki.remove());
    const member = fakeMember();
    const seen = observed(member);
    const listener = await serve(member, 0, p.server, seen.handler);
    const port = listener.ports[0]!;
    const trusted = sender(port, { tls: p.client });
    trusted.transport.setPeers(new Map([[RECEIVER, [`https://127.0.0.1:${port}`]]]));
    trusted.transport.send([heartbeat(1)]);
    await waitFor('a message over TLS', () => member.received.length === 1, 10_000);
    // The messages came on a TLS connection of their own (no ALPN), HTTP/2 calls still work.
    expect(seen.rawStreams).toBe(1);
    expect(seen.paths).not.toContain('/raft/stream');
    expect(await trusted.transport.leaseRenew(RECEIVER, 7n)).toBe(42);

    const stranger = sender(port, { tls: p.stranger });
    stranger.transport.setPeers(new Map([[RECEIVER, [`https://127.0.0.1:${port}`]]]));
    stranger.transport.send([heartbeat(2)]);
    await waitFor('the refusal reported', () => stranger.unreachable.length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(member.received.map((m) => m.commit)).toEqual([1]);
  }, 30_000);
});
