/**
 * The Node authorizer (upstream's plugin/pkg/auth/authorizer/node): a kubelet, identified as
 * user `system:node:<name>` in group `system:nodes`, may
 * - get only the secrets, configmaps and persistentvolumeclaims that pods bound to its node
 *   reference, and create tokens only for those pods' service accounts;
 * - write only its own Node (and status) and its own Lease in kube-node-lease;
 * - update the status of (and delete) only pods bound to it;
 * - everything else the `system:node` role's rules allow (read services, endpoints, nodes...).
 * References come from an in-memory graph of pods fed by an informer. Never denies: a request it
 * does not allow is "no opinion" with a reason, so RBAC may still allow it.
 */
import type { Pod } from '@kubets/api';
import type { RequestAttributes, UserInfo } from '../types.js';
import { ALLOW, NO_OPINION, type Authorizer, type Decision, type RuleSet } from './authorizer.js';
import { rulesAllow } from './rules.js';
import { NODE_RULES } from '../policy/bootstrap-policy.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** `system:node:<name>` in `system:nodes`; undefined for any other user. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes('system:nodes')) return undefined;
  if (!user.username.startsWith('system:node:')) return undefined;
  return user.username.slice('system:node:'.length);
}

interface PodEntry {
  node: string;
  /** `secrets/<name>`, `configmaps/<name>`, `persistentvolumeclaims/<name>`, `serviceaccounts/<name>`. */
  refs: Set<string>;
}

/** Which node each pod is bound to and which namespaced objects it references. */
export class NodeGraph {
  private readonly pods = new Map<string, PodEntry>();
  private readonly byNode = new Map<string, Set<string>>();

  setPod(pod: Pod): void {
    const ns = pod.metadata?.namespace ?? '';
    const key = `${ns}/${pod.metadata?.name ?? ''}`;
    this.deletePod(ns, pod.metadata?.name ?? '');
    const node = pod.spec?.nodeName;
    if (!node) return;
    this.pods.set(key, { node, refs: podReferences(pod) });
    let set = this.byNode.get(node);
    if (!set) this.byNode.set(node, (set = new Set()));
    set.add(key);
  }

  deletePod(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const entry = this.pods.get(key);
    if (!entry) return;
    this.pods.delete(key);
    const set = this.byNode.get(entry.node);
    set?.delete(key);
    if (set?.size === 0) this.byNode.delete(entry.node);
  }

  clear(): void {
    this.pods.clear();
    this.byNode.clear();
  }

  /** The node a pod is bound to (undefined when unknown or unscheduled). */
  nodeOfPod(namespace: string, name: string): string | undefined {
    return this.pods.get(`${namespace}/${name}`)?.node;
  }

  /** Whether a pod bound to `node` references `resource` `namespace/name`. */
  references(node: string, resource: string, namespace: string, name: string): boolean {
    for (const key of this.byNode.get(node) ?? []) {
      if (!key.startsWith(`${namespace}/`)) continue;
      if (this.pods.get(key)?.refs.has(`${resource}/${name}`)) return true;
    }
    // Secrets reach a node through its pods' claims' volumes too (CSI and plugin secretRefs).
    if (resource === 'secrets')
      return this.volumesOf(node).some((pv) =>
        this.volumeSecrets.get(pv)?.has(`${namespace}/${name}`),
      );
    return false;
  }

  /** PersistentVolumes behind the claims of the node's pods. */
  volumesOf(node: string): string[] {
    const out: string[] = [];
    for (const key of this.byNode.get(node) ?? []) {
      const ns = key.slice(0, key.indexOf('/'));
      for (const ref of this.pods.get(key)?.refs ?? []) {
        if (!ref.startsWith('persistentvolumeclaims/')) continue;
        const pv = this.claims.get(`${ns}/${ref.slice('persistentvolumeclaims/'.length)}`);
        if (pv) out.push(pv);
      }
    }
    return out;
  }

  /** `persistentvolumeclaims` `namespace/name` -> bound volume name. */
  private readonly claims = new Map<string, string>();
  /** PersistentVolume name -> `namespace/name` of the secrets its spec references. */
  private readonly volumeSecrets = new Map<string, Set<string>>();

  setClaim(namespace: string, name: string, volumeName: string | undefined): void {
    if (volumeName) this.claims.set(`${namespace}/${name}`, volumeName);
    else this.claims.delete(`${namespace}/${name}`);
  }

  deleteClaim(namespace: string, name: string): void {
    this.claims.delete(`${namespace}/${name}`);
  }

  setVolume(name: string, spec: unknown): void {
    this.volumeSecrets.set(name, volumeSecretRefs(spec));
  }

  deleteVolume(name: string): void {
    this.volumeSecrets.delete(name);
  }
}

/** `namespace/name` of every `*SecretRef`/`secretRef` in a PersistentVolume spec. */
export function volumeSecretRefs(spec: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 4 || v === null || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      if (/secretref$/i.test(k) && child && typeof child === 'object') {
        const ref = child as { name?: unknown; namespace?: unknown };
        if (typeof ref.name === 'string' && typeof ref.namespace === 'string')
          out.add(`${ref.namespace}/${ref.name}`);
      } else visit(child, depth + 1);
    }
  };
  visit(spec, 0);
  return out;
}

/** What a pod references, as upstream's graph_populator (containers, volumes, pull secrets). */
export function podReferences(pod: Pod): Set<string> {
  const refs = new Set<string>();
  const spec = pod.spec;
  if (!spec) return refs;
  refs.add(`serviceaccounts/${spec.serviceAccountName || 'default'}`);
  for (const s of spec.imagePullSecrets ?? []) if (s.name) refs.add(`secrets/${s.name}`);
  const containers = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []),
    ...((spec as { ephemeralContainers?: typeof spec.containers }).ephemeralContainers ?? []),
  ];
  for (const c of containers) {
    for (const from of c.envFrom ?? []) {
      if (from.secretRef?.name) refs.add(`secrets/${from.secretRef.name}`);
      if (from.configMapRef?.name) refs.add(`configmaps/${from.configMapRef.name}`);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom;
      if (ref?.secretKeyRef?.name) refs.add(`secrets/${ref.secretKeyRef.name}`);
      if (ref?.configMapKeyRef?.name) refs.add(`configmaps/${ref.configMapKeyRef.name}`);
    }
  }
  for (const v of spec.volumes ?? []) {
    const vol = v as unknown as Record<string, Record<string, unknown> | undefined>;
    const secretName = vol.secret?.secretName;
    if (typeof secretName === 'string') refs.add(`secrets/${secretName}`);
    const cm = vol.configMap?.name;
    if (typeof cm === 'string') refs.add(`configmaps/${cm}`);
    const claim = vol.persistentVolumeClaim?.claimName;
    if (typeof claim === 'string') refs.add(`persistentvolumeclaims/${claim}`);
    // Volume plugins with a secretRef (cephfs, rbd, iscsi, csi...).
    for (const key of ['nodePublishSecretRef', 'secretRef']) {
      for (const plugin of Object.values(vol)) {
        const ref = plugin?.[key] as { name?: string } | undefined;
        if (ref?.name) refs.add(`secrets/${ref.name}`);
      }
    }
    const sources = (vol.projected?.sources ?? []) as Record<
      string,
      { name?: string } | undefined
    >[];
    for (const src of sources) {
      if (src.secret?.name) refs.add(`secrets/${src.secret.name}`);
      if (src.configMap?.name) refs.add(`configmaps/${src.configMap.name}`);
    }
    const ephemeral = vol.ephemeral;
    if (ephemeral) refs.add(`persistentvolumeclaims/${pod.metadata?.name ?? ''}-${v.name}`);
  }
  return refs;
}

const READ_ONE = new Set(['secrets', 'configmaps', 'persistentvolumeclaims']);
const NODE_WRITES = new Set(['update', 'patch', 'delete']);

export class NodeAuthorizer implements Authorizer {
  readonly type = 'Node';

  constructor(private readonly graph: NodeGraph) {}

  authorize(user: UserInfo, attrs: RequestAttributes): Decision {
    const node = nodeIdentity(user);
    if (node === undefined) return NO_OPINION;
    if (node === '') return { decision: 'noopinion', reason: 'unknown node' };
    if (attrs.kind === 'nonresource') return rulesAllow(attrs, NODE_RULES) ? ALLOW : NO_OPINION;
    const noRelationship: Decision = {
      decision: 'noopinion',
      reason: `no relationship found between node '${node}' and this object`,
    };
    if (attrs.group === '' && READ_ONE.has(attrs.resource)) {
      const statusOfClaim =
        attrs.resource === 'persistentvolumeclaims' && attrs.subresource === 'status';
      if (
        attrs.verb !== 'get' &&
        !(statusOfClaim && (attrs.verb === 'update' || attrs.verb === 'patch'))
      )
        return { decision: 'noopinion', reason: 'can only get individual resources of this type' };
      if (attrs.subresource !== '' && !statusOfClaim)
        return { decision: 'noopinion', reason: 'cannot get subresource' };
      if (!attrs.name) return { decision: 'noopinion', reason: 'No Object name found' };
      return this.graph.references(node, attrs.resource, attrs.namespace, attrs.name)
        ? ALLOW
        : noRelationship;
    }
    if (attrs.group === '' && attrs.resource === 'persistentvolumes') {
      if (attrs.verb !== 'get')
        return { decision: 'noopinion', reason: 'can only get individual resources of this type' };
      return attrs.subresource === '' && this.graph.volumesOf(node).includes(attrs.name)
        ? ALLOW
        : noRelationship;
    }
    if (
      attrs.group === '' &&
      attrs.resource === 'serviceaccounts' &&
      attrs.subresource === 'token'
    ) {
      if (attrs.verb !== 'create')
        return {
          decision: 'noopinion',
          reason: `can only create tokens for individual service accounts`,
        };
      return this.graph.references(node, 'serviceaccounts', attrs.namespace, attrs.name)
        ? ALLOW
        : noRelationship;
    }
    if (attrs.group === 'coordination.k8s.io' && attrs.resource === 'leases') {
      if (attrs.namespace !== NODE_LEASE_NAMESPACE)
        return {
          decision: 'noopinion',
          reason: `can only access leases in the ${NODE_LEASE_NAMESPACE} namespace`,
        };
      if (attrs.verb !== 'create' && attrs.name !== node)
        return {
          decision: 'noopinion',
          reason: 'can only access node lease with the same name as the requesting node',
        };
    }
    if (
      attrs.group === '' &&
      attrs.resource === 'nodes' &&
      NODE_WRITES.has(attrs.verb) &&
      attrs.name !== node
    ) {
      return { decision: 'noopinion', reason: `node '${node}' cannot modify node '${attrs.name}'` };
    }
    if (
      attrs.group === '' &&
      attrs.resource === 'pods' &&
      attrs.name !== '' &&
      (attrs.subresource === 'status' || (attrs.subresource === '' && attrs.verb === 'delete')) &&
      this.graph.nodeOfPod(attrs.namespace, attrs.name) !== node
    ) {
      return noRelationship;
    }
    return rulesAllow(attrs, NODE_RULES) ? ALLOW : NO_OPINION;
  }

  /** The graph part cannot be listed as rules: upstream reports it as incomplete. */
  rulesFor(user: UserInfo): RuleSet {
    if (nodeIdentity(user) === undefined)
      return { resourceRules: [], nonResourceRules: [], incomplete: false };
    return { resourceRules: [], nonResourceRules: [], incomplete: true };
  }
}
