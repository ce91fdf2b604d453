import { describe, expect, it } from 'vitest';
import { parseSelector, type KubeObject } from '@kubets/apimachinery';
import { pod, type Pod } from '../../test/support/fixtures.js';
import {
  DeletedFinalStateUnknown,
  KeyError,
  metaNamespaceKeyFunc,
  splitMetaNamespaceKey,
} from './keys.js';
import { Lister, listAllByNamespace } from './listers.js';
import { NAMESPACE_INDEX, newIndexer, newNamespacedIndexer } from './store.js';
import { IndexNotFoundError, ThreadSafeStore } from './thread-safe-store.js';

const byNode = (o: Pod): string[] => (o.spec?.nodeName ? [o.spec.nodeName] : []);

function onNode(name: string, node: string, ns = 'default'): Pod {
  const p = pod(name, ns);
  p.spec = { ...p.spec, nodeName: node };
  return p;
}

describe('keys', () => {
  it('builds and splits namespace/name keys', () => {
    expect(metaNamespaceKeyFunc(pod('a', 'ns'))).toBe('ns/a');
    expect(metaNamespaceKeyFunc({ metadata: { name: 'node1' } })).toBe('node1');
    expect(() => metaNamespaceKeyFunc({ metadata: {} })).toThrow(KeyError);
    expect(splitMetaNamespaceKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(splitMetaNamespaceKey('node1')).toEqual({ namespace: '', name: 'node1' });
    expect(() => splitMetaNamespaceKey('a/b/c')).toThrow(/unexpected key format/);
  });
});

describe('ThreadSafeStore with indexers', () => {
  it('keeps indices in step with adds, updates and deletes', () => {
    const s = new ThreadSafeStore<Pod>({ node: byNode });
    s.add('a', onNode('a', 'n1'));
    s.add('b', onNode('b', 'n1'));
    s.add('c', onNode('c', 'n2'));
    expect(
      s
        .byIndex('node', 'n1')
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['a', 'b']);
    s.update('a', onNode('a', 'n2'));
    expect(s.indexKeys('node', 'n1')).toEqual(['b']);
    expect(s.indexKeys('node', 'n2').sort()).toEqual(['a', 'c']);
    s.delete('b');
    // Empty index values are dropped, so churned values do not accumulate.
    expect(s.listIndexFuncValues('node')).toEqual(['n2']);
    expect(
      s
        .index('node', onNode('x', 'n2'))
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(() => s.byIndex('nope', 'x')).toThrow(IndexNotFoundError);
  });

  it('supports multi-valued index functions', () => {
    const s = new ThreadSafeStore<KubeObject>({
      labels: (o) => Object.entries(o.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`),
    });
    s.add('a', pod('a', 'd', { app: 'web', tier: 'fe' }));
    s.add('b', pod('b', 'd', { app: 'web' }));
    expect(s.indexKeys('labels', 'app=web').sort()).toEqual(['a', 'b']);
    expect(s.indexKeys('labels', 'tier=fe')).toEqual(['a']);
    expect(s.index('labels', pod('q', 'd', { tier: 'fe', app: 'none' })).length).toBe(1);
  });

  it('replace rebuilds everything; addIndexers indexes existing content', () => {
    const s = new ThreadSafeStore<Pod>({});
    s.add('a', onNode('a', 'n1'));
    s.addIndexers({ node: byNode });
    expect(s.indexKeys('node', 'n1')).toEqual(['a']);
    expect(() => s.addIndexers({ node: byNode })).toThrow(/indexer conflict/);
    s.replace(new Map([['z', onNode('z', 'n9')]]));
    expect(s.listKeys()).toEqual(['z']);
    expect(s.indexKeys('node', 'n1')).toEqual([]);
    expect(s.indexKeys('node', 'n9')).toEqual(['z']);
  });

  it('a throwing index function leaves the store unchanged', () => {
    const s = new ThreadSafeStore<Pod>({
      node: (p) => {
        if (p.metadata?.name === 'bad') throw new Error('index failure');
        return byNode(p);
      },
    });
    s.add('a', onNode('a', 'n1'));
    expect(() => s.add('a', { ...onNode('bad', 'n2') })).toThrow(/index failure/);
    expect(s.get('a')?.spec?.nodeName).toBe('n1');
    expect(s.indexKeys('node', 'n1')).toEqual(['a']);
  });
});

describe('Indexer and listers', () => {
  it('deletes through tombstones and lists by namespace and label selector', () => {
    const idx = newNamespacedIndexer<Pod>();
    idx.add(pod('a', 'ns1', { app: 'web' }));
    idx.add(pod('b', 'ns1', { app: 'db' }));
    idx.add(pod('c', 'ns2', { app: 'web' }));
    const lister = new Lister(idx);
    expect(
      lister
        .list(parseSelector('app=web'))
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(
      lister
        .namespace('ns1')
        .list()
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(
      lister
        .namespace('ns1')
        .list(parseSelector('app!=web'))
        .map((p) => p.metadata?.name),
    ).toEqual(['b']);
    expect(lister.namespace('ns2').get('c')?.metadata?.name).toBe('c');
    expect(lister.namespace('ns2').get('a')).toBeUndefined();
    idx.delete(new DeletedFinalStateUnknown<Pod>('ns1/a', undefined));
    expect(idx.getByKey('ns1/a')).toBeUndefined();
    expect(idx.byIndex(NAMESPACE_INDEX, 'ns1').map((p) => p.metadata?.name)).toEqual(['b']);
  });

  it('lists by namespace by scanning when there is no namespace index', () => {
    const idx = newIndexer<Pod>((o) =>
      o instanceof DeletedFinalStateUnknown ? o.key : metaNamespaceKeyFunc(o),
    );
    idx.add(pod('a', 'ns1'));
    idx.add(pod('b', 'ns2'));
    expect(listAllByNamespace(idx, 'ns2').map((p) => p.metadata?.name)).toEqual(['b']);
  });
});
