/**
 * Socket writes off the event loop. The watch fan-out writes the same pre-framed batch to every
 * watcher's socket; on the event loop each of those `write(2)` calls (the kernel's loopback TCP
 * send, ~10–20 µs for a 40 KB batch) blocks every request and etcd answer behind it (ADR 0031).
 * kube-apiserver writes each watcher's bytes from its own goroutine, on any core; here a write
 * thread (write-threads.ts) makes the calls on the socket's file descriptor.
 *
 * Rules that keep the bytes whole and in order:
 * - at most MAX_IN_FLIGHT writes per socket are with the thread (two: the thread always has the
 *   next batch while the loop reads the previous answer); what arrives beyond waits in a JS
 *   queue and leaves as one `writev` when a slot frees, so a thread that falls behind gets
 *   fewer, larger writes instead of a growing backlog;
 * - answers come back in submission order. After a short write or EAGAIN the thread skips that
 *   fd (answers EAGAIN, nothing written) until a write marked `reset` (sent only when nothing
 *   is in flight and Node's stream is empty): so the rest of the short write, then the skipped
 *   writes, then the queue go through `socket.write` in order, and `socket.write` waits for
 *   writability as for any slow client; later writes follow the stream until it drains;
 * - nothing goes through Node's stream while a write is in flight unless the thread has given
 *   up on the fd, and callers that write through the stream themselves (`res.end`) wait for
 *   `whenIdle`;
 * - the socket's handle (and so its fd) is not closed while a write on the fd is in flight: a
 *   client reset destroys the socket at any time and the next accept could reuse the number.
 *   The socket's `_destroy` (the stream implementer's hook) waits for the writes to complete.
 */
import type { Socket } from 'node:net';

/**
 * Writes `buffers` to `fd` off the loop and answers in submission order (per fd) with the bytes
 * written, or an error: EAGAIN when the kernel took nothing or the fd is skipped after an
 * earlier short write; `reset` ends the skipping.
 */
export type OffloadWritev = (
  fd: number,
  buffers: readonly Buffer[],
  reset: boolean,
  callback: (err: NodeJS.ErrnoException | null, bytesWritten: number) => void,
) => void;

type DestroyHook = (error: Error | null, callback: (error?: Error | null) => void) => void;

/** Writes per socket handed to the thread at once. */
export const MAX_IN_FLIGHT = 2;

export class OffloadWriter {
  private readonly inFlight: Buffer[][] = [];
  private inFlightBytes = 0;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private idleWaiters: (() => void)[] = [];
  private deferredDestroy: (() => void) | undefined;
  /** Writes handed to the thread (tests). */
  writes = 0;

  constructor(
    private readonly socket: Socket,
    private readonly fd: number,
    private readonly writev: OffloadWritev,
  ) {
    const s = socket as unknown as { _destroy: DestroyHook };
    const original = s._destroy;
    s._destroy = (error, callback) => {
      const close = (): void => original.call(socket, error, callback);
      if (this.inFlight.length > 0) this.deferredDestroy = close;
      else close();
    };
  }

  /** Bytes accepted here and not yet in the kernel or in Node's stream. */
  get pendingBytes(): number {
    return this.inFlightBytes + this.queuedBytes;
  }

  get idle(): boolean {
    return this.inFlight.length === 0;
  }

  /** Writes bytes already framed for the wire, after everything written before. */
  write(buf: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed || buf.length === 0) return;
    const busy = this.inFlight.length;
    if (busy > 0 && (busy >= MAX_IN_FLIGHT || socket.writableLength > 0 || this.queue.length)) {
      // Behind the writes in flight (or behind their rest, bound for the stream).
      this.queue.push(buf);
      this.queuedBytes += buf.length;
    } else if (busy === 0 && socket.writableLength > 0) {
      socket.write(buf);
    } else {
      this.submit([buf]);
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

  private submit(bufs: Buffer[]): void {
    let bytes = 0;
    for (const b of bufs) bytes += b.length;
    // Nothing in flight and (callers check) an empty stream: the thread may write this fd again.
    const reset = this.inFlight.length === 0;
    this.inFlight.push(bufs);
    this.inFlightBytes += bytes;
    this.writes++;
    this.writev(this.fd, bufs, reset, (err, written) => this.completed(bufs, bytes, err, written));
  }

  private completed(
    bufs: Buffer[],
    bytes: number,
    err: NodeJS.ErrnoException | null,
    written: number,
  ): void {
    this.inFlight.shift();
    this.inFlightBytes -= bytes;
    const socket = this.socket;
    if (this.deferredDestroy || socket.destroyed) {
      // The watch is over: what waited is dropped, as Node drops a destroyed stream's buffer;
      // the fd closes once the last write on it is back.
      this.dropQueue();
      if (this.inFlight.length > 0) return;
      const destroy = this.deferredDestroy;
      this.deferredDestroy = undefined;
      this.settle();
      destroy?.();
      return;
    }
    if (err && err.code !== 'EAGAIN' && err.code !== 'EWOULDBLOCK') {
      // EPIPE, ECONNRESET: what a failed stream write does (the response's 'close' ends the watch).
      this.dropQueue();
      socket.destroy(err);
      if (this.idle) this.settle();
      return;
    }
    const rest = err ? bufs : unwritten(bufs, written);
    if (rest.length > 0) {
      // The peer's buffers are full: the stream takes the rest and writes when it can.
      socket.cork();
      for (const b of rest) socket.write(b);
      socket.uncork();
    }
    if (socket.writableLength > 0) {
      // The stream holds bytes: the queue follows them once every write in flight is back
      // (the thread skips this fd now, so those come back whole, for the stream too).
      if (this.inFlight.length === 0 && this.queue.length > 0) {
        const waiting = this.takeQueue();
        socket.cork();
        for (const b of waiting) socket.write(b);
        socket.uncork();
      }
    } else if (this.queue.length > 0 && this.inFlight.length < MAX_IN_FLIGHT) {
      this.submit(this.takeQueue());
    }
    if (this.idle) this.settle();
  }

  private takeQueue(): Buffer[] {
    const q = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    return q;
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
 * The off-loop writer of a plain TCP socket (one per socket: a keep-alive connection may carry
 * several watches one after another; the first caller's `writev` stays), or undefined where
 * the stream must write: TLS (the bytes are encrypted inside Node's TLS stream), sockets without
 * a file descriptor (Windows, pipes wrapped differently, mocks), destroyed sockets.
 */
export function offloadWriterFor(socket: Socket, writev: OffloadWritev): OffloadWriter | undefined {
  const known = writers.get(socket);
  if (known) return known;
  if (socket.destroyed || (socket as { encrypted?: boolean }).encrypted) return undefined;
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const writer = new OffloadWriter(socket, fd, writev);
  writers.set(socket, writer);
  return writer;
}
