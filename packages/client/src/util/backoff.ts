/**
 * Exponential backoff as upstream's `wait.Backoff` and `wait.ExponentialBackoffManager`:
 * delays grow by `factor` up to `cap`, each one stretched by a random jitter so that clients that
 * failed together do not retry together. Randomness is injected.
 */
import type { Clock } from './clock.js';

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** wait.Jitter: `duration + random * maxFactor * duration` (maxFactor <= 0 means 1). */
export function jitter(durationMs: number, maxFactor: number, random: Random): number {
  const factor = maxFactor <= 0 ? 1 : maxFactor;
  return durationMs + random() * factor * durationMs;
}

export interface BackoffOptions {
  /** The first delay. */
  initialMs: number;
  /** The largest un-jittered delay. */
  capMs: number;
  /** Growth per step (>= 1). */
  factor: number;
  /** Extra random fraction added to each delay (0 = none). */
  jitter: number;
}

function validateBackoff(o: BackoffOptions): void {
  if (!(o.initialMs >= 0) || !Number.isFinite(o.initialMs)) {
    throw new RangeError(`backoff initialMs must be a finite number >= 0, got ${o.initialMs}`);
  }
  if (!(o.capMs >= o.initialMs)) {
    throw new RangeError(`backoff capMs (${o.capMs}) must be >= initialMs (${o.initialMs})`);
  }
  if (!(o.factor >= 1)) throw new RangeError(`backoff factor must be >= 1, got ${o.factor}`);
  if (!(o.jitter >= 0)) throw new RangeError(`backoff jitter must be >= 0, got ${o.jitter}`);
}

/** Successive delays of one retry sequence (wait.Backoff.Step). */
export class ExponentialBackoff {
  private current: number;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: Random,
  ) {
    validateBackoff(options);
    this.current = options.initialMs;
  }

  /** The next delay; the un-jittered value doubles (by `factor`) up to the cap. */
  next(): number {
    const d = this.current;
    this.current = Math.min(this.options.capMs, this.current * this.options.factor);
    return this.options.jitter > 0 ? jitter(d, this.options.jitter, this.random) : d;
  }

  reset(): void {
    this.current = this.options.initialMs;
  }
}

export interface BackoffManagerOptions extends BackoffOptions {
  /** After this long without a backoff request, the next one starts again from `initialMs`. */
  resetMs: number;
}

/**
 * wait.ExponentialBackoffManager: a long-running loop's backoff that forgets past failures once
 * the loop has been healthy for `resetMs`. The reflector uses 800 ms .. 30 s, factor 2, jitter 1,
 * reset after 2 min.
 */
export class BackoffManager {
  private readonly backoff: ExponentialBackoff;
  private lastBackoffStart: number | undefined;

  constructor(
    private readonly options: BackoffManagerOptions,
    private readonly clock: Clock,
    random: Random,
  ) {
    if (!(options.resetMs > 0)) throw new RangeError(`resetMs must be > 0, got ${options.resetMs}`);
    this.backoff = new ExponentialBackoff(options, random);
  }

  /** The delay to wait now. */
  next(): number {
    const now = this.clock.now();
    if (this.lastBackoffStart === undefined || now - this.lastBackoffStart > this.options.resetMs) {
      this.backoff.reset();
    }
    this.lastBackoffStart = now;
    return this.backoff.next();
  }
}

/** The reflector's defaults (client-go tools/cache/reflector.go). */
export const REFLECTOR_BACKOFF: BackoffManagerOptions = {
  initialMs: 800,
  capMs: 30_000,
  resetMs: 120_000,
  factor: 2,
  jitter: 1,
};
