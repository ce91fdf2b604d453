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
  walkUnknown(value, schema, definitions, path, out, false);
  return out;
}

/** Like findUnknownFields, and deletes those fields (what decoding into the typed struct does). */
export function pruneBySchema(
  value: unknown,
  schema: OpenAPISchema,
  definitions: Readonly<Record<string, OpenAPISchema>>,
): string[] {
  const out: string[] = [];
  walkUnknown(value, schema, definitions, '', out, true);
  return out;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function walkUnknown(
  value: unknown,
  schemaIn: OpenAPISchema,
  defs: Readonly<Record<string, OpenAPISchema>>,
  path: string,
  out: string[],
  remove: boolean,
): void {
  if (value === null || typeof value !== 'object') return;
  const schema = resolveSchema(schemaIn, defs);
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (Array.isArray(value)) {
    if (!schema.items) return;
    value.forEach((v, i) => walkUnknown(v, schema.items!, defs, `${path}[${i}]`, out, remove));
    return;
  }
  const props = schema.properties;
  const additional =
    typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  if (!props && !additional) return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = props?.[k];
    if (p && Object.prototype.hasOwnProperty.call(props, k)) {
      walkUnknown(v, p, defs, join(path, k), out, remove);
    } else if (additional) {
      walkUnknown(v, additional, defs, join(path, k), out, remove);
    } else if (!preserve && schema.additionalProperties !== true) {
      out.push(join(path, k));
      if (remove) delete (value as Record<string, unknown>)[k];
    }
  }
}
