/**
 * The watch wire format: a 200 chunked response, headers flushed at once (client-go's Watch()
 * blocks until it sees them), then one JSON object per line `{"type":...,"object":...}`. The
 * stream ends after `timeoutSeconds`, when the client goes away (`res` 'close', not `req`),
 * after an ERROR event, or when a slow client lets too much output pile up.
 */
import type { ServerResponse } from 'node:http';
import type { StorageEvent, StorageWatch } from '../storage/watcher.js';
import type { TableDefinition } from '../registry/definition.js';
import type { ResponseForm } from './negotiation.js';
import { objectToTable, partialObjectMetadata, type IncludeObject } from './table.js';

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
  start: (sink: { onEvent(e: StorageEvent): void; onClose(err?: Error): void }) => StorageWatch;
  onEventSent?: (type: string) => void;
  onFinished?: () => void;
  maxBufferedBytes?: number;
}

export function serveWatch(o: WatchStreamOptions): void {
  const { res } = o;
  let finished = false;
  let firstTableEvent = true;
  // Filled in below; finish() may run before either exists.
  const live: { watch?: StorageWatch; timer?: NodeJS.Timeout } = {};
  const limit = o.maxBufferedBytes ?? MAX_WATCH_BUFFER_BYTES;

  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(live.timer);
    live.watch?.stop();
    if (!res.writableEnded) res.end();
    o.onFinished?.();
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
    onEvent: (e) => {
      if (finished) return;
      res.write(`${JSON.stringify({ type: e.type, object: encode(e) })}\n`);
      o.onEventSent?.(e.type);
      if (res.writableLength > limit) finish();
    },
    onClose: () => finish(),
  });
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  if (finished) return;
  live.timer = setTimeout(finish, o.timeoutMs);
  res.on('close', finish);
  res.on('error', finish);
}
