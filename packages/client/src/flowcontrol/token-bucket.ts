/**
 * A token bucket with golang.org/x/time/rate semantics, the algorithm behind client-go's
 * client-side QPS/burst limit, the workqueue's overall limiter and the event spam filter.
 * The bucket starts full; tokens refill continuously at `qps` up to `burst`. It is a pure value:
 * every method takes the current time, so it has no clock of its own.
 */

/** Tolerance for float drift in refills (1e-9 of a token): 0.1 s at 10 qps is exactly 1 token. */
const EPSILON = 1e-9;

export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param qps refill rate in tokens per second (> 0; `Infinity` never limits)
   * @param burst bucket size, an integer >= 1
   * @param nowMs the time the bucket is created (it starts full)
   */
  constructor(
    readonly qps: number,
    readonly burst: number,
    nowMs: number,
  ) {
    if (!(qps > 0)) throw new RangeError(`token bucket qps must be > 0, got ${qps}`);
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`token bucket burst must be an integer >= 1, got ${burst}`);
    }
    this.tokens = burst;
    this.last = nowMs;
  }

  private advance(nowMs: number): void {
    if (nowMs <= this.last) return;
    if (this.qps === Infinity) this.tokens = this.burst;
    else this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.qps);
    this.last = nowMs;
  }

  /** Tokens available at `nowMs` (negative while reservations are outstanding). */
  available(nowMs: number): number {
    this.advance(nowMs);
    return this.tokens;
  }

  /** Takes a token if one is available now (rate.Limiter.Allow). */
  tryTake(nowMs: number): boolean {
    if (this.qps === Infinity) return true;
    this.advance(nowMs);
    if (this.tokens >= 1 - EPSILON) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /**
   * Takes a token, possibly borrowing from the future, and returns how long the caller must wait
   * before using it (rate.Limiter.Reserve().Delay()). 0 when a token was available.
   */
  reserve(nowMs: number): number {
    if (this.qps === Infinity) return 0;
    this.advance(nowMs);
    this.tokens -= 1;
    if (this.tokens >= -EPSILON) return 0;
    return (-this.tokens / this.qps) * 1000;
  }

  /** Gives back a reserved token that will not be used (a cancelled wait). */
  unreserve(nowMs: number): void {
    if (this.qps === Infinity) return;
    this.advance(nowMs);
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }
}
