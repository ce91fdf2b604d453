/**
 * The lean load generator's watchers: `watchers` etcd v3 watches of one prefix over `streams`
 * Watch streams (as the npm etcd3 client multiplexed each client's watchers onto one stream),
 * the streams spread round-robin over the members' endpoints, one connection per member. The
 * creations go out hand-encoded in one request body per stream; of each WatchResponse only the
 * watch id, created/canceled and the events' keys are read (etcd-wire.ts), and each key's
 * sequence number (the digits after the prefix) is read from its bytes, with no string made.
 *
 * A watch created elsewhere than expected, a canceled watch, an event for an unknown watch or a
 * key outside the prefix is a failure; so is the connection or a stream ending. Whether every
 * event reached every watcher exactly once is the caller's check (`onPut` per delivery).
 */
import { prefixRangeEnd, readWatchResponse, watchCreateFrame } from './etcd-wire.js';
import { LeanH2Streams } from './lean-h2-streams.js';

const WATCH = '/etcdserverpb.Watch/Watch';

export interface LeanWatchOptions {
  endpoints: readonly string[];
  prefix: string;
  watchers: number;
  streams: number;
  /** One delivery: watcher `watcher` (0 .. watchers - 1) got the put of key prefix + `seq`. */
  onPut(watcher: number, seq: number): void;
  /** A failure after the watches were created (the caller fails the run). */
  onError(err: Error): void;
}

export interface LeanWatchSet {
  close(): void;
  /**
   * WatchResponses with events received so far: against the events, how far the server
   * batched a watcher's events into one message (etcd does once a watcher falls behind).
   */
  eventMessages(): number;
}

/** Opens the watches; resolves once the server confirmed every one of them (created). */
export function startLeanWatchers(o: LeanWatchOptions): Promise<LeanWatchSet> {
  const prefix = Buffer.from(o.prefix);
  const create = watchCreateFrame(prefix, prefixRangeEnd(prefix));
  let toCreate = o.watchers;
  let ready: ((s: LeanWatchSet) => void) | undefined;
  let notReady: ((err: Error) => void) | undefined;
  const created = new Promise<LeanWatchSet>((resolve, reject) => {
    ready = resolve;
    notReady = reject;
  });
  let failed = false;
  const conns = o.endpoints.map((e) => new LeanH2Streams(e, (err) => failure(err)));
  let eventMessages = 0;
  const set: LeanWatchSet = {
    close: () => conns.forEach((c) => c.close()),
    eventMessages: () => eventMessages,
  };
  // A server that never confirms a creation would hang the benchmark instead of failing it.
  const creating = setTimeout(
    () => failure(new Error(`${toCreate} of ${o.watchers} watches not created in 30 s`)),
    30_000,
  );
  const failure = (err: Error): void => {
    if (failed) return;
    failed = true;
    clearTimeout(creating);
    set.close();
    if (toCreate > 0) notReady!(err);
    else o.onError(err);
  };
  // Sequence numbers of the keys of the response being read (filed under its watch id after).
  const seqs: number[] = [];
  const onKey = (buf: Buffer, start: number, end: number): void => {
    // The prefix compared byte by byte: Buffer.compare's native call cost more than the loop.
    let seq = start + prefix.length < end ? 0 : -1;
    for (let i = 0; i < prefix.length && seq === 0; i++) {
      if (buf[start + i] !== prefix[i]) seq = -1;
    }
    for (let pos = start + prefix.length; pos < end && seq >= 0; pos++) {
      const d = buf[pos]! - 0x30;
      seq = d >= 0 && d <= 9 ? seq * 10 + d : -1;
    }
    seqs.push(seq);
  };
  for (let s = 0; s < o.streams; s++) {
    // Watchers s, s + streams, s + 2 * streams ... on stream s, created in that order.
    const mine: number[] = [];
    for (let w = s; w < o.watchers; w += o.streams) mine.push(w);
    if (mine.length === 0) continue;
    /** watch id -> watcher; the server answers creations in order, each with its id. */
    const byId = new Map<number, number>();
    let confirmed = 0;
    conns[s % conns.length]!.open(WATCH, Buffer.concat(mine.map(() => create)), {
      onMessage: (msg) => {
        if (failed) return;
        seqs.length = 0;
        let head;
        try {
          head = readWatchResponse(msg, onKey);
        } catch (err) {
          return failure(err as Error);
        }
        if (head.canceled) return failure(new Error(`watch ${head.watchId} canceled`));
        if (head.created) {
          if (confirmed >= mine.length || byId.has(head.watchId))
            return failure(new Error(`unexpected creation of watch ${head.watchId}`));
          byId.set(head.watchId, mine[confirmed++]!);
          if (--toCreate === 0) {
            clearTimeout(creating);
            ready!(set);
          }
        }
        if (seqs.length === 0) return;
        eventMessages++;
        const watcher = byId.get(head.watchId);
        if (watcher === undefined)
          return failure(new Error(`events for unknown watch ${head.watchId}`));
        for (const seq of seqs) {
          if (seq < 0) return failure(new Error(`event key outside ${o.prefix}`));
          o.onPut(watcher, seq);
        }
      },
    });
  }
  return created;
}
