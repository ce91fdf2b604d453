/** core/v1 definitions, named as upstream (`io.k8s.api.core.v1.PodSpec`). */
import {
  CORE,
  bool,
  bytes,
  core,
  int32,
  int64,
  intOrString,
  kind,
  labelSelector,
  list,
  mapOf,
  mergeList,
  microTime,
  objectMeta,
  quantity,
  quantityMap,
  setList,
  str,
  strMap,
  struct,
  time,
  type OpenAPISchema,
} from './dsl.js';

const v1 = (k: string): { group: string; version: string; kind: string } => ({
  group: '',
  version: 'v1',
  kind: k,
});

function probeHandler(): Record<string, OpenAPISchema> {
  return {
    exec: core('ExecAction'),
    grpc: core('GRPCAction'),
    httpGet: core('HTTPGetAction'),
    tcpSocket: core('TCPSocketAction'),
  };
}

function containerProps(): Record<string, OpenAPISchema> {
  return {
    args: list(str(), 'Arguments to the entrypoint.'),
    command: list(str(), 'Entrypoint array. Not executed within a shell.'),
    env: mergeList(core('EnvVar'), 'name', {
      description: 'List of environment variables to set in the container.',
    }),
    envFrom: list(core('EnvFromSource')),
    image: str('Container image name.'),
    imagePullPolicy: str(
      'Image pull policy. One of Always, Never, IfNotPresent. Defaults to Always if :latest tag is specified, or IfNotPresent otherwise.',
    ),
    lifecycle: core('Lifecycle'),
    livenessProbe: core('Probe'),
    name: str('Name of the container specified as a DNS_LABEL.'),
    ports: mergeList(core('ContainerPort'), 'containerPort', {
      mapKeys: ['containerPort', 'protocol'],
      description: 'List of ports to expose from the container.',
    }),
    readinessProbe: core('Probe'),
    resizePolicy: list(core('ContainerResizePolicy')),
    resources: core('ResourceRequirements', 'Compute Resources required by this container.'),
    restartPolicy: str(),
    securityContext: core('SecurityContext'),
    startupProbe: core('Probe'),
    stdin: bool(),
    stdinOnce: bool(),
    terminationMessagePath: str(),
    terminationMessagePolicy: str(),
    tty: bool(),
    volumeDevices: mergeList(core('VolumeDevice'), 'devicePath'),
    volumeMounts: mergeList(core('VolumeMount'), 'mountPath', {
      description: "Pod volumes to mount into the container's filesystem.",
    }),
    workingDir: str(),
  };
}

function volumeSourceProps(): Record<string, OpenAPISchema> {
  return {
    configMap: core('ConfigMapVolumeSource'),
    csi: core('CSIVolumeSource'),
    downwardAPI: core('DownwardAPIVolumeSource'),
    emptyDir: core('EmptyDirVolumeSource'),
    ephemeral: core('EphemeralVolumeSource'),
    hostPath: core('HostPathVolumeSource'),
    image: core('ImageVolumeSource'),
    nfs: core('NFSVolumeSource'),
    persistentVolumeClaim: core('PersistentVolumeClaimVolumeSource'),
    projected: core('ProjectedVolumeSource'),
    secret: core('SecretVolumeSource'),
  };
}

const podAffinityTermList = (): OpenAPISchema => list(core('PodAffinityTerm'));
const weightedPodAffinityTermList = (): OpenAPISchema => list(core('WeightedPodAffinityTerm'));

export function coreDefinitions(): Record<string, OpenAPISchema> {
  const d: Record<string, OpenAPISchema> = {
    // ----- references
    LocalObjectReference: { ...struct({ name: str() }), 'x-kubernetes-map-type': 'atomic' },
    ObjectReference: {
      ...struct({
        apiVersion: str(),
        fieldPath: str(),
        kind: str(),
        name: str(),
        namespace: str(),
        resourceVersion: str(),
        uid: str(),
      }),
      'x-kubernetes-map-type': 'atomic',
    },
    TypedLocalObjectReference: struct(
      { apiGroup: str(), kind: str(), name: str() },
      { required: ['kind', 'name'] },
    ),
    TypedObjectReference: struct(
      { apiGroup: str(), kind: str(), name: str(), namespace: str() },
      { required: ['kind', 'name'] },
    ),
    // ----- Namespace
    NamespaceSpec: struct({ finalizers: list(str()) }),
    NamespaceCondition: struct(
      { lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str() },
      { required: ['type', 'status'] },
    ),
    NamespaceStatus: struct({
      conditions: mergeList(core('NamespaceCondition'), 'type'),
      phase: str('Phase is the current lifecycle phase of the namespace.'),
    }),
    Namespace: kind(v1('Namespace'), 'Namespace provides a scope for Names.', {
      spec: core('NamespaceSpec'),
      status: core('NamespaceStatus'),
    }),
    // ----- Container pieces
    ContainerPort: struct(
      { containerPort: int32(), hostIP: str(), hostPort: int32(), name: str(), protocol: str() },
      { required: ['containerPort'] },
    ),
    ObjectFieldSelector: {
      ...struct({ apiVersion: str(), fieldPath: str() }, { required: ['fieldPath'] }),
      'x-kubernetes-map-type': 'atomic',
    },
    ResourceFieldSelector: {
      ...struct(
        { containerName: str(), divisor: quantity(), resource: str() },
        { required: ['resource'] },
      ),
      'x-kubernetes-map-type': 'atomic',
    },
    ConfigMapKeySelector: {
      ...struct({ key: str(), name: str(), optional: bool() }, { required: ['key'] }),
      'x-kubernetes-map-type': 'atomic',
    },
    SecretKeySelector: {
      ...struct({ key: str(), name: str(), optional: bool() }, { required: ['key'] }),
      'x-kubernetes-map-type': 'atomic',
    },
    EnvVarSource: struct({
      configMapKeyRef: core('ConfigMapKeySelector'),
      fieldRef: core('ObjectFieldSelector'),
      resourceFieldRef: core('ResourceFieldSelector'),
      secretKeyRef: core('SecretKeySelector'),
    }),
    EnvVar: struct(
      { name: str(), value: str(), valueFrom: core('EnvVarSource') },
      { required: ['name'] },
    ),
    ConfigMapEnvSource: struct({ name: str(), optional: bool() }),
    SecretEnvSource: struct({ name: str(), optional: bool() }),
    EnvFromSource: struct({
      configMapRef: core('ConfigMapEnvSource'),
      prefix: str(),
      secretRef: core('SecretEnvSource'),
    }),
    ResourceClaim: struct({ name: str(), request: str() }, { required: ['name'] }),
    ResourceRequirements: struct({
      claims: mergeList(core('ResourceClaim'), 'name'),
      limits: quantityMap(),
      requests: quantityMap(),
    }),
    VolumeResourceRequirements: struct({ limits: quantityMap(), requests: quantityMap() }),
    ContainerResizePolicy: struct(
      { resourceName: str(), restartPolicy: str() },
      { required: ['resourceName', 'restartPolicy'] },
    ),
    VolumeMount: struct(
      {
        mountPath: str(),
        mountPropagation: str(),
        name: str(),
        readOnly: bool(),
        recursiveReadOnly: str(),
        subPath: str(),
        subPathExpr: str(),
      },
      { required: ['name', 'mountPath'] },
    ),
    VolumeDevice: struct({ devicePath: str(), name: str() }, { required: ['name', 'devicePath'] }),
    ExecAction: struct({ command: list(str()) }),
    HTTPHeader: struct({ name: str(), value: str() }, { required: ['name', 'value'] }),
    HTTPGetAction: struct(
      {
        host: str(),
        httpHeaders: list(core('HTTPHeader')),
        path: str(),
        port: intOrString(),
        scheme: str(),
      },
      { required: ['port'] },
    ),
    TCPSocketAction: struct({ host: str(), port: intOrString() }, { required: ['port'] }),
    GRPCAction: struct({ port: int32(), service: str() }, { required: ['port'] }),
    SleepAction: struct({ seconds: int64() }, { required: ['seconds'] }),
    Probe: struct({
      ...probeHandler(),
      failureThreshold: int32(),
      initialDelaySeconds: int32(),
      periodSeconds: int32(),
      successThreshold: int32(),
      terminationGracePeriodSeconds: int64(),
      timeoutSeconds: int32(),
    }),
    LifecycleHandler: struct({
      exec: core('ExecAction'),
      httpGet: core('HTTPGetAction'),
      sleep: core('SleepAction'),
      tcpSocket: core('TCPSocketAction'),
    }),
    Lifecycle: struct({
      postStart: core('LifecycleHandler'),
      preStop: core('LifecycleHandler'),
      stopSignal: str(),
    }),
    Capabilities: struct({ add: list(str()), drop: list(str()) }),
    SELinuxOptions: struct({ level: str(), role: str(), type: str(), user: str() }),
    SeccompProfile: struct({ localhostProfile: str(), type: str() }, { required: ['type'] }),
    AppArmorProfile: struct({ localhostProfile: str(), type: str() }, { required: ['type'] }),
    WindowsSecurityContextOptions: struct({
      gmsaCredentialSpec: str(),
      gmsaCredentialSpecName: str(),
      hostProcess: bool(),
      runAsUserName: str(),
    }),
    SecurityContext: struct({
      allowPrivilegeEscalation: bool(),
      appArmorProfile: core('AppArmorProfile'),
      capabilities: core('Capabilities'),
      privileged: bool(),
      procMount: str(),
      readOnlyRootFilesystem: bool(),
      runAsGroup: int64(),
      runAsNonRoot: bool(),
      runAsUser: int64(),
      seLinuxOptions: core('SELinuxOptions'),
      seccompProfile: core('SeccompProfile'),
      windowsOptions: core('WindowsSecurityContextOptions'),
    }),
    Container: struct(containerProps(), {
      required: ['name'],
      description: 'A single application container that you want to run within a pod.',
    }),
    EphemeralContainer: struct(
      { ...containerProps(), targetContainerName: str() },
      { required: ['name'] },
    ),
    // ----- Volumes
    KeyToPath: struct({ key: str(), mode: int32(), path: str() }, { required: ['key', 'path'] }),
    HostPathVolumeSource: struct({ path: str(), type: str() }, { required: ['path'] }),
    EmptyDirVolumeSource: struct({ medium: str(), sizeLimit: quantity() }),
    SecretVolumeSource: struct({
      defaultMode: int32(),
      items: list(core('KeyToPath')),
      optional: bool(),
      secretName: str(),
    }),
    ConfigMapVolumeSource: struct({
      defaultMode: int32(),
      items: list(core('KeyToPath')),
      name: str(),
      optional: bool(),
    }),
    PersistentVolumeClaimVolumeSource: struct(
      { claimName: str(), readOnly: bool() },
      { required: ['claimName'] },
    ),
    DownwardAPIVolumeFile: struct(
      {
        fieldRef: core('ObjectFieldSelector'),
        mode: int32(),
        path: str(),
        resourceFieldRef: core('ResourceFieldSelector'),
      },
      { required: ['path'] },
    ),
    DownwardAPIVolumeSource: struct({
      defaultMode: int32(),
      items: list(core('DownwardAPIVolumeFile')),
    }),
    DownwardAPIProjection: struct({ items: list(core('DownwardAPIVolumeFile')) }),
    SecretProjection: struct({ items: list(core('KeyToPath')), name: str(), optional: bool() }),
    ConfigMapProjection: struct({ items: list(core('KeyToPath')), name: str(), optional: bool() }),
    ServiceAccountTokenProjection: struct(
      { audience: str(), expirationSeconds: int64(), path: str() },
      { required: ['path'] },
    ),
    ClusterTrustBundleProjection: struct(
      {
        labelSelector: labelSelector(),
        name: str(),
        optional: bool(),
        path: str(),
        signerName: str(),
      },
      { required: ['path'] },
    ),
    VolumeProjection: struct({
      clusterTrustBundle: core('ClusterTrustBundleProjection'),
      configMap: core('ConfigMapProjection'),
      downwardAPI: core('DownwardAPIProjection'),
      secret: core('SecretProjection'),
      serviceAccountToken: core('ServiceAccountTokenProjection'),
    }),
    ProjectedVolumeSource: struct({
      defaultMode: int32(),
      sources: list(core('VolumeProjection')),
    }),
    NFSVolumeSource: struct(
      { path: str(), readOnly: bool(), server: str() },
      { required: ['server', 'path'] },
    ),
    CSIVolumeSource: struct(
      {
        driver: str(),
        fsType: str(),
        nodePublishSecretRef: core('LocalObjectReference'),
        readOnly: bool(),
        volumeAttributes: strMap(),
      },
      { required: ['driver'] },
    ),
    PersistentVolumeClaimSpec: struct({
      accessModes: list(str()),
      dataSource: core('TypedLocalObjectReference'),
      dataSourceRef: core('TypedObjectReference'),
      resources: core('VolumeResourceRequirements'),
      selector: labelSelector(),
      storageClassName: str(),
      volumeAttributesClassName: str(),
      volumeMode: str(),
      volumeName: str(),
    }),
    PersistentVolumeClaimTemplate: struct(
      { metadata: objectMeta(), spec: core('PersistentVolumeClaimSpec') },
      { required: ['spec'] },
    ),
    PersistentVolumeClaim: kind(
      v1('PersistentVolumeClaim'),
      "PersistentVolumeClaim is a user's request for and claim to a persistent volume",
      {
        spec: core('PersistentVolumeClaimSpec'),
        status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    ),
    EphemeralVolumeSource: struct({ volumeClaimTemplate: core('PersistentVolumeClaimTemplate') }),
    ImageVolumeSource: struct({ pullPolicy: str(), reference: str() }),
    Volume: struct(
      {
        name: str('name of the volume. Must be a DNS_LABEL and unique within the pod.'),
        ...volumeSourceProps(),
      },
      {
        required: ['name'],
        description:
          'Volume represents a named volume in a pod that may be accessed by any container in the pod.',
      },
    ),
    // ----- Scheduling
    NodeSelectorRequirement: struct(
      { key: str(), operator: str(), values: list(str()) },
      { required: ['key', 'operator'] },
    ),
    NodeSelectorTerm: {
      ...struct({
        matchExpressions: list(core('NodeSelectorRequirement')),
        matchFields: list(core('NodeSelectorRequirement')),
      }),
      'x-kubernetes-map-type': 'atomic',
    },
    NodeSelector: {
      ...struct(
        { nodeSelectorTerms: list(core('NodeSelectorTerm')) },
        { required: ['nodeSelectorTerms'] },
      ),
      'x-kubernetes-map-type': 'atomic',
    },
    PreferredSchedulingTerm: struct(
      { preference: core('NodeSelectorTerm'), weight: int32() },
      { required: ['weight', 'preference'] },
    ),
    NodeAffinity: struct({
      preferredDuringSchedulingIgnoredDuringExecution: list(core('PreferredSchedulingTerm')),
      requiredDuringSchedulingIgnoredDuringExecution: core('NodeSelector'),
    }),
    PodAffinityTerm: struct(
      {
        labelSelector: labelSelector(),
        matchLabelKeys: list(str()),
        mismatchLabelKeys: list(str()),
        namespaceSelector: labelSelector(),
        namespaces: list(str()),
        topologyKey: str(),
      },
      { required: ['topologyKey'] },
    ),
    WeightedPodAffinityTerm: struct(
      { podAffinityTerm: core('PodAffinityTerm'), weight: int32() },
      { required: ['weight', 'podAffinityTerm'] },
    ),
    PodAffinity: struct({
      preferredDuringSchedulingIgnoredDuringExecution: weightedPodAffinityTermList(),
      requiredDuringSchedulingIgnoredDuringExecution: podAffinityTermList(),
    }),
    PodAntiAffinity: struct({
      preferredDuringSchedulingIgnoredDuringExecution: weightedPodAffinityTermList(),
      requiredDuringSchedulingIgnoredDuringExecution: podAffinityTermList(),
    }),
    Affinity: struct({
      nodeAffinity: core('NodeAffinity'),
      podAffinity: core('PodAffinity'),
      podAntiAffinity: core('PodAntiAffinity'),
    }),
    Toleration: struct({
      effect: str(),
      key: str(),
      operator: str(),
      tolerationSeconds: int64(),
      value: str(),
    }),
    TopologySpreadConstraint: struct(
      {
        labelSelector: labelSelector(),
        matchLabelKeys: list(str()),
        maxSkew: int32(),
        minDomains: int32(),
        nodeAffinityPolicy: str(),
        nodeTaintsPolicy: str(),
        topologyKey: str(),
        whenUnsatisfiable: str(),
      },
      { required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'] },
    ),
    // ----- Pod
    Sysctl: struct({ name: str(), value: str() }, { required: ['name', 'value'] }),
    PodSecurityContext: struct({
      appArmorProfile: core('AppArmorProfile'),
      fsGroup: int64(),
      fsGroupChangePolicy: str(),
      runAsGroup: int64(),
      runAsNonRoot: bool(),
      runAsUser: int64(),
      seLinuxChangePolicy: str(),
      seLinuxOptions: core('SELinuxOptions'),
      seccompProfile: core('SeccompProfile'),
      supplementalGroups: list(int64()),
      supplementalGroupsPolicy: str(),
      sysctls: list(core('Sysctl')),
      windowsOptions: core('WindowsSecurityContextOptions'),
    }),
    PodDNSConfigOption: struct({ name: str(), value: str() }),
    PodDNSConfig: struct({
      nameservers: list(str()),
      options: list(core('PodDNSConfigOption')),
      searches: list(str()),
    }),
    HostAlias: struct({ hostnames: list(str()), ip: str() }, { required: ['ip'] }),
    PodReadinessGate: struct({ conditionType: str() }, { required: ['conditionType'] }),
    PodSchedulingGate: struct({ name: str() }, { required: ['name'] }),
    PodOS: struct({ name: str() }, { required: ['name'] }),
    PodSpec: struct(
      {
        activeDeadlineSeconds: int64(),
        affinity: core('Affinity', "If specified, the pod's scheduling constraints"),
        automountServiceAccountToken: bool(),
        containers: mergeList(core('Container'), 'name', {
          description:
            'List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.',
        }),
        dnsConfig: core('PodDNSConfig'),
        dnsPolicy: str(
          "Set DNS policy for the pod. Defaults to \"ClusterFirst\". Valid values are 'ClusterFirstWithHostNet', 'ClusterFirst', 'Default' or 'None'.",
        ),
        enableServiceLinks: bool(),
        ephemeralContainers: mergeList(core('EphemeralContainer'), 'name'),
        hostAliases: mergeList(core('HostAlias'), 'ip'),
        hostIPC: bool(),
        hostNetwork: bool('Host networking requested for this pod.'),
        hostPID: bool(),
        hostUsers: bool(),
        hostname: str(),
        imagePullSecrets: mergeList(core('LocalObjectReference'), 'name'),
        initContainers: mergeList(core('Container'), 'name'),
        nodeName: str(
          'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.',
        ),
        nodeSelector: {
          ...strMap(
            "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
          ),
          'x-kubernetes-map-type': 'atomic',
        },
        os: core('PodOS'),
        overhead: quantityMap(),
        preemptionPolicy: str(),
        priority: int32('The priority value.'),
        priorityClassName: str(),
        readinessGates: list(core('PodReadinessGate')),
        resources: core('ResourceRequirements'),
        restartPolicy: str(
          'Restart policy for all containers within the pod. One of Always, OnFailure, Never. Default to Always.',
        ),
        runtimeClassName: str(),
        schedulerName: str(
          'If specified, the pod will be dispatched by specified scheduler. If not specified, the pod will be dispatched by default scheduler.',
        ),
        schedulingGates: mergeList(core('PodSchedulingGate'), 'name'),
        securityContext: core('PodSecurityContext'),
        serviceAccount: str(
          'DeprecatedServiceAccount is a deprecated alias for ServiceAccountName.',
        ),
        serviceAccountName: str(
          'ServiceAccountName is the name of the ServiceAccount to use to run this pod.',
        ),
        setHostnameAsFQDN: bool(),
        shareProcessNamespace: bool(),
        subdomain: str(),
        terminationGracePeriodSeconds: int64(
          'Optional duration in seconds the pod needs to terminate gracefully. Defaults to 30 seconds.',
        ),
        tolerations: list(core('Toleration'), "If specified, the pod's tolerations."),
        topologySpreadConstraints: mergeList(core('TopologySpreadConstraint'), 'topologyKey', {
          mapKeys: ['topologyKey', 'whenUnsatisfiable'],
        }),
        volumes: mergeList(core('Volume'), 'name', {
          strategy: 'merge,retainKeys',
          description: 'List of volumes that can be mounted by containers belonging to the pod.',
        }),
      },
      {
        required: ['containers'],
        description: 'PodSpec is a description of a pod.',
      },
    ),
    PodCondition: struct(
      {
        lastProbeTime: time(),
        lastTransitionTime: time(),
        message: str(),
        reason: str(),
        status: str(),
        type: str(),
      },
      { required: ['type', 'status'] },
    ),
    ContainerStateWaiting: struct({ message: str(), reason: str() }),
    ContainerStateRunning: struct({ startedAt: time() }),
    ContainerStateTerminated: struct(
      {
        containerID: str(),
        exitCode: int32(),
        finishedAt: time(),
        message: str(),
        reason: str(),
        signal: int32(),
        startedAt: time(),
      },
      { required: ['exitCode'] },
    ),
    ContainerState: struct({
      running: core('ContainerStateRunning'),
      terminated: core('ContainerStateTerminated'),
      waiting: core('ContainerStateWaiting'),
    }),
    ContainerStatus: {
      ...struct(
        {
          allocatedResources: quantityMap(),
          containerID: str(),
          image: str(),
          imageID: str(),
          lastState: core('ContainerState'),
          name: str(),
          ready: bool(),
          resources: core('ResourceRequirements'),
          restartCount: int32(),
          started: bool(),
          state: core('ContainerState'),
        },
        { required: ['name', 'ready', 'restartCount', 'image', 'imageID'] },
      ),
      'x-kubernetes-preserve-unknown-fields': true,
    },
    PodIP: struct({ ip: str() }, { required: ['ip'] }),
    HostIP: struct({ ip: str() }, { required: ['ip'] }),
    PodStatus: struct(
      {
        conditions: mergeList(core('PodCondition'), 'type', {
          description: 'Current service state of pod.',
        }),
        containerStatuses: list(core('ContainerStatus')),
        ephemeralContainerStatuses: list(core('ContainerStatus')),
        hostIP: str(),
        hostIPs: mergeList(core('HostIP'), 'ip'),
        initContainerStatuses: list(core('ContainerStatus')),
        message: str(),
        nominatedNodeName: str(),
        observedGeneration: int64(),
        phase: str(
          'The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle. One of Pending, Running, Succeeded, Failed, Unknown.',
        ),
        podIP: str(),
        podIPs: mergeList(core('PodIP'), 'ip'),
        qosClass: str(),
        reason: str(),
        resize: str(),
        startTime: time(),
      },
      { description: 'PodStatus represents information about the status of a pod.' },
    ),
    Pod: kind(
      v1('Pod'),
      'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
      {
        spec: core(
          'PodSpec',
          'Specification of the desired behavior of the pod. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status',
        ),
        status: core('PodStatus', 'Most recently observed status of the pod.'),
      },
    ),
    PodTemplateSpec: struct(
      { metadata: objectMeta(), spec: core('PodSpec') },
      {
        description:
          'PodTemplateSpec describes the data a pod should have when created from a template',
      },
    ),
    Binding: kind(
      v1('Binding'),
      'Binding ties one object to another; for example, a pod is bound to a node by a scheduler.',
      {
        target: core(
          'ObjectReference',
          'The target object that you want to bind to the standard object.',
        ),
      },
      ['target'],
    ),
    // ----- Node
    Taint: struct(
      { effect: str(), key: str(), timeAdded: time(), value: str() },
      { required: ['key', 'effect'] },
    ),
    NodeSpec: struct({
      configSource: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      externalID: str(),
      podCIDR: str(),
      podCIDRs: setList(),
      providerID: str(),
      taints: list(core('Taint')),
      unschedulable: bool('Unschedulable controls node schedulability of new pods.'),
    }),
    NodeCondition: struct(
      {
        lastHeartbeatTime: time(),
        lastTransitionTime: time(),
        message: str(),
        reason: str(),
        status: str(),
        type: str(),
      },
      { required: ['type', 'status'] },
    ),
    NodeAddress: struct({ address: str(), type: str() }, { required: ['type', 'address'] }),
    NodeSystemInfo: struct({
      architecture: str(),
      bootID: str(),
      containerRuntimeVersion: str(),
      kernelVersion: str(),
      kubeProxyVersion: str(),
      kubeletVersion: str(),
      machineID: str(),
      operatingSystem: str(),
      osImage: str(),
      systemUUID: str(),
    }),
    DaemonEndpoint: struct({ Port: int32() }, { required: ['Port'] }),
    NodeDaemonEndpoints: struct({ kubeletEndpoint: core('DaemonEndpoint') }),
    ContainerImage: struct({ names: list(str()), sizeBytes: int64() }),
    NodeStatus: {
      ...struct({
        addresses: mergeList(core('NodeAddress'), 'type'),
        allocatable: quantityMap(),
        capacity: quantityMap(),
        conditions: mergeList(core('NodeCondition'), 'type'),
        daemonEndpoints: core('NodeDaemonEndpoints'),
        images: list(core('ContainerImage')),
        nodeInfo: core('NodeSystemInfo'),
        phase: str(),
        volumesInUse: list(str()),
      }),
      'x-kubernetes-preserve-unknown-fields': true,
    },
    Node: kind(
      v1('Node'),
      'Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).',
      { spec: core('NodeSpec'), status: core('NodeStatus') },
    ),
    // ----- Service / Endpoints
    ServicePort: struct(
      {
        appProtocol: str(),
        name: str(),
        nodePort: int32(),
        port: int32('The port that will be exposed by this service.'),
        protocol: str(),
        targetPort: intOrString(),
      },
      { required: ['port'] },
    ),
    ClientIPConfig: struct({ timeoutSeconds: int32() }),
    SessionAffinityConfig: struct({ clientIP: core('ClientIPConfig') }),
    ServiceSpec: struct({
      allocateLoadBalancerNodePorts: bool(),
      clusterIP: str(
        'clusterIP is the IP address of the service and is usually assigned randomly.',
      ),
      clusterIPs: list(str()),
      externalIPs: list(str()),
      externalName: str(),
      externalTrafficPolicy: str(),
      healthCheckNodePort: int32(),
      internalTrafficPolicy: str(),
      ipFamilies: list(str()),
      ipFamilyPolicy: str(),
      loadBalancerClass: str(),
      loadBalancerIP: str(),
      loadBalancerSourceRanges: list(str()),
      ports: mergeList(core('ServicePort'), 'port', {
        mapKeys: ['port', 'protocol'],
        description: 'The list of ports that are exposed by this service.',
      }),
      publishNotReadyAddresses: bool(),
      selector: {
        ...strMap(
          'Route service traffic to pods with label keys and values matching this selector.',
        ),
        'x-kubernetes-map-type': 'atomic',
      },
      sessionAffinity: str(),
      sessionAffinityConfig: core('SessionAffinityConfig'),
      trafficDistribution: str(),
      type: str(
        'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.',
      ),
    }),
    PortStatus: struct(
      { error: str(), port: int32(), protocol: str() },
      { required: ['port', 'protocol'] },
    ),
    LoadBalancerIngress: struct({
      hostname: str(),
      ip: str(),
      ipMode: str(),
      ports: list(core('PortStatus')),
    }),
    LoadBalancerStatus: struct({ ingress: list(core('LoadBalancerIngress')) }),
    ServiceStatus: struct({
      conditions: mergeList(
        {
          allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Condition' }],
        },
        'type',
      ),
      loadBalancer: core('LoadBalancerStatus'),
    }),
    Service: kind(
      v1('Service'),
      'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
      { spec: core('ServiceSpec'), status: core('ServiceStatus') },
    ),
    EndpointAddress: {
      ...struct(
        { hostname: str(), ip: str(), nodeName: str(), targetRef: core('ObjectReference') },
        { required: ['ip'] },
      ),
      'x-kubernetes-map-type': 'atomic',
    },
    EndpointPort: {
      ...struct(
        { appProtocol: str(), name: str(), port: int32(), protocol: str() },
        { required: ['port'] },
      ),
      'x-kubernetes-map-type': 'atomic',
    },
    EndpointSubset: struct({
      addresses: list(core('EndpointAddress')),
      notReadyAddresses: list(core('EndpointAddress')),
      ports: list(core('EndpointPort')),
    }),
    Endpoints: kind(
      v1('Endpoints'),
      'Endpoints is a collection of endpoints that implement the actual service.',
      {
        subsets: list(core('EndpointSubset')),
      },
    ),
    // ----- Config & identity
    ConfigMap: kind(v1('ConfigMap'), 'ConfigMap holds configuration data for pods to consume.', {
      binaryData: mapOf(bytes()),
      data: strMap('Data contains the configuration data.'),
      immutable: bool(),
    }),
    Secret: kind(
      v1('Secret'),
      'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
      {
        data: mapOf(bytes()),
        immutable: bool(),
        stringData: strMap(),
        type: str('Used to facilitate programmatic handling of secret data.'),
      },
    ),
    ServiceAccount: kind(
      v1('ServiceAccount'),
      'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets.',
      {
        automountServiceAccountToken: bool(),
        imagePullSecrets: list(core('LocalObjectReference')),
        secrets: mergeList(core('ObjectReference'), 'name'),
      },
    ),
    // ----- Events
    EventSource: struct({ component: str(), host: str() }),
    EventSeries: struct({ count: int32(), lastObservedTime: microTime() }),
    Event: kind(
      v1('Event'),
      'Event is a report of an event somewhere in the cluster.',
      {
        action: str(),
        count: int32(),
        eventTime: microTime(),
        firstTimestamp: time(),
        involvedObject: core('ObjectReference'),
        lastTimestamp: time(),
        message: str(),
        reason: str(),
        related: core('ObjectReference'),
        reportingComponent: str(),
        reportingInstance: str(),
        series: core('EventSeries'),
        source: core('EventSource'),
        type: str(),
      },
      ['metadata', 'involvedObject'],
    ),
    // ----- LimitRange / ResourceQuota
    LimitRangeItem: struct(
      {
        default: quantityMap(),
        defaultRequest: quantityMap(),
        max: quantityMap(),
        maxLimitRequestRatio: quantityMap(),
        min: quantityMap(),
        type: str(),
      },
      { required: ['type'] },
    ),
    LimitRangeSpec: struct({ limits: list(core('LimitRangeItem')) }, { required: ['limits'] }),
    LimitRange: kind(
      v1('LimitRange'),
      'LimitRange sets resource usage limits for each kind of resource in a Namespace.',
      {
        spec: core('LimitRangeSpec'),
      },
    ),
    ScopedResourceSelectorRequirement: struct(
      { operator: str(), scopeName: str(), values: list(str()) },
      { required: ['scopeName', 'operator'] },
    ),
    ScopeSelector: {
      ...struct({ matchExpressions: list(core('ScopedResourceSelectorRequirement')) }),
      'x-kubernetes-map-type': 'atomic',
    },
    ResourceQuotaSpec: struct({
      hard: quantityMap(),
      scopeSelector: core('ScopeSelector'),
      scopes: list(str()),
    }),
    ResourceQuotaStatus: struct({ hard: quantityMap(), used: quantityMap() }),
    ResourceQuota: kind(
      v1('ResourceQuota'),
      'ResourceQuota sets aggregate quota restrictions enforced per namespace',
      {
        spec: core('ResourceQuotaSpec'),
        status: core('ResourceQuotaStatus'),
      },
    ),
  };
  const out: Record<string, OpenAPISchema> = {};
  for (const [name, schema] of Object.entries(d)) out[CORE + name] = schema;
  return out;
}
