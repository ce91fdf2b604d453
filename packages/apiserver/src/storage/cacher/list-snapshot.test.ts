/**
 * Pages at a past revision derived from the watch cache's current state and event window,
 * checked against a model that records the full state at every revision.
 */
import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../codec.js';
import { snapshotPage } from './list-snapshot.js';
import { WatchCache } from './watch-cache.js';

const ROOT = '/registry/pods/';
const key = (ns: string, name: string): string => `${ROOT}${ns}/${name}`;

function pod(ns: string, name: string, rv: number, tier: string): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name, resourceVersion: String(rv), labels: { tier } },
  };
}

/** A deterministic pseudo-random sequence (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Reads every page of `namespace` at `revision` with `limit`, following the continue keys. */
function allPages(
  cache: WatchCache,
  namespace: string | undefined,
  revision: bigint,
  limit: number,
  predicate?: (o: ApiObject) => boolean,
): { names: string[]; pages: number; remaining: (number | undefined)[] } | undefined {
  const names: string[] = [];
  const remaining: (number | undefined)[] = [];
  let fromKey: string | undefined;
  for (let pages = 1; pages < 1000; pages++) {
    const page = snapshotPage(cache, namespace, revision, {
      limit,
      predicate,
      ...(fromKey !== undefined ? { fromKey } : {}),
    });
    if (!page) return undefined;
    for (const o of page.items) {
      names.push(`${o.metadata!.namespace}/${o.metadata!.name}@${o.metadata!.resourceVersion}`);
    }
    remaining.push(page.remainingItemCount);
    if (page.continueAfter === undefined) return { names, pages, remaining };
    fromKey = `${page.continueAfter}\u0000`;
  }
  throw new Error('too many pages');
}

describe('snapshotPage', () => {
  it('pages at any revision in the window equal the state at that revision', () => {
    const rand = lcg(7);
    const cache = new WatchCache({ lowerBound: 2000, upperBound: 2000 });
    const namespaces = ['a', 'b', 'c'];
    const names = Array.from({ length: 30 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    // Model: the state after every revision.
    const live = new Map<string, ApiObject>();
    const initial: { key: string; namespace: string; name: string; object: ApiObject }[] = [];
    for (const ns of namespaces) {
      for (const name of names.slice(0, 10)) {
        const o = pod(ns, name, 10, rand() < 0.5 ? 'web' : 'db');
        live.set(key(ns, name), o);
        initial.push({ key: key(ns, name), namespace: ns, name, object: o });
      }
    }
    cache.replace(initial, 10n);
    // Build the ordered views now: the changes below keep them in order incrementally.
    cache.list();
    cache.list('b');
    const states = new Map<bigint, Map<string, ApiObject>>([[10n, new Map(live)]]);
    let rv = 10;
    for (let step = 0; step < 300; step++) {
      rv++;
      // Sometimes several keys in one transaction (same revision).
      const keysInTxn = rand() < 0.2 ? 3 : 1;
      for (let k = 0; k < keysInTxn; k++) {
        const ns = namespaces[Math.floor(rand() * namespaces.length)]!;
        const name = names[Math.floor(rand() * names.length)]!;
        const where = { key: key(ns, name), namespace: ns, name };
        if (live.has(where.key) && rand() < 0.3) {
          cache.apply({ kind: 'delete', ...where }, undefined, BigInt(rv), 0);
          live.delete(where.key);
        } else {
          const o = pod(ns, name, rv, rand() < 0.5 ? 'web' : 'db');
          cache.apply({ kind: 'put', ...where }, o, BigInt(rv), 0);
          live.set(where.key, o);
        }
      }
      states.set(BigInt(rv), new Map(live));
    }
    const expected = (
      at: bigint,
      ns: string | undefined,
      predicate?: (o: ApiObject) => boolean,
    ): string[] =>
      [...states.get(at)!]
        .filter(
          ([k, o]) =>
            (ns === undefined || k.startsWith(`${ROOT}${ns}/`)) && (!predicate || predicate(o)),
        )
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(
          ([, o]) => `${o.metadata!.namespace}/${o.metadata!.name}@${o.metadata!.resourceVersion}`,
        );
    const web = (o: ApiObject): boolean => o.metadata?.labels?.tier === 'web';
    let checked = 0;
    for (let at = 10n; at <= BigInt(rv); at += 7n) {
      for (const ns of [undefined, 'b']) {
        for (const limit of [1, 4, 0]) {
          const got = allPages(cache, ns, at, limit);
          expect(got, `revision ${at}`).toBeDefined();
          expect(got!.names).toEqual(expected(at, ns));
          // remainingItemCount counts exactly what the following pages return.
          let left = got!.names.length;
          for (const r of got!.remaining) {
            left -= limit === 0 ? left : Math.min(limit, left);
            expect(r ?? 0).toBe(left);
          }
          const filtered = allPages(cache, ns, at, limit, web);
          expect(filtered!.names).toEqual(expected(at, ns, web));
          expect(filtered!.remaining.every((r) => r === undefined)).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('is unavailable once the window no longer reaches the revision', () => {
    const cache = new WatchCache({ lowerBound: 2, upperBound: 2 });
    cache.replace([], 5n);
    expect(snapshotPage(cache, undefined, 5n, { limit: 1 })).toEqual({ items: [] });
    for (let rv = 6; rv <= 9; rv++) {
      cache.apply(
        { kind: 'put', key: key('a', `p${rv}`), namespace: 'a', name: `p${rv}` },
        pod('a', `p${rv}`, rv, 'web'),
        BigInt(rv),
        0,
      );
    }
    // The window holds revisions 8 and 9: states at 7 and later can be derived.
    expect(snapshotPage(cache, undefined, 6n, { limit: 1 })).toBeUndefined();
    expect(snapshotPage(cache, undefined, 7n, { limit: 0 })?.items).toHaveLength(2);
    expect(snapshotPage(cache, undefined, 9n, { limit: 0 })?.items).toHaveLength(4);
  });
});
