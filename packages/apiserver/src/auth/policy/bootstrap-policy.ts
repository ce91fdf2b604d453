/**
 * The default RBAC policy kube-apiserver reconciles at start (upstream's
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy): the user-facing roles (cluster-admin, admin,
 * edit, view through aggregation), discovery and public-info roles, and the roles of the control
 * plane components, with their default bindings. Every object carries the
 * `kubernetes.io/bootstrapping=rbac-defaults` label and `autoupdate=true` annotation.
 */
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from '@kubets/api';
import { CONTROLLER_RULES } from './controller-policy.js';

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = [...READ, ...WRITE];

function rule(
  verbs: string[],
  apiGroups: string[],
  resources: string[],
  resourceNames?: string[],
): PolicyRule {
  return { verbs, apiGroups, resources, ...(resourceNames ? { resourceNames } : {}) };
}

function urls(verbs: string[], nonResourceURLs: string[]): PolicyRule {
  return { verbs, nonResourceURLs };
}

const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

function clusterRole(
  name: string,
  rules: PolicyRule[],
  opts: { labels?: Record<string, string>; aggregateFrom?: string } = {},
): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name,
      labels: { ...BOOTSTRAP_LABEL, ...opts.labels },
      annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
    },
    rules,
    ...(opts.aggregateFrom
      ? {
          aggregationRule: {
            clusterRoleSelectors: [{ matchLabels: { [`${AGG}${opts.aggregateFrom}`]: 'true' } }],
          },
        }
      : {}),
  };
}

const group = (name: string): Subject => ({
  kind: 'Group',
  apiGroup: 'rbac.authorization.k8s.io',
  name,
});
const user = (name: string): Subject => ({
  kind: 'User',
  apiGroup: 'rbac.authorization.k8s.io',
  name,
});
const sa = (namespace: string, name: string): Subject => ({
  kind: 'ServiceAccount',
  namespace,
  name,
});

function binding(roleName: string, subjects: Subject[], name = roleName): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {
      name,
      labels: { ...BOOTSTRAP_LABEL },
      annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects,
  };
}

/** The rules of `system:node`, also what the Node authorizer allows outside its graph checks. */
export const NODE_RULES: PolicyRule[] = [
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(READ, [''], ['services']),
  rule(['create', 'get', 'list', 'watch'], [''], ['nodes']),
  rule(['patch', 'update'], [''], ['nodes/status']),
  rule(['patch', 'update'], [''], ['nodes']),
  rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  rule(READ, [''], ['pods']),
  rule(['create', 'delete'], [''], ['pods']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction']),
  rule(['get'], [''], ['secrets', 'configmaps']),
  rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get', 'update', 'patch'], [''], ['persistentvolumeclaims/status']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
  rule(READ, ['storage.k8s.io'], ['csidrivers']),
  rule(['create', 'delete', 'get', 'patch', 'update'], ['storage.k8s.io'], ['csinodes']),
  rule(READ, ['node.k8s.io'], ['runtimeclasses']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(READ, [''], ['endpoints']),
];

const VIEW_RULES: PolicyRule[] = [
  rule(
    READ,
    [''],
    [
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'configmaps',
    ],
  ),
  rule(
    READ,
    [''],
    [
      'limitranges',
      'resourcequotas',
      'bindings',
      'events',
      'pods/status',
      'resourcequotas/status',
      'namespaces/status',
      'replicationcontrollers/status',
      'pods/log',
    ],
  ),
  rule(READ, [''], ['namespaces']),
  rule(READ, ['discovery.k8s.io'], ['endpointslices']),
  rule(
    READ,
    ['apps'],
    [
      'controllerrevisions',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
    ],
  ),
  rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
  rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, ['networking.k8s.io'], ['networkpolicies', 'ingresses', 'ingresses/status']),
];

const EDIT_RULES: PolicyRule[] = [
  rule(['impersonate'], [''], ['serviceaccounts']),
  rule(WRITE, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
  rule(['create'], [''], ['pods/eviction']),
  rule(
    WRITE,
    [''],
    [
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/proxy',
      'persistentvolumeclaims',
      'configmaps',
      'secrets',
      'events',
    ],
  ),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(
    READ,
    [''],
    ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy'],
  ),
  rule(
    WRITE,
    ['apps'],
    [
      'statefulsets',
      'statefulsets/scale',
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
    ],
  ),
  rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
  rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
  rule(WRITE, ['policy'], ['poddisruptionbudgets']),
  rule(WRITE, ['networking.k8s.io'], ['networkpolicies', 'ingresses']),
  rule(WRITE, ['coordination.k8s.io'], ['leases']),
  rule(READ, ['coordination.k8s.io'], ['leases']),
  rule(WRITE, ['discovery.k8s.io'], ['endpointslices']),
];

const ADMIN_RULES: PolicyRule[] = [
  rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['roles', 'rolebindings']),
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
];

export const DISCOVERY_URLS = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/healthz',
  '/livez',
  '/openapi',
  '/openapi/*',
  '/readyz',
  '/version',
  '/version/',
];
export const PUBLIC_INFO_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

export function bootstrapClusterRoles(): ClusterRole[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('system:discovery', [urls(['get'], DISCOVERY_URLS)]),
    clusterRole('system:monitoring', [
      urls(
        ['get'],
        [
          '/metrics',
          '/metrics/slis',
          '/livez',
          '/readyz',
          '/healthz',
          '/livez/*',
          '/readyz/*',
          '/healthz/*',
        ],
      ),
    ]),
    clusterRole('system:basic-user', [
      rule(
        ['create'],
        ['authorization.k8s.io'],
        ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      ),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ]),
    clusterRole('system:public-info-viewer', [urls(['get'], PUBLIC_INFO_URLS)]),
    clusterRole('admin', [], { aggregateFrom: 'admin' }),
    clusterRole('edit', [], { aggregateFrom: 'edit', labels: { [`${AGG}admin`]: 'true' } }),
    clusterRole('view', [], { aggregateFrom: 'view', labels: { [`${AGG}edit`]: 'true' } }),
    clusterRole('system:aggregate-to-admin', ADMIN_RULES, { labels: { [`${AGG}admin`]: 'true' } }),
    clusterRole('system:aggregate-to-edit', EDIT_RULES, { labels: { [`${AGG}edit`]: 'true' } }),
    clusterRole('system:aggregate-to-view', VIEW_RULES, { labels: { [`${AGG}view`]: 'true' } }),
    clusterRole('system:heapster', [
      rule(READ, [''], ['events', 'pods', 'nodes', 'namespaces']),
      rule(READ, ['apps'], ['deployments']),
    ]),
    clusterRole('system:node', NODE_RULES),
    clusterRole('system:node-problem-detector', [
      rule(['get'], [''], ['nodes']),
      rule(['patch'], [''], ['nodes/status']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ]),
    clusterRole('system:kubelet-api-admin', [
      rule(['get', 'list', 'watch', 'proxy'], [''], ['nodes']),
      rule(['*'], [''], ['nodes/proxy', 'nodes/log', 'nodes/stats', 'nodes/metrics', 'nodes/spec']),
    ]),
    clusterRole('system:node-bootstrapper', [
      rule(
        ['create', 'get', 'list', 'watch'],
        ['certificates.k8s.io'],
        ['certificatesigningrequests'],
      ),
    ]),
    clusterRole('system:auth-delegator', [
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    ]),
    clusterRole('system:kube-aggregator', [rule(READ, [''], ['endpoints', 'services'])]),
    clusterRole('system:persistent-volume-provisioner', [
      rule(['get', 'list', 'watch', 'create', 'delete'], [''], ['persistentvolumes']),
      rule(['get', 'list', 'watch', 'update'], [''], ['persistentvolumeclaims']),
      rule(READ, ['storage.k8s.io'], ['storageclasses']),
      rule(['watch', 'create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
    ]),
    clusterRole('system:kube-dns', [
      rule(['list', 'watch'], [''], ['endpoints', 'services']),
      rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
    ]),
    clusterRole('system:node-proxier', [
      rule(['list', 'watch'], [''], ['services', 'endpoints']),
      rule(READ, [''], ['nodes']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
    ]),
    clusterRole('system:service-account-issuer-discovery', [
      urls(
        ['get'],
        [
          '/.well-known/openid-configuration',
          '/.well-known/openid-configuration/',
          '/openid/v1/jwks',
          '/openid/v1/jwks/',
        ],
      ),
    ]),
    clusterRole('system:kube-scheduler', [
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['create'], ['coordination.k8s.io'], ['leases']),
      rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
      rule(['create'], [''], ['endpoints']),
      rule(['get', 'update'], [''], ['endpoints'], ['kube-scheduler']),
      rule(READ, [''], ['nodes']),
      rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
      rule(['create'], [''], ['bindings', 'pods/binding']),
      rule(['patch', 'update'], [''], ['pods/status']),
      rule(READ, [''], ['replicationcontrollers', 'services']),
      rule(READ, ['apps', 'extensions'], ['replicasets']),
      rule(READ, ['apps'], ['statefulsets']),
      rule(READ, ['policy'], ['poddisruptionbudgets']),
      rule(
        ['get', 'list', 'watch', 'update'],
        [''],
        ['persistentvolumeclaims', 'persistentvolumes'],
      ),
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      rule(
        READ,
        ['storage.k8s.io'],
        ['csinodes', 'csidrivers', 'csistoragecapacities', 'storageclasses', 'volumeattachments'],
      ),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['resource.k8s.io'], ['*']),
    ]),
    ...Object.entries(CONTROLLER_RULES).map(([name, rules]) =>
      clusterRole(`system:controller:${name}`, rules),
    ),
    clusterRole('system:kube-controller-manager', [
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['create'], ['coordination.k8s.io'], ['leases']),
      rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
      rule(['create'], [''], ['endpoints']),
      rule(['get', 'update'], [''], ['endpoints'], ['kube-controller-manager']),
      rule(['create', 'delete', 'get', 'update'], [''], ['secrets', 'serviceaccounts']),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      rule(['list', 'watch'], ['*'], ['*']),
      rule(['get'], [''], ['configmaps'], ['extension-apiserver-authentication']),
    ]),
  ];
}

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    binding('cluster-admin', [group('system:masters')]),
    binding('system:monitoring', [group('system:monitoring')]),
    binding('system:discovery', [group('system:authenticated')]),
    binding('system:basic-user', [group('system:authenticated')]),
    binding('system:public-info-viewer', [
      group('system:authenticated'),
      group('system:unauthenticated'),
    ]),
    binding('system:node-proxier', [user('system:kube-proxy')]),
    binding('system:kube-controller-manager', [user('system:kube-controller-manager')]),
    binding('system:kube-dns', [sa('kube-system', 'kube-dns')]),
    binding('system:kube-scheduler', [user('system:kube-scheduler')]),
    binding('system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
    ...Object.keys(CONTROLLER_RULES).map((name) =>
      binding(`system:controller:${name}`, [sa('kube-system', name)]),
    ),
    // Upstream keeps this binding without subjects: nodes are authorized by the Node authorizer.
    binding('system:node', []),
  ];
}

function namespaced<T extends { metadata?: object }>(obj: T, namespace: string, kind: string): T {
  return {
    ...obj,
    kind,
    metadata: { ...obj.metadata, namespace },
  };
}

/** Roles upstream keeps in kube-system and kube-public (leader locking, delegated authn). */
export function bootstrapNamespaceRoles(): Role[] {
  const role = (ns: string, name: string, rules: PolicyRule[]): Role =>
    namespaced(clusterRole(name, rules) as Role, ns, 'Role');
  const events = rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']);
  return [
    role('kube-system', 'extension-apiserver-authentication-reader', [
      rule(READ, [''], ['configmaps'], ['extension-apiserver-authentication']),
    ]),
    role('kube-system', 'system::leader-locking-kube-controller-manager', [
      rule(['watch'], [''], ['configmaps']),
      rule(['get', 'update'], [''], ['configmaps'], ['kube-controller-manager']),
    ]),
    role('kube-system', 'system::leader-locking-kube-scheduler', [
      rule(['watch'], [''], ['configmaps']),
      rule(['get', 'update'], [''], ['configmaps'], ['kube-scheduler']),
    ]),
    role('kube-system', 'system:controller:bootstrap-signer', [rule(READ, [''], ['secrets'])]),
    role('kube-system', 'system:controller:cloud-provider', [
      rule(['create', 'get', 'list', 'watch'], [''], ['configmaps']),
    ]),
    role('kube-system', 'system:controller:token-cleaner', [
      rule(['delete', 'get', 'list', 'watch'], [''], ['secrets']),
      events,
    ]),
    role('kube-public', 'system:controller:bootstrap-signer', [
      rule(READ, [''], ['configmaps']),
      rule(['update'], [''], ['configmaps'], ['cluster-info']),
      events,
    ]),
  ];
}

export function bootstrapNamespaceRoleBindings(): RoleBinding[] {
  const rb = (ns: string, name: string, role: string, subjects: Subject[]): RoleBinding => {
    const b = namespaced(binding(role, subjects, name), ns, 'RoleBinding');
    return { ...b, roleRef: { ...b.roleRef, kind: 'Role' } };
  };
  return [
    rb(
      'kube-system',
      'system::extension-apiserver-authentication-reader',
      'extension-apiserver-authentication-reader',
      [user('system:kube-controller-manager'), user('system:kube-scheduler')],
    ),
    rb(
      'kube-system',
      'system::leader-locking-kube-controller-manager',
      'system::leader-locking-kube-controller-manager',
      [user('system:kube-controller-manager'), sa('kube-system', 'kube-controller-manager')],
    ),
    rb(
      'kube-system',
      'system::leader-locking-kube-scheduler',
      'system::leader-locking-kube-scheduler',
      [user('system:kube-scheduler'), sa('kube-system', 'kube-scheduler')],
    ),
    rb('kube-system', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [
      sa('kube-system', 'bootstrap-signer'),
    ]),
    rb('kube-system', 'system:controller:cloud-provider', 'system:controller:cloud-provider', [
      sa('kube-system', 'cloud-provider'),
    ]),
    rb('kube-system', 'system:controller:token-cleaner', 'system:controller:token-cleaner', [
      sa('kube-system', 'token-cleaner'),
    ]),
    rb('kube-public', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [
      sa('kube-system', 'bootstrap-signer'),
    ]),
  ];
}
