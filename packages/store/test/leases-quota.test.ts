/**
 * Lease expiry and the space quota through the etcd3 client, against kubets-store only: real
 * etcd needs a 2 s minimum TTL and a large quota, which would make these slow.
 */
import { Etcd3, type IKeyValue } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import type { EtcdServer } from '../src/server/etcd-server.js';
import { startInProcessStore, type Target } from './support/targets.js';

describe('kubets-store leases and quota through etcd3', () => {
  let t: (Target & { etcd: EtcdServer }) | undefined;
  let client: Etcd3 | undefined;
  afterEach(async () => {
    client?.close();
    await t?.stop();
    t = undefined;
    client = undefined;
  });

  it('expires a lease that is not kept alive and deletes its keys through Raft', async () => {
    t = await startInProcessStore();
    client = new Etcd3({ hosts: t.endpoint });
    const lease = client.lease(1, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put('ephemeral/a').value('1');
    await lease.put('ephemeral/b').value('2');
    await client.put('ephemeral/keep').value('3');
    const watcher = await client.watch().prefix('ephemeral/').create();
    const deleted: string[] = [];
    const started = Date.now();
    await new Promise<void>((resolve) => {
      watcher.on('delete', (kv: IKeyValue) => {
        deleted.push(kv.key.toString());
        if (deleted.length === 2) resolve();
      });
    });
    const took = Date.now() - started;
    await watcher.cancel();
    expect(deleted.sort()).toEqual(['ephemeral/a', 'ephemeral/b']);
    // TTL 1 s, expiry checked every 500 ms: gone after about a second, not at once and not
    // never (the upper bound leaves room for a loaded CI machine; it is not a latency check).
    expect(took).toBeGreaterThan(500);
    expect(took).toBeLessThan(10_000);
    expect(await client.getAll().prefix('ephemeral/').keys()).toEqual(['ephemeral/keep']);
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: id });
    expect(ttl.TTL).toBe('-1');
    // Both deletions happened in one revision, as a revoke does.
    const revs = new Set<string>();
    const hist = await client.watch().prefix('ephemeral/').startRevision('1').create();
    await new Promise<void>((resolve) => {
      hist.on('delete', (kv: IKeyValue) => {
        revs.add(kv.mod_revision);
        if (revs.size > 0) setTimeout(resolve, 100);
      });
    });
    await hist.cancel();
    expect(revs.size).toBe(1);
  });

  it('keeps a lease alive with keepalives', async () => {
    t = await startInProcessStore();
    client = new Etcd3({ hosts: t.endpoint });
    const lease = client.lease(1);
    await lease.grant();
    await lease.put('alive').value('1');
    // Past the 1 s TTL plus the 500 ms expiry check: only keep-alives explain the key.
    await new Promise((r) => setTimeout(r, 1800));
    expect(await client.get('alive').string()).toBe('1');
    await lease.revoke();
    expect(await client.get('alive').string()).toBeNull();
  });

  it('raises NOSPACE over the quota: writes refused, reads and deletes served, disarm restores writes', async () => {
    t = await startInProcessStore({ quotaBytes: 64 * 1024 });
    // etcd3's default circuit breaker opens after three RESOURCE_EXHAUSTED answers (it treats
    // them as host failures, with real etcd too); a pass-through policy keeps the client usable.
    const passThrough = {
      execute: (fn: (ctx: unknown) => unknown) => fn({ signal: new AbortController().signal }),
    };
    client = new Etcd3({
      hosts: t.endpoint,
      faultHandling: { host: () => passThrough as any, global: passThrough as any },
    });
    const big = 'x'.repeat(8 * 1024);
    let refused: Error | undefined;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      try {
        await client.put(`big/${i}`).value(big);
      } catch (err) {
        refused = err as Error;
      }
    }
    expect(refused?.message).toContain('etcdserver: mvcc: database space exceeded');
    const alarms = await client.maintenance.alarm({ action: 'Get', memberID: '0', alarm: 'None' });
    expect(alarms.alarms.map((a) => a.alarm)).toEqual(['Nospace']);
    await expect(client.put('small').value('1')).rejects.toThrow('database space exceeded');
    expect(await client.get('big/0').string()).toBe(big);
    await client.delete().prefix('big/');
    const rev = (await client.get('none').exec()).header.revision;
    await client.kv.compact({ revision: rev, physical: true });
    await client.maintenance.alarm({
      action: 'Deactivate',
      memberID: alarms.alarms[0]!.memberID,
      alarm: 'Nospace',
    });
    await client.put('small').value('1');
    expect(await client.get('small').string()).toBe('1');
  });
});
