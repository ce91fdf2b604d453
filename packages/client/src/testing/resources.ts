/**
 * What the fake needs to know about a resource: its names, scope, whether it has a status
 * subresource, which fields it supports in field selectors. A few built-ins are described here
 * for tests; the authoritative registry lives in the API packages, and custom resources can be
 * described the same way.
 */
import type { GroupVersionResource, PatchSchema, ValidateNameFunc } from '@kubets/apimachinery';

export interface ResourceDescriptor {
  group: string;
  version: string;
  /** Plural resource name (`pods`). */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Main-resource writes keep `status`; `updateStatus` changes only `status`. */
  statusSubresource?: boolean;
  /** Dotted paths usable in field selectors besides metadata.name / metadata.namespace. */
  selectableFields?: readonly string[];
  /** Enables strategic merge patch (built-in types); without it the fake answers 415, like CRDs. */
  patchSchema?: PatchSchema;
  /** Name validation; DNS-1123 subdomain by default. */
  nameFn?: ValidateNameFunc;
}

export function gvrOf(d: ResourceDescriptor): GroupVersionResource {
  return { group: d.group, version: d.version, resource: d.resource };
}

export function apiVersionOf(d: Pick<ResourceDescriptor, 'group' | 'version'>): string {
  return d.group === '' ? d.version : `${d.group}/${d.version}`;
}

export const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods' };
export const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes' };
export const NAMESPACES: GroupVersionResource = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
};
export const CONFIGMAPS: GroupVersionResource = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
};
export const SECRETS: GroupVersionResource = { group: '', version: 'v1', resource: 'secrets' };
export const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services' };
export const DEPLOYMENTS: GroupVersionResource = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
};
export const REPLICASETS: GroupVersionResource = {
  group: 'apps',
  version: 'v1',
  resource: 'replicasets',
};

export const BUILTIN_RESOURCES: readonly ResourceDescriptor[] = [
  {
    ...PODS,
    kind: 'Pod',
    namespaced: true,
    statusSubresource: true,
    selectableFields: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  },
  {
    ...NODES,
    kind: 'Node',
    namespaced: false,
    statusSubresource: true,
    selectableFields: ['spec.unschedulable'],
  },
  {
    ...NAMESPACES,
    kind: 'Namespace',
    namespaced: false,
    statusSubresource: true,
    selectableFields: ['status.phase'],
  },
  { ...CONFIGMAPS, kind: 'ConfigMap', namespaced: true },
  { ...SECRETS, kind: 'Secret', namespaced: true, selectableFields: ['type'] },
  { ...SERVICES, kind: 'Service', namespaced: true, statusSubresource: true },
  { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true },
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
  },
  { ...DEPLOYMENTS, kind: 'Deployment', namespaced: true, statusSubresource: true },
  {
    ...REPLICASETS,
    kind: 'ReplicaSet',
    namespaced: true,
    statusSubresource: true,
    selectableFields: ['status.replicas'],
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    kind: 'Lease',
    namespaced: true,
  },
  {
    group: 'events.k8s.io',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    selectableFields: [
      'reason',
      'type',
      'reportingController',
      'regarding.kind',
      'regarding.name',
      'regarding.namespace',
      'regarding.uid',
    ],
  },
];
