import type { Message } from './types.js';

/**
 * How linearizable reads are confirmed:
 * - `safe`: the leader records its commit index, then confirms it is still leader with a
 *   heartbeat round acknowledged by a quorum (thesis §6.4). No clock assumption.
 * - `lease-based`: the leader answers from its commit index without a round trip,
 *   trusting that no other leader can exist within an election timeout of its last
 *   quorum contact. Requires CheckQuorum and bounded clock drift between nodes.
 */
export type ReadOnlyOption = 'safe' | 'lease-based';

/** A ReadIndex request waiting for its heartbeat quorum. */
export interface ReadIndexStatus {
  /** The original MsgReadIndex (local or forwarded by a follower). */
  readonly req: Message;
  /** Commit index when the request arrived: the read must see at least this. */
  readonly index: number;
  readonly acks: Map<number, boolean>;
}

/** Key for a request context; reads are identified by the bytes the host chose. */
export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

/** Pending safe ReadIndex requests of a leader, in arrival order. */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];
  /** Context key of the newest request a heartbeat round was started for. */
  private roundKey: string | undefined;

  constructor(readonly option: ReadOnlyOption) {}

  /** Queues a read at commit index `index`; a duplicate context is ignored. */
  addRequest(index: number, m: Message): void {
    const key = contextKey(m.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Map() });
    this.queue.push(key);
  }

  /** Records a heartbeat acknowledgement; returns the acks so far or undefined. */
  recvAck(id: number, context: Uint8Array): ReadonlyMap<number, boolean> | undefined {
    const rs = this.pending.get(contextKey(context));
    if (rs === undefined) return undefined;
    rs.acks.set(id, true);
    return rs.acks;
  }

  /**
   * A quorum acknowledged the heartbeat with `context`: that request and every request
   * queued before it are confirmed (the same heartbeat round covers them).
   */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      out.push(this.pending.get(k)!);
      this.pending.delete(k);
    }
    return out;
  }

  /** Context of the newest pending request; heartbeats carry it to confirm the batch. */
  lastPendingRequestCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.req.context;
  }

  /**
   * Whether a heartbeat round confirming reads is still unanswered: its newest request is
   * pending. A request added meanwhile waits for the next round.
   */
  get roundInFlight(): boolean {
    return this.roundKey !== undefined && this.pending.has(this.roundKey);
  }

  /**
   * Starts a heartbeat round for every pending request: returns the context the heartbeats
   * carry (the newest request's), or undefined when nothing is pending.
   */
  startRound(): Uint8Array | undefined {
    const ctx = this.lastPendingRequestCtx();
    this.roundKey = ctx === undefined ? undefined : contextKey(ctx);
    return ctx;
  }

  get pendingCount(): number {
    return this.queue.length;
  }
}
