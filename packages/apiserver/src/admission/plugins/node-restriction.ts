/**
 * NodeRestriction: what a kubelet (user `system:node:<name>` in group `system:nodes`) may write.
 * Its own Node only (no taint changes, no node-restriction.kubernetes.io/ labels, no
 * kubernetes.io / k8s.io labels beyond the kubelet's own), mirror pods bound to itself, status of
 * pods bound to itself (not their labels), evictions and deletions of its own pods, its own Lease
 * in kube-node-lease, tokens only for its own pods. Reads are the Node authorizer's job.
 */
import { jsonEqual, type JsonValue } from '@kubets/apimachinery';
import type { UserInfo } from '../../auth/types.js';
import type { ApiObject } from '../../storage/codec.js';
import { forbidden } from '../errors.js';
import { isMirrorPod, podSpec } from '../pod-spec.js';
import type { AdmissionAttributes, MutatingPlugin, Operation } from '../types.js';

const NODE_USER_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const LABEL_NAMESPACE_NODE_RESTRICTION = 'node-restriction.kubernetes.io';

const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** The node a user is, as upstream's NodeIdentifier: undefined when not a node. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.username.startsWith(NODE_USER_PREFIX)) return undefined;
  if (!user.groups.includes(NODES_GROUP)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length);
}

function labelNamespace(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

function inNamespace(ns: string, domain: string): boolean {
  return ns === domain || ns.endsWith(`.${domain}`);
}

export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d));
}

/** Labels a node may not set or change on its Node object. */
export function forbiddenNodeLabels(
  next: Record<string, string>,
  old: Record<string, string>,
): string[] {
  const modified = new Set<string>();
  for (const [k, v] of Object.entries(next)) if (old[k] !== v) modified.add(k);
  for (const k of Object.keys(old)) if (!(k in next)) modified.add(k);
  const out: string[] = [];
  for (const label of modified) {
    const ns = labelNamespace(label);
    const restricted = inNamespace(ns, LABEL_NAMESPACE_NODE_RESTRICTION);
    const kubernetes = inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io');
    if (restricted || (kubernetes && !isKubeletLabel(label))) out.push(label);
  }
  return out.sort();
}

export type ObjectGetter = (namespace: string, name: string) => Promise<ApiObject | undefined>;

export interface NodeRestrictionDeps {
  getPod: ObjectGetter;
  getNode: (name: string) => Promise<ApiObject | undefined>;
}

function labelsOf(o: ApiObject | undefined): Record<string, string> {
  return o?.metadata?.labels ?? {};
}

export class NodeRestriction implements MutatingPlugin {
  readonly name = 'NodeRestriction';

  constructor(private readonly deps: NodeRestrictionDeps) {}

  handles(_op: Operation): boolean {
    return true;
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    const nodeName = nodeIdentity(a.userInfo);
    if (nodeName === undefined) return;
    if (nodeName === '') {
      throw forbidden(a, `could not determine node from user "${a.userInfo.username}"`);
    }
    const gr = `${a.resource.group}/${a.resource.resource}`;
    switch (gr) {
      case '/pods':
        return this.admitPod(nodeName, a);
      case '/nodes':
        return this.admitNode(nodeName, a);
      case 'coordination.k8s.io/leases':
        return this.admitLease(nodeName, a);
      case '/persistentvolumeclaims':
        if (a.subresource !== 'status') {
          throw forbidden(a, `may only update PVC status`);
        }
        return;
      case '/serviceaccounts':
        if (a.subresource === 'token') return this.admitToken(nodeName, a);
        return;
      default:
        return;
    }
  }

  private async admitPod(nodeName: string, a: AdmissionAttributes): Promise<void> {
    switch (a.subresource) {
      case '':
        if (a.operation === 'CREATE') return this.admitPodCreate(nodeName, a);
        if (a.operation === 'DELETE') {
          const pod = a.oldObject ?? (await this.deps.getPod(a.namespace, a.name));
          if (podSpec(pod ?? {}).nodeName !== nodeName) {
            throw forbidden(
              a,
              `node "${nodeName}" can only delete pods with spec.nodeName set to itself`,
            );
          }
          return;
        }
        throw forbidden(
          a,
          `unexpected operation "${a.operation}", node "${nodeName}" can only create and delete mirror pods`,
        );
      case 'status': {
        if (a.operation !== 'UPDATE') throw forbidden(a, `unexpected operation "${a.operation}"`);
        if (podSpec(a.oldObject ?? {}).nodeName !== nodeName) {
          throw forbidden(
            a,
            `node "${nodeName}" can only update pod status for pods with spec.nodeName set to itself`,
          );
        }
        if (!jsonEqual(labelsOf(a.object), labelsOf(a.oldObject))) {
          throw forbidden(a, `node "${nodeName}" cannot update labels through pod status`);
        }
        return;
      }
      case 'eviction': {
        if (a.operation !== 'CREATE') throw forbidden(a, `unexpected operation "${a.operation}"`);
        const name = a.name || a.object?.metadata?.name || '';
        const pod = await this.deps.getPod(a.namespace, name);
        if (pod && podSpec(pod).nodeName !== nodeName) {
          throw forbidden(
            a,
            `node ${nodeName} can only evict pods with spec.nodeName set to itself`,
          );
        }
        return;
      }
      default:
        throw forbidden(
          a,
          `unexpected pod subresource "${a.subresource}", only 'status' and 'eviction' are allowed`,
        );
    }
  }

  private async admitPodCreate(nodeName: string, a: AdmissionAttributes): Promise<void> {
    const pod = a.object ?? {};
    if (!isMirrorPod(pod)) {
      throw forbidden(
        a,
        `pod does not have "kubernetes.io/config.mirror" annotation, node "${nodeName}" can only create mirror pods`,
      );
    }
    const spec = podSpec(pod);
    if (spec.nodeName !== nodeName) {
      throw forbidden(
        a,
        `node "${nodeName}" can only create pods with spec.nodeName set to itself`,
      );
    }
    const owners = (pod.metadata?.ownerReferences ?? []) as {
      apiVersion?: string;
      kind?: string;
      name?: string;
      uid?: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
    if (owners.length > 1) {
      throw forbidden(
        a,
        `node "${nodeName}" can only create pods with a single owner reference set to itself`,
      );
    }
    const owner = owners[0];
    if (owner) {
      if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== nodeName) {
        throw forbidden(
          a,
          `node "${nodeName}" can only create pods with an owner reference set to itself`,
        );
      }
      if (owner.controller !== true) {
        throw forbidden(
          a,
          `node "${nodeName}" can only create pods with a controller owner reference set to itself`,
        );
      }
      if (owner.blockOwnerDeletion === true) {
        throw forbidden(
          a,
          `node "${nodeName}" must not set blockOwnerDeletion on an owner reference`,
        );
      }
      const node = await this.deps.getNode(nodeName);
      if (!node) throw forbidden(a, `error looking up node ${nodeName} to verify uid: not found`);
      if (owner.uid !== node.metadata?.uid) {
        throw forbidden(
          a,
          `node ${nodeName} UID mismatch: expected ${node.metadata?.uid ?? ''} got ${owner.uid ?? ''}`,
        );
      }
    }
    if (spec.serviceAccountName) {
      throw forbidden(a, `node "${nodeName}" can not create pods that reference a service account`);
    }
    const refs = podReferences(spec);
    if (refs.secrets) {
      throw forbidden(a, `node "${nodeName}" can not create pods that reference secrets`);
    }
    if (refs.configMaps) {
      throw forbidden(a, `node "${nodeName}" can not create pods that reference configmaps`);
    }
    if ((spec.volumes ?? []).some((v) => 'persistentVolumeClaim' in v)) {
      throw forbidden(
        a,
        `node "${nodeName}" can not create pods that reference persistentvolumeclaims`,
      );
    }
  }

  private admitNode(nodeName: string, a: AdmissionAttributes): Promise<void> {
    const requested = a.name || a.object?.metadata?.name || '';
    if (requested !== nodeName) {
      throw forbidden(a, `node "${nodeName}" is not allowed to modify node "${requested}"`);
    }
    if (a.operation === 'CREATE') {
      const bad = forbiddenNodeLabels(labelsOf(a.object), {});
      if (bad.length > 0) {
        throw forbidden(
          a,
          `node "${nodeName}" is not allowed to set the following labels: ${bad.join(', ')}`,
        );
      }
    }
    if (a.operation === 'UPDATE') {
      const taints = (o: ApiObject | undefined) =>
        ((o?.spec as { taints?: unknown[] } | undefined)?.taints ?? []) as JsonValue;
      if (!jsonEqual(taints(a.object), taints(a.oldObject))) {
        throw forbidden(a, `node "${nodeName}" is not allowed to modify taints`);
      }
      const bad = forbiddenNodeLabels(labelsOf(a.object), labelsOf(a.oldObject));
      if (bad.length > 0) {
        throw forbidden(a, `is not allowed to modify labels: ${bad.join(', ')}`);
      }
    }
    return Promise.resolve();
  }

  private admitLease(nodeName: string, a: AdmissionAttributes): Promise<void> {
    if (a.namespace !== NODE_LEASE_NAMESPACE) {
      throw forbidden(
        a,
        `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`,
      );
    }
    const name = a.operation === 'CREATE' ? (a.object?.metadata?.name ?? '') : a.name;
    if (name !== nodeName) {
      throw forbidden(a, 'can only access node lease with the same name as the requesting node');
    }
    return Promise.resolve();
  }

  private async admitToken(nodeName: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE') return;
    const ref = (
      a.object?.spec as
        { boundObjectRef?: { kind?: string; name?: string; uid?: string } } | undefined
    )?.boundObjectRef;
    if (!ref) throw forbidden(a, 'node requested token not bound to a pod');
    if (ref.kind !== 'Pod') throw forbidden(a, `node requested token bound to a ${ref.kind ?? ''}`);
    const pod = await this.deps.getPod(a.namespace, ref.name ?? '');
    if (!pod) throw forbidden(a, 'node requested token bound to a pod that does not exist');
    if (ref.uid && ref.uid !== pod.metadata?.uid) {
      throw forbidden(
        a,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
    if (podSpec(pod).nodeName !== nodeName) {
      throw forbidden(a, 'node requested token bound to a pod scheduled on a different node');
    }
  }
}

/** Whether a pod spec references Secrets or ConfigMaps (volumes, env, envFrom, pull secrets). */
export function podReferences(spec: ReturnType<typeof podSpec>): {
  secrets: boolean;
  configMaps: boolean;
} {
  let secrets = (spec.imagePullSecrets ?? []).length > 0;
  let configMaps = false;
  for (const v of spec.volumes ?? []) {
    if ('secret' in v) secrets = true;
    if ('configMap' in v) configMaps = true;
    const projected = v.projected as { sources?: Record<string, unknown>[] } | undefined;
    for (const s of projected?.sources ?? []) {
      if ('secret' in s) secrets = true;
      if ('configMap' in s) configMaps = true;
    }
    for (const key of [
      'azureFile',
      'cephfs',
      'cinder',
      'flexVolume',
      'iscsi',
      'rbd',
      'scaleIO',
      'storageos',
      'csi',
    ]) {
      const src = v[key] as Record<string, unknown> | undefined;
      if (src && (src.secretRef || src.secretName || src.nodePublishSecretRef)) secrets = true;
    }
  }
  for (const c of [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ]) {
    for (const e of c.envFrom ?? []) {
      if (e.secretRef) secrets = true;
      if (e.configMapRef) configMaps = true;
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef) secrets = true;
      if (e.valueFrom?.configMapKeyRef) configMaps = true;
    }
  }
  return { secrets, configMaps };
}
