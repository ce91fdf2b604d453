/**
 * The built-in resources kubets serves, as registry entries: names, scope, verbs, subresources,
 * printers, field selectors, strategies (defaulting, validation, create/update preparation) and
 * schemas. Everything upstream keeps in pkg/registry/<group>/<resource> for these kinds.
 */
import {
  deepCopyJson,
  labelSelectorAsSelector,
  validateObjectMetaUpdate,
  objectMetaFieldsSet,
  type FieldError,
  type GroupVersionKind,
  type KubeObject,
} from '@kubets/apimachinery';
import { defaultPod } from '../defaults/pod.js';
import {
  defaultConfigMap,
  defaultDaemonSet,
  defaultDeployment,
  defaultEndpointSlice,
  defaultEndpoints,
  defaultJob,
  defaultMutatingWebhookConfiguration,
  defaultNamespace,
  defaultNode,
  defaultPriorityClass,
  defaultReplicaSet,
  defaultRoleBinding,
  defaultSecret,
  defaultService,
  defaultServiceAccount,
  defaultStatefulSet,
  defaultValidatingWebhookConfiguration,
} from '../defaults/resources.js';
import { BUILTIN_PRINTERS, defaultPrinter, type Printer } from '../printers/builtin.js';
import {
  builtinDefinitions,
  builtinPatchSchema,
  definitionNameFor,
  pruneBySchema,
} from '../schema/openapi.js';
import type * as core from '../types/core-v1.js';
import type * as groups from '../types/groups.js';
import type { CustomResourceDefinition } from '../types/apiextensions-v1.js';
import {
  validatePod,
  validatePodBinding,
  validatePodStatusUpdate,
  validatePodUpdate,
} from '../validation/pod.js';
import * as v from '../validation/resources.js';
import {
  validateService,
  validateServiceStatusUpdate,
  validateServiceUpdate,
} from '../validation/service.js';
import * as w from '../validation/workloads.js';
import { defaultCustomResourceDefinition } from '../crd/defaults.js';
import {
  validateCustomResourceDefinition,
  validateCustomResourceDefinitionUpdate,
} from '../crd/validation.js';
import {
  applySchedulingGatedCondition,
  computePodQOS,
  genericStatusStrategy,
  genericStrategy,
  type GenericStrategyOptions,
} from './strategies.js';
import type {
  FieldSelectorSupport,
  ResourceDefinition,
  ScaleSpec,
  StatusStrategy,
  SubresourceDefinition,
  TableDefinition,
} from './types.js';

const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
const STATUS_VERBS = ['get', 'patch', 'update'];

type Validator<T> = (obj: T) => FieldError[];
type UpdateValidator<T> = (obj: T, old: T) => FieldError[];

const gvk = (group: string, version: string, kind: string): GroupVersionKind => ({
  group,
  version,
  kind,
});

function tableOf(printer: Printer): TableDefinition {
  return {
    columns: printer.columns,
    row: (obj, now) => printer.row(obj, now),
    ...(printer.conditions ? { conditions: (obj: KubeObject) => printer.conditions!(obj) } : {}),
  };
}

function fieldSelectors(
  namespaced: boolean,
  specific?: { fields: string[]; of(obj: never): Record<string, string> },
): FieldSelectorSupport {
  return {
    fields: specific?.fields ?? [],
    customConversion: specific !== undefined,
    fieldsOf: (obj) => ({
      ...(specific ? specific.of(obj as never) : {}),
      ...objectMetaFieldsSet(obj.metadata, namespaced),
    }),
  };
}

function selectorString(obj: KubeObject): string {
  const spec = (obj as { spec?: { selector?: groups.DeploymentSpec['selector'] } }).spec;
  try {
    return labelSelectorAsSelector(spec?.selector ?? null).toString();
  } catch {
    return '';
  }
}

const REPLICAS_SCALE: ScaleSpec = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  selector: selectorString,
};

interface BuiltinSpec<T> {
  group: string;
  version?: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  verbs?: string[];
  printer?: Printer;
  fieldSelectors?: { fields: string[]; of(obj: T): Record<string, string> };
  defaulter?(obj: T): void;
  validate: Validator<T>;
  validateUpdate?: UpdateValidator<T>;
  strategy?: Partial<Omit<GenericStrategyOptions, 'default' | 'validate' | 'validateUpdate'>>;
  status?: { validateUpdate: UpdateValidator<T>; extra?(obj: T, old: T): void };
  scale?: boolean;
  extraSubresources?: SubresourceDefinition[];
  finalize?: StatusStrategy;
  /** Validation needing the strategy context (services). */
  validateWithContext?(
    obj: T,
    ctx: { nodePortRange?: { base: number; size: number } },
  ): FieldError[];
  validateUpdateWithContext?(
    obj: T,
    old: T,
    ctx: { nodePortRange?: { base: number; size: number } },
  ): FieldError[];
}

function builtin<T>(s: BuiltinSpec<T>): ResourceDefinition {
  const version = s.version ?? 'v1';
  const schemaName = definitionNameFor(s.group, version, s.kind);
  const subresources: SubresourceDefinition[] = [];
  if (s.status)
    subresources.push({ name: 'status', kind: gvk(s.group, version, s.kind), verbs: STATUS_VERBS });
  if (s.scale)
    subresources.push({
      name: 'scale',
      kind: gvk('autoscaling', 'v1', 'Scale'),
      verbs: STATUS_VERBS,
    });
  subresources.push(...(s.extraSubresources ?? []));
  const validateUpdate: UpdateValidator<T> =
    s.validateUpdate ??
    ((obj, old) => {
      const errs = v
        .validateMeta((obj as KubeObject).metadata, s.namespaced)
        .filter((e) => !e.field.startsWith('metadata.'));
      return [
        ...errs,
        ...s.validate(obj).filter((e) => !e.field.startsWith('metadata.')),
        ...updateMeta(obj as KubeObject, old as KubeObject),
      ];
    });
  const def: ResourceDefinition = {
    group: s.group,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    namespaced: s.namespaced,
    verbs: s.verbs ?? STANDARD_VERBS,
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        schemaName,
        schemas: builtinDefinitions(),
        table: tableOf(s.printer ?? BUILTIN_PRINTERS[s.kind] ?? defaultPrinter),
        subresources,
      },
    ],
    strategy: genericStrategy({
      default: (obj) => s.defaulter?.(obj as T),
      validate: (obj, ctx) =>
        s.validateWithContext ? s.validateWithContext(obj as T, ctx) : s.validate(obj as T),
      validateUpdate: (obj, old, ctx) =>
        s.validateUpdateWithContext
          ? s.validateUpdateWithContext(obj as T, old as T, ctx)
          : validateUpdate(obj as T, old as T),
      hasStatus: s.status !== undefined,
      ...s.strategy,
    }),
    fieldSelectors: fieldSelectors(s.namespaced, s.fieldSelectors),
    patchSchema: () => builtinPatchSchema(schemaName),
    pruneUnknownFields: (obj) =>
      pruneBySchema(obj, builtinDefinitions()[schemaName] ?? {}, builtinDefinitions()),
    source: 'builtin',
  };
  if (s.status) {
    const st = s.status;
    def.statusStrategy = genericStatusStrategy(
      (obj, old) => st.validateUpdate(obj as T, old as T),
      st.extra ? (obj, old) => st.extra!(obj as T, old as T) : undefined,
    );
  }
  if (s.scale) def.scale = REPLICAS_SCALE;
  if (s.finalize) def.finalizeStrategy = s.finalize;
  return def;
}

function updateMeta(obj: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(obj.metadata ?? {}, old.metadata ?? {});
}

const statusOnlyMeta = <T>(obj: T, old: T): FieldError[] =>
  updateMeta(obj as KubeObject, old as KubeObject);

// ---------------------------------------------------------------------------------------------
// Field selector sets (upstream's *ToSelectableFields)

const podFields = {
  fields: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  of: (p: core.Pod): Record<string, string> => ({
    'spec.nodeName': p.spec?.nodeName ?? '',
    'spec.restartPolicy': p.spec?.restartPolicy ?? '',
    'spec.schedulerName': p.spec?.schedulerName ?? '',
    'spec.serviceAccountName': p.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': String(p.spec?.hostNetwork === true),
    'status.phase': p.status?.phase ?? '',
    'status.podIP': p.status?.podIPs?.[0]?.ip ?? '',
    'status.nominatedNodeName': p.status?.nominatedNodeName ?? '',
  }),
};

const eventFields = {
  fields: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  of: (e: core.Event): Record<string, string> => ({
    'involvedObject.kind': e.involvedObject?.kind ?? '',
    'involvedObject.namespace': e.involvedObject?.namespace ?? '',
    'involvedObject.name': e.involvedObject?.name ?? '',
    'involvedObject.uid': e.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': e.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': e.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': e.involvedObject?.fieldPath ?? '',
    reason: e.reason ?? '',
    reportingComponent: e.reportingComponent ?? '',
    source: e.source?.component || e.reportingComponent || '',
    type: e.type ?? '',
  }),
};

/** events.k8s.io/v1 Event in core/v1 shape, for the shared printer and field selectors. */
export function eventsV1ToCore(e: groups.EventsV1Event): core.Event {
  return {
    metadata: e.metadata ?? {},
    involvedObject: e.regarding ?? {},
    reason: e.reason ?? '',
    message: e.note ?? '',
    source: e.deprecatedSource ?? {},
    firstTimestamp: e.deprecatedFirstTimestamp ?? null,
    lastTimestamp: e.deprecatedLastTimestamp ?? null,
    count: e.deprecatedCount ?? 0,
    type: e.type ?? '',
    eventTime: e.eventTime,
    ...(e.series ? { series: e.series } : {}),
    reportingComponent: e.reportingController ?? '',
    reportingInstance: e.reportingInstance ?? '',
  };
}

const corePrinterForEventsV1: Printer = {
  columns: BUILTIN_PRINTERS.Event!.columns,
  row: (o, now) => BUILTIN_PRINTERS.Event!.row(eventsV1ToCore(o as groups.EventsV1Event), now),
};

// ---------------------------------------------------------------------------------------------
// The table

function podSubresources(): SubresourceDefinition[] {
  return [
    { name: 'binding', kind: gvk('', 'v1', 'Binding'), verbs: ['create'] },
    { name: 'eviction', kind: gvk('policy', 'v1', 'Eviction'), verbs: ['create'] },
    { name: 'log', kind: gvk('', 'v1', 'Pod'), verbs: ['get'] },
    { name: 'exec', kind: gvk('', 'v1', 'PodExecOptions'), verbs: ['create', 'get'] },
    { name: 'attach', kind: gvk('', 'v1', 'PodAttachOptions'), verbs: ['create', 'get'] },
    { name: 'portforward', kind: gvk('', 'v1', 'PodPortForwardOptions'), verbs: ['create', 'get'] },
  ];
}

/** Builds the registry entries of every built-in resource. */
export function builtinResources(): ResourceDefinition[] {
  return [
    builtin<core.Namespace>({
      group: '',
      kind: 'Namespace',
      plural: 'namespaces',
      shortNames: ['ns'],
      namespaced: false,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      fieldSelectors: {
        fields: ['status.phase'],
        of: (n) => ({ 'status.phase': n.status?.phase ?? '' }),
      },
      defaulter: defaultNamespace,
      validate: v.validateNamespace,
      validateUpdate: (a, b) => [...v.validateNamespaceUpdate(a, b)],
      strategy: {
        initialStatus: () => ({ phase: 'Active' }),
        extraPrepareForCreate: (obj) => {
          const ns = obj as core.Namespace;
          const spec = (ns.spec ??= {});
          const fin = (spec.finalizers ??= []);
          if (!fin.includes('kubernetes')) fin.push('kubernetes');
        },
        extraPrepareForUpdate: (obj, old) => {
          // spec.finalizers only changes through namespaces/finalize.
          const ns = obj as core.Namespace;
          const o = old as core.Namespace;
          if (o.spec === undefined) delete ns.spec;
          else ns.spec = deepCopyJson(o.spec);
        },
      },
      status: { validateUpdate: v.validateNamespaceStatusUpdate },
      extraSubresources: [
        { name: 'finalize', kind: gvk('', 'v1', 'Namespace'), verbs: ['update'] },
      ],
      finalize: {
        prepareForUpdate(obj, old) {
          const ns = obj as core.Namespace;
          const o = old as core.Namespace;
          const spec = ns.spec ? deepCopyJson(ns.spec) : undefined;
          for (const k of Object.keys(ns))
            if (k !== 'apiVersion' && k !== 'kind')
              delete (ns as unknown as Record<string, unknown>)[k];
          Object.assign(ns, deepCopyJson(o));
          if (spec === undefined) delete ns.spec;
          else ns.spec = { ...(ns.spec ?? {}), finalizers: spec.finalizers ?? [] };
        },
        validateUpdate: (a, b) => v.validateNamespaceFinalizeUpdate(a, b),
      },
    }),
    builtin<core.Pod>({
      group: '',
      kind: 'Pod',
      plural: 'pods',
      shortNames: ['po'],
      categories: ['all'],
      namespaced: true,
      fieldSelectors: podFields,
      defaulter: defaultPod,
      validate: validatePod,
      validateUpdate: validatePodUpdate,
      strategy: {
        initialStatus: (obj) => ({ phase: 'Pending', qosClass: computePodQOS(obj) }),
        extraPrepareForCreate: (obj) => applySchedulingGatedCondition(obj),
      },
      status: {
        validateUpdate: validatePodStatusUpdate,
        extra: (pod, old) => {
          // The kubelet may change labels/annotations on status writes, but never owners or qosClass.
          if (old.metadata?.labels) pod.metadata!.labels = old.metadata.labels;
          if (pod.status && !pod.status.qosClass && old.status?.qosClass)
            pod.status.qosClass = old.status.qosClass;
        },
      },
      extraSubresources: podSubresources(),
    }),
    builtin<core.Binding>({
      group: '',
      kind: 'Binding',
      plural: 'bindings',
      namespaced: true,
      verbs: ['create'],
      validate: (b) => [...v.validateMeta(b.metadata, true), ...podBindingErrors(b)],
    }),
    builtin<core.Node>({
      group: '',
      kind: 'Node',
      plural: 'nodes',
      shortNames: ['no'],
      namespaced: false,
      fieldSelectors: {
        fields: ['spec.unschedulable'],
        of: (n) => ({ 'spec.unschedulable': String(n.spec?.unschedulable === true) }),
      },
      defaulter: defaultNode,
      validate: v.validateNode,
      validateUpdate: v.validateNodeUpdate,
      strategy: {
        // The kubelet registers nodes with their status; create keeps it.
        initialStatus: (obj) => deepCopyJson((obj as core.Node).status ?? {}),
      },
      status: {
        validateUpdate: (a, b) => [
          ...statusOnlyMeta(a, b),
          ...v.validateNode(a).filter((e) => e.field.startsWith('status.')),
        ],
      },
      extraSubresources: [
        {
          name: 'proxy',
          kind: gvk('', 'v1', 'NodeProxyOptions'),
          verbs: ['create', 'delete', 'get', 'patch', 'update'],
        },
      ],
    }),
    builtin<core.Service>({
      group: '',
      kind: 'Service',
      plural: 'services',
      shortNames: ['svc'],
      categories: ['all'],
      namespaced: true,
      fieldSelectors: {
        fields: ['spec.clusterIP', 'spec.type'],
        of: (s) => ({ 'spec.clusterIP': s.spec?.clusterIP ?? '', 'spec.type': s.spec?.type ?? '' }),
      },
      defaulter: defaultService,
      validate: (s) => validateService(s),
      validateWithContext: (s, ctx) => validateService(s, ctx),
      validateUpdateWithContext: (s, old, ctx) => validateServiceUpdate(s, old, ctx),
      status: { validateUpdate: validateServiceStatusUpdate },
      extraSubresources: [
        {
          name: 'proxy',
          kind: gvk('', 'v1', 'ServiceProxyOptions'),
          verbs: ['create', 'delete', 'get', 'patch', 'update'],
        },
      ],
    }),
    builtin<core.Endpoints>({
      group: '',
      kind: 'Endpoints',
      plural: 'endpoints',
      shortNames: ['ep'],
      namespaced: true,
      defaulter: defaultEndpoints,
      validate: v.validateEndpoints,
    }),
    builtin<core.ConfigMap>({
      group: '',
      kind: 'ConfigMap',
      plural: 'configmaps',
      shortNames: ['cm'],
      namespaced: true,
      defaulter: defaultConfigMap,
      validate: v.validateConfigMap,
      validateUpdate: v.validateConfigMapUpdate,
    }),
    builtin<core.Secret>({
      group: '',
      kind: 'Secret',
      plural: 'secrets',
      namespaced: true,
      fieldSelectors: { fields: ['type'], of: (s) => ({ type: s.type ?? '' }) },
      defaulter: defaultSecret,
      validate: v.validateSecret,
      validateUpdate: v.validateSecretUpdate,
    }),
    builtin<core.ServiceAccount>({
      group: '',
      kind: 'ServiceAccount',
      plural: 'serviceaccounts',
      shortNames: ['sa'],
      namespaced: true,
      defaulter: defaultServiceAccount,
      validate: v.validateServiceAccount,
    }),
    builtin<core.Event>({
      group: '',
      kind: 'Event',
      plural: 'events',
      shortNames: ['ev'],
      namespaced: true,
      fieldSelectors: eventFields,
      validate: v.validateEvent,
    }),
    builtin<core.LimitRange>({
      group: '',
      kind: 'LimitRange',
      plural: 'limitranges',
      shortNames: ['limits'],
      namespaced: true,
      validate: v.validateLimitRange,
    }),
    builtin<core.ResourceQuota>({
      group: '',
      kind: 'ResourceQuota',
      plural: 'resourcequotas',
      shortNames: ['quota'],
      namespaced: true,
      validate: v.validateResourceQuota,
      status: { validateUpdate: v.validateResourceQuotaStatusUpdate },
    }),
    builtin<groups.Deployment>({
      group: 'apps',
      kind: 'Deployment',
      plural: 'deployments',
      shortNames: ['deploy'],
      categories: ['all'],
      namespaced: true,
      defaulter: defaultDeployment,
      validate: w.validateDeployment,
      validateUpdate: w.validateDeploymentUpdate,
      strategy: { generationFields: ['spec'], annotationsBumpGeneration: true },
      status: { validateUpdate: w.validateDeploymentStatusUpdate },
      scale: true,
    }),
    builtin<groups.ReplicaSet>({
      group: 'apps',
      kind: 'ReplicaSet',
      plural: 'replicasets',
      shortNames: ['rs'],
      categories: ['all'],
      namespaced: true,
      fieldSelectors: {
        fields: ['status.replicas'],
        of: (r) => ({ 'status.replicas': String(r.status?.replicas ?? 0) }),
      },
      defaulter: defaultReplicaSet,
      validate: w.validateReplicaSet,
      validateUpdate: w.validateReplicaSetUpdate,
      strategy: { generationFields: ['spec'] },
      status: { validateUpdate: w.validateReplicaSetStatusUpdate },
      scale: true,
    }),
    builtin<groups.DaemonSet>({
      group: 'apps',
      kind: 'DaemonSet',
      plural: 'daemonsets',
      shortNames: ['ds'],
      categories: ['all'],
      namespaced: true,
      defaulter: defaultDaemonSet,
      validate: w.validateDaemonSet,
      validateUpdate: w.validateDaemonSetUpdate,
      strategy: { generationFields: ['spec'] },
      status: { validateUpdate: statusOnlyMeta },
    }),
    builtin<groups.StatefulSet>({
      group: 'apps',
      kind: 'StatefulSet',
      plural: 'statefulsets',
      shortNames: ['sts'],
      categories: ['all'],
      namespaced: true,
      defaulter: defaultStatefulSet,
      validate: w.validateStatefulSet,
      validateUpdate: w.validateStatefulSetUpdate,
      strategy: { generationFields: ['spec'] },
      status: { validateUpdate: statusOnlyMeta },
      scale: true,
    }),
    builtin<groups.Job>({
      group: 'batch',
      kind: 'Job',
      plural: 'jobs',
      categories: ['all'],
      namespaced: true,
      fieldSelectors: {
        fields: ['status.successful'],
        of: (j) => ({ 'status.successful': String(j.status?.succeeded ?? 0) }),
      },
      defaulter: defaultJob,
      // Selector generation needs the uid, which exists only once validation runs (as upstream).
      validate: (job) => {
        w.generateJobSelector(job);
        return w.validateJob(job);
      },
      validateUpdate: w.validateJobUpdate,
      strategy: { generationFields: ['spec'] },
      status: { validateUpdate: w.validateJobStatusUpdate },
    }),
    builtin<groups.EndpointSlice>({
      group: 'discovery.k8s.io',
      kind: 'EndpointSlice',
      plural: 'endpointslices',
      namespaced: true,
      defaulter: defaultEndpointSlice,
      validate: v.validateEndpointSlice,
      validateUpdate: v.validateEndpointSliceUpdate,
    }),
    builtin<groups.Lease>({
      group: 'coordination.k8s.io',
      kind: 'Lease',
      plural: 'leases',
      namespaced: true,
      validate: v.validateLease,
    }),
    builtin<groups.EventsV1Event>({
      group: 'events.k8s.io',
      kind: 'Event',
      plural: 'events',
      shortNames: ['ev'],
      namespaced: true,
      printer: corePrinterForEventsV1,
      fieldSelectors: { fields: eventFields.fields, of: (e) => eventFields.of(eventsV1ToCore(e)) },
      validate: v.validateEventsV1Event,
    }),
    builtin<groups.PodDisruptionBudget>({
      group: 'policy',
      kind: 'PodDisruptionBudget',
      plural: 'poddisruptionbudgets',
      shortNames: ['pdb'],
      namespaced: true,
      validate: v.validatePodDisruptionBudget,
      strategy: { generationFields: ['spec'] },
      status: { validateUpdate: v.validatePodDisruptionBudgetStatusUpdate },
    }),
    builtin<groups.PriorityClass>({
      group: 'scheduling.k8s.io',
      kind: 'PriorityClass',
      plural: 'priorityclasses',
      shortNames: ['pc'],
      namespaced: false,
      defaulter: defaultPriorityClass,
      validate: v.validatePriorityClass,
      validateUpdate: v.validatePriorityClassUpdate,
    }),
    builtin<groups.Role>({
      group: 'rbac.authorization.k8s.io',
      kind: 'Role',
      plural: 'roles',
      namespaced: true,
      validate: v.validateRole,
    }),
    builtin<groups.ClusterRole>({
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      plural: 'clusterroles',
      namespaced: false,
      validate: v.validateClusterRole,
    }),
    builtin<groups.RoleBinding>({
      group: 'rbac.authorization.k8s.io',
      kind: 'RoleBinding',
      plural: 'rolebindings',
      namespaced: true,
      defaulter: defaultRoleBinding,
      validate: (rb) => v.validateRoleBinding(rb, true),
      validateUpdate: (a, b) => v.validateRoleBindingUpdate(a, b, true),
    }),
    builtin<groups.ClusterRoleBinding>({
      group: 'rbac.authorization.k8s.io',
      kind: 'ClusterRoleBinding',
      plural: 'clusterrolebindings',
      namespaced: false,
      defaulter: defaultRoleBinding,
      validate: (rb) => v.validateRoleBinding(rb, false),
      validateUpdate: (a, b) => v.validateRoleBindingUpdate(a, b, false),
    }),
    builtin<groups.ValidatingWebhookConfiguration>({
      group: 'admissionregistration.k8s.io',
      kind: 'ValidatingWebhookConfiguration',
      plural: 'validatingwebhookconfigurations',
      namespaced: false,
      defaulter: defaultValidatingWebhookConfiguration,
      validate: v.validateValidatingWebhookConfiguration,
      strategy: { generationFields: ['webhooks'] },
    }),
    builtin<groups.MutatingWebhookConfiguration>({
      group: 'admissionregistration.k8s.io',
      kind: 'MutatingWebhookConfiguration',
      plural: 'mutatingwebhookconfigurations',
      namespaced: false,
      defaulter: defaultMutatingWebhookConfiguration,
      validate: v.validateMutatingWebhookConfiguration,
      strategy: { generationFields: ['webhooks'] },
    }),
    builtin<CustomResourceDefinition>({
      group: 'apiextensions.k8s.io',
      kind: 'CustomResourceDefinition',
      plural: 'customresourcedefinitions',
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      namespaced: false,
      defaulter: defaultCustomResourceDefinition,
      validate: validateCustomResourceDefinition,
      validateUpdate: validateCustomResourceDefinitionUpdate,
      strategy: { generationFields: ['spec'] },
      status: { validateUpdate: statusOnlyMeta },
    }),
  ];
}

function podBindingErrors(b: core.Binding): FieldError[] {
  return validatePodBinding(b);
}
