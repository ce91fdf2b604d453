/**
 * Running one API request under the client's policy: take a rate-limiter token, try, and on a
 * retriable failure (see {@link isRetriable}) wait and try again, up to `maxRetries` times. The
 * wait honours the server's `retryAfterSeconds` and otherwise backs off exponentially.
 */
import type { RequestRateLimiter } from '../flowcontrol/rate-limiter.js';
import { ExponentialBackoff, type BackoffOptions, type Random } from '../util/backoff.js';
import { abortError, realClock, sleep, type Clock } from '../util/clock.js';
import { noopLogger, type Logger } from '../util/logger.js';
import { isRetriable, retryAfterMs, type Verb } from './errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt (client-go's default is 10). 0 disables retries. */
  maxRetries: number;
  /** The wait between attempts when the server gave no Retry-After. */
  backoff: BackoffOptions;
  /** Overrides the retriable classification (e.g. to never retry writes). */
  isRetriable?: (err: unknown, verb: Verb) => boolean;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 10,
  backoff: { initialMs: 500, capMs: 30_000, factor: 2, jitter: 0.2 },
};

export const NO_RETRIES: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxRetries: 0 };

export interface RequestContext {
  retry?: RetryPolicy;
  rateLimiter?: RequestRateLimiter;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

/**
 * Runs `attempt` with rate limiting and retries. Every attempt, including retries, takes a
 * rate-limiter token, as client-go throttles every request it sends.
 */
export async function runRequest<R>(
  verb: Verb,
  describe: string,
  attempt: () => Promise<R>,
  ctx: RequestContext,
  signal?: AbortSignal,
): Promise<R> {
  const policy = ctx.retry ?? DEFAULT_RETRY_POLICY;
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) {
    throw new RangeError(`maxRetries must be an integer >= 0, got ${policy.maxRetries}`);
  }
  const clock = ctx.clock ?? realClock;
  const classify = policy.isRetriable ?? isRetriable;
  const backoff = new ExponentialBackoff(policy.backoff, ctx.random ?? Math.random);
  const logger = ctx.logger ?? noopLogger;
  for (let retries = 0; ; retries++) {
    if (signal?.aborted) throw abortError(signal);
    if (ctx.rateLimiter) await ctx.rateLimiter.accept(signal);
    try {
      return await attempt();
    } catch (err) {
      if (signal?.aborted || retries >= policy.maxRetries || !classify(err, verb)) throw err;
      const delay = Math.max(retryAfterMs(err) ?? 0, backoff.next());
      logger.info('retrying request', {
        verb,
        request: describe,
        attempt: retries + 1,
        delayMs: Math.round(delay),
        error: err instanceof Error ? err.message : String(err),
      });
      if (!(await sleep(clock, delay, signal))) throw abortError(signal);
    }
  }
}
