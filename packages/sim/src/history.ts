/**
 * Records client operations with call and return times for the linearizability checker.
 */
import type { Operation } from './linearizability.js';

interface Entry<I, O> {
  clientId: number;
  input: I;
  call: number;
  /** Set once completed. */
  done?: { output: O; return: number };
  discarded: boolean;
}

export interface HistoryRecorderOptions<O> {
  /**
   * Output recorded for operations that never completed. Default undefined; kvModel reads
   * both undefined and `{ unknown: true }` as "outcome unknown".
   */
  pendingOutput?: O;
}

export class HistoryRecorder<I, O> {
  private readonly entries: Entry<I, O>[] = [];
  private readonly pendingOutput: O | undefined;

  /** @param now the clock the clients run on (a VirtualClock's now, typically). */
  constructor(
    private readonly now: () => number,
    opts: HistoryRecorderOptions<O> = {},
  ) {
    this.pendingOutput = opts.pendingOutput;
  }

  /** Records the call of an operation now; returns the handle to complete it with. */
  invoke(clientId: number, input: I): number {
    if (!Number.isSafeInteger(clientId)) {
      throw new RangeError(`HistoryRecorder.invoke: clientId must be an integer, got ${clientId}`);
    }
    this.entries.push({ clientId, input, call: this.readClock(), discarded: false });
    return this.entries.length - 1;
  }

  /** Records the operation's result now. */
  complete(handle: number, output: O): void {
    const entry = this.open(handle, 'complete');
    const at = this.readClock();
    if (at < entry.call) {
      throw new Error(
        `HistoryRecorder.complete: clock went backwards (${at} < call ${entry.call})`,
      );
    }
    entry.done = { output, return: at };
  }

  /**
   * Drops an operation that certainly had no effect (e.g. rejected before it reached the
   * system). Do not discard timeouts: an operation whose fate is unknown must stay pending.
   */
  discard(handle: number): void {
    this.open(handle, 'discard').discarded = true;
  }

  /** Operations without a result yet. */
  pending(): number {
    return this.entries.filter((e) => e.done === undefined && !e.discarded).length;
  }

  /** Every kept operation in call order; pending ones have return = Infinity. */
  history(): Operation<I, O>[] {
    const out: Operation<I, O>[] = [];
    for (const e of this.entries) {
      if (e.discarded) continue;
      out.push({
        clientId: e.clientId,
        input: e.input,
        call: e.call,
        output: e.done === undefined ? (this.pendingOutput as O) : e.done.output,
        return: e.done === undefined ? Infinity : e.done.return,
      });
    }
    return out;
  }

  private open(handle: number, op: string): Entry<I, O> {
    const entry = this.entries[handle];
    if (entry === undefined)
      throw new RangeError(`HistoryRecorder.${op}: unknown handle ${handle}`);
    if (entry.done !== undefined)
      throw new Error(`HistoryRecorder.${op}: operation ${handle} already completed`);
    if (entry.discarded)
      throw new Error(`HistoryRecorder.${op}: operation ${handle} was discarded`);
    return entry;
  }

  private readClock(): number {
    const t = this.now();
    if (!Number.isFinite(t)) throw new RangeError(`HistoryRecorder: clock returned ${t}`);
    return t;
  }
}
