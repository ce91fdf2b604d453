/**
 * Conversions between the structured metav1.LabelSelector (matchLabels/matchExpressions, used in
 * specs) and the selector model (used in queries), as k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go.
 */
import type {
  LabelSelector,
  LabelSelectorOperator,
  LabelSelectorRequirement,
} from '../meta/types.js';
import { goQuote } from '../util/go-format.js';
import {
  everything,
  nothing,
  parseToRequirements,
  Requirement,
  selectorFromRequirements,
  type Labels,
  type Operator,
  type Selector,
} from './selector.js';

const OPERATOR_MAP: Record<LabelSelectorOperator, Operator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * metav1.LabelSelectorAsSelector: a null selector selects nothing, an empty one everything.
 * Throws on an unknown operator or an invalid key/value (upstream's messages).
 */
export function labelSelectorAsSelector(selector: LabelSelector | null | undefined): Selector {
  if (!selector) return nothing();
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (matchLabels.length + expressions.length === 0) return everything();
  const reqs: Requirement[] = [];
  for (const [k, v] of matchLabels) reqs.push(Requirement.create(k, '=', [v]));
  for (const expr of expressions) {
    const op = Object.prototype.hasOwnProperty.call(OPERATOR_MAP, expr.operator)
      ? OPERATOR_MAP[expr.operator]
      : undefined;
    if (op === undefined) {
      throw new Error(`${goQuote(String(expr.operator))} is not a valid label selector operator`);
    }
    reqs.push(Requirement.create(expr.key, op, [...(expr.values ?? [])]));
  }
  return selectorFromRequirements(reqs);
}

/**
 * metav1.LabelSelectorAsMap: the selector as an equality map, for APIs that only take maps
 * (e.g. a ReplicationController selector). Only matchLabels and single-valued `In` convert.
 */
export function labelSelectorAsMap(
  selector: LabelSelector | null | undefined,
): Record<string, string> | null {
  if (!selector) return null;
  const out: Record<string, string> = { ...(selector.matchLabels ?? {}) };
  for (const expr of selector.matchExpressions ?? []) {
    switch (expr.operator) {
      case 'In':
        if ((expr.values ?? []).length !== 1) {
          throw new Error(
            `operator ${goQuote(expr.operator)} without a single value cannot be converted into the old label selector format`,
          );
        }
        out[expr.key] = expr.values![0]!;
        break;
      case 'NotIn':
      case 'Exists':
      case 'DoesNotExist':
        throw new Error(
          `operator ${goQuote(expr.operator)} cannot be converted into the old label selector format`,
        );
      default:
        throw new Error(`${goQuote(String(expr.operator))} is not a valid selector operator`);
    }
  }
  return out;
}

/**
 * metav1.ParseToLabelSelector: a selector string to the structured form. `>`/`<` have no
 * structured equivalent and are rejected.
 */
export function parseToLabelSelector(selector: string): LabelSelector {
  let reqs: Requirement[];
  try {
    reqs = parseToRequirements(selector);
  } catch (e) {
    throw new Error(`couldn't parse the selector string "${selector}": ${(e as Error).message}`);
  }
  const out: { matchLabels: Record<string, string>; matchExpressions: LabelSelectorRequirement[] } =
    {
      matchLabels: {},
      matchExpressions: [],
    };
  for (const r of reqs) {
    const values = [...new Set(r.values)].sort();
    switch (r.operator) {
      case '=':
      case '==':
        if (values.length !== 1) throw new Error('equals operator must have exactly one value');
        out.matchLabels[r.key] = values[0]!;
        break;
      case 'in':
        out.matchExpressions.push({ key: r.key, operator: 'In', values });
        break;
      case 'notin':
        out.matchExpressions.push({ key: r.key, operator: 'NotIn', values });
        break;
      case 'exists':
        out.matchExpressions.push({ key: r.key, operator: 'Exists' });
        break;
      case '!':
        out.matchExpressions.push({ key: r.key, operator: 'DoesNotExist' });
        break;
      case 'gt':
      case 'lt':
        throw new Error(`${goQuote(r.operator)} isn't supported in label selectors`);
      default:
        throw new Error(`${goQuote(r.operator)} is not a valid label selector operator`);
    }
  }
  return out;
}

/** metav1.SetAsLabelSelector: an equality map as a LabelSelector. */
export function setAsLabelSelector(labels: Labels | null | undefined): LabelSelector | null {
  if (!labels) return null;
  return { matchLabels: { ...labels } };
}

/**
 * metav1.FormatLabelSelector: the selector string for printers (`app=web,tier in (a,b)`), `<none>`
 * when it selects everything or nothing, `<error>` when it is invalid.
 */
export function formatLabelSelector(selector: LabelSelector | null | undefined): string {
  let s: string;
  try {
    s = labelSelectorAsSelector(selector).toString();
  } catch {
    return '<error>';
  }
  return s.length === 0 ? '<none>' : s;
}
