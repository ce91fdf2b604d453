/**
 * Leader election (client-go tools/leaderelection) on a {@link ResourceLock}.
 *
 * Candidates try to acquire the lock every `retryPeriod` (jittered). The holder renews it every
 * `retryPeriod`. Safety does not depend on synchronized clocks, only on clock *rates* being
 * close, because every decision uses durations measured on the candidate's own clock:
 *
 * - a non-holder takes over only when the record has not changed for `leaseDuration`, measured
 *   from when *it* first observed the current record (not from the holder's timestamps);
 * - the holder believes it leads only until `renewDeadline` after the start of its last successful
 *   renewal. A request started at t was applied at or after t, so every other candidate observed
 *   that renewal at or after t and waits until t + leaseDuration > t + renewDeadline.
 *
 * So two leaders are impossible while no clock runs more than leaseDuration/renewDeadline times
 * as fast as another (1.5x for 15 s / 10 s). Every write is a compare-and-swap on the lock's
 * resourceVersion, so of two candidates racing for the same record at most one wins.
 *
 * Differences from client-go, both in the safe direction: the holder steps down the moment its
 * deadline passes (a timer, not after the failing request returns), and immediately when it
 * observes another holder in the record (a stolen lease) instead of polling until the deadline.
 */
import { formatMicroTime, isNotFound } from '@kubets/apimachinery';
import { jitter, type Random } from '../util/backoff.js';
import { childAbortController, realClock, sleep, type Clock, type Timer } from '../util/clock.js';
import { stderrLogger, type Logger } from '../util/logger.js';
import type { LeaderElectionRecord, ResourceLock } from './resource-lock.js';
import { serializeRecord } from './resource-lock.js';

/** Acquire attempts are spread over [retryPeriod, retryPeriod * 2.2). */
export const JITTER_FACTOR = 1.2;

export interface LeaderCallbacks {
  /**
   * Called when this candidate becomes leader. `signal` aborts the moment leadership is lost or
   * given up; leader-only work must stop then. A returned promise is awaited (bounded by
   * renewDeadline) before the lock is released on cancel.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /**
   * Called once per `run()`: when leadership is lost or given up, or, as upstream, when `run()`
   * ends without ever having led.
   */
  onStoppedLeading(): void;
  /** Called when the observed leader changes (including to this candidate). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  lock: ResourceLock;
  /** How long non-leaders wait after the last observed change before taking over (whole seconds). */
  leaseDurationMs: number;
  /** How long the leader keeps believing it leads without a successful renewal. */
  renewDeadlineMs: number;
  /** Time between acquire / renew attempts. */
  retryPeriodMs: number;
  callbacks: LeaderCallbacks;
  /** Give the lock up (holder '' and a 1 s lease) when `run`'s signal aborts. */
  releaseOnCancel?: boolean;
  /** For logs. */
  name?: string;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
}

const EMPTY_RECORD: LeaderElectionRecord = {
  holderIdentity: '',
  leaseDurationSeconds: 0,
  acquireTime: '',
  renewTime: '',
  leaderTransitions: 0,
};

export function validateLeaderElectionConfig(c: LeaderElectionConfig): void {
  const { leaseDurationMs: ld, renewDeadlineMs: rd, retryPeriodMs: rp } = c;
  if (!(ld > 0)) throw new RangeError('leaseDuration must be greater than zero');
  if (!(rd > 0)) throw new RangeError('renewDeadline must be greater than zero');
  if (!(rp > 0)) throw new RangeError('retryPeriod must be greater than zero');
  if (ld % 1000 !== 0) {
    // The record stores whole seconds; a truncated lease would let others take over early.
    throw new RangeError(`leaseDuration must be a whole number of seconds, got ${ld} ms`);
  }
  if (ld <= rd) throw new RangeError('leaseDuration must be greater than renewDeadline');
  if (rd <= JITTER_FACTOR * rp) {
    throw new RangeError('renewDeadline must be greater than retryPeriod*JitterFactor');
  }
  if (!c.lock.identity()) throw new Error('Lock identity is empty');
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly identity: string;
  private observedRecord: LeaderElectionRecord = EMPTY_RECORD;
  private observedRaw = '';
  private observedTime = 0;
  private reportedLeader = '';
  private leading = false;
  /** Leadership is believed until this instant unless renewed. */
  private deadline = 0;
  private deadlineTimer: Timer | undefined;
  private leaderAbort: AbortController | undefined;
  private leaderWork: Promise<void> | undefined;
  private stoppedCalled = false;
  private running = false;
  private detachCancel: (() => void) | undefined;

  constructor(private readonly config: LeaderElectionConfig) {
    validateLeaderElectionConfig(config);
    this.clock = config.clock ?? realClock;
    this.random = config.random ?? Math.random;
    this.logger = config.logger ?? stderrLogger;
    this.identity = config.lock.identity();
  }

  /** Whether this candidate currently believes it is the leader. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.deadline;
  }

  /** The holder in the last observed record ('' if none). */
  getLeader(): string {
    return this.observedRecord.holderIdentity;
  }

  /**
   * Campaigns until leadership is won, leads until it is lost or `signal` aborts, then returns.
   * A candidate that lost leadership does not campaign again in the same call (as upstream:
   * the process is expected to restart, or to call `run` again after cleaning up).
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error('LeaderElector.run is already running');
    this.running = true;
    this.stoppedCalled = false;
    try {
      if (!(await this.acquire(signal))) return;
      await this.renewLoop(signal);
      if (signal.aborted) {
        this.stopLeading('context cancelled');
        if (this.config.releaseOnCancel) await this.release();
      }
    } finally {
      this.stopLeading('run ended');
      this.callStopped();
      this.running = false;
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    const desc = this.config.lock.describe();
    this.logger.info('attempting to acquire leader lease', {
      lease: desc,
      identity: this.identity,
    });
    while (!signal.aborted) {
      const start = this.clock.now();
      const ok = await this.withTimeout(signal, this.config.renewDeadlineMs, (s) =>
        this.tryAcquireOrRenew(s),
      );
      this.maybeReportTransition();
      if (signal.aborted) return false;
      // Only lead if the claim is still fresh: a request slower than renewDeadline gives nothing.
      if (ok && this.clock.now() < start + this.config.renewDeadlineMs) {
        this.startLeading(start, signal);
        this.logger.info('successfully acquired lease', { lease: desc, identity: this.identity });
        return true;
      }
      const wait = jitter(this.config.retryPeriodMs, JITTER_FACTOR, this.random);
      if (!(await sleep(this.clock, wait, signal))) return false;
    }
    return false;
  }

  private async renewLoop(signal: AbortSignal): Promise<void> {
    while (this.leading && !signal.aborted) {
      const leaderSignal = this.leaderAbort!.signal;
      if (!(await sleep(this.clock, this.config.retryPeriodMs, leaderSignal))) return;
      const start = this.clock.now();
      const ok = await this.tryAcquireOrRenew(leaderSignal);
      this.maybeReportTransition();
      if (!this.leading) return; // the deadline passed while the request was in flight
      if (ok) {
        this.extendDeadline(start);
      } else if (this.observedRecord.holderIdentity !== this.identity) {
        this.stopLeading(`lease is held by ${this.observedRecord.holderIdentity || 'nobody'}`);
        return;
      }
      // Otherwise the renewal failed (error, conflict): retry until the deadline timer fires.
    }
  }

  /**
   * One acquire-or-renew attempt (tryAcquireOrRenew). True when the lock now names this
   * candidate with a fresh renewTime.
   */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const nowStr = formatMicroTime(BigInt(Math.floor(now)) * 1000n);
    const record: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.floor(this.config.leaseDurationMs / 1000),
      acquireTime: nowStr,
      renewTime: nowStr,
      leaderTransitions: 0,
    };
    const lock = this.config.lock;

    // 1. Fast path: the holder updates optimistically based on the record it last wrote.
    if (this.holdsObserved() && this.isLeaseValid(now)) {
      record.acquireTime = this.observedRecord.acquireTime;
      record.leaderTransitions = this.observedRecord.leaderTransitions;
      try {
        await lock.update(record, signal);
        this.setObservedRecord(record);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.logger.info('failed to update lock optimistically, falling back to slow path', {
          lease: lock.describe(),
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }

    // 2. Read the record, creating it if absent.
    let current: { record: LeaderElectionRecord; raw: string };
    try {
      current = await lock.get(signal);
    } catch (err) {
      if (signal.aborted) return false;
      if (!isNotFound(err)) {
        this.logger.warn('error retrieving resource lock', {
          lease: lock.describe(),
          error: err instanceof Error ? err.message : String(err),
        });
        return false;
      }
      try {
        await lock.create(record, signal);
      } catch (createErr) {
        if (!signal.aborted) {
          this.logger.warn('error initially creating leader election record', {
            lease: lock.describe(),
            error: createErr instanceof Error ? createErr.message : String(createErr),
          });
        }
        return false;
      }
      this.setObservedRecord(record);
      return true;
    }

    // 3. A changed record restarts the observation clock: its lease runs from now, on our clock.
    if (current.raw !== this.observedRaw) {
      this.setObservedRecord(current.record);
      this.observedRaw = current.raw;
    }
    if (current.record.holderIdentity !== '' && this.isLeaseValid(now) && !this.holdsObserved()) {
      return false;
    }

    // 4. Take over (or renew through the slow path).
    if (this.holdsObserved()) {
      record.acquireTime = current.record.acquireTime;
      record.leaderTransitions = current.record.leaderTransitions;
    } else {
      record.leaderTransitions = current.record.leaderTransitions + 1;
    }
    try {
      await lock.update(record, signal);
    } catch (err) {
      if (!signal.aborted) {
        this.logger.info('failed to update lock', {
          lease: lock.describe(),
          error: err instanceof Error ? err.message : String(err),
        });
      }
      return false;
    }
    this.setObservedRecord(record);
    return true;
  }

  /** Gives the lock up so another candidate can take over without waiting for expiry. */
  private async release(): Promise<void> {
    if (!this.holdsObserved()) return;
    // Leader-only work must be finished before anyone else can lead.
    if (this.leaderWork) {
      const finished = await Promise.race([
        this.leaderWork.then(() => true),
        sleep(this.clock, this.config.renewDeadlineMs).then(() => false),
      ]);
      if (!finished) {
        this.logger.warn('leader work did not finish; not releasing, the lease will expire', {
          lease: this.config.lock.describe(),
        });
        return;
      }
    }
    const nowStr = formatMicroTime(BigInt(Math.floor(this.clock.now())) * 1000n);
    const record: LeaderElectionRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: nowStr,
      renewTime: nowStr,
      leaderTransitions: this.observedRecord.leaderTransitions,
    };
    const ok = await this.withTimeout(undefined, this.config.renewDeadlineMs, async (s) => {
      try {
        await this.config.lock.update(record, s);
        return true;
      } catch (err) {
        this.logger.warn('failed to release lock', {
          lease: this.config.lock.describe(),
          error: err instanceof Error ? err.message : String(err),
        });
        return false;
      }
    });
    if (ok) this.setObservedRecord(record);
  }

  private startLeading(renewStart: number, runSignal: AbortSignal): void {
    const { controller } = childAbortController(runSignal);
    this.leaderAbort = controller;
    this.leading = true;
    // Stop believing the moment the caller cancels, not when the renew loop next wakes up.
    const onCancel = (): void => this.stopLeading('context cancelled');
    runSignal.addEventListener('abort', onCancel, { once: true });
    this.detachCancel = () => runSignal.removeEventListener('abort', onCancel);
    this.extendDeadline(renewStart);
    this.config.lock.recordEvent?.('became leader');
    try {
      const r = this.config.callbacks.onStartedLeading(controller.signal);
      this.leaderWork = Promise.resolve(r).catch((err: unknown) => {
        this.logger.error(err, 'onStartedLeading failed');
      });
    } catch (err) {
      this.logger.error(err, 'onStartedLeading failed');
      this.leaderWork = undefined;
    }
  }

  private extendDeadline(renewStart: number): void {
    this.deadline = renewStart + this.config.renewDeadlineMs;
    this.deadlineTimer?.cancel();
    const delay = this.deadline - this.clock.now();
    if (delay <= 0) {
      this.stopLeading('renew deadline exceeded');
      return;
    }
    this.deadlineTimer = this.clock.setTimer(() => {
      if (this.clock.now() >= this.deadline) this.stopLeading('renew deadline exceeded');
    }, delay);
  }

  private stopLeading(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.deadlineTimer?.cancel();
    this.deadlineTimer = undefined;
    this.detachCancel?.();
    this.detachCancel = undefined;
    this.logger.info('stopped leading', {
      lease: this.config.lock.describe(),
      identity: this.identity,
      reason,
    });
    this.leaderAbort?.abort(new Error(`leadership lost: ${reason}`));
    this.config.lock.recordEvent?.('stopped leading');
    this.callStopped();
  }

  private callStopped(): void {
    if (this.stoppedCalled) return;
    this.stoppedCalled = true;
    try {
      this.config.callbacks.onStoppedLeading();
    } catch (err) {
      this.logger.error(err, 'onStoppedLeading failed');
    }
  }

  private holdsObserved(): boolean {
    return this.observedRecord.holderIdentity === this.identity;
  }

  /** The observed lease has not run out, by our clock, since we first saw it. */
  private isLeaseValid(now: number): boolean {
    return this.observedTime + this.observedRecord.leaseDurationSeconds * 1000 > now;
  }

  private setObservedRecord(r: LeaderElectionRecord): void {
    this.observedRecord = { ...r };
    this.observedRaw = serializeRecord(r);
    this.observedTime = this.clock.now();
  }

  private maybeReportTransition(): void {
    const holder = this.observedRecord.holderIdentity;
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    const callbacks = this.config.callbacks;
    if (!callbacks.onNewLeader) return;
    queueMicrotask(() => {
      try {
        callbacks.onNewLeader?.(holder);
      } catch (err) {
        this.logger.error(err, 'onNewLeader failed');
      }
    });
  }

  /** Runs `fn` with a signal that aborts after `ms` or when `parent` aborts. */
  private async withTimeout<R>(
    parent: AbortSignal | undefined,
    ms: number,
    fn: (signal: AbortSignal) => Promise<R>,
  ): Promise<R> {
    const { controller, dispose } = childAbortController(parent);
    const timer = this.clock.setTimer(() => controller.abort(new Error('request timed out')), ms);
    try {
      return await fn(controller.signal);
    } finally {
      timer.cancel();
      dispose();
    }
  }
}
