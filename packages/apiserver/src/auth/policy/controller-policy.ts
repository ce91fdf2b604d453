/**
 * The roles of the controller manager's control loops when it runs each loop with its own
 * service account (`--use-service-account-credentials`, upstream's controller_policy.go):
 * `system:controller:<name>` bound to `kube-system/<name>`. Only the loops kubets has or plans.
 */
import type { PolicyRule } from '@kubets/api';

const READ = ['get', 'list', 'watch'];
const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});
const EVENTS = rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']);

export const CONTROLLER_RULES: Record<string, PolicyRule[]> = {
  'clusterrole-aggregation-controller': [
    rule(
      ['escalate', 'get', 'list', 'patch', 'update', 'watch'],
      ['rbac.authorization.k8s.io'],
      ['clusterroles'],
    ),
  ],
  'cronjob-controller': [
    rule(['get', 'list', 'update', 'watch'], ['batch'], ['cronjobs']),
    rule(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']),
    rule(['update'], ['batch'], ['cronjobs/status', 'cronjobs/finalizers']),
    rule(['delete', 'list'], [''], ['pods']),
    EVENTS,
  ],
  'daemon-set-controller': [
    rule(READ, ['apps'], ['daemonsets']),
    rule(['update'], ['apps'], ['daemonsets/status', 'daemonsets/finalizers']),
    rule(['list', 'watch'], [''], ['nodes']),
    rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
    rule(['create'], [''], ['pods/binding']),
    rule(
      ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      ['apps'],
      ['controllerrevisions'],
    ),
    EVENTS,
  ],
  'deployment-controller': [
    rule(['get', 'list', 'update', 'watch'], ['apps'], ['deployments']),
    rule(['update'], ['apps'], ['deployments/status', 'deployments/finalizers']),
    rule(
      ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      ['apps'],
      ['replicasets'],
    ),
    rule(['get', 'list', 'update', 'watch'], [''], ['pods']),
    EVENTS,
  ],
  'disruption-controller': [
    rule(READ, ['apps'], ['deployments', 'replicasets', 'statefulsets']),
    rule(READ, [''], ['replicationcontrollers', 'pods']),
    rule(READ, ['policy'], ['poddisruptionbudgets']),
    rule(['update'], ['policy'], ['poddisruptionbudgets/status']),
    rule(['patch', 'update'], [''], ['pods/status']),
    EVENTS,
  ],
  'endpoint-controller': [
    rule(READ, [''], ['services', 'pods']),
    rule(['create', 'delete', 'get', 'list', 'update'], [''], ['endpoints']),
    rule(['create'], [''], ['endpoints/restricted']),
    EVENTS,
  ],
  'endpointslice-controller': [
    rule(READ, [''], ['services', 'pods', 'nodes']),
    rule(['create', 'delete', 'get', 'list', 'update'], ['discovery.k8s.io'], ['endpointslices']),
    EVENTS,
  ],
  'generic-garbage-collector': [
    rule(['delete', 'get', 'list', 'patch', 'update', 'watch'], ['*'], ['*']),
  ],
  'job-controller': [
    rule(['get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']),
    rule(['update'], ['batch'], ['jobs/status', 'jobs/finalizers']),
    rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
    EVENTS,
  ],
  'namespace-controller': [
    rule(['delete', 'get', 'list', 'watch'], [''], ['namespaces']),
    rule(['update'], [''], ['namespaces/finalize', 'namespaces/status']),
    rule(['delete', 'deletecollection', 'get', 'list'], ['*'], ['*']),
  ],
  'node-controller': [
    rule(['delete', 'get', 'list', 'patch', 'update'], [''], ['nodes']),
    rule(['patch', 'update'], [''], ['nodes/status', 'pods/status']),
    rule(['delete', 'list'], [''], ['pods']),
    EVENTS,
  ],
  'pod-garbage-collector': [
    rule(['delete', 'list', 'watch'], [''], ['pods']),
    rule(READ, [''], ['nodes']),
    rule(['patch'], [''], ['pods/status']),
  ],
  'replicaset-controller': [
    rule(['get', 'list', 'update', 'watch'], ['apps'], ['replicasets']),
    rule(['update'], ['apps'], ['replicasets/status', 'replicasets/finalizers']),
    rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
    EVENTS,
  ],
  'replication-controller': [
    rule(['get', 'list', 'update', 'watch'], [''], ['replicationcontrollers']),
    rule(['update'], [''], ['replicationcontrollers/status', 'replicationcontrollers/finalizers']),
    rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
    EVENTS,
  ],
  'resourcequota-controller': [
    rule(['list', 'watch'], ['*'], ['*']),
    rule(['update'], [''], ['resourcequotas/status']),
    EVENTS,
  ],
  'root-ca-cert-publisher': [rule(['create', 'update'], [''], ['configmaps']), EVENTS],
  'service-account-controller': [rule(['create'], [''], ['serviceaccounts']), EVENTS],
  'statefulset-controller': [
    rule(READ, [''], ['pods']),
    rule(READ, ['apps'], ['statefulsets']),
    rule(['update'], ['apps'], ['statefulsets/status', 'statefulsets/finalizers']),
    rule(['create', 'delete', 'get', 'patch', 'update'], [''], ['pods']),
    rule(
      ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      ['apps'],
      ['controllerrevisions'],
    ),
    rule(['create', 'get'], [''], ['persistentvolumeclaims']),
    EVENTS,
  ],
  'ttl-after-finished-controller': [
    rule(['delete', 'get', 'list', 'watch'], ['batch'], ['jobs']),
    EVENTS,
  ],
  'ttl-controller': [rule(['list', 'patch', 'update', 'watch'], [''], ['nodes']), EVENTS],
};
