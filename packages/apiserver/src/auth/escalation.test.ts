import { describe, expect, it } from 'vitest';
import type { ClusterRole, PolicyRule, RoleBinding } from '@kubets/api';
import type { ApiObject } from '../storage/codec.js';
import type { Decision } from './authz/authorizer.js';
import { RbacAuthorizer } from './authz/rbac.js';
import { escalationHooks, type EscalationDeps } from './escalation.js';
import type { RequestAttributes, UserInfo } from './types.js';

const carol: UserInfo = { username: 'carol', groups: ['system:authenticated'] };
const admin: UserInfo = { username: 'root', groups: ['system:masters'] };
const held: PolicyRule[] = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }];
const clusterRoles = new Map<string, ClusterRole>([
  ['pod-reader', { metadata: { name: 'pod-reader' }, rules: held }],
  [
    'cluster-admin',
    {
      metadata: { name: 'cluster-admin' },
      rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    },
  ],
]);
const crbs: RoleBinding[] = [
  {
    metadata: { name: 'carol' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-reader' },
    subjects: [{ kind: 'User', name: 'carol' }],
  },
];
const rbac = new RbacAuthorizer({
  clusterRole: (n) => clusterRoles.get(n),
  role: () => undefined,
  clusterRoleBindings: () => crbs,
  roleBindings: () => [],
});

function deps(extra: (a: RequestAttributes) => boolean = () => false): EscalationDeps {
  return {
    rbac,
    decide: (user, attrs): Decision =>
      extra(attrs) ? { decision: 'allow', reason: '' } : rbac.authorize(user, attrs),
  };
}

const role = (rules: PolicyRule[], extra: Partial<ClusterRole> = {}): ApiObject => ({
  metadata: { name: 'r', namespace: 'ns' },
  rules,
  ...extra,
});
const binding = (name: string): ApiObject => ({
  metadata: { name: 'b', namespace: 'ns' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
  subjects: [{ kind: 'User', name: 'x' }],
});

describe('RBAC escalation prevention', () => {
  const roles = escalationHooks('roles', () => deps());
  const bindings = escalationHooks('rolebindings', () => deps());

  it('lets a user grant only what it holds', async () => {
    await expect(roles.beginCreate!(role(held), false, carol)).resolves.toBeUndefined();
    await expect(
      roles.beginCreate!(
        role([{ verbs: ['delete'], apiGroups: [''], resources: ['pods'] }]),
        false,
        carol,
      ),
    ).rejects.toThrow(
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    );
    await expect(
      roles.beginCreate!(
        role([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
        false,
        admin,
      ),
    ).resolves.toBeUndefined();
    await expect(roles.beginCreate!(role(held), false)).rejects.toThrow(
      'no user in the request context',
    );
  });

  it('honours escalate, and requires full authority for an aggregationRule', async () => {
    const escalating = escalationHooks('clusterroles', () => deps((a) => a.verb === 'escalate'));
    const big = role([{ verbs: ['*'], apiGroups: ['*'], resources: ['secrets'] }]);
    await expect(escalating.beginUpdate!(big, role(held), false, carol)).resolves.toBeUndefined();
    const plain = escalationHooks('clusterroles', () => deps());
    const aggregated = role([], {
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] },
    });
    await expect(plain.beginCreate!(aggregated, false, carol)).rejects.toThrow(
      'must have cluster-admin privileges to use the aggregationRule',
    );
  });

  it('lets a user bind a role it holds, or one it may bind, and nothing else', async () => {
    await expect(
      bindings.beginCreate!(binding('pod-reader'), false, carol),
    ).resolves.toBeUndefined();
    await expect(bindings.beginCreate!(binding('cluster-admin'), false, carol)).rejects.toThrow(
      'rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "carol"',
    );
    await expect(bindings.beginCreate!(binding('missing'), false, carol)).rejects.toThrow(
      'clusterroles.rbac.authorization.k8s.io "missing" not found',
    );
    const withBind = escalationHooks('rolebindings', () =>
      deps((a) => a.verb === 'bind' && a.kind === 'resource' && a.name === 'cluster-admin'),
    );
    await expect(
      withBind.beginCreate!(binding('cluster-admin'), false, carol),
    ).resolves.toBeUndefined();
    // Unchanged subjects and roleRef (a label edit) need no permission, nor even a user.
    await expect(
      bindings.beginUpdate!(binding('cluster-admin'), binding('cluster-admin'), false),
    ).resolves.toBeUndefined();
  });
});
