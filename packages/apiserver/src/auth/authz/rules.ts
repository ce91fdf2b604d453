/**
 * RBAC rule semantics, after upstream's rbac.RuleAllows and validation.Covers: whether a rule
 * allows a request, whether a set of rules covers another (escalation prevention), and the
 * compact form upstream prints missing rules in. Pure.
 */
import type { PolicyRule } from '@kubets/api';
import type { RequestAttributes } from '../types.js';

function has(list: readonly string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, group);
}

/** `pods`, `pods/status`, `*`, and `* /scale` (any resource's scale subresource). */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  for (const r of rule.resources ?? []) {
    if (r === '*') return true;
    if (r === combined) return true;
    if (subresource !== '' && r === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** Exact paths, `*`, and prefixes ending in `*`. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.kind === 'resource') {
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.group) &&
      resourceMatches(rule, attrs.resource, attrs.subresource) &&
      resourceNameMatches(rule, attrs.name)
    );
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path);
}

export function rulesAllow(attrs: RequestAttributes, rules: readonly PolicyRule[]): boolean {
  return rules.some((r) => ruleAllows(attrs, r));
}

/** One verb on one group/resource(/name), or one verb on one non-resource URL. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0)
          out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        for (const name of names) {
          out.push({
            verbs: [verb],
            apiGroups: [group],
            resources: [resource],
            resourceNames: [name],
          });
        }
      }
    }
    for (const url of rule.nonResourceURLs ?? [])
      out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

function subsumes(owner: readonly string[] | undefined, wanted: string): boolean {
  return has(owner, wanted);
}

/** Whether `owner` allows everything the atomic rule `r` does (upstream's ruleCovers). */
function ownerCovers(owner: PolicyRule, r: PolicyRule): boolean {
  const verb = r.verbs[0]!;
  if (!subsumes(owner.verbs, verb)) return false;
  const url = r.nonResourceURLs?.[0];
  if (url !== undefined) {
    return (owner.nonResourceURLs ?? []).some(
      (u) => u === '*' || u === url || (u.endsWith('*') && url.startsWith(u.slice(0, -1))),
    );
  }
  const group = r.apiGroups![0]!;
  const resource = r.resources![0]!;
  if (!subsumes(owner.apiGroups, group)) return false;
  const resourceCovered = (owner.resources ?? []).some((o) => {
    if (o === '*' || o === resource) return true;
    // `*/scale` covers `deployments/scale` and `* /scale`.
    const slash = resource.indexOf('/');
    return o.startsWith('*/') && slash > 0 && o.slice(1) === resource.slice(slash);
  });
  if (!resourceCovered) return false;
  const ownerNames = owner.resourceNames ?? [];
  if (ownerNames.length === 0) return true;
  const name = r.resourceNames?.[0];
  return name !== undefined && ownerNames.includes(name);
}

/** The parts of `requested` that `owned` does not cover (empty: no escalation). */
export function uncoveredRules(
  owned: readonly PolicyRule[],
  requested: readonly PolicyRule[],
): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of requested) {
    for (const atom of breakdown(rule)) {
      if (!owned.some((o) => ownerCovers(o, atom))) missing.push(atom);
    }
  }
  return compactRules(missing);
}

/** Merges atomic rules that differ only in their verb, as upstream's CompactRules. */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const byKey = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames, r.nonResourceURLs]);
    const existing = byKey.get(key);
    if (existing) {
      for (const v of r.verbs) if (!existing.verbs.includes(v)) existing.verbs.push(v);
      continue;
    }
    const copy: PolicyRule = { ...r, verbs: [...r.verbs] };
    byKey.set(key, copy);
    out.push(copy);
  }
  return out;
}

/** Go's `%q` of a []string: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** upstream's CompactString: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}
