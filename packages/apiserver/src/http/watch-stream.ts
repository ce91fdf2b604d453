/**
 * The watch wire format: a 200 chunked response, headers flushed at once (client-go's Watch()
 * blocks until it sees them), then one JSON object per line `{"type":...,"object":...}`. The
 * stream ends after `timeoutSeconds`, when the client goes away (`res` 'close', not `req`),
 * after an ERROR event, or when a slow client lets too much output pile up.
 */
import type { ServerResponse } from 'node:http';
import { memoized } from '../storage/shared.js';
import type { StorageEvent, StorageWatch, WatchSink } from '../storage/watcher.js';
import type { TableDefinition } from '../registry/definition.js';
import type { ResponseForm } from './negotiation.js';
import { offloadWriterFor, type OffloadWriter, type OffloadWritev } from './offload-writer.js';
import { objectToTable, partialObjectMetadata, type IncludeObject } from './table.js';
import { protobufWatchFrame, PROTOBUF_WATCH_CONTENT_TYPE } from './protobuf.js';

/** Output that may wait in memory for a slow watcher before it is dropped (upstream closes too). */
export const MAX_WATCH_BUFFER_BYTES = 16 * 1024 * 1024;

export interface WatchStreamOptions {
  res: ServerResponse;
  form: ResponseForm;
  table?: TableDefinition;
  includeObject: IncludeObject;
  timeoutMs: number;
  now: () => number;
  /** Starts the storage watch with the sink that writes to the response. */
  start: (sink: WatchSink) => StorageWatch;
  /**
   * The events of one write, by their encoded sizes in bytes (metrics per write, not per event).
   * A batch shared by many watchers passes the same array to each of them.
   */
  onEventsSent?: (sizes: readonly number[]) => void;
  onFinished?: () => void;
  maxBufferedBytes?: number;
  /**
   * Writes a plain-TCP chunked response's bytes off the event loop with this (the server's
   * write threads, write-threads.ts) through an OffloadWriter. Unset: the response's stream
   * writes them, on the loop.
   */
  offloadWritev?: OffloadWritev;
}

const LINE_KEYS: Record<string, string> = {
  ADDED: 'line:ADDED',
  MODIFIED: 'line:MODIFIED',
  DELETED: 'line:DELETED',
};

/**
 * The last batch joined for a write. Watchers fed the same events in one turn hold the same
 * (memoized) line buffers in the same order, and their flushes run one after another: they share
 * one concatenation instead of each copying the batch.
 */
let lastBatch: { parts: Buffer[]; joined: Buffer } | undefined;

function joinBatch(parts: Buffer[]): Buffer {
  if (parts.length === 1) return parts[0]!;
  const last = lastBatch;
  if (last?.parts.length === parts.length && last.parts.every((b, i) => b === parts[i])) {
    return last.joined;
  }
  const joined = Buffer.concat(parts);
  lastBatch = { parts, joined };
  return joined;
}

/**
 * Watch output is written every FLUSH_INTERVAL_MS rather than every turn of the event loop: with
 * a thousand watchers a write per watcher per event (one syscall each) was the server's largest
 * cost; a few milliseconds of coalescing turns several events into one write. One timer serves
 * every stream.
 */
const FLUSH_INTERVAL_MS = 5;
const dueFlushes = new Set<() => void>();
let flushTimer: NodeJS.Timeout | undefined;

function scheduleFlush(flush: () => void): void {
  dueFlushes.add(flush);
  flushTimer ??= setTimeout(() => {
    flushTimer = undefined;
    const due = [...dueFlushes];
    dueFlushes.clear();
    for (const f of due) f();
  }, FLUSH_INTERVAL_MS);
}

/**
 * The bytes of a batch of events shared by many watchers (see WatchSink.onEvents): the lines
 * joined, and the same bytes framed as one HTTP/1.1 chunk (`<hex size>CRLF<lines>CRLF`), so each
 * watcher's write is a single socket write of a shared buffer.
 */
interface FramedBatch {
  /** The whole chunk, framing included. */
  chunk: Buffer;
  /** The lines alone (a view into `chunk`). */
  lines: Buffer;
  /** Encoded size of each event (metrics). */
  sizes: number[];
}

function frameBatch(lines: Buffer[]): FramedBatch {
  let size = 0;
  const sizes: number[] = [];
  for (const l of lines) {
    size += l.length;
    sizes.push(l.length);
  }
  const head = Buffer.from(`${size.toString(16)}\r\n`, 'latin1');
  const chunk = Buffer.allocUnsafe(head.length + size + 2);
  head.copy(chunk, 0);
  let at = head.length;
  for (const l of lines) at += l.copy(chunk, at);
  chunk[at] = 0x0d;
  chunk[at + 1] = 0x0a;
  return { chunk, lines: chunk.subarray(head.length, head.length + size), sizes };
}

/** The last batch framed (watchers of one group are served one after another). */
let lastFramed: { events: readonly StorageEvent[]; key: string; batch: FramedBatch } | undefined;

export function serveWatch(o: WatchStreamOptions): void {
  const { res } = o;
  let finished = false;
  let firstTableEvent = true;
  // Filled in below; finish() may run before either exists.
  const live: { watch?: StorageWatch; timer?: NodeJS.Timeout } = {};
  const limit = o.maxBufferedBytes ?? MAX_WATCH_BUFFER_BYTES;
  /**
   * The off-loop writer, when this response uses one (chosen once the headers are out). Then
   * every byte of the response after the headers goes through it, framed here, and `res.end`
   * waits until it is idle: nothing may pass a write in flight.
   */
  let writer: OffloadWriter | undefined;
  const buffered = (): number => res.writableLength + (writer?.pendingBytes ?? 0);

  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(live.timer);
    live.watch?.stop();
    if (!res.writableEnded) {
      if (writer) writer.whenIdle(() => res.writableEnded || res.end());
      else res.end();
    }
    o.onFinished?.();
  };

  /**
   * The encoded line of an event. JSON and metadata-only lines of shared objects are encoded once
   * for all watchers (the object plus the event type decide the bytes); tables are per watcher.
   */
  const line = (e: StorageEvent): Buffer => {
    const form = o.form;
    // Protobuf: a length-prefixed frame per event, shared by every protobuf watcher of the object.
    if (form.kind === 'protobuf') return protobufWatchFrame(e.type, e.object);
    if (e.type !== 'ERROR' && e.type !== 'BOOKMARK' && form.kind !== 'table') {
      const key =
        form.kind === 'partial' ? `line:${e.type}:partial:${form.version}` : LINE_KEYS[e.type]!;
      return memoized(e.object, key, () =>
        Buffer.from(`${JSON.stringify({ type: e.type, object: encode(e) })}\n`),
      );
    }
    return Buffer.from(`${JSON.stringify({ type: e.type, object: encode(e) })}\n`);
  };

  // Events of one flush interval leave in one write (one HTTP chunk) per watcher.
  let queued: Buffer[] = [];
  let queuedBytes = 0;
  const flush = (): void => {
    const bufs = queued;
    queued = [];
    queuedBytes = 0;
    if (bufs.length > 0) o.onEventsSent?.(bufs.map((b) => b.length));
    if (finished || bufs.length === 0) return;
    if (writer) writer.write(frameBatch(bufs).chunk);
    else res.write(joinBatch(bufs));
    if (buffered() > limit) finish();
  };

  /** The key under which a batch's bytes are shared: the form decides them (not tables). */
  const batchKey =
    o.form.kind === 'table'
      ? undefined
      : o.form.kind === 'partial'
        ? `chunk:partial:${o.form.version}`
        : o.form.kind === 'protobuf'
          ? 'chunk:protobuf'
          : 'chunk:object';

  const framed = (events: readonly StorageEvent[], key: string): FramedBatch => {
    const last = lastFramed;
    if (last?.events === events && last.key === key) return last.batch;
    const batch = memoized(events, key, () => frameBatch(events.map(line)));
    lastFramed = { events, key, batch };
    return batch;
  };

  /**
   * One write per batch. When nothing of this response waits in Node's own buffer (headers and
   * earlier chunks are on the socket), the shared pre-framed chunk goes straight to the socket:
   * one socket write, no per-watcher framing or copying. Otherwise (and without chunked
   * encoding) the response frames it as usual.
   */
  const writeBatch = (events: readonly StorageEvent[]): void => {
    if (finished || events.length === 0) return;
    if (batchKey === undefined) {
      for (const e of events) onEvent(e);
      return;
    }
    const batch = framed(events, batchKey);
    o.onEventsSent?.(batch.sizes);
    if (queued.length > 0) {
      // Earlier single events still wait: they go first, in the same write.
      const singles = queued;
      queued = [];
      queuedBytes = 0;
      o.onEventsSent?.(singles.map((b) => b.length));
      if (writer) writer.write(frameBatch([...singles, batch.lines]).chunk);
      else res.write(Buffer.concat([...singles, batch.lines]));
      if (buffered() > limit) finish();
      return;
    }
    const socket = res.socket;
    if (writer) {
      writer.write(batch.chunk);
    } else if (
      socket &&
      res.chunkedEncoding &&
      !socket.destroyed &&
      res.writableLength === socket.writableLength
    ) {
      socket.write(batch.chunk);
    } else {
      res.write(batch.lines);
    }
    if (buffered() > limit) finish();
  };

  const onEvent = (e: StorageEvent): void => {
    if (finished) return;
    const bytes = line(e);
    if (queued.length === 0) scheduleFlush(flush);
    queued.push(bytes);
    queuedBytes += bytes.length;
  };

  const encode = (e: StorageEvent): unknown => {
    if (e.type === 'ERROR' || e.type === 'BOOKMARK') return e.object;
    if (o.form.kind === 'table' && o.table) {
      const t = objectToTable(
        e.object,
        o.table,
        o.includeObject,
        o.now(),
        o.form.version,
        firstTableEvent,
      );
      firstTableEvent = false;
      return t;
    }
    if (o.form.kind === 'partial') return partialObjectMetadata(e.object, o.form.version);
    return e.object;
  };

  // Validation errors (bad selectors) throw here, before any byte is written.
  live.watch = o.start({
    onEvent,
    onEvents: writeBatch,
    onClose: () => {
      flush();
      finish();
    },
    pending: () => buffered() + queuedBytes,
  });
  res.writeHead(200, {
    'Content-Type': o.form.kind === 'protobuf' ? PROTOBUF_WATCH_CONTENT_TYPE : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  if (finished) return;
  // Headers are in the socket's stream (or the kernel); the response's own buffer is empty
  // unless it waits behind another response on the connection, which keeps the stream path.
  const socket = res.socket;
  if (
    o.offloadWritev &&
    socket &&
    res.chunkedEncoding &&
    res.writableLength === socket.writableLength
  ) {
    writer = offloadWriterFor(socket, o.offloadWritev);
  }
  live.timer = setTimeout(finish, o.timeoutMs);
  res.on('close', finish);
  res.on('error', finish);
}
