/**
 * One Kubernetes watch on top of an etcd watch, after k8s.io/apiserver/pkg/storage/etcd3/watcher.go:
 *
 * - resourceVersion unset or "0": the current state first, as synthetic ADDED events, then the
 *   changes after it; resourceVersion=N: only the changes after N;
 * - etcd PUT of a new key -> ADDED, PUT of an existing key -> MODIFIED, DELETE -> DELETED with the
 *   last state and the deletion revision as resourceVersion;
 * - with a filter, transitions count: an object that starts matching is ADDED, one that stops
 *   matching is DELETED, as upstream does so a filtered client's cache stays exact;
 * - a compacted start revision ends the watch with an ERROR event carrying 410 Expired
 *   ("too old resource version"), which makes informers re-list;
 * - BOOKMARK events (when allowed) once a minute and just before the deadline, carrying the
 *   newest revision the watch is known to be complete up to.
 */
import {
  newInternalError,
  newTooOldResourceVersion,
  parseResourceVersion,
  StatusError,
} from '@kubets/apimachinery';
import type { KeyValue__Output } from '../gen/etcd/types/mvccpb/KeyValue.js';
import type { RangeResponse__Output } from '../gen/etcd/types/etcdserverpb/RangeResponse.js';
import type { ApiObject } from './codec.js';
import type { EtcdClient } from './etcd/etcd-client.js';
import { prefixRangeEnd } from './etcd/endpoints.js';
import { WatchCompactedError, type EtcdEvent, type EtcdWatch } from './etcd/watch-mux.js';

export type StorageEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface StorageEvent {
  type: StorageEventType;
  /** The object; for ERROR a Status. */
  object: ApiObject;
}

export interface WatchSink {
  onEvent(event: StorageEvent): void;
  /**
   * Several events at once, in order (the watch cache's fan-out). The array is shared by every
   * watcher with the same selection and must not be mutated: a sink derives what it writes from
   * it once per batch (memoized on the array), not once per watcher. Sinks without it get
   * `onEvent` per event.
   */
  onEvents?(events: readonly StorageEvent[]): void;
  /** The watch ended (after an ERROR event, or because of an internal failure). */
  onClose(err?: Error): void;
  /** Bytes written but not yet sent to the client (the watch cache drops slow watchers). */
  pending?(): number;
}

export interface WatchOptions {
  /** '' or '0': start with the current state; 'N': changes after revision N. */
  resourceVersion?: string;
  /** Watch a single object. */
  name?: string;
  /** Selection; undefined selects everything. */
  predicate?: (obj: ApiObject) => boolean;
  /**
   * A text that is equal for two watches exactly when their predicates select the same objects
   * (the selectors' text). The watch cache filters and batches events once per distinct
   * selection; a predicate without a key is evaluated for its watcher alone.
   */
  selectionKey?: string;
  /** Emit BOOKMARK events built by `bookmark` (the watched kind with only a resourceVersion). */
  allowBookmarks?: boolean;
  bookmark?: (resourceVersion: string) => ApiObject;
  /** Epoch ms the watch ends (timeoutSeconds): a last bookmark is sent 2 s before. */
  deadline?: number;
  /** Bookmark heartbeat; default 60 s as upstream's cacher. */
  bookmarkIntervalMs?: number;
}

export interface StorageWatch {
  stop(): void;
}

export interface StorageWatcherParams {
  client: EtcdClient;
  key: string;
  recursive: boolean;
  options: WatchOptions;
  sink: WatchSink;
  decode: (kv: KeyValue__Output, revision: string) => ApiObject;
  listInitial: (key: Buffer, rangeEnd: Buffer) => Promise<RangeResponse__Output>;
}

/** What an etcd event becomes for a watcher with a filter (`undefined`: nothing). */
export function transformEvent(
  event: EtcdEvent,
  decode: (kv: KeyValue__Output, revision: string) => ApiObject,
  predicate: ((obj: ApiObject) => boolean) | undefined,
): StorageEvent | undefined {
  const kv = event.kv;
  if (!kv) return undefined;
  const revision = kv.mod_revision;
  if (event.type === 'DELETE') {
    // etcd sends the deleted key with the deletion revision; the object is the previous value.
    if (!event.prev_kv) return undefined;
    const old = decode({ ...event.prev_kv, key: kv.key }, revision);
    if (predicate && !predicate(old)) return undefined;
    return { type: 'DELETED', object: old };
  }
  const current = decode(kv, revision);
  const isCreate = kv.create_revision === kv.mod_revision || !event.prev_kv;
  const curMatches = !predicate || predicate(current);
  if (isCreate) return curMatches ? { type: 'ADDED', object: current } : undefined;
  if (!predicate) return { type: 'MODIFIED', object: current };
  const old = decode(event.prev_kv!, revision);
  const oldMatches = predicate(old);
  if (curMatches && oldMatches) return { type: 'MODIFIED', object: current };
  if (curMatches) return { type: 'ADDED', object: current };
  if (oldMatches) return { type: 'DELETED', object: old };
  return undefined;
}

/** When the next bookmark is due (cacher's nextBookmarkTime). */
export function nextBookmarkTime(now: number, intervalMs: number, deadline?: number): number {
  const heartbeat = now + intervalMs;
  if (deadline === undefined) return heartbeat;
  const pretimeout = deadline - 2_000;
  return pretimeout < heartbeat ? Math.max(pretimeout, now) : heartbeat;
}

export class StorageWatcher implements StorageWatch {
  private etcdWatch: EtcdWatch | undefined;
  private stopped = false;
  /** The watch is complete up to this revision (bookmarks report it). */
  private knownRevision = 0n;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private readonly requestedRevision: bigint;

  constructor(private readonly p: StorageWatcherParams) {
    this.requestedRevision = parseResourceVersion(p.options.resourceVersion);
    void this.start().catch((err: unknown) => this.fail(err));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.bookmarkTimer) clearTimeout(this.bookmarkTimer);
    this.etcdWatch?.cancel();
  }

  private async start(): Promise<void> {
    const key = Buffer.from(this.p.key);
    const rangeEnd = this.p.recursive ? prefixRangeEnd(key) : undefined;
    let startRevision: bigint;
    if (this.requestedRevision === 0n) {
      // Initial state as ADDED events, then changes after that snapshot.
      const resp = await this.p.listInitial(key, rangeEnd ?? Buffer.alloc(0));
      if (this.stopped) return;
      const revision = BigInt(resp.header?.revision ?? '0');
      for (const kv of resp.kvs) {
        const obj = this.p.decode(kv, kv.mod_revision);
        if (this.p.options.predicate && !this.p.options.predicate(obj)) continue;
        this.p.sink.onEvent({ type: 'ADDED', object: obj });
      }
      this.knownRevision = revision;
      startRevision = revision + 1n;
    } else {
      this.knownRevision = this.requestedRevision;
      startRevision = this.requestedRevision + 1n;
    }
    if (this.stopped) return;
    this.etcdWatch = this.p.client.watches.watch(
      {
        key,
        rangeEnd,
        startRevision,
        prevKv: true,
        progressNotify: this.p.options.allowBookmarks === true,
      },
      {
        onEvents: (events) => this.onEvents(events),
        onProgress: (revision) => {
          if (revision > this.knownRevision) this.knownRevision = revision;
        },
        onError: (err) => this.fail(err),
      },
    );
    this.scheduleBookmark();
  }

  private onEvents(events: EtcdEvent[]): void {
    if (this.stopped) return;
    for (const e of events) {
      let out: StorageEvent | undefined;
      try {
        out = transformEvent(e, this.p.decode, this.p.options.predicate);
      } catch (err) {
        this.fail(err);
        return;
      }
      const revision = BigInt(e.kv?.mod_revision ?? '0');
      if (revision > this.knownRevision) this.knownRevision = revision;
      if (out) this.p.sink.onEvent(out);
      if (this.stopped) return;
    }
  }

  private scheduleBookmark(): void {
    if (!this.p.options.allowBookmarks || !this.p.options.bookmark || this.stopped) return;
    const now = Date.now();
    const at = nextBookmarkTime(
      now,
      this.p.options.bookmarkIntervalMs ?? 60_000,
      this.p.options.deadline,
    );
    if (this.p.options.deadline !== undefined && at >= this.p.options.deadline) return;
    this.bookmarkTimer = setTimeout(
      () => {
        this.bookmarkTimer = undefined;
        if (this.stopped) return;
        this.p.sink.onEvent({
          type: 'BOOKMARK',
          object: this.p.options.bookmark!(this.knownRevision.toString()),
        });
        // The pre-deadline bookmark is the last one.
        if (this.p.options.deadline === undefined || Date.now() < this.p.options.deadline - 2_000) {
          this.scheduleBookmark();
        }
      },
      Math.max(0, at - now),
    );
    this.bookmarkTimer.unref();
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    let status: StatusError;
    if (err instanceof WatchCompactedError) {
      status = newTooOldResourceVersion(this.requestedRevision, err.compactRevision);
    } else if (err instanceof StatusError) {
      status = err;
    } else {
      status = newInternalError(err instanceof Error ? err : String(err));
    }
    this.p.sink.onEvent({ type: 'ERROR', object: status.toJSON() as unknown as ApiObject });
    this.stop();
    this.p.sink.onClose(err instanceof Error ? err : new Error(String(err)));
  }
}
