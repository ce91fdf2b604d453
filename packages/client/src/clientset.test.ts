import { describe, expect, it } from 'vitest';
import { isConflict, isNotFound, type KubeObject } from '@kubets/apimachinery';
import { rateLimiterFor, typedClients } from './clientset.js';
import { FakeClock, flushAsync } from './testing/fake-clock.js';
import { newFakeClient } from './testing/index.js';

describe('rateLimiterFor', () => {
  it('defaults to client-go’s 5 qps, burst 10', async () => {
    const clock = new FakeClock();
    const rl = rateLimiterFor({}, clock);
    for (let i = 0; i < 10; i++) expect(rl.tryAccept()).toBe(true);
    let got = false;
    void rl.accept().then(() => (got = true));
    await flushAsync();
    expect(got).toBe(false);
    await clock.advance(199);
    expect(got).toBe(false);
    await clock.advance(1);
    expect(got).toBe(true);
    expect(rl.qps).toBe(5);
  });

  it('uses the configured qps/burst, and a negative qps disables limiting', () => {
    const clock = new FakeClock();
    const rl = rateLimiterFor({ qps: 50, burst: 2 }, clock);
    expect([rl.tryAccept(), rl.tryAccept(), rl.tryAccept()]).toEqual([true, true, false]);
    const none = rateLimiterFor({ qps: -1 }, clock);
    for (let i = 0; i < 1000; i++) expect(none.tryAccept()).toBe(true);
  });
});

describe('typed clients', () => {
  const pod = (name: string): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'ns' },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    }) as KubeObject;

  it('bind assigns a pod to a node once; evict deletes it', async () => {
    const fake = newFakeClient();
    const cs = typedClients(fake);
    const pods = cs.coreV1.pods<KubeObject & { spec?: { nodeName?: string } }>('ns');
    await pods.create(pod('p'));
    await pods.bind({ metadata: { name: 'p' }, target: { kind: 'Node', name: 'n1' } });
    expect((await pods.get('p')).spec?.nodeName).toBe('n1');
    await expect(
      pods.bind({ metadata: { name: 'p' }, target: { kind: 'Node', name: 'n2' } }),
    ).rejects.toSatisfy(isConflict);
    await pods.evict({ metadata: { name: 'p' } });
    await expect(pods.get('p')).rejects.toSatisfy(isNotFound);
    const acts = fake.actions().filter((a) => a.subresource);
    expect(acts.map((a) => `${a.verb} ${a.subresource}`)).toEqual([
      'create binding',
      'create binding',
      'create eviction',
    ]);
  });

  it('namespaced accessors without a namespace span all namespaces', async () => {
    const fake = newFakeClient();
    const cs = typedClients(fake);
    await cs.coreV1.pods('ns').create(pod('a'));
    await cs.coreV1
      .pods('other')
      .create({ ...pod('b'), metadata: { name: 'b', namespace: 'other' } });
    expect((await cs.coreV1.pods().list()).items.map((p) => p.metadata?.name)).toEqual(['a', 'b']);
    expect(typeof cs.appsV1.deployments('ns').updateScale.bind(null)).toBe('function');
  });
});
