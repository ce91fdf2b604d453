import { describe, expect, it } from 'vitest';
import { StatusError } from '@kubets/apimachinery';
import type { ApiObject } from '../codec.js';
import { WatchCacheSizes } from './sizes.js';
import { splitKey, WatchCache, type CacheEvent } from './watch-cache.js';

const ROOT = '/registry/pods/';

function pod(ns: string, name: string, rv: number, labels: Record<string, string> = {}): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name, resourceVersion: String(rv), labels },
  };
}

function put(
  cache: WatchCache,
  ns: string,
  name: string,
  rv: number,
  at = 0,
): CacheEvent | undefined {
  return cache.apply(
    { kind: 'put', key: `${ROOT}${ns}/${name}`, namespace: ns, name },
    pod(ns, name, rv),
    BigInt(rv),
    at,
  );
}

function del(
  cache: WatchCache,
  ns: string,
  name: string,
  rv: number,
  at = 0,
): CacheEvent | undefined {
  return cache.apply(
    { kind: 'delete', key: `${ROOT}${ns}/${name}`, namespace: ns, name },
    undefined,
    BigInt(rv),
    at,
  );
}

describe('splitKey', () => {
  it('finds namespace and name below the resource root', () => {
    expect(splitKey(ROOT, '/registry/pods/default/web', true)).toEqual({
      namespace: 'default',
      name: 'web',
    });
    expect(splitKey('/registry/minions/', '/registry/minions/n1', false)).toEqual({
      namespace: undefined,
      name: 'n1',
    });
    expect(splitKey(ROOT, '/registry/pods/default', true)).toBeUndefined();
    expect(splitKey(ROOT, '/registry/pods/a/b/c', true)).toBeUndefined();
    expect(splitKey(ROOT, '/registry/services/a/b', true)).toBeUndefined();
  });
});

describe('WatchCache store', () => {
  it('lists in key order, per namespace or all, and follows changes', () => {
    const cache = new WatchCache();
    cache.replace(
      [
        { key: `${ROOT}b/x`, namespace: 'b', name: 'x', object: pod('b', 'x', 3) },
        { key: `${ROOT}a/y`, namespace: 'a', name: 'y', object: pod('a', 'y', 4) },
      ],
      10n,
    );
    expect(cache.size).toBe(2);
    expect(cache.resourceVersion).toBe(10n);
    expect(cache.list().map((e) => e.key)).toEqual([`${ROOT}a/y`, `${ROOT}b/x`]);
    expect(cache.list('b').map((e) => e.name)).toEqual(['x']);
    expect(put(cache, 'a', 'a', 11)?.type).toBe('ADDED');
    expect(cache.list().map((e) => e.name)).toEqual(['a', 'y', 'x']);
    const modified = put(cache, 'b', 'x', 12);
    expect(modified?.type).toBe('MODIFIED');
    expect(modified?.prevObject?.metadata?.resourceVersion).toBe('3');
    expect(cache.get('b', 'x')?.metadata?.resourceVersion).toBe('12');
    // A modification keeps the ordered views valid and current.
    expect(cache.list().map((e) => e.object.metadata?.resourceVersion)).toEqual(['11', '4', '12']);
    const deleted = del(cache, 'a', 'y', 13);
    expect(deleted?.type).toBe('DELETED');
    // The deleted object carries the deletion revision, the previous one its own.
    expect(deleted?.object.metadata?.resourceVersion).toBe('13');
    expect(deleted?.prevObject?.metadata?.resourceVersion).toBe('4');
    expect(cache.size).toBe(2);
    expect(cache.list('a').map((e) => e.name)).toEqual(['a']);
    expect(del(cache, 'a', 'nosuch', 14)).toBeUndefined();
    expect(cache.resourceVersion).toBe(14n);
  });

  it('keeps its ordered views in order as keys come and go', () => {
    const cache = new WatchCache();
    cache.replace([], 1n);
    let rv = 1;
    const names = ['m', 'c', 'x', 'a', 'q', 'b'];
    for (const ns of ['n2', 'n1']) for (const n of names) put(cache, ns, n, ++rv);
    // Views built, then changed.
    expect(cache.list()).toHaveLength(12);
    expect(cache.list('n1')).toHaveLength(6);
    for (const n of ['d', 'z', '0']) put(cache, 'n1', n, ++rv);
    del(cache, 'n2', 'x', ++rv);
    del(cache, 'n1', 'a', ++rv);
    put(cache, 'n3', 'k', ++rv);
    const keys = (ns?: string): string[] => cache.list(ns).map((e) => e.key);
    const sorted = (xs: string[]): string[] => [...xs].sort();
    expect(keys()).toEqual(sorted(keys()));
    expect(keys()).toHaveLength(14);
    expect(keys('n1')).toEqual(sorted(keys('n1')));
    expect(keys('n1').map((k) => k.split('/').pop())).toEqual([
      '0',
      'b',
      'c',
      'd',
      'm',
      'q',
      'x',
      'z',
    ]);
    expect(keys('n2')).not.toContain(`${ROOT}n2/x`);
  });

  it('refuses events older than the cache', () => {
    const cache = new WatchCache();
    cache.replace([], 5n);
    expect(() => put(cache, 'a', 'x', 4)).toThrow(/older than/);
  });

  it('applies every key of a multi-key transaction (events sharing one revision)', () => {
    const cache = new WatchCache();
    cache.replace([], 5n);
    for (const name of ['x', 'y', 'z']) expect(put(cache, 'a', name, 6)?.type).toBe('ADDED');
    expect(cache.size).toBe(3);
    expect(cache.eventsSince(5n)).toHaveLength(3);
    expect(cache.resourceVersion).toBe(6n);
  });
});

describe('WatchCache window', () => {
  it('replays events after a revision and answers 410 before its start', () => {
    const cache = new WatchCache({ lowerBound: 3, upperBound: 3 });
    cache.replace([], 10n);
    // Nothing evicted yet: everything after the list revision can be replayed.
    expect(cache.eventsSince(10n)).toEqual([]);
    expect(cache.eventsSince(9n)).toBeInstanceOf(StatusError);
    for (let rv = 11; rv <= 15; rv++) put(cache, 'ns', `p${rv}`, rv);
    // Capacity 3: events 13, 14, 15 remain.
    const since = cache.eventsSince(13n) as CacheEvent[];
    expect(since.map((e) => e.resourceVersion)).toEqual([14n, 15n]);
    expect((cache.eventsSince(12n) as CacheEvent[]).map((e) => e.resourceVersion)).toEqual([
      13n,
      14n,
      15n,
    ]);
    const gone = cache.eventsSince(11n) as StatusError;
    expect(gone.code).toBe(410);
    expect(gone.reason).toBe('Expired');
    expect(gone.message).toBe('too old resource version: 11 (12)');
    expect(cache.eventsSince(20n)).toEqual([]);
  });

  it('grows while events are fresh and shrinks when they are stale, within bounds', () => {
    const cache = new WatchCache({ lowerBound: 4, upperBound: 16, eventFreshMs: 1_000 });
    cache.replace([], 1n);
    let rv = 1;
    // 20 events within a second: the window doubles up to the upper bound.
    for (let i = 0; i < 20; i++) put(cache, 'ns', `p${i}`, ++rv, i);
    expect(cache.windowCapacity).toBe(16);
    expect(cache.windowLength).toBe(16);
    // Much later, slow events: the window halves down to the lower bound.
    for (let i = 0; i < 40; i++) put(cache, 'ns', `q${i}`, ++rv, 100_000 + i * 10_000);
    expect(cache.windowCapacity).toBe(4);
    // The newest events survive a resize.
    expect((cache.eventsSince(BigInt(rv - 2)) as CacheEvent[]).length).toBe(2);
  });

  it('relists reset the window', () => {
    const cache = new WatchCache({ lowerBound: 2, upperBound: 2 });
    cache.replace([], 1n);
    put(cache, 'ns', 'a', 2);
    put(cache, 'ns', 'b', 3);
    put(cache, 'ns', 'c', 4);
    cache.replace([], 50n);
    expect(cache.size).toBe(0);
    expect(cache.eventsSince(50n)).toEqual([]);
    expect((cache.eventsSince(4n) as StatusError).message).toBe('too old resource version: 4 (50)');
  });

  it('progress raises the revision without events', () => {
    const cache = new WatchCache();
    cache.replace([], 5n);
    cache.progress(9n);
    cache.progress(7n);
    expect(cache.resourceVersion).toBe(9n);
  });
});

describe('WatchCacheSizes', () => {
  it('reads resource[.group]#size; only 0 matters; events off by default', () => {
    const sizes = new WatchCacheSizes(['pods#0', 'deployments.apps#1000', 'events#100']);
    expect(sizes.enabled('', 'pods')).toBe(false);
    expect(sizes.enabled('apps', 'deployments')).toBe(true);
    expect(sizes.enabled('', 'events')).toBe(true);
    expect(sizes.enabled('events.k8s.io', 'events')).toBe(false);
    expect(sizes.enabled('', 'configmaps')).toBe(true);
    expect(() => new WatchCacheSizes(['pods'])).toThrow(/invalid value of watch cache size/);
    expect(() => new WatchCacheSizes(['pods#x'])).toThrow(/invalid value/);
  });
});
