/**
 * A small evaluator for the JSONPath subset CRDs use (additionalPrinterColumns, scale paths,
 * selectableFields): `.spec.foo`, `.metadata.labels['app.kubernetes.io/name']`, `.items[0]`,
 * `.items[*].name`, and filters `[?(@.type=="Ready")]` with `==`/`!=` or bare existence.
 * Results are printed as kubectl's jsonpath does (strings bare, structures as compact JSON).
 */
import { goSprintV } from '@kubets/apimachinery';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'filter'; path: string[]; op: '==' | '!=' | 'exists'; value?: unknown };

export class JSONPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JSONPathError';
  }
}

/** Parses a path such as `.status.conditions[?(@.type=="Ready")].status`. Throws JSONPathError. */
export function parseJSONPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new JSONPathError(msg);
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '.') {
      i++;
      let j = i;
      while (j < s.length && /[A-Za-z0-9_\-$/]/.test(s[j]!)) j++;
      if (j === i) {
        if (s[i] === '*') {
          steps.push({ kind: 'wildcard' });
          i++;
          continue;
        }
        if (i >= s.length) break;
        fail(
          `unrecognized character in action: U+${s.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')} '${s[i]}'`,
        );
      }
      steps.push({ kind: 'field', name: s.slice(i, j) });
      i = j;
    } else if (c === '[') {
      const close = findClose(s, i);
      if (close < 0) fail('unclosed array expect ]');
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$/.test(inner) || /^".*"$/.test(inner))
        steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')'))
        steps.push(parseFilter(inner.slice(2, -1), fail));
      else fail(`invalid array index ${inner}`);
    } else {
      fail(
        `unrecognized character in action: U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} '${c}'`,
      );
    }
  }
  return steps;
}

function findClose(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  return -1;
}

function parseFilter(f: string, fail: (m: string) => never): Step {
  const m = /^@((?:\.[A-Za-z0-9_\-/]+)+)\s*(?:(==|!=)\s*(.+))?$/.exec(f.trim());
  if (!m) return fail(`unsupported filter ${f}`);
  const path = m[1]!.split('.').slice(1);
  if (!m[2]) return { kind: 'filter', path, op: 'exists' };
  const raw = m[3]!.trim();
  let value: unknown;
  if (/^".*"$/.test(raw) || /^'.*'$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
  else return fail(`unsupported filter value ${raw}`);
  return { kind: 'filter', path, op: m[2] as '==' | '!=', value };
}

function getPath(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Every value the path selects, in document order. */
export function evaluateJSONPath(steps: Step[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if (v === null || v === undefined) continue;
      switch (step.kind) {
        case 'field':
          if (
            typeof v === 'object' &&
            !Array.isArray(v) &&
            Object.prototype.hasOwnProperty.call(v, step.name)
          ) {
            next.push((v as Record<string, unknown>)[step.name]);
          }
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = step.index < 0 ? v.length + step.index : step.index;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'wildcard':
          if (Array.isArray(v)) next.push(...(v as unknown[]));
          else if (typeof v === 'object')
            next.push(...Object.values<unknown>(v as Record<string, unknown>));
          break;
        case 'filter':
          if (Array.isArray(v)) {
            for (const item of v as unknown[]) {
              const x = getPath(item, step.path);
              const ok =
                step.op === 'exists'
                  ? x !== undefined
                  : step.op === '=='
                    ? x === step.value
                    : x !== undefined && x !== step.value;
              if (ok) next.push(item);
            }
          }
          break;
      }
    }
    current = next;
  }
  return current;
}

/** Go's json.Marshal: compact, map keys sorted. */
function goJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goJSON).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${goJSON(o[k])}`)
    .join(',')}}`;
}

/** How kubectl's jsonpath prints one result: structures as JSON, scalars as Go's %v. */
export function printJSONPathValue(v: unknown): string {
  if (v !== null && typeof v === 'object') return goJSON(v);
  return goSprintV(v);
}

/** validateSimpleJSONPath for CRD columns and scale paths; returns upstream-style messages. */
export function simpleJSONPathErrors(path: string): string[] {
  if (!path.startsWith('.')) return ['must be a simple json path starting with .'];
  try {
    parseJSONPath(path);
    return [];
  } catch (e) {
    return [`is an invalid JSONPath expression: ${(e as Error).message}`];
  }
}
