/**
 * Which webhooks see which requests, as upstream's webhook/predicates: rules by operation,
 * group, version, resource (with subresources and `*`) and scope; matchPolicy Equivalent
 * (another served version of the same resource); namespaceSelector and objectSelector. Pure:
 * namespace labels are given by the caller.
 */
import { labelSelectorAsSelector, type LabelSelector } from '@kubets/apimachinery';
import type { RuleWithOperations, ValidatingWebhook } from '@kubets/api';
import type { ApiObject } from '../../storage/codec.js';
import type { AdmissionAttributes, GroupVersionKind, GroupVersionResource } from '../types.js';

/** Upstream never lets webhooks intercept the objects that configure admission itself. */
const EXEMPT = new Set([
  'admissionregistration.k8s.io/validatingwebhookconfigurations',
  'admissionregistration.k8s.io/mutatingwebhookconfigurations',
  'admissionregistration.k8s.io/validatingadmissionpolicies',
  'admissionregistration.k8s.io/validatingadmissionpolicybindings',
  'admissionregistration.k8s.io/mutatingadmissionpolicies',
  'admissionregistration.k8s.io/mutatingadmissionpolicybindings',
]);

export function isExemptResource(r: GroupVersionResource): boolean {
  return EXEMPT.has(`${r.group}/${r.resource}`);
}

function has(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).some((x) => x === '*' || x === value);
}

/** One entry of `rules[].resources` against a resource and subresource. */
export function resourceMatches(entry: string, resource: string, subresource: string): boolean {
  const [res, sub] = entry.split('/', 2) as [string, string | undefined];
  if (sub === undefined) return (res === '*' || res === resource) && subresource === '';
  if (res !== '*' && res !== resource) return false;
  return sub === '*' || sub === subresource;
}

function scopeMatches(scope: string | undefined, attrs: AdmissionAttributes): boolean {
  const isNamespace = attrs.resource.group === '' && attrs.resource.resource === 'namespaces';
  if (scope === undefined || scope === '*') return true;
  if (scope === 'Namespaced') return !isNamespace && attrs.namespace !== '';
  if (scope === 'Cluster') return isNamespace || attrs.namespace === '';
  return false;
}

export function ruleMatches(
  rule: RuleWithOperations,
  attrs: AdmissionAttributes,
  gvr: GroupVersionResource = attrs.resource,
): boolean {
  return (
    has(rule.operations, attrs.operation) &&
    has(rule.apiGroups, gvr.group) &&
    has(rule.apiVersions, gvr.version) &&
    (rule.resources ?? []).some((r) => resourceMatches(r, gvr.resource, attrs.subresource)) &&
    scopeMatches(rule.scope, attrs)
  );
}

/** The resource and kind a webhook is called with (the request's, or an equivalent version's). */
export interface Invocation {
  resource: GroupVersionResource;
  kind: GroupVersionKind;
}

/** Other served versions of the request's resource (matchPolicy Equivalent). */
export type Equivalents = (attrs: AdmissionAttributes) => Invocation[];

export function matchRules(
  hook: Pick<ValidatingWebhook, 'rules' | 'matchPolicy'>,
  attrs: AdmissionAttributes,
  equivalents: Equivalents = () => [],
): Invocation | undefined {
  const rules = hook.rules ?? [];
  if (rules.some((r) => ruleMatches(r, attrs))) {
    return { resource: attrs.resource, kind: attrs.kind };
  }
  // Upstream's default is Equivalent.
  if ((hook.matchPolicy ?? 'Equivalent') !== 'Equivalent') return undefined;
  for (const inv of equivalents(attrs)) {
    if (rules.some((r) => ruleMatches(r, attrs, inv.resource))) return inv;
  }
  return undefined;
}

export function selectorMatches(selector: LabelSelector | undefined, labels: object): boolean {
  if (!selector) return true;
  const s = labelSelectorAsSelector(selector);
  if (s.empty()) return true;
  return s.matches(labels as Record<string, string>);
}

/** objectSelector: the new or the old object's labels match (an empty selector matches all). */
export function objectSelectorMatches(
  selector: LabelSelector | undefined,
  attrs: AdmissionAttributes,
): boolean {
  if (!selector) return true;
  const s = labelSelectorAsSelector(selector);
  if (s.empty()) return true;
  const match = (o: ApiObject | undefined): boolean =>
    o !== undefined && s.matches(o.metadata?.labels ?? {});
  return match(attrs.object) || match(attrs.oldObject);
}

/**
 * namespaceSelector: cluster-scoped objects always match (except Namespace objects, matched by
 * their own labels); `namespaceLabels` is undefined when the namespace does not exist.
 */
export function namespaceSelectorMatches(
  selector: LabelSelector | undefined,
  attrs: AdmissionAttributes,
  namespaceLabels: Record<string, string> | undefined,
): boolean {
  if (!selector) return true;
  const s = labelSelectorAsSelector(selector);
  if (s.empty()) return true;
  const isNamespace = attrs.resource.group === '' && attrs.resource.resource === 'namespaces';
  if (isNamespace) {
    const o = attrs.object ?? attrs.oldObject;
    return s.matches(o?.metadata?.labels ?? {});
  }
  if (attrs.namespace === '') return true;
  return s.matches(namespaceLabels ?? {});
}

/** Whether the namespace selector needs the namespace's labels at all. */
export function needsNamespaceLabels(
  selector: LabelSelector | undefined,
  attrs: AdmissionAttributes,
): boolean {
  if (!selector || labelSelectorAsSelector(selector).empty()) return false;
  const isNamespace = attrs.resource.group === '' && attrs.resource.resource === 'namespaces';
  return !isNamespace && attrs.namespace !== '';
}
