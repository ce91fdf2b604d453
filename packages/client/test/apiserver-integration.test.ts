/**
 * @kubets/client against REAL kubets API servers (the kubets-apiserver binary, two processes on
 * one real kubets-store member, TLS with a kubeconfig read from disk): every verb, subresources and typed errors
 * over the gRPC transport; and an informer that must converge, with no notification lost or
 * applied twice, after its watch is cut mid-stream, after its API server process is killed and
 * restarted, and after the store is compacted past its resourceVersion (410: relist, deletes missed
 * while disconnected arrive as DeletedFinalStateUnknown tombstones). Server A is reached through
 * a TCP proxy that can cut the network; server B is the writer that keeps working meanwhile.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isAlreadyExists,
  isConflict,
  isInvalid,
  isNotFound,
  type KubeObject,
} from '@kubets/apimachinery';
import { freePort, type EtcdProcess } from '../../apiserver/test/helpers/etcd.js';
import { startKubetsStore, storeMissingReason } from '../../apiserver/test/helpers/store.js';
import { SharedIndexInformer, waitForCacheSync } from '../src/cache/shared-informer.js';
import { newClientset, type Clientset } from '../src/clientset.js';
import { EventBroadcaster, resourceEventSink } from '../src/events/recorder.js';
import { EVENTS, type Event } from '../src/events/types.js';
import { LeaderElector } from '../src/leaderelection/leader-elector.js';
import { LeaseLock, type Lease } from '../src/leaderelection/lease-lock.js';
import { loadClientConfig } from '../src/config/client-config.js';
import { noopLogger } from '../src/util/logger.js';
import {
  apiserverMissingReason,
  startApiServerProcess,
  startCuttableProxy,
  type ApiServerProcess,
  type CuttableProxy,
} from './support/apiserver-process.js';
import { recordingHandler, replay, type Seen } from './support/fixtures.js';
import { makeTestPki, opensslMissingReason, type TestPki } from './support/pki.js';

const skip =
  storeMissingReason() ??
  (existsSync('/usr/bin/etcdctl') ? undefined : 'etcdctl not found at /usr/bin/etcdctl') ??
  opensslMissingReason() ??
  apiserverMissingReason();
if (skip)
  console.warn(`skipping @kubets/client integration tests against kubets-apiserver: ${skip}`);

const run = promisify(execFile);

interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers: { name: string; image: string }[] };
  status?: { phase?: string };
}

const podIn = (ns: string, name: string, labels: Record<string, string> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
});

describe.skipIf(skip)('against a real kubets-apiserver', () => {
  let pki: TestPki;
  let etcd: EtcdProcess;
  let a: ApiServerProcess;
  let b: ApiServerProcess;
  let proxy: CuttableProxy;
  let csA: Clientset;
  let csB: Clientset;

  beforeAll(async () => {
    pki = makeTestPki();
    etcd = await startKubetsStore();
    const [sA, gA, sB, gB] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const common = {
      etcdEndpoint: etcd.endpoint,
      tlsCertFile: pki.files.serverCert,
      tlsKeyFile: pki.files.serverKey,
      ca: pki.ca,
    };
    [a, b] = await Promise.all([
      // The informers' server watches etcd directly, so etcd's compaction reaches them as a 410
      // (a watch cache would still replay those revisions from its window, as upstream's does).
      startApiServerProcess({
        ...common,
        securePort: sA,
        grpcPort: gA,
        extraArgs: ['--watch-cache=false'],
      }),
      startApiServerProcess({ ...common, securePort: sB, grpcPort: gB }),
    ]);
    proxy = await startCuttableProxy(gA);
    // A kubeconfig as a user would write it: relative CA path, gRPC endpoint as an extension.
    const kubeconfig = join(pki.dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
current-context: b
clusters:
- name: a
  cluster:
    server: https://127.0.0.1:${sA}
    certificate-authority: ca.crt
    extensions:
    - name: kubets.io/grpc-server
      extension: {server: "127.0.0.1:${proxy.port}"}
- name: b
  cluster:
    server: https://127.0.0.1:${sB}
    certificate-authority: ./ca.crt
    extensions:
    - name: kubets.io/grpc-server
      extension: {server: "127.0.0.1:${gB}"}
users:
- name: alice
  user:
    client-certificate: client.crt
    client-key: client.key
contexts:
- name: a
  context: {cluster: a, user: alice, namespace: informers}
- name: b
  context: {cluster: b, user: alice, namespace: crud}
`,
    );
    const load = (context?: string) => ({
      ...loadClientConfig(context ? { context } : {}, { explicitPath: kubeconfig }),
      qps: 500,
      burst: 500,
    });
    csA = newClientset(load('a'), { logger: noopLogger });
    csB = newClientset(load(), { logger: noopLogger });
    for (const ns of ['crud', 'informers']) {
      await csB.coreV1
        .namespaces()
        .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
  }, 90_000);

  afterAll(async () => {
    csA?.close();
    csB?.close();
    await proxy?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await etcd?.stop();
    pki?.remove();
  }, 30_000);

  it('runs every verb, subresources and typed errors over TLS from a kubeconfig', async () => {
    expect(csB.namespace).toBe('crud');
    const pods = csB.coreV1.pods<Pod>(csB.namespace);
    const p = await pods.create(podIn('crud', 'web-0', { app: 'web' }));
    expect(p.metadata?.uid).toBeTruthy();
    await expect(pods.create(podIn('crud', 'web-0'))).rejects.toSatisfy(isAlreadyExists);
    await expect(pods.get('nope')).rejects.toSatisfy(isNotFound);
    await expect(
      pods.create({ ...podIn('crud', 'bad'), spec: { containers: [] } }),
    ).rejects.toSatisfy(isInvalid);

    const u = await pods.update({
      ...p,
      metadata: { ...p.metadata, labels: { app: 'web', v: '2' } },
    });
    await expect(pods.update(p)).rejects.toSatisfy(isConflict); // stale resourceVersion
    const s = await pods.updateStatus({ ...u, status: { phase: 'Running' } });
    expect(s.status?.phase).toBe('Running');
    expect((await pods.get('web-0', { subresource: 'status' })).status?.phase).toBe('Running');
    const merged = await pods.patch('web-0', 'application/merge-patch+json', {
      metadata: { annotations: { a: '1' } },
    });
    expect(merged.metadata?.annotations).toEqual({ a: '1' });
    const sm = await pods.patch('web-0', 'application/strategic-merge-patch+json', {
      metadata: { labels: { tier: 'front' } },
    });
    expect(sm.metadata?.labels).toEqual({ app: 'web', v: '2', tier: 'front' });
    const jp = await pods.patch('web-0', 'application/json-patch+json', [
      { op: 'remove', path: '/metadata/labels/v' },
    ]);
    expect(jp.metadata?.labels).toEqual({ app: 'web', tier: 'front' });

    // Server-side apply, dry run, a watch that the server ends at its timeoutSeconds.
    const applied = await pods.patch(
      'web-0',
      'application/apply-patch+yaml',
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', labels: { owner: 'ssa' } } },
      { fieldManager: 'integration-test', force: true },
    );
    expect(applied.metadata?.labels?.owner).toBe('ssa');
    await pods.create(podIn('crud', 'dry'), { dryRun: ['All'] });
    await expect(pods.get('dry')).rejects.toSatisfy(isNotFound);
    const rv = (await pods.list()).resourceVersion;
    const started = Date.now();
    const events = [];
    for await (const ev of await pods.watch({ resourceVersion: rv, timeoutSeconds: 1 })) {
      events.push(ev);
    }
    expect(events).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);

    // Subresources: binding, eviction, scale.
    await pods.bind({ metadata: { name: 'web-0' }, target: { kind: 'Node', name: 'node-1' } });
    expect((await pods.get('web-0')).spec?.nodeName).toBe('node-1');
    await pods.create(podIn('crud', 'evictee'));
    await pods.evict({ metadata: { name: 'evictee', namespace: 'crud' } });
    await expect(pods.get('evictee')).rejects.toSatisfy(isNotFound);
    const deployments = csB.appsV1.deployments('crud');
    await deployments.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    } as KubeObject);
    const scale = await deployments.getScale('d');
    expect(scale.kind).toBe('Scale');
    expect(scale.spec?.replicas).toBe(1);
    await deployments.updateScale('d', { ...scale, spec: { replicas: 3 } });
    expect(((await deployments.get('d')) as { spec?: { replicas?: number } }).spec?.replicas).toBe(
      3,
    );

    // List with pagination, deleteCollection by label, delete with a stale precondition.
    for (let i = 1; i <= 4; i++) await pods.create(podIn('crud', `batch-${i}`, { batch: 'yes' }));
    const page = await pods.list({ labelSelector: 'batch=yes', limit: 3 });
    expect(page.items).toHaveLength(3);
    const rest = await pods.list({ labelSelector: 'batch=yes', limit: 3, continue: page.continue });
    expect(rest.items.map((x) => x.metadata?.name)).toEqual(['batch-4']);
    expect(rest.resourceVersion).toBe(page.resourceVersion); // one snapshot across pages
    const byField = await pods.list({ fieldSelector: 'metadata.name=batch-2' });
    expect(byField.items.map((x) => x.metadata?.name)).toEqual(['batch-2']);
    await pods.delete('batch-1', { propagationPolicy: 'Background', gracePeriodSeconds: 0 });
    await expect(pods.get('batch-1')).rejects.toSatisfy(isNotFound);
    await pods.deleteCollection({}, { labelSelector: 'batch=yes' });
    expect((await pods.list({ labelSelector: 'batch=yes' })).items).toEqual([]);
    await expect(
      pods.delete('web-0', { preconditions: { resourceVersion: '1' } }),
    ).rejects.toSatisfy(isConflict);
  }, 60_000);

  it('the dynamic client serves custom resources', async () => {
    await csB.apiextensionsV1.customResourceDefinitions().create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    } as KubeObject);
    const widgets = csB
      .resource({ group: 'example.com', version: 'v1', resource: 'widgets' })
      .namespace('crud');
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 3 },
    } as KubeObject;
    // The CRD becomes served asynchronously: retry NotFound for a bounded time.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await widgets.create(widget);
        break;
      } catch (err) {
        if (!isNotFound(err) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const got = (await widgets.get('w1')) as KubeObject & { spec?: unknown };
    expect(got.spec).toEqual({ size: 3 });
    expect((await widgets.list()).items.map((w) => w.metadata?.name)).toEqual(['w1']);
  }, 30_000);

  it('leader election on Leases and the event recorder work over the wire', async () => {
    // Two candidates on two API servers: one leads; when it releases, the other takes over.
    const leaders: string[] = [];
    const candidate = (cs: Clientset, id: string) => {
      const stop = new AbortController();
      const elector = new LeaderElector({
        lock: new LeaseLock({
          client: cs.coordinationV1.leases<Lease>('crud'),
          namespace: 'crud',
          name: 'integration',
          identity: id,
        }),
        leaseDurationMs: 2000,
        renewDeadlineMs: 1500,
        retryPeriodMs: 250,
        releaseOnCancel: true,
        logger: noopLogger,
        callbacks: {
          onStartedLeading: () => {
            leaders.push(id);
          },
          onStoppedLeading: () => undefined,
        },
      });
      return { elector, stop, done: elector.run(stop.signal) };
    };
    const one = candidate(csA, 'one');
    await expect.poll(() => leaders, { timeout: 10_000 }).toEqual(['one']);
    const two = candidate(csB, 'two');
    await new Promise((r) => setTimeout(r, 600));
    expect(two.elector.isLeader()).toBe(false);
    one.stop.abort();
    await one.done;
    await expect.poll(() => leaders, { timeout: 10_000 }).toEqual(['one', 'two']);
    two.stop.abort();
    await two.done;

    // Events: a first event is created; repeats become a series on it.
    const broadcaster = new EventBroadcaster({
      sink: resourceEventSink(csB.resource<Event>(EVENTS)),
      logger: noopLogger,
    });
    const recorder = broadcaster.newRecorder('kubets.io/integration', 'test-host');
    const regarding = await csB.coreV1.pods('crud').get('web-0');
    for (let i = 0; i < 3; i++) {
      recorder.eventf(regarding, undefined, 'Normal', 'Tested', 'Testing', 'round %s', 'x');
    }
    const events = csB.resource<Event>(EVENTS).namespace('crud');
    await expect
      .poll(async () => (await events.list()).items.map((e) => e.series?.count ?? 1), {
        timeout: 10_000,
      })
      .toEqual([3]);
    await broadcaster.shutdown();
  }, 40_000);

  it('an informer converges after a watch cut, an API server restart, and a compaction (410)', async () => {
    const NS = 'informers';
    const writer = csB.coreV1.pods<Pod>(NS);
    for (let i = 0; i < 20; i++) await writer.create(podIn(NS, `p-${i}`));

    const informer = new SharedIndexInformer<KubeObject>(csA.coreV1.pods(NS), {
      logger: noopLogger,
      // Upstream's reflector backoff grows to 30 s across the three outages below; cap it so the
      // test measures convergence, not backoff.
      backoff: { initialMs: 200, capMs: 2000, factor: 2, jitter: 0.5, resetMs: 120_000 },
    });
    const { handler, seen } = recordingHandler();
    informer.addEventHandler(handler);
    const stop = new AbortController();
    const done = informer.run(stop.signal);
    try {
      await waitForCacheSync(stop.signal, [() => informer.hasSynced()]);
      expect(informer.getStore().listKeys()).toHaveLength(20);

      /** The informer's cache and its handler's replayed view both equal the server's list. */
      const converged = async (): Promise<void> => {
        const truth = async (): Promise<string> =>
          (await writer.list()).items
            .map((p) => `${NS}/${p.metadata?.name}@${p.metadata?.resourceVersion}`)
            .sort()
            .join(',');
        const cached = (): string =>
          informer
            .getStore()
            .list()
            .map(
              (p) => `${p.metadata?.namespace}/${p.metadata?.name}@${p.metadata?.resourceVersion}`,
            )
            .sort()
            .join(',');
        const want = await truth();
        await expect.poll(cached, { timeout: 30_000, interval: 100 }).toBe(want);
        const replayed = [...replay(seen)]
          .map(([k, rv]) => `${k}@${rv}`)
          .sort()
          .join(',');
        expect(replayed).toBe(want);
      };
      const tombstones = (from: number): string[] =>
        seen
          .slice(from)
          .filter((s): s is Extract<Seen, { kind: 'delete' }> => s.kind === 'delete' && s.tombstone)
          .map((s) => s.key)
          .sort();

      // A watch that ends within 1 s having delivered nothing counts as failed (and relists, as
      // upstream): let this one deliver an event first, so the cut below is a mid-stream cut.
      await writer.create(podIn(NS, 'warm-up'));
      await converged();

      // 1. The network cuts mid-stream; writes continue on B; the watch resumes where it was.
      let mark = seen.length;
      proxy.cut();
      for (let i = 20; i < 25; i++) await writer.create(podIn(NS, `p-${i}`));
      for (let i = 0; i < 5; i++) {
        await writer.patch(`p-${i}`, 'application/merge-patch+json', {
          metadata: { labels: { round: '1' } },
        });
      }
      for (let i = 5; i < 8; i++) await writer.delete(`p-${i}`);
      proxy.heal();
      await converged();
      expect(tombstones(mark)).toEqual([]); // resumed, not relisted: real deletes, no tombstones

      // 2. The API server process is killed and started again.
      mark = seen.length;
      await a.kill();
      await writer.create(podIn(NS, 'after-crash'));
      await writer.delete('p-8');
      await writer.patch('p-9', 'application/merge-patch+json', {
        metadata: { labels: { round: '2' } },
      });
      await a.start();
      await converged();
      expect(tombstones(mark)).toEqual([]);

      // 3. Disconnected again; deletes happen and etcd is compacted past the informer's version:
      //    the resumed watch gets 410, the informer relists, and the deletes it never saw arrive
      //    as tombstones.
      mark = seen.length;
      proxy.cut();
      const deleted = ['p-10', 'p-11', 'p-12'];
      for (const name of deleted) await writer.delete(name);
      await writer.create(podIn(NS, 'after-compaction'));
      await writer.patch('p-13', 'application/merge-patch+json', {
        metadata: { labels: { round: '3' } },
      });
      const rev = (await writer.list()).resourceVersion;
      await run('etcdctl', [`--endpoints=${etcd.endpoint}`, 'compaction', rev], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      proxy.heal();
      await converged();
      expect(tombstones(mark)).toEqual(deleted.map((n) => `${NS}/${n}`).sort());
    } finally {
      stop.abort();
      await done;
    }
  }, 120_000);
});
