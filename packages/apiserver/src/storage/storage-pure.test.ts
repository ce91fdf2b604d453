import { describe, expect, it } from 'vitest';
import { decodeObject, encodeObject, StorageDecodeError } from './codec.js';
import { parseEtcdServers, prefixRangeEnd } from './etcd/endpoints.js';
import { KeyLayout, normalizePathPrefix, resourcePrefix } from './keys.js';
import { nextBookmarkTime, transformEvent } from './watcher.js';
import type { EtcdEvent } from './etcd/watch-mux.js';

describe('parseEtcdServers', () => {
  it('accepts URLs, lists and bare host:port', () => {
    expect(parseEtcdServers('http://127.0.0.1:2379,http://[::1]:2380')).toEqual({
      secure: false,
      endpoints: [
        { target: '127.0.0.1:2379', url: 'http://127.0.0.1:2379' },
        { target: '[::1]:2380', url: 'http://[::1]:2380' },
      ],
    });
    expect(parseEtcdServers(['localhost']).endpoints[0]!.target).toBe('localhost:2379');
    expect(parseEtcdServers('https://e:1').secure).toBe(true);
  });

  it('names what is wrong', () => {
    expect(() => parseEtcdServers('')).toThrow(
      '--etcd-servers must name at least one etcd endpoint',
    );
    expect(() => parseEtcdServers('unix:///x')).toThrow(/unsupported scheme "unix"/);
    expect(() => parseEtcdServers('http://a:1,https://b:2')).toThrow(/same scheme/);
    expect(() => parseEtcdServers('http://a:1/path')).toThrow(/unexpected path/);
  });
});

describe('prefixRangeEnd', () => {
  it('increments the last byte, dropping trailing 0xff', () => {
    expect(prefixRangeEnd(Buffer.from('/registry/pods/')).toString()).toBe('/registry/pods0');
    expect([...prefixRangeEnd(Buffer.from([0x61, 0xff]))]).toEqual([0x62]);
    expect([...prefixRangeEnd(Buffer.from([0xff]))]).toEqual([0]);
  });
});

describe('keys', () => {
  it('lays out keys as kube-apiserver does', () => {
    const pods = new KeyLayout('/registry', resourcePrefix('', 'pods'), true);
    expect(pods.objectKey('default', 'x')).toBe('/registry/pods/default/x');
    expect(pods.collectionKey('default')).toBe('/registry/pods/default/');
    expect(pods.collectionKey()).toBe('/registry/pods/');
    const nodes = new KeyLayout('registry/', resourcePrefix('', 'nodes'), false);
    expect(nodes.objectKey(undefined, 'n1')).toBe('/registry/minions/n1');
    expect(resourcePrefix('', 'services')).toBe('services/specs');
    expect(resourcePrefix('apps', 'deployments')).toBe('deployments');
    expect(resourcePrefix('example.com', 'widgets', true)).toBe('example.com/widgets');
    expect(normalizePathPrefix('/')).toBe('');
  });

  it('refuses names that would escape the layout', () => {
    const pods = new KeyLayout('/registry', 'pods', true);
    expect(() => pods.objectKey('default', 'a/b')).toThrow(/invalid object name/);
    expect(() => pods.objectKey(undefined, 'a')).toThrow(/namespace is required/);
    expect(() => pods.objectKey('default', '..')).toThrow(/invalid object name/);
  });
});

describe('codec', () => {
  it('drops resourceVersion and selfLink when encoding and stamps the revision when decoding', () => {
    const bytes = encodeObject({
      kind: 'Pod',
      metadata: { name: 'a', resourceVersion: '5', selfLink: '/x' },
    });
    expect(JSON.parse(bytes.toString())).toEqual({ kind: 'Pod', metadata: { name: 'a' } });
    expect(decodeObject('k', bytes, 9n).metadata).toEqual({ name: 'a', resourceVersion: '9' });
  });

  it('reports corrupt values with the key', () => {
    expect(() => decodeObject('/registry/pods/x', Buffer.from('{'), 1n)).toThrow(
      StorageDecodeError,
    );
    expect(() => decodeObject('/registry/pods/x', Buffer.from('[]'), 1n)).toThrow(
      'cannot decode object stored at /registry/pods/x: not a JSON object',
    );
  });
});

function kv(name: string, labels: Record<string, string>, create: number, mod: number) {
  return {
    key: Buffer.from(`/p/${name}`),
    value: encodeObject({ kind: 'Pod', metadata: { name, labels } }),
    create_revision: String(create),
    mod_revision: String(mod),
    version: '1',
    lease: '0',
  };
}
const decode = (k: { key: Buffer; value: Buffer }, rev: string) =>
  decodeObject(k.key.toString(), k.value, rev);
const web = (o: { metadata?: { labels?: Record<string, string> } }) =>
  o.metadata?.labels?.app === 'web';

describe('transformEvent', () => {
  it('maps creates, updates and deletes', () => {
    const put: EtcdEvent = { type: 'PUT', kv: kv('a', {}, 5, 5), prev_kv: null };
    expect(transformEvent(put, decode, undefined)?.type).toBe('ADDED');
    const upd: EtcdEvent = { type: 'PUT', kv: kv('a', {}, 5, 6), prev_kv: kv('a', {}, 5, 5) };
    expect(transformEvent(upd, decode, undefined)?.type).toBe('MODIFIED');
    const del: EtcdEvent = {
      type: 'DELETE',
      kv: { ...kv('a', {}, 0, 7), value: Buffer.alloc(0) },
      prev_kv: kv('a', { last: 'state' }, 5, 6),
    };
    const out = transformEvent(del, decode, undefined);
    expect(out?.type).toBe('DELETED');
    expect(out?.object.metadata).toEqual({
      name: 'a',
      labels: { last: 'state' },
      resourceVersion: '7',
    });
  });

  it('turns transitions into and out of the selection into ADDED / DELETED', () => {
    const enter: EtcdEvent = {
      type: 'PUT',
      kv: kv('a', { app: 'web' }, 5, 6),
      prev_kv: kv('a', {}, 5, 5),
    };
    expect(transformEvent(enter, decode, web)?.type).toBe('ADDED');
    const leave: EtcdEvent = {
      type: 'PUT',
      kv: kv('a', {}, 5, 7),
      prev_kv: kv('a', { app: 'web' }, 5, 6),
    };
    const left = transformEvent(leave, decode, web);
    expect(left?.type).toBe('DELETED');
    expect(left?.object.metadata?.labels).toEqual({ app: 'web' });
    expect(left?.object.metadata?.resourceVersion).toBe('7');
    const outside: EtcdEvent = { type: 'PUT', kv: kv('a', {}, 5, 8), prev_kv: kv('a', {}, 5, 7) };
    expect(transformEvent(outside, decode, web)).toBeUndefined();
  });
});

describe('nextBookmarkTime', () => {
  it('beats every interval, and 2 s before a deadline', () => {
    expect(nextBookmarkTime(1000, 60_000)).toBe(61_000);
    expect(nextBookmarkTime(1000, 60_000, 11_000)).toBe(9_000);
    expect(nextBookmarkTime(1000, 60_000, 2_000)).toBe(1000);
    expect(nextBookmarkTime(1000, 60_000, 500_000)).toBe(61_000);
  });
});
