/**
 * `--workers=N`: kubets-apiserver as N worker processes behind the same ports (node:cluster).
 *
 * Why: kube-apiserver (Go) spreads its work over every core; a Node.js server runs its
 * JavaScript on one thread, so a busy server queues requests and watch events behind that
 * thread while the other cores idle. HA Kubernetes already runs several API servers on one
 * etcd, each with its own watch cache; this is the same model inside one host. The primary
 * process serves nothing itself: it accepts connections on the workers' ports and hands each
 * to a worker in turn (node:cluster's round-robin), supervises them (a worker that dies is
 * started again), merges their metrics for `/metrics`, and stops them all on SIGTERM.
 *
 * What must happen once and not in every copy is the first worker's, in its first start only
 * (`bootstrap`): the system namespaces, the `kubernetes` Service, the repair of the service IP
 * and node port bitmaps from the stored services (a repair in a restarted worker would race with
 * allocations in the running ones). The controllers that write on their own (the quota
 * controller) run in the first worker, in every start of it. The other workers start once the
 * first one serves.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Component, HealthChecks, Logger } from '@kubets/component-base';
import { exposition, mergeWorkerMetrics, type MetricJSON } from './worker-metrics.js';

/** Environment the primary gives each worker. */
const ENV_INDEX = 'KUBETS_APISERVER_WORKER_INDEX';
const ENV_COUNT = 'KUBETS_APISERVER_WORKER_COUNT';
const ENV_BOOTSTRAP = 'KUBETS_APISERVER_WORKER_BOOTSTRAP';

/** Messages between the primary and the workers (all carry `kubets`). */
type Message =
  | { kubets: 'ready' }
  | { kubets: 'metrics'; id: number }
  | { kubets: 'collect'; id: number }
  | { kubets: 'collected'; id: number; metrics: MetricJSON[] }
  | { kubets: 'exposition'; id: number; text: string }
  | { kubets: 'workers'; running: number; count: number }
  | { kubets: 'stop' };

function isMessage(m: unknown): m is Message {
  return typeof m === 'object' && m !== null && 'kubets' in m;
}

/** This process's place among the workers; undefined when it is not a worker. */
export interface WorkerRole {
  /** 1..count, stable across restarts of the same worker. */
  index: number;
  count: number;
  /** Whether this worker does the once-per-server start-up writes and runs the controllers. */
  bootstrap: boolean;
}

export function workerRole(env: NodeJS.ProcessEnv = process.env): WorkerRole | undefined {
  if (!cluster.isWorker || env[ENV_INDEX] === undefined) return undefined;
  return {
    index: Number(env[ENV_INDEX]),
    count: Number(env[ENV_COUNT] ?? '1'),
    bootstrap: env[ENV_BOOTSTRAP] === '1',
  };
}

/**
 * `--audit-log-path` of a worker: every worker writes and rotates its own file
 * (`audit.log` -> `audit.worker2.log`), so rotation stays one writer's decision; `-` (standard
 * output) is shared, one write per record.
 */
export function workerAuditPath(path: string, role: WorkerRole | undefined): string {
  if (!role || path === '-') return path;
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  const cut = dot > slash + 1 ? dot : path.length;
  return `${path.slice(0, cut)}.worker${role.index}${path.slice(cut)}`;
}

/**
 * The worker's side, once its server serves: tells the primary, answers its metrics
 * collections, serves `/metrics` as the merge of every worker (asked of the primary), adds the
 * primary's view of the workers to `/readyz`, and stops when the primary asks or goes away.
 */
export function joinWorkers(role: WorkerRole, component: Component): void {
  const send = (m: Message): void => {
    if (process.connected) process.send?.(m);
  };
  const registry = component.metrics.registry;
  // Not ready until the primary says every worker serves (it tells each one when one starts).
  let running = 0;
  const pending = new Map<number, (text: string) => void>();
  let nextId = 0;
  process.on('message', (m: unknown) => {
    if (!isMessage(m)) return;
    if (m.kubets === 'collect') {
      void registry
        .getMetricsAsJSON()
        .then((metrics) =>
          send({ kubets: 'collected', id: m.id, metrics: metrics as unknown as MetricJSON[] }),
        );
    } else if (m.kubets === 'exposition') {
      pending.get(m.id)?.(m.text);
      pending.delete(m.id);
    } else if (m.kubets === 'workers') {
      running = m.running;
    } else if (m.kubets === 'stop') {
      void component.stop('the primary process asked to stop');
    }
  });
  // The primary is gone (killed): nothing supervises or balances this worker any more.
  process.once('disconnect', () => void component.stop('the primary process exited'));
  // `/metrics` answers for the whole server: the primary merges every worker's registry. If it
  // does not answer (shutting down), this worker's own metrics are better than none.
  const own = component.metrics.scrape.bind(component.metrics);
  component.metrics.scrape = () =>
    new Promise<string>((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(own());
      }, 5_000);
      pending.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      send({ kubets: 'metrics', id });
    });
  addWorkersCheck(component.health, () => ({ running, count: role.count }));
  send({ kubets: 'ready' });
}

/** `/readyz` check `workers`: fails while the primary reports a worker down (restarting). */
export function addWorkersCheck(
  health: HealthChecks,
  view: () => { running: number; count: number },
): void {
  health.add(
    'workers',
    () => {
      const { running, count } = view();
      if (running < count) throw new Error(`${running} of ${count} workers running`);
    },
    { endpoints: ['readyz'] },
  );
}

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** How long a worker may take to start serving (etcd reachable, caches filled). */
  startTimeoutMs?: number;
  /** Restart delay after a worker died; doubles while workers keep dying, up to 30 s. */
  restartDelayMs?: number;
}

export interface Primary {
  /** Resolves once every worker serves; rejects if one exits before it ever served. */
  readonly started: Promise<void>;
  /** Asks every worker to shut down gracefully; resolves when all exited. */
  stop(): Promise<void>;
}

/**
 * Runs the workers from the primary process: the first one alone (it bootstraps), then the
 * others; restarts a worker that dies; merges metrics on a worker's request.
 */
export function startPrimary(o: PrimaryOptions): Primary {
  const log = o.logger;
  const slots = new Map<number, { worker: Worker; ready: boolean; everReady: boolean }>();
  let stopping = false;
  let restartDelay = o.restartDelayMs ?? 1_000;
  const collections = new Map<
    number,
    { from: Worker; id: number; results: MetricJSON[][]; waiting: number; timer: NodeJS.Timeout }
  >();
  let nextCollection = 0;

  const running = (): number => [...slots.values()].filter((s) => s.ready).length;
  const broadcast = (m: Message): void => {
    for (const s of slots.values()) if (s.worker.isConnected()) s.worker.send(m);
  };
  const announce = (): void =>
    broadcast({ kubets: 'workers', running: running(), count: o.workers });

  const finishCollection = (key: number): void => {
    const c = collections.get(key);
    if (!c) return;
    collections.delete(key);
    clearTimeout(c.timer);
    const text = exposition(mergeWorkerMetrics(c.results));
    if (c.from.isConnected()) c.from.send({ kubets: 'exposition', id: c.id, text });
  };

  const collect = (from: Worker, id: number): void => {
    const key = nextCollection++;
    const targets = [...slots.values()].filter((s) => s.ready && s.worker.isConnected());
    const c = {
      from,
      id,
      results: [] as MetricJSON[][],
      waiting: targets.length,
      // A worker that does not answer in time (stuck, dying) is left out of this scrape.
      timer: setTimeout(() => finishCollection(key), 3_000),
    };
    collections.set(key, c);
    for (const s of targets) s.worker.send({ kubets: 'collect', id: key });
    if (targets.length === 0) finishCollection(key);
  };

  const fork = (index: number, bootstrap: boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({
        [ENV_INDEX]: String(index),
        [ENV_COUNT]: String(o.workers),
        [ENV_BOOTSTRAP]: bootstrap ? '1' : '0',
      });
      const slot = { worker, ready: false, everReady: slots.get(index)?.everReady ?? false };
      slots.set(index, slot);
      const startTimer = setTimeout(() => {
        log.error(undefined, 'Worker did not start serving in time; stopping it', {
          worker: index,
          pid: worker.process.pid,
        });
        worker.process.kill('SIGKILL');
      }, o.startTimeoutMs ?? 120_000);
      worker.on('message', (m: unknown) => {
        if (!isMessage(m)) return;
        if (m.kubets === 'ready') {
          clearTimeout(startTimer);
          slot.ready = true;
          slot.everReady = true;
          restartDelay = o.restartDelayMs ?? 1_000;
          log.info('Worker serving', { worker: index, pid: worker.process.pid });
          announce();
          resolve();
        } else if (m.kubets === 'metrics') {
          collect(worker, m.id);
        } else if (m.kubets === 'collected') {
          const c = collections.get(m.id);
          if (!c) return;
          c.results.push(m.metrics);
          if (--c.waiting === 0) finishCollection(m.id);
        }
      });
      worker.on('exit', (code, signal) => {
        clearTimeout(startTimer);
        const wasReady = slot.ready;
        slot.ready = false;
        for (const [key, c] of collections) {
          if (c.from === worker) collections.delete(key);
        }
        if (stopping) return;
        announce();
        if (!slot.everReady) {
          reject(
            new Error(
              `worker ${index} exited (${signal ?? `code ${code}`}) before it served; see its log above`,
            ),
          );
          return;
        }
        log.error(undefined, 'Worker exited; starting it again', {
          worker: index,
          pid: worker.process.pid,
          code,
          signal,
          wasServing: wasReady,
          restartInMs: restartDelay,
        });
        const delay = restartDelay;
        restartDelay = Math.min(restartDelay * 2, 30_000);
        // Not unref'd: with every worker dead, this timer is what keeps the primary running.
        setTimeout(() => {
          if (stopping) return;
          fork(index, false).catch((err: unknown) => {
            log.error(err, 'Worker restart failed', { worker: index });
          });
        }, delay);
      });
    });

  // The first worker alone (it bootstraps), then the others.
  const started = (async () => {
    await fork(1, true);
    await Promise.all(Array.from({ length: o.workers - 1 }, (_, i) => fork(i + 2, false)));
    log.info('All workers serving', { workers: o.workers });
  })();

  return {
    started,
    stop: async () => {
      stopping = true;
      const live = [...slots.values()].filter((s) => !s.worker.isDead());
      const exits = live.map((s) => new Promise((resolve) => s.worker.once('exit', resolve)));
      for (const s of live) {
        // A serving worker drains as on SIGTERM; one still starting has no server to drain.
        if (s.ready && s.worker.isConnected()) s.worker.send({ kubets: 'stop' });
        else s.worker.process.kill('SIGTERM');
      }
      await Promise.all(exits);
    },
  };
}
