/**
 * Leader election with two and three candidates on a Lease in the fake API server, driven by a
 * virtual clock and checked after every timer: at no instant do two candidates believe they
 * lead. Failures: a killed leader, a network cut (requests failing, hanging, or applied with the
 * response lost), a stolen lease, drifting clocks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GroupVersionResource, KubeObject } from '@kubets/apimachinery';
import { LeaderElector } from '../src/leaderelection/leader-elector.js';
import { LEASES, LeaseLock, type Lease } from '../src/leaderelection/lease-lock.js';
import type { Clock, Timer } from '../src/util/clock.js';
import { noopLogger } from '../src/util/logger.js';
import {
  FakeClock,
  ObjectTracker,
  FakeDynamicClient,
  connectionRefused,
  hangUntilAborted,
  type Action,
  type Reactor,
} from '../src/testing/index.js';
import { Prng } from './support/fixtures.js';

const LD = 15_000;
const RD = 10_000;
const RP = 2_000;

/** A clock running at `rate` times the shared virtual clock (rate errors between machines). */
class DriftingClock implements Clock {
  private readonly origin: number;
  constructor(
    private readonly base: FakeClock,
    private readonly rate: number,
  ) {
    this.origin = base.now();
  }
  now(): number {
    return this.origin + (this.base.now() - this.origin) * this.rate;
  }
  setTimer(fn: () => void, delayMs: number): Timer {
    return this.base.setTimer(fn, Math.max(0, delayMs) / this.rate);
  }
}

type CutMode = 'fail' | 'hang' | 'lost-response';

/** Applies an action to the tracker directly: the request reached the server. */
function applyToServer(tracker: ObjectTracker, a: Action): void {
  const gvr: GroupVersionResource = a.resource;
  if (a.verb === 'update' && a.object) tracker.update(gvr, a.namespace, a.object);
  if (a.verb === 'create' && a.object) tracker.create(gvr, a.namespace, a.object);
}

class Candidate {
  readonly client: FakeDynamicClient;
  elector: LeaderElector | undefined;
  private stop: AbortController | undefined;
  private done: Promise<void> | undefined;
  private cut: (() => void) | undefined;
  timesLed = 0;
  startedAt: number[] = [];
  stoppedAt: number[] = [];
  newLeaders: string[] = [];

  constructor(
    readonly id: string,
    readonly tracker: ObjectTracker,
    readonly clock: Clock,
    private readonly seed: number,
    private readonly releaseOnCancel = false,
  ) {
    this.client = new FakeDynamicClient(tracker);
  }

  start(): void {
    if (this.stop) throw new Error(`${this.id} already running`);
    const prng = new Prng(this.seed + this.timesLed * 1000 + this.startedAt.length);
    this.elector = new LeaderElector({
      lock: new LeaseLock({
        client: this.client.resource<Lease>(LEASES).namespace('kube-system'),
        namespace: 'kube-system',
        name: 'controller',
        identity: this.id,
      }),
      leaseDurationMs: LD,
      renewDeadlineMs: RD,
      retryPeriodMs: RP,
      releaseOnCancel: this.releaseOnCancel,
      clock: this.clock,
      random: () => prng.next(),
      logger: noopLogger,
      callbacks: {
        onStartedLeading: () => {
          this.timesLed++;
          this.startedAt.push(this.clock.now());
        },
        onStoppedLeading: () => {
          this.stoppedAt.push(this.clock.now());
        },
        onNewLeader: (id) => this.newLeaders.push(id),
      },
    });
    this.stop = new AbortController();
    const elector = this.elector;
    this.done = elector.run(this.stop.signal).finally(() => {
      if (this.elector === elector) {
        this.stop = undefined;
        this.done = undefined;
      }
    });
  }

  /** Stops the process (kill, or graceful with releaseOnCancel). */
  async kill(): Promise<void> {
    const done = this.done;
    this.stop?.abort();
    this.stop = undefined;
    this.done = undefined;
    await done;
  }

  get running(): boolean {
    return this.stop !== undefined;
  }

  believesLeading(): boolean {
    return this.elector?.isLeader() ?? false;
  }

  cutNetwork(mode: CutMode): void {
    this.heal();
    const reactor: Reactor =
      mode === 'fail'
        ? () => ({ error: connectionRefused() })
        : mode === 'hang'
          ? hangUntilAborted()
          : (a) => {
              try {
                applyToServer(this.tracker, a);
              } catch {
                // the server refused it (conflict...); the client never learns either way
              }
              return { error: connectionRefused('response lost') };
            };
    this.cut = this.client.prependReactor('*', 'leases', reactor);
  }

  heal(): void {
    this.cut?.();
    this.cut = undefined;
  }
}

interface World {
  clock: FakeClock;
  tracker: ObjectTracker;
  candidates: Candidate[];
  overlaps: string[];
  /** Runs timers until `untilMs` (virtual), checking the invariant after each. */
  run(untilMs: number): Promise<void>;
  leaders(): string[];
}

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    for (const c of w.candidates) {
      c.heal();
      await c.kill();
    }
  }
});

function world(
  ids: string[],
  options: { seed?: number; drift?: number[]; releaseOnCancel?: boolean } = {},
): World {
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const tracker = new ObjectTracker({ clock });
  const candidates = ids.map(
    (id, i) =>
      new Candidate(
        id,
        tracker,
        options.drift ? new DriftingClock(clock, options.drift[i]!) : clock,
        (options.seed ?? 1) * 100 + i,
        options.releaseOnCancel,
      ),
  );
  const overlaps: string[] = [];
  const leaders = (): string[] => candidates.filter((c) => c.believesLeading()).map((c) => c.id);
  const check = (): void => {
    const l = leaders();
    if (l.length > 1) overlaps.push(`t=${clock.now()}: ${l.join(', ')}`);
  };
  const w: World = {
    clock,
    tracker,
    candidates,
    overlaps,
    leaders,
    async run(untilMs: number) {
      check();
      for (;;) {
        const next = clock.nextTimerAt();
        if (next === undefined || next > untilMs) break;
        await clock.step();
        check();
      }
      await clock.advance(Math.max(0, untilMs - clock.now()));
      check();
    },
  };
  worlds.push(w);
  return w;
}

function lease(w: World): Lease {
  return w.tracker.get<Lease>(LEASES, 'kube-system', 'controller');
}

describe('leader election', () => {
  it('two candidates: exactly one leads and keeps renewing; the other follows it', async () => {
    const w = world(['a', 'b']);
    const t0 = w.clock.now();
    for (const c of w.candidates) c.start();
    await w.run(t0 + 60_000);
    expect(w.overlaps).toEqual([]);
    const leaders = w.leaders();
    expect(leaders).toHaveLength(1);
    const leader = w.candidates.find((c) => c.id === leaders[0])!;
    const follower = w.candidates.find((c) => c.id !== leaders[0])!;
    const l = lease(w);
    expect(l.spec?.holderIdentity).toBe(leader.id);
    expect(l.spec?.leaseDurationSeconds).toBe(15);
    expect(l.spec?.leaseTransitions).toBe(0);
    // Renewed within the last retry period.
    const renew = Date.parse(l.spec!.renewTime!);
    expect(w.clock.now() - renew).toBeLessThanOrEqual(RP);
    expect(leader.timesLed).toBe(1);
    expect(follower.timesLed).toBe(0);
    expect(follower.newLeaders).toEqual([leader.id]);
    expect(leader.newLeaders).toEqual([leader.id]);
  });

  it('a killed leader is replaced only after the lease duration, never overlapping', async () => {
    const w = world(['a', 'b']);
    const [a, b] = w.candidates as [Candidate, Candidate];
    a.start();
    await w.run(w.clock.now() + 1_000);
    b.start();
    await w.run(w.clock.now() + 30_000);
    expect(w.leaders()).toEqual(['a']);
    const killedAt = w.clock.now();
    const lastRenew = Date.parse(lease(w).spec!.renewTime!);
    await a.kill();
    await w.run(killedAt + 60_000);
    expect(w.overlaps).toEqual([]);
    expect(w.leaders()).toEqual(['b']);
    const tookOver = b.startedAt[0]!;
    // b waits a full lease duration from when it saw the last renewal (at or after lastRenew).
    expect(tookOver - lastRenew).toBeGreaterThanOrEqual(LD);
    expect(tookOver - lastRenew).toBeLessThanOrEqual(LD + 2.2 * RP + RP);
    expect(lease(w).spec?.leaseTransitions).toBe(1);
  });

  it('releaseOnCancel hands leadership over without waiting for the lease to expire', async () => {
    const w = world(['a', 'b'], { releaseOnCancel: true });
    const [a, b] = w.candidates as [Candidate, Candidate];
    a.start();
    await w.run(w.clock.now() + 1_000);
    b.start();
    await w.run(w.clock.now() + 20_000);
    const stoppedAt = w.clock.now();
    await a.kill();
    expect(a.stoppedAt).toEqual([stoppedAt]);
    expect(lease(w).spec?.holderIdentity).toBe('');
    await w.run(stoppedAt + 10_000);
    expect(w.overlaps).toEqual([]);
    expect(b.startedAt[0]! - stoppedAt).toBeLessThanOrEqual(2.2 * RP);
  });

  for (const mode of ['fail', 'hang', 'lost-response'] as const) {
    it(`a leader cut off from the API server (${mode}) steps down within renewDeadline; the other takes over after`, async () => {
      const w = world(['a', 'b']);
      const [a, b] = w.candidates as [Candidate, Candidate];
      a.start();
      await w.run(w.clock.now() + 1_000);
      b.start();
      await w.run(w.clock.now() + 20_000);
      const cutAt = w.clock.now();
      a.cutNetwork(mode);
      await w.run(cutAt + 40_000);
      expect(w.overlaps).toEqual([]);
      expect(a.stoppedAt).toHaveLength(1);
      expect(a.stoppedAt[0]! - cutAt).toBeLessThanOrEqual(RD);
      expect(b.startedAt).toHaveLength(1);
      expect(b.startedAt[0]!).toBeGreaterThan(a.stoppedAt[0]!);
      // The old leader's process restarts after the network heals and becomes a follower.
      a.heal();
      a.start();
      await w.run(w.clock.now() + 30_000);
      expect(w.overlaps).toEqual([]);
      expect(w.leaders()).toEqual(['b']);
    });
  }

  it('a leader that finds its lease stolen steps down at once; candidates wait out the thief', async () => {
    const w = world(['a', 'b', 'c']);
    for (const c of w.candidates) c.start();
    await w.run(w.clock.now() + 20_000);
    const leader = w.candidates.find((c) => c.believesLeading())!;
    expect(leader).toBeDefined();
    const stolenAt = w.clock.now();
    const cur = lease(w);
    w.tracker.update(LEASES, 'kube-system', {
      ...cur,
      spec: {
        ...cur.spec,
        holderIdentity: 'intruder',
        renewTime: new Date(stolenAt).toISOString().replace('Z', '000Z'),
      },
    } as KubeObject);
    await w.run(stolenAt + RP * 1.01);
    expect(leader.believesLeading()).toBe(false);
    expect(leader.stoppedAt[0]! - stolenAt).toBeLessThanOrEqual(RP);
    await w.run(stolenAt + 60_000);
    expect(w.overlaps).toEqual([]);
    const next = w.candidates.filter((c) => c.startedAt.some((t) => t > stolenAt));
    expect(next).toHaveLength(1);
    expect(next[0]!.startedAt.at(-1)! - stolenAt).toBeGreaterThanOrEqual(LD);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: three candidates with drifting clocks under random kills, cuts and thefts never overlap`, async () => {
      const prng = new Prng(seed);
      // Clock rates within +-5%: safe while renewDeadline/(1-e) < leaseDuration/(1+e).
      const drift = [0, 1, 2].map(() => 0.95 + prng.next() * 0.1);
      const w = world(['a', 'b', 'c'], { seed, drift });
      for (const c of w.candidates) c.start();
      let t = w.clock.now();
      let leaderships = 0;
      try {
        for (let step = 0; step < 60; step++) {
          const c = prng.pick(w.candidates);
          const r = prng.next();
          if (r < 0.15) await c.kill();
          else if (r < 0.35 && !c.running) c.start();
          else if (r < 0.55) c.cutNetwork(prng.pick(['fail', 'hang', 'lost-response'] as const));
          else if (r < 0.75) c.heal();
          else if (r < 0.8) {
            try {
              const cur = lease(w);
              w.tracker.update(LEASES, 'kube-system', {
                ...cur,
                spec: { ...cur.spec, holderIdentity: 'intruder' },
              } as KubeObject);
            } catch {
              // no lease yet
            }
          }
          t += prng.range(500, 20_000);
          await w.run(t);
          expect(w.overlaps, `seed ${seed}`).toEqual([]);
        }
        // Liveness: heal everything, run everyone; a leader emerges.
        for (const c of w.candidates) {
          c.heal();
          if (!c.running) c.start();
        }
        await w.run(t + 2 * LD + 10 * RP);
        expect(w.overlaps, `seed ${seed}`).toEqual([]);
        expect(w.leaders(), `seed ${seed}`).toHaveLength(1);
        leaderships = w.candidates.reduce((n, c) => n + c.timesLed, 0);
        expect(leaderships).toBeGreaterThan(1);
      } catch (err) {
        console.error(`leader election simulation failed with seed ${seed}`);
        throw err;
      }
    });
  }

  it('one elector can run again after losing leadership, and a stale cancel does not affect the new run', async () => {
    const w = world(['a']);
    const [a] = w.candidates as [Candidate];
    const client = a.client;
    let started = 0;
    let stopped = 0;
    const elector = new LeaderElector({
      lock: new LeaseLock({
        client: client.resource<Lease>(LEASES).namespace('kube-system'),
        namespace: 'kube-system',
        name: 'controller',
        identity: 'solo',
      }),
      leaseDurationMs: LD,
      renewDeadlineMs: RD,
      retryPeriodMs: RP,
      clock: w.clock,
      random: () => 0.5,
      logger: noopLogger,
      callbacks: { onStartedLeading: () => void started++, onStoppedLeading: () => void stopped++ },
    });
    const first = new AbortController();
    const run1 = elector.run(first.signal);
    await w.run(w.clock.now() + 5_000);
    expect(elector.isLeader()).toBe(true);
    a.cutNetwork('fail');
    await w.run(w.clock.now() + RD + RP);
    await run1;
    expect(elector.isLeader()).toBe(false);
    expect([started, stopped]).toEqual([1, 1]);
    a.heal();
    const second = new AbortController();
    const run2 = elector.run(second.signal);
    await w.run(w.clock.now() + 30_000);
    expect(elector.isLeader()).toBe(true);
    first.abort(); // the old run's signal must not end the new leadership
    await w.run(w.clock.now() + 1_000);
    expect(elector.isLeader()).toBe(true);
    second.abort();
    await run2;
    expect([started, stopped]).toEqual([2, 2]);
  });

  it('refuses unsafe timing configurations', () => {
    const lock = new LeaseLock({
      client: new FakeDynamicClient(new ObjectTracker()).resource<Lease>(LEASES).namespace('x'),
      namespace: 'x',
      name: 'l',
      identity: 'me',
    });
    const base = {
      lock,
      callbacks: { onStartedLeading: () => undefined, onStoppedLeading: () => undefined },
    };
    expect(
      () =>
        new LeaderElector({
          ...base,
          leaseDurationMs: 10_000,
          renewDeadlineMs: 10_000,
          retryPeriodMs: 2_000,
        }),
    ).toThrow(/leaseDuration must be greater than renewDeadline/);
    expect(
      () =>
        new LeaderElector({
          ...base,
          leaseDurationMs: 15_000,
          renewDeadlineMs: 2_000,
          retryPeriodMs: 2_000,
        }),
    ).toThrow(/renewDeadline must be greater than retryPeriod\*JitterFactor/);
    expect(
      () =>
        new LeaderElector({
          ...base,
          leaseDurationMs: 15_500,
          renewDeadlineMs: 10_000,
          retryPeriodMs: 2_000,
        }),
    ).toThrow(/whole number of seconds/);
    expect(
      () => new LeaseLock({ client: lock as never, namespace: 'x', name: 'l', identity: '' }),
    ).toThrow(/identity/);
  });
});
