/**
 * Thread-pool socket writes on real loopback TCP sockets (127.0.0.1): bytes whole and in order
 * through queued writes, short writes, EAGAIN and a stream backlog; errors destroy the socket;
 * a socket destroyed while a write is in flight keeps its file descriptor until the write is
 * done.
 */
import { fstatSync, writev } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OffloadWriter, offloadWriterFor, unwritten, type WritevFn } from './offload-writer.js';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A connected pair: the accepted (server) side and the client side, paused. */
async function pair(): Promise<{ srv: Socket; cli: Socket }> {
  server ??= createServer();
  if (!server.listening) await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => server!.once('connection', r));
  const port = (server.address() as { port: number }).port;
  const cli = connect(port, '127.0.0.1');
  const srv = await accepted;
  sockets.push(srv, cli);
  return { srv, cli };
}

/** Everything the client side reads, as it arrives. */
function collect(cli: Socket): { bytes: () => Buffer } {
  const parts: Buffer[] = [];
  cli.on('data', (b: Buffer) => parts.push(b));
  return { bytes: () => Buffer.concat(parts) };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const fdOf = (s: Socket): number => (s as unknown as { _handle: { fd: number } })._handle.fd;
const block = (i: number, size: number): Buffer => Buffer.alloc(size, 97 + (i % 26));

/** A writev whose calls wait until released (writes in flight for as long as a test wants). */
function heldWritev(): { fn: WritevFn; calls: number; release: () => void } {
  const held: (() => void)[] = [];
  const h = {
    calls: 0,
    fn: ((fd, bufs, pos, cb) => {
      h.calls++;
      held.push(() => writev(fd, bufs, pos, cb));
    }) as WritevFn,
    release: () => {
      for (const f of held.splice(0)) f();
    },
  };
  return h;
}

describe('unwritten', () => {
  it('returns the buffers past the written bytes', () => {
    const bufs = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];
    expect(unwritten(bufs, 0).map(String)).toEqual(['abc', 'de', 'fgh']);
    expect(unwritten(bufs, 4).map(String)).toEqual(['e', 'fgh']);
    expect(unwritten(bufs, 5).map(String)).toEqual(['fgh']);
    expect(unwritten(bufs, 8)).toEqual([]);
  });
});

describe('offloadWriterFor', () => {
  it('serves plain TCP sockets, one writer per socket, and not TLS ones', async () => {
    const { srv } = await pair();
    const w = offloadWriterFor(srv);
    expect(w).toBeInstanceOf(OffloadWriter);
    expect(offloadWriterFor(srv)).toBe(w);
    const tlsLike = Object.assign(Object.create(srv) as Socket, { encrypted: true });
    expect(offloadWriterFor(tlsLike)).toBeUndefined();
  });
});

describe('OffloadWriter', () => {
  it('keeps order: one write in flight, later ones queued and sent together', async () => {
    const { srv, cli } = await pair();
    const got = collect(cli);
    const held = heldWritev();
    const w = new OffloadWriter(srv, fdOf(srv), held.fn);
    const blocks = Array.from({ length: 20 }, (_, i) => block(i, 1000 + i));
    for (const b of blocks) w.write(b);
    expect(held.calls).toBe(1);
    expect(w.pendingBytes).toBe(blocks.reduce((n, b) => n + b.length, 0));
    let idle = false;
    w.whenIdle(() => (idle = true));
    expect(idle).toBe(false);
    held.release();
    await until(() => held.calls === 2, 'the queued writes as one');
    held.release();
    await until(() => idle, 'idle');
    expect(w.pendingBytes).toBe(0);
    const want = Buffer.concat(blocks);
    await until(() => got.bytes().length === want.length, 'all bytes');
    expect(got.bytes().equals(want)).toBe(true);
  });

  it('hands the rest of a short write and of EAGAIN to the stream, then resumes', async () => {
    const { srv, cli } = await pair();
    const got = collect(cli);
    let call = 0;
    // First call: half of the bytes; second: EAGAIN; later: the real thing.
    const fn: WritevFn = (fd, bufs, pos, cb) => {
      call++;
      if (call === 1) {
        const first = bufs[0] as Buffer;
        writev(fd, [first.subarray(0, first.length >> 1)], pos, cb);
      } else if (call === 2) {
        const err = Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
        setImmediate(() => cb(err, 0));
      } else {
        writev(fd, bufs, pos, cb);
      }
    };
    const w = new OffloadWriter(srv, fdOf(srv), fn);
    const blocks = Array.from({ length: 6 }, (_, i) => block(i, 5000));
    const want = Buffer.concat(blocks);
    for (const b of blocks.slice(0, 3)) w.write(b); // 1 in flight (short), 2 queued
    await until(() => w.idle, 'the short write');
    w.write(blocks[3]!); // after the stream drains: EAGAIN, to the stream
    await until(() => w.idle, 'EAGAIN');
    await until(() => srv.writableLength === 0, 'the stream drained');
    for (const b of blocks.slice(4)) w.write(b);
    await until(() => got.bytes().length === want.length, 'all bytes');
    expect(got.bytes().equals(want)).toBe(true);
    expect(w.writes).toBeGreaterThanOrEqual(3);
  });

  it('follows the stream while it holds bytes: a paused reader fills the socket, nothing is lost', async () => {
    const { srv, cli } = await pair();
    cli.pause();
    const w = new OffloadWriter(srv, fdOf(srv));
    const blocks = Array.from({ length: 200 }, (_, i) => block(i, 64 * 1024));
    for (const b of blocks) {
      w.write(b);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => w.idle, 'the last write');
    // 12.5 MiB cannot fit the kernel's buffers: the stream holds the rest.
    expect(srv.writableLength).toBeGreaterThan(0);
    const got = collect(cli);
    cli.resume();
    const want = Buffer.concat(blocks);
    await until(() => got.bytes().length === want.length, 'all bytes');
    expect(got.bytes().equals(want)).toBe(true);
  });

  it('destroys the socket on EPIPE / ECONNRESET and drops what waited', async () => {
    const { srv } = await pair();
    const fn: WritevFn = (_fd, _bufs, _pos, cb) => {
      const err = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      setImmediate(() => cb(err, 0));
    };
    const w = new OffloadWriter(srv, fdOf(srv), fn);
    const errors: string[] = [];
    srv.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? ''));
    const closed = new Promise((r) => srv.once('close', r));
    w.write(block(0, 100));
    w.write(block(1, 100));
    await closed;
    expect(errors).toEqual(['EPIPE']);
    expect(w.pendingBytes).toBe(0);
  });

  it('keeps the file descriptor open while a write on it is in flight', async () => {
    const { srv, cli } = await pair();
    const held = heldWritev();
    const w = new OffloadWriter(srv, fdOf(srv), held.fn);
    const fd = fdOf(srv);
    srv.on('error', () => undefined);
    let closed = false;
    srv.once('close', () => (closed = true));
    w.write(block(0, 1000));
    w.write(block(1, 1000));
    // The client resets; the server side sees it and destroys its socket mid-write.
    cli.resetAndDestroy();
    await until(() => srv.destroyed, 'the server side destroyed');
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    expect(() => fstatSync(fd)).not.toThrow();
    // New connections meanwhile cannot be given the in-flight write's fd number.
    const others = await Promise.all(Array.from({ length: 5 }, () => pair()));
    for (const o of others) expect(fdOf(o.srv)).not.toBe(fd);
    held.release();
    await until(() => closed, 'the socket closed after the write');
    expect(held.calls).toBe(1);
    expect(w.pendingBytes).toBe(0);
  });
});
