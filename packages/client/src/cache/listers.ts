/**
 * Listers: read-only, selector-aware views of an informer's cache (client-go listers). Reads
 * return the cached objects themselves, shared with every other reader: treat them as immutable
 * and deep-copy before changing anything.
 */
import type { KubeObject, Selector } from '@kubets/apimachinery';
import { everything } from '@kubets/apimachinery';
import { IndexNotFoundError } from './thread-safe-store.js';
import { NAMESPACE_INDEX, type Indexer, type Store } from './store.js';

function labelsOf(obj: KubeObject): Readonly<Record<string, string>> {
  return obj.metadata?.labels ?? {};
}

/** cache.ListAll: every object matching `selector`. */
export function listAll<T extends KubeObject>(
  store: Store<T>,
  selector: Selector = everything(),
): T[] {
  const all = store.list();
  if (selector.empty()) return all;
  return all.filter((o) => selector.matches(labelsOf(o)));
}

/**
 * cache.ListAllByNamespace: objects of `namespace` matching `selector`, through the namespace
 * index when the indexer has one, by scanning otherwise. `namespace` '' means all namespaces.
 */
export function listAllByNamespace<T extends KubeObject>(
  indexer: Indexer<T>,
  namespace: string,
  selector: Selector = everything(),
): T[] {
  if (namespace === '') return listAll(indexer, selector);
  let items: T[];
  try {
    items = indexer.byIndex(NAMESPACE_INDEX, namespace);
  } catch (err) {
    if (!(err instanceof IndexNotFoundError)) throw err;
    items = indexer.list().filter((o) => (o.metadata?.namespace ?? '') === namespace);
  }
  if (selector.empty()) return items;
  return items.filter((o) => selector.matches(labelsOf(o)));
}

/** Reads of one namespace. */
export interface NamespaceLister<T> {
  list(selector?: Selector): T[];
  /** The object named `name` in this namespace, or undefined. */
  get(name: string): T | undefined;
}

/** cache.GenericLister over an informer's indexer. */
export class Lister<T extends KubeObject> {
  constructor(private readonly indexer: Indexer<T>) {}

  /** All objects (all namespaces) matching `selector`. */
  list(selector: Selector = everything()): T[] {
    return listAll(this.indexer, selector);
  }

  /** A cluster-scoped object by name (for namespaced objects use `namespace(ns).get`). */
  get(name: string): T | undefined {
    return this.indexer.getByKey(name);
  }

  /** Reads restricted to `namespace`. */
  namespace(namespace: string): NamespaceLister<T> {
    if (namespace === '') throw new Error('namespace lister needs a namespace; use list() for all');
    return {
      list: (selector: Selector = everything()) =>
        listAllByNamespace(this.indexer, namespace, selector),
      get: (name: string) => this.indexer.getByKey(`${namespace}/${name}`),
    };
  }
}
