import type { ServiceDefinition } from '@grpc/grpc-js';
import { PREFIX_BYTES } from '@kubets/component-base/grpc-server';
import { decodeRangeRequest } from '../apply/range-request-codec.js';
import type { RangeResponse } from '../gen/etcd/types/etcdserverpb/RangeResponse.js';
import { halves, varintSize, withHandCodedMethod, writeVarint } from './kv-codec.js';

export { decodeRangeRequest };

/**
 * Range, the request of every get, decoded and its response encoded by hand (decision 0030),
 * as Put's are (kv-codec.ts, decision 0027): proto-loader's toObject turns each of the six
 * int64 fields of a RangeRequest into a decimal string through a Long, and fromObject + encode
 * walk the response's header and key-values through generic code, a measurable share of a
 * get's CPU in the member that serves it. Both produce exactly what proto-loader does; whatever
 * they do not cover (unknown fields or enum values, other wire types, malformed bytes, values
 * of other forms) goes to the generic functions, so the result is always theirs.
 */

// RangeResponse, ResponseHeader and KeyValue field keys.
const RS_HEADER = (1 << 3) | 2;
const RS_KVS = (2 << 3) | 2;
const RS_MORE = (3 << 3) | 0;
const RS_COUNT = (4 << 3) | 0;
const RH_FIELDS = [(1 << 3) | 0, (2 << 3) | 0, (3 << 3) | 0, (4 << 3) | 0] as const;
const KV_KEY = (1 << 3) | 2;
const KV_INTS = [(2 << 3) | 0, (3 << 3) | 0, (4 << 3) | 0] as const;
const KV_VALUE = (5 << 3) | 2;
const KV_LEASE = (6 << 3) | 0;

/** An int64/uint64 field's value as two unsigned 32-bit halves; false when not covered. */
function int64Halves(v: unknown, out: Float64Array, i: number): boolean {
  if (typeof v === 'string') {
    if (!/^\d{1,19}$/.test(v)) return false;
    const b = BigInt(v);
    if (b >= 2n ** 63n) return false;
    out[i] = Number(b & 0xffffffffn);
    out[i + 1] = Number(b >> 32n);
    return true;
  }
  return halves(v, out, i);
}

/** Bytes of a length-delimited field of `n` payload bytes (key, length, payload). */
const lenField = (n: number): number => 1 + varintSize(n, 0) + n;

/** Scratch halves of one message's 64-bit fields (at most 4 per message). */
const scratch = new Float64Array(8);
const ABSENT = -1;

/**
 * The framed bytes of a RangeResponse as proto-loader's serializer writes them (every field
 * present written, zeros included, as protobufjs does after fromObject); undefined for a
 * response with anything else in it or values of other forms.
 */
export function encodeRangeResponseFramed(res: RangeResponse): Buffer | undefined {
  for (const k in res) if (k !== 'header' && k !== 'kvs' && k !== 'more' && k !== 'count') return;
  const h = res.header;
  let headerBody = ABSENT;
  const hv: unknown[] = [];
  if (h !== undefined && h !== null) {
    for (const k in h)
      if (k !== 'cluster_id' && k !== 'member_id' && k !== 'revision' && k !== 'raft_term')
        return undefined;
    hv.push(h.cluster_id, h.member_id, h.revision, h.raft_term);
    headerBody = 0;
    for (let f = 0; f < 4; f++) {
      const v = hv[f];
      if (v === undefined || v === null) continue;
      if (!int64Halves(v, scratch, 2 * f)) return undefined;
      headerBody += 1 + varintSize(scratch[2 * f]!, scratch[2 * f + 1]!);
    }
  }
  const kvs = res.kvs ?? [];
  if (!Array.isArray(kvs)) return undefined;
  // Each key-value's body size, computed once for the total and again at writing.
  const sizes: number[] = [];
  let size = headerBody === ABSENT ? 0 : lenField(headerBody);
  for (const kv of kvs) {
    const n = kvBodySize(kv);
    if (n < 0) return undefined;
    sizes.push(n);
    size += lenField(n);
  }
  const more = res.more;
  if (more !== undefined && more !== null) {
    if (typeof more !== 'boolean') return undefined;
    size += 2;
  }
  const count = res.count;
  let countLo = 0;
  let countHi = 0;
  if (count !== undefined && count !== null) {
    if (!int64Halves(count, scratch, 0)) return undefined;
    countLo = scratch[0]!;
    countHi = scratch[1]!;
    size += 1 + varintSize(countLo, countHi);
  }

  const out = Buffer.allocUnsafe(PREFIX_BYTES + size);
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  let pos = PREFIX_BYTES;
  if (headerBody !== ABSENT) {
    out[pos++] = RS_HEADER;
    pos = writeVarint(out, pos, headerBody, 0);
    for (let f = 0; f < 4; f++) {
      const v = hv[f];
      if (v === undefined || v === null) continue;
      int64Halves(v, scratch, 0);
      out[pos++] = RH_FIELDS[f]!;
      pos = writeVarint(out, pos, scratch[0]!, scratch[1]!);
    }
  }
  for (let i = 0; i < kvs.length; i++) {
    out[pos++] = RS_KVS;
    pos = writeVarint(out, pos, sizes[i]!, 0);
    pos = writeKv(out, pos, kvs[i] as KvLike);
  }
  if (more !== undefined && more !== null) {
    out[pos++] = RS_MORE;
    out[pos++] = more ? 1 : 0;
  }
  if (count !== undefined && count !== null) {
    out[pos++] = RS_COUNT;
    pos = writeVarint(out, pos, countLo, countHi);
  }
  return pos === out.length ? out : undefined;
}

interface KvLike {
  key?: unknown;
  create_revision?: unknown;
  mod_revision?: unknown;
  version?: unknown;
  value?: unknown;
  lease?: unknown;
}

/** A KeyValue's encoded size, or -1 when it has anything the encoder does not cover. */
function kvBodySize(kv: unknown): number {
  if (typeof kv !== 'object' || kv === null) return -1;
  for (const k in kv) {
    if (
      k !== 'key' &&
      k !== 'create_revision' &&
      k !== 'mod_revision' &&
      k !== 'version' &&
      k !== 'value' &&
      k !== 'lease'
    )
      return -1;
  }
  const m = kv as KvLike;
  let n = 0;
  for (const b of [m.key, m.value]) {
    if (b === undefined || b === null) continue;
    if (!Buffer.isBuffer(b)) return -1;
    n += lenField(b.length);
  }
  for (const v of [m.create_revision, m.mod_revision, m.version, m.lease]) {
    if (v === undefined || v === null) continue;
    if (!int64Halves(v, scratch, 0)) return -1;
    n += 1 + varintSize(scratch[0]!, scratch[1]!);
  }
  return n;
}

/** Writes a KeyValue kvBodySize accepted; fields in field-number order, as protobufjs. */
function writeKv(out: Buffer, pos: number, m: KvLike): number {
  const key = m.key as Buffer | undefined | null;
  if (key !== undefined && key !== null) pos = writeBytes(out, pos, KV_KEY, key);
  const ints = [m.create_revision, m.mod_revision, m.version];
  for (let f = 0; f < 3; f++) pos = writeInt(out, pos, KV_INTS[f]!, ints[f]);
  const value = m.value as Buffer | undefined | null;
  if (value !== undefined && value !== null) pos = writeBytes(out, pos, KV_VALUE, value);
  return writeInt(out, pos, KV_LEASE, m.lease);
}

function writeBytes(out: Buffer, pos: number, tag: number, b: Buffer): number {
  out[pos++] = tag;
  pos = writeVarint(out, pos, b.length, 0);
  if (b.length <= 32) for (let i = 0; i < b.length; i++) out[pos + i] = b[i]!;
  else out.set(b, pos);
  return pos + b.length;
}

function writeInt(out: Buffer, pos: number, tag: number, v: unknown): number {
  if (v === undefined || v === null) return pos;
  int64Halves(v, scratch, 0);
  out[pos++] = tag;
  return writeVarint(out, pos, scratch[0]!, scratch[1]!);
}

/**
 * The KV service definition with Range's request decoded and its response encoded by hand
 * (decodeRangeRequest, encodeRangeResponseFramed).
 */
export function withHandWrittenRange(service: ServiceDefinition): ServiceDefinition {
  return withHandCodedMethod(service, 'Range', decodeRangeRequest, encodeRangeResponseFramed);
}
