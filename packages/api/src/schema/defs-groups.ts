/** Definitions of the non-core groups, named as upstream (`io.k8s.api.apps.v1.Deployment`). */
import {
  META,
  bool,
  core,
  int32,
  int64,
  intOrString,
  kind,
  labelSelector,
  list,
  mergeList,
  microTime,
  ref,
  str,
  strMap,
  struct,
  time,
  type OpenAPISchema,
} from './dsl.js';

type Gvk = { group: string; version: string; kind: string };

function prefixed(
  prefix: string,
  defs: Record<string, OpenAPISchema>,
): Record<string, OpenAPISchema> {
  const out: Record<string, OpenAPISchema> = {};
  for (const [k, v] of Object.entries(defs)) out[prefix + k] = v;
  return out;
}

const APPS = 'io.k8s.api.apps.v1.';
const apps = (n: string, d?: string): OpenAPISchema => ref(APPS + n, d);
const appsGvk = (k: string): Gvk => ({ group: 'apps', version: 'v1', kind: k });

/**
 * A workload's status condition. Only DeploymentCondition has `lastUpdateTime` upstream; the
 * ReplicaSet, DaemonSet and StatefulSet conditions do not (nor their protobuf messages).
 */
const workloadCondition = (withUpdateTime = false): OpenAPISchema =>
  struct(
    {
      lastTransitionTime: time(),
      ...(withUpdateTime ? { lastUpdateTime: time() } : {}),
      message: str(),
      reason: str(),
      status: str(),
      type: str(),
    },
    { required: ['type', 'status'] },
  );

function appsDefinitions(): Record<string, OpenAPISchema> {
  return prefixed(APPS, {
    RollingUpdateDeployment: struct({ maxSurge: intOrString(), maxUnavailable: intOrString() }),
    DeploymentStrategy: struct({
      rollingUpdate: apps('RollingUpdateDeployment'),
      type: str(
        'Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate.',
      ),
    }),
    DeploymentSpec: struct(
      {
        minReadySeconds: int32(),
        paused: bool('Indicates that the deployment is paused.'),
        progressDeadlineSeconds: int32(),
        replicas: int32('Number of desired pods. Defaults to 1.'),
        revisionHistoryLimit: int32(),
        selector: ref(
          META + 'LabelSelector',
          "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
        ),
        strategy: {
          ...apps(
            'DeploymentStrategy',
            'The deployment strategy to use to replace existing pods with new ones.',
          ),
          'x-kubernetes-patch-strategy': 'retainKeys',
        },
        template: core('PodTemplateSpec', 'Template describes the pods that will be created.'),
      },
      {
        required: ['selector', 'template'],
        description:
          'DeploymentSpec is the specification of the desired behavior of the Deployment.',
      },
    ),
    DeploymentCondition: workloadCondition(true),
    DeploymentStatus: struct({
      availableReplicas: int32(),
      collisionCount: int32(),
      conditions: mergeList(apps('DeploymentCondition'), 'type'),
      observedGeneration: int64(),
      readyReplicas: int32(),
      replicas: int32(),
      terminatingReplicas: int32(),
      unavailableReplicas: int32(),
      updatedReplicas: int32(),
    }),
    Deployment: kind(
      appsGvk('Deployment'),
      'Deployment enables declarative updates for Pods and ReplicaSets.',
      {
        spec: apps('DeploymentSpec', 'Specification of the desired behavior of the Deployment.'),
        status: apps('DeploymentStatus', 'Most recently observed status of the Deployment.'),
      },
    ),
    ReplicaSetSpec: struct(
      {
        minReadySeconds: int32(),
        replicas: int32(),
        selector: labelSelector(),
        template: core('PodTemplateSpec'),
      },
      { required: ['selector'] },
    ),
    ReplicaSetCondition: workloadCondition(),
    ReplicaSetStatus: struct(
      {
        availableReplicas: int32(),
        conditions: mergeList(apps('ReplicaSetCondition'), 'type'),
        fullyLabeledReplicas: int32(),
        observedGeneration: int64(),
        readyReplicas: int32(),
        replicas: int32(),
        terminatingReplicas: int32(),
      },
      { required: ['replicas'] },
    ),
    ReplicaSet: kind(
      appsGvk('ReplicaSet'),
      'ReplicaSet ensures that a specified number of pod replicas are running at any given time.',
      {
        spec: apps('ReplicaSetSpec'),
        status: apps('ReplicaSetStatus'),
      },
    ),
    RollingUpdateDaemonSet: struct({ maxSurge: intOrString(), maxUnavailable: intOrString() }),
    DaemonSetUpdateStrategy: struct({ rollingUpdate: apps('RollingUpdateDaemonSet'), type: str() }),
    DaemonSetSpec: struct(
      {
        minReadySeconds: int32(),
        revisionHistoryLimit: int32(),
        selector: labelSelector(),
        template: core('PodTemplateSpec'),
        updateStrategy: apps('DaemonSetUpdateStrategy'),
      },
      { required: ['selector', 'template'] },
    ),
    DaemonSetCondition: workloadCondition(),
    DaemonSetStatus: struct(
      {
        collisionCount: int32(),
        conditions: mergeList(apps('DaemonSetCondition'), 'type'),
        currentNumberScheduled: int32(),
        desiredNumberScheduled: int32(),
        numberAvailable: int32(),
        numberMisscheduled: int32(),
        numberReady: int32(),
        numberUnavailable: int32(),
        observedGeneration: int64(),
        updatedNumberScheduled: int32(),
      },
      {
        required: [
          'currentNumberScheduled',
          'numberMisscheduled',
          'desiredNumberScheduled',
          'numberReady',
        ],
      },
    ),
    DaemonSet: kind(
      appsGvk('DaemonSet'),
      'DaemonSet represents the configuration of a daemon set.',
      {
        spec: apps('DaemonSetSpec'),
        status: apps('DaemonSetStatus'),
      },
    ),
    RollingUpdateStatefulSetStrategy: struct({ maxUnavailable: intOrString(), partition: int32() }),
    StatefulSetUpdateStrategy: struct({
      rollingUpdate: apps('RollingUpdateStatefulSetStrategy'),
      type: str(),
    }),
    StatefulSetPersistentVolumeClaimRetentionPolicy: struct({
      whenDeleted: str(),
      whenScaled: str(),
    }),
    StatefulSetOrdinals: struct({ start: int32() }),
    StatefulSetSpec: struct(
      {
        minReadySeconds: int32(),
        ordinals: apps('StatefulSetOrdinals'),
        persistentVolumeClaimRetentionPolicy: apps(
          'StatefulSetPersistentVolumeClaimRetentionPolicy',
        ),
        podManagementPolicy: str(),
        replicas: int32(),
        revisionHistoryLimit: int32(),
        selector: labelSelector(),
        serviceName: str(),
        template: core('PodTemplateSpec'),
        updateStrategy: apps('StatefulSetUpdateStrategy'),
        volumeClaimTemplates: list(core('PersistentVolumeClaim')),
      },
      { required: ['selector', 'template'] },
    ),
    StatefulSetCondition: workloadCondition(),
    StatefulSetStatus: struct(
      {
        availableReplicas: int32(),
        collisionCount: int32(),
        conditions: mergeList(apps('StatefulSetCondition'), 'type'),
        currentReplicas: int32(),
        currentRevision: str(),
        observedGeneration: int64(),
        readyReplicas: int32(),
        replicas: int32(),
        updateRevision: str(),
        updatedReplicas: int32(),
      },
      { required: ['replicas'] },
    ),
    StatefulSet: kind(
      appsGvk('StatefulSet'),
      'StatefulSet represents a set of pods with consistent identities.',
      { spec: apps('StatefulSetSpec'), status: apps('StatefulSetStatus') },
    ),
  });
}

function otherDefinitions(): Record<string, OpenAPISchema> {
  const AUTO = 'io.k8s.api.autoscaling.v1.';
  const BATCH = 'io.k8s.api.batch.v1.';
  const DISC = 'io.k8s.api.discovery.v1.';
  const COORD = 'io.k8s.api.coordination.v1.';
  const EV = 'io.k8s.api.events.v1.';
  const POL = 'io.k8s.api.policy.v1.';
  const SCHED = 'io.k8s.api.scheduling.v1.';
  const RBAC = 'io.k8s.api.rbac.v1.';
  const ADM = 'io.k8s.api.admissionregistration.v1.';
  const webhookProps = (): Record<string, OpenAPISchema> => ({
    admissionReviewVersions: list(str()),
    clientConfig: ref(ADM + 'WebhookClientConfig'),
    failurePolicy: str(),
    matchConditions: mergeList(ref(ADM + 'MatchCondition'), 'name'),
    matchPolicy: str(),
    name: str(),
    namespaceSelector: labelSelector(),
    objectSelector: labelSelector(),
    rules: list(ref(ADM + 'RuleWithOperations')),
    sideEffects: str(),
    timeoutSeconds: int32(),
  });
  return {
    ...prefixed(AUTO, {
      ScaleSpec: struct({ replicas: int32() }),
      ScaleStatus: struct({ replicas: int32(), selector: str() }, { required: ['replicas'] }),
      Scale: kind(
        { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        'Scale represents a scaling request for a resource.',
        {
          spec: ref(AUTO + 'ScaleSpec'),
          status: ref(AUTO + 'ScaleStatus'),
        },
      ),
    }),
    ...prefixed(BATCH, {
      PodFailurePolicyOnExitCodesRequirement: struct(
        {
          containerName: str(),
          operator: str(),
          values: { type: 'array', items: int32(), 'x-kubernetes-list-type': 'set' },
        },
        { required: ['operator', 'values'] },
      ),
      PodFailurePolicyOnPodConditionsPattern: struct(
        { status: str(), type: str() },
        { required: ['type'] },
      ),
      PodFailurePolicyRule: struct(
        {
          action: str(),
          onExitCodes: ref(BATCH + 'PodFailurePolicyOnExitCodesRequirement'),
          onPodConditions: list(ref(BATCH + 'PodFailurePolicyOnPodConditionsPattern')),
        },
        { required: ['action'] },
      ),
      PodFailurePolicy: struct(
        { rules: list(ref(BATCH + 'PodFailurePolicyRule')) },
        { required: ['rules'] },
      ),
      SuccessPolicyRule: struct({ succeededCount: int32(), succeededIndexes: str() }),
      SuccessPolicy: struct(
        { rules: list(ref(BATCH + 'SuccessPolicyRule')) },
        { required: ['rules'] },
      ),
      JobSpec: struct(
        {
          activeDeadlineSeconds: int64(),
          backoffLimit: int32(),
          backoffLimitPerIndex: int32(),
          completionMode: str(),
          completions: int32(),
          managedBy: str(),
          manualSelector: bool(),
          maxFailedIndexes: int32(),
          parallelism: int32(),
          podFailurePolicy: ref(BATCH + 'PodFailurePolicy'),
          podReplacementPolicy: str(),
          selector: labelSelector(),
          successPolicy: ref(BATCH + 'SuccessPolicy'),
          suspend: bool(),
          template: core('PodTemplateSpec'),
          ttlSecondsAfterFinished: int32(),
        },
        { required: ['template'] },
      ),
      JobCondition: struct(
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
      UncountedTerminatedPods: struct({
        failed: { type: 'array', items: str(), 'x-kubernetes-list-type': 'set' },
        succeeded: { type: 'array', items: str(), 'x-kubernetes-list-type': 'set' },
      }),
      JobStatus: struct({
        active: int32(),
        completedIndexes: str(),
        completionTime: time(),
        conditions: list(ref(BATCH + 'JobCondition')),
        failed: int32(),
        failedIndexes: str(),
        ready: int32(),
        startTime: time(),
        succeeded: int32(),
        terminating: int32(),
        uncountedTerminatedPods: ref(BATCH + 'UncountedTerminatedPods'),
      }),
      Job: kind(
        { group: 'batch', version: 'v1', kind: 'Job' },
        'Job represents the configuration of a single job.',
        {
          spec: ref(BATCH + 'JobSpec'),
          status: ref(BATCH + 'JobStatus'),
        },
      ),
    }),
    ...prefixed(DISC, {
      EndpointConditions: struct({ ready: bool(), serving: bool(), terminating: bool() }),
      ForZone: struct({ name: str() }, { required: ['name'] }),
      ForNode: struct({ name: str() }, { required: ['name'] }),
      EndpointHints: struct({
        forNodes: list(ref(DISC + 'ForNode')),
        forZones: list(ref(DISC + 'ForZone')),
      }),
      Endpoint: struct(
        {
          addresses: { type: 'array', items: str(), 'x-kubernetes-list-type': 'set' },
          conditions: ref(DISC + 'EndpointConditions'),
          deprecatedTopology: strMap(),
          hints: ref(DISC + 'EndpointHints'),
          hostname: str(),
          nodeName: str(),
          targetRef: core('ObjectReference'),
          zone: str(),
        },
        { required: ['addresses'] },
      ),
      EndpointPort: {
        ...struct({ appProtocol: str(), name: str(), port: int32(), protocol: str() }),
        'x-kubernetes-map-type': 'atomic',
      },
      EndpointSlice: kind(
        { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
        'EndpointSlice represents a subset of the endpoints that implement a service.',
        {
          addressType: str(),
          endpoints: list(ref(DISC + 'Endpoint')),
          ports: list(ref(DISC + 'EndpointPort')),
        },
        ['addressType', 'endpoints'],
      ),
    }),
    ...prefixed(COORD, {
      LeaseSpec: struct({
        acquireTime: microTime(),
        holderIdentity: str(),
        leaseDurationSeconds: int32(),
        leaseTransitions: int32(),
        preferredHolder: str(),
        renewTime: microTime(),
        strategy: str(),
      }),
      Lease: kind(
        { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
        'Lease defines a lease concept.',
        {
          spec: ref(COORD + 'LeaseSpec'),
        },
      ),
    }),
    ...prefixed(EV, {
      EventSeries: struct(
        { count: int32(), lastObservedTime: microTime() },
        { required: ['count', 'lastObservedTime'] },
      ),
      Event: kind(
        { group: 'events.k8s.io', version: 'v1', kind: 'Event' },
        'Event is a report of an event somewhere in the cluster.',
        {
          action: str(),
          deprecatedCount: int32(),
          deprecatedFirstTimestamp: time(),
          deprecatedLastTimestamp: time(),
          deprecatedSource: core('EventSource'),
          eventTime: microTime(),
          note: str(),
          reason: str(),
          regarding: core('ObjectReference'),
          related: core('ObjectReference'),
          reportingController: str(),
          reportingInstance: str(),
          series: ref(EV + 'EventSeries'),
          type: str(),
        },
        ['eventTime'],
      ),
    }),
    ...prefixed(POL, {
      PodDisruptionBudgetSpec: struct({
        maxUnavailable: intOrString(),
        minAvailable: intOrString(),
        selector: { ...labelSelector(), 'x-kubernetes-patch-strategy': 'replace' },
        unhealthyPodEvictionPolicy: str(),
      }),
      PodDisruptionBudgetStatus: struct(
        {
          conditions: mergeList(ref(META + 'Condition'), 'type'),
          currentHealthy: int32(),
          desiredHealthy: int32(),
          disruptedPods: { type: 'object', additionalProperties: time() },
          disruptionsAllowed: int32(),
          expectedPods: int32(),
          observedGeneration: int64(),
        },
        { required: ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] },
      ),
      PodDisruptionBudget: kind(
        { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
        'PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods',
        {
          spec: ref(POL + 'PodDisruptionBudgetSpec'),
          status: ref(POL + 'PodDisruptionBudgetStatus'),
        },
      ),
      Eviction: kind(
        { group: 'policy', version: 'v1', kind: 'Eviction' },
        'Eviction evicts a pod from its node subject to certain policies and safety constraints.',
        { deleteOptions: ref(META + 'DeleteOptions') },
      ),
    }),
    ...prefixed(SCHED, {
      PriorityClass: kind(
        { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass' },
        'PriorityClass defines mapping from a priority class name to the priority integer value.',
        {
          description: str(),
          globalDefault: bool(),
          preemptionPolicy: str(),
          value: int32('value represents the integer value of this priority class.'),
        },
        ['value'],
      ),
    }),
    ...prefixed(RBAC, {
      PolicyRule: struct(
        {
          apiGroups: list(str()),
          nonResourceURLs: list(str()),
          resourceNames: list(str()),
          resources: list(str()),
          verbs: list(str()),
        },
        { required: ['verbs'] },
      ),
      AggregationRule: struct({ clusterRoleSelectors: list(labelSelector()) }),
      Subject: {
        ...struct(
          { apiGroup: str(), kind: str(), name: str(), namespace: str() },
          { required: ['kind', 'name'] },
        ),
        'x-kubernetes-map-type': 'atomic',
      },
      RoleRef: {
        ...struct(
          { apiGroup: str(), kind: str(), name: str() },
          { required: ['apiGroup', 'kind', 'name'] },
        ),
        'x-kubernetes-map-type': 'atomic',
      },
      Role: kind(
        { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' },
        'Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.',
        {
          rules: list(ref(RBAC + 'PolicyRule')),
        },
      ),
      ClusterRole: kind(
        { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole' },
        'ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.',
        { aggregationRule: ref(RBAC + 'AggregationRule'), rules: list(ref(RBAC + 'PolicyRule')) },
      ),
      RoleBinding: kind(
        { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' },
        'RoleBinding references a role, but does not contain it.',
        { roleRef: ref(RBAC + 'RoleRef'), subjects: list(ref(RBAC + 'Subject')) },
        ['roleRef'],
      ),
      ClusterRoleBinding: kind(
        { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding' },
        'ClusterRoleBinding references a ClusterRole, but not contain it.',
        { roleRef: ref(RBAC + 'RoleRef'), subjects: list(ref(RBAC + 'Subject')) },
        ['roleRef'],
      ),
    }),
    ...prefixed(ADM, {
      ServiceReference: struct(
        { name: str(), namespace: str(), path: str(), port: int32() },
        { required: ['namespace', 'name'] },
      ),
      WebhookClientConfig: struct({
        caBundle: { type: 'string', format: 'byte' },
        service: ref(ADM + 'ServiceReference'),
        url: str(),
      }),
      RuleWithOperations: struct({
        apiGroups: list(str()),
        apiVersions: list(str()),
        operations: list(str()),
        resources: list(str()),
        scope: str(),
      }),
      MatchCondition: struct(
        { expression: str(), name: str() },
        { required: ['name', 'expression'] },
      ),
      ValidatingWebhook: struct(webhookProps(), {
        required: ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions'],
      }),
      MutatingWebhook: struct(
        { ...webhookProps(), reinvocationPolicy: str() },
        { required: ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions'] },
      ),
      ValidatingWebhookConfiguration: kind(
        {
          group: 'admissionregistration.k8s.io',
          version: 'v1',
          kind: 'ValidatingWebhookConfiguration',
        },
        'ValidatingWebhookConfiguration describes the configuration of and admission webhook that accept or reject and object without changing it.',
        { webhooks: mergeList(ref(ADM + 'ValidatingWebhook'), 'name') },
      ),
      MutatingWebhookConfiguration: kind(
        {
          group: 'admissionregistration.k8s.io',
          version: 'v1',
          kind: 'MutatingWebhookConfiguration',
        },
        'MutatingWebhookConfiguration describes the configuration of and admission webhook that accept or reject and may change the object.',
        { webhooks: mergeList(ref(ADM + 'MutatingWebhook'), 'name') },
      ),
    }),
  };
}

const APIEXT = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';

function apiextensionsDefinitions(): Record<string, OpenAPISchema> {
  const x = (n: string): OpenAPISchema => ref(APIEXT + n);
  return prefixed(APIEXT, {
    JSONSchemaProps: {
      type: 'object',
      description:
        'JSONSchemaProps is a JSON-Schema following Specification Draft 4 (http://json-schema.org/).',
      // Recursive and open-ended: keep every keyword (and vendor extension) as written.
      'x-kubernetes-preserve-unknown-fields': true,
    },
    CustomResourceColumnDefinition: struct(
      {
        description: str(),
        format: str(),
        jsonPath: str(),
        name: str(),
        priority: int32(),
        type: str(),
      },
      { required: ['name', 'type', 'jsonPath'] },
    ),
    CustomResourceSubresourceScale: struct(
      { labelSelectorPath: str(), specReplicasPath: str(), statusReplicasPath: str() },
      { required: ['specReplicasPath', 'statusReplicasPath'] },
    ),
    CustomResourceSubresources: struct({
      scale: x('CustomResourceSubresourceScale'),
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    }),
    CustomResourceValidation: struct({ openAPIV3Schema: x('JSONSchemaProps') }),
    SelectableField: struct({ jsonPath: str() }, { required: ['jsonPath'] }),
    CustomResourceDefinitionVersion: struct(
      {
        additionalPrinterColumns: list(x('CustomResourceColumnDefinition')),
        deprecated: bool(),
        deprecationWarning: str(),
        name: str(),
        schema: x('CustomResourceValidation'),
        selectableFields: list(x('SelectableField')),
        served: bool(),
        storage: bool(),
        subresources: x('CustomResourceSubresources'),
      },
      { required: ['name', 'served', 'storage'] },
    ),
    CustomResourceDefinitionNames: struct(
      {
        categories: list(str()),
        kind: str(),
        listKind: str(),
        plural: str(),
        shortNames: list(str()),
        singular: str(),
      },
      { required: ['plural', 'kind'] },
    ),
    WebhookClientConfig: struct({
      caBundle: { type: 'string', format: 'byte' },
      service: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      url: str(),
    }),
    WebhookConversion: struct(
      { clientConfig: x('WebhookClientConfig'), conversionReviewVersions: list(str()) },
      { required: ['conversionReviewVersions'] },
    ),
    CustomResourceConversion: struct(
      { strategy: str(), webhook: x('WebhookConversion') },
      { required: ['strategy'] },
    ),
    CustomResourceDefinitionSpec: struct(
      {
        conversion: x('CustomResourceConversion'),
        group: str('group is the API group of the defined custom resource.'),
        names: x('CustomResourceDefinitionNames'),
        preserveUnknownFields: bool(),
        scope: str(),
        versions: list(x('CustomResourceDefinitionVersion')),
      },
      { required: ['group', 'names', 'scope', 'versions'] },
    ),
    CustomResourceDefinitionCondition: struct(
      { lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str() },
      { required: ['type', 'status'] },
    ),
    CustomResourceDefinitionStatus: struct({
      acceptedNames: x('CustomResourceDefinitionNames'),
      conditions: mergeList(x('CustomResourceDefinitionCondition'), 'type'),
      storedVersions: list(str()),
    }),
    CustomResourceDefinition: kind(
      { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' },
      'CustomResourceDefinition represents a resource that should be exposed on the API server. Its name MUST be in the format <.spec.name>.<.spec.group>.',
      {
        spec: x('CustomResourceDefinitionSpec'),
        status: x('CustomResourceDefinitionStatus'),
      },
      ['spec'],
    ),
  });
}

export function groupDefinitions(): Record<string, OpenAPISchema> {
  return { ...appsDefinitions(), ...otherDefinitions(), ...apiextensionsDefinitions() };
}
