import { describe, expect, it } from 'vitest';
import type { ClusterRole, Role, RoleBinding } from '@kubets/api';
import type { RequestAttributes } from '../types.js';
import { resourceAttributes } from '../../../test/helpers/attributes.js';
import { RbacAuthorizer, type RbacSource } from './rbac.js';

const ref = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });

function source(): RbacSource & {
  clusterRoles: Map<string, ClusterRole>;
  bindings: RoleBinding[];
} {
  const clusterRoles = new Map<string, ClusterRole>([
    [
      'reader',
      {
        metadata: { name: 'reader' },
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
      },
    ],
  ]);
  const roles = new Map<string, Role>([
    [
      'ns/cm',
      {
        metadata: { name: 'cm', namespace: 'ns' },
        rules: [{ verbs: ['*'], apiGroups: [''], resources: ['configmaps'] }],
      },
    ],
  ]);
  const bindings: RoleBinding[] = [
    {
      metadata: { name: 'b1', namespace: 'ns' },
      roleRef: ref('Role', 'cm'),
      subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
    },
    {
      metadata: { name: 'b2', namespace: 'ns' },
      roleRef: ref('ClusterRole', 'reader'),
      subjects: [{ kind: 'Group', name: 'team' }],
    },
  ];
  const crbs: RoleBinding[] = [];
  return {
    clusterRoles,
    bindings: crbs,
    clusterRole: (n) => clusterRoles.get(n),
    role: (ns, n) => roles.get(`${ns}/${n}`),
    clusterRoleBindings: () => crbs,
    roleBindings: (ns) => bindings.filter((b) => b.metadata?.namespace === ns),
  };
}

const get = (resource: string, namespace: string): RequestAttributes =>
  resourceAttributes('get', resource, { namespace, name: 'x' });

describe('RBAC authorizer', () => {
  it('applies RoleBindings in their namespace only, with service accounts defaulting to it', () => {
    const rbac = new RbacAuthorizer(source());
    const sa = { username: 'system:serviceaccount:ns:sa', groups: [] };
    expect(rbac.authorize(sa, get('configmaps', 'ns'))).toEqual({
      decision: 'allow',
      reason: 'RBAC: allowed by RoleBinding "b1/ns" of Role "cm" to ServiceAccount "sa/ns"',
    });
    expect(rbac.authorize(sa, get('configmaps', 'other')).decision).toBe('noopinion');
    expect(rbac.authorize({ username: 'u', groups: ['team'] }, get('pods', 'ns')).decision).toBe(
      'allow',
    );
    expect(rbac.authorize({ username: 'u', groups: ['team'] }, get('pods', '')).decision).toBe(
      'noopinion',
    );
  });

  it('caches decisions until invalidated', () => {
    const src = source();
    const rbac = new RbacAuthorizer(src);
    const bob = { username: 'bob', groups: [] };
    expect(rbac.authorize(bob, get('pods', 'ns')).decision).toBe('noopinion');
    src.bindings.push({
      metadata: { name: 'bob' },
      roleRef: ref('ClusterRole', 'reader'),
      subjects: [{ kind: 'User', name: 'bob' }],
    });
    expect(rbac.authorize(bob, get('pods', 'ns')).decision).toBe('noopinion');
    rbac.invalidate();
    expect(rbac.authorize(bob, get('pods', 'ns')).decision).toBe('allow');
    expect(rbac.rulesFor(bob, 'ns').resourceRules).toEqual([
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
    ]);
  });
});
