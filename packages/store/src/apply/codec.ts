import protobuf from 'protobufjs';
import { descriptor } from '../gen/etcd/descriptor.js';
import type {
  InternalRequest,
  InternalRequest__Output,
} from '../gen/etcd/types/kubets/store/InternalRequest.js';
import type {
  MemberRecord,
  MemberRecord__Output,
} from '../gen/etcd/types/kubets/store/MemberRecord.js';

/**
 * Binary codecs for the protobuf messages kubets-store writes to its log and snapshots. They use
 * the same descriptor and the same object shape as the gRPC layer (proto-loader's: bytes as
 * Buffer, 64-bit integers as decimal strings, enums as names), so a request decoded from the
 * network and one decoded from the log look identical to the applier.
 */
const root = protobuf.Root.fromJSON(descriptor);

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface MessageCodec<In, Out> {
  encode(message: In): Uint8Array;
  decode(bytes: Uint8Array): Out;
}

export function messageCodec<In, Out>(fullName: string): MessageCodec<In, Out> {
  const type = root.lookupType(fullName);
  return {
    encode: (message) => type.encode(type.fromObject(message as Record<string, unknown>)).finish(),
    decode: (bytes) => type.toObject(type.decode(bytes), TO_OBJECT) as Out,
  };
}

const genericInternalRequest = messageCodec<InternalRequest, InternalRequest__Output>(
  'kubets.store.InternalRequest',
);

/**
 * Log entries: every write is encoded once by its proposer and decoded by every member when it
 * is applied. Puts — nearly all of the traffic — take a hand-written path that produces the
 * same protobuf bytes and the same decoded object as the generic codec (checked by
 * codec.test.ts); anything else, or anything unexpected, goes through protobufjs.
 */
export const internalRequestCodec: MessageCodec<InternalRequest, InternalRequest__Output> = {
  encode: (req) => encodePutEntry(req) ?? genericInternalRequest.encode(req),
  decode: (bytes) => decodePutEntry(bytes) ?? genericInternalRequest.decode(bytes),
};

// Field keys (number << 3 | wire type) of InternalRequest and PutRequest.
const IR_ID = (1 << 3) | 0;
const IR_PUT = (4 << 3) | 2;
const PUT_KEY = (1 << 3) | 2;
const PUT_VALUE = (2 << 3) | 2;
const PUT_LEASE = (3 << 3) | 0;
const PUT_PREV_KV = (4 << 3) | 0;
const PUT_IGNORE_VALUE = (5 << 3) | 0;
const PUT_IGNORE_LEASE = (6 << 3) | 0;

function varintLength(v: bigint): number {
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

function smallVarintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** A 64-bit field given as proto-loader accepts it (decimal string or number), as unsigned. */
function toUint64(v: unknown): bigint | undefined {
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt.asUintN(64, BigInt(v));
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt.asUintN(64, BigInt(v));
  return undefined;
}

function asBytes(v: unknown): Uint8Array | undefined {
  return v instanceof Uint8Array ? v : undefined;
}

/**
 * The bytes of `{ ID, put }`, or undefined when `req` is not a plain put. Like protobufjs's
 * encoder (after fromObject), every field present in the object is written, defaults included.
 */
function encodePutEntry(req: InternalRequest): Uint8Array | undefined {
  const put = req.put;
  if (put === undefined || put === null) return undefined;
  for (const k in req) if (k !== 'ID' && k !== 'put' && k !== 'request') return undefined;
  if (req.request !== undefined && req.request !== 'put') return undefined;
  const present = (v: unknown): boolean => v !== undefined && v !== null;
  const id = present(req.ID) ? toUint64(req.ID) : undefined;
  const key = present(put.key) ? asBytes(put.key) : undefined;
  const value = present(put.value) ? asBytes(put.value) : undefined;
  const lease = present(put.lease) ? toUint64(put.lease) : undefined;
  if (
    (present(req.ID) && id === undefined) ||
    (present(put.key) && key === undefined) ||
    (present(put.value) && value === undefined) ||
    (present(put.lease) && lease === undefined)
  )
    return undefined;
  const flags: Array<[number, boolean | undefined]> = [
    [PUT_PREV_KV, put.prev_kv],
    [PUT_IGNORE_VALUE, put.ignore_value],
    [PUT_IGNORE_LEASE, put.ignore_lease],
  ];
  let body = 0;
  if (key !== undefined) body += 1 + smallVarintLength(key.length) + key.length;
  if (value !== undefined) body += 1 + smallVarintLength(value.length) + value.length;
  if (lease !== undefined) body += 1 + varintLength(lease);
  for (const [, f] of flags) if (present(f)) body += 2;
  const size = (id !== undefined ? 1 + varintLength(id) : 0) + 1 + smallVarintLength(body) + body;
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  const small = (v: number): void => {
    while (v >= 0x80) {
      buf[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[pos++] = v;
  };
  const big = (v: bigint): void => {
    while (v >= 0x80n) {
      buf[pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[pos++] = Number(v);
  };
  const bytes = (field: number, b: Uint8Array): void => {
    buf[pos++] = field;
    small(b.length);
    buf.set(b, pos);
    pos += b.length;
  };
  if (id !== undefined) {
    buf[pos++] = IR_ID;
    big(id);
  }
  buf[pos++] = IR_PUT;
  small(body);
  if (key !== undefined) bytes(PUT_KEY, key);
  if (value !== undefined) bytes(PUT_VALUE, value);
  if (lease !== undefined) {
    buf[pos++] = PUT_LEASE;
    big(lease);
  }
  for (const [field, f] of flags) {
    if (!present(f)) continue;
    buf[pos++] = field;
    buf[pos++] = f === true ? 1 : 0;
  }
  return buf;
}

/** Decodes an entry that holds exactly `{ ID, put }`; undefined for anything else. */
function decodePutEntry(bytes: Uint8Array): InternalRequest__Output | undefined {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let pos = 0;
  const varint = (end: number): bigint | undefined => {
    let v = 0n;
    let shift = 0n;
    while (pos < end) {
      const b = buf[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
      if (shift > 63n) return undefined;
    }
    return undefined;
  };
  let id = 0n;
  let put: InternalRequest__Output['put'] | undefined;
  while (pos < buf.length) {
    const key = buf[pos++]!;
    if (key === IR_ID) {
      const v = varint(buf.length);
      if (v === undefined) return undefined;
      id = v;
    } else if (key === IR_PUT && put === undefined) {
      const len = varint(buf.length);
      if (len === undefined || pos + Number(len) > buf.length) return undefined;
      const end = pos + Number(len);
      const out = {
        key: Buffer.alloc(0),
        value: Buffer.alloc(0),
        lease: '0',
        prev_kv: false,
        ignore_value: false,
        ignore_lease: false,
      };
      while (pos < end) {
        const field = buf[pos++]!;
        if (field === PUT_KEY || field === PUT_VALUE) {
          const n = varint(end);
          if (n === undefined || pos + Number(n) > end) return undefined;
          // A copy, as protobufjs makes: the state machine keeps these past the entry.
          const b = Buffer.from(buf.subarray(pos, pos + Number(n)));
          pos += Number(n);
          if (field === PUT_KEY) out.key = b;
          else out.value = b;
        } else if (field === PUT_LEASE) {
          const v = varint(end);
          if (v === undefined) return undefined;
          out.lease = BigInt.asIntN(64, v).toString();
        } else if (
          field === PUT_PREV_KV ||
          field === PUT_IGNORE_VALUE ||
          field === PUT_IGNORE_LEASE
        ) {
          const v = varint(end);
          if (v === undefined) return undefined;
          if (field === PUT_PREV_KV) out.prev_kv = v !== 0n;
          else if (field === PUT_IGNORE_VALUE) out.ignore_value = v !== 0n;
          else out.ignore_lease = v !== 0n;
        } else {
          return undefined;
        }
      }
      put = out;
    } else {
      return undefined;
    }
  }
  if (put === undefined) return undefined;
  return { ID: id.toString(), put, request: 'put' };
}

export const memberRecordCodec = messageCodec<MemberRecord, MemberRecord__Output>(
  'kubets.store.MemberRecord',
);
