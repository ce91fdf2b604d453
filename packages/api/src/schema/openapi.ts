/**
 * The built-in OpenAPI v3 definitions, and what is derived from them: strategic-merge-patch
 * metadata (through apimachinery's nodeFromOpenAPI) and unknown-field detection for
 * `fieldValidation=Strict|Warn`.
 */
import { nodeFromOpenAPI, patchSchema, type PatchSchema } from '@kubets/apimachinery';
import { REF_PREFIX, type OpenAPISchema } from './dsl.js';
import { coreDefinitions } from './defs-core.js';
import { groupDefinitions } from './defs-groups.js';
import { metaDefinitions } from './defs-meta.js';

let cached: Readonly<Record<string, OpenAPISchema>> | undefined;

/** Every built-in definition keyed by upstream name (`io.k8s.api.core.v1.Pod`). Shared; do not mutate. */
export function builtinDefinitions(): Readonly<Record<string, OpenAPISchema>> {
  cached ??= Object.freeze({ ...metaDefinitions(), ...coreDefinitions(), ...groupDefinitions() });
  return cached;
}

/** The definition name upstream uses for a built-in kind (`apps`/`v1`/`Deployment` -> io.k8s.api.apps.v1.Deployment). */
export function definitionNameFor(group: string, version: string, kind: string): string {
  if (group === 'apiextensions.k8s.io') {
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}.${kind}`;
  }
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '').replace(/\.authorization$/, '');
  return `io.k8s.api.${g}.${version}.${kind}`;
}

/** Resolves `$ref` and upstream's `allOf: [{$ref}]` wrapper to the schema it names. */
export function resolveSchema(
  schema: OpenAPISchema,
  definitions: Readonly<Record<string, OpenAPISchema>>,
): OpenAPISchema {
  let s = schema;
  for (let guard = 0; guard < 32; guard++) {
    const ref = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]?.$ref : undefined);
    if (!ref) return s;
    const target = definitions[ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref];
    if (!target) return {};
    s = target;
  }
  return s;
}

const patchSchemaCache = new Map<string, PatchSchema>();

/** Strategic-merge-patch metadata for a built-in definition, derived from its OpenAPI markers. */
export function builtinPatchSchema(definitionName: string): PatchSchema {
  let p = patchSchemaCache.get(definitionName);
  if (!p) {
    p = patchSchema(nodeFromOpenAPI(builtinDefinitions(), definitionName));
    patchSchemaCache.set(definitionName, p);
  }
  return p;
}

/**
 * Paths of fields the schema does not declare (`spec.template.spec.containers[0].foo`), as the
 * strict decoder reports them. Nodes with `x-kubernetes-preserve-unknown-fields` accept anything
 * below them.
 */
export function findUnknownFields(
  value: unknown,
  schema: OpenAPISchema,
  definitions: Readonly<Record<string, OpenAPISchema>>,
  path = '',
): string[] {
  const out: string[] = [];
  walkUnknown(value, schema, definitions, path === '' ? [] : [path], out, false);
  return out;
}

/** Like findUnknownFields, and deletes those fields (what decoding into the typed struct does). */
export function pruneBySchema(
  value: unknown,
  schema: OpenAPISchema,
  definitions: Readonly<Record<string, OpenAPISchema>>,
): string[] {
  const out: string[] = [];
  walkUnknown(value, schema, definitions, [], out, true);
  return out;
}

/**
 * A path kept as its segments (`spec`, `containers`, `[0]`) and joined only for a field that is
 * reported: the walk runs over every member of every object written.
 */
function joinPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out = out === '' ? s : `${out}.${s}`;
  }
  return out;
}

/** resolveSchema per (schema, definitions), computed once: the walk resolves at every node. */
const resolvedSchemas = new WeakMap<
  Readonly<Record<string, OpenAPISchema>>,
  WeakMap<OpenAPISchema, OpenAPISchema>
>();

function resolved(
  schema: OpenAPISchema,
  defs: Readonly<Record<string, OpenAPISchema>>,
): OpenAPISchema {
  let byDefs = resolvedSchemas.get(defs);
  if (!byDefs) {
    byDefs = new WeakMap();
    resolvedSchemas.set(defs, byDefs);
  }
  let r = byDefs.get(schema);
  if (!r) {
    r = resolveSchema(schema, defs);
    byDefs.set(schema, r);
  }
  return r;
}

function walkUnknown(
  value: unknown,
  schemaIn: OpenAPISchema,
  defs: Readonly<Record<string, OpenAPISchema>>,
  path: (string | number)[],
  out: string[],
  remove: boolean,
): void {
  if (value === null || typeof value !== 'object') return;
  const schema = resolved(schemaIn, defs);
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v === null || typeof v !== 'object') continue;
      path.push(i);
      walkUnknown(v, items, defs, path, out, remove);
      path.pop();
    }
    return;
  }
  const props = schema.properties;
  const additional =
    typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  if (!props && !additional) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = obj[k];
    const p = props?.[k];
    if (p && Object.prototype.hasOwnProperty.call(props, k)) {
      if (v === null || typeof v !== 'object') continue;
      path.push(k);
      walkUnknown(v, p, defs, path, out, remove);
      path.pop();
    } else if (additional) {
      if (v === null || typeof v !== 'object') continue;
      path.push(k);
      walkUnknown(v, additional, defs, path, out, remove);
      path.pop();
    } else if (!preserve && schema.additionalProperties !== true) {
      path.push(k);
      out.push(joinPath(path));
      path.pop();
      if (remove) delete obj[k];
    }
  }
}
