import type { EtcdError } from '../apply/errors.js';

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
  /** When the request times out (`now()` clock). */
  deadline: number;
  onTimeout: () => EtcdError;
}

export interface WaitersOptions {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds, the clock `setTimeout` runs on. */
  now(): number;
}

/**
 * Proposals waiting for their entry to be applied, keyed by request ID (etcd's wait.Wait). A
 * proposal that is not applied within the request timeout fails with the timeout error; its
 * entry may still commit later, which is why etcd reports "request timed out" rather than a
 * failure.
 *
 * One timer serves all of them, armed for the earliest deadline, rather than a timer per
 * request: arming and clearing a Node timer costs ~10–20 µs of a put's CPU in a member that
 * sleeps between requests (a timer list created, queued and scheduled in libuv, then torn down
 * again), against nothing when the timer is already armed for an older request's deadline.
 * A request times out when the timer fires at or after its deadline.
 */
export class Waiters<T> {
  private readonly pending = new Map<string, Pending<T>>();
  private timer: unknown;
  /** The deadline the timer is armed for (Infinity: none armed). */
  private armedFor = Infinity;

  constructor(private readonly opts: WaitersOptions) {}

  get size(): number {
    return this.pending.size;
  }

  register(id: string, timeoutMs: number, onTimeout: () => EtcdError): Promise<T> {
    if (this.pending.has(id)) throw new Error(`duplicate request id ${id}`);
    const deadline = this.opts.now() + timeoutMs;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline, onTimeout });
      if (deadline < this.armedFor) this.arm(deadline);
    });
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  resolve(id: string, value: T): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    p.resolve(value);
    return true;
  }

  reject(id: string, err: Error): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    p.reject(err);
    return true;
  }

  rejectAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.reject(id, err);
    this.disarm();
  }

  private arm(deadline: number): void {
    this.disarm();
    this.armedFor = deadline;
    const timer = this.opts.setTimeout(this.expire, Math.max(0, deadline - this.opts.now()));
    // Pending requests do not keep the process alive: their connections do.
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.timer = timer;
  }

  private disarm(): void {
    if (this.timer !== undefined) this.opts.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  /** Fails the requests past their deadline; re-arms for the earliest one left. */
  private readonly expire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.opts.now();
    let next = Infinity;
    for (const [id, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(id);
        p.reject(p.onTimeout());
      } else if (p.deadline < next) {
        next = p.deadline;
      }
    }
    if (next !== Infinity) this.arm(next);
  };
}
