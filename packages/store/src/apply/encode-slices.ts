/**
 * Runs a slice encoder (StateMachineEncoder) across turns of the event loop: each turn encodes
 * for at most about `budgetMs`, hands the slice to whoever iterates (the snapshot file writer)
 * and waits for a later turn, so requests keep being served while a snapshot of a large store
 * is taken (decision 0047). Pure: the clock and the turn come from the scheduler.
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
  /** Resolves in a later turn of the event loop (production: setImmediate). */
  nextTurn(): Promise<void>;
}

/** The slices of an encoding, in order, and a way to stop it. */
export interface SlicedEncoding extends AsyncIterable<Uint8Array> {
  /**
   * Stops the encoding: the iteration throws SnapshotAbortedError at its next slice (a writer
   * then discards its partial file). The encoder is closed at once.
   */
  abort(): void;
}

/** The default time one turn spends encoding: short next to a put's round trip. */
export const DEFAULT_SLICE_BUDGET_MS = 4;

export class SnapshotAbortedError extends Error {
  constructor() {
    super('snapshot: encoding aborted');
    this.name = 'SnapshotAbortedError';
  }
}

export function encodeInSlices(
  encoder: SliceEncoder,
  scheduler: SliceScheduler,
  budgetMs: number = DEFAULT_SLICE_BUDGET_MS,
): SlicedEncoding {
  let aborted = false;
  let started = false;
  async function* slices(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        if (aborted) throw new SnapshotAbortedError();
        const deadline = scheduler.now() + budgetMs;
        const slice = encoder.nextSlice(() => scheduler.now() < deadline);
        if (slice === undefined) return;
        yield slice;
        // The turn is yielded only between slices: a state that fits in one slice is written
        // without waiting for the event loop (which a busy member may not reach for a while).
        if (encoder.finished) return;
        await scheduler.nextTurn();
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

/** The production scheduler: performance.now and setImmediate. */
export const eventLoopScheduler: SliceScheduler = {
  now: () => performance.now(),
  nextTurn: () => new Promise((resolve) => setImmediate(resolve)),
};
