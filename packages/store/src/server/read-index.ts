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
}

/**
 * Linearizable reads through Raft's ReadIndex, batched like etcd's linearizableReadLoop: every
 * read that arrives while a ReadIndex round is in flight joins the next round, so a burst of
 * reads costs one heartbeat round trip. A read is released once the member has applied up to
 * the index the leader confirmed, which makes it reflect every write acknowledged before it.
 */
export class ReadIndexBatcher {
  private queued: Waiter[] = [];
  private round: { ctx: string; waiters: Waiter[]; timer: unknown } | undefined;

  constructor(private readonly opts: ReadIndexOptions) {}

  /** Resolves when a read started now may be served from the local state machine. */
  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ resolve, reject });
      this.startRound();
    });
  }

  /** Feeds a ReadState from a Ready. */
  onReadState(index: number, requestCtx: Uint8Array): void {
    const round = this.round;
    if (round === undefined || Buffer.from(requestCtx).toString('hex') !== round.ctx) return;
    this.opts.clearTimeout(round.timer);
    this.round = undefined;
    const waiters = round.waiters;
    this.opts.waitApplied(index).then(
      () => waiters.forEach((w) => w.resolve()),
      (err: unknown) => waiters.forEach((w) => w.reject(err as Error)),
    );
    this.startRound();
  }

  /** Fails every waiting read (shutdown). */
  failAll(err: Error): void {
    const all = [...this.queued, ...(this.round?.waiters ?? [])];
    if (this.round) this.opts.clearTimeout(this.round.timer);
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
    const ctx = Buffer.alloc(8);
    ctx.writeBigUInt64BE(BigInt.asUintN(64, this.opts.nextContext()));
    try {
      this.opts.request(ctx);
    } catch {
      const err = this.opts.noLeader();
      for (const w of waiters) w.reject(err);
      this.startRound();
      return;
    }
    const timer = this.opts.setTimeout(() => {
      // No answer (leader change, lost message): ask again with a fresh context.
      if (this.round?.ctx !== ctx.toString('hex')) return;
      this.round = undefined;
      this.send([...waiters, ...this.queued.splice(0)]);
    }, this.opts.retryMs);
    this.round = { ctx: ctx.toString('hex'), waiters, timer };
  }
}
