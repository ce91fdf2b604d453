/**
 * The npm etcd3 client assertions of the compatibility suite (`test/compat.test.ts` runs them
 * against each target). The client is given every member and spreads its calls over them, so on
 * a cluster watches, leases and reads meet writes made through other members.
 */
import { Etcd3, EtcdLeaseInvalidError, type IKeyValue } from 'etcd3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Target } from '../support/targets.js';

/** Registers the etcd3 client tests; `target()` is the running server (set in a beforeAll). */
export function etcd3Suite(target: () => Target): void {
  let client: Etcd3;
  beforeAll(() => {
    client = new Etcd3({ hosts: [...target().endpoints] });
  });
  afterAll(() => {
    client?.close();
  });

  it('puts, gets, lists a prefix and deletes', async () => {
    await client.put('/registry/pods/a').value('1');
    await client.put('/registry/pods/b').value('2');
    await client.put('/registry/services/s').value('3');
    expect(await client.get('/registry/pods/a').string()).toBe('1');
    expect(await client.getAll().prefix('/registry/pods/').strings()).toEqual({
      '/registry/pods/a': '1',
      '/registry/pods/b': '2',
    });
    expect(await client.getAll().prefix('/registry/').count()).toBe(3);
    const del = await client.delete().key('/registry/pods/a').exec();
    expect(del.deleted).toBe('1');
    expect(await client.get('/registry/pods/a').string()).toBeNull();
  });

  it('tracks create/mod revision and version in key-values', async () => {
    await client.put('rev/k').value('a');
    await client.put('rev/k').value('b');
    const res = await client.get('rev/k').exec();
    const kv = res.kvs[0] as IKeyValue;
    expect(kv.version).toBe('2');
    expect(Number(kv.mod_revision)).toBeGreaterThan(Number(kv.create_revision));
    expect(res.header.revision).toBe(kv.mod_revision);
    expect(res.header.cluster_id).not.toBe('0');
    expect(res.header.member_id).not.toBe('0');
    expect(Number(res.header.raft_term)).toBeGreaterThan(0);
  });

  it('runs a compare-and-swap transaction on the mod revision (resourceVersion style)', async () => {
    const put = await client.put('cas/k').value('v1').exec();
    const rv = put.header.revision;
    const ok = await client
      .if('cas/k', 'Mod', '==', rv)
      .then(client.put('cas/k').value('v2'))
      .else(client.get('cas/k'))
      .commit();
    expect(ok.succeeded).toBe(true);
    const stale = await client
      .if('cas/k', 'Mod', '==', rv)
      .then(client.put('cas/k').value('v3'))
      .else(client.get('cas/k'))
      .commit();
    expect(stale.succeeded).toBe(false);
    const current = stale.responses[0]!.response_range.kvs[0]!;
    expect(current.value.toString()).toBe('v2');
    // Create-if-absent.
    const create = await client
      .if('cas/new', 'Create', '==', 0)
      .then(client.put('cas/new').value('x'))
      .commit();
    expect(create.succeeded).toBe(true);
  });

  it('watches a prefix: puts and deletes with prev_kv, in order', async () => {
    const watcher = await client.watch().prefix('w/').withPreviousKV().create();
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      watcher.on('put', (kv: IKeyValue, prev?: IKeyValue) => {
        seen.push(
          `put ${kv.key.toString()}=${kv.value.toString()} prev=${prev?.value.toString() ?? '-'}`,
        );
      });
      watcher.on('delete', (kv: IKeyValue, prev?: IKeyValue) => {
        seen.push(`delete ${kv.key.toString()} prev=${prev?.value.toString() ?? '-'}`);
        resolve();
      });
    });
    await client.put('w/a').value('1');
    await client.put('w/a').value('2');
    await client.put('other').value('x');
    await client.delete().key('w/a');
    await done;
    await watcher.cancel();
    expect(seen).toEqual(['put w/a=1 prev=-', 'put w/a=2 prev=1', 'delete w/a prev=2']);
  });

  it('replays history from a start revision', async () => {
    const first = await client.put('hist/a').value('1').exec();
    await client.put('hist/a').value('2');
    const watcher = await client
      .watch()
      .key('hist/a')
      .startRevision(first.header.revision)
      .create();
    const values: string[] = [];
    await new Promise<void>((resolve) => {
      watcher.on('put', (kv: IKeyValue) => {
        values.push(kv.value.toString());
        if (values.length === 2) resolve();
      });
    });
    await watcher.cancel();
    expect(values).toEqual(['1', '2']);
  });

  it('grants leases, keeps them alive, reports TTL, and revokes them with their keys', async () => {
    const lease = client.lease(30, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put('lease/k').value('v');
    const ka = await lease.keepaliveOnce();
    expect(ka.TTL).toBe('30');
    const ttl = client.lease(30, { autoKeepAlive: false }); // an unrelated second lease
    await ttl.grant();
    const list = await client.leaseClient.leaseLeases({});
    expect(list.leases.map((l) => l.ID)).toContain(id);
    const live = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect(Number(live.TTL)).toBeGreaterThan(25);
    expect(live.grantedTTL).toBe('30');
    expect(live.keys.map((k) => k.toString())).toEqual(['lease/k']);
    await lease.revoke();
    await ttl.revoke();
    expect(await client.get('lease/k').string()).toBeNull();
    const gone = await client.leaseClient.leaseTimeToLive({ ID: id });
    expect(gone.TTL).toBe('-1');
    await expect(client.leaseClient.leaseRevoke({ ID: id })).rejects.toBeInstanceOf(
      EtcdLeaseInvalidError,
    );
  });

  it("rejects a put with an unknown lease with etcd's error", async () => {
    await expect(client.put('nolease').value('v').lease('12345')).rejects.toThrow(
      'etcdserver: requested lease not found',
    );
  });

  it("reports compacted revisions with etcd's error", async () => {
    const a = await client.put('cmp/k').value('1').exec();
    const b = await client.put('cmp/k').value('2').exec();
    await client.kv.compact({ revision: b.header.revision, physical: true });
    await expect(client.get('cmp/k').revision(a.header.revision).string()).rejects.toThrow(
      'etcdserver: mvcc: required revision has been compacted',
    );
    expect(await client.get('cmp/k').revision(b.header.revision).string()).toBe('2');
  });

  it('answers maintenance status', async () => {
    const st = await client.maintenance.status();
    expect(st.leader).not.toBe('0');
    expect(Number(st.dbSize)).toBeGreaterThan(0);
    expect(st.version).toMatch(/^3\.\d+\.\d+/);
  });
}
