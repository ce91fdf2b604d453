/**
 * Wire types of the non-core groups kubets serves: apps/v1, autoscaling/v1 (Scale), batch/v1,
 * discovery.k8s.io/v1, coordination.k8s.io/v1, events.k8s.io/v1, policy/v1, scheduling.k8s.io/v1,
 * rbac.authorization.k8s.io/v1 and admissionregistration.k8s.io/v1. Field names are upstream's.
 */
import type { DeleteOptions, LabelSelector, ObjectMeta } from '@kubets/apimachinery';
import type {
  ConditionStatus,
  IntOrString,
  ObjectReference,
  ObjectWithMeta,
  PersistentVolumeClaimSpec,
  PodTemplateSpec,
  Protocol,
  QuantityString,
} from './core-v1.js';

// ---------------------------------------------------------------------------------------------
// apps/v1

export interface WorkloadCondition {
  type: string;
  status: ConditionStatus;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface RollingUpdateDeployment {
  maxUnavailable?: IntOrString;
  maxSurge?: IntOrString;
}

export interface DeploymentStrategy {
  type?: 'Recreate' | 'RollingUpdate' | (string & {});
  rollingUpdate?: RollingUpdateDeployment;
}

export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  strategy?: DeploymentStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  terminatingReplicas?: number;
  conditions?: WorkloadCondition[];
  collisionCount?: number;
}

export interface Deployment extends ObjectWithMeta {
  spec?: DeploymentSpec;
  status?: DeploymentStatus;
}

export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector: LabelSelector;
  template?: PodTemplateSpec;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  terminatingReplicas?: number;
  observedGeneration?: number;
  conditions?: WorkloadCondition[];
}

export interface ReplicaSet extends ObjectWithMeta {
  spec?: ReplicaSetSpec;
  status?: ReplicaSetStatus;
}

export interface RollingUpdateDaemonSet {
  maxUnavailable?: IntOrString;
  maxSurge?: IntOrString;
}

export interface DaemonSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete' | (string & {});
  rollingUpdate?: RollingUpdateDaemonSet;
}

export interface DaemonSetSpec {
  selector: LabelSelector;
  template: PodTemplateSpec;
  updateStrategy?: DaemonSetUpdateStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: WorkloadCondition[];
}

export interface DaemonSet extends ObjectWithMeta {
  spec?: DaemonSetSpec;
  status?: DaemonSetStatus;
}

export interface StatefulSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete' | (string & {});
  rollingUpdate?: { partition?: number; maxUnavailable?: IntOrString };
}

export interface StatefulSetSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  volumeClaimTemplates?: { metadata?: ObjectMeta; spec?: PersistentVolumeClaimSpec }[];
  serviceName?: string;
  podManagementPolicy?: 'OrderedReady' | 'Parallel' | (string & {});
  updateStrategy?: StatefulSetUpdateStrategy;
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: {
    whenDeleted?: 'Retain' | 'Delete' | (string & {});
    whenScaled?: 'Retain' | 'Delete' | (string & {});
  };
  ordinals?: { start?: number };
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: WorkloadCondition[];
  availableReplicas?: number;
}

export interface StatefulSet extends ObjectWithMeta {
  spec?: StatefulSetSpec;
  status?: StatefulSetStatus;
}

// ---------------------------------------------------------------------------------------------
// autoscaling/v1

/** The `scale` subresource body. `status.selector` is a label selector string. */
export interface Scale extends ObjectWithMeta {
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

// ---------------------------------------------------------------------------------------------
// batch/v1

export interface PodFailurePolicyRule {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count' | (string & {});
  onExitCodes?: {
    containerName?: string;
    operator: 'In' | 'NotIn' | (string & {});
    values: number[];
  };
  onPodConditions?: { type: string; status?: ConditionStatus }[];
}

export interface JobSpec {
  parallelism?: number;
  completions?: number;
  activeDeadlineSeconds?: number;
  podFailurePolicy?: { rules: PodFailurePolicyRule[] };
  successPolicy?: { rules: { succeededIndexes?: string; succeededCount?: number }[] };
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  maxFailedIndexes?: number;
  selector?: LabelSelector;
  manualSelector?: boolean;
  template: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: 'NonIndexed' | 'Indexed' | (string & {});
  suspend?: boolean;
  podReplacementPolicy?: 'TerminatingOrFailed' | 'Failed' | (string & {});
  managedBy?: string;
}

export interface JobCondition {
  type:
    'Suspended' | 'Complete' | 'Failed' | 'FailureTarget' | 'SuccessCriteriaMet' | (string & {});
  status: ConditionStatus;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  ready?: number;
}

export interface Job extends ObjectWithMeta {
  spec?: JobSpec;
  status?: JobStatus;
}

// ---------------------------------------------------------------------------------------------
// discovery.k8s.io/v1

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface EndpointHints {
  forZones?: { name: string }[];
  forNodes?: { name: string }[];
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  deprecatedTopology?: Record<string, string>;
  nodeName?: string;
  zone?: string;
  hints?: EndpointHints;
}

export interface EndpointSlicePort {
  name?: string;
  protocol?: Protocol | (string & {});
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends ObjectWithMeta {
  addressType: 'IPv4' | 'IPv6' | 'FQDN' | (string & {});
  endpoints: Endpoint[];
  ports?: EndpointSlicePort[];
}

// ---------------------------------------------------------------------------------------------
// coordination.k8s.io/v1

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** metav1.MicroTime: RFC 3339 with microseconds. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}

export interface Lease extends ObjectWithMeta {
  spec?: LeaseSpec;
}

// ---------------------------------------------------------------------------------------------
// events.k8s.io/v1

export interface EventsV1Event extends ObjectWithMeta {
  eventTime: string | null;
  series?: { count: number; lastObservedTime: string };
  reportingController?: string;
  reportingInstance?: string;
  action?: string;
  reason?: string;
  regarding?: ObjectReference;
  related?: ObjectReference;
  note?: string;
  type?: 'Normal' | 'Warning' | (string & {});
  deprecatedSource?: { component?: string; host?: string };
  deprecatedFirstTimestamp?: string | null;
  deprecatedLastTimestamp?: string | null;
  deprecatedCount?: number;
}

// ---------------------------------------------------------------------------------------------
// policy/v1

export interface PodDisruptionBudgetSpec {
  minAvailable?: IntOrString;
  selector?: LabelSelector;
  maxUnavailable?: IntOrString;
  unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow' | (string & {});
}

export interface PodDisruptionBudgetStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: {
    type: string;
    status: ConditionStatus;
    observedGeneration?: number;
    lastTransitionTime: string;
    reason: string;
    message: string;
  }[];
}

export interface PodDisruptionBudget extends ObjectWithMeta {
  spec?: PodDisruptionBudgetSpec;
  status?: PodDisruptionBudgetStatus;
}

/** pods/eviction body. */
export interface Eviction extends ObjectWithMeta {
  deleteOptions?: DeleteOptions;
}

// ---------------------------------------------------------------------------------------------
// scheduling.k8s.io/v1

export interface PriorityClass extends ObjectWithMeta {
  value: number;
  globalDefault?: boolean;
  description?: string;
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never' | (string & {});
}

// ---------------------------------------------------------------------------------------------
// rbac.authorization.k8s.io/v1

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[];
}

export interface Role extends ObjectWithMeta {
  rules?: PolicyRule[];
}

export interface ClusterRole extends ObjectWithMeta {
  rules?: PolicyRule[];
  aggregationRule?: AggregationRule;
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount' | (string & {});
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

export interface RoleBinding extends ObjectWithMeta {
  subjects?: Subject[];
  roleRef: RoleRef;
}

export type ClusterRoleBinding = RoleBinding;

// ---------------------------------------------------------------------------------------------
// admissionregistration.k8s.io/v1

export interface ServiceReference {
  namespace: string;
  name: string;
  path?: string;
  port?: number;
}

export interface WebhookClientConfig {
  url?: string;
  service?: ServiceReference;
  /** base64 PEM bundle */
  caBundle?: string;
}

export interface RuleWithOperations {
  operations?: ('*' | 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT' | (string & {}))[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: '*' | 'Cluster' | 'Namespaced' | (string & {});
}

export interface MatchCondition {
  name: string;
  expression: string;
}

export interface ValidatingWebhook {
  name: string;
  clientConfig: WebhookClientConfig;
  rules?: RuleWithOperations[];
  failurePolicy?: 'Ignore' | 'Fail' | (string & {});
  matchPolicy?: 'Exact' | 'Equivalent' | (string & {});
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  sideEffects: 'None' | 'NoneOnDryRun' | 'Some' | 'Unknown' | (string & {});
  timeoutSeconds?: number;
  admissionReviewVersions: string[];
  matchConditions?: MatchCondition[];
}

export interface MutatingWebhook extends ValidatingWebhook {
  reinvocationPolicy?: 'Never' | 'IfNeeded' | (string & {});
}

export interface ValidatingWebhookConfiguration extends ObjectWithMeta {
  webhooks?: ValidatingWebhook[];
}

export interface MutatingWebhookConfiguration extends ObjectWithMeta {
  webhooks?: MutatingWebhook[];
}

/** Quantities used by scale, quota and limits are strings; re-exported for convenience. */
export type { QuantityString };
