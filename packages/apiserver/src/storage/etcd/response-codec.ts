/**
 * etcd's responses on the API server's hot paths decoded by hand: every write's TxnResponse,
 * every read's RangeResponse and every watch message (each update of an object comes back once
 * as a Txn answer and once as a watch event). protobufjs decodes into Long objects and then
 * converts each int64 to a string through Long's division loop (`longs: String`), which was
 * about a tenth of the bytes the server allocated per update; here an int64 below 2^49 (every
 * revision, version and count a store reaches) becomes its string straight from a number.
 *
 * The output is exactly what the generated deserializers give (proto-loader's `keepCase`,
 * `longs: String`, `enums: String`, `defaults: true`, `oneofs: true`): the same fields with the
 * same defaults, so callers and types are unchanged. response-codec.test.ts checks that on
 * random messages against protobufjs. Field numbers are etcd's (proto/etcd).
 */
import type { DeleteRangeResponse__Output } from '../../gen/etcd/types/etcdserverpb/DeleteRangeResponse.js';
import type { PutResponse__Output } from '../../gen/etcd/types/etcdserverpb/PutResponse.js';
import type { RangeResponse__Output } from '../../gen/etcd/types/etcdserverpb/RangeResponse.js';
import type { ResponseHeader__Output } from '../../gen/etcd/types/etcdserverpb/ResponseHeader.js';
import type { ResponseOp__Output } from '../../gen/etcd/types/etcdserverpb/ResponseOp.js';
import type { TxnResponse__Output } from '../../gen/etcd/types/etcdserverpb/TxnResponse.js';
import type { WatchResponse__Output } from '../../gen/etcd/types/etcdserverpb/WatchResponse.js';
import type { Event__Output } from '../../gen/etcd/types/mvccpb/Event.js';
import type { KeyValue__Output } from '../../gen/etcd/types/mvccpb/KeyValue.js';
import { ProtoReader } from '../../wire/proto-reader.js';

const VARINT = 0;
const LEN = 2;

/** protobufjs's default for an absent bytes field. */
const noBytes = (): Buffer => Buffer.alloc(0);

function header(r: ProtoReader): ResponseHeader__Output {
  const h: ResponseHeader__Output = {
    cluster_id: '0',
    member_id: '0',
    revision: '0',
    raft_term: '0',
  };
  r.fields((field, wire) => {
    if (wire !== VARINT) return r.skip(wire);
    if (field === 1) h.cluster_id = r.uint64();
    else if (field === 2) h.member_id = r.uint64();
    else if (field === 3) h.revision = r.int64();
    else if (field === 4) h.raft_term = r.uint64();
    else r.skip(wire);
  });
  return h;
}

function keyValue(r: ProtoReader): KeyValue__Output {
  let key: Buffer | undefined;
  let value: Buffer | undefined;
  let createRevision = '0';
  let modRevision = '0';
  let version = '0';
  let lease = '0';
  r.fields((field, wire) => {
    if (field === 1 && wire === LEN) key = r.bytes();
    else if (field === 2 && wire === VARINT) createRevision = r.int64();
    else if (field === 3 && wire === VARINT) modRevision = r.int64();
    else if (field === 4 && wire === VARINT) version = r.int64();
    else if (field === 5 && wire === LEN) value = r.bytes();
    else if (field === 6 && wire === VARINT) lease = r.int64();
    else r.skip(wire);
  });
  return {
    key: key ?? noBytes(),
    create_revision: createRevision,
    mod_revision: modRevision,
    version,
    value: value ?? noBytes(),
    lease,
  };
}

const EVENT_TYPES = ['PUT', 'DELETE'] as const;

function event(r: ProtoReader): Event__Output {
  const e: Event__Output = { type: 'PUT', kv: null, prev_kv: null };
  r.fields((field, wire) => {
    if (field === 1 && wire === VARINT) {
      const t = r.uint();
      // protobufjs keeps the number of a value the enum does not name.
      e.type = (EVENT_TYPES[t] ?? t) as Event__Output['type'];
    } else if (field === 2 && wire === LEN) e.kv = keyValue(r.message());
    else if (field === 3 && wire === LEN) e.prev_kv = keyValue(r.message());
    else r.skip(wire);
  });
  return e;
}

function range(r: ProtoReader): RangeResponse__Output {
  const out: RangeResponse__Output = { header: null, kvs: [], more: false, count: '0' };
  r.fields((field, wire) => {
    if (field === 1 && wire === LEN) out.header = header(r.message());
    else if (field === 2 && wire === LEN) out.kvs.push(keyValue(r.message()));
    else if (field === 3 && wire === VARINT) out.more = r.bool();
    else if (field === 4 && wire === VARINT) out.count = r.int64();
    else r.skip(wire);
  });
  return out;
}

function put(r: ProtoReader): PutResponse__Output {
  const out: PutResponse__Output = { header: null, prev_kv: null };
  r.fields((field, wire) => {
    if (field === 1 && wire === LEN) out.header = header(r.message());
    else if (field === 2 && wire === LEN) out.prev_kv = keyValue(r.message());
    else r.skip(wire);
  });
  return out;
}

function deleteRange(r: ProtoReader): DeleteRangeResponse__Output {
  const out: DeleteRangeResponse__Output = { header: null, deleted: '0', prev_kvs: [] };
  r.fields((field, wire) => {
    if (field === 1 && wire === LEN) out.header = header(r.message());
    else if (field === 2 && wire === VARINT) out.deleted = r.int64();
    else if (field === 3 && wire === LEN) out.prev_kvs.push(keyValue(r.message()));
    else r.skip(wire);
  });
  return out;
}

/** A ResponseOp: the oneof's member that is set, and `response` naming it (proto-loader's oneofs). */
function responseOp(r: ProtoReader): ResponseOp__Output {
  const out: ResponseOp__Output = {};
  const set = <K extends NonNullable<ResponseOp__Output['response']>>(
    name: K,
    value: NonNullable<ResponseOp__Output[K]>,
  ): void => {
    // A later member of the oneof replaces an earlier one, as protobuf's merge rules say.
    if (out.response !== undefined) delete out[out.response];
    (out as Record<string, unknown>)[name] = value;
    out.response = name;
  };
  r.fields((field, wire) => {
    if (wire !== LEN) return r.skip(wire);
    if (field === 1) set('response_range', range(r.message()));
    else if (field === 2) set('response_put', put(r.message()));
    else if (field === 3) set('response_delete_range', deleteRange(r.message()));
    else if (field === 4) set('response_txn', txn(r.message()));
    else r.skip(wire);
  });
  return out;
}

function txn(r: ProtoReader): TxnResponse__Output {
  const out: TxnResponse__Output = { header: null, succeeded: false, responses: [] };
  r.fields((field, wire) => {
    if (field === 1 && wire === LEN) out.header = header(r.message());
    else if (field === 2 && wire === VARINT) out.succeeded = r.bool();
    else if (field === 3 && wire === LEN) out.responses.push(responseOp(r.message()));
    else r.skip(wire);
  });
  return out;
}

function watch(r: ProtoReader): WatchResponse__Output {
  const out: WatchResponse__Output = {
    header: null,
    watch_id: '0',
    created: false,
    canceled: false,
    compact_revision: '0',
    cancel_reason: '',
    fragment: false,
    events: [],
  };
  r.fields((field, wire) => {
    if (field === 1 && wire === LEN) out.header = header(r.message());
    else if (field === 2 && wire === VARINT) out.watch_id = r.int64();
    else if (field === 3 && wire === VARINT) out.created = r.bool();
    else if (field === 4 && wire === VARINT) out.canceled = r.bool();
    else if (field === 5 && wire === VARINT) out.compact_revision = r.int64();
    else if (field === 6 && wire === LEN) out.cancel_reason = r.string();
    else if (field === 7 && wire === VARINT) out.fragment = r.bool();
    else if (field === 11 && wire === LEN) out.events.push(event(r.message()));
    else r.skip(wire);
  });
  return out;
}

export const decodeRangeResponse = (bytes: Buffer): RangeResponse__Output =>
  range(new ProtoReader(bytes));

export const decodeTxnResponse = (bytes: Buffer): TxnResponse__Output =>
  txn(new ProtoReader(bytes));

export const decodeWatchResponse = (bytes: Buffer): WatchResponse__Output =>
  watch(new ProtoReader(bytes));
