/**
 * RBAC escalation prevention (upstream's rbac policybased storage): creating or updating a Role
 * or ClusterRole requires holding every permission it grants, or the `escalate` verb on it;
 * creating or updating a binding requires holding the bound role's permissions, or the `bind`
 * verb on it. `system:masters` is exempt. Runs as registry hooks, so it sees the final object of
 * a create, update, patch or apply; the user is the request's (`WriteOptions.user`, which the
 * registry hands to its hooks).
 */
import { jsonEqual, newForbidden } from '@kubets/apimachinery';
import type { ClusterRole, PolicyRule, RoleBinding } from '@kubets/api';
import type { ResourceHooks } from '../registry/resource-registry.js';
import type { ApiObject } from '../storage/codec.js';
import type { Decision } from './authz/authorizer.js';
import type { RbacAuthorizer } from './authz/rbac.js';
import { compactString, goQuoteList, uncoveredRules } from './authz/rules.js';
import type { RequestAttributes, UserInfo } from './types.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

export interface EscalationDeps {
  rbac: RbacAuthorizer;
  /** The full authorizer union (for `escalate` and `bind`). */
  decide(user: UserInfo, attrs: RequestAttributes): Decision;
}

type RbacResource = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';

function escalationMessage(user: UserInfo, missing: PolicyRule[]): string {
  return `user ${JSON.stringify(user.username)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactString).join('\n')}`;
}

function sameGrant(a: ClusterRole, b: ClusterRole): boolean {
  return jsonEqual(a.rules ?? [], b.rules ?? []) && jsonEqual(a.aggregationRule, b.aggregationRule);
}

function sameBinding(a: RoleBinding, b: RoleBinding): boolean {
  return jsonEqual(a.roleRef, b.roleRef) && jsonEqual(a.subjects ?? [], b.subjects ?? []);
}

/** Hooks for one of the four RBAC resources; `deps()` is undefined while no RBAC is configured. */
export function escalationHooks(
  resource: RbacResource,
  deps: () => EscalationDeps | undefined,
): ResourceHooks {
  const check = (
    obj: ApiObject,
    old: ApiObject | undefined,
    user: UserInfo | undefined,
  ): Promise<undefined> => {
    const d = deps();
    if (!d) return Promise.resolve(undefined);
    const gr = { group: RBAC_GROUP, resource };
    const name = obj.metadata?.name ?? '';
    const isRole = resource === 'roles' || resource === 'clusterroles';
    // Changes that grant nothing new (labels, finalizers, owners) need no permission check.
    if (old && isRole && sameGrant(obj, old)) return Promise.resolve(undefined);
    if (old && !isRole && sameBinding(obj as unknown as RoleBinding, old as unknown as RoleBinding))
      return Promise.resolve(undefined);
    if (!user) return Promise.reject(newForbidden(gr, name, 'no user in the request context'));
    if (user.groups.includes('system:masters')) return Promise.resolve(undefined);
    const ns = obj.metadata?.namespace ?? '';
    if (isRole) {
      const role = obj as unknown as ClusterRole;
      const escalate = d.decide(user, {
        kind: 'resource',
        verb: 'escalate',
        group: RBAC_GROUP,
        version: '*',
        resource,
        subresource: '',
        namespace: ns,
        name: old ? name : '',
      });
      if (escalate.decision === 'allow') return Promise.resolve(undefined);
      const owned = d.rbac.allRules(user, ns);
      const missing = uncoveredRules(owned, role.rules ?? []);
      if (missing.length > 0)
        return Promise.reject(newForbidden(gr, name, escalationMessage(user, missing)));
      if (role.aggregationRule && uncoveredRules(owned, FULL_AUTHORITY).length > 0) {
        return Promise.reject(
          newForbidden(gr, name, 'must have cluster-admin privileges to use the aggregationRule'),
        );
      }
      return Promise.resolve(undefined);
    }
    const binding = obj as unknown as RoleBinding;
    const ref = binding.roleRef;
    const bind = d.decide(user, {
      kind: 'resource',
      verb: 'bind',
      group: RBAC_GROUP,
      version: '*',
      resource: ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles',
      subresource: '',
      namespace: ns,
      name: ref.name,
    });
    if (bind.decision === 'allow') return Promise.resolve(undefined);
    const rules = d.rbac.roleRefRules(binding, ns);
    if (!rules) {
      const what = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
      return Promise.reject(
        newForbidden(gr, name, `${what}.${RBAC_GROUP} ${JSON.stringify(ref.name)} not found`),
      );
    }
    const missing = uncoveredRules(d.rbac.allRules(user, ns), rules);
    if (missing.length > 0)
      return Promise.reject(newForbidden(gr, name, escalationMessage(user, missing)));
    return Promise.resolve(undefined);
  };
  return {
    beginCreate: (obj, _dryRun, user) => check(obj, undefined, user),
    beginUpdate: (obj, old, _dryRun, user) => check(obj, old, user),
  };
}
