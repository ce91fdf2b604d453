/**
 * The audit policy (`--audit-policy-file`, audit.k8s.io/v1 Policy): parsed and validated with
 * upstream's field paths, and evaluated as k8s.io/apiserver/pkg/audit/policy/checker.go does —
 * the first rule matching the request decides its level; no match means None.
 *
 * Pure: evaluation takes the user and the request attributes and nothing else.
 */
import { invalid, notSupported, Path, required, type FieldError } from '@kubets/apimachinery';
import { parse as parseYaml } from 'yaml';
import type { RequestAttributes, UserInfo } from '../auth/types.js';
import { LEVELS, STAGES, type Level, type Policy, type PolicyRule, type Stage } from './types.js';

/** What auditing does for one request. */
export interface RequestAuditConfig {
  level: Level;
  omitStages: Stage[];
  omitManagedFields: boolean;
}

export class AuditPolicyError extends Error {
  constructor(
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'AuditPolicyError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.map((x) => String(x)) : undefined;
}

/** Parses a policy file (YAML or JSON); throws AuditPolicyError naming each bad field. */
export function parsePolicy(text: string): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AuditPolicyError(`failed decoding audit policy: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new AuditPolicyError('failed decoding audit policy: not an object');
  if (doc.kind !== 'Policy' || doc.apiVersion !== 'audit.k8s.io/v1') {
    throw new AuditPolicyError(
      `failed decoding audit policy: expected kind Policy in apiVersion audit.k8s.io/v1, got kind ${JSON.stringify(doc.kind)} in apiVersion ${JSON.stringify(doc.apiVersion)}`,
    );
  }
  const errors: FieldError[] = [];
  const omitStages = parseStages(doc.omitStages, Path.new('omitStages'), errors);
  const rawRules = Array.isArray(doc.rules) ? (doc.rules as unknown[]) : [];
  const rules = rawRules.map((r, i) => parseRule(r, Path.new('rules').at(i), errors));
  if (errors.length > 0) {
    throw new AuditPolicyError(
      `invalid audit policy: ${errors.map((e) => e.message).join(', ')}`,
      errors,
    );
  }
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    rules,
    ...(omitStages ? { omitStages } : {}),
    ...(typeof doc.omitManagedFields === 'boolean'
      ? { omitManagedFields: doc.omitManagedFields }
      : {}),
  };
}

function parseStages(raw: unknown, path: Path, errors: FieldError[]): Stage[] | undefined {
  const list = stringList(raw);
  if (!list) return undefined;
  list.forEach((s, i) => {
    if (!STAGES.includes(s as Stage)) errors.push(notSupported(path.at(i), s, STAGES));
  });
  return list as Stage[];
}

function parseRule(raw: unknown, path: Path, errors: FieldError[]): PolicyRule {
  const r = isObject(raw) ? raw : {};
  const level = typeof r.level === 'string' ? r.level : '';
  if (level === '') errors.push(required(path.child('level'), ''));
  else if (!LEVELS.includes(level as Level)) {
    errors.push(notSupported(path.child('level'), level, LEVELS));
  }
  const rule: PolicyRule = { level: level as Level };
  for (const field of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
    const v = stringList(r[field]);
    if (v) rule[field] = v;
  }
  if (Array.isArray(r.resources)) {
    rule.resources = (r.resources as unknown[]).map((g, i) => {
      const gr = isObject(g) ? g : {};
      const gPath = path.child('resources').at(i);
      const group = typeof gr.group === 'string' ? gr.group : '';
      if (group.includes('/')) {
        errors.push(invalid(gPath.child('group'), group, 'group name must not contain "/"'));
      }
      const resources = stringList(gr.resources);
      const resourceNames = stringList(gr.resourceNames);
      if (resourceNames && resourceNames.length > 0 && (resources?.length ?? 0) === 0) {
        errors.push(
          invalid(
            gPath.child('resourceNames'),
            resourceNames,
            'using resourceNames requires at least one resource',
          ),
        );
      }
      return {
        group,
        ...(resources ? { resources } : {}),
        ...(resourceNames ? { resourceNames } : {}),
      };
    });
  }
  const omitStages = parseStages(r.omitStages, path.child('omitStages'), errors);
  if (omitStages) rule.omitStages = omitStages;
  if (typeof r.omitManagedFields === 'boolean') rule.omitManagedFields = r.omitManagedFields;
  const hasResourceRules = (rule.resources?.length ?? 0) > 0 || (rule.namespaces?.length ?? 0) > 0;
  if ((rule.nonResourceURLs?.length ?? 0) > 0) {
    if (hasResourceRules) {
      errors.push(
        invalid(
          path.child('nonResourceURLs'),
          rule.nonResourceURLs,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    rule.nonResourceURLs!.forEach((u, i) => {
      const p = path.child('nonResourceURLs').at(i);
      if (!u.startsWith('/')) {
        errors.push(invalid(p, u, "non-resource URL rules must begin with a '/' character"));
      } else if (u.slice(0, -1).includes('*')) {
        errors.push(invalid(p, u, "non-resource URL wildcards '*' must be the final character"));
      }
    });
  }
  return rule;
}

/** The level and stages for a request: the first matching rule, else None. */
export function evaluatePolicy(
  policy: Policy,
  user: UserInfo,
  attrs: RequestAttributes,
): RequestAuditConfig {
  for (const rule of policy.rules) {
    if (!ruleMatches(rule, user, attrs)) continue;
    return {
      level: rule.level,
      omitStages: [...new Set([...(policy.omitStages ?? []), ...(rule.omitStages ?? [])])],
      omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields ?? false,
    };
  }
  return { level: 'None', omitStages: [], omitManagedFields: false };
}

export function ruleMatches(rule: PolicyRule, user: UserInfo, attrs: RequestAttributes): boolean {
  if (rule.users?.length && !rule.users.includes(user.username)) return false;
  if (rule.userGroups?.length && !user.groups.some((g) => rule.userGroups!.includes(g))) {
    return false;
  }
  if (rule.verbs?.length && !rule.verbs.includes(attrs.verb)) return false;
  if (rule.namespaces?.length || rule.resources?.length) return matchesResource(rule, attrs);
  if (rule.nonResourceURLs?.length) return matchesNonResource(rule, attrs);
  return true;
}

function matchesNonResource(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (attrs.kind !== 'nonresource') return false;
  return rule.nonResourceURLs!.some((u) =>
    u.endsWith('*') ? attrs.path.startsWith(u.slice(0, -1)) : attrs.path === u,
  );
}

function matchesResource(rule: PolicyRule, attrs: RequestAttributes): boolean {
  if (attrs.kind !== 'resource') return false;
  // Cluster-scoped resources have the namespace "" (list "" to match them).
  if (rule.namespaces?.length && !rule.namespaces.includes(attrs.namespace)) return false;
  if (!rule.resources?.length) return true;
  const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  for (const gr of rule.resources) {
    if ((gr.group ?? '') !== attrs.group) continue;
    if (!gr.resources?.length) return true;
    if (gr.resourceNames?.length && !gr.resourceNames.includes(attrs.name)) continue;
    for (const res of gr.resources) {
      if (res === combined || res === '*') return true;
      if (attrs.subresource && res.startsWith('*/') && res.slice(2) === attrs.subresource) {
        return true;
      }
      if (res.endsWith('/*') && res.slice(0, -2) === attrs.resource) return true;
    }
  }
  return false;
}
