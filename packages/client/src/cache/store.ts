/**
 * cache.Store and cache.Indexer: a ThreadSafeStore keyed by a key function, the informer's local
 * cache that listers read from.
 */
import type { KubeObject } from '@kubets/apimachinery';
import { defaultKeyFunc, type DeletedFinalStateUnknown, type KeyFunc } from './keys.js';
import { ThreadSafeStore, type IndexFunc, type Indexers } from './thread-safe-store.js';

/** What a reflector writes into (a DeltaFIFO, or a store directly). */
export interface ReflectorStore<T> {
  add(obj: T): void;
  update(obj: T): void;
  delete(obj: T | DeletedFinalStateUnknown<T>): void;
  /** Replaces everything with the result of a (re)list at `resourceVersion`. */
  replace(list: T[], resourceVersion: string): void;
  /** Re-delivers every object (periodic resync); a no-op for plain stores. */
  resync(): void;
}

export interface Store<T> extends ReflectorStore<T> {
  list(): T[];
  listKeys(): string[];
  get(obj: T | DeletedFinalStateUnknown<T>): T | undefined;
  getByKey(key: string): T | undefined;
  readonly size: number;
}

export interface Indexer<T> extends Store<T> {
  index(indexName: string, obj: T): T[];
  indexKeys(indexName: string, value: string): string[];
  listIndexFuncValues(indexName: string): string[];
  byIndex(indexName: string, value: string): T[];
  getIndexers(): Indexers<T>;
  addIndexers(indexers: Indexers<T>): void;
}

/** cache.NamespaceIndex */
export const NAMESPACE_INDEX = 'namespace';

/** cache.MetaNamespaceIndexFunc: indexes objects by namespace (cluster-scoped ones by ''). */
export const metaNamespaceIndexFunc: IndexFunc<KubeObject> = (obj) => [
  obj.metadata?.namespace ?? '',
];

class CacheIndexer<T> implements Indexer<T> {
  private readonly items: ThreadSafeStore<T>;

  constructor(
    private readonly keyFunc: KeyFunc<T>,
    indexers: Indexers<T>,
  ) {
    this.items = new ThreadSafeStore(indexers);
  }

  add(obj: T): void {
    this.items.add(this.keyFunc(obj), obj);
  }
  update(obj: T): void {
    this.items.update(this.keyFunc(obj), obj);
  }
  delete(obj: T | DeletedFinalStateUnknown<T>): void {
    this.items.delete(this.keyFunc(obj));
  }
  list(): T[] {
    return this.items.list();
  }
  listKeys(): string[] {
    return this.items.listKeys();
  }
  get(obj: T | DeletedFinalStateUnknown<T>): T | undefined {
    return this.items.get(this.keyFunc(obj));
  }
  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }
  get size(): number {
    return this.items.size;
  }
  replace(list: T[], _resourceVersion: string): void {
    const m = new Map<string, T>();
    for (const o of list) m.set(this.keyFunc(o), o);
    this.items.replace(m);
  }
  resync(): void {
    // Nothing to do: a plain store has no consumers to re-deliver to.
  }
  index(indexName: string, obj: T): T[] {
    return this.items.index(indexName, obj);
  }
  indexKeys(indexName: string, value: string): string[] {
    return this.items.indexKeys(indexName, value);
  }
  listIndexFuncValues(indexName: string): string[] {
    return this.items.listIndexFuncValues(indexName);
  }
  byIndex(indexName: string, value: string): T[] {
    return this.items.byIndex(indexName, value);
  }
  getIndexers(): Indexers<T> {
    return this.items.getIndexers();
  }
  addIndexers(indexers: Indexers<T>): void {
    this.items.addIndexers(indexers);
  }
}

/** cache.NewIndexer */
export function newIndexer<T>(keyFunc: KeyFunc<T>, indexers: Indexers<T> = {}): Indexer<T> {
  return new CacheIndexer(keyFunc, indexers);
}

/** cache.NewStore */
export function newStore<T>(keyFunc: KeyFunc<T>): Store<T> {
  return new CacheIndexer(keyFunc, {});
}

/** An indexer of API objects keyed `namespace/name` with the namespace index. */
export function newNamespacedIndexer<T extends KubeObject>(indexers: Indexers<T> = {}): Indexer<T> {
  return newIndexer<T>(defaultKeyFunc, {
    [NAMESPACE_INDEX]: metaNamespaceIndexFunc,
    ...indexers,
  });
}
