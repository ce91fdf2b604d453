/**
 * OpenAPI v2 (Swagger 2.0) at `/openapi/v2`, built from the same per-group-version documents as
 * `/openapi/v3` (paths and schemas converted), in JSON and in the protobuf form kubectl 1.27 and
 * 1.28 ask for (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, gnostic's
 * openapi.v2.Document). Those kubectl versions need it for `explain` and for computing `apply`
 * patches: they look definitions up by their `x-kubernetes-group-version-kind` extension, and
 * check PATCH operations (with that extension) for a `fieldValidation` parameter.
 *
 * v3 -> v2: `#/components/schemas/X` becomes `#/definitions/X`; a single-`$ref` `allOf` becomes
 * the `$ref`; `nullable`, `anyOf`, `oneOf` and `not` have no v2 form and are left out; request
 * bodies become `in: body` parameters; responses carry their schema directly.
 */
import type { JsonObject, JsonValue } from '@kubets/apimachinery';
import type { Catalog } from '../registry/catalog.js';
import { documentHash, groupVersionDocument } from './openapi.js';

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The Content-Type upstream answers the protobuf form with. */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE =
  'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const V3_REF = '#/components/schemas/';
const V2_REF = '#/definitions/';
const DROPPED = new Set(['nullable', 'anyOf', 'oneOf', 'not']);

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A v3 schema as a v2 schema. */
export function toV2Schema(schema: JsonValue): JsonValue {
  if (!isObject(schema)) return schema;
  const allOf = schema.allOf;
  if (Array.isArray(allOf) && allOf.length === 1 && isObject(allOf[0]) && allOf[0].$ref) {
    const out: JsonObject = { $ref: convertRef(allOf[0].$ref as string) };
    if (typeof schema.description === 'string') out.description = schema.description;
    for (const [k, v] of Object.entries(schema)) if (k.startsWith('x-')) out[k] = v;
    return out;
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    if (DROPPED.has(k)) continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = convertRef(v);
    else if (k === 'properties' && isObject(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, toV2Schema(s)]));
    } else if ((k === 'items' || k === 'additionalProperties') && isObject(v)) {
      out[k] = toV2Schema(v);
    } else if (k === 'allOf' && Array.isArray(v)) out.allOf = v.map(toV2Schema);
    else out[k] = v;
  }
  return out;
}

function convertRef(ref: string): string {
  return ref.startsWith(V3_REF) ? V2_REF + ref.slice(V3_REF.length) : ref;
}

function toV2Parameter(p: JsonObject): JsonObject {
  const schema = isObject(p.schema) ? p.schema : {};
  const out: JsonObject = { name: p.name ?? '', in: p.in ?? 'query' };
  if (p.description !== undefined) out.description = p.description;
  if (p.required !== undefined) out.required = p.required;
  out.type = schema.type ?? 'string';
  if (schema.uniqueItems !== undefined) out.uniqueItems = schema.uniqueItems;
  return out;
}

const PRODUCES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function toV2Operation(op: JsonObject, verb: string): JsonObject {
  const out: JsonObject = {};
  if (op.description !== undefined) out.description = op.description;
  const body = isObject(op.requestBody) ? op.requestBody : undefined;
  const content = body && isObject(body.content) ? body.content : undefined;
  out.consumes = content ? Object.keys(content) : ['*/*'];
  out.produces = verb === 'list' ? [...PRODUCES, 'application/json;stream=watch'] : PRODUCES;
  out.schemes = ['https'];
  if (op.tags !== undefined) out.tags = op.tags;
  if (op.operationId !== undefined) out.operationId = op.operationId;
  const params: JsonValue[] = [];
  if (content) {
    const first = Object.values(content)[0];
    const schema = isObject(first) && isObject(first.schema) ? first.schema : {};
    params.push({ name: 'body', in: 'body', required: true, schema: toV2Schema(schema) });
  }
  for (const p of Array.isArray(op.parameters) ? op.parameters : []) {
    if (isObject(p)) params.push(toV2Parameter(p));
  }
  if (params.length > 0) out.parameters = params;
  const responses: JsonObject = {};
  for (const [code, r] of Object.entries(isObject(op.responses) ? op.responses : {})) {
    if (!isObject(r)) continue;
    const v2: JsonObject = { description: r.description ?? 'OK' };
    const media = isObject(r.content) ? Object.values(r.content)[0] : undefined;
    if (isObject(media) && isObject(media.schema)) v2.schema = toV2Schema(media.schema);
    responses[code] = v2;
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  for (const [k, v] of Object.entries(op)) if (k.startsWith('x-')) out[k] = v;
  return out;
}

const VERBS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

/** The whole API as one Swagger 2.0 document. */
export function swaggerDocument(catalog: Catalog, gitVersion: string): JsonObject {
  const paths: Record<string, JsonObject> = {};
  const definitions: Record<string, JsonValue> = {};
  for (const g of catalog.groups()) {
    for (const v of g.versions) {
      const doc = groupVersionDocument(catalog, g.name, v, gitVersion);
      if (!doc) continue;
      const schemas = isObject(doc.components) ? doc.components.schemas : undefined;
      for (const [name, s] of Object.entries(isObject(schemas) ? schemas : {})) {
        definitions[name] ??= toV2Schema(s);
      }
      for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
        if (!isObject(item)) continue;
        const out: JsonObject = {};
        for (const verb of VERBS) {
          const op = item[verb];
          if (!isObject(op)) continue;
          const action = op['x-kubernetes-action'];
          out[verb] = toV2Operation(op, typeof action === 'string' ? action : '');
        }
        const params = Array.isArray(item.parameters) ? item.parameters : [];
        if (params.length > 0) {
          out.parameters = params.filter(isObject).map((p) => toV2Parameter(p));
        }
        paths[path] = out;
      }
    }
  }
  const sorted = <T>(o: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: gitVersion },
    paths: sorted(paths),
    definitions: sorted(definitions),
    securityDefinitions: {
      BearerToken: {
        description: 'Bearer Token authentication',
        type: 'apiKey',
        name: 'authorization',
        in: 'header',
      },
    },
    security: [{ BearerToken: [] }],
  };
}

// ---------------------------------------------------------------------------------------------
// Protobuf encoding of gnostic's openapi.v2 messages (field numbers from OpenAPIv2.proto).

/** A minimal protobuf writer: varints, length-delimited fields, doubles. */
class ProtoWriter {
  private readonly parts: Buffer[] = [];

  private varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.parts.push(Buffer.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  string(field: number, value: unknown): this {
    if (typeof value !== 'string' || value === '') return this;
    const b = Buffer.from(value, 'utf8');
    this.tag(field, 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }

  strings(field: number, values: unknown): this {
    if (Array.isArray(values)) for (const v of values) this.string(field, String(v));
    return this;
  }

  bool(field: number, value: unknown): this {
    if (value !== true) return this;
    this.tag(field, 0);
    this.varint(1);
    return this;
  }

  int64(field: number, value: unknown): this {
    if (typeof value !== 'number' || !Number.isInteger(value) || value === 0) return this;
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  double(field: number, value: unknown): this {
    if (typeof value !== 'number' || value === 0) return this;
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.parts.push(b);
    return this;
  }

  message(field: number, body: Buffer | undefined): this {
    if (body === undefined) return this;
    this.tag(field, 2);
    this.varint(body.length);
    this.parts.push(body);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** openapi.v2.Any: the value as YAML text (JSON is YAML). */
function anyValue(v: JsonValue): Buffer {
  return new ProtoWriter().string(2, JSON.stringify(v)).finish();
}

/** `repeated NamedAny vendor_extension` entries for the `x-` members of `o`. */
function vendorExtensions(w: ProtoWriter, field: number, o: JsonObject): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-') || v === undefined) continue;
    w.message(field, new ProtoWriter().string(1, k).message(2, anyValue(v)).finish());
  }
}

function schemaProto(s: JsonValue): Buffer {
  const w = new ProtoWriter();
  if (!isObject(s)) return w.finish();
  w.string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description);
  if (s.default !== undefined) w.message(5, anyValue(s.default));
  w.double(6, s.multipleOf).double(7, s.maximum).bool(8, s.exclusiveMaximum);
  w.double(9, s.minimum).bool(10, s.exclusiveMinimum);
  w.int64(11, s.maxLength).int64(12, s.minLength).string(13, s.pattern);
  w.int64(14, s.maxItems).int64(15, s.minItems).bool(16, s.uniqueItems);
  w.int64(17, s.maxProperties).int64(18, s.minProperties).strings(19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) w.message(20, anyValue(e));
  if (isObject(s.additionalProperties)) {
    w.message(21, new ProtoWriter().message(1, schemaProto(s.additionalProperties)).finish());
  } else if (typeof s.additionalProperties === 'boolean') {
    // proto3 oneof: the boolean is present even when false.
    w.message(21, boolOneof(2, s.additionalProperties));
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    w.message(22, new ProtoWriter().strings(1, types).finish());
  }
  if (s.items !== undefined) {
    const items = Array.isArray(s.items) ? s.items : [s.items];
    const iw = new ProtoWriter();
    for (const i of items) iw.message(1, schemaProto(i));
    w.message(23, iw.finish());
  }
  if (Array.isArray(s.allOf)) for (const a of s.allOf) w.message(24, schemaProto(a));
  if (isObject(s.properties)) {
    const pw = new ProtoWriter();
    for (const [name, p] of Object.entries(s.properties)) {
      pw.message(1, new ProtoWriter().string(1, name).message(2, schemaProto(p)).finish());
    }
    w.message(25, pw.finish());
  }
  w.string(26, s.discriminator).bool(27, s.readOnly);
  if (s.example !== undefined) w.message(30, anyValue(s.example));
  vendorExtensions(w, 31, s);
  return w.finish();
}

/** A message holding a one-of boolean (written even when false). */
function boolOneof(field: number, value: boolean): Buffer {
  return Buffer.from([(field << 3) | 0, value ? 1 : 0]);
}

function parameterProto(p: JsonObject): Buffer {
  const param = new ProtoWriter();
  if (p.in === 'body') {
    const body = new ProtoWriter()
      .string(1, p.description)
      .string(2, p.name)
      .string(3, p.in)
      .bool(4, p.required)
      .message(5, schemaProto(p.schema ?? {}))
      .finish();
    param.message(1, body);
  } else {
    const sub = new ProtoWriter();
    if (p.in === 'path') {
      sub.bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
      sub.string(5, p.type).bool(19, p.uniqueItems);
    } else {
      sub.bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
      sub.string(6, p.type).bool(20, p.uniqueItems);
    }
    // NonBodyParameter: header 1, formData 2, query 3, path 4.
    const nonBody = new ProtoWriter().message(p.in === 'path' ? 4 : 3, sub.finish()).finish();
    param.message(2, nonBody);
  }
  // ParametersItem { Parameter parameter = 1 }
  return new ProtoWriter().message(1, param.finish()).finish();
}

function operationProto(op: JsonObject): Buffer {
  const w = new ProtoWriter();
  w.strings(1, op.tags).string(2, op.summary).string(3, op.description).string(5, op.operationId);
  w.strings(6, op.produces).strings(7, op.consumes);
  for (const p of Array.isArray(op.parameters) ? op.parameters : []) {
    if (isObject(p)) w.message(8, parameterProto(p));
  }
  const rw = new ProtoWriter();
  for (const [code, r] of Object.entries(isObject(op.responses) ? op.responses : {})) {
    if (!isObject(r)) continue;
    const resp = new ProtoWriter().string(1, r.description);
    if (r.schema !== undefined) {
      resp.message(2, new ProtoWriter().message(1, schemaProto(r.schema)).finish());
    }
    const value = new ProtoWriter().message(1, resp.finish()).finish();
    rw.message(1, new ProtoWriter().string(1, code).message(2, value).finish());
  }
  w.message(9, rw.finish());
  w.strings(10, op.schemes).bool(11, op.deprecated);
  vendorExtensions(w, 13, op);
  return w.finish();
}

const VERB_FIELDS: Record<(typeof VERBS)[number], number> = {
  get: 2,
  put: 3,
  post: 4,
  delete: 5,
  options: 6,
  head: 7,
  patch: 8,
};

/** The Swagger 2.0 document as an openapi.v2.Document. */
export function encodeSwaggerProto(doc: JsonObject): Buffer {
  const w = new ProtoWriter();
  w.string(1, doc.swagger);
  const info = isObject(doc.info) ? doc.info : {};
  w.message(2, new ProtoWriter().string(1, info.title).string(2, info.version).finish());
  const paths = new ProtoWriter();
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    const pi = new ProtoWriter();
    for (const verb of VERBS) {
      const op = item[verb];
      if (isObject(op)) pi.message(VERB_FIELDS[verb], operationProto(op));
    }
    for (const p of Array.isArray(item.parameters) ? item.parameters : []) {
      if (isObject(p)) pi.message(9, parameterProto(p));
    }
    paths.message(2, new ProtoWriter().string(1, path).message(2, pi.finish()).finish());
  }
  w.message(8, paths.finish());
  const defs = new ProtoWriter();
  for (const [name, s] of Object.entries(isObject(doc.definitions) ? doc.definitions : {})) {
    defs.message(1, new ProtoWriter().string(1, name).message(2, schemaProto(s)).finish());
  }
  w.message(9, defs.finish());
  return w.finish();
}

/** Serves `/openapi/v2`, rebuilt when the catalog changes. */
export class OpenAPIV2Service {
  private generation = -1;
  private cached: { json: string; proto: Buffer; etag: string } | undefined;

  constructor(
    private readonly catalog: Catalog,
    private readonly gitVersion: string,
  ) {}

  document(): { json: string; proto: Buffer; etag: string } {
    if (!this.cached || this.generation !== this.catalog.generation) {
      const doc = swaggerDocument(this.catalog, this.gitVersion);
      const json = JSON.stringify(doc);
      this.cached = { json, proto: encodeSwaggerProto(doc), etag: documentHash(json) };
      this.generation = this.catalog.generation;
    }
    return this.cached;
  }
}
