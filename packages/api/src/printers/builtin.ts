/**
 * Server-side table printers for the built-in kinds, port of pkg/printers/internalversion:
 * upstream's exact column names, types and priorities, and the cells its print functions
 * produce. The server always generates wide rows (priority>0 columns included); kubectl hides
 * them without `-o wide`.
 */
import {
  formatLabels,
  labelSelectorAsSelector,
  type JsonValue,
  type LabelSelector,
  type TableColumnDefinition,
} from '@kubets/apimachinery';
import type {
  ConfigMap,
  Container,
  Endpoints,
  Event,
  Namespace,
  Node,
  Pod,
  ResourceQuota,
  Secret,
  Service,
  ServiceAccount,
} from '../types/core-v1.js';
import type {
  DaemonSet,
  Deployment,
  EndpointSlice,
  Job,
  Lease,
  MutatingWebhookConfiguration,
  PodDisruptionBudget,
  PriorityClass,
  ReplicaSet,
  RoleBinding,
  Scale,
  StatefulSet,
} from '../types/groups.js';
import { humanDuration, timeMs, timeSince } from './duration.js';

/** A kind's table: its columns and the function producing one row's cells. */
export interface Printer {
  columns: TableColumnDefinition[];
  /** Cells for one object; `now` is milliseconds since the epoch (for AGE and durations). */
  row(obj: unknown, now: number): JsonValue[];
  /** Row conditions (pods that completed carry `Completed`). */
  conditions?(
    obj: unknown,
  ): { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string }[];
}

const NAME_DESC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

type ColSpec = [
  name: string,
  type: string,
  priority?: number,
  description?: string,
  format?: string,
];

function cols(...specs: ColSpec[]): TableColumnDefinition[] {
  return specs.map(([name, type, priority = 0, description = '', format = '']) => ({
    name,
    type,
    format: name === 'Name' && format === '' ? 'name' : format,
    description: description || (name === 'Name' ? NAME_DESC : name === 'Age' ? AGE_DESC : ''),
    priority,
  }));
}

const CONTAINERS_DESC = 'Names of each container in the template.';
const IMAGES_DESC = 'Images referenced by each container in the template.';

/** layoutContainerCells: comma-joined names and images. */
export function layoutContainerCells(containers: Container[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

/** metav1.FormatLabelSelector: `<none>` for empty, `<error>` if unconvertible. */
export function formatLabelSelector(sel: LabelSelector | undefined): string {
  try {
    const s = labelSelectorAsSelector(sel ?? null).toString();
    return s.length === 0 ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

const meta = (
  o: unknown,
): {
  name?: string;
  creationTimestamp?: string | null;
  deletionTimestamp?: string | null;
  labels?: Record<string, string>;
} => (o as { metadata?: object }).metadata ?? {};

// ---------------------------------------------------------------------------------------------
// Pods

const podColumns = cols(
  ['Name', 'string'],
  ['Ready', 'string', 0, 'The aggregate readiness state of this pod for accepting traffic.'],
  ['Status', 'string', 0, 'The aggregate status of the containers in this pod.'],
  [
    'Restarts',
    'string',
    0,
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ],
  ['Age', 'string'],
  ['IP', 'string', 1, 'podIP is the IP address allocated to the pod.'],
  ['Node', 'string', 1, 'NodeName indicates in which node this pod is scheduled.'],
  [
    'Nominated Node',
    'string',
    1,
    'nominatedNodeName is set only when this pod preempts other pods on the node.',
  ],
  [
    'Readiness Gates',
    'string',
    1,
    'If specified, all readiness gates will be evaluated for pod readiness.',
  ],
);

/** printPod: READY, STATUS (with the Init:/Terminating/reason logic), RESTARTS with last restart age. */
export function printPod(pod: Pod, now: number): JsonValue[] {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = (spec.containers ?? []).length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  let reason: string = status.phase ?? '';
  if (status.reason) reason = status.reason;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initContainers = new Map((spec.initContainers ?? []).map((c) => [c.name, c]));
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') totalContainers++;
  const finished = (s: { lastState?: { terminated?: { finishedAt?: string } } }): number =>
    timeMs(s.lastState?.terminated?.finishedAt) ?? 0;
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += cs.restartCount ?? 0;
    if (cs.lastState?.terminated) lastRestart = Math.max(lastRestart, finished(cs));
    const sidecar = initContainers.get(cs.name)?.restartPolicy === 'Always';
    if (sidecar) {
      restartableInitRestarts += cs.restartCount ?? 0;
      if (cs.lastState?.terminated)
        lastRestartableInitRestart = Math.max(lastRestartableInitRestart, finished(cs));
    }
    const term = cs.state?.terminated;
    const wait = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (term) {
      reason = term.reason
        ? 'Init:' + term.reason
        : term.signal
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode}`;
    } else if (wait?.reason && wait.reason !== 'PodInitializing') {
      reason = 'Init:' + wait.reason;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    }
    initializing = true;
    break;
  }
  const initializedTrue =
    (status.conditions ?? []).find((c) => c.type === 'Initialized')?.status === 'True';
  if (!initializing || initializedTrue) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      if (cs.lastState?.terminated) lastRestart = Math.max(lastRestart, finished(cs));
      const wait = cs.state?.waiting;
      const term = cs.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = (status.conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      );
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  const phase = status.phase ?? '';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed')
    reason = 'Terminating';
  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== 0)
    restartsStr = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  const podIP = status.podIPs?.[0]?.ip || '<none>';
  const gates = spec.readinessGates ?? [];
  let readinessGates = '<none>';
  if (gates.length > 0) {
    let trueCount = 0;
    for (const g of gates) {
      const c = (status.conditions ?? []).find((x) => x.type === g.conditionType);
      if (c?.status === 'True') trueCount++;
    }
    readinessGates = `${trueCount}/${gates.length}`;
  }
  return [
    pod.metadata?.name ?? '',
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsStr,
    timeSince(pod.metadata?.creationTimestamp, now),
    podIP,
    spec.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    readinessGates,
  ];
}

const podPrinter: Printer = {
  columns: podColumns,
  row: (o, now) => printPod(o as Pod, now),
  conditions: (o) => {
    const phase = (o as Pod).status?.phase;
    if (phase === 'Succeeded')
      return [
        {
          type: 'Completed',
          status: 'True',
          reason: 'Succeeded',
          message: 'The pod has completed successfully.',
        },
      ];
    if (phase === 'Failed')
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return [];
  },
};

// ---------------------------------------------------------------------------------------------
// Services, endpoints, nodes

function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const ext = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return ext.length > 0 ? ext.join(',') : '<none>';
    case 'LoadBalancer': {
      const set = new Set<string>();
      for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
        if (ing.ip) set.add(ing.ip);
        else if (ing.hostname) set.add(ing.hostname);
      }
      const lb = [...set].sort();
      if (ext.length > 0) return [...lb, ...ext].join(',');
      return lb.length > 0 ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

export function servicePorts(svc: Service): string {
  const s = (svc.spec?.ports ?? [])
    .map((p) =>
      p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? ''}` : `${p.port}/${p.protocol ?? ''}`,
    )
    .join(',');
  return s.length === 0 ? '<none>' : s;
}

const servicePrinter: Printer = {
  columns: cols(
    ['Name', 'string'],
    ['Type', 'string', 0, 'type determines how the Service is exposed.'],
    [
      'Cluster-IP',
      'string',
      0,
      'clusterIP is the IP address of the service and is usually assigned randomly.',
    ],
    [
      'External-IP',
      'string',
      0,
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ],
    ['Port(s)', 'string', 0, 'The list of ports that are exposed by this service.'],
    ['Age', 'string'],
    [
      'Selector',
      'string',
      1,
      'Route service traffic to pods with label keys and values matching this selector.',
    ],
  ),
  row: (o, now) => {
    const svc = o as Service;
    return [
      svc.metadata?.name ?? '',
      svc.spec?.type ?? '',
      svc.spec?.clusterIPs?.[0] ?? '<none>',
      serviceExternalIP(svc),
      servicePorts(svc),
      timeSince(svc.metadata?.creationTimestamp, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ss.ports ?? []) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip.includes(':') ? `[${a.ip}]:${port.port}` : `${a.ip}:${port.port}`);
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

function findNodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return [...roles].sort();
}

const nodePrinter: Printer = {
  columns: cols(
    ['Name', 'string'],
    ['Status', 'string', 0, 'The status of the node'],
    ['Roles', 'string', 0, 'The roles of the node'],
    ['Age', 'string'],
    ['Version', 'string', 0, 'Kubelet Version reported by the node.'],
    ['Internal-IP', 'string', 1, 'List of addresses reachable to the node.'],
    ['External-IP', 'string', 1, 'List of addresses reachable to the node.'],
    [
      'OS-Image',
      'string',
      1,
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
    ],
    [
      'Kernel-Version',
      'string',
      1,
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    ],
    [
      'Container-Runtime',
      'string',
      1,
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
    ],
  ),
  row: (o, now) => {
    const node = o as Node;
    const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
    const status: string[] = [];
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    else status.push('Unknown');
    if (node.spec?.unschedulable) status.push('SchedulingDisabled');
    const roles = findNodeRoles(node).join(',') || '<none>';
    const info = node.status?.nodeInfo;
    const addr = (t: string): string =>
      (node.status?.addresses ?? []).find((a) => a.type === t)?.address ?? '<none>';
    return [
      node.metadata?.name ?? '',
      status.join(','),
      roles,
      timeSince(node.metadata?.creationTimestamp, now),
      info?.kubeletVersion ?? '',
      addr('InternalIP'),
      addr('ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// Workloads

const workloadWide: ColSpec[] = [
  ['Containers', 'string', 1, CONTAINERS_DESC],
  ['Images', 'string', 1, IMAGES_DESC],
];

const deploymentPrinter: Printer = {
  columns: cols(
    ['Name', 'string'],
    ['Ready', 'string', 0, 'Number of the pod with ready state'],
    [
      'Up-to-date',
      'string',
      0,
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ],
    [
      'Available',
      'string',
      0,
      'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.',
    ],
    ['Age', 'string'],
    ...workloadWide,
    ['Selector', 'string', 1, 'Label selector for pods.'],
  ),
  row: (o, now) => {
    const d = o as Deployment;
    const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
    let selector: string;
    try {
      selector = labelSelectorAsSelector(d.spec?.selector ?? null).toString();
    } catch {
      selector = '<invalid>';
    }
    return [
      d.metadata?.name ?? '',
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      timeSince(d.metadata?.creationTimestamp, now),
      names,
      images,
      selector,
    ];
  },
};

const replicaSetPrinter: Printer = {
  columns: cols(
    ['Name', 'string'],
    ['Desired', 'integer', 0, 'Replicas is the number of desired pods.'],
    ['Current', 'integer', 0, 'Replicas is the most recently observed number of replicas.'],
    ['Ready', 'integer', 0, 'The number of ready replicas for this replica set.'],
    ['Age', 'string'],
    ...workloadWide,
    [
      'Selector',
      'string',
      1,
      'Selector is a label query over pods that should match the replica count.',
    ],
  ),
  row: (o, now) => {
    const rs = o as ReplicaSet;
    const [names, images] = layoutContainerCells(rs.spec?.template?.spec?.containers);
    return [
      rs.metadata?.name ?? '',
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      timeSince(rs.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};

const daemonSetPrinter: Printer = {
  columns: cols(
    ['Name', 'string'],
    ['Desired', 'integer', 0, 'The total number of nodes that should be running the daemon pod.'],
    [
      'Current',
      'integer',
      0,
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
    ],
    [
      'Ready',
      'integer',
      0,
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
    ],
    ['Up-to-date', 'integer', 0, 'The total number of nodes that are running updated daemon pod'],
    [
      'Available',
      'integer',
      0,
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
    ],
    [
      'Node Selector',
      'string',
      0,
      'NodeSelector is a selector which must be true for the pod to fit on a node.',
    ],
    ['Age', 'string'],
    ...workloadWide,
    ['Selector', 'string', 1, 'A label query over pods that are managed by the daemon set.'],
  ),
  row: (o, now) => {
    const ds = o as DaemonSet;
    const s = ds.status;
    const [names, images] = layoutContainerCells(ds.spec?.template?.spec?.containers);
    return [
      ds.metadata?.name ?? '',
      s?.desiredNumberScheduled ?? 0,
      s?.currentNumberScheduled ?? 0,
      s?.numberReady ?? 0,
      s?.updatedNumberScheduled ?? 0,
      s?.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      timeSince(ds.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

const statefulSetPrinter: Printer = {
  columns: cols(
    ['Name', 'string'],
    ['Ready', 'string', 0, 'Number of the pod with ready state'],
    ['Age', 'string'],
    ...workloadWide,
  ),
  row: (o, now) => {
    const ss = o as StatefulSet;
    const [names, images] = layoutContainerCells(ss.spec?.template?.spec?.containers);
    return [
      ss.metadata?.name ?? '',
      `${ss.status?.readyReplicas ?? 0}/${ss.spec?.replicas ?? 0}`,
      timeSince(ss.metadata?.creationTimestamp, now),
      names,
      images,
    ];
  },
};

const hasJobCondition = (job: Job, type: string): boolean =>
  (job.status?.conditions ?? []).find((c) => c.type === type)?.status === 'True';

const jobPrinter: Printer = {
  columns: cols(
    ['Name', 'string'],
    ['Status', 'string', 0, 'Status of the job.'],
    ['Completions', 'string', 0, 'The number of pods which reached phase Succeeded.'],
    ['Duration', 'string', 0, 'Time required to complete the job.'],
    ['Age', 'string'],
    ...workloadWide,
    ['Selector', 'string', 1, 'A label query over pods that should match the pod count.'],
  ),
  row: (o, now) => {
    const job = o as Job;
    const succeeded = job.status?.succeeded ?? 0;
    let completions: string;
    if (job.spec?.completions !== undefined) completions = `${succeeded}/${job.spec.completions}`;
    else {
      const par = job.spec?.parallelism ?? 0;
      completions = par > 1 ? `${succeeded}/1 of ${par}` : `${succeeded}/1`;
    }
    const start = timeMs(job.status?.startTime);
    const end = timeMs(job.status?.completionTime);
    const duration = start === undefined ? '' : humanDuration((end ?? now) - start);
    let status = 'Running';
    if (hasJobCondition(job, 'Complete')) status = 'Complete';
    else if (hasJobCondition(job, 'Failed')) status = 'Failed';
    else if (job.metadata?.deletionTimestamp) status = 'Terminating';
    else if (hasJobCondition(job, 'Suspended')) status = 'Suspended';
    else if (hasJobCondition(job, 'FailureTarget')) status = 'FailureTarget';
    const [names, images] = layoutContainerCells(job.spec?.template?.spec?.containers);
    return [
      job.metadata?.name ?? '',
      status,
      completions,
      duration,
      timeSince(job.metadata?.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(job.spec?.selector),
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// Everything else

const simple = (extra: ColSpec[], cells: (o: never) => JsonValue[], ageLast = true): Printer => ({
  columns: cols(
    ['Name', 'string'],
    ...extra,
    ...(ageLast ? ([['Age', 'string']] as ColSpec[]) : []),
  ),
  row: (o, now) => [
    meta(o).name ?? '',
    ...cells(o as never),
    ...(ageLast ? [timeSince(meta(o).creationTimestamp, now)] : []),
  ],
});

const namespacePrinter = simple(
  [['Status', 'string', 0, 'The status of the namespace']],
  (ns: Namespace) => [ns.status?.phase ?? ''],
);
const configMapPrinter = simple(
  [['Data', 'string', 0, 'Data contains the configuration data.']],
  (cm: ConfigMap) => [Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length],
);
const secretPrinter = simple(
  [
    ['Type', 'string', 0, 'Used to facilitate programmatic handling of secret data.'],
    ['Data', 'string', 0, 'Data contains the secret data.'],
  ],
  (s: Secret) => [s.type ?? '', Object.keys(s.data ?? {}).length],
);
const serviceAccountPrinter = simple(
  [
    [
      'Secrets',
      'string',
      0,
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ],
  ],
  (sa: ServiceAccount) => [(sa.secrets ?? []).length],
);
const endpointsPrinter = simple(
  [['Endpoints', 'string', 0, 'The set of all endpoints is the union of all subsets.']],
  (ep: Endpoints) => [formatEndpoints(ep)],
);
const endpointSlicePrinter = simple(
  [
    [
      'AddressType',
      'string',
      0,
      'addressType specifies the type of address carried by this EndpointSlice.',
    ],
    [
      'Ports',
      'string',
      0,
      'ports specifies the list of network ports exposed by each endpoint in this slice.',
    ],
    ['Endpoints', 'string', 0, 'endpoints is a list of unique endpoints in this slice.'],
  ],
  (es: EndpointSlice) => {
    const ports: string[] = [];
    let pc = 0;
    let pmore = false;
    for (const p of es.ports ?? []) {
      if (ports.length < 3) ports.push(p.port !== undefined ? String(p.port) : (p.name ?? '*'));
      else pmore = true;
      pc++;
    }
    const addrs: string[] = [];
    let ac = 0;
    let amore = false;
    for (const e of es.endpoints ?? []) {
      for (const a of e.addresses ?? []) {
        if (addrs.length < 3) addrs.push(a);
        else amore = true;
        ac++;
      }
    }
    return [
      es.addressType ?? '',
      listWithMore(ports, pmore, pc, 3),
      listWithMore(addrs, amore, ac, 3),
    ];
  },
);
const leasePrinter = simple(
  [
    [
      'Holder',
      'string',
      0,
      'holderIdentity contains the identity of the holder of a current lease.',
    ],
  ],
  (l: Lease) => [l.spec?.holderIdentity ?? ''],
);
const pdbPrinter = simple(
  [
    ['Min Available', 'string', 0, 'The minimum number of pods that must be available.'],
    ['Max Unavailable', 'string', 0, 'The maximum number of pods that may be unavailable.'],
    [
      'Allowed Disruptions',
      'integer',
      0,
      'Calculated number of pods that may be disrupted at this time.',
    ],
  ],
  (p: PodDisruptionBudget) => [
    p.spec?.minAvailable !== undefined ? String(p.spec.minAvailable) : 'N/A',
    p.spec?.maxUnavailable !== undefined ? String(p.spec.maxUnavailable) : 'N/A',
    p.status?.disruptionsAllowed ?? 0,
  ],
);
const webhookPrinter = simple(
  [
    [
      'Webhooks',
      'integer',
      0,
      'Webhooks indicates the number of webhooks registered in this configuration',
    ],
  ],
  (c: MutatingWebhookConfiguration) => [(c.webhooks ?? []).length],
);

const priorityClassPrinter: Printer = {
  columns: cols(
    ['Name', 'string'],
    ['Value', 'integer', 0, 'value represents the integer value of this priority class.'],
    [
      'Global-Default',
      'boolean',
      0,
      'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
    ],
    ['Age', 'string'],
    [
      'PreemptionPolicy',
      'string',
      0,
      'preemptionPolicy is the Policy for preempting pods with lower priority.',
    ],
  ),
  row: (o, now) => {
    const pc = o as PriorityClass;
    return [
      pc.metadata?.name ?? '',
      pc.value ?? 0,
      pc.globalDefault ?? false,
      timeSince(pc.metadata?.creationTimestamp, now),
      pc.preemptionPolicy ?? '',
    ];
  },
};

function subjectsStrings(rb: RoleBinding): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of rb.subjects ?? []) {
    if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
    else if (s.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

const roleBindingPrinter = (scope: string): Printer => ({
  columns: cols(
    ['Name', 'string'],
    [
      'Role',
      'string',
      0,
      'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
    ],
    ['Age', 'string'],
    ['Users', 'string', 1, `Users in the ${scope}`],
    ['Groups', 'string', 1, `Groups in the ${scope}`],
    ['ServiceAccounts', 'string', 1, `ServiceAccounts in the ${scope}`],
  ),
  row: (o, now) => {
    const rb = o as RoleBinding;
    return [
      rb.metadata?.name ?? '',
      `${rb.roleRef?.kind ?? ''}/${rb.roleRef?.name ?? ''}`,
      timeSince(rb.metadata?.creationTimestamp, now),
      ...subjectsStrings(rb),
    ];
  },
});

const resourceQuotaPrinter = simple(
  [
    [
      'Request',
      'string',
      0,
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ],
    [
      'Limit',
      'string',
      0,
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ],
  ],
  (rq: ResourceQuota) => {
    const req: string[] = [];
    const lim: string[] = [];
    for (const r of Object.keys(rq.status?.hard ?? {}).sort()) {
      const used = rq.status?.used?.[r] ?? '0';
      const entry = `${r}: ${used}/${rq.status!.hard![r]}`;
      const pieces = r.split('.');
      if (pieces.length > 1 && pieces[0] === 'limits') lim.push(entry);
      else req.push(entry);
    }
    return [req.join(', '), lim.join(', ')];
  },
);

function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

const eventPrinter: Printer = {
  columns: cols(
    [
      'Last Seen',
      'string',
      0,
      'The time at which the most recent occurrence of this event was recorded.',
    ],
    [
      'Type',
      'string',
      0,
      'Type of this event (Normal, Warning), new types could be added in the future',
    ],
    [
      'Reason',
      'string',
      0,
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ],
    ['Object', 'string', 0, 'The object that this event is about.'],
    [
      'Subobject',
      'string',
      1,
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go-field access statement.',
    ],
    [
      'Source',
      'string',
      1,
      'The component reporting this event. Should be a short machine understandable string.',
    ],
    ['Message', 'string', 0, 'A human-readable description of the status of this operation.'],
    [
      'First Seen',
      'string',
      1,
      'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
    ],
    ['Count', 'string', 1, 'The number of times this event has occurred.'],
    ['Name', 'string', 1, NAME_DESC, 'name'],
  ),
  row: (o, now) => {
    const ev = o as Event;
    let first = timeSince(ev.firstTimestamp, now);
    if (!ev.firstTimestamp) first = timeSince(ev.eventTime, now);
    let last = timeSince(ev.lastTimestamp, now);
    if (!ev.lastTimestamp) last = first;
    let count = ev.count ?? 0;
    if (ev.series) {
      last = timeSince(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) count = 1;
    const io = ev.involvedObject ?? {};
    const target = io.name
      ? `${(io.kind ?? '').toLowerCase()}/${io.name}`
      : (io.kind ?? '').toLowerCase();
    return [
      last,
      ev.type ?? '',
      ev.reason ?? '',
      target,
      io.fieldPath ?? '',
      eventSource(ev),
      (ev.message ?? '').trim(),
      first,
      count,
      ev.metadata?.name ?? '',
    ];
  },
};

const scalePrinter: Printer = {
  columns: cols(
    ['Name', 'string', 0, NAME_DESC, ' '],
    ['Desired', 'integer', 0, 'replicas is the desired number of instances for the scaled object.'],
    [
      'Available',
      'integer',
      0,
      'replicas is the actual number of observed instances of the scaled object.',
    ],
    ['Age', 'string'],
  ),
  row: (o, now) => {
    const s = o as Scale;
    return [
      s.metadata?.name ?? '',
      s.spec?.replicas ?? 0,
      s.status?.replicas ?? 0,
      timeSince(s.metadata?.creationTimestamp, now),
    ];
  },
};
scalePrinter.columns[0]!.format = '';

/**
 * The default table for kinds without a printer (rest.NewDefaultTableConvertor): NAME and
 * `Created At` (an RFC 3339 date, shown as CREATED AT).
 */
export const defaultPrinter: Printer = {
  columns: [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESC, priority: 0 },
    { name: 'Created At', type: 'date', format: '', description: AGE_DESC, priority: 0 },
  ],
  row: (o) => [meta(o).name ?? '', meta(o).creationTimestamp ?? null],
};

/** Printers by kind name (the group-less kind is unique among the built-ins kubets serves). */
export const BUILTIN_PRINTERS: Readonly<Record<string, Printer>> = {
  Pod: podPrinter,
  Service: servicePrinter,
  Node: nodePrinter,
  Namespace: namespacePrinter,
  ConfigMap: configMapPrinter,
  Secret: secretPrinter,
  ServiceAccount: serviceAccountPrinter,
  Endpoints: endpointsPrinter,
  Event: eventPrinter,
  ResourceQuota: resourceQuotaPrinter,
  Deployment: deploymentPrinter,
  ReplicaSet: replicaSetPrinter,
  DaemonSet: daemonSetPrinter,
  StatefulSet: statefulSetPrinter,
  Job: jobPrinter,
  EndpointSlice: endpointSlicePrinter,
  Lease: leasePrinter,
  PodDisruptionBudget: pdbPrinter,
  PriorityClass: priorityClassPrinter,
  RoleBinding: roleBindingPrinter('roleBinding'),
  ClusterRoleBinding: roleBindingPrinter('clusterRoleBinding'),
  ValidatingWebhookConfiguration: webhookPrinter,
  MutatingWebhookConfiguration: webhookPrinter,
  Scale: scalePrinter,
};
