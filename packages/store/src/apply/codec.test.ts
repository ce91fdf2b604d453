import { describe, expect, it } from 'vitest';
import type {
  InternalRequest,
  InternalRequest__Output,
} from '../gen/etcd/types/kubets/store/InternalRequest.js';
import type { Compare } from '../gen/etcd/types/etcdserverpb/Compare.js';
import type { RequestOp } from '../gen/etcd/types/etcdserverpb/RequestOp.js';
import type { TxnRequest } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';
import { decodeTxnRequest, internalRequestCodec, messageCodec } from './codec.js';

const generic = messageCodec<InternalRequest, InternalRequest__Output>(
  'kubets.store.InternalRequest',
);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Buffers as tagged hex strings, so deep equality stays cheap and still checks the type. */
function comparable(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return `Buffer:${v.toString('hex')}`;
  if (v instanceof Uint8Array) return `Uint8Array:${Buffer.from(v).toString('hex')}`;
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, comparable(x)]));
  return v;
}

describe('log entry codec', () => {
  it('encodes and decodes puts exactly as the generic protobuf codec does', () => {
    const random = rng(11);
    const leases = [
      '0',
      '1',
      '7587862512543513611',
      '-1',
      '-9223372036854775808',
      '127',
      '128',
      '34359738368',
    ];
    // Around the varint byte boundaries and the 35-bit split of the fast codec's arithmetic.
    const ids = [
      '0',
      '1',
      '18446744073709551615',
      '9007199254740993',
      '300',
      '34359738367',
      '34359738368',
      '4398046511103',
      '562949953421312',
      '9223372036854775808',
      '7587862512543513611',
    ];
    for (let i = 0; i < 500; i++) {
      const bytes = (n: number) =>
        Buffer.from(Array.from({ length: n }, () => (random() * 256) | 0));
      const req: InternalRequest = {
        ID: ids[i % ids.length]!,
        put: {
          key: bytes([0, 1, 10, 200][i % 4]!),
          value: bytes([0, 3, 256, 2000][(i >> 2) % 4]!),
          lease: leases[i % leases.length]!,
          prev_kv: random() < 0.5,
          ignore_value: random() < 0.3,
          ignore_lease: random() < 0.3,
        },
      };
      const fast = internalRequestCodec.encode(req);
      expect(Buffer.from(fast).equals(Buffer.from(generic.encode(req)))).toBe(true);
      expect(comparable(internalRequestCodec.decode(fast))).toStrictEqual(
        comparable(generic.decode(fast)),
      );
    }
  });

  it('leaves every other request to the generic codec', () => {
    const req: InternalRequest = {
      ID: '5',
      delete_range: { key: Buffer.from('a'), range_end: Buffer.from('b') },
    };
    const bytes = internalRequestCodec.encode(req);
    expect(Buffer.from(bytes).equals(Buffer.from(generic.encode(req)))).toBe(true);
    expect(internalRequestCodec.decode(bytes)).toStrictEqual(generic.decode(bytes));
  });

  it('decodes transactions exactly as the generic protobuf codec does', () => {
    const random = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => (random() * 256) | 0));
    const ints = [
      '0',
      '1',
      '127',
      '128',
      '34359738368',
      '-1',
      '-9223372036854775808',
      '9223372036854775807',
    ];
    const compare = (): Compare => {
      const target = pick(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const);
      const c: Compare = {
        result: pick(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const),
        target,
        key: bytes(pick([0, 5, 40])),
      };
      if (random() < 0.3) c.range_end = bytes(pick([0, 1, 3]));
      const member = pick([
        'version',
        'create_revision',
        'mod_revision',
        'value',
        'lease',
        undefined,
      ] as const);
      if (member === 'value') c.value = bytes(pick([0, 10, 300]));
      else if (member !== undefined) c[member] = pick(ints);
      return c;
    };
    const op = (depth: number): RequestOp => {
      const kind = pick(['put', 'put', 'range', 'delete', 'txn', 'none'] as const);
      if (kind === 'put')
        return {
          request_put: {
            key: bytes(pick([1, 30])),
            value: bytes(pick([0, 2500])),
            lease: pick(ints),
            prev_kv: random() < 0.3,
          },
        };
      if (kind === 'range') {
        // Every field of a RangeRequest (decoded by hand since decision 0038), each present
        // or absent; an out-of-range enum number leaves the op to protobufjs.
        const range: NonNullable<RequestOp['request_range']> = { key: bytes(pick([0, 5])) };
        if (random() < 0.5) range.range_end = bytes(pick([0, 1]));
        if (random() < 0.5) range.limit = pick(ints);
        if (random() < 0.5) range.revision = pick(ints);
        if (random() < 0.3)
          range.sort_order = pick(['NONE', 'ASCEND', 'DESCEND', 7 as unknown as 'NONE'] as const);
        if (random() < 0.3) range.sort_target = pick(['KEY', 'MOD', 'VALUE'] as const);
        if (random() < 0.5) range.serializable = random() < 0.5;
        if (random() < 0.3) range.keys_only = random() < 0.5;
        if (random() < 0.3) range.count_only = random() < 0.5;
        if (random() < 0.3) range.min_mod_revision = pick(ints);
        if (random() < 0.3) range.max_mod_revision = pick(ints);
        if (random() < 0.3) range.min_create_revision = pick(ints);
        if (random() < 0.3) range.max_create_revision = pick(ints);
        return { request_range: range };
      }
      if (kind === 'delete')
        return { request_delete_range: { key: bytes(5), prev_kv: random() < 0.5 } };
      if (kind === 'txn' && depth < 2) return { request_txn: txn(depth + 1) };
      return {};
    };
    const ops = (depth: number, n: number) => Array.from({ length: n }, () => op(depth));
    const txn = (depth: number): TxnRequest => ({
      compare: Array.from({ length: pick([0, 1, 2]) }, compare),
      success: ops(depth, pick([0, 1, 3])),
      failure: ops(depth, pick([0, 1])),
    });
    for (let i = 0; i < 400; i++) {
      const bytesOf = internalRequestCodec.encode({
        ID: pick(['0', '1', '7587862512543513611', '18446744073709551615']),
        txn: txn(0),
      });
      const expected = comparable(generic.decode(bytesOf));
      expect(comparable(internalRequestCodec.decode(bytesOf))).toStrictEqual(expected);
      // From a Uint8Array, as the raft log may hand entries over: Buffers all the same.
      const u8 = new Uint8Array(bytesOf);
      expect(comparable(internalRequestCodec.decode(u8))).toStrictEqual(expected);
    }
  });

  it("decodes kube-apiserver's update (compare, put, failure range) as the generic codec", () => {
    const key = Buffer.from('/registry/pods/bench/bench-1');
    const bytesOf = internalRequestCodec.encode({
      ID: '7587862512543513611',
      txn: {
        compare: [{ target: 'MOD', result: 'EQUAL', key, mod_revision: '123456' }],
        success: [{ request_put: { key, value: Buffer.alloc(2500, 7), lease: '0' } }],
        failure: [{ request_range: { key } }],
      },
    });
    const fast = internalRequestCodec.decode(bytesOf);
    expect(comparable(fast)).toStrictEqual(comparable(generic.decode(bytesOf)));
    expect(fast.txn?.failure[0]?.request_range?.key.equals(key)).toBe(true);
  });

  it('gives back the request of an entry this member wrote, once, equal to its decoding', () => {
    const key = Buffer.from('/registry/pods/bench/bench-2');
    const wire = messageCodec<TxnRequest, TxnRequest>('etcdserverpb.TxnRequest').encode({
      compare: [{ target: 'MOD', result: 'EQUAL', key, mod_revision: '77' }],
      success: [{ request_put: { key, value: Buffer.alloc(2500, 3) } }],
      failure: [{ request_range: { key } }],
    });
    const txn = decodeTxnRequest(Buffer.from(wire))!;
    const entry = internalRequestCodec.encode({ ID: '18446744073709551615', txn });
    const expected = comparable(generic.decode(entry));
    // The proposer applying its own entry object: the request it decoded, not a new decoding.
    const own = internalRequestCodec.decode(entry);
    expect(own.txn).toBe(txn);
    expect(comparable(own)).toStrictEqual(expected);
    // Taken once; the same bytes in another object (the WAL, a peer) are decoded.
    expect(internalRequestCodec.decode(entry).txn).not.toBe(txn);
    expect(comparable(internalRequestCodec.decode(Buffer.from(entry)))).toStrictEqual(expected);
  });

  it('leaves transactions with unknown fields or two oneof members to the generic codec', () => {
    // ID 5, txn { compare { key "k", mod_revision 1, version 2 } }: protobufjs settles the oneof.
    const twoMembers = Buffer.from('080532090a071a016b30012002', 'hex');
    // ID 5, txn { compare { key "k", field 99 = 1 } }: an unknown field.
    const unknown = Buffer.from('080532080a061a016b980601', 'hex');
    for (const b of [twoMembers, unknown]) {
      expect(comparable(internalRequestCodec.decode(b))).toStrictEqual(
        comparable(generic.decode(b)),
      );
    }
  });
});
