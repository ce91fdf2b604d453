/**
 * Watch bytes written by worker threads: the fan-out hands each batch's socket writes to a
 * thread as ONE message (the batch's bytes once, plus every socket's file descriptor), and the
 * thread makes the `writev(2)` calls one after another while the event loop goes on with requests
 * and etcd answers. A file descriptor is the process's, not a thread's, so the thread writes to
 * the sockets the main thread owns; OffloadWriter (offload-writer.ts) keeps one write per socket
 * in flight and the socket's fd open until it is done.
 *
 * Why not `fs.writev` per socket (libuv's thread pool): measured, the pool moved the syscall off
 * the loop but each request cost the main thread ~3.6 µs (request, mutex, wake-up, callback) and
 * the process ~4 µs more per write than writing on the loop (ADR 0031). One message per batch
 * costs the main thread well under a microsecond per socket, and the pool stays free for fs,
 * dns and crypto.
 */
import { Worker } from 'node:worker_threads';
import type { OffloadWritev } from './offload-writer.js';

/**
 * The thread's code (plain CommonJS, evaluated: no file to locate next to the compiled module).
 * A job: `data` (the distinct buffers, back to back), `spans` (offset, length pairs into it),
 * `first` (per socket, its first span; one more entry ends the last), `fds`, `resets`. The
 * answer: bytes written per socket, or -1 with the error code. The sockets are non-blocking:
 * `writevSync` returns what the kernel took (libuv retries until EAGAIN) or throws EAGAIN when
 * it took nothing. After a short write or an error the fd is skipped (EAGAIN, nothing written)
 * until a write with its reset flag: the main thread sends the rest through Node's stream, and
 * later writes must not pass it.
 */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { writevSync } = require('node:fs');
const skipped = new Set();
parentPort.on('message', (job) => {
  const { id, data, spans, first, fds, resets } = job;
  const views = new Map();
  const view = (p) => {
    let v = views.get(p);
    if (v === undefined) {
      v = new Uint8Array(data.buffer, data.byteOffset + spans[2 * p], spans[2 * p + 1]);
      views.set(p, v);
    }
    return v;
  };
  const written = new Float64Array(fds.length);
  const errors = [];
  for (let i = 0; i < fds.length; i++) {
    const fd = fds[i];
    if (resets[i]) skipped.delete(fd);
    if (skipped.has(fd)) {
      written[i] = -1;
      errors.push([i, 'EAGAIN', 'skipped after a short write']);
      continue;
    }
    const parts = [];
    let size = 0;
    for (let p = first[i]; p < first[i + 1]; p++) {
      parts.push(view(p));
      size += spans[2 * p + 1];
    }
    try {
      written[i] = writevSync(fd, parts);
      if (written[i] < size) skipped.add(fd);
    } catch (e) {
      written[i] = -1;
      skipped.add(fd);
      errors.push([i, String(e.code || 'EIO'), String(e.message)]);
    }
  }
  parentPort.postMessage({ id, written, errors }, [written.buffer]);
});
`;

type Callback = Parameters<OffloadWritev>[3];

interface Job {
  fds: number[];
  resets: number[];
  /** Per socket: the indexes of its buffers in `buffers`. */
  parts: number[][];
  buffers: Buffer[];
  index: Map<Buffer, number>;
  callbacks: Callback[];
}

interface Answer {
  id: number;
  written: Float64Array;
  errors: [number, string, string][];
}

const closedError = (): NodeJS.ErrnoException =>
  Object.assign(new Error('watch write threads closed'), { code: 'EIO' });

/** One thread and its jobs. */
class Lane {
  private worker: Worker | undefined;
  private job: Job | undefined;
  private readonly inFlight = new Map<number, Callback[]>();
  private nextId = 1;
  private closed = false;
  /** Jobs posted (tests). */
  jobs = 0;

  submit(fd: number, buffers: readonly Buffer[], reset: boolean, cb: Callback): void {
    if (this.closed) {
      queueMicrotask(() => cb(closedError(), 0));
      return;
    }
    let job = this.job;
    if (!job) {
      job = this.job = {
        fds: [],
        resets: [],
        parts: [],
        buffers: [],
        index: new Map(),
        callbacks: [],
      };
      // Every socket written in this turn of the loop (one batch's fan-out) goes in one message.
      queueMicrotask(() => this.post());
    }
    const parts: number[] = [];
    for (const buf of buffers) {
      let i = job.index.get(buf);
      if (i === undefined) {
        i = job.buffers.push(buf) - 1;
        job.index.set(buf, i);
      }
      parts.push(i);
    }
    job.fds.push(fd);
    job.resets.push(reset ? 1 : 0);
    job.parts.push(parts);
    job.callbacks.push(cb);
  }

  private post(): void {
    const job = this.job!;
    this.job = undefined;
    if (this.closed) {
      for (const cb of job.callbacks) cb(closedError(), 0);
      return;
    }
    let size = 0;
    for (const b of job.buffers) size += b.length;
    // One copy of each distinct buffer per job (a batch's bytes once, not once per socket),
    // into memory the thread then owns.
    const data = new Uint8Array(size);
    const spans = new Float64Array(job.buffers.length * 2);
    let at = 0;
    job.buffers.forEach((b, i) => {
      data.set(b, at);
      spans[2 * i] = at;
      spans[2 * i + 1] = b.length;
      at += b.length;
    });
    const first = new Int32Array(job.fds.length + 1);
    const flat: number[] = [];
    job.parts.forEach((p, i) => {
      first[i] = flat.length;
      flat.push(...p);
    });
    first[job.fds.length] = flat.length;
    // Spans per socket, in order (a socket's parts may repeat a buffer).
    const perPart = new Float64Array(flat.length * 2);
    flat.forEach((b, k) => {
      perPart[2 * k] = spans[2 * b]!;
      perPart[2 * k + 1] = spans[2 * b + 1]!;
    });
    const id = this.nextId++;
    this.inFlight.set(id, job.callbacks);
    this.jobs++;
    const fds = Int32Array.from(job.fds);
    const resets = Uint8Array.from(job.resets);
    const msg = { id, data, spans: perPart, first, fds, resets };
    this.thread().postMessage(msg, [
      data.buffer,
      perPart.buffer,
      first.buffer,
      fds.buffer,
      resets.buffer,
    ]);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(THREAD_SOURCE, { eval: true, name: 'kubets-watch-writer' });
    // The thread never keeps the process alive; jobs in flight do not need to finish at exit.
    w.unref();
    w.on('message', (a: Answer) => this.answered(a));
    const lost = (err: Error): void => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failAll(err);
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(new Error(`watch write thread exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  private answered({ id, written, errors }: Answer): void {
    const callbacks = this.inFlight.get(id);
    if (!callbacks) return;
    this.inFlight.delete(id);
    const failed = new Map<number, NodeJS.ErrnoException>();
    for (const [i, code, message] of errors) {
      failed.set(i, Object.assign(new Error(message), { code }));
    }
    callbacks.forEach((cb, i) => {
      const err = failed.get(i);
      if (err) cb(err, 0);
      else cb(null, written[i]!);
    });
  }

  /** The thread is gone: every socket it was writing ends with the error (as a failed write). */
  private failAll(err: Error): void {
    const all = [...this.inFlight.values()];
    this.inFlight.clear();
    const e = Object.assign(err, { code: 'EIO' });
    for (const callbacks of all) for (const cb of callbacks) cb(e, 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
    this.failAll(closedError());
  }
}

/** `n` threads; a socket is always written by the same one (its fd picks it). */
export class WriteThreads {
  private readonly lanes: Lane[];

  constructor(n: number) {
    this.lanes = Array.from({ length: Math.max(1, n) }, () => new Lane());
  }

  /** One socket's writes always go to the same thread (its answers must stay in order). */
  readonly writev: OffloadWritev = (fd, buffers, reset, cb) =>
    this.lanes[fd % this.lanes.length]!.submit(fd, buffers, reset, cb);

  /** Messages posted to the threads so far. */
  get jobs(): number {
    return this.lanes.reduce((n, l) => n + l.jobs, 0);
  }

  /** Stops the threads; writes in flight or submitted later fail (their sockets are destroyed). */
  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.close()));
  }
}
