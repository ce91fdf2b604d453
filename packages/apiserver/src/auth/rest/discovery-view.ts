/**
 * Discovery with the security APIs that are served but not stored: the review resources
 * (authentication.k8s.io and authorization.k8s.io, create-only) and `serviceaccounts/token`
 * when a signing key is configured, so `kubectl api-resources` lists them as upstream does.
 */
import type { ResourceDefinition } from '@kubets/api';
import {
  compareVersions,
  type Catalog,
  type GroupInfo,
  type ServedResource,
} from '../../registry/catalog.js';
import type { DiscoverySource } from '../../http/discovery.js';

export interface VirtualResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

export const REVIEW_RESOURCES: VirtualResource[] = [
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    resource: 'selfsubjectreviews',
    kind: 'SelfSubjectReview',
    namespaced: false,
  },
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    resource: 'tokenreviews',
    kind: 'TokenReview',
    namespaced: false,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'localsubjectaccessreviews',
    kind: 'LocalSubjectAccessReview',
    namespaced: true,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectaccessreviews',
    kind: 'SelfSubjectAccessReview',
    namespaced: false,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectrulesreviews',
    kind: 'SelfSubjectRulesReview',
    namespaced: false,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'subjectaccessreviews',
    kind: 'SubjectAccessReview',
    namespaced: false,
  },
];

function served(v: VirtualResource): ServedResource {
  // Discovery reads only these fields; nothing else of a definition exists for these resources.
  const version = { name: v.version, served: true, storage: true, subresources: [] };
  const def = {
    group: v.group,
    kind: v.kind,
    plural: v.resource,
    singular: v.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    namespaced: v.namespaced,
    verbs: ['create'],
    versions: [version],
  } as unknown as ResourceDefinition;
  return { def, version: version as unknown as ServedResource['version'] } as ServedResource;
}

export function discoveryWithSecurityApis(
  catalog: Catalog,
  tokenRequest: boolean,
): DiscoverySource {
  const extra = REVIEW_RESOURCES.map(served);
  return {
    groups(): GroupInfo[] {
      const out = catalog.groups().map((g) => ({ ...g, versions: [...g.versions] }));
      for (const r of REVIEW_RESOURCES) {
        let g = out.find((x) => x.name === r.group);
        if (!g) out.push((g = { name: r.group, versions: [], preferredVersion: r.version }));
        if (!g.versions.includes(r.version)) {
          g.versions.push(r.version);
          g.versions.sort(compareVersions);
          g.preferredVersion = g.versions[0]!;
        }
      }
      return out.sort((a, b) =>
        a.name === '' ? -1 : b.name === '' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    },
    inGroupVersion(group: string, version: string): ServedResource[] {
      const base = catalog.inGroupVersion(group, version).map((s) => {
        if (!tokenRequest || s.def.group !== '' || s.def.plural !== 'serviceaccounts') return s;
        const token = {
          name: 'token',
          kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
          verbs: ['create'],
        };
        return {
          ...s,
          version: { ...s.version, subresources: [...s.version.subresources, token] },
        };
      });
      const mine = extra.filter((s) => s.def.group === group && s.version.name === version);
      return [...base, ...mine].sort((a, b) =>
        a.def.plural < b.def.plural ? -1 : a.def.plural > b.def.plural ? 1 : 0,
      );
    },
  };
}
