import type * as grpc from '@grpc/grpc-js';
import { messageCodec } from '../apply/codec.js';
import { toProtoKv } from '../apply/kv-apply.js';
import type { Event, Event__Output } from '../gen/etcd/types/mvccpb/Event.js';
import type {
  WatchResponse,
  WatchResponse__Output,
} from '../gen/etcd/types/etcdserverpb/WatchResponse.js';
import type { MvccEvent } from '../mvcc/kv.js';

const eventCodec = messageCodec<Event, Event__Output>('mvccpb.Event');
const responseCodec = messageCodec<WatchResponse, WatchResponse__Output>(
  'etcdserverpb.WatchResponse',
);

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

/**
 * The wire bytes of a WatchResponse: the header fields encoded per watcher, the events from
 * the cache (protobuf lets a message's fields come in any order and be concatenated).
 */
export function encodeWatchResponse(
  resp: Omit<WatchResponse, 'events'>,
  events: readonly MvccEvent[],
  prevKv: boolean,
): Buffer {
  const head = responseCodec.encode(resp);
  if (events.length === 0) return Buffer.from(head.buffer, head.byteOffset, head.length);
  const parts: Uint8Array[] = [head];
  for (const e of events) parts.push(eventField(e, prevKv));
  return Buffer.concat(parts);
}

/** The Watch service definition, its responses written as bytes from encodeWatchResponse. */
export function withPreEncodedResponses(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const watch = service.Watch;
  if (watch === undefined) throw new Error('Watch service without Watch');
  return {
    ...service,
    Watch: { ...watch, responseSerialize: (bytes: Buffer) => bytes },
  };
}
