/**
 * Runs a slice encoder (StateMachineEncoder) across turns of the event loop: each turn encodes
 * for at most about `budgetMs`, hands the slice to whoever iterates (the snapshot file writer)
 * and then waits, so requests keep being served while a snapshot of a large store is taken
 * (decision 0047). The wait keeps the encoding to `share` of the wall time: a member that is
 * busy serving would otherwise give the encoding a slice at every turn, and all its requests
 * would slow down together for as long as the snapshot takes. Pure: the clock and the waiting
 * come from the scheduler.
 */

/** What encodeInSlices drives. */
export interface SliceEncoder {
  /** The next slice, encoding while `more()`; undefined when finished. */
  nextSlice(more: () => boolean): Uint8Array | undefined;
  /** Whether the last slice was returned (a small state fits in the first). */
  readonly finished: boolean;
  /** Stops early or after the end, releasing what the encoder holds. Idempotent. */
  close(): void;
}

export interface SliceScheduler {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds, and in a later turn of the event loop in any case
   * (production: setImmediate for 0, else setTimeout).
   */
  wait(ms: number): Promise<void>;
}

/** The slices of an encoding, in order, and a way to stop it. */
export interface SlicedEncoding extends AsyncIterable<Uint8Array> {
  /**
   * Stops the encoding: the iteration throws SnapshotAbortedError at its next slice (a writer
   * then discards its partial file). The encoder is closed at once.
   */
  abort(): void;
}

export interface SlicePacing {
  /** The time one turn spends encoding (default 4 ms: short next to a put's round trip). */
  readonly budgetMs?: number;
  /** The largest share of wall time the encoding takes, in (0, 1] (default 0.25). */
  readonly share?: number;
}

export const DEFAULT_SLICE_BUDGET_MS = 4;
export const DEFAULT_SLICE_SHARE = 0.25;

export class SnapshotAbortedError extends Error {
  constructor() {
    super('snapshot: encoding aborted');
    this.name = 'SnapshotAbortedError';
  }
}

export function encodeInSlices(
  encoder: SliceEncoder,
  scheduler: SliceScheduler,
  pacing: SlicePacing = {},
): SlicedEncoding {
  const budgetMs = pacing.budgetMs ?? DEFAULT_SLICE_BUDGET_MS;
  const share = pacing.share ?? DEFAULT_SLICE_SHARE;
  if (!(share > 0 && share <= 1)) throw new Error(`slice share ${share} is not in (0, 1]`);
  let aborted = false;
  let started = false;
  async function* slices(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        if (aborted) throw new SnapshotAbortedError();
        const sliceStart = scheduler.now();
        const deadline = sliceStart + budgetMs;
        const slice = encoder.nextSlice(() => scheduler.now() < deadline);
        if (slice === undefined) return;
        const spent = scheduler.now() - sliceStart;
        yield slice;
        // Only between slices: a state that fits in one slice is written without waiting for
        // the event loop (which a busy member may not reach for a while).
        if (encoder.finished) return;
        await scheduler.wait((spent * (1 - share)) / share);
      }
    } finally {
      encoder.close();
    }
  }
  return {
    [Symbol.asyncIterator]() {
      if (started) throw new Error('a sliced encoding can be iterated once');
      started = true;
      return slices();
    },
    abort() {
      aborted = true;
      encoder.close();
    },
  };
}

/** The production scheduler: performance.now, setImmediate and setTimeout. */
export const eventLoopScheduler: SliceScheduler = {
  now: () => performance.now(),
  wait: (ms) =>
    new Promise((resolve) => {
      if (ms < 1) setImmediate(resolve);
      else setTimeout(resolve, ms);
    }),
};
