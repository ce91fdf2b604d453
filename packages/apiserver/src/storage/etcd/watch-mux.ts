/**
 * Many etcd watches over one bidirectional `etcdserverpb.Watch/Watch` stream, as etcd's clientv3
 * does. Creates are sent one at a time because etcd assigns watch ids and answers creates in
 * order; the `created` response is matched to the oldest outstanding create.
 *
 * When the stream breaks (member restart, network), every live watch is re-created on a new
 * stream (the client rotates endpoints) from the revision after the last one it delivered, so no
 * event is lost or repeated. A watch whose next revision was compacted meanwhile ends with
 * WatchCompactedError, which the API layer reports as 410 Gone.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { WatchRequest } from '../../gen/etcd/types/etcdserverpb/WatchRequest.js';
import type { WatchResponse__Output } from '../../gen/etcd/types/etcdserverpb/WatchResponse.js';
import type { Event__Output } from '../../gen/etcd/types/mvccpb/Event.js';

export type EtcdEvent = Event__Output;

export interface EtcdWatchOptions {
  key: Buffer;
  /** Exclusive end of the watched range; absent for a single key. */
  rangeEnd?: Buffer;
  /** First revision to deliver; 0 means "changes after now". */
  startRevision: bigint;
  /** Ask etcd to attach the previous value to each event (needed for DELETE and filtering). */
  prevKv?: boolean;
  /** Periodic empty responses carrying the store revision (etcd's progress notifications). */
  progressNotify?: boolean;
}

export interface EtcdWatchHandler {
  /** The watch is established; `revision` is the store revision at creation. */
  onCreated?(revision: bigint): void;
  /** A batch of events, in revision order; `revision` is the response header revision. */
  onEvents(events: EtcdEvent[], revision: bigint): void;
  /** A progress notification: every change up to `revision` has been delivered. */
  onProgress?(revision: bigint): void;
  /** The watch ended for good (compaction, cancellation by the server, client closed). */
  onError(err: Error): void;
}

export interface EtcdWatch {
  /** Stops the watch; no callback runs afterwards. */
  cancel(): void;
}

/** The requested start revision was compacted: the caller must re-list. */
export class WatchCompactedError extends Error {
  constructor(
    readonly requestedRevision: bigint,
    readonly compactRevision: bigint,
  ) {
    super(
      `etcd watch: required revision ${requestedRevision} has been compacted (compacted at ${compactRevision})`,
    );
    this.name = 'WatchCompactedError';
  }
}

type WatchStream = ClientDuplexStream<WatchRequest, WatchResponse__Output>;

interface WatcherState {
  options: EtcdWatchOptions;
  handler: EtcdWatchHandler;
  /** Revision to (re)start from; 0 until the first creation when the caller asked for "now". */
  nextRevision: bigint;
  serverId: string | undefined;
  cancelled: boolean;
  /** onCreated was delivered (it is not repeated when the watch is re-created). */
  announced: boolean;
}

export interface WatchMuxOptions {
  openStream: () => { stream: WatchStream; endpoint: string };
  /** Called when a stream fails, before reconnecting (the client moves to another member). */
  onStreamFailed: (err: Error) => void;
  retryBackoffMs: number;
}

export class WatchMux {
  private stream: WatchStream | undefined;
  private readonly live = new Set<WatcherState>();
  private readonly byServerId = new Map<string, WatcherState>();
  private queue: WatcherState[] = [];
  private inFlight: WatcherState | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;

  constructor(private readonly options: WatchMuxOptions) {
    this.backoffMs = options.retryBackoffMs;
  }

  /** Number of active watches (for tests and metrics). */
  get size(): number {
    return this.live.size;
  }

  watch(options: EtcdWatchOptions, handler: EtcdWatchHandler): EtcdWatch {
    const state: WatcherState = {
      options,
      handler,
      nextRevision: options.startRevision,
      serverId: undefined,
      cancelled: false,
      announced: false,
    };
    if (this.closed) {
      queueMicrotask(() => handler.onError(new Error('etcd client is closed')));
      return { cancel: () => undefined };
    }
    this.live.add(state);
    this.queue.push(state);
    this.ensureStream();
    this.pump();
    return { cancel: () => this.cancel(state) };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    for (const w of this.live) {
      w.cancelled = true;
      w.handler.onError(new Error('etcd client is closed'));
    }
    this.live.clear();
    this.byServerId.clear();
    this.queue = [];
    this.inFlight = undefined;
  }

  private cancel(w: WatcherState): void {
    if (w.cancelled) return;
    w.cancelled = true;
    this.live.delete(w);
    this.queue = this.queue.filter((q) => q !== w);
    if (w.serverId !== undefined) {
      this.byServerId.delete(w.serverId);
      this.stream?.write({ cancel_request: { watch_id: w.serverId } });
    }
    // An in-flight create is cancelled when its `created` response arrives.
  }

  private ensureStream(): void {
    if (this.stream || this.closed || this.reconnectTimer) return;
    const { stream } = this.options.openStream();
    this.stream = stream;
    stream.on('data', (resp: WatchResponse__Output) => this.onResponse(stream, resp));
    stream.on('error', (err: Error) => this.onStreamEnd(stream, err));
    stream.on('end', () => this.onStreamEnd(stream, new Error('etcd watch stream ended')));
  }

  private pump(): void {
    const stream = this.stream;
    if (!stream || this.inFlight) return;
    const next = this.queue.shift();
    if (!next) return;
    this.inFlight = next;
    stream.write({
      create_request: {
        key: next.options.key,
        range_end: next.options.rangeEnd ?? Buffer.alloc(0),
        start_revision: next.nextRevision.toString(),
        prev_kv: next.options.prevKv ?? false,
        progress_notify: next.options.progressNotify ?? false,
      },
    });
  }

  private onResponse(stream: WatchStream, resp: WatchResponse__Output): void {
    if (stream !== this.stream) return;
    this.backoffMs = this.options.retryBackoffMs;
    const headerRevision = BigInt(resp.header?.revision ?? '0');
    if (resp.created) {
      const w = this.inFlight;
      this.inFlight = undefined;
      if (w) this.onCreated(stream, w, resp, headerRevision);
      this.pump();
      return;
    }
    const w = this.byServerId.get(resp.watch_id);
    if (!w) return; // A watch we already cancelled.
    if (resp.compact_revision !== '0' && resp.compact_revision !== '') {
      this.finish(w, new WatchCompactedError(w.nextRevision, BigInt(resp.compact_revision)));
      return;
    }
    if (resp.canceled) {
      this.finish(
        w,
        new Error(`etcd watch cancelled by the server: ${resp.cancel_reason || 'no reason given'}`),
      );
      return;
    }
    if (resp.events.length > 0) {
      const last = resp.events[resp.events.length - 1]!;
      w.nextRevision = BigInt(last.kv?.mod_revision ?? '0') + 1n;
      w.handler.onEvents(resp.events, headerRevision);
    } else {
      if (headerRevision + 1n > w.nextRevision) w.nextRevision = headerRevision + 1n;
      w.handler.onProgress?.(headerRevision);
    }
  }

  private onCreated(
    stream: WatchStream,
    w: WatcherState,
    resp: WatchResponse__Output,
    headerRevision: bigint,
  ): void {
    if (w.cancelled) {
      stream.write({ cancel_request: { watch_id: resp.watch_id } });
      return;
    }
    if (resp.canceled || (resp.compact_revision !== '0' && resp.compact_revision !== '')) {
      const compact = BigInt(resp.compact_revision || '0');
      this.finish(
        w,
        compact > 0n
          ? new WatchCompactedError(w.nextRevision, compact)
          : new Error(`etcd refused the watch: ${resp.cancel_reason || 'no reason given'}`),
      );
      return;
    }
    w.serverId = resp.watch_id;
    this.byServerId.set(resp.watch_id, w);
    if (w.nextRevision === 0n) w.nextRevision = headerRevision + 1n;
    if (!w.announced) {
      w.announced = true;
      w.handler.onCreated?.(headerRevision);
    }
  }

  private finish(w: WatcherState, err: Error): void {
    if (w.serverId !== undefined) this.byServerId.delete(w.serverId);
    this.live.delete(w);
    if (w.cancelled) return;
    w.cancelled = true;
    w.handler.onError(err);
  }

  private onStreamEnd(stream: WatchStream, err: Error): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    stream.removeAllListeners('data');
    // Swallow the late 'error' that follows cancel().
    stream.on('error', () => undefined);
    stream.cancel();
    if (this.closed) return;
    // Re-create every live watch, oldest first, from where it stopped.
    this.byServerId.clear();
    this.inFlight = undefined;
    this.queue = [...this.live];
    for (const w of this.queue) w.serverId = undefined;
    this.options.onStreamFailed(err);
    if (this.live.size === 0) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.ensureStream();
      this.pump();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 2_000);
  }
}
