/**
 * Message layouts of the Kubernetes protobuf wire format (upstream's `k8s.io/api/**\/generated.proto`
 * and apimachinery's `meta/v1`), as field number -> JSON member. One table drives both the request
 * body decoder and the response encoder (protobuf.ts).
 *
 * Go semantics the tables carry:
 * - `pointer` (a Go `*T`): a zero value was set on purpose (`replicas: 0`) and is kept both ways.
 * - `keepZero`: a Go field without `omitempty`, present in JSON even when zero (`restartCount: 0`).
 *   Other zero scalars are left off the wire and out of decoded JSON, as `omitempty` does.
 * - `inline`: an embedded Go struct (`ConfigMapVolumeSource` embeds `LocalObjectReference`): its
 *   members sit in the parent's JSON object but in a nested message on the wire.
 */

export type ScalarType =
  | 'string'
  | 'bytes'
  | 'int'
  | 'bool'
  | 'time'
  | 'microTime'
  | 'quantity'
  | 'intOrString'
  | 'fieldsV1';

export type FieldType =
  ScalarType | { message: string; inline?: boolean } | { map: 'string' | 'bytes' | 'quantity' };

export interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
  pointer?: boolean;
  keepZero?: boolean;
}

export type MessageSpec = Record<number, FieldSpec>;

const f = (name: string, type: FieldType, repeated = false): FieldSpec => ({
  name,
  type,
  repeated,
});
/** A Go pointer field (zero values kept). */
const p = (name: string, type: FieldType): FieldSpec => ({ name, type, pointer: true });
/** A Go field without omitempty (zero values kept). */
const z = (name: string, type: FieldType): FieldSpec => ({ name, type, keepZero: true });
const msg = (message: string): FieldType => ({ message });
const inline = (message: string): FieldType => ({ message, inline: true });
const list = (name: string, message: string): FieldSpec => f(name, msg(message), true);
const strings = (name: string): FieldSpec => f(name, 'string', true);
const quantities = (name: string): FieldSpec => f(name, { map: 'quantity' });
const labels = (name: string): FieldSpec => f(name, { map: 'string' });

/** Container and EphemeralContainerCommon share their field numbers. */
const CONTAINER: MessageSpec = {
  1: z('name', 'string'),
  2: f('image', 'string'),
  3: strings('command'),
  4: strings('args'),
  5: f('workingDir', 'string'),
  6: list('ports', 'ContainerPort'),
  7: list('env', 'EnvVar'),
  8: f('resources', msg('ResourceRequirements')),
  9: list('volumeMounts', 'VolumeMount'),
  10: f('livenessProbe', msg('Probe')),
  11: f('readinessProbe', msg('Probe')),
  12: f('lifecycle', msg('Lifecycle')),
  13: f('terminationMessagePath', 'string'),
  14: f('imagePullPolicy', 'string'),
  15: f('securityContext', msg('SecurityContext')),
  16: f('stdin', 'bool'),
  17: f('stdinOnce', 'bool'),
  18: f('tty', 'bool'),
  19: list('envFrom', 'EnvFromSource'),
  20: f('terminationMessagePolicy', 'string'),
  21: list('volumeDevices', 'VolumeDevice'),
  22: f('startupProbe', msg('Probe')),
  23: list('resizePolicy', 'ContainerResizePolicy'),
  24: p('restartPolicy', 'string'),
  25: list('restartPolicyRules', 'ContainerRestartRule'),
};

const AFFINITY_TERMS: MessageSpec = {
  1: list('requiredDuringSchedulingIgnoredDuringExecution', 'PodAffinityTerm'),
  2: list('preferredDuringSchedulingIgnoredDuringExecution', 'WeightedPodAffinityTerm'),
};

/** ConfigMap/Secret references that embed LocalObjectReference. */
const refWithOptional = (extra: MessageSpec): MessageSpec => ({
  1: f('', inline('LocalObjectReference')),
  ...extra,
});

export const MESSAGES: Record<string, MessageSpec> = {
  // ----- apimachinery meta/v1
  ObjectMeta: {
    1: f('name', 'string'),
    2: f('generateName', 'string'),
    3: f('namespace', 'string'),
    4: f('selfLink', 'string'),
    5: f('uid', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('generation', 'int'),
    8: f('creationTimestamp', 'time'),
    9: p('deletionTimestamp', 'time'),
    10: p('deletionGracePeriodSeconds', 'int'),
    11: labels('labels'),
    12: labels('annotations'),
    13: list('ownerReferences', 'OwnerReference'),
    14: strings('finalizers'),
    17: list('managedFields', 'ManagedFieldsEntry'),
  },
  ManagedFieldsEntry: {
    1: f('manager', 'string'),
    2: f('operation', 'string'),
    3: f('apiVersion', 'string'),
    4: p('time', 'time'),
    6: f('fieldsType', 'string'),
    7: p('fieldsV1', 'fieldsV1'),
    8: f('subresource', 'string'),
  },
  OwnerReference: {
    1: z('kind', 'string'),
    3: z('name', 'string'),
    4: z('uid', 'string'),
    5: z('apiVersion', 'string'),
    6: p('controller', 'bool'),
    7: p('blockOwnerDeletion', 'bool'),
  },
  ListMeta: {
    1: f('selfLink', 'string'),
    2: f('resourceVersion', 'string'),
    3: f('continue', 'string'),
    4: p('remainingItemCount', 'int'),
  },
  LabelSelector: {
    1: labels('matchLabels'),
    2: list('matchExpressions', 'LabelSelectorRequirement'),
  },
  LabelSelectorRequirement: {
    1: z('key', 'string'),
    2: z('operator', 'string'),
    3: strings('values'),
  },
  Status: {
    1: f('metadata', msg('ListMeta')),
    2: f('status', 'string'),
    3: f('message', 'string'),
    4: f('reason', 'string'),
    5: f('details', msg('StatusDetails')),
    6: f('code', 'int'),
  },
  StatusDetails: {
    1: f('name', 'string'),
    2: f('group', 'string'),
    3: f('kind', 'string'),
    4: list('causes', 'StatusCause'),
    5: f('retryAfterSeconds', 'int'),
    6: f('uid', 'string'),
  },
  StatusCause: { 1: f('reason', 'string'), 2: f('message', 'string'), 3: f('field', 'string') },

  // ----- core/v1 Pod
  Pod: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('PodSpec')),
    3: f('status', msg('PodStatus')),
  },
  PodList: { 1: f('metadata', msg('ListMeta')), 2: list('items', 'Pod') },
  PodTemplateSpec: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('PodSpec')) },
  PodSpec: {
    1: list('volumes', 'Volume'),
    2: list('containers', 'Container'),
    3: f('restartPolicy', 'string'),
    4: p('terminationGracePeriodSeconds', 'int'),
    5: p('activeDeadlineSeconds', 'int'),
    6: f('dnsPolicy', 'string'),
    7: labels('nodeSelector'),
    8: f('serviceAccountName', 'string'),
    9: f('serviceAccount', 'string'),
    10: f('nodeName', 'string'),
    11: f('hostNetwork', 'bool'),
    12: f('hostPID', 'bool'),
    13: f('hostIPC', 'bool'),
    14: f('securityContext', msg('PodSecurityContext')),
    15: list('imagePullSecrets', 'LocalObjectReference'),
    16: f('hostname', 'string'),
    17: f('subdomain', 'string'),
    18: f('affinity', msg('Affinity')),
    19: f('schedulerName', 'string'),
    20: list('initContainers', 'Container'),
    21: p('automountServiceAccountToken', 'bool'),
    22: list('tolerations', 'Toleration'),
    23: list('hostAliases', 'HostAlias'),
    24: f('priorityClassName', 'string'),
    25: p('priority', 'int'),
    26: f('dnsConfig', msg('PodDNSConfig')),
    27: p('shareProcessNamespace', 'bool'),
    28: list('readinessGates', 'PodReadinessGate'),
    29: p('runtimeClassName', 'string'),
    30: p('enableServiceLinks', 'bool'),
    31: p('preemptionPolicy', 'string'),
    32: quantities('overhead'),
    33: list('topologySpreadConstraints', 'TopologySpreadConstraint'),
    34: list('ephemeralContainers', 'EphemeralContainer'),
    35: p('setHostnameAsFQDN', 'bool'),
    36: f('os', msg('PodOS')),
    37: p('hostUsers', 'bool'),
    38: list('schedulingGates', 'PodSchedulingGate'),
    39: list('resourceClaims', 'PodResourceClaim'),
    40: f('resources', msg('ResourceRequirements')),
    41: p('hostnameOverride', 'string'),
    42: f('workloadRef', msg('WorkloadReference')),
  },
  PodStatus: {
    1: f('phase', 'string'),
    2: list('conditions', 'PodCondition'),
    3: f('message', 'string'),
    4: f('reason', 'string'),
    5: f('hostIP', 'string'),
    6: f('podIP', 'string'),
    7: p('startTime', 'time'),
    8: list('containerStatuses', 'ContainerStatus'),
    9: f('qosClass', 'string'),
    10: list('initContainerStatuses', 'ContainerStatus'),
    11: f('nominatedNodeName', 'string'),
    12: list('podIPs', 'PodIP'),
    13: list('ephemeralContainerStatuses', 'ContainerStatus'),
    14: f('resize', 'string'),
    15: list('resourceClaimStatuses', 'PodResourceClaimStatus'),
    16: list('hostIPs', 'HostIP'),
    17: f('observedGeneration', 'int'),
    18: f('extendedResourceClaimStatus', msg('PodExtendedResourceClaimStatus')),
    19: quantities('allocatedResources'),
    20: f('resources', msg('ResourceRequirements')),
  },
  PodCondition: {
    1: z('type', 'string'),
    2: z('status', 'string'),
    3: f('lastProbeTime', 'time'),
    4: f('lastTransitionTime', 'time'),
    5: f('reason', 'string'),
    6: f('message', 'string'),
    7: f('observedGeneration', 'int'),
  },
  PodIP: { 1: z('ip', 'string') },
  HostIP: { 1: z('ip', 'string') },
  PodResourceClaim: {
    1: z('name', 'string'),
    3: p('resourceClaimName', 'string'),
    4: p('resourceClaimTemplateName', 'string'),
  },
  PodResourceClaimStatus: { 1: z('name', 'string'), 2: p('resourceClaimName', 'string') },
  PodExtendedResourceClaimStatus: {
    1: list('requestMappings', 'ContainerExtendedResourceRequest'),
    2: z('resourceClaimName', 'string'),
  },
  ContainerExtendedResourceRequest: {
    1: z('containerName', 'string'),
    2: z('resourceName', 'string'),
    3: z('requestName', 'string'),
  },
  WorkloadReference: {
    1: z('name', 'string'),
    2: z('podGroup', 'string'),
    3: f('podGroupReplicaKey', 'string'),
  },
  ContainerStatus: {
    1: z('name', 'string'),
    2: f('state', msg('ContainerState')),
    3: f('lastState', msg('ContainerState')),
    4: z('ready', 'bool'),
    5: z('restartCount', 'int'),
    6: z('image', 'string'),
    7: z('imageID', 'string'),
    8: f('containerID', 'string'),
    9: p('started', 'bool'),
    10: quantities('allocatedResources'),
    11: f('resources', msg('ResourceRequirements')),
    12: list('volumeMounts', 'VolumeMountStatus'),
    13: f('user', msg('ContainerUser')),
    14: list('allocatedResourcesStatus', 'ResourceStatus'),
    15: p('stopSignal', 'string'),
  },
  ContainerState: {
    1: f('waiting', msg('ContainerStateWaiting')),
    2: f('running', msg('ContainerStateRunning')),
    3: f('terminated', msg('ContainerStateTerminated')),
  },
  ContainerStateWaiting: { 1: f('reason', 'string'), 2: f('message', 'string') },
  ContainerStateRunning: { 1: f('startedAt', 'time') },
  ContainerStateTerminated: {
    1: z('exitCode', 'int'),
    2: f('signal', 'int'),
    3: f('reason', 'string'),
    4: f('message', 'string'),
    5: f('startedAt', 'time'),
    6: f('finishedAt', 'time'),
    7: f('containerID', 'string'),
  },
  VolumeMountStatus: {
    1: z('name', 'string'),
    2: z('mountPath', 'string'),
    3: f('readOnly', 'bool'),
    4: p('recursiveReadOnly', 'string'),
    5: f('volumeStatus', msg('VolumeStatus')),
  },
  VolumeStatus: { 1: f('image', msg('ImageVolumeStatus')) },
  ImageVolumeStatus: { 1: z('imageRef', 'string') },
  ContainerUser: { 1: f('linux', msg('LinuxContainerUser')) },
  LinuxContainerUser: {
    1: z('uid', 'int'),
    2: z('gid', 'int'),
    3: f('supplementalGroups', 'int', true),
  },
  ResourceStatus: { 1: z('name', 'string'), 2: list('resources', 'ResourceHealth') },
  ResourceHealth: {
    1: z('resourceID', 'string'),
    2: f('health', 'string'),
    6: p('message', 'string'),
  },
  Container: CONTAINER,
  EphemeralContainerCommon: CONTAINER,
  EphemeralContainer: {
    1: f('', inline('EphemeralContainerCommon')),
    2: f('targetContainerName', 'string'),
  },
  ContainerPort: {
    1: f('name', 'string'),
    2: f('hostPort', 'int'),
    3: z('containerPort', 'int'),
    4: f('protocol', 'string'),
    5: f('hostIP', 'string'),
  },
  ContainerResizePolicy: { 1: z('resourceName', 'string'), 2: z('restartPolicy', 'string') },
  ContainerRestartRule: {
    1: z('action', 'string'),
    2: f('exitCodes', msg('ContainerRestartRuleOnExitCodes')),
  },
  ContainerRestartRuleOnExitCodes: { 1: z('operator', 'string'), 2: f('values', 'int', true) },
  EnvVar: {
    1: z('name', 'string'),
    2: f('value', 'string'),
    3: f('valueFrom', msg('EnvVarSource')),
  },
  EnvVarSource: {
    1: f('fieldRef', msg('ObjectFieldSelector')),
    2: f('resourceFieldRef', msg('ResourceFieldSelector')),
    3: f('configMapKeyRef', msg('ConfigMapKeySelector')),
    4: f('secretKeyRef', msg('SecretKeySelector')),
    5: f('fileKeyRef', msg('FileKeySelector')),
  },
  FileKeySelector: {
    1: z('volumeName', 'string'),
    2: z('path', 'string'),
    3: z('key', 'string'),
    4: p('optional', 'bool'),
  },
  EnvFromSource: {
    1: f('prefix', 'string'),
    2: f('configMapRef', msg('ConfigMapEnvSource')),
    3: f('secretRef', msg('SecretEnvSource')),
  },
  ConfigMapEnvSource: refWithOptional({ 2: p('optional', 'bool') }),
  SecretEnvSource: refWithOptional({ 2: p('optional', 'bool') }),
  ConfigMapKeySelector: refWithOptional({ 2: z('key', 'string'), 3: p('optional', 'bool') }),
  SecretKeySelector: refWithOptional({ 2: z('key', 'string'), 3: p('optional', 'bool') }),
  ObjectFieldSelector: { 1: f('apiVersion', 'string'), 2: z('fieldPath', 'string') },
  ResourceFieldSelector: {
    1: f('containerName', 'string'),
    2: z('resource', 'string'),
    3: f('divisor', 'quantity'),
  },
  ResourceRequirements: {
    1: quantities('limits'),
    2: quantities('requests'),
    3: list('claims', 'ResourceClaim'),
  },
  ResourceClaim: { 1: z('name', 'string'), 2: f('request', 'string') },
  VolumeMount: {
    1: z('name', 'string'),
    2: f('readOnly', 'bool'),
    3: z('mountPath', 'string'),
    4: f('subPath', 'string'),
    5: p('mountPropagation', 'string'),
    6: f('subPathExpr', 'string'),
    7: p('recursiveReadOnly', 'string'),
  },
  VolumeDevice: { 1: z('name', 'string'), 2: z('devicePath', 'string') },
  Probe: {
    1: f('', inline('ProbeHandler')),
    2: f('initialDelaySeconds', 'int'),
    3: f('timeoutSeconds', 'int'),
    4: f('periodSeconds', 'int'),
    5: f('successThreshold', 'int'),
    6: f('failureThreshold', 'int'),
    7: p('terminationGracePeriodSeconds', 'int'),
  },
  ProbeHandler: {
    1: f('exec', msg('ExecAction')),
    2: f('httpGet', msg('HTTPGetAction')),
    3: f('tcpSocket', msg('TCPSocketAction')),
    4: f('grpc', msg('GRPCAction')),
  },
  ExecAction: { 1: strings('command') },
  HTTPGetAction: {
    1: f('path', 'string'),
    2: z('port', 'intOrString'),
    3: f('host', 'string'),
    4: f('scheme', 'string'),
    5: list('httpHeaders', 'HTTPHeader'),
  },
  HTTPHeader: { 1: z('name', 'string'), 2: z('value', 'string') },
  TCPSocketAction: { 1: z('port', 'intOrString'), 2: f('host', 'string') },
  GRPCAction: { 1: z('port', 'int'), 2: p('service', 'string') },
  Lifecycle: {
    1: f('postStart', msg('LifecycleHandler')),
    2: f('preStop', msg('LifecycleHandler')),
    3: p('stopSignal', 'string'),
  },
  LifecycleHandler: {
    1: f('exec', msg('ExecAction')),
    2: f('httpGet', msg('HTTPGetAction')),
    3: f('tcpSocket', msg('TCPSocketAction')),
    4: f('sleep', msg('SleepAction')),
  },
  SleepAction: { 1: z('seconds', 'int') },
  SecurityContext: {
    1: f('capabilities', msg('Capabilities')),
    2: p('privileged', 'bool'),
    3: f('seLinuxOptions', msg('SELinuxOptions')),
    4: p('runAsUser', 'int'),
    5: p('runAsNonRoot', 'bool'),
    6: p('readOnlyRootFilesystem', 'bool'),
    7: p('allowPrivilegeEscalation', 'bool'),
    8: p('runAsGroup', 'int'),
    9: p('procMount', 'string'),
    10: f('windowsOptions', msg('WindowsSecurityContextOptions')),
    11: f('seccompProfile', msg('SeccompProfile')),
    12: f('appArmorProfile', msg('AppArmorProfile')),
    13: list('ulimits', 'Ulimit'),
  },
  Ulimit: { 1: z('name', 'string'), 2: z('hard', 'int'), 3: z('soft', 'int') },
  Capabilities: { 1: strings('add'), 2: strings('drop') },
  SELinuxOptions: {
    1: f('user', 'string'),
    2: f('role', 'string'),
    3: f('type', 'string'),
    4: f('level', 'string'),
  },
  WindowsSecurityContextOptions: {
    1: p('gmsaCredentialSpecName', 'string'),
    2: p('gmsaCredentialSpec', 'string'),
    3: p('runAsUserName', 'string'),
    4: p('hostProcess', 'bool'),
  },
  SeccompProfile: { 1: z('type', 'string'), 2: p('localhostProfile', 'string') },
  AppArmorProfile: { 1: z('type', 'string'), 2: p('localhostProfile', 'string') },
  PodSecurityContext: {
    1: f('seLinuxOptions', msg('SELinuxOptions')),
    2: p('runAsUser', 'int'),
    3: p('runAsNonRoot', 'bool'),
    4: f('supplementalGroups', 'int', true),
    5: p('fsGroup', 'int'),
    6: p('runAsGroup', 'int'),
    7: list('sysctls', 'Sysctl'),
    8: f('windowsOptions', msg('WindowsSecurityContextOptions')),
    9: p('fsGroupChangePolicy', 'string'),
    10: f('seccompProfile', msg('SeccompProfile')),
    11: f('appArmorProfile', msg('AppArmorProfile')),
    12: p('supplementalGroupsPolicy', 'string'),
    13: p('seLinuxChangePolicy', 'string'),
  },
  Sysctl: { 1: z('name', 'string'), 2: z('value', 'string') },
  Affinity: {
    1: f('nodeAffinity', msg('NodeAffinity')),
    2: f('podAffinity', msg('PodAffinity')),
    3: f('podAntiAffinity', msg('PodAntiAffinity')),
  },
  NodeAffinity: {
    1: f('requiredDuringSchedulingIgnoredDuringExecution', msg('NodeSelector')),
    2: list('preferredDuringSchedulingIgnoredDuringExecution', 'PreferredSchedulingTerm'),
  },
  NodeSelector: { 1: list('nodeSelectorTerms', 'NodeSelectorTerm') },
  NodeSelectorTerm: {
    1: list('matchExpressions', 'NodeSelectorRequirement'),
    2: list('matchFields', 'NodeSelectorRequirement'),
  },
  NodeSelectorRequirement: {
    1: z('key', 'string'),
    2: z('operator', 'string'),
    3: strings('values'),
  },
  PreferredSchedulingTerm: { 1: z('weight', 'int'), 2: z('preference', msg('NodeSelectorTerm')) },
  PodAffinity: AFFINITY_TERMS,
  PodAntiAffinity: AFFINITY_TERMS,
  PodAffinityTerm: {
    1: f('labelSelector', msg('LabelSelector')),
    2: strings('namespaces'),
    3: z('topologyKey', 'string'),
    4: f('namespaceSelector', msg('LabelSelector')),
    5: strings('matchLabelKeys'),
    6: strings('mismatchLabelKeys'),
  },
  WeightedPodAffinityTerm: {
    1: z('weight', 'int'),
    2: z('podAffinityTerm', msg('PodAffinityTerm')),
  },
  Toleration: {
    1: f('key', 'string'),
    2: f('operator', 'string'),
    3: f('value', 'string'),
    4: f('effect', 'string'),
    5: p('tolerationSeconds', 'int'),
  },
  HostAlias: { 1: z('ip', 'string'), 2: strings('hostnames') },
  PodDNSConfig: {
    1: strings('nameservers'),
    2: strings('searches'),
    3: list('options', 'PodDNSConfigOption'),
  },
  PodDNSConfigOption: { 1: f('name', 'string'), 2: p('value', 'string') },
  PodReadinessGate: { 1: z('conditionType', 'string') },
  PodSchedulingGate: { 1: z('name', 'string') },
  PodOS: { 1: z('name', 'string') },
  TopologySpreadConstraint: {
    1: z('maxSkew', 'int'),
    2: z('topologyKey', 'string'),
    3: z('whenUnsatisfiable', 'string'),
    4: f('labelSelector', msg('LabelSelector')),
    5: p('minDomains', 'int'),
    6: p('nodeAffinityPolicy', 'string'),
    7: p('nodeTaintsPolicy', 'string'),
    8: strings('matchLabelKeys'),
  },
  LocalObjectReference: { 1: f('name', 'string') },
  Volume: { 1: z('name', 'string'), 2: f('', inline('VolumeSource')) },
  VolumeSource: {
    1: f('hostPath', msg('HostPathVolumeSource')),
    2: f('emptyDir', msg('EmptyDirVolumeSource')),
    6: f('secret', msg('SecretVolumeSource')),
    7: f('nfs', msg('NFSVolumeSource')),
    10: f('persistentVolumeClaim', msg('PersistentVolumeClaimVolumeSource')),
    16: f('downwardAPI', msg('DownwardAPIVolumeSource')),
    19: f('configMap', msg('ConfigMapVolumeSource')),
    26: f('projected', msg('ProjectedVolumeSource')),
    28: f('csi', msg('CSIVolumeSource')),
    29: f('ephemeral', msg('EphemeralVolumeSource')),
    30: f('image', msg('ImageVolumeSource')),
  },
  HostPathVolumeSource: { 1: z('path', 'string'), 2: p('type', 'string') },
  EmptyDirVolumeSource: { 1: f('medium', 'string'), 2: p('sizeLimit', 'quantity') },
  SecretVolumeSource: {
    1: f('secretName', 'string'),
    2: list('items', 'KeyToPath'),
    3: p('defaultMode', 'int'),
    4: p('optional', 'bool'),
  },
  NFSVolumeSource: { 1: z('server', 'string'), 2: z('path', 'string'), 3: f('readOnly', 'bool') },
  PersistentVolumeClaimVolumeSource: { 1: z('claimName', 'string'), 2: f('readOnly', 'bool') },
  DownwardAPIVolumeSource: {
    1: list('items', 'DownwardAPIVolumeFile'),
    2: p('defaultMode', 'int'),
  },
  DownwardAPIVolumeFile: {
    1: z('path', 'string'),
    2: f('fieldRef', msg('ObjectFieldSelector')),
    3: f('resourceFieldRef', msg('ResourceFieldSelector')),
    4: p('mode', 'int'),
  },
  ConfigMapVolumeSource: refWithOptional({
    2: list('items', 'KeyToPath'),
    3: p('defaultMode', 'int'),
    4: p('optional', 'bool'),
  }),
  ProjectedVolumeSource: { 1: list('sources', 'VolumeProjection'), 2: p('defaultMode', 'int') },
  VolumeProjection: {
    1: f('secret', msg('SecretProjection')),
    2: f('downwardAPI', msg('DownwardAPIProjection')),
    3: f('configMap', msg('ConfigMapProjection')),
    4: f('serviceAccountToken', msg('ServiceAccountTokenProjection')),
    5: f('clusterTrustBundle', msg('ClusterTrustBundleProjection')),
    6: f('podCertificate', msg('PodCertificateProjection')),
  },
  SecretProjection: refWithOptional({ 2: list('items', 'KeyToPath'), 4: p('optional', 'bool') }),
  ConfigMapProjection: refWithOptional({ 2: list('items', 'KeyToPath'), 4: p('optional', 'bool') }),
  DownwardAPIProjection: { 1: list('items', 'DownwardAPIVolumeFile') },
  ServiceAccountTokenProjection: {
    1: f('audience', 'string'),
    2: p('expirationSeconds', 'int'),
    3: z('path', 'string'),
  },
  ClusterTrustBundleProjection: {
    1: p('name', 'string'),
    2: p('signerName', 'string'),
    3: f('labelSelector', msg('LabelSelector')),
    4: z('path', 'string'),
    5: p('optional', 'bool'),
  },
  PodCertificateProjection: {
    1: z('signerName', 'string'),
    2: z('keyType', 'string'),
    3: p('maxExpirationSeconds', 'int'),
    4: f('credentialBundlePath', 'string'),
    5: f('keyPath', 'string'),
    6: f('certificateChainPath', 'string'),
    7: labels('userAnnotations'),
  },
  KeyToPath: { 1: z('key', 'string'), 2: z('path', 'string'), 3: p('mode', 'int') },
  CSIVolumeSource: {
    1: z('driver', 'string'),
    2: p('readOnly', 'bool'),
    3: p('fsType', 'string'),
    4: labels('volumeAttributes'),
    5: f('nodePublishSecretRef', msg('LocalObjectReference')),
  },
  EphemeralVolumeSource: { 1: f('volumeClaimTemplate', msg('PersistentVolumeClaimTemplate')) },
  PersistentVolumeClaimTemplate: {
    1: f('metadata', msg('ObjectMeta')),
    2: z('spec', msg('PersistentVolumeClaimSpec')),
  },
  PersistentVolumeClaimSpec: {
    1: strings('accessModes'),
    2: f('resources', msg('VolumeResourceRequirements')),
    3: f('volumeName', 'string'),
    4: f('selector', msg('LabelSelector')),
    5: p('storageClassName', 'string'),
    6: p('volumeMode', 'string'),
    7: f('dataSource', msg('TypedLocalObjectReference')),
    8: f('dataSourceRef', msg('TypedObjectReference')),
    9: p('volumeAttributesClassName', 'string'),
  },
  VolumeResourceRequirements: { 1: quantities('limits'), 2: quantities('requests') },
  TypedLocalObjectReference: {
    1: p('apiGroup', 'string'),
    2: z('kind', 'string'),
    3: z('name', 'string'),
  },
  TypedObjectReference: {
    1: p('apiGroup', 'string'),
    2: z('kind', 'string'),
    3: z('name', 'string'),
    4: p('namespace', 'string'),
  },
  ImageVolumeSource: { 1: f('reference', 'string'), 2: f('pullPolicy', 'string') },

  // ----- kinds kubectl sends as protobuf request bodies (decoding only; see ENCODABLE)
  Namespace: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('NamespaceSpec')),
    3: f('status', msg('NamespaceStatus')),
  },
  NamespaceSpec: { 1: strings('finalizers') },
  NamespaceStatus: { 1: f('phase', 'string') },
  ConfigMap: {
    1: f('metadata', msg('ObjectMeta')),
    2: labels('data'),
    3: f('binaryData', { map: 'bytes' }),
    4: p('immutable', 'bool'),
  },
  Secret: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('data', { map: 'bytes' }),
    3: f('type', 'string'),
    4: labels('stringData'),
    5: p('immutable', 'bool'),
  },
  ServiceAccount: {
    1: f('metadata', msg('ObjectMeta')),
    2: list('secrets', 'ObjectReference'),
    3: list('imagePullSecrets', 'LocalObjectReference'),
    4: p('automountServiceAccountToken', 'bool'),
  },
  ObjectReference: {
    1: f('kind', 'string'),
    2: f('namespace', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('fieldPath', 'string'),
  },
  Service: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('ServiceSpec')),
    3: f('status', msg('Empty')),
  },
  ServiceSpec: {
    1: list('ports', 'ServicePort'),
    2: labels('selector'),
    3: f('clusterIP', 'string'),
    4: f('type', 'string'),
    5: strings('externalIPs'),
    7: f('sessionAffinity', 'string'),
    8: f('loadBalancerIP', 'string'),
    10: f('externalName', 'string'),
    11: f('externalTrafficPolicy', 'string'),
    13: f('publishNotReadyAddresses', 'bool'),
    17: p('ipFamilyPolicy', 'string'),
    18: strings('clusterIPs'),
    19: strings('ipFamilies'),
    22: p('internalTrafficPolicy', 'string'),
  },
  ServicePort: {
    1: f('name', 'string'),
    2: f('protocol', 'string'),
    3: f('port', 'int'),
    4: f('targetPort', 'intOrString'),
    5: f('nodePort', 'int'),
    6: f('appProtocol', 'string'),
  },
  Deployment: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('DeploymentSpec')),
    3: f('status', msg('Empty')),
  },
  DeploymentSpec: {
    1: p('replicas', 'int'),
    2: f('selector', msg('LabelSelector')),
    3: f('template', msg('PodTemplateSpec')),
    4: f('strategy', msg('DeploymentStrategy')),
    5: f('minReadySeconds', 'int'),
    6: p('revisionHistoryLimit', 'int'),
    7: f('paused', 'bool'),
    9: p('progressDeadlineSeconds', 'int'),
  },
  DeploymentStrategy: {
    1: f('type', 'string'),
    2: f('rollingUpdate', msg('RollingUpdateDeployment')),
  },
  RollingUpdateDeployment: {
    1: f('maxUnavailable', 'intOrString'),
    2: f('maxSurge', 'intOrString'),
  },
  Job: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('JobSpec')),
    3: f('status', msg('Empty')),
  },
  JobSpec: {
    1: p('parallelism', 'int'),
    2: p('completions', 'int'),
    3: p('activeDeadlineSeconds', 'int'),
    4: f('selector', msg('LabelSelector')),
    5: p('manualSelector', 'bool'),
    6: f('template', msg('PodTemplateSpec')),
    7: p('backoffLimit', 'int'),
    8: p('ttlSecondsAfterFinished', 'int'),
    9: p('completionMode', 'string'),
    10: p('suspend', 'bool'),
  },
  // rbac.authorization.k8s.io/v1 (kubectl create role|clusterrole|rolebinding|clusterrolebinding)
  Role: { 1: f('metadata', msg('ObjectMeta')), 2: list('rules', 'PolicyRule') },
  ClusterRole: {
    1: f('metadata', msg('ObjectMeta')),
    2: list('rules', 'PolicyRule'),
    3: f('aggregationRule', msg('AggregationRule')),
  },
  PolicyRule: {
    1: strings('verbs'),
    2: strings('apiGroups'),
    3: strings('resources'),
    4: strings('resourceNames'),
    5: strings('nonResourceURLs'),
  },
  AggregationRule: { 1: list('clusterRoleSelectors', 'LabelSelector') },
  RoleBinding: {
    1: f('metadata', msg('ObjectMeta')),
    2: list('subjects', 'Subject'),
    3: f('roleRef', msg('RoleRef')),
  },
  Subject: {
    1: f('kind', 'string'),
    2: f('apiGroup', 'string'),
    3: f('name', 'string'),
    4: f('namespace', 'string'),
  },
  RoleRef: { 1: f('apiGroup', 'string'), 2: f('kind', 'string'), 3: f('name', 'string') },
  // authorization.k8s.io/v1 and authentication.k8s.io/v1 (kubectl auth can-i / whoami, create token)
  SelfSubjectAccessReview: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('SelfSubjectAccessReviewSpec')),
  },
  SelfSubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes')),
    2: f('nonResourceAttributes', msg('NonResourceAttributes')),
  },
  ResourceAttributes: {
    1: f('namespace', 'string'),
    2: f('verb', 'string'),
    3: f('group', 'string'),
    4: f('version', 'string'),
    5: f('resource', 'string'),
    6: f('subresource', 'string'),
    7: f('name', 'string'),
  },
  NonResourceAttributes: { 1: f('path', 'string'), 2: f('verb', 'string') },
  SubjectAccessReview: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('SubjectAccessReviewSpec')),
  },
  SubjectAccessReviewSpec: {
    1: f('resourceAttributes', msg('ResourceAttributes')),
    2: f('nonResourceAttributes', msg('NonResourceAttributes')),
    3: f('user', 'string'),
    4: strings('groups'),
    6: f('uid', 'string'),
  },
  SelfSubjectRulesReview: {
    1: f('metadata', msg('ObjectMeta')),
    2: f('spec', msg('SelfSubjectRulesReviewSpec')),
  },
  SelfSubjectRulesReviewSpec: { 1: f('namespace', 'string') },
  SelfSubjectReview: { 1: f('metadata', msg('ObjectMeta')) },
  TokenReview: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('TokenReviewSpec')) },
  TokenReviewSpec: { 1: f('token', 'string'), 2: strings('audiences') },
  TokenRequest: { 1: f('metadata', msg('ObjectMeta')), 2: f('spec', msg('TokenRequestSpec')) },
  TokenRequestSpec: {
    1: strings('audiences'),
    3: f('boundObjectRef', msg('BoundObjectReference')),
    4: p('expirationSeconds', 'int'),
  },
  BoundObjectReference: {
    1: f('kind', 'string'),
    2: f('apiVersion', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
  },
  Empty: {},
};

/** The kinds whose protobuf request bodies are understood, by `apiVersion/kind`. */
export const DECODABLE: Record<string, string> = {
  'v1/Pod': 'Pod',
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'apps/v1/Deployment': 'Deployment',
  'batch/v1/Job': 'Job',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'RoleBinding',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'authentication.k8s.io/v1/TokenReview': 'TokenReview',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
};

/**
 * The kinds answered in protobuf, by `apiVersion/kind`, with their list kinds: only kinds whose
 * tables cover every field of the server's OpenAPI schema (protobuf-tables.test.ts checks), so an
 * answer can never lose data. Everything else is answered in JSON (or 406 without JSON).
 */
export const ENCODABLE: Record<string, { message: string; list: string }> = {
  'v1/Pod': { message: 'Pod', list: 'PodList' },
};
