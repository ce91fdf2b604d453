import type { EtcdError } from '../apply/errors.js';

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
  timer: unknown;
}

export interface WaitersOptions {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Proposals waiting for their entry to be applied, keyed by request ID (etcd's wait.Wait). A
 * proposal that is not applied within the request timeout fails with the timeout error; its
 * entry may still commit later, which is why etcd reports "request timed out" rather than a
 * failure.
 */
export class Waiters<T> {
  private readonly pending = new Map<string, Pending<T>>();

  constructor(private readonly opts: WaitersOptions) {}

  get size(): number {
    return this.pending.size;
  }

  register(id: string, timeoutMs: number, onTimeout: () => EtcdError): Promise<T> {
    if (this.pending.has(id)) throw new Error(`duplicate request id ${id}`);
    return new Promise<T>((resolve, reject) => {
      const timer = this.opts.setTimeout(() => {
        if (this.pending.delete(id)) reject(onTimeout());
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  resolve(id: string, value: T): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    this.opts.clearTimeout(p.timer);
    p.resolve(value);
    return true;
  }

  reject(id: string, err: Error): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    this.opts.clearTimeout(p.timer);
    p.reject(err);
    return true;
  }

  rejectAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.reject(id, err);
  }
}
