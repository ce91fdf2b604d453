/**
 * Leader election against a REAL kubets-apiserver (the built binary on a real kubets-store member, TLS): three
 * candidates, each with its own gRPC clientset reached through its own cuttable TCP proxy, with
 * short lease settings. One scenario runs in order: exactly one leads; the leader is killed
 * (stopped without releasing: another takes over only after the lease duration); the next
 * leader's network is cut (it steps down by its renew deadline, the next one starts only after
 * the old lease expired); an outside writer steals the Lease (the leader notices and steps down,
 * and nobody leads before the thief's lease expired). Every candidate's onStartedLeading /
 * onStoppedLeading goes into one timeline that is checked at the end: no two leading intervals
 * overlap (all clocks are the process clock, so the clock-skew margin is zero) and, sampled
 * throughout, the leader any candidate believes in is the Lease's holderIdentity.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMicroTime } from '@kubets/apimachinery';
import { freePort, type EtcdProcess } from '../../apiserver/test/helpers/etcd.js';
import { startKubetsStore, storeMissingReason } from '../../apiserver/test/helpers/store.js';
import { newClientset, type Clientset } from '../src/clientset.js';
import { loadClientConfig } from '../src/config/client-config.js';
import { LeaderElector } from '../src/leaderelection/leader-elector.js';
import { LeaseLock, type Lease } from '../src/leaderelection/lease-lock.js';
import type { ResourceLock } from '../src/leaderelection/resource-lock.js';
import { realClock } from '../src/util/clock.js';
import { noopLogger } from '../src/util/logger.js';
import {
  apiserverMissingReason,
  startApiServerProcess,
  startCuttableProxy,
  type ApiServerProcess,
  type CuttableProxy,
} from './support/apiserver-process.js';
import { makeTestPki, opensslMissingReason, type TestPki } from './support/pki.js';

const skip = storeMissingReason() ?? opensslMissingReason() ?? apiserverMissingReason();
if (skip) console.warn(`skipping leader election against kubets-apiserver: ${skip}`);

const NS = 'kube-system';
const LEASE = 'real-election';
const LEASE_DURATION = 2000;
const RENEW_DEADLINE = 1500;
const RETRY_PERIOD = 300;
/** Timer lateness allowed on a loaded box when checking "by its renew deadline". */
const TIMER_SLACK = 250;

const now = (): number => realClock.now();
const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TimelineEntry {
  id: string;
  kind: 'started' | 'stopped';
  at: number;
}

/** A candidate "process": campaigns again after losing, until killed or shut down. */
interface Candidate {
  id: string;
  proxy: CuttableProxy;
  cs: Clientset;
  elector: LeaderElector | undefined;
  /** Starts of this candidate's lease writes that succeeded (create or update). */
  writes: number[];
  kill(): Promise<void>;
  loop: Promise<void>;
}

describe.skipIf(skip)('leader election against a real kubets-apiserver', () => {
  let pki: TestPki;
  let etcd: EtcdProcess;
  let server: ApiServerProcess;
  let outside: Clientset;
  const candidates: Candidate[] = [];
  const timeline: TimelineEntry[] = [];
  /** Holder checks: who some candidate believed led, and the Lease's holder meanwhile. */
  const mismatches: string[] = [];
  let samples = 0;
  let sampling = true;
  let shuttingDown = false;

  const loadConfig = (kubeconfig: string, grpcServer?: string) => ({
    ...loadClientConfig(grpcServer ? { grpcServer } : {}, { explicitPath: kubeconfig }),
    qps: 500,
    burst: 500,
  });

  const startCandidate = (id: string, proxy: CuttableProxy, cs: Clientset): Candidate => {
    const stop = new AbortController();
    const c: Candidate = {
      id,
      proxy,
      cs,
      elector: undefined,
      writes: [],
      kill: async () => {
        stop.abort();
        await c.loop;
      },
      loop: Promise.resolve(),
    };
    const inner = new LeaseLock({
      client: cs.coordinationV1.leases<Lease>(NS),
      namespace: NS,
      name: LEASE,
      identity: id,
    });
    // Records when each successful write started: the Lease changed at or after that instant.
    const lock: ResourceLock = {
      get: (s) => inner.get(s),
      create: async (r, s) => {
        const t = now();
        await inner.create(r, s);
        c.writes.push(t);
      },
      update: async (r, s) => {
        const t = now();
        await inner.update(r, s);
        c.writes.push(t);
      },
      identity: () => inner.identity(),
      describe: () => inner.describe(),
    };
    c.loop = (async () => {
      for (let round = 0; round < 50 && !stop.signal.aborted && !shuttingDown; round++) {
        let led = false;
        const elector = new LeaderElector({
          lock,
          leaseDurationMs: LEASE_DURATION,
          renewDeadlineMs: RENEW_DEADLINE,
          retryPeriodMs: RETRY_PERIOD,
          // "Killed" means gone without a word: the lease is left to expire.
          releaseOnCancel: false,
          logger: noopLogger,
          callbacks: {
            onStartedLeading: () => {
              led = true;
              timeline.push({ id, kind: 'started', at: now() });
            },
            onStoppedLeading: () => {
              if (led) timeline.push({ id, kind: 'stopped', at: now() });
            },
          },
        });
        c.elector = elector;
        await elector.run(stop.signal);
      }
    })();
    return c;
  };

  const leaders = (): Candidate[] => candidates.filter((c) => c.elector?.isLeader());
  const waitForLeader = async (notIds: string[], timeout: number): Promise<Candidate> => {
    const deadline = now() + timeout;
    for (;;) {
      const ls = leaders().filter((c) => !notIds.includes(c.id));
      if (ls.length === 1) return ls[0]!;
      if (now() > deadline) throw new Error(`no new leader within ${timeout} ms`);
      await sleepMs(20);
    }
  };
  const lastStart = (id: string): number =>
    timeline.filter((e) => e.id === id && e.kind === 'started').at(-1)!.at;
  const lastStop = (id: string): number | undefined => {
    const started = lastStart(id);
    return timeline.find((e) => e.id === id && e.kind === 'stopped' && e.at >= started)?.at;
  };
  const readHolder = async (): Promise<string> =>
    (await outside.coordinationV1.leases<Lease>(NS).get(LEASE)).spec?.holderIdentity ?? '';

  beforeAll(async () => {
    pki = makeTestPki();
    etcd = await startKubetsStore();
    const [securePort, grpcPort] = [await freePort(), await freePort()];
    server = await startApiServerProcess({
      etcdEndpoint: etcd.endpoint,
      securePort,
      grpcPort,
      tlsCertFile: pki.files.serverCert,
      tlsKeyFile: pki.files.serverKey,
      ca: pki.ca,
    });
    const kubeconfig = join(pki.dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
current-context: c
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:${securePort}
    certificate-authority: ca.crt
    extensions:
    - name: kubets.io/grpc-server
      extension: {server: "127.0.0.1:${grpcPort}"}
users:
- name: alice
  user:
    client-certificate: client.crt
    client-key: client.key
contexts:
- name: c
  context: {cluster: c, user: alice, namespace: ${NS}}
`,
    );
    outside = newClientset(loadConfig(kubeconfig), { logger: noopLogger });
    for (const id of ['alpha', 'beta', 'gamma']) {
      const proxy = await startCuttableProxy(grpcPort);
      const cs = newClientset(loadConfig(kubeconfig, `127.0.0.1:${proxy.port}`), {
        logger: noopLogger,
      });
      candidates.push({ id, proxy, cs } as Candidate);
    }
  }, 90_000);

  afterAll(async () => {
    shuttingDown = true;
    sampling = false;
    await Promise.all(candidates.map((c) => c.kill?.()));
    for (const c of candidates) {
      c.cs?.close();
      await c.proxy?.close();
    }
    outside?.close();
    await server?.stop();
    await etcd?.stop();
    pki?.remove();
  }, 30_000);

  it('three candidates, a killed leader, a network cut and a stolen lease: never two leaders', async () => {
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      candidates[i] = startCandidate(c.id, c.proxy, c.cs);
    }

    // Sampler: whenever exactly one candidate believes it leads before and after a read of the
    // Lease, the Lease names it. (Paused while a thief rewrites the Lease behind the leader.)
    const sampler = (async () => {
      while (!shuttingDown) {
        if (sampling) {
          const before = leaders().map((c) => c.id);
          const wasSampling = sampling;
          let holder: string | undefined;
          try {
            holder = await readHolder();
          } catch {
            holder = undefined; // NotFound before the first create
          }
          const after = leaders().map((c) => c.id);
          if (holder !== undefined && wasSampling && sampling) {
            if (before.length > 1 || after.length > 1) {
              mismatches.push(`two leaders believed at once: ${before.join()} / ${after.join()}`);
            }
            if (before.length === 1 && after.length === 1 && before[0] === after[0]) {
              samples++;
              if (holder !== before[0]) mismatches.push(`${before[0]} leads, Lease says ${holder}`);
            }
          }
        }
        await sleepMs(50);
      }
    })();

    try {
      // 1. Exactly one of three leads, and keeps leading.
      const first = await waitForLeader([], 15_000);
      await sleepMs(1000);
      expect(leaders().map((c) => c.id)).toEqual([first.id]);
      expect(await readHolder()).toBe(first.id);

      // 2. Killed: stopped abruptly without releasing. Another takes over only once the lease
      // (last renewed when its last write started, or later) has run out.
      const tKill = now();
      await first.kill();
      const lastWriteOfFirst = first.writes.at(-1)!;
      const second = await waitForLeader([first.id], 10_000);
      const tSecond = lastStart(second.id);
      expect(tSecond).toBeGreaterThanOrEqual(lastWriteOfFirst + LEASE_DURATION);
      expect(tSecond - tKill).toBeLessThan(LEASE_DURATION + 3000);
      expect(await readHolder()).toBe(second.id);
      await sleepMs(500);

      // 3. Network cut: the leader stops leading by its renew deadline (measured from the start
      // of its last successful renewal); the next starts only after that renewal's lease ran out.
      const tCut = now();
      second.proxy.cut();
      const third = await waitForLeader([second.id], 10_000);
      const lastRenewOfSecond = second.writes.filter((t) => t <= tCut).at(-1)!;
      const tStopSecond = lastStop(second.id);
      expect(tStopSecond).toBeDefined();
      expect(tStopSecond!).toBeLessThanOrEqual(lastRenewOfSecond + RENEW_DEADLINE + TIMER_SLACK);
      expect(tStopSecond! - tCut).toBeLessThanOrEqual(RENEW_DEADLINE + TIMER_SLACK);
      const tThird = lastStart(third.id);
      expect(tThird).toBeGreaterThanOrEqual(second.writes.at(-1)! + LEASE_DURATION);
      expect(tThird).toBeGreaterThan(tStopSecond!);
      second.proxy.heal(); // back as a follower
      expect(await readHolder()).toBe(third.id);
      await sleepMs(500);

      // 4. Lease stolen: an outside writer puts its own holderIdentity into the Lease. The leader
      // notices at its next renewal and steps down; nobody leads before the thief's lease ran out.
      sampling = false;
      const leases = outside.coordinationV1.leases<Lease>(NS);
      let tSteal = 0;
      for (let attempt = 0; ; attempt++) {
        const lease = await leases.get(LEASE);
        const stamp = formatMicroTime(BigInt(Date.now()) * 1000n);
        lease.spec = {
          ...lease.spec,
          holderIdentity: 'thief',
          leaseDurationSeconds: LEASE_DURATION / 1000,
          acquireTime: stamp,
          renewTime: stamp,
          leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1,
        };
        tSteal = now();
        try {
          await leases.update(lease);
          break;
        } catch (err) {
          // The leader renewed in between (409): read again.
          if (attempt >= 10) throw err;
        }
      }
      await expect
        .poll(() => lastStop(third.id), { timeout: RENEW_DEADLINE + 2000, interval: 20 })
        .toBeDefined();
      // Noticed, not merely timed out: it stepped down before its renew deadline ran out.
      const lastRenewOfThird = third.writes.filter((t) => t <= tSteal).at(-1)!;
      expect(lastStop(third.id)!).toBeLessThan(lastRenewOfThird + RENEW_DEADLINE);
      expect(leaders()).toEqual([]);
      const fourth = await waitForLeader([], 10_000);
      expect(lastStart(fourth.id)).toBeGreaterThanOrEqual(tSteal + LEASE_DURATION);
      expect(await readHolder()).toBe(fourth.id);
      sampling = true;
      await sleepMs(1000);
      expect(leaders().map((c) => c.id)).toEqual([fourth.id]);
      // The candidate whose network was cut is back (its channel reconnected) and follows.
      await expect
        .poll(() => second.elector?.getLeader(), { timeout: 10_000, interval: 50 })
        .toBe(fourth.id);
    } finally {
      shuttingDown = true;
      await sampler;
      await Promise.all(candidates.map((c) => c.kill()));
    }

    // 5. The whole timeline: every interval closed, no two candidates' intervals overlap
    // (clock-skew margin zero: one clock), the holder always matched the believed leader.
    const intervals: { id: string; from: number; to: number }[] = [];
    const open = new Map<string, number>();
    for (const e of timeline) {
      if (e.kind === 'started') {
        expect(open.has(e.id)).toBe(false);
        open.set(e.id, e.at);
      } else {
        expect(open.has(e.id)).toBe(true);
        intervals.push({ id: e.id, from: open.get(e.id)!, to: e.at });
        open.delete(e.id);
      }
    }
    expect([...open.keys()]).toEqual([]);
    expect(intervals.length).toBeGreaterThanOrEqual(4);
    for (const x of intervals) {
      for (const y of intervals) {
        if (x === y) continue;
        const disjoint = x.to <= y.from || y.to <= x.from;
        if (!disjoint) {
          throw new Error(`overlapping leaders: ${JSON.stringify(x)} and ${JSON.stringify(y)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(samples).toBeGreaterThan(10);
  }, 45_000);
});
