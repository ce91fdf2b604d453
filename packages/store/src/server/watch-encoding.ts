import type { ServiceDefinition } from '@kubets/component-base/grpc-server';
import { smallVarintLength as varintLength } from '../apply/codec.js';
import type { WatchResponse } from '../gen/etcd/types/etcdserverpb/WatchResponse.js';
import type { KeyValue, MvccEvent } from '../mvcc/kv.js';

/** WatchResponse.events is field 11, length-delimited. */
const EVENTS_TAG = (11 << 3) | 2;
// mvccpb.Event and mvccpb.KeyValue field keys.
const EV_TYPE = (1 << 3) | 0;
const EV_KV = (2 << 3) | 2;
const EV_PREV_KV = (3 << 3) | 2;
const KV_KEY = (1 << 3) | 2;
const KV_CREATE = (2 << 3) | 0;
const KV_MOD = (3 << 3) | 0;
const KV_VERSION = (4 << 3) | 0;
const KV_VALUE = (5 << 3) | 2;
const KV_LEASE = (6 << 3) | 0;
const DELETE = 1;

/** A non-zero lease's varint (int64 as two's complement, as protobuf writes negative values). */
function leaseVarint(lease: bigint): number[] {
  return varintBytes(BigInt.asUintN(64, lease));
}

/** Bytes of a KeyValue's fields, zero values left out. */
function kvSize(kv: KeyValue, lease: number[] | undefined): number {
  let n = 0;
  if (kv.key.length > 0) n += 1 + varintLength(kv.key.length) + kv.key.length;
  if (kv.createRevision !== 0) n += 1 + varintLength(kv.createRevision);
  if (kv.modRevision !== 0) n += 1 + varintLength(kv.modRevision);
  if (kv.version !== 0) n += 1 + varintLength(kv.version);
  if (kv.value.length > 0) n += 1 + varintLength(kv.value.length) + kv.value.length;
  if (lease !== undefined) n += 1 + lease.length;
  return n;
}

function writeKv(out: Buffer, pos: number, kv: KeyValue, lease: number[] | undefined): number {
  if (kv.key.length > 0) {
    out[pos++] = KV_KEY;
    pos = putVarint(out, pos, kv.key.length);
    out.set(kv.key, pos);
    pos += kv.key.length;
  }
  if (kv.createRevision !== 0) {
    out[pos++] = KV_CREATE;
    pos = putVarint(out, pos, kv.createRevision);
  }
  if (kv.modRevision !== 0) {
    out[pos++] = KV_MOD;
    pos = putVarint(out, pos, kv.modRevision);
  }
  if (kv.version !== 0) {
    out[pos++] = KV_VERSION;
    pos = putVarint(out, pos, kv.version);
  }
  if (kv.value.length > 0) {
    out[pos++] = KV_VALUE;
    pos = putVarint(out, pos, kv.value.length);
    out.set(kv.value, pos);
    pos += kv.value.length;
  }
  if (lease !== undefined) {
    out[pos++] = KV_LEASE;
    for (const b of lease) out[pos++] = b;
  }
  return pos;
}

/**
 * One event as an encoded `events` field of a WatchResponse, with and without prev_kv. A
 * commit's events are the same objects for every watcher that matches them, so with many
 * watchers on one prefix each event is encoded once instead of once per watcher.
 *
 * Written by hand, with fields at their zero value left out as etcd (gogo protobuf) does: a PUT
 * carries no `type`, a key without a lease no `lease`. Each field a client decodes costs it
 * CPU, an int64 most (grpc-js clients build a Long and, with `longs: String` as the etcd3 client
 * asks, a decimal string for it): with every watcher receiving every event, this is paid per
 * event and watcher.
 */
const withPrev = new WeakMap<MvccEvent, Buffer>();
const withoutPrev = new WeakMap<MvccEvent, Buffer>();

function eventField(e: MvccEvent, prevKv: boolean): Buffer {
  const cache = prevKv ? withPrev : withoutPrev;
  let field = cache.get(e);
  if (field === undefined) {
    const lease = e.kv.lease === 0n ? undefined : leaseVarint(e.kv.lease);
    const kvLen = kvSize(e.kv, lease);
    const prev = prevKv ? e.prevKv : undefined;
    const prevLease = prev === undefined || prev.lease === 0n ? undefined : leaseVarint(prev.lease);
    const prevLen = prev === undefined ? 0 : kvSize(prev, prevLease);
    let body = (e.type === 'DELETE' ? 2 : 0) + 1 + varintLength(kvLen) + kvLen;
    if (prev !== undefined) body += 1 + varintLength(prevLen) + prevLen;
    field = Buffer.allocUnsafe(1 + varintLength(body) + body);
    field[0] = EVENTS_TAG;
    let pos = putVarint(field, 1, body);
    if (e.type === 'DELETE') {
      field[pos++] = EV_TYPE;
      field[pos++] = DELETE;
    }
    field[pos++] = EV_KV;
    pos = putVarint(field, pos, kvLen);
    pos = writeKv(field, pos, e.kv, lease);
    if (prev !== undefined) {
      field[pos++] = EV_PREV_KV;
      pos = putVarint(field, pos, prevLen);
      writeKv(field, pos, prev, prevLease);
    }
    cache.set(e, field);
  }
  return field;
}

// WatchResponse fields (etcdserverpb/rpc.proto) and ResponseHeader fields, as protobuf keys.
const WR_HEADER = (1 << 3) | 2;
const WR_WATCH_ID = (2 << 3) | 0;
const WR_CREATED = (3 << 3) | 0;
const WR_CANCELED = (4 << 3) | 0;
const WR_COMPACT_REVISION = (5 << 3) | 0;
const WR_CANCEL_REASON = (6 << 3) | 2;
const HEADER_FIELDS = [(1 << 3) | 0, (2 << 3) | 0, (3 << 3) | 0, (4 << 3) | 0] as const;

/** A 64-bit integer as proto-loader accepts one (number, decimal string, or Long halves). */
function toUint64(v: unknown): bigint {
  if (typeof v === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(v)));
  if (typeof v === 'string') return v === '' ? 0n : BigInt.asUintN(64, BigInt(v));
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (v !== null && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  }
  return 0n;
}

function varintBytes(v: bigint): number[] {
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/**
 * Encoded `header` fields by revision. A commit reaches every watcher with the same header
 * (revision, term, member, cluster), and replays of a few revisions interleave, so a fan-out
 * encodes each header once; the other fields are compared one by one (no array per call: this
 * runs once per watcher per message).
 */
interface EncodedHeader {
  cid: unknown;
  mid: unknown;
  term: unknown;
  bytes: Buffer;
}
const headers = new Map<unknown, EncodedHeader>();
const NO_HEADER = Buffer.from([WR_HEADER, 0]);

function headerField(h: WatchResponse['header']): Buffer {
  if (h === null || h === undefined) return NO_HEADER;
  const cid = h.cluster_id;
  const mid = h.member_id;
  const rev = h.revision;
  const term = h.raft_term;
  const known = headers.get(rev);
  if (known !== undefined && known.cid === cid && known.mid === mid && known.term === term) {
    return known.bytes;
  }
  const body: number[] = [];
  [cid, mid, rev, term].forEach((v, i) => {
    if (v === undefined || v === null) return;
    body.push(HEADER_FIELDS[i]!, ...varintBytes(toUint64(v)));
  });
  const bytes = Buffer.from([WR_HEADER, ...varintBytes(BigInt(body.length)), ...body]);
  // Bounded: only the revisions being sent right now matter.
  if (headers.size >= 256) headers.clear();
  headers.set(rev, { cid, mid, term, bytes });
  return bytes;
}

/**
 * The part of an event response every watcher of a commit shares: the header field and the
 * events' fields, one buffer. The hub hands the same events array to every watcher a commit's
 * events concern (and to every watcher of a stream that replays the same batch), and each
 * watcher's response is this body plus its watch_id (protobuf lets fields come in any order),
 * so a fan-out to N watchers builds it once instead of N times. Kept per events array (and
 * prev_kv kind) as long as the array lives.
 */
interface SharedBody {
  header: Buffer;
  body: Buffer;
}
const bodiesWithPrev = new WeakMap<readonly MvccEvent[], SharedBody>();
const bodiesWithoutPrev = new WeakMap<readonly MvccEvent[], SharedBody>();

function sharedBody(header: Buffer, events: readonly MvccEvent[], prevKv: boolean): Buffer {
  const cache = prevKv ? bodiesWithPrev : bodiesWithoutPrev;
  const known = cache.get(events);
  // The header by content: replays of different revisions interleave, so the same header
  // comes back as a different buffer.
  if (known !== undefined && (known.header === header || known.header.equals(header))) {
    return known.body;
  }
  let size = header.length;
  const fields: Buffer[] = [];
  for (const e of events) {
    const f = eventField(e, prevKv);
    fields.push(f);
    size += f.length;
  }
  const body = Buffer.allocUnsafe(size);
  // TypedArray.set: Buffer.copy checks its arguments and builds views on every call.
  body.set(header, 0);
  let pos = header.length;
  for (const f of fields) {
    body.set(f, pos);
    pos += f.length;
  }
  cache.set(events, { header, body });
  return body;
}

function putVarint(out: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

/**
 * The wire bytes of a WatchResponse, written by hand into one buffer: the header and the events
 * (shared by the watchers of one commit, see sharedBody), then the per-watcher fields. Protobuf
 * lets a message's fields come in any order and be concatenated. Fields at their default value
 * are left out, as proto3 allows (watch_id is always written); `fragment` is never set.
 *
 * `framed`: the buffer starts with the gRPC message prefix (uncompressed, length), so the
 * server writes it as it is: one buffer and one write per response.
 */
export function encodeWatchResponse(
  resp: Omit<WatchResponse, 'events'>,
  events: readonly MvccEvent[],
  prevKv: boolean,
  framed = false,
): Buffer {
  const header = headerField(resp.header);
  const body = events.length === 0 ? header : sharedBody(header, events, prevKv);
  const prefix = framed ? 5 : 0;
  const id = resp.watch_id ?? 0;
  const plain =
    resp.created !== true &&
    resp.canceled !== true &&
    (resp.compact_revision ?? 0) === 0 &&
    (resp.cancel_reason ?? '') === '' &&
    typeof id === 'number' &&
    id >= 0 &&
    Number.isSafeInteger(id);
  if (plain) {
    // The fan-out case: the shared body and watch_id, no intermediate arrays.
    const size = body.length + 1 + varintLength(id);
    const out = Buffer.allocUnsafe(prefix + size);
    if (framed) {
      out[0] = 0;
      out.writeUInt32BE(size, 1);
    }
    const pos = prefix + body.copy(out, prefix);
    out[pos] = WR_WATCH_ID;
    putVarint(out, pos + 1, id);
    return out;
  }
  const rest: number[] = [WR_WATCH_ID, ...varintBytes(toUint64(id))];
  if (resp.created === true) rest.push(WR_CREATED, 1);
  if (resp.canceled === true) rest.push(WR_CANCELED, 1);
  const compact = toUint64(resp.compact_revision ?? 0);
  if (compact !== 0n) rest.push(WR_COMPACT_REVISION, ...varintBytes(compact));
  if (resp.cancel_reason !== undefined && resp.cancel_reason !== '') {
    const reason = Buffer.from(resp.cancel_reason, 'utf8');
    rest.push(WR_CANCEL_REASON, ...varintBytes(BigInt(reason.length)), ...reason);
  }
  const size = body.length + rest.length;
  const out = Buffer.allocUnsafe(prefix + size);
  if (framed) {
    out[0] = 0;
    out.writeUInt32BE(size, 1);
  }
  let pos = prefix + body.copy(out, prefix);
  for (const b of rest) out[pos++] = b;
  return out;
}

/**
 * The part of an event response that every watcher of a commit shares (header and events), for
 * `watchResponseHead` to complete per watcher: the fan-out writes head and body to each stream
 * without building a buffer per watcher.
 */
export function watchEventsBody(
  header: WatchResponse['header'],
  events: readonly MvccEvent[],
  prevKv: boolean,
): Buffer {
  return sharedBody(headerField(header), events, prevKv);
}

/** The longest head `watchResponseHead` writes: gRPC prefix, watch_id key and a 10-byte varint. */
export const WATCH_HEAD_MAX = 5 + 1 + 10;

/**
 * Writes into `out` the gRPC message prefix and the watch_id field of a response whose other
 * fields are `body` (`bodyLength` bytes); returns the head's length. `watchId` is a
 * non-negative safe integer.
 */
export function watchResponseHead(out: Buffer, watchId: number, bodyLength: number): number {
  const size = 1 + varintLength(watchId) + bodyLength;
  out[0] = 0;
  out[1] = size >>> 24;
  out[2] = (size >>> 16) & 0xff;
  out[3] = (size >>> 8) & 0xff;
  out[4] = size & 0xff;
  out[5] = WR_WATCH_ID;
  return putVarint(out, 6, watchId);
}

/**
 * The Watch service definition, its responses written as the framed bytes of
 * encodeWatchResponse(..., framed = true).
 */
export function withPreEncodedResponses(service: ServiceDefinition): ServiceDefinition {
  const watch = service.Watch;
  if (watch === undefined) throw new Error('Watch service without Watch');
  return {
    ...service,
    Watch: { ...watch, responseSerialize: (bytes) => bytes as Buffer, responseFramed: true },
  };
}
