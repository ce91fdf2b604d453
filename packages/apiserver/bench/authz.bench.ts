/**
 * RBAC authorization cost: one decision over 1,000 namespaces with 2 RoleBindings each and 200
 * ClusterRoleBindings, with the decision cache (a repeated request) and without it (every
 * request distinct). Pure in-memory: no etcd, no HTTP.
 * Run: npx vitest bench --run bench/authz.bench.ts (in packages/apiserver)
 */
import { bench, describe } from 'vitest';
import type { ClusterRole, Role, RoleBinding } from '@kubets/api';
import { RbacAuthorizer, type RbacSource } from '../src/auth/authz/rbac.js';
import { bootstrapClusterRoles } from '../src/auth/policy/bootstrap-policy.js';
import type { RequestAttributes } from '../src/auth/types.js';

const NAMESPACES = 1000;
const clusterRoles = new Map<string, ClusterRole>(
  bootstrapClusterRoles().map((r) => [r.metadata!.name!, r]),
);
clusterRoles.set('view', {
  metadata: { name: 'view' },
  rules: clusterRoles.get('system:aggregate-to-view')!.rules!,
});
const roles = new Map<string, Role>();
const byNamespace = new Map<string, RoleBinding[]>();
const ref = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
for (let i = 0; i < NAMESPACES; i++) {
  const ns = `ns-${i}`;
  roles.set(`${ns}/app`, {
    metadata: { name: 'app', namespace: ns },
    rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }],
  });
  byNamespace.set(ns, [
    {
      metadata: { name: 'a', namespace: ns },
      roleRef: ref('Role', 'app'),
      subjects: [{ kind: 'ServiceAccount', name: 'app' }],
    },
    {
      metadata: { name: 'b', namespace: ns },
      roleRef: ref('ClusterRole', 'view'),
      subjects: [{ kind: 'User', name: `user-${i}` }],
    },
  ]);
}
const crbs: RoleBinding[] = Array.from({ length: 200 }, (_, i) => ({
  metadata: { name: `crb-${i}` },
  roleRef: ref('ClusterRole', 'view'),
  subjects: [{ kind: 'Group', name: `group-${i}` }],
}));
const source: RbacSource = {
  clusterRole: (n) => clusterRoles.get(n),
  role: (ns, n) => roles.get(`${ns}/${n}`),
  clusterRoleBindings: () => crbs,
  roleBindings: (ns) => byNamespace.get(ns) ?? [],
};
const rbac = new RbacAuthorizer(source);
const user = { username: 'user-500', groups: ['system:authenticated'] };
const attrs = (name: string): RequestAttributes => ({
  kind: 'resource',
  verb: 'get',
  group: '',
  version: 'v1',
  resource: 'pods',
  subresource: '',
  namespace: 'ns-500',
  name,
});
let i = 0;

describe('RBAC authorize', () => {
  bench('cached decision (same request)', () => {
    rbac.authorize(user, attrs('p'));
  });
  bench('uncached decision (distinct object names)', () => {
    rbac.authorize(user, attrs(`p-${i++}`));
  });
});
