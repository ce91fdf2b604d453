/**
 * @kubernetes/client-node (the official JavaScript client) against kubets-apiserver on real etcd:
 * typed create/list/patch/delete, the raw Watch, and an informer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { etcdMissingReason } from './helpers/etcd.js';
import { startTestCluster, type TestCluster } from './helpers/apiserver.js';

const skip = etcdMissingReason();
if (skip) console.warn(`skipping client-node tests: ${skip}`);

let cluster: TestCluster;
let kc: k8s.KubeConfig;

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

describe.skipIf(skip)('@kubernetes/client-node', () => {
  beforeAll(async () => {
    cluster = await startTestCluster();
    kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'kubets', server: cluster.url, skipTLSVerify: true }],
      users: [{ name: 'kubets' }],
      contexts: [{ name: 'kubets', cluster: 'kubets', user: 'kubets', namespace: 'default' }],
      currentContext: 'kubets',
    });
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('creates, lists, patches and deletes with the typed API', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cn1', labels: { app: 'cn' } }, data: { a: '1' } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const list = await core.listNamespacedConfigMap({
      namespace: 'default',
      labelSelector: 'app=cn',
    });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['cn1']);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    const patched = await core.patchNamespacedConfigMap(
      { name: 'cn1', namespace: 'default', body: { data: { b: '2' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ a: '1', b: '2' });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const d = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'cnd' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'cnd' } },
          template: {
            metadata: { labels: { app: 'cnd' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
    });
    expect(d.spec?.template.spec?.containers[0]?.imagePullPolicy).toBe('Always');
    await core.deleteNamespacedConfigMap({ name: 'cn1', namespace: 'default' });
    await expect(
      core.readNamespacedConfigMap({ name: 'cn1', namespace: 'default' }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('watches from a resourceVersion', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const rv = (await core.listNamespacedConfigMap({ namespace: 'default' })).metadata
      ?.resourceVersion;
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const ac = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: rv, allowWatchBookmarks: true },
      (phase, obj: k8s.V1ConfigMap) => events.push(`${phase}:${obj.metadata?.name}`),
      () => undefined,
    );
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cw1' } },
    });
    await core.deleteNamespacedConfigMap({ name: 'cw1', namespace: 'default' });
    await until(() => events.length >= 2);
    ac.abort();
    expect(events).toEqual(['ADDED:cw1', 'DELETED:cw1']);
  });

  it('runs an informer (list, then watch)', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'inf1' } },
    });
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    try {
      await until(() => seen.includes('add:inf1'));
      await core.patchNamespacedConfigMap(
        { name: 'inf1', namespace: 'default', body: { data: { x: 'y' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'inf2' } },
      });
      await core.deleteNamespacedConfigMap({ name: 'inf1', namespace: 'default' });
      await until(() => seen.includes('delete:inf1'));
    } finally {
      await informer.stop();
    }
    expect(seen).toEqual(['add:inf1', 'update:inf1', 'add:inf2', 'delete:inf1']);
    expect(informer.list('default').map((o) => o.metadata?.name)).toEqual(['inf2']);
  });
});
