/**
 * ClusterRole aggregation (upstream's clusterrole-aggregation controller, run inside the API
 * server here): a ClusterRole with an `aggregationRule` gets the union of the rules of every
 * ClusterRole its label selectors match, kept up to date as those roles change. Pure part:
 * `aggregatedRules`.
 */
import { jsonEqual, labelSelectorAsSelector } from '@kubets/apimachinery';
import type { ClusterRole, PolicyRule } from '@kubets/api';

/** The rules `target` should have, or undefined when it has no aggregation rule. */
export function aggregatedRules(
  target: ClusterRole,
  all: readonly ClusterRole[],
): PolicyRule[] | undefined {
  const selectors = target.aggregationRule?.clusterRoleSelectors;
  if (!selectors) return undefined;
  const compiled = selectors.map((s) => labelSelectorAsSelector(s));
  const sources = all
    .filter((r) => r.metadata?.name !== target.metadata?.name)
    .filter((r) => compiled.some((sel) => sel.matches(r.metadata?.labels ?? {})))
    .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  const out: PolicyRule[] = [];
  for (const r of sources) {
    for (const rule of r.rules ?? []) {
      if (!out.some((o) => jsonEqual(o, rule))) out.push(rule);
    }
  }
  return out;
}

export function rulesDiffer(
  a: readonly PolicyRule[] | undefined,
  b: readonly PolicyRule[],
): boolean {
  return !jsonEqual(a ?? [], b);
}
