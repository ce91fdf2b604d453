/**
 * cache.ThreadSafeStore: objects by key plus secondary indices (index name -> index value -> set
 * of keys), kept up to date on every write. JavaScript runs one callback at a time, so every
 * method here is atomic by construction; the name is upstream's.
 */

/** Computes the index values of an object (e.g. its namespace, its node name). */
export type IndexFunc<T> = (obj: T) => readonly string[];
export type Indexers<T> = Readonly<Record<string, IndexFunc<T>>>;

export class IndexNotFoundError extends Error {
  constructor(indexName: string) {
    super(`Index with name ${indexName} does not exist`);
    this.name = 'IndexNotFoundError';
  }
}

type Index = Map<string, Set<string>>;

const NONE: readonly string[] = [];

export class ThreadSafeStore<T> {
  private items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Index>();

  constructor(indexers: Indexers<T> = {}) {
    for (const [name, fn] of Object.entries(indexers)) {
      this.indexers.set(name, fn);
      this.indices.set(name, new Map());
    }
  }

  /** Adds or replaces the object at `key`. */
  add(key: string, obj: T): void {
    const old = this.items.get(key);
    // Compute every index value before touching state, so a throwing index function leaves the
    // store unchanged instead of half-updated.
    const changes = this.computeIndexChanges(old, obj);
    this.items.set(key, obj);
    this.applyIndexChanges(key, changes);
  }

  update(key: string, obj: T): void {
    this.add(key, obj);
  }

  delete(key: string): void {
    const old = this.items.get(key);
    if (old === undefined) return;
    const changes = this.computeIndexChanges(old, undefined);
    this.items.delete(key);
    this.applyIndexChanges(key, changes);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  get size(): number {
    return this.items.size;
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  /** Replaces the whole content and rebuilds every index. */
  replace(items: Map<string, T>): void {
    const rebuilt = new Map<string, Index>();
    for (const [name, fn] of this.indexers) {
      const index: Index = new Map();
      for (const [key, obj] of items) addToIndex(index, fn(obj), key);
      rebuilt.set(name, index);
    }
    this.items = items;
    for (const [name, index] of rebuilt) this.indices.set(name, index);
  }

  /** The objects sharing at least one value of index `indexName` with `obj`. */
  index(indexName: string, obj: T): T[] {
    const fn = this.indexers.get(indexName);
    if (!fn) throw new IndexNotFoundError(indexName);
    const index = this.indices.get(indexName)!;
    const values = fn(obj);
    const keys = new Set<string>();
    for (const v of values) for (const k of index.get(v) ?? []) keys.add(k);
    return this.objectsFor(keys);
  }

  /** The keys whose objects have `value` in index `indexName`. */
  indexKeys(indexName: string, value: string): string[] {
    return [...this.indexSet(indexName, value)];
  }

  /** The objects whose index `indexName` contains `value`. */
  byIndex(indexName: string, value: string): T[] {
    return this.objectsFor(this.indexSet(indexName, value));
  }

  /** Every value currently present in index `indexName`. */
  listIndexFuncValues(indexName: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new IndexNotFoundError(indexName);
    return [...index.keys()];
  }

  getIndexers(): Indexers<T> {
    return Object.fromEntries(this.indexers);
  }

  /** Adds index functions and indexes the current content with them. Names must be new. */
  addIndexers(newIndexers: Indexers<T>): void {
    const names = Object.keys(newIndexers);
    const clash = names.filter((n) => this.indexers.has(n));
    if (clash.length > 0) throw new Error(`indexer conflict: ${clash.join(', ')}`);
    const built = new Map<string, Index>();
    for (const name of names) {
      const fn = newIndexers[name]!;
      const index: Index = new Map();
      for (const [key, obj] of this.items) addToIndex(index, fn(obj), key);
      built.set(name, index);
    }
    for (const name of names) {
      this.indexers.set(name, newIndexers[name]!);
      this.indices.set(name, built.get(name)!);
    }
  }

  private indexSet(indexName: string, value: string): ReadonlySet<string> {
    const index = this.indices.get(indexName);
    if (!index) throw new IndexNotFoundError(indexName);
    return index.get(value) ?? new Set();
  }

  private objectsFor(keys: Iterable<string>): T[] {
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o !== undefined) out.push(o);
    }
    return out;
  }

  private computeIndexChanges(
    old: T | undefined,
    cur: T | undefined,
  ): [name: string, oldValues: readonly string[], newValues: readonly string[]][] {
    const out: [string, readonly string[], readonly string[]][] = [];
    for (const [name, fn] of this.indexers) {
      out.push([name, old === undefined ? NONE : fn(old), cur === undefined ? NONE : fn(cur)]);
    }
    return out;
  }

  private applyIndexChanges(
    key: string,
    changes: [name: string, oldValues: readonly string[], newValues: readonly string[]][],
  ): void {
    for (const [name, oldValues, newValues] of changes) {
      const index = this.indices.get(name)!;
      // Fast path: most updates keep a single unchanged value (same namespace, same node).
      if (oldValues.length === 1 && newValues.length === 1 && oldValues[0] === newValues[0]) {
        continue;
      }
      for (const v of oldValues) {
        if (newValues.includes(v)) continue;
        const set = index.get(v);
        if (!set) continue;
        set.delete(key);
        // Drop empty value sets so indices of churned values do not grow forever.
        if (set.size === 0) index.delete(v);
      }
      addToIndex(index, newValues, key);
    }
  }
}

function addToIndex(index: Index, values: readonly string[], key: string): void {
  for (const v of values) {
    let set = index.get(v);
    if (!set) {
      set = new Set();
      index.set(v, set);
    }
    set.add(key);
  }
}
