/**
 * `--watch-cache-sizes` as kube-apiserver reads it: `resource[.group]#size`, comma separated,
 * where the resource is the lower-case plural and the group is omitted for the core group. Since
 * the watch cache sizes itself, the only meaningful size is 0, which disables the cache of that
 * resource; any other number keeps it on. Events are not cached unless a size says otherwise
 * (upstream's DefaultWatchCacheSizes).
 */

/** Resources whose watch cache is off by default. */
const DEFAULT_DISABLED = ['events', 'events.events.k8s.io'];

export class WatchCacheSizes {
  private readonly sizes = new Map<string, number>();

  constructor(values: readonly string[] = []) {
    for (const raw of values) {
      const value = raw.trim();
      if (value === '') continue;
      const hash = value.indexOf('#');
      const resource = hash > 0 ? value.slice(0, hash) : '';
      const size = hash > 0 ? value.slice(hash + 1) : '';
      if (resource === '' || !/^\d+$/.test(size)) {
        throw new Error(
          `invalid value of watch cache size: ${JSON.stringify(value)} (expected resource[.group]#size)`,
        );
      }
      this.sizes.set(resource.toLowerCase(), Number(size));
    }
  }

  /** Whether the resource `plural` of `group` gets a watch cache. */
  enabled(group: string, plural: string): boolean {
    const key = group ? `${plural}.${group}` : plural;
    const size = this.sizes.get(key);
    if (size !== undefined) return size > 0;
    return !DEFAULT_DISABLED.includes(key);
  }
}
