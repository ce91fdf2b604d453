import type { ServiceDefinition } from '@grpc/grpc-js';
import { frameMessage, PREFIX_BYTES } from '@kubets/component-base/grpc-server';
import { decodePutRequest, decodeTxnRequest } from '../apply/codec.js';
import type { PutResponse } from '../gen/etcd/types/etcdserverpb/PutResponse.js';
import type { TxnResponse } from '../gen/etcd/types/etcdserverpb/TxnResponse.js';

// Field keys (number << 3 | wire type) of PutResponse and ResponseHeader.
const PR_HEADER = (1 << 3) | 2;
const RH_FIELDS = [(1 << 3) | 0, (2 << 3) | 0, (3 << 3) | 0, (4 << 3) | 0] as const;

/**
 * A 64-bit header field as the two unsigned 32-bit halves of its value, or undefined when it
 * is not one of the forms the server puts there (a non-negative safe integer, or a Long-like
 * `{ low, high }` as EtcdServer.header caches the cluster ID in).
 */
export function halves(v: unknown, out: Float64Array, i: number): boolean {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) return false;
    out[i] = v % 2 ** 32;
    out[i + 1] = Math.floor(v / 2 ** 32);
    return true;
  }
  if (typeof v === 'object' && v !== null) {
    const { low, high } = v as { low?: unknown; high?: unknown };
    if (typeof low !== 'number' || typeof high !== 'number') return false;
    out[i] = low >>> 0;
    out[i + 1] = high >>> 0;
    return true;
  }
  return false;
}

export function varintSize(lo: number, hi: number): number {
  let n = 1;
  while (hi > 0) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
    n++;
  }
  while (lo >= 0x80) {
    lo >>>= 7;
    n++;
  }
  return n;
}

export function writeVarint(buf: Buffer, pos: number, lo: number, hi: number): number {
  while (hi > 0) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
  }
  while (lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

const scratch = new Float64Array(8);

/**
 * The framed bytes of a PutResponse with only its header, written by hand: every put's answer,
 * where protobufjs's fromObject + encode cost tens of µs in a member that is otherwise idle
 * between requests (cold caches), more than the rest of the reply. Every header field present
 * is written, as protobufjs does after fromObject. Undefined for anything else (a prev_kv,
 * another field, a header value of another form): the generic serializer takes those.
 */
export function encodePutResponseFramed(res: PutResponse): Buffer | undefined {
  for (const k in res) if (k !== 'header' && (k !== 'prev_kv' || res.prev_kv != null)) return;
  const h = res.header;
  if (h === undefined || h === null) return undefined;
  for (const k in h)
    if (k !== 'cluster_id' && k !== 'member_id' && k !== 'revision' && k !== 'raft_term') return;
  const values = [h.cluster_id, h.member_id, h.revision, h.raft_term];
  let body = 0;
  for (let f = 0; f < 4; f++) {
    const v = values[f];
    if (v === undefined || v === null) continue;
    if (!halves(v, scratch, 2 * f)) return undefined;
    body += 1 + varintSize(scratch[2 * f]!, scratch[2 * f + 1]!);
  }
  // One byte for the header's length: at most 4 fields of 11 bytes.
  const size = 2 + body;
  const out = Buffer.allocUnsafe(PREFIX_BYTES + size);
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  let pos = PREFIX_BYTES;
  out[pos++] = PR_HEADER;
  out[pos++] = body;
  for (let f = 0; f < 4; f++) {
    const v = values[f];
    if (v === undefined || v === null) continue;
    out[pos++] = RH_FIELDS[f]!;
    pos = writeVarint(out, pos, scratch[2 * f]!, scratch[2 * f + 1]!);
  }
  return out;
}

/**
 * `service` with one method's request decoded and its response encoded by hand: `decode` and
 * `encodeFramed` answer undefined for what they do not cover, and the generic proto-loader
 * functions take that. The response is written as one framed buffer.
 */
export function withHandCodedMethod<Res>(
  service: ServiceDefinition,
  method: string,
  decode: (bytes: Buffer) => unknown,
  encodeFramed: (res: Res) => Buffer | undefined,
): ServiceDefinition {
  const def = service[method];
  if (def === undefined) throw new Error(`service without ${method}`);
  const deserialize = def.requestDeserialize;
  const serialize = def.responseSerialize;
  return {
    ...service,
    [method]: {
      ...def,
      requestDeserialize: (bytes: Buffer): unknown => decode(bytes) ?? deserialize(bytes),
      responseSerialize: (res: unknown) => encodeFramed(res as Res) ?? frameMessage(serialize(res)),
      responseFramed: true,
    } as typeof def,
  };
}

/**
 * The KV service definition with Put's request decoded and its response encoded by hand
 * (apply/codec.ts's put decoder, encodePutResponseFramed).
 */
export function withHandWrittenPut(service: ServiceDefinition): ServiceDefinition {
  return withHandCodedMethod(service, 'Put', decodePutRequest, encodePutResponseFramed);
}

const HEADER_KEYS = ['cluster_id', 'member_id', 'revision', 'raft_term'] as const;
const headerScratch = new Float64Array(8);

/**
 * A ResponseHeader's message bytes (every field present written, as protobufjs does), or
 * undefined for a field or value form encodePutResponseFramed's rules do not cover.
 */
function headerMessage(h: unknown): Buffer | undefined {
  if (typeof h !== 'object' || h === null) return undefined;
  for (const k in h) if (!(HEADER_KEYS as readonly string[]).includes(k)) return undefined;
  const rec = h as Record<string, unknown>;
  let size = 0;
  for (let f = 0; f < 4; f++) {
    const v = rec[HEADER_KEYS[f]!];
    if (v === undefined || v === null) continue;
    if (!halves(v, headerScratch, 2 * f)) return undefined;
    size += 1 + varintSize(headerScratch[2 * f]!, headerScratch[2 * f + 1]!);
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let f = 0; f < 4; f++) {
    const v = rec[HEADER_KEYS[f]!];
    if (v === undefined || v === null) continue;
    out[pos++] = RH_FIELDS[f]!;
    pos = writeVarint(out, pos, headerScratch[2 * f]!, headerScratch[2 * f + 1]!);
  }
  return out;
}

// Field keys of TxnResponse and ResponseOp.
const TR_HEADER = (1 << 3) | 2;
const TR_SUCCEEDED = (2 << 3) | 0;
const TR_RESPONSES = (3 << 3) | 2;
const OP_RESPONSE_PUT = (2 << 3) | 2;

/**
 * The framed bytes of a TxnResponse whose responses are all plain puts' (a header, no
 * prev_kv) — what kube-apiserver's creates and updates get back — written by hand as
 * encodePutResponseFramed does; undefined for anything else (the generic serializer).
 */
export function encodeTxnResponseFramed(res: TxnResponse): Buffer | undefined {
  for (const k in res) if (k !== 'header' && k !== 'succeeded' && k !== 'responses') return;
  const header = res.header === undefined ? undefined : headerMessage(res.header);
  if (res.header !== undefined && header === undefined) return undefined;
  const ops: Buffer[] = [];
  for (const op of res.responses ?? []) {
    for (const k in op) if (k !== 'response_put') return undefined;
    const put = op.response_put;
    if (put === undefined || put === null) return undefined;
    for (const k in put) if (k !== 'header' && (k !== 'prev_kv' || put.prev_kv != null)) return;
    const h = put.header === undefined ? undefined : headerMessage(put.header);
    if (put.header !== undefined && h === undefined) return undefined;
    // At most 44 header bytes: every length below fits one varint byte.
    ops.push(h ?? Buffer.alloc(0));
  }
  const succeeded = res.succeeded;
  let size = header !== undefined ? 2 + header.length : 0;
  if (succeeded !== undefined && succeeded !== null) size += 2;
  for (const h of ops) size += 2 + 2 + (h.length > 0 ? 2 + h.length : 0);
  const out = Buffer.allocUnsafe(PREFIX_BYTES + size);
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  let pos = PREFIX_BYTES;
  if (header !== undefined) {
    out[pos++] = TR_HEADER;
    out[pos++] = header.length;
    pos += header.copy(out, pos);
  }
  if (succeeded !== undefined && succeeded !== null) {
    out[pos++] = TR_SUCCEEDED;
    out[pos++] = succeeded ? 1 : 0;
  }
  for (const h of ops) {
    const putLen = h.length > 0 ? 2 + h.length : 0;
    out[pos++] = TR_RESPONSES;
    out[pos++] = 2 + putLen;
    out[pos++] = OP_RESPONSE_PUT;
    out[pos++] = putLen;
    if (h.length > 0) {
      out[pos++] = PR_HEADER;
      out[pos++] = h.length;
      pos += h.copy(out, pos);
    }
  }
  return out;
}

/**
 * The KV service definition with Txn's request decoded by hand (its bytes kept for the log
 * entry: apply/codec.ts's decodeTxnRequest) and plain puts' responses encoded by hand.
 */
export function withHandWrittenTxn(service: ServiceDefinition): ServiceDefinition {
  return withHandCodedMethod(service, 'Txn', decodeTxnRequest, encodeTxnResponseFramed);
}
