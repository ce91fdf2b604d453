/**
 * Validation of the remaining built-in kinds: Namespace, Node, ConfigMap, Secret, ServiceAccount,
 * Event (core and events.k8s.io), Endpoints, EndpointSlice, Lease, LimitRange, ResourceQuota,
 * PodDisruptionBudget, Eviction, PriorityClass, RBAC and admission webhook configurations.
 */
import {
  Path,
  Quantity,
  duplicate,
  forbidden,
  invalid,
  isQualifiedName,
  isValidLabelValue,
  jsonEqual,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  notSupported,
  required,
  tooLong,
  validateLabelName,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validatePathSegmentName,
  type FieldError,
  type ObjectMeta,
  type ValidateNameFunc,
} from '@kubets/apimachinery';
import type {
  ConfigMap,
  Endpoints,
  Event,
  LimitRange,
  Namespace,
  Node,
  ResourceQuota,
  Secret,
  ServiceAccount,
} from '../types/core-v1.js';
import type {
  ClusterRole,
  EndpointSlice,
  EventsV1Event,
  Lease,
  MutatingWebhookConfiguration,
  PodDisruptionBudget,
  PolicyRule,
  PriorityClass,
  Role,
  RoleBinding,
  ValidatingWebhookConfiguration,
} from '../types/groups.js';
import {
  GoLiteral,
  isConfigMapKey,
  isValidPortNum,
  parseQuantity,
  validateCIDR,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateEnum,
  validateIntOrPercent,
  validateIP,
  validateQualifiedName,
} from './helpers.js';

const FIELD_IMMUTABLE = 'field is immutable';
export const MAX_SECRET_SIZE = 1024 * 1024;

export function validateMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  nameFn: ValidateNameFunc = nameIsDNSSubdomain,
): FieldError[] {
  return validateObjectMeta(meta ?? {}, { requiresNamespace: namespaced, nameFn });
}

const metaUpdate = (a: { metadata?: ObjectMeta }, b: { metadata?: ObjectMeta }): FieldError[] =>
  validateObjectMetaUpdate(a.metadata ?? {}, b.metadata ?? {});

// ----- Namespace

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateMeta(ns.metadata, false, nameIsDNSLabel);
  (ns.spec?.finalizers ?? []).forEach((f, i) =>
    errs.push(...validateFinalizerName(f, Path.new('spec', 'finalizers').at(i))),
  );
  return errs;
}

function validateFinalizerName(f: string, path: Path): FieldError[] {
  const errs = validateQualifiedName(f, path);
  if (errs.length === 0 && !f.includes('/') && f !== 'kubernetes') {
    errs.push(
      invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'),
    );
  }
  return errs;
}

export function validateNamespaceUpdate(ns: Namespace, old: Namespace): FieldError[] {
  return metaUpdate(ns, old);
}

export function validateNamespaceStatusUpdate(ns: Namespace, old: Namespace): FieldError[] {
  const errs = metaUpdate(ns, old);
  const phase = ns.status?.phase;
  if (!ns.metadata?.deletionTimestamp) {
    if (phase !== 'Active')
      errs.push(
        invalid(
          Path.new('status', 'Phase'),
          phase ?? '',
          "may only be 'Active' if `deletionTimestamp` is empty",
        ),
      );
  } else if (phase !== 'Terminating') {
    errs.push(
      invalid(
        Path.new('status', 'Phase'),
        phase ?? '',
        "may only be 'Terminating' if `deletionTimestamp` is not empty",
      ),
    );
  }
  return errs;
}

export function validateNamespaceFinalizeUpdate(ns: Namespace, old: Namespace): FieldError[] {
  const errs = metaUpdate(ns, old);
  (ns.spec?.finalizers ?? []).forEach((f, i) =>
    errs.push(...validateFinalizerName(f, Path.new('spec', 'finalizers').at(i))),
  );
  return errs;
}

// ----- Node

function validateResourceList(list: Record<string, string> | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(list ?? {}).sort()) {
    const p = path.key(k);
    errs.push(...isQualifiedName(k).map((m) => invalid(p, k, m)));
    const q = parseQuantity(list![k], p);
    if (!(q instanceof Quantity)) errs.push(q);
    else if (q.sign() < 0)
      errs.push(invalid(p, q.toString(), 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateNode(node: Node): FieldError[] {
  const errs = validateMeta(node.metadata, false);
  const sp = Path.new('spec');
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = sp.child('taints').at(i);
    errs.push(...validateLabelName(t.key ?? '', p.child('key')));
    for (const m of isValidLabelValue(t.value ?? ''))
      errs.push(invalid(p.child('value'), t.value ?? '', m));
    errs.push(
      ...validateEnum(t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], p.child('effect')),
    );
    const key = `${t.key}/${t.effect}`;
    if (seen.has(key))
      errs.push(
        invalid(
          p,
          new GoLiteral(
            `core.Taint{Key:"${t.key}", Value:"${t.value ?? ''}", Effect:"${t.effect}", TimeAdded:<nil>}`,
          ),
          'taints must be unique by key and effect pair',
        ),
      );
    seen.add(key);
  });
  if (node.spec?.podCIDR) errs.push(...validateCIDR(node.spec.podCIDR, sp.child('podCIDR')));
  (node.spec?.podCIDRs ?? []).forEach((c, i) =>
    errs.push(...validateCIDR(c, sp.child('podCIDRs').at(i))),
  );
  if (
    node.spec?.podCIDR &&
    node.spec.podCIDRs?.length &&
    node.spec.podCIDRs[0] !== node.spec.podCIDR
  ) {
    errs.push(invalid(sp.child('podCIDRs'), node.spec.podCIDRs, 'first value must match podCIDR'));
  }
  errs.push(...validateResourceList(node.status?.capacity, Path.new('status', 'capacity')));
  errs.push(...validateResourceList(node.status?.allocatable, Path.new('status', 'allocatable')));
  (node.status?.addresses ?? []).forEach((a, i) => {
    if (!a.address) errs.push(required(Path.new('status', 'addresses').at(i).child('address'), ''));
  });
  return errs;
}

/** Node update: podCIDR(s) and providerID may be set once, never changed. */
export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const errs = metaUpdate(node, old);
  errs.push(...validateNode(node).filter((e) => !e.field.startsWith('metadata.')));
  const sp = Path.new('spec');
  if (old.spec?.podCIDRs?.length && !jsonEqual(node.spec?.podCIDRs ?? [], old.spec.podCIDRs)) {
    errs.push(
      forbidden(
        sp.child('podCIDRs'),
        'node updates may not change podCIDR except from "" to valid',
      ),
    );
  }
  if (old.spec?.providerID && node.spec?.providerID !== old.spec.providerID) {
    errs.push(
      forbidden(
        sp.child('providerID'),
        'node updates may not change providerID except from "" to valid',
      ),
    );
  }
  return errs;
}

// ----- ConfigMap / Secret

function validateDataKeys(data: Record<string, string> | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(data ?? {}).sort()) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(path.key(k), k, m));
  }
  return errs;
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateMeta(cm.metadata, true);
  errs.push(...validateDataKeys(cm.data, Path.new('data')));
  errs.push(...validateDataKeys(cm.binaryData, Path.new('binaryData')));
  let total = 0;
  for (const k of Object.keys(cm.data ?? {}).sort()) {
    if (cm.binaryData && k in cm.binaryData)
      errs.push(invalid(Path.new('data').key(k), k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(cm.data![k]!, 'utf8');
  }
  for (const k of Object.keys(cm.binaryData ?? {}).sort()) {
    if (cm.data && k in cm.data)
      errs.push(invalid(Path.new('binaryData').key(k), k, 'duplicate of key present in data'));
    total += Buffer.from(cm.binaryData![k]!, 'base64').length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(Path.new(''), '', MAX_SECRET_SIZE));
  return errs;
}

function validateImmutableData<
  T extends { immutable?: boolean; data?: unknown; binaryData?: unknown },
>(a: T, b: T): FieldError[] {
  const errs: FieldError[] = [];
  if (b.immutable === true) {
    if (a.immutable !== true)
      errs.push(forbidden(Path.new('immutable'), 'field is immutable when `immutable` is set'));
    if (!jsonEqual(a.data ?? {}, b.data ?? {}))
      errs.push(forbidden(Path.new('data'), 'field is immutable when `immutable` is set'));
    if (!jsonEqual(a.binaryData ?? {}, b.binaryData ?? {}))
      errs.push(forbidden(Path.new('binaryData'), 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export function validateConfigMapUpdate(cm: ConfigMap, old: ConfigMap): FieldError[] {
  const errs = metaUpdate(cm, old);
  errs.push(...validateImmutableData(cm, old));
  errs.push(...validateConfigMap(cm).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function validateSecret(s: Secret): FieldError[] {
  const errs = validateMeta(s.metadata, true);
  const dataPath = Path.new('data');
  let total = 0;
  for (const k of Object.keys(s.data ?? {}).sort()) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(dataPath.key(k), k, m));
    const v = s.data![k]!;
    if (!BASE64.test(v)) {
      // Upstream rejects this while decoding ([]byte from base64); reported here with its text.
      errs.push(invalid(dataPath.key(k), '<secret contents redacted>', 'illegal base64 data'));
    }
    total += Buffer.from(v, 'base64').length;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(dataPath, '', MAX_SECRET_SIZE));
  const need = (key: string): void => {
    if (!s.data || !(key in s.data)) errs.push(required(dataPath.key(key), ''));
  };
  switch (s.type) {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(
          required(
            Path.new('metadata', 'annotations').key('kubernetes.io/service-account.name'),
            '',
          ),
        );
      }
      break;
    case 'kubernetes.io/dockercfg':
      need('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      need('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!s.data?.username && !s.data?.password) {
        errs.push(required(dataPath.key('username'), ''));
        errs.push(required(dataPath.key('password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      need('ssh-privatekey');
      break;
    case 'kubernetes.io/tls':
      need('tls.crt');
      need('tls.key');
      break;
    default:
      if (s.type) errs.push(...validateQualifiedName(s.type, Path.new('type')));
  }
  return errs;
}

export function validateSecretUpdate(s: Secret, old: Secret): FieldError[] {
  const errs = metaUpdate(s, old);
  if ((s.type ?? '') !== (old.type ?? ''))
    errs.push(invalid(Path.new('type'), s.type ?? '', FIELD_IMMUTABLE));
  errs.push(...validateImmutableData(s, old));
  errs.push(...validateSecret(s).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}

export function validateServiceAccount(sa: ServiceAccount): FieldError[] {
  return validateMeta(sa.metadata, true);
}

// ----- Events

export function validateEvent(ev: Event): FieldError[] {
  const meta = ev.metadata ?? {};
  const errs = validateObjectMeta(meta, {
    requiresNamespace: true,
    nameFn: validatePathSegmentName,
  });
  const io = ev.involvedObject ?? {};
  const ns = meta.namespace ?? '';
  if (io.namespace && ns !== io.namespace && ns !== 'default') {
    errs.push(
      invalid(
        Path.new('involvedObject', 'namespace'),
        io.namespace,
        'does not match event.namespace',
      ),
    );
  }
  if (ev.type !== undefined && ev.type !== '' && ev.type !== 'Normal' && ev.type !== 'Warning') {
    // The core/v1 API tolerates other types for old clients; only events with reportingController are strict.
    if (ev.reportingComponent)
      errs.push(notSupported(Path.new('type'), ev.type, ['Normal', 'Warning']));
  }
  if ((ev.reason ?? '').length > 128) errs.push(tooLong(Path.new('reason'), '', 128));
  if ((ev.message ?? '').length > 4096 && ev.reportingComponent)
    errs.push(tooLong(Path.new('message'), '', 4096));
  return errs;
}

export function validateEventsV1Event(ev: EventsV1Event): FieldError[] {
  const meta = ev.metadata ?? {};
  const errs = validateObjectMeta(meta, {
    requiresNamespace: true,
    nameFn: validatePathSegmentName,
  });
  if (!ev.eventTime) errs.push(required(Path.new('eventTime'), ''));
  if (ev.type !== 'Normal' && ev.type !== 'Warning')
    errs.push(notSupported(Path.new('type'), ev.type ?? '', ['Normal', 'Warning']));
  if (!ev.reportingController) errs.push(required(Path.new('reportingController'), ''));
  else errs.push(...validateQualifiedName(ev.reportingController, Path.new('reportingController')));
  if (!ev.reportingInstance) errs.push(required(Path.new('reportingInstance'), ''));
  if (!ev.action) errs.push(required(Path.new('action'), ''));
  if (!ev.reason) errs.push(required(Path.new('reason'), ''));
  if ((ev.note ?? '').length > 1024) errs.push(tooLong(Path.new('note'), '', 1024));
  return errs;
}

// ----- Endpoints / EndpointSlice

export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs = validateMeta(ep.metadata, true);
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = Path.new('subsets').at(i);
    if ((ss.addresses?.length ?? 0) + (ss.notReadyAddresses?.length ?? 0) === 0) {
      // Upstream tolerates empty subsets; nothing to report.
    }
    for (const [list, name] of [
      [ss.addresses, 'addresses'],
      [ss.notReadyAddresses, 'notReadyAddresses'],
    ] as const) {
      (list ?? []).forEach((a, j) => {
        const ap = p.child(name).at(j);
        errs.push(...validateIP(a.ip ?? '', ap.child('ip')));
        if (a.hostname) errs.push(...validateDNS1123Label(a.hostname, ap.child('hostname')));
        if (a.nodeName)
          for (const m of nameIsDNSSubdomain(a.nodeName, false))
            errs.push(invalid(ap.child('nodeName'), a.nodeName, m));
      });
    }
    (ss.ports ?? []).forEach((port, j) => {
      const pp = p.child('ports').at(j);
      if ((ss.ports?.length ?? 0) > 1 && !port.name) errs.push(required(pp.child('name'), ''));
      if (port.name) errs.push(...validateDNS1123Label(port.name, pp.child('name')));
      for (const m of isValidPortNum(port.port)) errs.push(invalid(pp.child('port'), port.port, m));
      errs.push(...validateEnum(port.protocol, ['SCTP', 'TCP', 'UDP'], pp.child('protocol')));
    });
  });
  return errs;
}

export function validateEndpointSlice(es: EndpointSlice): FieldError[] {
  const errs = validateMeta(es.metadata, true);
  errs.push(...validateEnum(es.addressType, ['FQDN', 'IPv4', 'IPv6'], Path.new('addressType')));
  const ep = Path.new('endpoints');
  if ((es.endpoints?.length ?? 0) > 1000)
    errs.push(invalid(ep, es.endpoints.length, 'must have at most 1000 items'));
  (es.endpoints ?? []).forEach((e, i) => {
    const p = ep.at(i);
    const addrs = e.addresses ?? [];
    if (addrs.length === 0)
      errs.push(required(p.child('addresses'), 'must contain at least 1 address'));
    else if (addrs.length > 100)
      errs.push(invalid(p.child('addresses'), addrs.length, 'must have at most 100 items'));
    addrs.forEach((a, j) => {
      const ap = p.child('addresses').at(j);
      if (es.addressType === 'FQDN') errs.push(...validateDNS1123Subdomain(a, ap));
      else errs.push(...validateIP(a, ap));
    });
    if (e.hostname) errs.push(...validateDNS1123Label(e.hostname, p.child('hostname')));
    if (e.nodeName)
      for (const m of nameIsDNSSubdomain(e.nodeName, false))
        errs.push(invalid(p.child('nodeName'), e.nodeName, m));
  });
  const names = new Set<string>();
  (es.ports ?? []).forEach((port, i) => {
    const p = Path.new('ports').at(i);
    const name = port.name ?? '';
    if (name) errs.push(...validateDNS1123Label(name, p.child('name')));
    if (names.has(name)) errs.push(duplicate(p.child('name'), name));
    names.add(name);
    if (port.port !== undefined)
      for (const m of isValidPortNum(port.port)) errs.push(invalid(p.child('port'), port.port, m));
    errs.push(...validateEnum(port.protocol, ['SCTP', 'TCP', 'UDP'], p.child('protocol')));
  });
  return errs;
}

export function validateEndpointSliceUpdate(es: EndpointSlice, old: EndpointSlice): FieldError[] {
  const errs = metaUpdate(es, old);
  if (es.addressType !== old.addressType)
    errs.push(invalid(Path.new('addressType'), es.addressType, FIELD_IMMUTABLE));
  errs.push(...validateEndpointSlice(es).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}

// ----- Lease

export function validateLease(lease: Lease): FieldError[] {
  const errs = validateMeta(lease.metadata, true);
  const s = lease.spec ?? {};
  const p = Path.new('spec');
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds <= 0) {
    errs.push(
      invalid(p.child('leaseDurationSeconds'), s.leaseDurationSeconds, 'must be greater than 0'),
    );
  }
  if (s.leaseTransitions !== undefined && s.leaseTransitions < 0) {
    errs.push(
      invalid(
        p.child('leaseTransitions'),
        s.leaseTransitions,
        'must be greater than or equal to 0',
      ),
    );
  }
  if (s.strategy !== undefined)
    errs.push(...validateEnum(s.strategy, ['OldestEmulationVersion'], p.child('strategy')));
  if (s.preferredHolder && !s.strategy)
    errs.push(
      forbidden(p.child('preferredHolder'), 'may only be specified if `strategy` is defined'),
    );
  return errs;
}

// ----- LimitRange / ResourceQuota

export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs = validateMeta(lr.metadata, true);
  const types = new Set<string>();
  (lr.spec?.limits ?? []).forEach((item, i) => {
    const p = Path.new('spec', 'limits').at(i);
    if (types.has(item.type)) errs.push(duplicate(p.child('type'), item.type));
    types.add(item.type);
    errs.push(
      ...validateEnum(item.type, ['Container', 'PersistentVolumeClaim', 'Pod'], p.child('type')),
    );
    for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
      errs.push(...validateResourceList(item[f], p.child(f)));
    }
    if (item.type === 'Pod' && (item.default || item.defaultRequest)) {
      if (item.default)
        errs.push(forbidden(p.child('default'), "may not be specified when `type` is 'Pod'"));
      if (item.defaultRequest)
        errs.push(
          forbidden(p.child('defaultRequest'), "may not be specified when `type` is 'Pod'"),
        );
    }
    for (const k of Object.keys(item.min ?? {}).sort()) {
      const min = Quantity.parse(item.min![k]!);
      const maxStr = item.max?.[k];
      if (maxStr !== undefined) {
        const max = Quantity.parse(maxStr);
        if (min.cmp(max) > 0) {
          errs.push(
            invalid(
              p.child('min').key(k),
              min.toString(),
              `min value ${min.toString()} is greater than max value ${max.toString()}`,
            ),
          );
        }
      }
    }
  });
  return errs;
}

const QUOTA_SCOPES = [
  'BestEffort',
  'CrossNamespacePodAffinity',
  'NotBestEffort',
  'NotTerminating',
  'PriorityClass',
  'Terminating',
  'VolumeAttributesClass',
];

export function validateResourceQuota(rq: ResourceQuota): FieldError[] {
  const errs = validateMeta(rq.metadata, true);
  errs.push(...validateResourceList(rq.spec?.hard, Path.new('spec', 'hard')));
  (rq.spec?.scopes ?? []).forEach((s, i) => {
    if (!QUOTA_SCOPES.includes(s))
      errs.push(notSupported(Path.new('spec', 'scopes').at(i), s, QUOTA_SCOPES));
  });
  return errs;
}

export function validateResourceQuotaStatusUpdate(
  rq: ResourceQuota,
  old: ResourceQuota,
): FieldError[] {
  const errs = metaUpdate(rq, old);
  errs.push(...validateResourceList(rq.status?.hard, Path.new('status', 'hard')));
  errs.push(...validateResourceList(rq.status?.used, Path.new('status', 'used')));
  return errs;
}

// ----- policy/v1

export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldError[] {
  const errs = validateMeta(pdb.metadata, true);
  const s = pdb.spec ?? {};
  const p = Path.new('spec');
  if (s.minAvailable !== undefined && s.maxUnavailable !== undefined) {
    errs.push(
      invalid(
        p,
        new GoLiteral('policy.PodDisruptionBudgetSpec{...}'),
        'minAvailable and maxUnavailable cannot be both set',
      ),
    );
  }
  errs.push(...validateIntOrPercent(s.minAvailable, p.child('minAvailable')));
  errs.push(...validateIntOrPercent(s.maxUnavailable, p.child('maxUnavailable')));
  errs.push(...validateLabelSelector(s.selector, {}, p.child('selector')));
  if (s.unhealthyPodEvictionPolicy !== undefined) {
    errs.push(
      ...validateEnum(
        s.unhealthyPodEvictionPolicy,
        ['AlwaysAllow', 'IfHealthyBudget'],
        p.child('unhealthyPodEvictionPolicy'),
      ),
    );
  }
  return errs;
}

export function validatePodDisruptionBudgetStatusUpdate(
  pdb: PodDisruptionBudget,
  old: PodDisruptionBudget,
): FieldError[] {
  const errs = metaUpdate(pdb, old);
  for (const f of [
    'disruptionsAllowed',
    'currentHealthy',
    'desiredHealthy',
    'expectedPods',
  ] as const) {
    const v = pdb.status?.[f];
    if (v !== undefined && v < 0)
      errs.push(invalid(Path.new('status', f), v, 'must be greater than or equal to 0'));
  }
  return errs;
}

// ----- scheduling/v1

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

export function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const errs = validateMeta(pc.metadata, false);
  const name = pc.metadata?.name ?? '';
  const system = SYSTEM_PRIORITY_CLASSES[name];
  if (system !== undefined) {
    if (pc.value !== system) {
      errs.push(
        forbidden(Path.new('value'), `value of system priority class ${name} must be ${system}`),
      );
    }
  } else {
    if (name.startsWith('system-')) {
      errs.push(
        invalid(
          Path.new('metadata', 'name'),
          name,
          "priority class names with 'system-' prefix are reserved",
        ),
      );
    }
    if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
      errs.push(
        forbidden(
          Path.new('value'),
          `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
        ),
      );
    }
  }
  if (pc.preemptionPolicy !== undefined) {
    errs.push(
      ...validateEnum(
        pc.preemptionPolicy,
        ['Never', 'PreemptLowerPriority'],
        Path.new('preemptionPolicy'),
      ),
    );
  }
  return errs;
}

export function validatePriorityClassUpdate(pc: PriorityClass, old: PriorityClass): FieldError[] {
  const errs = metaUpdate(pc, old);
  if (pc.value !== old.value)
    errs.push(forbidden(Path.new('value'), 'may not be changed in an update.'));
  if (pc.preemptionPolicy !== old.preemptionPolicy)
    errs.push(invalid(Path.new('preemptionPolicy'), pc.preemptionPolicy ?? '', FIELD_IMMUTABLE));
  return errs;
}

// ----- rbac/v1

function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if ((rule.verbs?.length ?? 0) === 0)
    errs.push(required(path.child('verbs'), 'verbs must contain at least one value'));
  const nonResource = rule.nonResourceURLs ?? [];
  if (nonResource.length > 0) {
    if (namespaced) {
      errs.push(
        invalid(
          path.child('nonResourceURLs'),
          nonResource,
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    }
    if (
      (rule.apiGroups?.length ?? 0) > 0 ||
      (rule.resources?.length ?? 0) > 0 ||
      (rule.resourceNames?.length ?? 0) > 0
    ) {
      errs.push(
        invalid(
          path.child('nonResourceURLs'),
          nonResource,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if ((rule.apiGroups?.length ?? 0) === 0)
    errs.push(
      required(path.child('apiGroups'), 'resource rules must supply at least one api group'),
    );
  if ((rule.resources?.length ?? 0) === 0)
    errs.push(
      required(path.child('resources'), 'resource rules must supply at least one resource'),
    );
  return errs;
}

export function validateRole(role: Role): FieldError[] {
  const errs = validateMeta(role.metadata, true, validatePathSegmentName);
  (role.rules ?? []).forEach((r, i) =>
    errs.push(...validatePolicyRule(r, true, Path.new('rules').at(i))),
  );
  return errs;
}

export function validateClusterRole(role: ClusterRole): FieldError[] {
  const errs = validateMeta(role.metadata, false, validatePathSegmentName);
  (role.rules ?? []).forEach((r, i) =>
    errs.push(...validatePolicyRule(r, false, Path.new('rules').at(i))),
  );
  (role.aggregationRule?.clusterRoleSelectors ?? []).forEach((s, i) =>
    errs.push(
      ...validateLabelSelector(s, {}, Path.new('aggregationRule', 'clusterRoleSelectors').at(i)),
    ),
  );
  if (role.aggregationRule && (role.aggregationRule.clusterRoleSelectors?.length ?? 0) === 0) {
    errs.push(
      required(
        Path.new('aggregationRule', 'clusterRoleSelectors'),
        'at least one clusterRoleSelector required if aggregationRule is non-nil',
      ),
    );
  }
  return errs;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function validateRoleBinding(rb: RoleBinding, namespaced: boolean): FieldError[] {
  const errs = validateMeta(rb.metadata, namespaced, validatePathSegmentName);
  const ref = rb.roleRef ?? { apiGroup: '', kind: '', name: '' };
  const rp = Path.new('roleRef');
  if (ref.apiGroup !== RBAC_GROUP)
    errs.push(notSupported(rp.child('apiGroup'), ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported(rp.child('kind'), ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required(rp.child('name'), ''));
  else
    for (const m of validatePathSegmentName(ref.name, false))
      errs.push(invalid(rp.child('name'), ref.name, m));
  (rb.subjects ?? []).forEach((s, i) => {
    const p = Path.new('subjects').at(i);
    if (!s.name) errs.push(required(p.child('name'), ''));
    switch (s.kind) {
      case 'ServiceAccount':
        if (s.name)
          for (const m of nameIsDNSSubdomain(s.name, false))
            errs.push(invalid(p.child('name'), s.name, m));
        if (s.apiGroup) errs.push(notSupported(p.child('apiGroup'), s.apiGroup, ['']));
        if (!namespaced && !s.namespace) errs.push(required(p.child('namespace'), ''));
        break;
      case 'User':
      case 'Group':
        if (s.apiGroup !== RBAC_GROUP)
          errs.push(notSupported(p.child('apiGroup'), s.apiGroup ?? '', [RBAC_GROUP]));
        break;
      default:
        errs.push(notSupported(p.child('kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

export function validateRoleBindingUpdate(
  rb: RoleBinding,
  old: RoleBinding,
  namespaced: boolean,
): FieldError[] {
  const errs = metaUpdate(rb, old);
  if (!jsonEqual(rb.roleRef ?? null, old.roleRef ?? null)) {
    errs.push(
      invalid(
        Path.new('roleRef'),
        new GoLiteral(
          `rbac.RoleRef{APIGroup:"${rb.roleRef?.apiGroup ?? ''}", Kind:"${rb.roleRef?.kind ?? ''}", Name:"${rb.roleRef?.name ?? ''}"}`,
        ),
        'cannot change roleRef',
      ),
    );
  }
  errs.push(...validateRoleBinding(rb, namespaced).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}

// ----- admissionregistration/v1

const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];

function validateWebhooks(
  hooks: (ValidatingWebhookConfiguration['webhooks'] & object) | undefined,
  mutating: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (hooks ?? []).forEach((w, i) => {
    const p = Path.new('webhooks').at(i);
    if (names.has(w.name)) errs.push(duplicate(p.child('name'), w.name));
    names.add(w.name);
    const nameErrs = validateDNS1123Subdomain(w.name ?? '', p.child('name'));
    errs.push(...nameErrs);
    if (nameErrs.length === 0 && (w.name ?? '').split('.').length < 3) {
      errs.push(
        invalid(
          p.child('name'),
          w.name,
          'should be a domain with at least three segments separated by dots',
        ),
      );
    }
    const cc = w.clientConfig ?? {};
    if ((cc.url === undefined) === (cc.service === undefined)) {
      errs.push(required(p.child('clientConfig'), 'exactly one of url or service is required'));
    }
    if (cc.url !== undefined) {
      let u: URL | undefined;
      try {
        u = new URL(cc.url);
      } catch {
        errs.push(invalid(p.child('clientConfig', 'url'), cc.url, 'host must be specified'));
      }
      if (u && u.protocol !== 'https:')
        errs.push(
          invalid(
            p.child('clientConfig', 'url'),
            u.protocol.replace(':', ''),
            "'https' is the only allowed URL scheme",
          ),
        );
      if (u && (u.username || u.password))
        errs.push(
          invalid(
            p.child('clientConfig', 'url'),
            '<redacted>',
            'user information is not permitted in the URL',
          ),
        );
    }
    if (cc.service) {
      const sp = p.child('clientConfig', 'service');
      if (!cc.service.name) errs.push(required(sp.child('name'), 'service name is required'));
      if (!cc.service.namespace)
        errs.push(required(sp.child('namespace'), 'service namespace is required'));
      if (cc.service.port !== undefined)
        for (const m of isValidPortNum(cc.service.port))
          errs.push(invalid(sp.child('port'), cc.service.port, m));
      if (cc.service.path && !cc.service.path.startsWith('/'))
        errs.push(invalid(sp.child('path'), cc.service.path, "must start with a '/'"));
    }
    (w.rules ?? []).forEach((r, j) => {
      const rp = p.child('rules').at(j);
      if ((r.operations?.length ?? 0) === 0) errs.push(required(rp.child('operations'), ''));
      (r.operations ?? []).forEach((op, k) => {
        if (!OPERATIONS.includes(op))
          errs.push(notSupported(rp.child('operations').at(k), op, OPERATIONS));
      });
      if ((r.apiGroups?.length ?? 0) === 0) errs.push(required(rp.child('apiGroups'), ''));
      if ((r.apiVersions?.length ?? 0) === 0) errs.push(required(rp.child('apiVersions'), ''));
      if ((r.resources?.length ?? 0) === 0) errs.push(required(rp.child('resources'), ''));
      if (r.scope !== undefined)
        errs.push(...validateEnum(r.scope, ['*', 'Cluster', 'Namespaced'], rp.child('scope')));
    });
    errs.push(...validateEnum(w.failurePolicy, ['Fail', 'Ignore'], p.child('failurePolicy')));
    errs.push(...validateEnum(w.matchPolicy, ['Equivalent', 'Exact'], p.child('matchPolicy')));
    errs.push(...validateEnum(w.sideEffects, ['None', 'NoneOnDryRun'], p.child('sideEffects')));
    if (w.timeoutSeconds !== undefined && (w.timeoutSeconds < 1 || w.timeoutSeconds > 30)) {
      errs.push(
        invalid(
          p.child('timeoutSeconds'),
          w.timeoutSeconds,
          'the timeout value must be between 1 and 30 seconds',
        ),
      );
    }
    const versions = w.admissionReviewVersions ?? [];
    if (!versions.some((v) => v === 'v1' || v === 'v1beta1')) {
      errs.push(required(p.child('admissionReviewVersions'), 'must specify one of v1, v1beta1'));
    }
    errs.push(...validateLabelSelector(w.namespaceSelector, {}, p.child('namespaceSelector')));
    errs.push(...validateLabelSelector(w.objectSelector, {}, p.child('objectSelector')));
    if (mutating) {
      const rip = (w as { reinvocationPolicy?: string }).reinvocationPolicy;
      errs.push(...validateEnum(rip, ['IfNeeded', 'Never'], p.child('reinvocationPolicy')));
    }
    const condNames = new Set<string>();
    (w.matchConditions ?? []).forEach((mc, j) => {
      const mp = p.child('matchConditions').at(j);
      if (!mc.name) errs.push(required(mp.child('name'), ''));
      else errs.push(...validateQualifiedName(mc.name, mp.child('name')));
      if (condNames.has(mc.name)) errs.push(duplicate(mp.child('name'), mc.name));
      condNames.add(mc.name);
      if (!mc.expression) errs.push(required(mp.child('expression'), ''));
    });
  });
  return errs;
}

export function validateValidatingWebhookConfiguration(
  c: ValidatingWebhookConfiguration,
): FieldError[] {
  return [...validateMeta(c.metadata, false), ...validateWebhooks(c.webhooks, false)];
}

export function validateMutatingWebhookConfiguration(
  c: MutatingWebhookConfiguration,
): FieldError[] {
  return [...validateMeta(c.metadata, false), ...validateWebhooks(c.webhooks, true)];
}
