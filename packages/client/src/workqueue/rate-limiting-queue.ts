/**
 * workqueue.TypedRateLimitingInterface: a delaying queue whose retries wait as long as a rate
 * limiter says. The controller pattern: on failure `addRateLimited(key)`, on success
 * `forget(key)`, and always `done(key)`.
 */
import { DelayingQueue } from './delaying-queue.js';
import type { QueueOptions } from './queue.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiters.js';

export interface RateLimitingQueueOptions<T> extends QueueOptions {
  /** Default: {@link defaultControllerRateLimiter} on the queue's clock. */
  rateLimiter?: RateLimiter<T>;
}

export class RateLimitingQueue<T> extends DelayingQueue<T> {
  readonly rateLimiter: RateLimiter<T>;

  constructor(options: RateLimitingQueueOptions<T> = {}) {
    super(options);
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
  }

  /** Queues `item` again once the rate limiter allows (records a failure). */
  addRateLimited(item: T): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** Forgets `item`'s failures: call after it was processed successfully. */
  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }
}
