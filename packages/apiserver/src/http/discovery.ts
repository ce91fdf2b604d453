/**
 * API discovery documents built from the catalog: the legacy ones (`/api` APIVersions, `/apis`
 * APIGroupList, `/apis/<g>` APIGroup, `/api/v1` and `/apis/<g>/<v>` APIResourceList, which
 * `kubectl auth can-i` and `drain` still read) and the aggregated `apidiscovery.k8s.io/v2`
 * (and v2beta1) APIGroupDiscoveryList that kubectl 1.27+ asks for on `/api` and `/apis`.
 */
import type { JsonObject } from '@kubets/apimachinery';
import type { Catalog, ServedResource } from '../registry/catalog.js';

/** What discovery reads from the catalog (a view may add resources that are not stored). */
export type DiscoverySource = Pick<Catalog, 'groups' | 'inGroupVersion'>;

const groupVersion = (group: string, version: string): string =>
  group === '' ? version : `${group}/${version}`;

/** `/api`: the core group's versions. */
export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(g: { name: string; versions: string[]; preferredVersion: string }): JsonObject {
  return {
    name: g.name,
    versions: g.versions.map((v) => ({ groupVersion: groupVersion(g.name, v), version: v })),
    preferredVersion: {
      groupVersion: groupVersion(g.name, g.preferredVersion),
      version: g.preferredVersion,
    },
  };
}

/** `/apis`: the named groups. */
export function apiGroupList(catalog: DiscoverySource): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: catalog
      .groups()
      .filter((g) => g.name !== '')
      .map(apiGroup),
  };
}

/** `/apis/<group>`, or undefined when the group is not served. */
export function apiGroupDocument(catalog: DiscoverySource, group: string): JsonObject | undefined {
  const g = catalog.groups().find((x) => x.name === group);
  if (!g || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) };
}

function resourceEntries(s: ServedResource): JsonObject[] {
  const { def, version } = s;
  const main: JsonObject = {
    name: def.plural,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.verbs,
  };
  if (def.shortNames.length > 0) main.shortNames = def.shortNames;
  if (def.categories.length > 0) main.categories = def.categories;
  const subs = version.subresources.map((sub) => {
    const e: JsonObject = {
      name: `${def.plural}/${sub.name}`,
      singularName: '',
      namespaced: def.namespaced,
      kind: sub.kind.kind,
      verbs: sub.verbs,
    };
    // A subresource of another group/version (scale, eviction) says so.
    if (sub.kind.group !== def.group || sub.kind.version !== version.name) {
      e.group = sub.kind.group;
      e.version = sub.kind.version;
    }
    return e;
  });
  return [main, ...subs];
}

/** `/api/v1` or `/apis/<g>/<v>`, or undefined when nothing is served there. */
export function apiResourceList(
  catalog: DiscoverySource,
  group: string,
  version: string,
): JsonObject | undefined {
  const served = catalog.inGroupVersion(group, version);
  if (served.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersion(group, version),
    resources: served.flatMap(resourceEntries),
  };
}

function discoveryResource(s: ServedResource): JsonObject {
  const { def, version } = s;
  const r: JsonObject = {
    resource: def.plural,
    responseKind: { group: def.group, version: version.name, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs,
  };
  if (def.shortNames.length > 0) r.shortNames = def.shortNames;
  if (def.categories.length > 0) r.categories = def.categories;
  if (version.subresources.length > 0) {
    r.subresources = version.subresources.map((sub) => ({
      subresource: sub.name,
      responseKind: { group: sub.kind.group, version: sub.kind.version, kind: sub.kind.kind },
      verbs: sub.verbs,
    }));
  }
  return r;
}

/**
 * Aggregated discovery: for `/api` the core group only (one item without a name), for `/apis`
 * every named group with its versions, preferred version first.
 */
export function aggregatedDiscovery(
  catalog: DiscoverySource,
  legacy: boolean,
  version: 'v2' | 'v2beta1',
): JsonObject {
  const groups = catalog.groups().filter((g) => (legacy ? g.name === '' : g.name !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g): JsonObject => ({
      metadata: legacy ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: catalog.inGroupVersion(g.name, v).map(discoveryResource),
        freshness: 'Current',
      })),
    })),
  };
}
