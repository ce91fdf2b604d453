import { describe, expect, it } from 'vitest';
import type { ClusterRole, ClusterRoleBinding } from '@kubets/api';
import { aggregatedRules } from './aggregation.js';
import {
  AUTOUPDATE_ANNOTATION,
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
  bootstrapNamespaceRoleBindings,
  bootstrapNamespaceRoles,
} from './bootstrap-policy.js';
import { reconcileClusterRole, reconcileClusterRoleBinding } from './reconcile.js';

const role = (name: string, labels: Record<string, string>, verbs: string[]): ClusterRole => ({
  metadata: { name, labels },
  rules: [{ verbs, apiGroups: [''], resources: ['pods'] }],
});

describe('bootstrap policy', () => {
  it("ships upstream's default roles and bindings", () => {
    const roles = new Map(bootstrapClusterRoles().map((r) => [r.metadata!.name!, r]));
    for (const name of [
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'system:basic-user',
      'system:discovery',
      'system:public-info-viewer',
      'system:node',
      'system:node-proxier',
      'system:kube-scheduler',
      'system:kube-controller-manager',
      'system:monitoring',
      'system:auth-delegator',
      'system:kube-dns',
      'system:heapster',
    ]) {
      expect(roles.has(name), name).toBe(true);
      expect(roles.get(name)!.metadata!.annotations![AUTOUPDATE_ANNOTATION]).toBe('true');
    }
    expect(
      roles.get('view')!.metadata!.labels!['rbac.authorization.k8s.io/aggregate-to-edit'],
    ).toBe('true');
    expect(JSON.stringify(roles.get('system:aggregate-to-view')!.rules)).not.toContain('secrets');
    const bindings = new Map(bootstrapClusterRoleBindings().map((b) => [b.metadata!.name!, b]));
    const nsRoles = bootstrapNamespaceRoles().map(
      (r) => `${r.kind}/${r.metadata!.namespace}/${r.metadata!.name}`,
    );
    expect(nsRoles).toContain('Role/kube-system/system::leader-locking-kube-scheduler');
    const nsBinding = bootstrapNamespaceRoleBindings().find(
      (b) => b.metadata!.name === 'system::leader-locking-kube-scheduler',
    )!;
    expect(nsBinding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'system::leader-locking-kube-scheduler',
    });
    expect(nsBinding.metadata!.namespace).toBe('kube-system');
    expect(bindings.get('system:controller:deployment-controller')!.subjects).toEqual([
      { kind: 'ServiceAccount', namespace: 'kube-system', name: 'deployment-controller' },
    ]);
    expect(roles.get('system:controller:deployment-controller')!.rules).toContainEqual({
      verbs: ['update'],
      apiGroups: ['apps'],
      resources: ['deployments/status', 'deployments/finalizers'],
    });
    expect(bindings.get('cluster-admin')!.subjects).toEqual([
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' },
    ]);
    expect(bindings.get('system:public-info-viewer')!.subjects!.map((s) => s.name)).toEqual([
      'system:authenticated',
      'system:unauthenticated',
    ]);
  });

  it('reconciles by adding missing rules, selectors, labels and subjects, never removing, unless autoupdate is false', () => {
    const desired = role('r', { a: '1' }, ['get', 'list']);
    expect(reconcileClusterRole(undefined, desired)).toEqual({ action: 'create', object: desired });
    const edited: ClusterRole = {
      metadata: { name: 'r', labels: { mine: 'x' } },
      rules: [
        { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
        { verbs: ['get'], apiGroups: [''], resources: ['nodes'] },
      ],
    };
    const r = reconcileClusterRole(edited, desired);
    expect(r.action).toBe('update');
    const updated = (r as { object: ClusterRole }).object;
    expect(updated.metadata!.labels).toEqual({ mine: 'x', a: '1' });
    expect(updated.rules).toEqual([
      ...edited.rules!,
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
    ]);
    expect(reconcileClusterRole(updated, desired)).toEqual({ action: 'none' });
    const optOut = {
      ...edited,
      metadata: { ...edited.metadata, annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } },
    };
    expect(reconcileClusterRole(optOut, desired)).toEqual({ action: 'none' });

    const binding: ClusterRoleBinding = {
      metadata: { name: 'b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' },
      subjects: [{ kind: 'Group', name: 'g1' }],
    };
    const extra = { ...binding, subjects: [{ kind: 'User', name: 'someone' }] };
    const rb = reconcileClusterRoleBinding(extra, binding);
    expect((rb as { object: ClusterRoleBinding }).object.subjects).toEqual([
      { kind: 'User', name: 'someone' },
      { kind: 'Group', name: 'g1' },
    ]);
  });

  it('aggregates the rules of the roles the selectors match, sorted by name and without duplicates', () => {
    const target: ClusterRole = {
      metadata: { name: 'view' },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { agg: 'view' } }] },
    };
    const all = [
      target,
      role('b-role', { agg: 'view' }, ['list']),
      role('a-role', { agg: 'view' }, ['get']),
      role('dup', { agg: 'view' }, ['get']),
      role('other', { agg: 'edit' }, ['delete']),
    ];
    expect(aggregatedRules(target, all)).toEqual([
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
    ]);
    expect(aggregatedRules(all[1]!, all)).toBeUndefined();
  });
});
