import type { ServiceDefinition } from '@kubets/component-base/grpc-server';
import { messageCodec } from '../apply/codec.js';
import { toProtoKv } from '../apply/kv-apply.js';
import type { Event, Event__Output } from '../gen/etcd/types/mvccpb/Event.js';
import type { WatchResponse } from '../gen/etcd/types/etcdserverpb/WatchResponse.js';
import type { MvccEvent } from '../mvcc/kv.js';

const eventCodec = messageCodec<Event, Event__Output>('mvccpb.Event');

/** WatchResponse.events is field 11, length-delimited. */
const EVENTS_TAG = (11 << 3) | 2;

/**
 * One event as an encoded `events` field of a WatchResponse, with and without prev_kv. A
 * commit's events are the same objects for every watcher that matches them, so with many
 * watchers on one prefix each event is encoded once instead of once per watcher.
 */
const withPrev = new WeakMap<MvccEvent, Buffer>();
const withoutPrev = new WeakMap<MvccEvent, Buffer>();

function eventField(e: MvccEvent, prevKv: boolean): Buffer {
  const cache = prevKv ? withPrev : withoutPrev;
  let field = cache.get(e);
  if (field === undefined) {
    const ev: Event = { type: e.type, kv: toProtoKv(e.kv) };
    if (prevKv && e.prevKv !== undefined) ev.prev_kv = toProtoKv(e.prevKv);
    const body = eventCodec.encode(ev);
    const head: number[] = [EVENTS_TAG];
    for (let n = body.length; ; n = Math.floor(n / 128)) {
      if (n < 0x80) {
        head.push(n);
        break;
      }
      head.push((n % 128) | 0x80);
    }
    field = Buffer.concat([Buffer.from(head), body]);
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
 * The encoded `header` field of the last response. A commit reaches every watcher with the same
 * header (revision, term, member, cluster), so a fan-out encodes it once.
 */
let lastHeader: { source: readonly unknown[]; bytes: Buffer } | undefined;

function headerField(h: WatchResponse['header']): Buffer {
  const source = [h?.cluster_id, h?.member_id, h?.revision, h?.raft_term] as const;
  if (lastHeader !== undefined && lastHeader.source.every((v, i) => v === source[i]))
    return lastHeader.bytes;
  const body: number[] = [];
  if (h !== null && h !== undefined) {
    source.forEach((v, i) => {
      if (v === undefined || v === null) return;
      body.push(HEADER_FIELDS[i]!, ...varintBytes(toUint64(v)));
    });
  }
  const bytes = Buffer.from([WR_HEADER, ...varintBytes(BigInt(body.length)), ...body]);
  lastHeader = { source, bytes };
  return bytes;
}

/**
 * The wire bytes of a WatchResponse, written by hand into one buffer: the header (shared by
 * the watchers of one commit), the per-watcher fields, then the events from the per-event cache
 * (protobuf lets a message's fields come in any order and be concatenated). Fields at their
 * default value are left out, as proto3 allows; `fragment` is never set.
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
  const rest: number[] = [WR_WATCH_ID, ...varintBytes(toUint64(resp.watch_id ?? 0))];
  if (resp.created === true) rest.push(WR_CREATED, 1);
  if (resp.canceled === true) rest.push(WR_CANCELED, 1);
  const compact = toUint64(resp.compact_revision ?? 0);
  if (compact !== 0n) rest.push(WR_COMPACT_REVISION, ...varintBytes(compact));
  if (resp.cancel_reason !== undefined && resp.cancel_reason !== '') {
    const reason = Buffer.from(resp.cancel_reason, 'utf8');
    rest.push(WR_CANCEL_REASON, ...varintBytes(BigInt(reason.length)), ...reason);
  }
  let size = header.length + rest.length;
  const fields: Buffer[] = [];
  for (const e of events) {
    const f = eventField(e, prevKv);
    fields.push(f);
    size += f.length;
  }
  const prefix = framed ? 5 : 0;
  const out = Buffer.allocUnsafe(prefix + size);
  if (framed) {
    out[0] = 0;
    out.writeUInt32BE(size, 1);
  }
  let pos = prefix + header.copy(out, prefix);
  for (const b of rest) out[pos++] = b;
  for (const f of fields) pos += f.copy(out, pos);
  return out;
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
