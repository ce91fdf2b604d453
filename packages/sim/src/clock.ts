/**
 * Virtual time with timers. Nothing happens until a test advances the clock, and timers due at
 * the same instant fire in the order they were scheduled, so every run of a simulation sees
 * the same interleaving.
 */

export type TimerId = number;

interface Timer {
  readonly id: TimerId;
  at: number;
  /** Tie-breaker: a fresh sequence number each time the timer is (re)scheduled. */
  seq: number;
  readonly fn: () => void;
  /** Period for intervals; undefined for one-shot timers. */
  readonly every: number | undefined;
}

/**
 * If this many timers fire without virtual time moving, some timer keeps rescheduling itself
 * with a zero delay and `advance` would never return. Failing loudly beats hanging a test run.
 */
const DEFAULT_MAX_TIMERS_AT_ONE_INSTANT = 1_000_000;

/** Binary min-heap ordered by (at, seq). Cancelled timers are skipped lazily on pop. */
class TimerHeap {
  private readonly items: Timer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Timer | undefined {
    return this.items[0];
  }

  push(timer: Timer): void {
    const items = this.items;
    items.push(timer);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, items[parent] as Timer)) break;
      items[i] = items[parent] as Timer;
      i = parent;
    }
    items[i] = timer;
  }

  pop(): Timer | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child =
        right < items.length && before(items[right] as Timer, items[left] as Timer) ? right : left;
      if (!before(items[child] as Timer, last)) break;
      items[i] = items[child] as Timer;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

function before(x: Timer, y: Timer): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}

function assertTime(value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what} must be a finite number >= 0, got ${String(value)}`);
  }
}

export interface VirtualClockOptions {
  /** Guard against zero-delay timer loops; see DEFAULT_MAX_TIMERS_AT_ONE_INSTANT. */
  maxTimersAtOneInstant?: number;
}

export class VirtualClock {
  private current: number;
  private readonly heap = new TimerHeap();
  /** Live (not cleared, not yet fired) timers; the heap may still hold cleared ones. */
  private readonly live = new Map<TimerId, Timer>();
  private nextId = 1;
  private nextSeq = 0;
  private running = false;
  private readonly maxTimersAtOneInstant: number;
  private firedAtInstant = 0;
  private lastFiredAt = Number.NaN;

  /** @param startMs the initial value of `now()` (default 0). */
  constructor(startMs = 0, options: VirtualClockOptions = {}) {
    assertTime(startMs, 'VirtualClock start time');
    this.current = startMs;
    this.maxTimersAtOneInstant = options.maxTimersAtOneInstant ?? DEFAULT_MAX_TIMERS_AT_ONE_INSTANT;
  }

  now(): number {
    return this.current;
  }

  /** Runs `fn` once, `delayMs` after now (0 = at the current instant, after earlier timers). */
  setTimeout(fn: () => void, delayMs: number): TimerId {
    assertTime(delayMs, 'setTimeout delay');
    return this.schedule(fn, this.current + delayMs, undefined);
  }

  /** Runs `fn` every `everyMs` (> 0), first at now + everyMs, until cleared. */
  setInterval(fn: () => void, everyMs: number): TimerId {
    assertTime(everyMs, 'setInterval period');
    if (everyMs === 0) throw new RangeError('setInterval period must be > 0');
    return this.schedule(fn, this.current + everyMs, everyMs);
  }

  /** Cancels a timer or interval. Unknown or already-fired ids are ignored, like clearTimeout. */
  clearTimer(id: TimerId): void {
    this.live.delete(id);
  }

  /**
   * Moves time forward by `ms`, running every timer due up to and including now() + ms in
   * (time, insertion) order; now() equals each timer's time while it runs. Timers scheduled by
   * callbacks run too if they fall within the window.
   */
  advance(ms: number): void {
    assertTime(ms, 'advance');
    const target = this.current + ms;
    this.enter('advance');
    try {
      for (;;) {
        const timer = this.peekLive();
        if (timer === undefined || timer.at > target) break;
        this.fire(timer);
      }
      this.current = target;
    } finally {
      this.running = false;
    }
  }

  /** Runs the next pending timer, moving now() to its time. Returns false if none is pending. */
  step(): boolean {
    const timer = this.peekLive();
    if (timer === undefined) return false;
    this.enter('step');
    try {
      this.fire(timer);
    } finally {
      this.running = false;
    }
    return true;
  }

  /**
   * Steps until no timer is pending or `maxSteps` timers have run; returns the number run.
   * With an interval registered the clock is never idle, so the bound is what stops it.
   */
  runUntilIdle(maxSteps: number): number {
    if (!Number.isSafeInteger(maxSteps) || maxSteps < 0) {
      throw new RangeError(`runUntilIdle maxSteps must be an integer >= 0, got ${maxSteps}`);
    }
    let steps = 0;
    while (steps < maxSteps && this.step()) steps++;
    return steps;
  }

  /**
   * Runs timers one at a time until `condition()` holds (checked before the first and after
   * every timer) or the next timer lies beyond now() + `limitMs`. Returns whether the
   * condition held; on false, now() has been moved to the end of the window.
   */
  runUntil(condition: () => boolean, limitMs: number): boolean {
    assertTime(limitMs, 'runUntil limit');
    const deadline = this.current + limitMs;
    if (condition()) return true;
    for (;;) {
      const timer = this.peekLive();
      if (timer === undefined || timer.at > deadline) break;
      this.step();
      if (condition()) return true;
    }
    if (this.current < deadline) this.current = deadline;
    return false;
  }

  pendingTimers(): number {
    return this.live.size;
  }

  /** Virtual time of the next pending timer, or undefined if none. */
  nextTimerAt(): number | undefined {
    return this.peekLive()?.at;
  }

  private schedule(fn: () => void, at: number, every: number | undefined): TimerId {
    if (typeof fn !== 'function') throw new TypeError('timer callback must be a function');
    const timer: Timer = { id: this.nextId++, at, seq: this.nextSeq++, fn, every };
    this.live.set(timer.id, timer);
    this.heap.push(timer);
    return timer.id;
  }

  /** Drops cleared timers from the top of the heap and returns the earliest live one. */
  private peekLive(): Timer | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return undefined;
      if (this.live.get(top.id) === top) return top;
      this.heap.pop();
    }
  }

  private enter(what: string): void {
    // A timer callback that advances the clock would run later timers before the current one
    // finishes, which no real event loop does; it is always a bug in the test or the code.
    if (this.running) throw new Error(`VirtualClock.${what} called from inside a timer callback`);
    this.running = true;
  }

  private fire(timer: Timer): void {
    this.heap.pop();
    if (timer.at === this.lastFiredAt) {
      if (++this.firedAtInstant > this.maxTimersAtOneInstant) {
        throw new Error(
          `VirtualClock: more than ${this.maxTimersAtOneInstant} timers fired at t=${timer.at} ` +
            'without time moving; a timer is probably rescheduling itself with delay 0',
        );
      }
    } else {
      this.lastFiredAt = timer.at;
      this.firedAtInstant = 1;
    }
    this.current = timer.at;
    if (timer.every === undefined) this.live.delete(timer.id);
    try {
      timer.fn();
    } finally {
      // Reschedule after the callback so a callback that clears its own interval stops it.
      if (timer.every !== undefined && this.live.get(timer.id) === timer) {
        timer.at += timer.every;
        timer.seq = this.nextSeq++;
        this.heap.push(timer);
      }
    }
  }
}
