/**
 * Off-loop socket writes on real loopback TCP sockets (127.0.0.1): bytes whole and in order
 * through writes in flight, the queue, short writes, EAGAIN and a stream backlog; errors destroy
 * the socket; a socket destroyed while a write is in flight keeps its file descriptor until the
 * write is back.
 */
import { fstatSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { fdOf, loopbackPairs } from '../../test/helpers/socket-pairs.js';
import {
  MAX_IN_FLIGHT,
  OffloadWriter,
  offloadWriterFor,
  unwritten,
  type OffloadWritev,
} from './offload-writer.js';
import { WriteThreads } from './write-threads.js';

const threads = new WriteThreads(1);
afterAll(() => threads.close());
const pair = loopbackPairs();

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

const block = (i: number, size: number): Buffer => Buffer.alloc(size, 97 + (i % 26));
const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

/**
 * A write thread stand-in with the same contract (answers in order, skips an fd after a short
 * write until a reset) whose answers can be held, and whose writes can be cut short or fail:
 * `cut(call, size)` returns the bytes to write, or an error code.
 */
function fakeThread(cut?: (call: number, size: number) => number | string): {
  fn: OffloadWritev;
  calls: () => number;
  resets: boolean[];
  hold: boolean;
  release: () => void;
} {
  const skipped = new Set<number>();
  const held: (() => void)[] = [];
  let calls = 0;
  const t = {
    resets: [] as boolean[],
    hold: false,
    calls: () => calls,
    release: () => {
      for (const f of held.splice(0)) f();
    },
    fn: ((fd, bufs, reset, cb) => {
      const call = ++calls;
      t.resets.push(reset);
      const run = (): void => {
        if (reset) skipped.delete(fd);
        if (skipped.has(fd)) return cb(errno('EAGAIN'), 0);
        const data = Buffer.concat(bufs);
        const limit = cut ? cut(call, data.length) : data.length;
        if (typeof limit === 'string') {
          skipped.add(fd);
          return cb(errno(limit), 0);
        }
        const n = limit > 0 ? writeSync(fd, data.subarray(0, limit)) : 0;
        if (n < data.length) skipped.add(fd);
        cb(null, n);
      };
      if (t.hold) held.push(run);
      else setImmediate(run);
    }) as OffloadWritev,
  };
  return t;
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
    const w = offloadWriterFor(srv, threads.writev);
    expect(w).toBeInstanceOf(OffloadWriter);
    expect(offloadWriterFor(srv, threads.writev)).toBe(w);
    const tlsLike = Object.assign(Object.create(srv) as Socket, { encrypted: true });
    expect(offloadWriterFor(tlsLike, threads.writev)).toBeUndefined();
  });
});

describe('OffloadWriter', () => {
  it('keeps order: two writes in flight, the rest queued and sent together', async () => {
    const { srv, cli } = await pair();
    const got = collect(cli);
    const t = fakeThread();
    t.hold = true;
    const w = new OffloadWriter(srv, fdOf(srv), t.fn);
    const blocks = Array.from({ length: 20 }, (_, i) => block(i, 1000 + i));
    for (const b of blocks) w.write(b);
    expect(t.calls()).toBe(MAX_IN_FLIGHT);
    expect(t.resets).toEqual([true, false]);
    expect(w.pendingBytes).toBe(blocks.reduce((n, b) => n + b.length, 0));
    let idle = false;
    w.whenIdle(() => (idle = true));
    t.release(); // both answered: the queue (18 blocks) leaves as one write
    expect(t.calls()).toBe(3);
    expect(idle).toBe(false);
    t.release();
    expect(idle).toBe(true);
    expect(w.pendingBytes).toBe(0);
    const want = Buffer.concat(blocks);
    await until(() => got.bytes().length === want.length, 'all bytes');
    expect(got.bytes().equals(want)).toBe(true);
  });

  it('sends the rest of a short write, the skipped write and the queue through the stream, then resumes', async () => {
    const { srv, cli } = await pair();
    const got = collect(cli);
    // Call 1 writes half; call 2 is skipped by the thread; later calls write everything.
    const t = fakeThread((call, size) => (call === 1 ? size >> 1 : size));
    t.hold = true;
    const w = new OffloadWriter(srv, fdOf(srv), t.fn);
    const blocks = Array.from({ length: 6 }, (_, i) => block(i, 5000));
    const want = Buffer.concat(blocks);
    for (const b of blocks.slice(0, 4)) w.write(b); // 2 in flight, 2 queued
    // The short write's answer sends the queue to the thread before the skipped write is back:
    // the thread skips it too, and all of it goes through the stream in order.
    t.release();
    expect(t.calls()).toBe(3);
    t.hold = false;
    t.release();
    await until(() => w.idle, 'the writes in flight');
    await until(() => srv.writableLength === 0, 'the stream drained');
    for (const b of blocks.slice(4)) w.write(b);
    await until(() => got.bytes().length === want.length, 'all bytes');
    expect(got.bytes().equals(want)).toBe(true);
    // After the stream drained the thread writes again, told to stop skipping.
    expect(t.calls()).toBe(5);
    expect(t.resets).toEqual([true, false, false, true, false]);
  });

  it('hands a write the kernel refused (EAGAIN) to the stream', async () => {
    const { srv, cli } = await pair();
    const got = collect(cli);
    const t = fakeThread((call, size) => (call === 1 ? 'EAGAIN' : size));
    const w = new OffloadWriter(srv, fdOf(srv), t.fn);
    const blocks = Array.from({ length: 3 }, (_, i) => block(i, 3000));
    for (const b of blocks) w.write(b);
    const want = Buffer.concat(blocks);
    await until(() => got.bytes().length === want.length, 'all bytes');
    expect(got.bytes().equals(want)).toBe(true);
  });

  it('follows the stream while it holds bytes: a paused reader fills the socket, nothing is lost', async () => {
    const { srv, cli } = await pair();
    cli.pause();
    const w = new OffloadWriter(srv, fdOf(srv), threads.writev);
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
    const t = fakeThread(() => 'EPIPE');
    const w = new OffloadWriter(srv, fdOf(srv), t.fn);
    const errors: string[] = [];
    srv.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? ''));
    const closed = new Promise((r) => srv.once('close', r));
    for (let i = 0; i < 4; i++) w.write(block(i, 100));
    await closed;
    expect(errors).toEqual(['EPIPE']);
    expect(w.pendingBytes).toBe(0);
  });

  it('keeps the file descriptor open while a write on it is in flight', async () => {
    const { srv, cli } = await pair();
    const t = fakeThread(() => 'ECONNRESET');
    t.hold = true;
    const w = new OffloadWriter(srv, fdOf(srv), t.fn);
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
    const others = [];
    for (let i = 0; i < 5; i++) others.push(await pair());
    for (const o of others) expect(fdOf(o.srv)).not.toBe(fd);
    t.release();
    await until(() => closed, 'the socket closed after the writes');
    expect(t.calls()).toBe(2);
    expect(w.pendingBytes).toBe(0);
  });
});
