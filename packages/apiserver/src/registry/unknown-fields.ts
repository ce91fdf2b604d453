/**
 * Fields a kind's OpenAPI schema does not declare: reported for `fieldValidation=Strict|Warn`
 * and dropped in every case, as upstream's typed decoding (built-ins) and structural pruning
 * (custom resources) drop them.
 */
import type { JsonValue } from '@kubets/apimachinery';
import type { OpenAPINode } from './fieldmanager/schema.js';

const REF = '#/components/schemas/';

function resolve(
  node: OpenAPINode,
  defs: Readonly<Record<string, OpenAPINode>>,
): OpenAPINode | undefined {
  let n: OpenAPINode | undefined = node;
  for (let guard = 0; n && guard < 32; guard++) {
    const ref: string | undefined =
      n.$ref ?? (n.allOf?.length === 1 ? n.allOf[0]?.$ref : undefined);
    if (!ref) return n;
    n = defs[ref.startsWith(REF) ? ref.slice(REF.length) : ref];
  }
  return n;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Removes undeclared fields from `value` (in place) and returns their paths
 * (`spec.template.spec.containers[0].foo`), in document order.
 */
export function pruneUnknownFields(
  value: JsonValue,
  schema: OpenAPINode | undefined,
  defs: Readonly<Record<string, OpenAPINode>>,
): string[] {
  const out: string[] = [];
  walk(value, schema, defs, '', out, true);
  return out;
}

function walk(
  value: JsonValue,
  schemaIn: OpenAPINode | undefined,
  defs: Readonly<Record<string, OpenAPINode>>,
  path: string,
  out: string[],
  root: boolean,
): void {
  if (!schemaIn || value === null || typeof value !== 'object') return;
  const schema = resolve(schemaIn, defs);
  if (!schema) return;
  if (Array.isArray(value)) {
    if (schema.items)
      value.forEach((v, i) => walk(v, schema.items, defs, `${path}[${i}]`, out, false));
    return;
  }
  if (schema['x-kubernetes-int-or-string']) return;
  const props = schema.properties;
  const additional = schema.additionalProperties;
  if (!props) {
    if (typeof additional === 'object') {
      for (const [k, v] of Object.entries(value))
        walk(v, additional, defs, join(path, k), out, false);
    }
    // No declared structure: an open object (e.g. RawExtension, preserve-unknown-fields).
    return;
  }
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true || additional === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  const obj = value;
  for (const k of Object.keys(obj)) {
    const p = Object.prototype.hasOwnProperty.call(props, k) ? props[k] : undefined;
    if (p) {
      walk(obj[k]!, p, defs, join(path, k), out, false);
    } else if (typeof additional === 'object') {
      walk(obj[k]!, additional, defs, join(path, k), out, false);
    } else if ((root || embedded) && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) {
      // Always allowed at the top of an object.
    } else if (!preserve) {
      out.push(join(path, k));
      delete obj[k];
    }
  }
}
