import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  Flag,
  FrameType,
  PREFACE,
  Setting,
  frame,
  goawayFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from '../grpc-server/h2/frames.js';
import { HpackDecoder, encodeHeaders } from '../grpc-server/h2/hpack.js';
import { H2ClientConnection, type UnaryOutcome, type UnaryRequest } from './h2-client.js';

interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

/** The server end of one connection, scripted frame by frame by the test. */
class Peer {
  frames: Frame[] = [];
  private buf = Buffer.alloc(0);
  private prefaceSeen = false;
  private waiters: Array<() => void> = [];
  readonly decoder = new HpackDecoder();
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      if (!this.prefaceSeen && this.buf.length >= PREFACE.length) {
        expect(this.buf.subarray(0, PREFACE.length).equals(PREFACE)).toBe(true);
        this.buf = this.buf.subarray(PREFACE.length);
        this.prefaceSeen = true;
      }
      if (!this.prefaceSeen) return;
      while (this.buf.length >= 9) {
        const len = this.buf.readUIntBE(0, 3);
        if (this.buf.length < 9 + len) break;
        this.frames.push({
          type: this.buf[3]!,
          flags: this.buf[4]!,
          id: this.buf.readUInt32BE(5) & 0x7fffffff,
          payload: Buffer.from(this.buf.subarray(9, 9 + len)),
        });
        this.buf = this.buf.subarray(9 + len);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Waits (bounded) until a frame matching `match` arrived; returns it and drops it. */
  async take(match: (f: Frame) => boolean, what = 'frame'): Promise<Frame> {
    for (let i = 0; i < 200; i++) {
      const at = this.frames.findIndex(match);
      if (at >= 0) return this.frames.splice(at, 1)[0]!;
      if (this.closed) break;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    throw new Error(`no ${what} arrived`);
  }

  /** The request bytes of stream `id` until END_STREAM. */
  async body(id: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const f = await this.take((x) => x.type === FrameType.DATA && x.id === id, 'DATA');
      parts.push(f.payload);
      if (f.flags & Flag.END_STREAM) return Buffer.concat(parts);
    }
  }

  write(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }

  /** Our SETTINGS and the ack of the client's. */
  handshake(settings: Array<[Setting, number]> = []): void {
    this.write(settingsFrame(settings), frame(FrameType.SETTINGS, Flag.ACK, 0));
  }
}

function headers(
  id: number,
  fields: Array<[string, string]>,
  endStream: boolean,
  type: FrameType = FrameType.HEADERS,
): Buffer {
  const flags = Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0);
  return frame(type, flags, id, encodeHeaders(fields));
}

function grpcMessage(msg: Buffer): Buffer {
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
}

const OK_HEADERS: Array<[string, string]> = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];

function request(body: Buffer, path = '/test.Svc/Echo'): UnaryRequest {
  return { path, timeout: '5000m', headers: [['traceparent', 'tp']], body: grpcMessage(body) };
}

describe('H2ClientConnection (gRPC unary calls on a JavaScript HTTP/2 client)', () => {
  const servers: Server[] = [];
  const conns: H2ClientConnection[] = [];
  afterEach(async () => {
    for (const c of conns.splice(0)) c.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /** A client connected to a scripted server; `peer()` is the server end once it connected. */
  async function setup(
    options: { keepaliveTimeMs?: number; keepaliveTimeoutMs?: number; onClose?(): void } = {},
  ): Promise<{ conn: H2ClientConnection; peer: () => Promise<Peer> }> {
    const peers: Peer[] = [];
    const server = createServer((s) => {
      peers.push(new Peer(s));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const conn = new H2ClientConnection({ host: '127.0.0.1', port, ...options });
    conns.push(conn);
    return {
      conn,
      peer: async () => {
        for (let i = 0; i < 100 && peers.length === 0; i++) await sleep(10);
        const p = peers[0];
        if (p === undefined) throw new Error('the client did not connect');
        return p;
      },
    };
  }

  function call(conn: H2ClientConnection, req: UnaryRequest): Promise<UnaryOutcome> {
    return new Promise((resolve) => conn.unary(req, resolve));
  }

  it('sends the request headers in order and one DATA frame, and takes the answer', async () => {
    const { conn, peer } = await setup();
    const answer = call(conn, request(Buffer.from('hello')));
    const p = await peer();
    p.handshake();
    const settings = await p.take((f) => f.type === FrameType.SETTINGS && f.flags === 0);
    expect(settings.payload.length % 6).toBe(0);
    const h = await p.take((f) => f.type === FrameType.HEADERS, 'HEADERS');
    expect(h.id).toBe(1);
    expect(h.flags & Flag.END_HEADERS).toBeTruthy();
    expect(p.decoder.decode(h.payload)).toEqual([
      [':method', 'POST'],
      [':scheme', 'http'],
      [':authority', expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown as string],
      [':path', '/test.Svc/Echo'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ['grpc-timeout', '5000m'],
      ['traceparent', 'tp'],
    ]);
    expect((await p.body(1)).subarray(5).toString()).toBe('hello');
    // The client acknowledged our SETTINGS.
    await p.take((f) => f.type === FrameType.SETTINGS && f.flags === Flag.ACK, 'SETTINGS ack');
    p.write(
      headers(1, OK_HEADERS, false),
      frame(FrameType.DATA, 0, 1, grpcMessage(Buffer.from('world'))),
      headers(1, [['grpc-status', '0']], true),
    );
    const out = await answer;
    expect(out.kind).toBe('answer');
    if (out.kind !== 'answer') return;
    expect(out.httpStatus).toBe(200);
    expect(out.grpcStatus).toBe(0);
    expect(out.message?.toString()).toBe('world');
    expect(out.malformed).toBeUndefined();
  });

  it('reads Trailers-Only errors, header blocks in CONTINUATION frames and split messages', async () => {
    const { conn, peer } = await setup();
    const failed = call(conn, request(Buffer.from('a')));
    const split = call(conn, request(Buffer.from('b')));
    const p = await peer();
    p.handshake();
    await p.body(1);
    await p.body(3);
    p.write(
      headers(1, [...OK_HEADERS, ['grpc-status', '5'], ['grpc-message', 'not%20found']], true),
    );
    const failure = await failed;
    expect(failure).toMatchObject({ kind: 'answer', grpcStatus: 5, grpcMessage: 'not%20found' });
    // Answer headers as HEADERS + CONTINUATION; the message's 5-byte prefix and its bytes spread
    // over four DATA frames (and two socket writes).
    const block = encodeHeaders([...OK_HEADERS, ['x-long', 'y'.repeat(100)]]);
    const msg = grpcMessage(Buffer.from('z'.repeat(40_000)));
    p.write(
      frame(FrameType.HEADERS, 0, 3, block.subarray(0, 10)),
      frame(FrameType.CONTINUATION, 0, 3, block.subarray(10, 50)),
      frame(FrameType.CONTINUATION, Flag.END_HEADERS, 3, block.subarray(50)),
      frame(FrameType.DATA, 0, 3, msg.subarray(0, 3)),
      frame(FrameType.DATA, 0, 3, msg.subarray(3, 16_000)),
    );
    await sleep(20);
    p.write(
      frame(FrameType.DATA, 0, 3, msg.subarray(16_000, 30_000)),
      frame(FrameType.DATA, 0, 3, msg.subarray(30_000)),
      headers(3, [['grpc-status', '0']], true),
    );
    const whole = await split;
    expect({ ...whole, message: undefined }).toMatchObject({ kind: 'answer', grpcStatus: 0 });
    expect(whole.kind === 'answer' && whole.message?.equals(msg.subarray(5))).toBe(true);
  });

  it('waits for window to send a 2 MiB request and honours MAX_FRAME_SIZE', async () => {
    const { conn, peer } = await setup();
    const big = Buffer.alloc(2 * 1024 * 1024, 7);
    const answer = call(conn, request(big));
    const p = await peer();
    p.handshake([[Setting.MAX_FRAME_SIZE, 32_768]]);
    // With the default 65,535-byte windows the client stops there.
    await p.take((f) => f.type === FrameType.HEADERS, 'HEADERS');
    await sleep(100);
    const first = p.frames.filter((f) => f.type === FrameType.DATA);
    const sent = first.reduce((n, f) => n + f.payload.length, 0);
    expect(sent).toBe(65_535);
    expect(first.every((f) => f.payload.length <= 32_768)).toBe(true);
    p.write(windowUpdateFrame(0, 4 * 1024 * 1024), windowUpdateFrame(1, 4 * 1024 * 1024));
    const body = await p.body(1);
    expect(body.length).toBe(big.length + 5);
    expect(body.subarray(5).equals(big)).toBe(true);
    p.write(headers(1, OK_HEADERS, false), headers(1, [['grpc-status', '0']], true));
    expect(await answer).toMatchObject({ kind: 'answer', grpcStatus: 0, message: undefined });
  });

  it('reads padded frames and HEADERS with priority, and applies a new initial window to open streams', async () => {
    const { conn, peer } = await setup();
    // A first call brings the connection up; the second starts after our SETTINGS arrived.
    const first = call(conn, request(Buffer.from('1')));
    const p = await peer();
    p.handshake([[Setting.INITIAL_WINDOW_SIZE, 1000]]);
    await p.take((f) => f.type === FrameType.SETTINGS && f.flags === Flag.ACK, 'SETTINGS ack');
    await p.body(1);
    p.write(headers(1, [...OK_HEADERS, ['grpc-status', '0']], true));
    await first;
    const big = Buffer.alloc(100_000, 3);
    const answer = call(conn, request(big));
    await p.take((f) => f.type === FrameType.HEADERS && f.id === 3, 'HEADERS');
    await sleep(100);
    // The stream's window is 1,000 bytes (the connection's 65,535).
    expect(
      p.frames.filter((f) => f.type === FrameType.DATA).reduce((n, f) => n + f.payload.length, 0),
    ).toBe(1000);
    // A larger initial window adds to the open stream's window (6.9.2); the connection window
    // still limits the rest until it is returned.
    p.write(
      settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 1_000_000]]),
      windowUpdateFrame(0, 1_000_000),
    );
    const body = await p.body(3);
    expect(body.length).toBe(big.length + 5);
    // HEADERS padded and with priority fields; DATA padded.
    const block = encodeHeaders(OK_HEADERS);
    const headersPayload = Buffer.concat([
      Buffer.from([3]),
      Buffer.alloc(5),
      block,
      Buffer.alloc(3),
    ]);
    const msg = grpcMessage(Buffer.from('padded'));
    const dataPayload = Buffer.concat([Buffer.from([7]), msg, Buffer.alloc(7)]);
    p.write(
      frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED | Flag.PRIORITY, 3, headersPayload),
      frame(FrameType.DATA, Flag.PADDED, 3, dataPayload),
      headers(3, [['grpc-status', '0']], true),
    );
    const out = await answer;
    expect(out.kind === 'answer' && out.message?.toString()).toBe('padded');
  });

  it('returns receive window as answers arrive', async () => {
    const { conn, peer } = await setup();
    const answer = call(conn, request(Buffer.from('x')));
    const p = await peer();
    p.handshake();
    await p.body(1);
    // 9 MiB in 16 KiB frames: more than half the 16 MiB windows, so WINDOW_UPDATEs come back.
    const msg = grpcMessage(Buffer.alloc(9 * 1024 * 1024, 1));
    const parts = [headers(1, OK_HEADERS, false)];
    for (let off = 0; off < msg.length; off += 16_384) {
      parts.push(frame(FrameType.DATA, 0, 1, msg.subarray(off, off + 16_384)));
    }
    parts.push(headers(1, [['grpc-status', '0']], true));
    p.write(...parts);
    const out = await answer;
    expect(out.kind === 'answer' && out.message?.length).toBe(9 * 1024 * 1024);
    await p.take((f) => f.type === FrameType.WINDOW_UPDATE && f.id === 0, 'WINDOW_UPDATE');
  });

  it('GOAWAY: calls above the last stream id are refused, the rest finish, no new calls', async () => {
    let closed = 0;
    const { conn, peer } = await setup({ onClose: () => closed++ });
    const first = call(conn, request(Buffer.from('1')));
    const second = call(conn, request(Buffer.from('2')));
    const p = await peer();
    p.handshake();
    await p.body(1);
    await p.body(3);
    p.write(goawayFrame(1, ErrorCode.NO_ERROR, 'bye'));
    expect(await second).toMatchObject({ kind: 'lost', refused: true });
    expect(conn.usable).toBe(false);
    expect(closed).toBe(1);
    p.write(
      headers(1, OK_HEADERS, false),
      frame(FrameType.DATA, 0, 1, grpcMessage(Buffer.from('ok'))),
      headers(1, [['grpc-status', '0']], true),
    );
    const done = await first;
    expect(done.kind === 'answer' && done.message?.toString()).toBe('ok');
    // A call on the retired connection does not start.
    expect(await call(conn, request(Buffer.from('3')))).toMatchObject({
      kind: 'lost',
      sent: false,
    });
  });

  it('GOAWAY: a call waiting for a stream slot never starts on the connection', async () => {
    const { conn, peer } = await setup();
    const p = await peer();
    p.handshake([[Setting.MAX_CONCURRENT_STREAMS, 1]]);
    await p.take((f) => f.type === FrameType.SETTINGS && f.flags === Flag.ACK, 'SETTINGS ack');
    const running = call(conn, request(Buffer.from('1')));
    const waiting = call(conn, request(Buffer.from('2')));
    await p.body(1);
    // The server refuses stream 1 too (last stream id 0): its slot frees, the waiting call
    // must not take it.
    p.write(goawayFrame(0, ErrorCode.NO_ERROR));
    expect(await running).toMatchObject({ kind: 'lost', refused: true });
    expect(await waiting).toMatchObject({ kind: 'lost', refused: true });
    await sleep(50);
    expect(p.frames.some((f) => f.id === 3)).toBe(false);
  });

  it('RST_STREAM: a reset ends its call; REFUSED_STREAM is "not processed"', async () => {
    const { conn, peer } = await setup();
    const reset = call(conn, request(Buffer.from('1')));
    const refused = call(conn, request(Buffer.from('2')));
    const p = await peer();
    p.handshake();
    await p.body(1);
    await p.body(3);
    p.write(
      rstStreamFrame(1, ErrorCode.INTERNAL_ERROR),
      rstStreamFrame(3, ErrorCode.REFUSED_STREAM),
    );
    expect(await reset).toEqual({ kind: 'reset', code: ErrorCode.INTERNAL_ERROR });
    expect(await refused).toMatchObject({ kind: 'lost', refused: true });
    // The connection goes on.
    expect(conn.usable).toBe(true);
  });

  it('cancel sends RST_STREAM CANCEL; MAX_CONCURRENT_STREAMS queues calls', async () => {
    const { conn, peer } = await setup();
    const p = await peer();
    p.handshake([[Setting.MAX_CONCURRENT_STREAMS, 1]]);
    await p.take((f) => f.type === FrameType.SETTINGS && f.flags === Flag.ACK, 'SETTINGS ack');
    const outcomes: UnaryOutcome[] = [];
    const first = conn.unary(request(Buffer.from('1')), (o) => outcomes.push(o));
    const second = call(conn, request(Buffer.from('2')));
    await p.body(1);
    await sleep(50);
    expect(p.frames.some((f) => f.id === 3)).toBe(false);
    first.cancel();
    const rst = await p.take((f) => f.type === FrameType.RST_STREAM, 'RST_STREAM');
    expect(rst.id).toBe(1);
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.CANCEL);
    await p.body(3);
    p.write(headers(3, [...OK_HEADERS, ['grpc-status', '0']], true));
    expect(await second).toMatchObject({ kind: 'answer', grpcStatus: 0 });
    expect(outcomes).toEqual([]);
  });

  it('answers PINGs, and fails its calls when its own keepalive PING is not answered', async () => {
    const { conn, peer } = await setup({ keepaliveTimeMs: 100, keepaliveTimeoutMs: 200 });
    const pending = call(conn, request(Buffer.from('x')));
    const p = await peer();
    p.handshake();
    p.write(frame(FrameType.PING, 0, 0, Buffer.from('12345678')));
    const ack = await p.take((f) => f.type === FrameType.PING && f.flags === Flag.ACK, 'PING ack');
    expect(ack.payload.toString()).toBe('12345678');
    await p.take((f) => f.type === FrameType.PING && f.flags === 0, 'keepalive PING');
    expect(await pending).toMatchObject({ kind: 'lost', sent: true, cause: 'keepalive timeout' });
    expect(conn.usable).toBe(false);
  });

  it('a refused connection fails its calls as never sent', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    await new Promise<void>((r) => server.close(() => r()));
    const conn = new H2ClientConnection({ host: '127.0.0.1', port });
    conns.push(conn);
    const out = await call(conn, request(Buffer.from('x')));
    expect(out).toMatchObject({ kind: 'lost', sent: false });
    expect(out.kind === 'lost' && out.cause).toMatch(/ECONNREFUSED/);
  });

  it('a protocol error from the server ends the connection with GOAWAY', async () => {
    const { conn, peer } = await setup();
    const pending = call(conn, request(Buffer.from('x')));
    const p = await peer();
    p.handshake();
    await p.body(1);
    // DATA on stream 0 is a connection error (6.1).
    p.write(frame(FrameType.DATA, 0, 0, Buffer.from('x')));
    const goaway = await p.take((f) => f.type === FrameType.GOAWAY, 'GOAWAY');
    expect(goaway.payload.readUInt32BE(4)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(await pending).toMatchObject({ kind: 'lost', sent: true });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
