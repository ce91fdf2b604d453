/**
 * Client-side request throttling (client-go util/flowcontrol): every request of a client takes a
 * token first, so a misbehaving controller cannot flood the API server. Defaults match client-go
 * (5 QPS, burst 10); kubets components set their own from `--kube-api-qps` / `--kube-api-burst`.
 */
import { abortError, realClock, sleep, type Clock } from '../util/clock.js';
import { TokenBucket } from './token-bucket.js';

export interface RequestRateLimiter {
  /** Takes a token if one is available right now. */
  tryAccept(): boolean;
  /** Waits for a token; rejects with the signal's reason if aborted first (the token is returned). */
  accept(signal?: AbortSignal): Promise<void>;
  readonly qps: number;
}

export const DEFAULT_CLIENT_QPS = 5;
export const DEFAULT_CLIENT_BURST = 10;

export interface TokenBucketRateLimiterOptions {
  qps: number;
  burst: number;
  clock?: Clock;
}

/** flowcontrol.NewTokenBucketRateLimiterWithClock. */
export class TokenBucketRateLimiter implements RequestRateLimiter {
  readonly qps: number;
  private readonly bucket: TokenBucket;
  private readonly clock: Clock;

  constructor(options: TokenBucketRateLimiterOptions) {
    this.clock = options.clock ?? realClock;
    this.qps = options.qps;
    this.bucket = new TokenBucket(options.qps, options.burst, this.clock.now());
  }

  tryAccept(): boolean {
    return this.bucket.tryTake(this.clock.now());
  }

  async accept(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    const delay = this.bucket.reserve(this.clock.now());
    if (delay <= 0) return;
    if (!(await sleep(this.clock, delay, signal))) {
      this.bucket.unreserve(this.clock.now());
      throw abortError(signal);
    }
  }
}

/** flowcontrol.NewFakeAlwaysRateLimiter: never throttles. */
export const unlimitedRateLimiter: RequestRateLimiter = {
  qps: Infinity,
  tryAccept: () => true,
  accept: (signal?: AbortSignal) =>
    signal?.aborted ? Promise.reject(abortError(signal)) : Promise.resolve(),
};
