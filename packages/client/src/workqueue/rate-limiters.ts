/**
 * workqueue rate limiters: how long an item waits before it is retried. The default controller
 * limiter is the maximum of a per-item exponential backoff (5 ms doubling to 1000 s: a broken
 * object is retried less and less) and an overall token bucket (10 qps, burst 100: a mass failure
 * cannot turn into a retry storm), exactly as client-go's DefaultTypedControllerRateLimiter.
 */
import { TokenBucket } from '../flowcontrol/token-bucket.js';
import { realClock, type Clock } from '../util/clock.js';

export interface RateLimiter<T> {
  /** How long to wait before `item` is processed again; records a failure. */
  when(item: T): number;
  /** Stops tracking `item` (it succeeded); its backoff starts over next time. */
  forget(item: T): void;
  /** Failures recorded for `item` since it was last forgotten. */
  numRequeues(item: T): number;
}

/** base * 2^failures, capped at max (ItemExponentialFailureRateLimiter). */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();

  constructor(
    readonly baseDelayMs: number,
    readonly maxDelayMs: number,
  ) {
    if (!(baseDelayMs > 0)) throw new RangeError(`baseDelayMs must be > 0, got ${baseDelayMs}`);
    if (!(maxDelayMs >= baseDelayMs)) {
      throw new RangeError(`maxDelayMs (${maxDelayMs}) must be >= baseDelayMs (${baseDelayMs})`);
    }
  }

  when(item: T): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    // 2^exp overflows to Infinity past 1023; the cap takes over long before.
    const backoff = this.baseDelayMs * 2 ** exp;
    return backoff > this.maxDelayMs || !Number.isFinite(backoff) ? this.maxDelayMs : backoff;
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/** `fastDelay` for the first `maxFastAttempts` failures, then `slowDelay`. */
export class ItemFastSlowRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();

  constructor(
    readonly fastDelayMs: number,
    readonly slowDelayMs: number,
    readonly maxFastAttempts: number,
  ) {}

  when(item: T): number {
    const n = (this.failures.get(item) ?? 0) + 1;
    this.failures.set(item, n);
    return n <= this.maxFastAttempts ? this.fastDelayMs : this.slowDelayMs;
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/** An overall token bucket: every retry, of any item, takes a token (BucketRateLimiter). */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private readonly bucket: TokenBucket;

  constructor(
    qps: number,
    burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.bucket = new TokenBucket(qps, burst, clock.now());
  }

  when(_item: T): number {
    return this.bucket.reserve(this.clock.now());
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The longest delay of several limiters (MaxOfRateLimiter). */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: readonly RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    if (limiters.length === 0) throw new Error('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(item: T): number {
    let max = 0;
    // Every limiter must record the failure, so do not stop at the first large answer.
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

export const DEFAULT_ITEM_BASE_DELAY_MS = 5;
export const DEFAULT_ITEM_MAX_DELAY_MS = 1000 * 1000;
export const DEFAULT_BUCKET_QPS = 10;
export const DEFAULT_BUCKET_BURST = 100;

/** workqueue.DefaultTypedControllerRateLimiter. */
export function defaultControllerRateLimiter<T>(clock: Clock = realClock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialFailureRateLimiter<T>(DEFAULT_ITEM_BASE_DELAY_MS, DEFAULT_ITEM_MAX_DELAY_MS),
    new BucketRateLimiter<T>(DEFAULT_BUCKET_QPS, DEFAULT_BUCKET_BURST, clock),
  );
}
