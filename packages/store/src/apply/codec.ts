import protobuf from 'protobufjs';
import { descriptor } from '../gen/etcd/descriptor.js';
import type {
  InternalRequest,
  InternalRequest__Output,
} from '../gen/etcd/types/kubets/store/InternalRequest.js';
import type { Compare__Output } from '../gen/etcd/types/etcdserverpb/Compare.js';
import type { DeleteRangeRequest__Output } from '../gen/etcd/types/etcdserverpb/DeleteRangeRequest.js';
import type { PutRequest__Output } from '../gen/etcd/types/etcdserverpb/PutRequest.js';
import type { RangeRequest__Output } from '../gen/etcd/types/etcdserverpb/RangeRequest.js';
import type { RequestOp__Output } from '../gen/etcd/types/etcdserverpb/RequestOp.js';
import type { TxnRequest__Output } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';
import { decodeRangeRequest } from './range-request-codec.js';
import { VarintReader } from './varint-reader.js';
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
  encode: (req) => encodePutEntry(req) ?? encodeTxnEntry(req) ?? genericInternalRequest.encode(req),
  decode: (bytes) =>
    takeOwnEntry(bytes) ??
    decodePutEntry(bytes) ??
    decodeTxnEntry(bytes) ??
    genericInternalRequest.decode(bytes),
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
/** The key or value of a put whose entry omits it (nothing writes into a zero-length buffer). */
const EMPTY = Buffer.alloc(0);

function varintLength(v: bigint): number {
  // Below 2^35 the value is exact as a number; above, 5 bytes carry the low 35 bits.
  const hi = Number(v >> 35n);
  return hi === 0 ? smallVarintLength(Number(v)) : 5 + smallVarintLength(hi);
}

/** Bytes of `v` as a protobuf varint (a non-negative safe integer). */
export function smallVarintLength(v: number): number {
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
  // A 64-bit value in two exact number halves (the low 35 bits, the rest), so the byte loop
  // runs without BigInt arithmetic, which allocates per operation.
  const big = (v: bigint): void => {
    let lo = Number(v & 0x7ffffffffn);
    let hi = Number(v >> 35n);
    for (let i = 0; i < 4; i++) {
      if (lo < 0x80 && hi === 0) break;
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = Math.floor(lo / 128);
    }
    if (hi === 0) {
      buf[pos++] = lo;
      return;
    }
    buf[pos++] = lo | 0x80;
    while (hi >= 0x80) {
      buf[pos++] = (hi % 128) | 0x80;
      hi = Math.floor(hi / 128);
    }
    buf[pos++] = hi;
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

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * The fields of a PutRequest from `r.pos` to `end`, as proto-loader's object (defaults
 * included); undefined for anything but the six known fields with their wire types, or
 * malformed input (the caller then takes the generic decoder, which decides).
 */
function decodePutFields(
  r: VarintReader,
  end: number,
  copy: boolean,
): PutRequest__Output | undefined {
  const buf = r.buf;
  const out: PutRequest__Output = {
    key: EMPTY,
    value: EMPTY,
    lease: '0',
    prev_kv: false,
    ignore_value: false,
    ignore_lease: false,
  };
  while (r.pos < end) {
    const field = buf[r.pos++]!;
    if (field === PUT_KEY || field === PUT_VALUE) {
      const n = r.small(end);
      if (n < 0 || r.pos + n > end) return undefined;
      const view = buf.subarray(r.pos, r.pos + n);
      const b = copy ? Buffer.from(view) : view;
      r.pos += n;
      if (field === PUT_KEY) out.key = b;
      else out.value = b;
    } else if (field === PUT_LEASE) {
      const v = r.big(end);
      if (v === undefined) return undefined;
      out.lease = BigInt.asIntN(64, v).toString();
    } else if (field === PUT_PREV_KV || field === PUT_IGNORE_VALUE || field === PUT_IGNORE_LEASE) {
      const v = r.small(end);
      if (v < 0) return undefined;
      if (field === PUT_PREV_KV) out.prev_kv = v !== 0;
      else if (field === PUT_IGNORE_VALUE) out.ignore_value = v !== 0;
      else out.ignore_lease = v !== 0;
    } else {
      return undefined;
    }
  }
  return out;
}

/**
 * A PutRequest's bytes as proto-loader's deserializer decodes them: the same object, key and
 * value views of `bytes` as protobufjs gives (a request lives until it is encoded into its
 * log entry); undefined for anything the hand-written path does not cover.
 */
export function decodePutRequest(bytes: Uint8Array): PutRequest__Output | undefined {
  const buf = asBuffer(bytes);
  return decodePutFields(new VarintReader(buf), buf.length, false);
}

/** Decodes an entry that holds exactly `{ ID, put }`; undefined for anything else. */
function decodePutEntry(bytes: Uint8Array): InternalRequest__Output | undefined {
  // Copies of key and value, as protobufjs makes from a Uint8Array: the state machine keeps
  // them, and views would keep the whole entry's buffer alive behind them.
  const e = decodeOneRequestEntry(bytes, IR_PUT, (r, end) => decodePutFields(r, end, true));
  return e && { ID: e.id, put: e.body, request: 'put' };
}

/**
 * An entry that holds exactly an ID and one request, the field `fieldKey`, decoded by
 * `decodeBody` (which reads the request's bytes up to `end`); undefined for anything else.
 */
function decodeOneRequestEntry<T>(
  bytes: Uint8Array,
  fieldKey: number,
  decodeBody: (r: VarintReader, end: number) => T | undefined,
): { id: string; body: T } | undefined {
  const buf = asBuffer(bytes);
  const r = new VarintReader(buf);
  let id = 0n;
  let body: T | undefined;
  while (r.pos < buf.length) {
    const key = buf[r.pos++]!;
    if (key === IR_ID) {
      const v = r.big(buf.length);
      if (v === undefined) return undefined;
      id = v;
    } else if (key === fieldKey && body === undefined) {
      const e = fieldEnd(r, buf.length);
      if (e < 0) return undefined;
      body = decodeBody(r, e);
      if (body === undefined) return undefined;
      r.pos = e;
    } else {
      return undefined;
    }
  }
  return body === undefined ? undefined : { id: id.toString(), body };
}

// Field keys of InternalRequest.txn, TxnRequest, Compare and RequestOp.
const IR_TXN = (6 << 3) | 2;
const TXN_COMPARE = (1 << 3) | 2;
const TXN_SUCCESS = (2 << 3) | 2;
const TXN_FAILURE = (3 << 3) | 2;
const CMP_RESULT = (1 << 3) | 0;
const CMP_TARGET = (2 << 3) | 0;
const CMP_KEY = (3 << 3) | 2;
const CMP_VALUE = (7 << 3) | 2;
const CMP_RANGE_END = (64 << 3) | 2;
/** The int64 members of Compare's target_union by field key (value, bytes, apart). */
const CMP_INT64: ReadonlyMap<number, 'version' | 'create_revision' | 'mod_revision' | 'lease'> =
  new Map([
    [(4 << 3) | 0, 'version'],
    [(5 << 3) | 0, 'create_revision'],
    [(6 << 3) | 0, 'mod_revision'],
    [(8 << 3) | 0, 'lease'],
  ]);
const CMP_RESULTS = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
const CMP_TARGETS = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;
const OP_RANGE = (1 << 3) | 2;
const OP_PUT = (2 << 3) | 2;
const OP_DELETE_RANGE = (3 << 3) | 2;
const OP_TXN = (4 << 3) | 2;

/** RequestOp's range (when the hand-written decoder declines) and delete-range, generically. */
const rangeRequestType = root.lookupType('etcdserverpb.RangeRequest');
const deleteRangeRequestType = root.lookupType('etcdserverpb.DeleteRangeRequest');

/** An int64 field as proto-loader's decimal string (negative values are 10-byte varints). */
function int64String(r: VarintReader, end: number): string | undefined {
  const start = r.pos;
  const v = r.small(end);
  if (v >= 0) return String(v);
  r.pos = start;
  const b = r.big(end);
  return b === undefined ? undefined : BigInt.asIntN(64, b).toString();
}

/** A length-delimited field's extent from `r.pos`, or -1 when it overruns `end`. */
function fieldEnd(r: VarintReader, end: number): number {
  const n = r.small(end);
  return n < 0 || r.pos + n > end ? -1 : r.pos + n;
}

function decodeCompare(r: VarintReader, end: number, copy: boolean): Compare__Output | undefined {
  const buf = r.buf;
  const out: Compare__Output = { result: 'EQUAL', target: 'VERSION', key: EMPTY, range_end: EMPTY };
  while (r.pos < end) {
    const field = r.small(end);
    if (field === CMP_RESULT || field === CMP_TARGET) {
      const v = r.small(end);
      if (field === CMP_RESULT) {
        const name = CMP_RESULTS[v];
        if (name === undefined) return undefined;
        out.result = name;
      } else {
        const name = CMP_TARGETS[v];
        if (name === undefined) return undefined;
        out.target = name;
      }
    } else if (field === CMP_KEY || field === CMP_VALUE || field === CMP_RANGE_END) {
      const e = fieldEnd(r, end);
      if (e < 0) return undefined;
      const view = buf.subarray(r.pos, e);
      const b = copy ? Buffer.from(view) : view;
      r.pos = e;
      if (field === CMP_KEY) out.key = b;
      else if (field === CMP_RANGE_END) out.range_end = b;
      else if (out.target_union !== undefined) return undefined;
      else {
        out.value = b;
        out.target_union = 'value';
      }
    } else {
      const name = CMP_INT64.get(field);
      // Two members of the oneof on the wire: the generic decoder settles that.
      if (name === undefined || out.target_union !== undefined) return undefined;
      const v = int64String(r, end);
      if (v === undefined) return undefined;
      out[name] = v;
      out.target_union = name;
    }
  }
  return out;
}

function decodeRequestOp(
  r: VarintReader,
  end: number,
  depth: number,
  copy: boolean,
): RequestOp__Output | undefined {
  let op: RequestOp__Output | undefined;
  while (r.pos < end) {
    const field = r.small(end);
    const e = fieldEnd(r, end);
    // A second member of the oneof (or a repeat of one, which protobufjs would merge): generic.
    if (e < 0 || op !== undefined) return undefined;
    if (field === OP_PUT) {
      const put = decodePutFields(r, e, copy);
      if (put === undefined) return undefined;
      op = { request_put: put, request: 'request_put' };
    } else if (field === OP_TXN) {
      const txn = depth < 8 ? decodeTxnFields(r, e, depth + 1, copy) : undefined;
      if (txn === undefined) return undefined;
      op = { request_txn: txn, request: 'request_txn' };
    } else if (field === OP_RANGE) {
      // Reads keep nothing of the entry: views are fine here. kube-apiserver's every write
      // carries one (its failure branch reads the key back), so it is decoded by hand on every
      // member (decision 0038); anything that decoder does not cover goes to protobufjs.
      const view = r.buf.subarray(r.pos, e);
      const range =
        decodeRangeRequest(view) ??
        (rangeRequestType.toObject(
          rangeRequestType.decode(view),
          TO_OBJECT,
        ) as RangeRequest__Output);
      op = { request_range: range, request: 'request_range' };
    } else if (field === OP_DELETE_RANGE) {
      // Deletes keep nothing of the entry: protobufjs's views are fine here.
      const sub = deleteRangeRequestType.toObject(
        deleteRangeRequestType.decode(r.buf.subarray(r.pos, e)),
        TO_OBJECT,
      );
      op = {
        request_delete_range: sub as DeleteRangeRequest__Output,
        request: 'request_delete_range',
      };
    } else {
      return undefined;
    }
    r.pos = e;
  }
  return op ?? {};
}

function decodeTxnFields(
  r: VarintReader,
  end: number,
  depth: number,
  copy: boolean,
): TxnRequest__Output | undefined {
  const out: TxnRequest__Output = { compare: [], success: [], failure: [] };
  while (r.pos < end) {
    const field = r.small(end);
    const e = fieldEnd(r, end);
    if (e < 0) return undefined;
    if (field === TXN_COMPARE) {
      const c = decodeCompare(r, e, copy);
      if (c === undefined) return undefined;
      out.compare.push(c);
    } else if (field === TXN_SUCCESS || field === TXN_FAILURE) {
      const op = decodeRequestOp(r, e, depth, copy);
      if (op === undefined) return undefined;
      (field === TXN_SUCCESS ? out.success : out.failure).push(op);
    } else {
      return undefined;
    }
    r.pos = e;
  }
  return out;
}

/**
 * Decodes an entry that holds exactly `{ ID, txn }` as the generic codec does (every write of
 * kube-apiserver is a Txn: compare on mod_revision, then put, delete or range); undefined for
 * anything else or anything unexpected, which the generic decoder then takes. Compare's keys
 * and values and puts' keys and values are copies: the state machine keeps them.
 */
function decodeTxnEntry(bytes: Uint8Array): InternalRequest__Output | undefined {
  const e = decodeOneRequestEntry(bytes, IR_TXN, (r, end) => decodeTxnFields(r, end, 0, true));
  return e && { ID: e.id, txn: e.body, request: 'txn' };
}

/** Room before a kept TxnRequest's bytes for the entry's ID and txn field heads. */
const TXN_HEAD_ROOM = 1 + 10 + 1 + 5;

/**
 * TxnRequests decoded from the network (decodeTxnRequest) and their protobuf bytes, copied
 * TXN_HEAD_ROOM bytes into a buffer of their own, so that the log entry of the proposal is
 * written around them instead of being re-encoded field by field (protobufjs's fromObject +
 * encode). Weak: a request that is never proposed (a read-only txn, a rejected one) leaves.
 */
const txnWireBytes = new WeakMap<object, Buffer>();

/**
 * A TxnRequest's bytes as proto-loader's deserializer decodes them (the same object; keys and
 * values are views of one copy of the bytes), remembered for the log entry; undefined for
 * anything the hand-written decoder does not cover (the caller takes the generic one).
 */
export function decodeTxnRequest(bytes: Uint8Array): TxnRequest__Output | undefined {
  const kept = Buffer.allocUnsafe(TXN_HEAD_ROOM + bytes.length);
  kept.set(bytes, TXN_HEAD_ROOM);
  // Keys and values are views of the kept copy (one copy of the request instead of one per
  // key and value): the request lives until it is answered, the entry's head room is outside.
  const txn = decodeTxnFields(new VarintReader(kept, TXN_HEAD_ROOM), kept.length, 0, false);
  if (txn === undefined) return undefined;
  txnWireBytes.set(txn, kept);
  return txn;
}

/**
 * The entry `{ ID, txn }` around the TxnRequest's own bytes when the txn is one
 * decodeTxnRequest decoded (and so one the hand-written decoder reads back the same);
 * undefined otherwise. The validation in between reads the request and never changes it.
 */
function encodeTxnEntry(req: InternalRequest): Uint8Array | undefined {
  const txn = req.txn;
  if (txn === undefined || txn === null) return undefined;
  const kept = txnWireBytes.get(txn);
  if (kept === undefined) return undefined;
  for (const k in req) if (k !== 'ID' && k !== 'txn' && k !== 'request') return undefined;
  if (req.request !== undefined && req.request !== 'txn') return undefined;
  const id = req.ID !== undefined && req.ID !== null ? toUint64(req.ID) : undefined;
  if (id === undefined) return undefined;
  const len = kept.length - TXN_HEAD_ROOM;
  let lo = Number(id & 0x7ffffffffn);
  let hi = Number(id >> 35n);
  const start = TXN_HEAD_ROOM - (2 + varintLength(id) + smallVarintLength(len));
  let pos = start;
  kept[pos++] = IR_ID;
  // The ID's varint from its low 35 bits and the rest, without BigInt arithmetic per byte.
  for (let i = 0; i < 5 && (lo >= 0x80 || hi > 0); i++) {
    kept[pos++] = (lo & 0x7f) | 0x80;
    lo = Math.floor(lo / 128);
  }
  if (hi === 0) kept[pos++] = lo;
  else {
    while (hi >= 0x80) {
      kept[pos++] = (hi % 128) | 0x80;
      hi = Math.floor(hi / 128);
    }
    kept[pos++] = hi;
  }
  kept[pos++] = IR_TXN;
  let n = len;
  while (n >= 0x80) {
    kept[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  kept[pos++] = n;
  if (pos !== TXN_HEAD_ROOM) return undefined;
  // Once in the log the kept bytes belong to the entry: a second proposal of the same object
  // (none today) would re-encode.
  txnWireBytes.delete(txn);
  const entry = kept.subarray(start);
  ownEntries.set(entry, { ID: id.toString(), txn: txn as TxnRequest__Output, request: 'txn' });
  return entry;
}

/**
 * Entries this member wrote around a request's own bytes (encodeTxnEntry), each with the
 * request it was decoded into: the bytes are that request's, so when this member applies the
 * very same entry object (the proposer leads, as kube-apiserver's member mostly does: the Raft
 * log hands the proposal's bytes back), decoding it again would only rebuild the same object
 * and copy its key and value (decision 0038). The views of the kept copy stay valid: the copy
 * belongs to this entry alone. Weak, and taken once: an entry that is never applied here (the
 * proposal was dropped, or this member forwarded it) leaves with the entry, and any other
 * object of the same bytes (read back from the WAL, received from a peer) is decoded.
 */
const ownEntries = new WeakMap<Uint8Array, InternalRequest__Output>();

function takeOwnEntry(bytes: Uint8Array): InternalRequest__Output | undefined {
  const own = ownEntries.get(bytes);
  if (own !== undefined) ownEntries.delete(bytes);
  return own;
}

export const memberRecordCodec = messageCodec<MemberRecord, MemberRecord__Output>(
  'kubets.store.MemberRecord',
);
