/**
 * Defaulting for every built-in kind other than Pod (upstream's SetDefaults_* of core/v1, apps/v1,
 * batch/v1, discovery/v1, scheduling/v1, rbac/v1 and admissionregistration/v1). In place and
 * idempotent.
 */
import type {
  ConfigMap,
  Endpoints,
  Namespace,
  Node,
  Secret,
  Service,
  ServiceAccount,
} from '../types/core-v1.js';
import type {
  DaemonSet,
  Deployment,
  EndpointSlice,
  Job,
  MutatingWebhookConfiguration,
  PriorityClass,
  ReplicaSet,
  RoleBinding,
  StatefulSet,
  ValidatingWebhook,
  ValidatingWebhookConfiguration,
} from '../types/groups.js';
import { defaultPodTemplateSpec } from './pod.js';

export const DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS = 10800;
export const LABEL_METADATA_NAME = 'kubernetes.io/metadata.name';

export function defaultNamespace(ns: Namespace): void {
  const name = ns.metadata?.name;
  if (name) {
    ns.metadata!.labels ??= {};
    ns.metadata!.labels[LABEL_METADATA_NAME] = name;
  }
  ns.status ??= {};
  if (!ns.status.phase) ns.status.phase = 'Active';
}

/** True for services reachable from outside the cluster (externalTrafficPolicy applies). */
export function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return (
    t === 'LoadBalancer' ||
    t === 'NodePort' ||
    (t === 'ClusterIP' && (svc.spec?.externalIPs?.length ?? 0) > 0)
  );
}

export function defaultService(svc: Service): void {
  const spec = (svc.spec ??= {});
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    if (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
      spec.sessionAffinityConfig = {
        clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS },
      };
    }
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of spec.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') {
      p.targetPort = p.port;
    }
  }
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy)
    spec.externalTrafficPolicy = 'Cluster';
  if (
    spec.internalTrafficPolicy === undefined &&
    (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')
  ) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

export function defaultEndpoints(ep: Endpoints): void {
  for (const s of ep.subsets ?? [])
    for (const p of s.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
}

export function defaultNode(node: Node): void {
  if (node.status?.capacity && !node.status.allocatable) {
    node.status.allocatable = { ...node.status.capacity };
  }
}

/**
 * `stringData` is a write-only convenience: upstream's conversion merges it into `data`
 * (base64-encoded, overriding existing keys) and never stores it.
 */
export function defaultSecret(secret: Secret): void {
  if (!secret.type) secret.type = 'Opaque';
  if (secret.stringData) {
    secret.data ??= {};
    for (const [k, v] of Object.entries(secret.stringData)) {
      secret.data[k] = Buffer.from(v, 'utf8').toString('base64');
    }
    delete secret.stringData;
  }
}

export function defaultConfigMap(_cm: ConfigMap): void {
  // No defaults upstream; kept so every kind has a defaulter the registry can call.
}

export function defaultServiceAccount(_sa: ServiceAccount): void {
  // No defaults upstream.
}

export function defaultDeployment(d: Deployment): void {
  const spec = d.spec;
  if (!spec) return;
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultPodTemplateSpec(spec.template);
}

export function defaultReplicaSet(rs: ReplicaSet): void {
  if (!rs.spec) return;
  rs.spec.replicas ??= 1;
  defaultPodTemplateSpec(rs.spec.template);
}

export function defaultDaemonSet(ds: DaemonSet): void {
  const spec = ds.spec;
  if (!spec) return;
  const us = (spec.updateStrategy ??= {});
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultPodTemplateSpec(spec.template);
}

export function defaultStatefulSet(ss: StatefulSet): void {
  const spec = ss.spec;
  if (!spec) return;
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  const us = (spec.updateStrategy ??= {});
  if (!us.type) {
    us.type = 'RollingUpdate';
    us.rollingUpdate ??= {};
  }
  if (us.type === 'RollingUpdate' && us.rollingUpdate) us.rollingUpdate.partition ??= 0;
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  if (!retention.whenDeleted) retention.whenDeleted = 'Retain';
  if (!retention.whenScaled) retention.whenScaled = 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  for (const t of spec.volumeClaimTemplates ?? []) {
    if (t.spec) t.spec.volumeMode ??= 'Filesystem';
  }
  defaultPodTemplateSpec(spec.template);
}

export function defaultJob(job: Job): void {
  const spec = job.spec;
  if (!spec) return;
  // A non-parallel job may leave both unset: both become 1.
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  if (spec.backoffLimit === undefined) {
    spec.backoffLimit = spec.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  }
  const templateLabels = spec.template?.metadata?.labels;
  if (templateLabels && Object.keys(job.metadata?.labels ?? {}).length === 0) {
    job.metadata ??= {};
    job.metadata.labels = { ...templateLabels };
  }
  if (!spec.completionMode) spec.completionMode = 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const c of rule.onPodConditions ?? []) if (!c.status) c.status = 'True';
  }
  if (!spec.podReplacementPolicy) {
    spec.podReplacementPolicy = spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  }
  defaultPodTemplateSpec(spec.template);
}

export function defaultEndpointSlice(es: EndpointSlice): void {
  for (const p of es.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    p.name ??= '';
  }
}

export function defaultPriorityClass(pc: PriorityClass): void {
  if (!pc.preemptionPolicy) pc.preemptionPolicy = 'PreemptLowerPriority';
}

/** rbac SetDefaults_Subject: User and Group subjects live in the rbac API group. */
export function defaultRoleBinding(rb: RoleBinding): void {
  for (const s of rb.subjects ?? []) {
    if (s.apiGroup === undefined || s.apiGroup === '') {
      if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = 'rbac.authorization.k8s.io';
      else if (s.kind === 'ServiceAccount') s.apiGroup = '';
    }
  }
}

function defaultWebhook(
  w: ValidatingWebhook & { reinvocationPolicy?: string },
  mutating: boolean,
): void {
  if (!w.failurePolicy) w.failurePolicy = 'Fail';
  if (!w.matchPolicy) w.matchPolicy = 'Equivalent';
  w.namespaceSelector ??= {};
  w.objectSelector ??= {};
  w.timeoutSeconds ??= 10;
  if (mutating && !w.reinvocationPolicy) w.reinvocationPolicy = 'Never';
  for (const r of w.rules ?? []) if (!r.scope) r.scope = '*';
  if (w.clientConfig?.service) w.clientConfig.service.port ??= 443;
}

export function defaultValidatingWebhookConfiguration(c: ValidatingWebhookConfiguration): void {
  for (const w of c.webhooks ?? []) defaultWebhook(w, false);
}

export function defaultMutatingWebhookConfiguration(c: MutatingWebhookConfiguration): void {
  for (const w of c.webhooks ?? []) defaultWebhook(w, true);
}
