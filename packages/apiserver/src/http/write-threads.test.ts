/**
 * Write threads on real loopback TCP sockets (127.0.0.1): one message per turn of the loop for
 * every socket written in it, what the kernel took per socket, errors per socket, and writes in
 * flight failed (not lost) when the threads stop.
 */
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { fdOf, loopbackPairs } from '../../test/helpers/socket-pairs.js';
import { WriteThreads } from './write-threads.js';

const threads = new WriteThreads(1);
afterAll(() => threads.close());
const pair = loopbackPairs();

type Result = { err: NodeJS.ErrnoException | null; n: number };
const write = (t: WriteThreads, fd: number, bufs: Buffer[], reset = true): Promise<Result> =>
  new Promise((resolve) => t.writev(fd, bufs, reset, (err, n) => resolve({ err, n })));

async function readAll(cli: Socket, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return new Promise((resolve) => {
    cli.on('data', (b: Buffer) => {
      parts.push(b);
      got += b.length;
      if (got >= bytes) resolve(Buffer.concat(parts));
    });
  });
}

describe('WriteThreads', () => {
  it('writes every socket of one turn in one message, each its own buffers in order', async () => {
    const pairs = [];
    for (let i = 0; i < 20; i++) pairs.push(await pair());
    const shared = Buffer.from('shared batch;');
    const jobs = threads.jobs;
    const results = pairs.map((p, i) =>
      write(threads, fdOf(p.srv), [Buffer.from(`head ${i};`), shared, Buffer.from(`tail ${i}`)]),
    );
    const done = await Promise.all(results);
    expect(threads.jobs - jobs).toBe(1);
    const got = await Promise.all(
      pairs.map((p, i) => readAll(p.cli, `head ${i};shared batch;tail ${i}`.length)),
    );
    got.forEach((b, i) => expect(b.toString()).toBe(`head ${i};shared batch;tail ${i}`));
    done.forEach((r, i) => {
      expect(r.err).toBeNull();
      expect(r.n).toBe(`head ${i};shared batch;tail ${i}`.length);
    });
  });

  it('reports what the kernel took from a socket whose reader stopped, then skips it until a reset', async () => {
    const { srv, cli } = await pair();
    cli.pause();
    const big = Buffer.alloc(64 * 1024 * 1024, 1);
    const first = await write(threads, fdOf(srv), [big]);
    expect(first.err).toBeNull();
    expect(first.n).toBeGreaterThan(0);
    expect(first.n).toBeLessThan(big.length);
    // Skipped: the rest of the short write is the main thread's to send first.
    const skipped = await write(threads, fdOf(srv), [Buffer.from('x')], false);
    expect(skipped).toMatchObject({ err: { code: 'EAGAIN' }, n: 0 });
    // The kernel may grow the socket's buffers a few times; then it takes nothing.
    let last = first;
    for (let i = 0; i < 50 && !last.err; i++) last = await write(threads, fdOf(srv), [big]);
    expect(last.err?.code).toBe('EAGAIN');
  });

  it('fails a write to a bad descriptor alone', async () => {
    const { srv, cli } = await pair();
    const fd = openSync('/dev/null', 'r');
    closeSync(fd);
    const [bad, good] = await Promise.all([
      write(threads, fd, [Buffer.from('x')]),
      write(threads, fdOf(srv), [Buffer.from('ok')]),
    ]);
    expect(bad.err?.code).toBe('EBADF');
    expect(good).toEqual({ err: null, n: 2 });
    expect((await readAll(cli, 2)).toString()).toBe('ok');
  });

  it('fails the writes in flight when the threads stop', async () => {
    const own = new WriteThreads(1);
    const { srv } = await pair();
    const pending = write(own, fdOf(srv), [Buffer.alloc(1024)]);
    await own.close();
    const r = await pending;
    // Either the thread wrote it before it stopped or the write failed: never lost.
    if (r.err) expect(r.err.code).toBe('EIO');
    else expect(r.n).toBe(1024);
  });
});
