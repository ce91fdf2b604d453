import type { RangeRequest__Output } from '../gen/etcd/types/etcdserverpb/RangeRequest.js';
import { VarintReader } from './varint-reader.js';

/**
 * A RangeRequest decoded by hand (decision 0030): the request of every get, and the read in
 * the failure branch of every kube-apiserver write's Txn, decoded again from the log entry on
 * every member (decision 0038). Used by the Range method (server/range-codec.ts) and by the
 * entry decoder (codec.ts); whatever it does not cover goes to the generic decoder.
 */

// RangeRequest field keys (number << 3 | wire type), etcdserverpb/rpc.proto.
const RQ_KEY = (1 << 3) | 2;
const RQ_RANGE_END = (2 << 3) | 2;
const RQ_LIMIT = (3 << 3) | 0;
const RQ_REVISION = (4 << 3) | 0;
const RQ_SORT_ORDER = (5 << 3) | 0;
const RQ_SORT_TARGET = (6 << 3) | 0;
const RQ_SERIALIZABLE = (7 << 3) | 0;
const RQ_KEYS_ONLY = (8 << 3) | 0;
const RQ_COUNT_ONLY = (9 << 3) | 0;
const RQ_MIN_MOD = (10 << 3) | 0;
const RQ_MAX_MOD = (11 << 3) | 0;
const RQ_MIN_CREATE = (12 << 3) | 0;
const RQ_MAX_CREATE = (13 << 3) | 0;

const SORT_ORDERS = ['NONE', 'ASCEND', 'DESCEND'] as const;
const SORT_TARGETS = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;
const EMPTY = Buffer.alloc(0);
/** Decimal strings of 0..127 (limits and the like), made once. */
const SMALL = Array.from({ length: 128 }, (_, i) => String(i));

/**
 * A RangeRequest's bytes as proto-loader's deserializer decodes them (defaults included, key
 * and range_end views of `bytes`, int64 fields as decimal strings, enums by name); undefined
 * for anything else.
 */
export function decodeRangeRequest(bytes: Buffer): RangeRequest__Output | undefined {
  const out: RangeRequest__Output = {
    key: EMPTY,
    range_end: EMPTY,
    limit: '0',
    revision: '0',
    sort_order: 'NONE',
    sort_target: 'KEY',
    serializable: false,
    keys_only: false,
    count_only: false,
    min_mod_revision: '0',
    max_mod_revision: '0',
    min_create_revision: '0',
    max_create_revision: '0',
  };
  const end = bytes.length;
  const r = new VarintReader(bytes);
  while (r.pos < end) {
    const field = bytes[r.pos++]!;
    switch (field) {
      case RQ_KEY:
      case RQ_RANGE_END: {
        const n = r.small(end);
        if (n < 0 || r.pos + n > end) return undefined;
        const view = bytes.subarray(r.pos, r.pos + n);
        r.pos += n;
        if (field === RQ_KEY) out.key = view;
        else out.range_end = view;
        break;
      }
      case RQ_SORT_ORDER:
      case RQ_SORT_TARGET: {
        const v = r.small(end);
        const name = field === RQ_SORT_ORDER ? SORT_ORDERS[v] : SORT_TARGETS[v];
        // Unknown values (and malformed ones, -1): proto-loader keeps the number.
        if (name === undefined) return undefined;
        if (field === RQ_SORT_ORDER) out.sort_order = name as RangeRequest__Output['sort_order'];
        else out.sort_target = name as RangeRequest__Output['sort_target'];
        break;
      }
      case RQ_SERIALIZABLE:
      case RQ_KEYS_ONLY:
      case RQ_COUNT_ONLY: {
        const v = r.small(end);
        if (v < 0) return undefined;
        if (field === RQ_SERIALIZABLE) out.serializable = v !== 0;
        else if (field === RQ_KEYS_ONLY) out.keys_only = v !== 0;
        else out.count_only = v !== 0;
        break;
      }
      case RQ_LIMIT:
      case RQ_REVISION:
      case RQ_MIN_MOD:
      case RQ_MAX_MOD:
      case RQ_MIN_CREATE:
      case RQ_MAX_CREATE: {
        const v = r.big(end);
        if (v === undefined) return undefined;
        const s = v < 0x80n ? SMALL[Number(v)]! : BigInt.asIntN(64, v).toString();
        if (field === RQ_LIMIT) out.limit = s;
        else if (field === RQ_REVISION) out.revision = s;
        else if (field === RQ_MIN_MOD) out.min_mod_revision = s;
        else if (field === RQ_MAX_MOD) out.max_mod_revision = s;
        else if (field === RQ_MIN_CREATE) out.min_create_revision = s;
        else out.max_create_revision = s;
        break;
      }
      default:
        return undefined;
    }
  }
  return out;
}
