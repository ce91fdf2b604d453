/**
 * Socket writes on libuv's thread pool. The watch fan-out writes the same pre-framed batch to
 * every watcher's socket; on the event loop each of those `write(2)` calls (the kernel's
 * loopback TCP send, ~10–20 µs for a 40 KB batch) blocks every request and etcd answer behind
 * it (ADR 0031). kube-apiserver writes each watcher's bytes from its own goroutine, on any core;
 * here `fs.writev` on the socket's file descriptor does the same from a thread-pool thread.
 *
 * Rules that keep the bytes whole and in order:
 * - at most one thread-pool write per socket is in flight; what arrives meanwhile waits in a
 *   JS queue and leaves in one `writev` when it completes;
 * - nothing goes through Node's stream while the writer is busy (callers wait for `whenIdle`),
 *   and nothing goes to the thread pool while the stream holds bytes (a slow reader's backlog,
 *   headers): those writes follow the stream until it drains;
 * - the socket is non-blocking: a short write or EAGAIN (the peer's buffers are full) hands the
 *   rest to `socket.write`, which waits for writability as for any slow client;
 * - the socket's handle (and so its fd) is not closed while a write on the fd is in flight: a
 *   client reset destroys the socket at any time and the next accept could reuse the number.
 *   The socket's `_destroy` (the stream implementer's hook) waits for the write to complete.
 */
import { writev } from 'node:fs';
import type { Socket } from 'node:net';

/** `fs.writev`'s shape (tests inject short writes and errors). */
export type WritevFn = (
  fd: number,
  buffers: readonly NodeJS.ArrayBufferView[],
  position: null,
  callback: (err: NodeJS.ErrnoException | null, bytesWritten: number) => void,
) => void;

const defaultWritev: WritevFn = (fd, buffers, position, callback) =>
  writev(fd, buffers, position, callback);

type DestroyHook = (error: Error | null, callback: (error?: Error | null) => void) => void;

export class OffloadWriter {
  private inFlight: Buffer[] | undefined;
  private inFlightBytes = 0;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private idleWaiters: (() => void)[] = [];
  private deferredDestroy: (() => void) | undefined;
  /** Thread-pool writes started (tests, metrics). */
  writes = 0;

  constructor(
    private readonly socket: Socket,
    private readonly fd: number,
    private readonly writevFn: WritevFn = defaultWritev,
  ) {
    const s = socket as unknown as { _destroy: DestroyHook };
    const original = s._destroy;
    s._destroy = (error, callback) => {
      const close = (): void => original.call(socket, error, callback);
      if (this.inFlight) this.deferredDestroy = close;
      else close();
    };
  }

  /** Bytes accepted here and not yet in the kernel or in Node's stream. */
  get pendingBytes(): number {
    return this.inFlightBytes + this.queuedBytes;
  }

  get idle(): boolean {
    return this.inFlight === undefined;
  }

  /** Writes bytes already framed for the wire, after everything written before. */
  write(buf: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed || buf.length === 0) return;
    if (this.inFlight) {
      this.queue.push(buf);
      this.queuedBytes += buf.length;
    } else if (socket.writableLength > 0) {
      socket.write(buf);
    } else {
      this.start([buf]);
    }
  }

  /**
   * Runs `fn` once nothing is in flight or queued here, so that a write through Node's stream
   * (`res.write`, `res.end`) lands after the bytes written before it. At once when idle.
   */
  whenIdle(fn: () => void): void {
    if (this.idle) fn();
    else this.idleWaiters.push(fn);
  }

  private start(bufs: Buffer[]): void {
    let bytes = 0;
    for (const b of bufs) bytes += b.length;
    this.inFlight = bufs;
    this.inFlightBytes = bytes;
    this.writes++;
    this.writevFn(this.fd, bufs, null, (err, written) => this.completed(err, written));
  }

  private completed(err: NodeJS.ErrnoException | null, written: number): void {
    const bufs = this.inFlight!;
    this.inFlight = undefined;
    this.inFlightBytes = 0;
    const socket = this.socket;
    const destroy = this.deferredDestroy;
    if (destroy || socket.destroyed) {
      // The watch is over: what waited is dropped, as Node drops a destroyed stream's buffer.
      this.deferredDestroy = undefined;
      this.dropQueue();
      this.settle();
      destroy?.();
      return;
    }
    if (err && err.code !== 'EAGAIN' && err.code !== 'EWOULDBLOCK') {
      // EPIPE, ECONNRESET: what a failed stream write does (the response's 'close' ends the watch).
      this.dropQueue();
      this.settle();
      socket.destroy(err);
      return;
    }
    const rest = err ? bufs : unwritten(bufs, written);
    if (rest.length > 0) {
      // The peer's buffers are full: the stream queues the rest (and what waited here) and
      // writes when the socket is writable again; later writes follow it until it drains.
      const waiting = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      socket.cork();
      for (const b of rest) socket.write(b);
      for (const b of waiting) socket.write(b);
      socket.uncork();
    } else if (this.queue.length > 0) {
      const next = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      this.start(next);
      return;
    }
    this.settle();
  }

  private dropQueue(): void {
    this.queue = [];
    this.queuedBytes = 0;
  }

  private settle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const fn of waiters) fn();
  }
}

/** The buffers (or their tails) past the first `written` bytes. */
export function unwritten(bufs: readonly Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = written;
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}

const writers = new WeakMap<Socket, OffloadWriter>();

/**
 * The thread-pool writer of a plain TCP socket (one per socket: a keep-alive connection may carry
 * several watches one after another), or undefined where the stream must write: TLS (the bytes
 * are encrypted inside Node's TLS stream), sockets without a file descriptor (Windows, pipes
 * wrapped differently, mocks), destroyed sockets.
 */
export function offloadWriterFor(socket: Socket, writevFn?: WritevFn): OffloadWriter | undefined {
  const known = writers.get(socket);
  if (known) return known;
  if (socket.destroyed || (socket as { encrypted?: boolean }).encrypted) return undefined;
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const writer = new OffloadWriter(socket, fd, writevFn);
  writers.set(socket, writer);
  return writer;
}
