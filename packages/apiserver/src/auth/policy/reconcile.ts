/**
 * Reconciliation of the bootstrap policy (upstream's reconciliation package): missing roles and
 * bindings are created; existing ones get missing rules, aggregation selectors, labels,
 * annotations and subjects added, never removed, unless they carry
 * `rbac.authorization.kubernetes.io/autoupdate: "false"`. Pure: decides what to write.
 */
import { jsonEqual, type LabelSelector } from '@kubets/apimachinery';
import type { ClusterRole, ClusterRoleBinding } from '@kubets/api';
import { uncoveredRules } from '../authz/rules.js';
import { AUTOUPDATE_ANNOTATION } from './bootstrap-policy.js';

export type Reconciled<T> =
  { action: 'create'; object: T } | { action: 'update'; object: T } | { action: 'none' };

function mergeMaps(
  existing: Record<string, string> | undefined,
  desired: Record<string, string> | undefined,
): { merged: Record<string, string>; changed: boolean } {
  const merged = { ...existing };
  let changed = false;
  for (const [k, v] of Object.entries(desired ?? {})) {
    if (!(k in merged)) {
      merged[k] = v;
      changed = true;
    }
  }
  return { merged, changed };
}

function optedOut(obj: { metadata?: { annotations?: Record<string, string> } }): boolean {
  return obj.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';
}

export function reconcileClusterRole(
  existing: ClusterRole | undefined,
  desired: ClusterRole,
): Reconciled<ClusterRole> {
  if (!existing) return { action: 'create', object: desired };
  if (optedOut(existing)) return { action: 'none' };
  const next: ClusterRole = structuredClone(existing);
  const labels = mergeMaps(existing.metadata?.labels, desired.metadata?.labels);
  const annotations = mergeMaps(existing.metadata?.annotations, desired.metadata?.annotations);
  next.metadata = { ...next.metadata, labels: labels.merged, annotations: annotations.merged };
  let changed = labels.changed || annotations.changed;
  if (desired.aggregationRule) {
    const have: LabelSelector[] = [...(existing.aggregationRule?.clusterRoleSelectors ?? [])];
    for (const sel of desired.aggregationRule.clusterRoleSelectors ?? []) {
      if (!have.some((h) => jsonEqual(h, sel))) {
        have.push(sel);
        changed = true;
      }
    }
    next.aggregationRule = { clusterRoleSelectors: have };
  } else {
    const missing = uncoveredRules(existing.rules ?? [], desired.rules ?? []);
    if (missing.length > 0) {
      next.rules = [...(existing.rules ?? []), ...missing];
      changed = true;
    }
  }
  return changed ? { action: 'update', object: next } : { action: 'none' };
}

export function reconcileClusterRoleBinding(
  existing: ClusterRoleBinding | undefined,
  desired: ClusterRoleBinding,
): Reconciled<ClusterRoleBinding> {
  if (!existing) return { action: 'create', object: desired };
  if (optedOut(existing)) return { action: 'none' };
  const next: ClusterRoleBinding = structuredClone(existing);
  const labels = mergeMaps(existing.metadata?.labels, desired.metadata?.labels);
  const annotations = mergeMaps(existing.metadata?.annotations, desired.metadata?.annotations);
  next.metadata = { ...next.metadata, labels: labels.merged, annotations: annotations.merged };
  let changed = labels.changed || annotations.changed;
  const subjects = [...(existing.subjects ?? [])];
  for (const s of desired.subjects ?? []) {
    if (
      !subjects.some(
        (h) =>
          h.kind === s.kind && h.name === s.name && (h.namespace ?? '') === (s.namespace ?? ''),
      )
    ) {
      subjects.push(s);
      changed = true;
    }
  }
  if (subjects.length > 0) next.subjects = subjects;
  return changed ? { action: 'update', object: next } : { action: 'none' };
}
