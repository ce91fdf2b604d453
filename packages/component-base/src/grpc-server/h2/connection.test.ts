import { EventEmitter } from 'node:events';
import { connect } from 'node:http2';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { H2Connection, type H2ConnectionOptions, type H2Stream } from './connection.js';
import {
  ErrorCode,
  Flag,
  FrameType,
  PREFACE,
  Setting,
  frame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from './frames.js';
import { HpackDecoder, encodeHeaders } from './hpack.js';

/** A socket stand-in: what the connection writes is collected; chunks are fed by the test. */
class FakeSocket extends EventEmitter {
  written: Buffer[] = [];
  ended = false;
  destroyed = false;
  /** What write() answers: false as a socket whose buffer is full. */
  accepts = true;
  write(b: Buffer): boolean {
    // A copy, as the kernel takes one: the connection reuses its buffer once written.
    this.written.push(Buffer.from(b));
    return this.accepts;
  }
  cork(): void {}
  uncork(): void {}
  /** Bytes the socket still holds: none while it accepts writes. */
  get writableLength(): number {
    return this.accepts ? 0 : 1;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  feed(...bufs: Buffer[]): void {
    this.emit('data', Buffer.concat(bufs));
  }
}

interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

/** Takes the frames written so far (the preface is the client's, so none here). */
function frames(sock: FakeSocket): Frame[] {
  const buf = Buffer.concat(sock.written);
  sock.written = [];
  const out: Frame[] = [];
  let pos = 0;
  while (pos + 9 <= buf.length) {
    const len = buf.readUIntBE(pos, 3);
    out.push({
      type: buf[pos + 3]!,
      flags: buf[pos + 4]!,
      id: buf.readUInt32BE(pos + 5),
      payload: buf.subarray(pos + 9, pos + 9 + len),
    });
    pos += 9 + len;
  }
  return out;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function open(opts: Partial<H2ConnectionOptions> = {}): {
  sock: FakeSocket;
  conn: H2Connection;
  streams: H2Stream[];
} {
  const sock = new FakeSocket();
  const streams: H2Stream[] = [];
  const conn = new H2Connection(sock as unknown as Socket, {
    windowBytes: 1 << 20,
    onStream: (s) => streams.push(s),
    ...opts,
  });
  return { sock, conn, streams };
}

const request = encodeHeaders([
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', '/svc/M'],
  [':authority', 'x'],
]);

function headers(id: number, flags: number = Flag.END_HEADERS): Buffer {
  return frame(FrameType.HEADERS, flags, id, request);
}

describe('H2Connection (frames on a fake socket)', () => {
  it('sends SETTINGS and a connection WINDOW_UPDATE, acknowledges SETTINGS and answers PING', async () => {
    const { sock } = open();
    await tick();
    const first = frames(sock);
    expect(first.map((f) => f.type)).toEqual([FrameType.SETTINGS, FrameType.WINDOW_UPDATE]);
    expect(first[1]!.payload.readUInt32BE(0)).toBe((1 << 20) - 65_535);
    const ping = Buffer.from('12345678');
    sock.feed(PREFACE, settingsFrame([]), frame(FrameType.PING, 0, 0, ping));
    const got = frames(sock);
    expect(got.map((f) => [f.type, f.flags])).toEqual([
      [FrameType.SETTINGS, Flag.ACK],
      [FrameType.PING, Flag.ACK],
    ]);
    expect(got[1]!.payload.equals(ping)).toBe(true);
  });

  it('reads frames split at any byte, and header blocks continued in CONTINUATION frames', () => {
    const { sock, streams } = open();
    const bytes = Buffer.concat([
      PREFACE,
      settingsFrame([]),
      frame(FrameType.HEADERS, 0, 1, request.subarray(0, 3)),
      frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, request.subarray(3)),
      frame(FrameType.PRIORITY, 0, 1, Buffer.alloc(5)),
      frame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from('body')),
    ]);
    const body: Buffer[] = [];
    let ended = false;
    for (let i = 0; i < bytes.length; i++) {
      sock.feed(bytes.subarray(i, i + 1));
      if (streams[0] && !streams[0].ondata) {
        streams[0].ondata = (c) => body.push(c);
        streams[0].onend = () => (ended = true);
      }
    }
    expect(streams).toHaveLength(1);
    expect(streams[0]!.headers).toContainEqual([':path', '/svc/M']);
    expect(Buffer.concat(body).toString()).toBe('body');
    expect(ended).toBe(true);
  });

  it("honours the peer's stream and connection windows for DATA, then sends the trailers", () => {
    const { sock, streams } = open();
    sock.feed(
      PREFACE,
      settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 10]]),
      headers(1, Flag.END_HEADERS | Flag.END_STREAM),
    );
    frames(sock);
    const s = streams[0]!;
    s.respond([[':status', '200']]);
    expect(s.write(Buffer.alloc(25, 1))).toBe(true);
    s.end([['grpc-status', '0']]);
    sock.feed(Buffer.alloc(0)); // flush what is queued
    let out = frames(sock);
    expect(out.map((f) => [f.type, f.payload.length])).toEqual([
      [FrameType.HEADERS, 1],
      [FrameType.DATA, 10],
    ]);
    sock.feed(windowUpdateFrame(1, 10));
    out = frames(sock);
    expect(out.map((f) => [f.type, f.payload.length])).toEqual([[FrameType.DATA, 10]]);
    // A larger initial window applies to open streams too (RFC 9113 6.9.2).
    sock.feed(settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 100]]));
    out = frames(sock);
    expect(out.map((f) => [f.type, f.flags & Flag.END_STREAM, f.payload.length])).toEqual([
      [FrameType.SETTINGS, Flag.ACK, 0],
      [FrameType.DATA, 0, 5],
      [FrameType.HEADERS, Flag.END_STREAM, out[2]!.payload.length],
    ]);
    expect(new HpackDecoder().decode(out[2]!.payload)).toEqual([['grpc-status', '0']]);
    expect(s.closed).toBe(true);
  });

  it('sends the DATA that fit before a window ran out without waiting for other output', async () => {
    const { sock, streams } = open();
    sock.feed(
      PREFACE,
      settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 10]]),
      headers(1, Flag.END_HEADERS | Flag.END_STREAM),
    );
    const s = streams[0]!;
    s.respond([[':status', '200']]);
    await tick();
    frames(sock);
    // Outside any incoming chunk: only the write itself can schedule the flush.
    s.write(Buffer.alloc(25, 1));
    await tick();
    expect(frames(sock).map((f) => [f.type, f.payload.length])).toEqual([[FrameType.DATA, 10]]);
  });

  it("joins one stream's consecutive writes of a tick into DATA frames of at most the max size", async () => {
    const { sock, streams } = open();
    sock.feed(PREFACE, settingsFrame([]), headers(1), headers(3));
    const [a, b] = streams as [H2Stream, H2Stream];
    a.respond([[':status', '200']]);
    b.respond([[':status', '200']]);
    await tick();
    frames(sock);
    for (let i = 0; i < 3; i++) a.write(Buffer.alloc(100, i));
    b.write(Buffer.alloc(50, 9));
    a.write(Buffer.alloc(10, 7));
    // 400 writes of 100 bytes: 40,000 bytes in frames of at most 16,384 (a write that does not
    // fit the open frame starts the next one).
    for (let i = 0; i < 400; i++) b.write(Buffer.alloc(100, 1));
    await tick();
    const data = frames(sock).filter((f) => f.type === FrameType.DATA);
    expect(data.map((f) => [f.id, f.payload.length])).toEqual([
      [1, 300],
      [3, 50],
      [1, 10],
      [3, 16_300],
      [3, 16_300],
      [3, 7_400],
    ]);
    expect(data[0]!.payload.subarray(95, 105)).toEqual(Buffer.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]));
  });

  it('sends a large body in the DATA frame of what came before it, not in a frame of its own', async () => {
    const { sock, streams } = open();
    sock.feed(PREFACE, settingsFrame([]), headers(1));
    const s = streams[0]!;
    s.respond([[':status', '200']]);
    await tick();
    frames(sock);
    const head = Buffer.from([1, 2, 3, 4, 5]);
    const big = Buffer.alloc(3000, 7);
    s.write(Buffer.alloc(100, 1));
    // Head and body of a message (as the watch fan-out writes them): one frame with the 100
    // bytes before. The body is not copied, so nothing can follow it in its frame: the next
    // message, and a large write after it, start frames of their own.
    s.writeHeadBody(head, 5, big);
    s.writeHeadBody(head, 5, big);
    s.write(Buffer.alloc(4000, 9));
    // A large write joins an open frame only when it fits in it.
    s.write(Buffer.alloc(100, 1));
    s.write(Buffer.alloc(5000, 3));
    s.write(Buffer.alloc(100, 1));
    s.write(Buffer.alloc(16_384, 2));
    await tick();
    const data = frames(sock).filter((f) => f.type === FrameType.DATA);
    expect(data.map((f) => f.payload.length)).toEqual([3105, 3005, 4000, 5100, 100, 16_384]);
    expect(
      Buffer.concat(data.map((f) => f.payload)).equals(
        Buffer.concat([
          Buffer.alloc(100, 1),
          head,
          big,
          head,
          big,
          Buffer.alloc(4000, 9),
          Buffer.alloc(100, 1),
          Buffer.alloc(5000, 3),
          Buffer.alloc(100, 1),
          Buffer.alloc(16_384, 2),
        ]),
      ),
    ).toBe(true);
  });

  it('writes head + body parts byte-exact, straight out or queued behind the windows', async () => {
    for (const window of [1 << 20, 100]) {
      const { sock, streams } = open();
      sock.feed(PREFACE, settingsFrame([[Setting.INITIAL_WINDOW_SIZE, window]]), headers(1));
      const s = streams[0]!;
      s.respond([[':status', '200']]);
      const head = Buffer.alloc(16);
      const expected: Buffer[] = [];
      for (let i = 0; i < 50; i++) {
        // The head buffer is reused by the caller at once, as the watch fan-out does.
        head.fill(i, 0, 3);
        const body = Buffer.alloc(i % 2 === 0 ? 40 : 3000, 100 + (i % 7));
        s.writeHeadBody(head, 3, body);
        expected.push(Buffer.alloc(3, i), body);
      }
      await tick();
      const payload = (): Buffer =>
        Buffer.concat(
          frames(sock)
            .filter((f) => f.type === FrameType.DATA)
            .map((f) => f.payload),
        );
      let got = payload();
      for (let i = 0; i < 2000 && got.length < Buffer.concat(expected).length; i++) {
        sock.feed(windowUpdateFrame(1, 100), windowUpdateFrame(0, 100));
        got = Buffer.concat([got, payload()]);
      }
      expect(got.equals(Buffer.concat(expected))).toBe(true);
    }
  });

  it('asks writers to wait once 256 KiB are queued, and says when they drained', () => {
    const { sock, streams } = open();
    sock.feed(PREFACE, settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 0]]), headers(1));
    const s = streams[0]!;
    let drained = false;
    s.ondrain = () => (drained = true);
    expect(s.write(Buffer.alloc(200_000))).toBe(true);
    expect(s.write(Buffer.alloc(100_000))).toBe(false);
    frames(sock);
    sock.feed(windowUpdateFrame(1, 300_000), windowUpdateFrame(0, 300_000));
    const data = frames(sock).filter((f) => f.type === FrameType.DATA);
    expect(data.reduce((n, f) => n + f.payload.length, 0)).toBe(300_000);
    expect(Math.max(...data.map((f) => f.payload.length))).toBeLessThanOrEqual(16_384);
    expect(drained).toBe(true);
  });

  it("asks writers to wait while the socket's buffer is full", async () => {
    const { sock, streams } = open();
    sock.feed(PREFACE, settingsFrame([]), headers(1));
    const s = streams[0]!;
    let drained = 0;
    s.ondrain = () => drained++;
    sock.accepts = false;
    expect(s.write(Buffer.alloc(10))).toBe(true);
    await tick(); // the tick's bytes go out; the socket says it is full
    expect(s.write(Buffer.alloc(10))).toBe(false);
    sock.accepts = true;
    sock.emit('drain');
    expect(drained).toBe(1);
    expect(s.write(Buffer.alloc(10))).toBe(true);
  });

  it('returns receive window as request DATA is read', () => {
    const { sock, streams } = open({ windowBytes: 1000 });
    sock.feed(PREFACE, settingsFrame([]), headers(1));
    frames(sock);
    streams[0]!.ondata = () => undefined;
    sock.feed(frame(FrameType.DATA, 0, 1, Buffer.alloc(600)));
    const updates = frames(sock).filter((f) => f.type === FrameType.WINDOW_UPDATE);
    expect(updates.map((f) => [f.id, f.payload.readUInt32BE(0)])).toEqual([
      [0, 600],
      [1, 600],
    ]);
  });

  it('tells the stream about RST_STREAM, and refuses streams above the limit', () => {
    const { sock, streams } = open({ maxConcurrentStreams: 1 });
    sock.feed(PREFACE, settingsFrame([]), headers(1), headers(3));
    const refused = frames(sock).filter((f) => f.type === FrameType.RST_STREAM);
    expect(refused.map((f) => [f.id, f.payload.readUInt32BE(0)])).toEqual([
      [3, ErrorCode.REFUSED_STREAM],
    ]);
    let code: number | undefined;
    streams[0]!.onclose = (c) => (code = c);
    sock.feed(rstStreamFrame(1, ErrorCode.CANCEL));
    expect(code).toBe(ErrorCode.CANCEL);
    expect(streams).toHaveLength(1);
  });

  it('refuses malformed requests with a stream error and goes on', () => {
    const { sock, streams } = open({ windowBytes: 1000 });
    const bad = (fields: Array<[string, string]>): Buffer =>
      frame(FrameType.HEADERS, Flag.END_HEADERS, 0, encodeHeaders(fields));
    const withId = (b: Buffer, id: number): Buffer => (b.writeUInt32BE(id, 5), b);
    sock.feed(
      PREFACE,
      settingsFrame([]),
      withId(
        bad([
          [':method', 'POST'],
          [':path', '/x'],
        ]),
        1,
      ),
      withId(
        bad([
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', '/x'],
          ['Foo', 'a'],
        ]),
        3,
      ),
      withId(
        bad([
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', '/x'],
          ['connection', 'close'],
        ]),
        5,
      ),
      headers(7),
    );
    const resets = frames(sock).filter((f) => f.type === FrameType.RST_STREAM);
    expect(resets.map((f) => [f.id, f.payload.readUInt32BE(0)])).toEqual([
      [1, ErrorCode.PROTOCOL_ERROR],
      [3, ErrorCode.PROTOCOL_ERROR],
      [5, ErrorCode.PROTOCOL_ERROR],
    ]);
    expect(streams.map((s) => s.id)).toEqual([7]);
  });

  it('serves repeated header blocks from one shared list, still refusing a malformed repeat', () => {
    const { sock, streams } = open({ windowBytes: 1000 });
    const block = (fields: Array<[string, string]>, id: number): Buffer => {
      const f = frame(FrameType.HEADERS, Flag.END_HEADERS, 0, encodeHeaders(fields));
      f.writeUInt32BE(id, 5);
      return f;
    };
    const good: Array<[string, string]> = [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', '/etcdserverpb.KV/Put'],
      ['content-type', 'application/grpc'],
    ];
    const upper: Array<[string, string]> = [...good, ['Foo', 'a']];
    sock.feed(
      PREFACE,
      settingsFrame([]),
      block(good, 1),
      block(upper, 3),
      block(good, 5),
      block(upper, 7),
      block(good, 9),
    );
    const resets = frames(sock).filter((f) => f.type === FrameType.RST_STREAM);
    expect(resets.map((f) => f.id)).toEqual([3, 7]);
    expect(streams.map((s) => s.id)).toEqual([1, 5, 9]);
    expect(streams[1]!.headers).toBe(streams[2]!.headers);
    expect(streams[2]!.headersShared).toBe(true);
    expect(streams[2]!.headers).toEqual(good);
  });

  it('closes a connection flooding it with PING or RST_STREAM (ENHANCE_YOUR_CALM)', () => {
    let now = 0;
    const { sock } = open({ controlBurst: 3, controlPerSecond: 10, now: () => now });
    const ping = frame(FrameType.PING, 0, 0, Buffer.alloc(8));
    sock.feed(PREFACE, settingsFrame([]), ping, ping);
    expect(frames(sock).filter((f) => f.type === FrameType.PING)).toHaveLength(2);
    now += 100; // one token back
    sock.feed(ping);
    expect(frames(sock).some((f) => f.type === FrameType.GOAWAY)).toBe(false);
    sock.feed(ping);
    const goaway = frames(sock).find((f) => f.type === FrameType.GOAWAY);
    expect(goaway?.payload.readUInt32BE(4)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    expect(sock.ended).toBe(true);
  });

  it('answers protocol errors with GOAWAY and closes', () => {
    const bad = open();
    bad.sock.feed(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const goaway = frames(bad.sock).find((f) => f.type === FrameType.GOAWAY);
    expect(goaway?.payload.readUInt32BE(4)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(bad.sock.ended).toBe(true);

    const even = open();
    even.sock.feed(PREFACE, settingsFrame([]), headers(2));
    expect(frames(even.sock).some((f) => f.type === FrameType.GOAWAY)).toBe(true);

    const hpack = open();
    hpack.sock.feed(
      PREFACE,
      settingsFrame([]),
      frame(FrameType.HEADERS, 4, 1, Buffer.from([0x80])),
    );
    const g = frames(hpack.sock).find((f) => f.type === FrameType.GOAWAY);
    expect(g?.payload.readUInt32BE(4)).toBe(ErrorCode.COMPRESSION_ERROR);
  });

  it('closes gracefully in two steps: GOAWAY 2^31-1 and a PING, then GOAWAY with the last stream', () => {
    const { sock, conn, streams } = open();
    sock.feed(PREFACE, settingsFrame([]), headers(1, Flag.END_HEADERS | Flag.END_STREAM));
    frames(sock);
    conn.close();
    sock.feed(Buffer.alloc(0));
    let out = frames(sock);
    expect(out.map((f) => f.type)).toEqual([FrameType.GOAWAY, FrameType.PING]);
    expect(out[0]!.payload.readUInt32BE(0)).toBe(2 ** 31 - 1);
    expect(out[0]!.payload.readUInt32BE(4)).toBe(ErrorCode.NO_ERROR);
    // A stream the client started before it saw the GOAWAY is still served.
    sock.feed(headers(3, Flag.END_HEADERS | Flag.END_STREAM));
    expect(streams.map((s) => s.id)).toEqual([1, 3]);
    expect(frames(sock)).toEqual([]);
    sock.feed(frame(FrameType.PING, Flag.ACK, 0, out[1]!.payload));
    out = frames(sock);
    expect(out.map((f) => f.type)).toEqual([FrameType.GOAWAY]);
    expect(out[0]!.payload.readUInt32BE(0)).toBe(3);
    // After the final GOAWAY, new streams are refused.
    sock.feed(headers(5));
    expect(frames(sock).map((f) => [f.type, f.id])).toEqual([[FrameType.RST_STREAM, 5]]);
    streams[0]!.respond([[':status', '200']], true);
    expect(sock.ended).toBe(false);
    streams[1]!.respond([[':status', '200']], true);
    expect(sock.ended).toBe(true);
  });

  it('sends the final GOAWAY anyway when the PING is not answered', async () => {
    const { sock, conn } = open({ goawayPingTimeoutMs: 20 });
    sock.feed(PREFACE, settingsFrame([]));
    frames(sock);
    conn.close();
    await sleep(60);
    const goaways = frames(sock).filter((f) => f.type === FrameType.GOAWAY);
    expect(goaways.map((f) => f.payload.readUInt32BE(0))).toEqual([2 ** 31 - 1, 0]);
    expect(sock.ended).toBe(true);
  });

  it('stops returning stream window while reading is paused; the data waits, in order', () => {
    const window = 100_000;
    const { sock, streams } = open({ windowBytes: window });
    sock.feed(PREFACE, settingsFrame([]), headers(1));
    frames(sock);
    const s = streams[0]!;
    const got: number[] = [];
    let ended = false;
    s.ondata = (c) => got.push(c[0]!);
    s.onend = () => (ended = true);
    s.pauseReading();
    const data = (fill: number, n: number, flags = 0): Buffer =>
      frame(FrameType.DATA, flags, 1, Buffer.alloc(n, fill));
    sock.feed(data(1, 16_000), data(2, 16_000), data(3, 16_000), data(4, 16_000));
    let updates = frames(sock).filter((f) => f.type === FrameType.WINDOW_UPDATE);
    // The connection window comes back as frames arrive; the stream's does not.
    expect(updates.map((f) => f.id)).toEqual([0]);
    expect(got).toEqual([]);
    // Up to the whole window is accepted (and kept).
    sock.feed(data(5, 16_000), data(6, 16_000), data(7, window - 96_000, Flag.END_STREAM));
    expect(got).toEqual([]);
    expect(ended).toBe(false);
    s.resumeReading();
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(ended).toBe(true);

    // A paused stream whose client finished is closed once the response is out, read or not.
    const done = open({ windowBytes: window });
    done.sock.feed(PREFACE, settingsFrame([]), headers(1));
    const d = done.streams[0]!;
    d.pauseReading();
    done.sock.feed(data(1, 10, Flag.END_STREAM));
    d.respond([[':status', '200']], true);
    expect(d.closed).toBe(true);
    expect(done.conn.streamCount).toBe(0);

    // A client overshooting the window it was given has its stream reset.
    const over = open({ windowBytes: window });
    over.sock.feed(PREFACE, settingsFrame([]), headers(1));
    over.streams[0]!.pauseReading();
    for (let i = 0; i < 6; i++) over.sock.feed(data(i, 16_000));
    frames(over.sock);
    over.sock.feed(data(7, 16_000));
    const reset = frames(over.sock).find((f) => f.type === FrameType.RST_STREAM);
    expect(reset?.payload.readUInt32BE(0)).toBe(ErrorCode.FLOW_CONTROL_ERROR);

    // Resumed, the window is returned for what the application was given.
    const back = open({ windowBytes: window });
    back.sock.feed(PREFACE, settingsFrame([]), headers(1));
    back.streams[0]!.ondata = () => undefined;
    back.streams[0]!.pauseReading();
    back.sock.feed(data(1, 16_000), data(2, 16_000), data(3, 16_000), data(4, 16_000));
    frames(back.sock);
    back.streams[0]!.resumeReading();
    back.sock.feed(Buffer.alloc(0));
    updates = frames(back.sock).filter((f) => f.type === FrameType.WINDOW_UPDATE);
    expect(updates.map((f) => [f.id, f.payload.readUInt32BE(0)])).toEqual([[1, 64_000]]);
  });

  it('closes with SETTINGS_TIMEOUT when its SETTINGS are not acknowledged', async () => {
    const slow = open({ settingsTimeoutMs: 20 });
    slow.sock.feed(PREFACE, settingsFrame([]));
    await sleep(60);
    const g = frames(slow.sock).find((f) => f.type === FrameType.GOAWAY);
    expect(g?.payload.readUInt32BE(4)).toBe(ErrorCode.SETTINGS_TIMEOUT);
    expect(slow.sock.ended).toBe(true);

    const ok = open({ settingsTimeoutMs: 20 });
    ok.sock.feed(PREFACE, settingsFrame([]), frame(FrameType.SETTINGS, Flag.ACK, 0));
    await sleep(60);
    expect(frames(ok.sock).some((f) => f.type === FrameType.GOAWAY)).toBe(false);
  });

  it('pings a quiet client (keepalive) and closes the connection when it does not answer', async () => {
    const { sock } = open({ keepaliveTimeMs: 30, keepaliveTimeoutMs: 30 });
    sock.feed(PREFACE, settingsFrame([]), frame(FrameType.SETTINGS, Flag.ACK, 0));
    frames(sock);
    await sleep(45);
    const ping = frames(sock).find((f) => f.type === FrameType.PING);
    expect(ping?.flags).toBe(0);
    sock.feed(frame(FrameType.PING, Flag.ACK, 0, ping!.payload));
    await sleep(20);
    expect(sock.ended).toBe(false);
    // Now silent: the next PING is not answered.
    await sleep(120);
    expect(frames(sock).some((f) => f.type === FrameType.GOAWAY)).toBe(true);
    expect(sock.ended).toBe(true);
  });

  it('closes a connection idle (no streams) for maxConnectionIdleMs, not one with a stream', async () => {
    const idle = open({ maxConnectionIdleMs: 30 });
    idle.sock.feed(PREFACE, settingsFrame([]));
    const busy = open({ maxConnectionIdleMs: 30 });
    busy.sock.feed(PREFACE, settingsFrame([]), headers(1));
    await sleep(80);
    const g = frames(idle.sock).find((f) => f.type === FrameType.GOAWAY);
    expect(g?.payload.readUInt32BE(4)).toBe(ErrorCode.NO_ERROR);
    expect(frames(busy.sock).some((f) => f.type === FrameType.GOAWAY)).toBe(false);
  });

  it('announces and enforces its limits: streams, header list size, CONTINUATION flood', () => {
    const { sock } = open({ maxConcurrentStreams: 7, maxHeaderBlockBytes: 4096 });
    sock.feed(Buffer.alloc(0)); // flush what the connection sent first
    const settings = frames(sock).find((f) => f.type === FrameType.SETTINGS)!;
    const announced = new Map<number, number>();
    for (let i = 0; i < settings.payload.length; i += 6) {
      announced.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
    }
    expect(announced.get(Setting.MAX_CONCURRENT_STREAMS)).toBe(7);
    expect(announced.get(Setting.MAX_HEADER_LIST_SIZE)).toBe(4096);
    // Empty CONTINUATION frames never end the header block: the connection is closed.
    const cont = frame(FrameType.CONTINUATION, 0, 1, Buffer.alloc(0));
    sock.feed(PREFACE, settingsFrame([]), frame(FrameType.HEADERS, 0, 1, request.subarray(0, 2)));
    for (let i = 0; i < 10 && !sock.ended; i++) sock.feed(cont);
    const g = frames(sock).find((f) => f.type === FrameType.GOAWAY);
    expect(g?.payload.readUInt32BE(4)).toBe(ErrorCode.ENHANCE_YOUR_CALM);

    const big = open({ maxHeaderBlockBytes: 100 });
    big.sock.feed(PREFACE, settingsFrame([]), frame(FrameType.HEADERS, 0, 1, Buffer.alloc(200)));
    const g2 = frames(big.sock).find((f) => f.type === FrameType.GOAWAY);
    expect(g2?.payload.readUInt32BE(4)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  });

  it('closes connections that open and reset streams rapidly, or flood SETTINGS or empty DATA', () => {
    const calm = (feed: (sock: FakeSocket) => void): boolean => {
      const { sock } = open({ controlBurst: 20, controlPerSecond: 1, now: () => 0 });
      sock.feed(PREFACE, settingsFrame([]));
      feed(sock);
      const g = frames(sock).find((f) => f.type === FrameType.GOAWAY);
      return g?.payload.readUInt32BE(4) === ErrorCode.ENHANCE_YOUR_CALM;
    };
    // Rapid reset (CVE-2023-44487): HEADERS then RST_STREAM, over and over.
    expect(
      calm((sock) => {
        for (let id = 1; id < 60 && !sock.ended; id += 2) {
          sock.feed(headers(id), rstStreamFrame(id, ErrorCode.CANCEL));
        }
      }),
    ).toBe(true);
    // Streams refused over and over (above the limit) cost tokens too.
    expect(
      calm((sock) => {
        for (let id = 1; id < 60 && !sock.ended; id += 2) {
          sock.feed(frame(FrameType.HEADERS, Flag.END_HEADERS, id, Buffer.from([0x80 | 2])));
        }
      }),
    ).toBe(true);
    expect(calm((sock) => sock.feed(...Array.from({ length: 30 }, () => settingsFrame([]))))).toBe(
      true,
    );
    expect(
      calm((sock) => {
        sock.feed(headers(1));
        sock.feed(...Array.from({ length: 30 }, () => frame(FrameType.DATA, 0, 1)));
      }),
    ).toBe(true);
  });

  it('closes a connection that floods PINGs without reading the answers', async () => {
    const { sock } = open({ controlBurst: 1e9 });
    sock.feed(PREFACE, settingsFrame([]));
    sock.accepts = false;
    await tick(); // the socket reports itself full
    const ping = frame(FrameType.PING, 0, 0, Buffer.alloc(8));
    for (let i = 0; i < 20 && !sock.ended; i++)
      sock.feed(...Array.from({ length: 1000 }, () => ping));
    const g = frames(sock).find((f) => f.type === FrameType.GOAWAY);
    expect(g?.payload.readUInt32BE(4)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  });

  it('follows RFC 9113 on stream states, settings and frame sizes', () => {
    const goawayCode = (...bufs: Buffer[]): number | undefined => {
      const { sock } = open();
      sock.feed(PREFACE, settingsFrame([]), ...bufs);
      return frames(sock)
        .find((f) => f.type === FrameType.GOAWAY)
        ?.payload.readUInt32BE(4);
    };
    // WINDOW_UPDATE on a stream never opened (5.1, idle).
    expect(goawayCode(windowUpdateFrame(9, 1))).toBe(ErrorCode.PROTOCOL_ERROR);
    // A SETTINGS change taking an open stream's window past 2^31-1 (6.9.2).
    expect(
      goawayCode(
        headers(1),
        windowUpdateFrame(1, 2 ** 31 - 1 - 65_535),
        settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 65_536]]),
      ),
    ).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    expect(goawayCode(frame(FrameType.RST_STREAM, 0, 1, Buffer.alloc(3)))).toBe(
      ErrorCode.FRAME_SIZE_ERROR,
    );
    expect(goawayCode(frame(FrameType.GOAWAY, 0, 0, Buffer.alloc(4)))).toBe(
      ErrorCode.FRAME_SIZE_ERROR,
    );
    // HEADERS with the PRIORITY flag but no room for its fields.
    expect(
      goawayCode(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PRIORITY, 1, Buffer.alloc(3))),
    ).toBe(ErrorCode.FRAME_SIZE_ERROR);

    // Stream errors; the connection goes on.
    const { sock, streams } = open();
    const trailers = (id: number, fields: Array<[string, string]>): Buffer =>
      frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, encodeHeaders(fields));
    sock.feed(
      PREFACE,
      settingsFrame([]),
      headers(1),
      trailers(1, [[':path', '/late']]),
      headers(3),
      frame(FrameType.PRIORITY, 0, 3, Buffer.alloc(4)),
      frame(
        FrameType.HEADERS,
        Flag.END_HEADERS,
        5,
        encodeHeaders([
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', '/x'],
          ['x-bad', 'a\r\nb'],
        ]),
      ),
      // HEADERS on a stream we reset: ignored, not a connection error.
      trailers(1, [['grpc-status', '0']]),
      headers(7),
    );
    const resets = frames(sock).filter((f) => f.type === FrameType.RST_STREAM);
    expect(resets.map((f) => [f.id, f.payload.readUInt32BE(0)])).toEqual([
      [1, ErrorCode.PROTOCOL_ERROR],
      [3, ErrorCode.FRAME_SIZE_ERROR],
      [5, ErrorCode.PROTOCOL_ERROR],
    ]);
    expect(streams.map((s) => [s.id, s.closed])).toEqual([
      [1, true],
      [3, true],
      [7, false],
    ]);
    expect(sock.ended).toBe(false);
  });
});

describe('H2Connection with node:http2 as the client', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('serves requests; a 1 MiB response flows through the client 64 KiB windows', async () => {
    const server = createServer((socket) => {
      new H2Connection(socket, {
        onStream: (s) => {
          const chunks: Buffer[] = [];
          s.ondata = (c) => chunks.push(c);
          s.onend = () => {
            const body = Buffer.concat(chunks);
            s.respond([
              [':status', '200'],
              ['x-len', String(body.length)],
            ]);
            s.write(Buffer.alloc(1 << 20, 3));
            s.end([['x-done', 'yes']]);
          };
        },
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => server.close());
    const session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    cleanups.push(() => session.destroy());
    const result = await new Promise<{
      status: unknown;
      len: unknown;
      bytes: number;
      done: unknown;
    }>((resolve, reject) => {
      const req = session.request({
        ':method': 'POST',
        ':path': '/x',
        'user-agent': 'a'.repeat(300),
      });
      let status: unknown;
      let len: unknown;
      let bytes = 0;
      req.on('response', (h) => {
        status = h[':status'];
        len = h['x-len'];
      });
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('trailers', (t) => resolve({ status, len, bytes, done: t['x-done'] }));
      req.on('error', reject);
      req.end(Buffer.alloc(100_000, 1));
    });
    expect(result).toEqual({ status: 200, len: '100000', bytes: 1 << 20, done: 'yes' });
  });
});
