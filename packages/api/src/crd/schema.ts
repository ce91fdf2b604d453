/**
 * Custom resources against their structural schema: validation with ajv (errors mapped to
 * Kubernetes field errors with kube-openapi's messages), pruning of unknown fields (honouring
 * x-kubernetes-preserve-unknown-fields and embedded resources) and defaulting from `default`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  Path,
  deepCopyJson,
  goQuote,
  invalid,
  notSupported,
  required,
  tooLong,
  tooMany,
  type FieldError,
} from '@kubets/apimachinery';
import type { JSONSchemaProps } from '../types/apiextensions-v1.js';

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

// ---------------------------------------------------------------------------------------------
// Defaulting

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Structural defaulting: a field with a `default` that is absent (or null while not nullable) gets
 * a copy of the default, top-down, so defaults inside defaulted objects apply too.
 */
export function applyDefaults(value: unknown, schema: JSONSchemaProps | undefined): void {
  if (!schema) return;
  if (isObject(value)) {
    for (const [k, prop] of Object.entries(schema.properties ?? {})) {
      if (
        prop.default !== undefined &&
        (!(k in value) || (value[k] === null && prop.nullable !== true))
      ) {
        value[k] = deepCopyJson(prop.default);
      }
    }
    for (const [k, v] of Object.entries(value)) {
      const prop = schema.properties?.[k];
      if (prop && Object.prototype.hasOwnProperty.call(schema.properties, k))
        applyDefaults(v, prop);
      else if (isObject(schema.additionalProperties)) applyDefaults(v, schema.additionalProperties);
    }
  } else if (Array.isArray(value) && isObject(schema.items)) {
    for (const item of value) applyDefaults(item, schema.items);
  }
}

// ---------------------------------------------------------------------------------------------
// Pruning

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function pruneMeta(meta: unknown, path: string, out: string[]): void {
  if (!isObject(meta)) return;
  for (const k of Object.keys(meta)) {
    if (!OBJECT_META_FIELDS.has(k)) {
      delete meta[k];
      out.push(join(path, k));
    }
  }
}

function pruneNode(
  value: unknown,
  schema: JSONSchemaProps | undefined,
  path: string,
  resourceRoot: boolean,
  out: string[],
): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    if (isObject(schema.items))
      value.forEach((v, i) =>
        pruneNode(v, schema.items as JSONSchemaProps, `${path}[${i}]`, false, out),
      );
    return;
  }
  if (!isObject(value)) return;
  const embedded = resourceRoot || schema['x-kubernetes-embedded-resource'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const props = schema.properties ?? {};
  const additional = isObject(schema.additionalProperties)
    ? (schema.additionalProperties as JSONSchemaProps)
    : undefined;
  for (const k of Object.keys(value)) {
    const p = join(path, k);
    if (embedded && (k === 'apiVersion' || k === 'kind')) continue;
    if (embedded && k === 'metadata') {
      pruneMeta(value[k], p, out);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(props, k))
      pruneNode(value[k], props[k], p, false, out);
    else if (additional) pruneNode(value[k], additional, p, false, out);
    else if (!preserve && schema.additionalProperties !== true) {
      delete value[k];
      out.push(p);
    }
  }
}

/**
 * Drops every field the schema does not declare; returns their paths (`spec.foo`) so Strict/Warn
 * field validation can report them. The object root keeps apiVersion, kind and ObjectMeta fields.
 */
export function pruneUnknownFields(obj: unknown, schema: JSONSchemaProps): string[] {
  const out: string[] = [];
  pruneNode(obj, schema, '', true, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation with ajv

type AjvSchema = Record<string, unknown>;

/** JSONSchemaProps (OpenAPI v3 + Kubernetes extensions) as a JSON Schema ajv understands. */
export function toAjvSchema(s: JSONSchemaProps, root = false): AjvSchema {
  const out: AjvSchema = {};
  let type: string | string[] | undefined = s.type;
  if (s['x-kubernetes-int-or-string']) type = ['integer', 'string'];
  if (type !== undefined && type !== '') {
    if (s.nullable) type = [...(Array.isArray(type) ? type : [type]), 'null'];
    out.type = type;
  }
  for (const k of [
    'format',
    'maxLength',
    'minLength',
    'pattern',
    'maxItems',
    'minItems',
    'uniqueItems',
    'multipleOf',
    'maxProperties',
    'minProperties',
    'required',
  ] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (s.enum !== undefined) out.enum = s.nullable ? [...s.enum, null] : s.enum;
  // OpenAPI v3.0 / draft-04 booleans become draft-07 numbers.
  if (s.maximum !== undefined) {
    if (s.exclusiveMaximum) out.exclusiveMaximum = s.maximum;
    else out.maximum = s.maximum;
  }
  if (s.minimum !== undefined) {
    if (s.exclusiveMinimum) out.exclusiveMinimum = s.minimum;
    else out.minimum = s.minimum;
  }
  if (s.properties) {
    const props: Record<string, AjvSchema> = {};
    for (const [k, v] of Object.entries(s.properties)) {
      // ObjectMeta is validated by the metadata rules, not the schema (only name/generateName may be constrained).
      props[k] =
        root && k === 'metadata'
          ? toAjvSchema({ ...v, type: 'object', properties: pickMetaProps(v) })
          : toAjvSchema(v);
    }
    out.properties = props;
  }
  if (isObject(s.additionalProperties))
    out.additionalProperties = toAjvSchema(s.additionalProperties);
  else if (s.additionalProperties === false) out.additionalProperties = false;
  if (isObject(s.items)) out.items = toAjvSchema(s.items);
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (s[k]) out[k] = s[k].map((x) => toAjvSchema(x));
  }
  if (s.not) out.not = toAjvSchema(s.not);
  return out;
}

function pickMetaProps(meta: JSONSchemaProps): Record<string, JSONSchemaProps> {
  const out: Record<string, JSONSchemaProps> = {};
  for (const k of ['name', 'generateName'] as const)
    if (meta.properties?.[k]) out[k] = meta.properties[k];
  return out;
}

type AddFormats = (ajv: Ajv) => Ajv;
/** ajv-formats is CommonJS: its function is `module.exports.default` (and `module.exports` at runtime). */
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false, validateFormats: true });
  addFormats(ajv);
  // Formats Kubernetes (kube-openapi's strfmt) knows beyond JSON Schema's.
  const always = (): boolean => true;
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: always });
  ajv.addFormat('double', { type: 'number', validate: always });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('password', always);
  ajv.addFormat('cidr', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
  ajv.addFormat('mac', /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/);
  ajv.addFormat('duration', /^([+-]?(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$/);
  ajv.addFormat('datetime', always);
  return ajv;
}

let sharedAjv: Ajv | undefined;
const compiled = new WeakMap<JSONSchemaProps, ValidateFunction>();

/** The compiled validator of a schema (cached per schema object). */
export function compileSchema(schema: JSONSchemaProps): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    sharedAjv ??= newAjv();
    fn = sharedAjv.compile(toAjvSchema(schema, true));
    compiled.set(schema, fn);
  }
  return fn;
}

function instancePathToField(p: string): string {
  if (p === '') return '';
  let out = '';
  for (const seg of p.split('/').slice(1)) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}

/** kube-openapi's type name of a decoded JSON value. */
function openAPIType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let cur = root;
  for (const seg of instancePath.split('/').slice(1)) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function fieldPath(base: Path | undefined, rel: string): Path | undefined {
  if (rel === '') return base;
  return base ? base.child(rel) : Path.new(rel);
}

/** Maps one ajv error to the field error kube-openapi's validator would have produced. */
function toFieldError(e: ErrorObject, root: unknown): FieldError {
  const rel = instancePathToField(e.instancePath);
  const name = rel === '' ? '<nil>' : rel;
  const path = fieldPath(undefined, rel);
  const value = valueAt(root, e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      const expected = Array.isArray(p.type)
        ? (p.type as string[]).filter((t) => t !== 'null').join(',')
        : String(p.type);
      const actual = openAPIType(value);
      return invalid(
        path,
        actual,
        `${name} in body must be of type ${expected}: ${goQuote(actual)}`,
      );
    }
    case 'required': {
      const missing = String(p.missingProperty);
      return required(rel === '' ? Path.new(missing) : Path.new(rel).child(missing), '');
    }
    case 'enum': {
      const allowed = ((p.allowedValues as unknown[] | undefined) ?? []).map((x) =>
        typeof x === 'string' ? x : JSON.stringify(x),
      );
      return notSupported(path, value, allowed);
    }
    case 'maximum':
      return invalid(
        path,
        value,
        `${name} in body should be less than or equal to ${String(p.limit)}`,
      );
    case 'exclusiveMaximum':
      return invalid(path, value, `${name} in body should be less than ${String(p.limit)}`);
    case 'minimum':
      return invalid(
        path,
        value,
        `${name} in body should be greater than or equal to ${String(p.limit)}`,
      );
    case 'exclusiveMinimum':
      return invalid(path, value, `${name} in body should be greater than ${String(p.limit)}`);
    case 'maxLength':
      return tooLong(path, value, Number(p.limit));
    case 'minLength':
      return invalid(
        path,
        value,
        `${name} in body should be at least ${String(p.limit)} chars long`,
      );
    case 'pattern':
      return invalid(path, value, `${name} in body should match '${String(p.pattern)}'`);
    case 'maxItems':
      return tooMany(path, Array.isArray(value) ? value.length : -1, Number(p.limit));
    case 'minItems':
      return invalid(path, value, `${name} in body should have at least ${String(p.limit)} items`);
    case 'uniqueItems':
      return invalid(path, value, `${name} in body shouldn't contain duplicates`);
    case 'multipleOf':
      return invalid(
        path,
        value,
        `${name} in body should be a multiple of ${String(p.multipleOf)}`,
      );
    case 'format':
      return invalid(
        path,
        value,
        `${name} in body must be of type ${String(p.format)}: ${goQuote(String(value))}`,
      );
    case 'maxProperties':
      return tooMany(path, isObject(value) ? Object.keys(value).length : -1, Number(p.limit));
    case 'minProperties':
      return invalid(
        path,
        value,
        `${name} in body should have at least ${String(p.limit)} properties`,
      );
    case 'additionalProperties':
      return invalid(
        fieldPath(path, String(p.additionalProperty)),
        '',
        `${join(rel, String(p.additionalProperty))} in body is a forbidden property`,
      );
    case 'anyOf':
      return invalid(
        path,
        value ?? '',
        `${name} in body must validate at least one schema (anyOf)`,
      );
    case 'oneOf':
      return invalid(
        path,
        value ?? '',
        `${name} in body must validate one and only one schema (oneOf)`,
      );
    case 'not':
      return invalid(path, value ?? '', `${name} in body must not validate the schema (not)`);
    default:
      return invalid(path, value ?? '', `${name} in body ${e.message ?? 'is invalid'}`);
  }
}

/**
 * Validates a custom object against its version's schema. Errors nested under a failed
 * anyOf/oneOf/not are folded into that error, as kube-openapi reports them.
 */
export function validateAgainstSchema(obj: unknown, schema: JSONSchemaProps): FieldError[] {
  const fn = compileSchema(schema);
  if (fn(obj)) return [];
  const errors = fn.errors ?? [];
  const combinators = errors.filter(
    (e) => e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'not',
  );
  const kept = errors.filter(
    (e) => !combinators.some((c) => c !== e && e.schemaPath.startsWith(c.schemaPath + '/')),
  );
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of kept) {
    const fe = toFieldError(e, obj);
    if (seen.has(fe.message)) continue;
    seen.add(fe.message);
    out.push(fe);
  }
  return out;
}
