/**
 * The served resources: one ResourceRegistry per group/resource, looked up by the request's
 * group, version and resource, and listed for discovery and OpenAPI. Resources can be added and
 * removed while serving (custom resources).
 */
import type { ResourceDefinition, ResourceVersionDefinition } from './definition.js';
import type { ResourceRegistry } from './resource-registry.js';

export interface ServedResource {
  registry: ResourceRegistry;
  def: ResourceDefinition;
  version: ResourceVersionDefinition;
}

export interface GroupInfo {
  name: string;
  /** Served versions, preferred first, then by Kubernetes version priority. */
  versions: string[];
  preferredVersion: string;
}

/** Kubernetes version ordering: GA > beta > alpha, higher numbers first; others last, alphabetically. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const x = rank(a);
  const y = rank(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0;
}

export class Catalog {
  private readonly byGR = new Map<string, ResourceRegistry>();
  /** Bumped on every change, so discovery and OpenAPI caches know to rebuild. */
  generation = 0;

  add(registry: ResourceRegistry): void {
    this.byGR.set(`${registry.def.group}/${registry.def.plural}`, registry);
    this.generation++;
  }

  remove(group: string, plural: string): ResourceRegistry | undefined {
    const key = `${group}/${plural}`;
    const r = this.byGR.get(key);
    if (r) {
      this.byGR.delete(key);
      this.generation++;
    }
    return r;
  }

  get(group: string, plural: string): ResourceRegistry | undefined {
    return this.byGR.get(`${group}/${plural}`);
  }

  /** The registry serving group/version/resource, or undefined (404). */
  lookup(group: string, version: string, resource: string): ServedResource | undefined {
    const registry = this.byGR.get(`${group}/${resource}`);
    if (!registry) return undefined;
    const v = registry.def.versions.find((x) => x.name === version && x.served);
    if (!v) return undefined;
    return { registry, def: registry.def, version: v };
  }

  all(): ResourceRegistry[] {
    return [...this.byGR.values()];
  }

  /** Resources served at group/version. */
  inGroupVersion(group: string, version: string): ServedResource[] {
    const out: ServedResource[] = [];
    for (const registry of this.byGR.values()) {
      if (registry.def.group !== group) continue;
      const v = registry.def.versions.find((x) => x.name === version && x.served);
      if (v) out.push({ registry, def: registry.def, version: v });
    }
    return out.sort((a, b) =>
      a.def.plural < b.def.plural ? -1 : a.def.plural > b.def.plural ? 1 : 0,
    );
  }

  /** API groups (the core group "" included) with their served versions. */
  groups(): GroupInfo[] {
    const byGroup = new Map<string, { versions: Set<string>; storage: string | undefined }>();
    for (const r of this.byGR.values()) {
      const e = byGroup.get(r.def.group) ?? { versions: new Set<string>(), storage: undefined };
      for (const v of r.def.versions) {
        if (!v.served) continue;
        e.versions.add(v.name);
      }
      byGroup.set(r.def.group, e);
    }
    const out: GroupInfo[] = [];
    for (const [name, e] of byGroup) {
      if (e.versions.size === 0) continue;
      const versions = [...e.versions].sort(compareVersions);
      out.push({ name, versions, preferredVersion: versions[0]! });
    }
    // Core first, then upstream's rough order: alphabetical by group name.
    return out.sort((a, b) =>
      a.name === '' ? -1 : b.name === '' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }
}
