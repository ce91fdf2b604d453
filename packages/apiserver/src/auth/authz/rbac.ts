/**
 * The RBAC authorizer (upstream's plugin/pkg/auth/authorizer/rbac): ClusterRoleBindings grant
 * their ClusterRole's rules everywhere, RoleBindings grant a Role's or ClusterRole's rules in
 * their namespace. RBAC only allows; everything else is "no opinion". Objects come from
 * informers; decisions are cached per user and request and the cache is dropped on any change
 * to the four RBAC resources.
 */
import type { ClusterRole, PolicyRule, Role, RoleBinding, Subject } from '@kubets/api';
import type { RequestAttributes, UserInfo } from '../types.js';
import { NO_OPINION, type Authorizer, type Decision, type RuleSet } from './authorizer.js';
import { rulesAllow } from './rules.js';

/** What the authorizer reads: the current RBAC objects. */
export interface RbacSource {
  clusterRole(name: string): ClusterRole | undefined;
  role(namespace: string, name: string): Role | undefined;
  clusterRoleBindings(): Iterable<RoleBinding>;
  roleBindings(namespace: string): Iterable<RoleBinding>;
}

export function subjectApplies(
  subject: Subject,
  user: UserInfo,
  bindingNamespace: string,
): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.username;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return user.username === `system:serviceaccount:${ns}:${subject.name}`;
    }
    default:
      return false;
  }
}

function appliesTo(binding: RoleBinding, user: UserInfo, namespace: string): Subject | undefined {
  return (binding.subjects ?? []).find((s) => subjectApplies(s, user, namespace));
}

/** upstream's allow reason: `RBAC: allowed by RoleBinding "b/ns" of ClusterRole "edit" to User "alice"`. */
function allowedBy(binding: RoleBinding, subject: Subject, namespace: string): Decision {
  const name = namespace
    ? `${binding.metadata?.name ?? ''}/${namespace}`
    : (binding.metadata?.name ?? '');
  const who =
    subject.kind === 'ServiceAccount'
      ? `ServiceAccount "${subject.name}/${subject.namespace || namespace}"`
      : `${subject.kind} "${subject.name}"`;
  return {
    decision: 'allow',
    reason: `RBAC: allowed by ${namespace ? 'RoleBinding' : 'ClusterRoleBinding'} "${name}" of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${who}`,
  };
}

const CACHE_LIMIT = 10_000;

export class RbacAuthorizer implements Authorizer {
  readonly type = 'RBAC';
  private readonly cache = new Map<string, Decision>();

  constructor(private readonly source: RbacSource) {}

  /** Call on every change to roles, clusterroles, rolebindings or clusterrolebindings. */
  invalidate(): void {
    this.cache.clear();
  }

  /** The rules a RoleBinding or ClusterRoleBinding grants (undefined when the role is missing). */
  roleRefRules(binding: RoleBinding, namespace: string): PolicyRule[] | undefined {
    const ref = binding.roleRef;
    if (ref.kind === 'ClusterRole') {
      const cr = this.source.clusterRole(ref.name);
      return cr ? (cr.rules ?? []) : undefined;
    }
    if (ref.kind === 'Role' && namespace) {
      const role = this.source.role(namespace, ref.name);
      return role ? (role.rules ?? []) : undefined;
    }
    return undefined;
  }

  authorize(user: UserInfo, attrs: RequestAttributes): Decision {
    const key = JSON.stringify([user.username, user.groups, attrs]);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const decision = this.evaluate(user, attrs);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, decision);
    return decision;
  }

  private evaluate(user: UserInfo, attrs: RequestAttributes): Decision {
    for (const crb of this.source.clusterRoleBindings()) {
      const subject = appliesTo(crb, user, '');
      if (!subject) continue;
      const rules = this.roleRefRules(crb, '');
      if (rules && rulesAllow(attrs, rules)) return allowedBy(crb, subject, '');
    }
    const ns = attrs.kind === 'resource' ? attrs.namespace : '';
    if (ns) {
      for (const rb of this.source.roleBindings(ns)) {
        const subject = appliesTo(rb, user, ns);
        if (!subject) continue;
        const rules = this.roleRefRules(rb, ns);
        if (rules && rulesAllow(attrs, rules)) return allowedBy(rb, subject, ns);
      }
    }
    return NO_OPINION;
  }

  /** Every rule that applies to the user in `namespace` ('' = cluster-wide only). */
  rulesFor(user: UserInfo, namespace: string): RuleSet {
    const rules: PolicyRule[] = [];
    for (const crb of this.source.clusterRoleBindings()) {
      if (appliesTo(crb, user, '')) rules.push(...(this.roleRefRules(crb, '') ?? []));
    }
    if (namespace) {
      for (const rb of this.source.roleBindings(namespace)) {
        if (appliesTo(rb, user, namespace)) rules.push(...(this.roleRefRules(rb, namespace) ?? []));
      }
    }
    return {
      resourceRules: rules.filter((r) => (r.resources ?? []).length > 0),
      nonResourceRules: rules.filter((r) => (r.nonResourceURLs ?? []).length > 0),
      incomplete: false,
    };
  }

  /** All rules (resource and non-resource) the user holds in `namespace`, for escalation checks. */
  allRules(user: UserInfo, namespace: string): PolicyRule[] {
    const r = this.rulesFor(user, namespace);
    return [...r.resourceRules, ...r.nonResourceRules];
  }
}
