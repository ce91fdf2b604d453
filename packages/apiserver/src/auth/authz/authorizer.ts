/**
 * Authorizers as upstream's authorizer.Authorizer: each answers allow, deny or no opinion; the
 * union asks them in `--authorization-mode` order and the first allow or deny decides. Rules
 * for SelfSubjectRulesReview come from the same authorizers (RuleResolver).
 */
import type { PolicyRule } from '@kubets/api';
import type { RequestAttributes, UserInfo } from '../types.js';

export type DecisionKind = 'allow' | 'deny' | 'noopinion';

export interface Decision {
  decision: DecisionKind;
  reason: string;
}

export interface RuleSet {
  resourceRules: PolicyRule[];
  nonResourceRules: PolicyRule[];
  /** True when the authorizer cannot list everything it would allow (Node, webhooks). */
  incomplete: boolean;
}

export interface Authorizer {
  /** `--authorization-mode` name (RBAC, Node, AlwaysAllow, AlwaysDeny). */
  readonly type: string;
  authorize(user: UserInfo, attrs: RequestAttributes): Decision;
  rulesFor(user: UserInfo, namespace: string): RuleSet;
}

export const NO_OPINION: Decision = { decision: 'noopinion', reason: '' };
export const ALLOW: Decision = { decision: 'allow', reason: '' };

export const ALL_RULES: RuleSet = {
  resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
  incomplete: false,
};

export const alwaysAllow: Authorizer = {
  type: 'AlwaysAllow',
  authorize: () => ALLOW,
  rulesFor: () => ALL_RULES,
};

export const alwaysDeny: Authorizer = {
  type: 'AlwaysDeny',
  authorize: () => ({ decision: 'noopinion', reason: 'Everything is forbidden.' }),
  rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
};

/**
 * system:masters may do anything, whatever the modes (upstream's privileged-groups authorizer).
 * Like upstream's it lists no rules: `can-i --list` shows what RBAC grants (cluster-admin).
 */
export const privilegedGroups: Authorizer = {
  type: 'PrivilegedGroups',
  authorize: (user) => (user.groups.includes('system:masters') ? ALLOW : NO_OPINION),
  rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
};

/** The first allow or deny wins; no-opinion reasons are joined for the Forbidden message. */
export function unionDecision(
  authorizers: readonly Authorizer[],
  user: UserInfo,
  attrs: RequestAttributes,
  observe?: (type: string, decision: DecisionKind) => void,
): Decision {
  const reasons: string[] = [];
  for (const a of authorizers) {
    const d = a.authorize(user, attrs);
    if (d.decision !== 'noopinion') {
      observe?.(a.type, d.decision);
      return d;
    }
    if (d.reason) reasons.push(d.reason);
  }
  return { decision: 'noopinion', reason: reasons.join(', ') };
}

export function unionRules(
  authorizers: readonly Authorizer[],
  user: UserInfo,
  ns: string,
): RuleSet {
  const out: RuleSet = { resourceRules: [], nonResourceRules: [], incomplete: false };
  for (const a of authorizers) {
    const r = a.rulesFor(user, ns);
    out.resourceRules.push(...r.resourceRules);
    out.nonResourceRules.push(...r.nonResourceRules);
    out.incomplete ||= r.incomplete;
  }
  return out;
}

/** upstream's forbiddenMessage: `User "u" cannot get resource "pods" in API group "" in the namespace "ns"`. */
export function forbiddenMessage(user: UserInfo, attrs: RequestAttributes): string {
  const username = user.username;
  if (attrs.kind === 'nonresource') {
    return `User ${JSON.stringify(username)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  }
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const head = `User ${JSON.stringify(username)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.group)}`;
  return attrs.namespace
    ? `${head} in the namespace ${JSON.stringify(attrs.namespace)}`
    : `${head} at the cluster scope`;
}
