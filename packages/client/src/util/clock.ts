/**
 * Time as a dependency. Every loop in this package (reflector backoff, resync, workqueue delays,
 * leader election, event retries) reads the time and schedules wake-ups only through a
 * {@link Clock}, so tests can drive it with a fake clock and the real one lives in one place.
 */

/** A scheduled wake-up that can be cancelled. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `delayMs` (clamped to >= 0). */
  setTimer(fn: () => void, delayMs: number): Timer;
}

/** The process clock: `Date.now()` and `setTimeout`. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * Waits `ms` on `clock`. Resolves `true` when the time elapsed and `false` as soon as `signal`
 * aborts (never rejects), so loops can write `if (!(await sleep(...))) return;`.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const onAbort = (): void => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise that resolves when `signal` aborts (never, without a signal). */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise<void>(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * A child signal: aborts when the parent aborts or when `abort()` is called on the returned
 * controller. `dispose()` detaches from the parent so long-lived parents do not accumulate
 * listeners from short-lived children.
 */
export function childAbortController(parent: AbortSignal | undefined): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  if (!parent) return { controller, dispose: () => undefined };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose: () => undefined };
  }
  const onAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** The error thrown by operations cancelled through an AbortSignal. */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The operation was aborted', 'AbortError');
}

/** True for the errors AbortSignal-aware APIs throw on cancellation. */
export function isAbortError(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError'
  );
}
