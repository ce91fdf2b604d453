/**
 * A push-based {@link WatchStream}: the producer (a transport, or the fake tracker) pushes events
 * and ends the stream; one consumer iterates. Events are buffered without bound while the
 * consumer is busy, so a producer never blocks; an API server guards itself against slow
 * watchers on its side.
 */
import type { WatchEvent, WatchStream } from './interfaces.js';

interface Waiter<T> {
  resolve: (r: IteratorResult<WatchEvent<T>>) => void;
  reject: (err: unknown) => void;
}

export class WatchChannel<T> implements WatchStream<T> {
  private buffer: WatchEvent<T>[] = [];
  private head = 0;
  private waiter: Waiter<T> | undefined;
  private ended = false;
  private endError: Error | undefined = undefined;
  private consumerClosed = false;
  private iterating = false;
  private readonly closeHooks: (() => void)[] = [];

  /** Producer side: adds an event; false once the stream has ended or been closed. */
  push(event: WatchEvent<T>): boolean {
    if (this.ended || this.consumerClosed) return false;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ value: event, done: false });
    } else {
      this.buffer.push(event);
    }
    return true;
  }

  /**
   * Producer side: no more events. Buffered events are still delivered; then the iteration ends,
   * or throws `error` if one is given (a transport failure).
   */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endError =
      error === undefined
        ? undefined
        : error instanceof Error
          ? error
          : new Error(JSON.stringify(error));
    const w = this.waiter;
    if (w && this.pending() === 0) {
      this.waiter = undefined;
      if (this.endError === undefined) w.resolve({ value: undefined, done: true });
      else {
        w.reject(this.endError);
        this.endError = undefined;
      }
    }
    this.runCloseHooks();
  }

  /** Called once when the stream stops for any reason (consumer close or producer end). */
  onClose(hook: () => void): void {
    if (this.ended || this.consumerClosed) hook();
    else this.closeHooks.push(hook);
  }

  /** Consumer side: stop; buffered events are dropped and the iteration ends without error. */
  close(): void {
    if (this.consumerClosed) return;
    this.consumerClosed = true;
    this.buffer = [];
    this.head = 0;
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve({ value: undefined, done: true });
    this.runCloseHooks();
  }

  get closed(): boolean {
    return this.consumerClosed || (this.ended && this.pending() === 0);
  }

  /** Events pushed and not yet consumed. */
  pending(): number {
    return this.buffer.length - this.head;
  }

  private runCloseHooks(): void {
    const hooks = this.closeHooks.splice(0);
    for (const h of hooks) h();
  }

  private next(): Promise<IteratorResult<WatchEvent<T>>> {
    if (this.consumerClosed) return Promise.resolve({ value: undefined, done: true });
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      if (this.endError !== undefined) {
        const err = this.endError;
        this.endError = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) return Promise.reject(new Error('WatchChannel: concurrent next() calls'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    if (this.iterating) throw new Error('a watch stream can be iterated only once');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
