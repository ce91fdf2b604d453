/**
 * Storage keys, as kube-apiserver lays them out: `<prefix>/<resource prefix>/<namespace>/<name>`
 * for namespaced objects and `<prefix>/<resource prefix>/<name>` for cluster-scoped ones, with
 * `--etcd-prefix` defaulting to `/registry`. The resource prefix is usually the plural resource
 * name, with upstream's historical exceptions (services under `services/specs`, nodes under
 * `minions`, ...) so tools that inspect etcd find objects where they expect them.
 */

/** Upstream resource prefixes that differ from `<resource>` (group-qualified where noted). */
const PREFIX_EXCEPTIONS: Readonly<Record<string, string>> = {
  '/services': 'services/specs',
  '/endpoints': 'services/endpoints',
  '/nodes': 'minions',
  '/replicationcontrollers': 'controllers',
  'apiextensions.k8s.io/customresourcedefinitions':
    'apiextensions.k8s.io/customresourcedefinitions',
  'apiregistration.k8s.io/apiservices': 'apiregistration.k8s.io/apiservices',
};

/**
 * The resource prefix for a group/resource: upstream's built-in layout, and
 * `<group>/<resource>` for custom resources (set `custom`).
 */
export function resourcePrefix(group: string, resource: string, custom = false): string {
  if (custom) return `${group}/${resource}`;
  return PREFIX_EXCEPTIONS[`${group}/${resource}`] ?? resource;
}

/** Normalizes `--etcd-prefix` (`/registry`, `registry/`, `/` ...) to `/x` without a trailing slash. */
export function normalizePathPrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

export class KeyLayout {
  /** `/registry/pods/` */
  readonly root: string;

  constructor(
    pathPrefix: string,
    resourcePrefix: string,
    readonly namespaced: boolean,
  ) {
    this.root = `${normalizePathPrefix(pathPrefix)}/${resourcePrefix}/`;
  }

  /** The key of one object. Namespaced resources require a namespace. */
  objectKey(namespace: string | undefined, name: string): string {
    if (name === '' || name.includes('/') || name === '.' || name === '..') {
      throw new Error(`invalid object name for a storage key: ${JSON.stringify(name)}`);
    }
    if (!this.namespaced) return `${this.root}${name}`;
    if (!namespace || namespace.includes('/')) {
      throw new Error(`namespace is required to build the key of ${JSON.stringify(name)}`);
    }
    return `${this.root}${namespace}/${name}`;
  }

  /** The prefix of a collection: all namespaces when `namespace` is empty. Ends with `/`. */
  collectionKey(namespace?: string): string {
    if (!this.namespaced || !namespace) return this.root;
    return `${this.root}${namespace}/`;
  }
}
