import type { EtcdError } from '../apply/errors.js';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface ReadIndexOptions {
  /** Sends a ReadIndex request with this context; throws when Raft refuses (no leader). */
  request(ctx: Uint8Array): void;
  /**
   * A request context no other member uses (etcd: the member's request ID generator). The
   * leader keeps one pending ReadIndex per context and ignores a duplicate, so two members
   * counting from 1 would lose each other's answers to the retry timer.
   */
  nextContext(): bigint;
  /** Resolves once the local applied index reaches `index`. */
  waitApplied(index: number): Promise<void>;
  /** How long to wait for an answer before asking again (etcd: 500 ms). */
  retryMs: number;
  /** The error for reads that cannot be served (no leader). */
  noLeader: () => EtcdError;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds, the clock `setTimeout` runs on. */
  now(): number;
}

interface Round {
  ctx: Buffer;
  waiters: Waiter[];
  /** When its request went out (`now()` clock). */
  sentAt: number;
}

/**
 * Linearizable reads through Raft's ReadIndex, batched like etcd's linearizableReadLoop: every
 * read that arrives while a ReadIndex round is in flight joins the next round, so a burst of
 * reads costs one heartbeat round trip. A read is released once the member has applied up to
 * the index the leader confirmed, which makes it reflect every write acknowledged before it.
 *
 * The retry is one timer for all rounds, not one armed and cleared per round: a round records
 * when it went out, and the timer (armed while rounds are in flight, at most every `retryMs`)
 * asks again for a round that has waited that long. Under a steady stream of reads a round
 * ends within a round trip, so the timer fires every `retryMs` and finds nothing to do, where
 * a timer per round cost every round a libuv timer's set-up and tear-down (decision 0030).
 */
export class ReadIndexBatcher {
  private queued: Waiter[] = [];
  private round: Round | undefined;
  private timer: unknown;

  constructor(private readonly opts: ReadIndexOptions) {}

  /** Resolves when a read started now may be served from the local state machine. */
  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.add({ resolve, reject }));
  }

  /** As `wait`, with the caller's own callbacks (no promise of its own). */
  add(waiter: Waiter): void {
    this.queued.push(waiter);
    this.startRound();
  }

  /** Feeds a ReadState from a Ready. */
  onReadState(index: number, requestCtx: Uint8Array): void {
    const round = this.round;
    if (round === undefined || !sameBytes(round.ctx, requestCtx)) return;
    this.round = undefined;
    const waiters = round.waiters;
    this.opts.waitApplied(index).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err as Error);
      },
    );
    this.startRound();
  }

  /** Fails every waiting read (shutdown). */
  failAll(err: Error): void {
    const all = [...this.queued, ...(this.round?.waiters ?? [])];
    if (this.timer !== undefined) this.opts.clearTimeout(this.timer);
    this.timer = undefined;
    this.round = undefined;
    this.queued = [];
    for (const w of all) w.reject(err);
  }

  get pending(): number {
    return this.queued.length + (this.round?.waiters.length ?? 0);
  }

  private startRound(): void {
    if (this.round !== undefined || this.queued.length === 0) return;
    const waiters = this.queued;
    this.queued = [];
    this.send(waiters);
  }

  private send(waiters: Waiter[]): void {
    const ctx = Buffer.allocUnsafe(8);
    ctx.writeBigUInt64BE(BigInt.asUintN(64, this.opts.nextContext()));
    try {
      this.opts.request(ctx);
    } catch {
      const err = this.opts.noLeader();
      for (const w of waiters) w.reject(err);
      this.startRound();
      return;
    }
    this.round = { ctx, waiters, sentAt: this.opts.now() };
    if (this.timer === undefined) this.arm(this.opts.retryMs);
  }

  private arm(ms: number): void {
    const timer = this.opts.setTimeout(this.retry, ms);
    // Waiting reads do not keep the process alive: their connections do.
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.timer = timer;
  }

  /** No answer for `retryMs` (leader change, lost message): ask again with a fresh context. */
  private readonly retry = (): void => {
    this.timer = undefined;
    const round = this.round;
    if (round === undefined) return;
    const waited = this.opts.now() - round.sentAt;
    if (waited < this.opts.retryMs) {
      this.arm(this.opts.retryMs - waited);
      return;
    }
    this.round = undefined;
    this.send([...round.waiters, ...this.queued.splice(0)]);
  };
}

function sameBytes(a: Buffer, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
