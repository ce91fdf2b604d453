import { describe, expect, it } from 'vitest';
import { loadGrpcObject } from '../gen/etcd/load.js';
import { seeded, unframe } from '../../test/support/codec.js';
import type { RangeResponse } from '../gen/etcd/types/etcdserverpb/RangeResponse.js';
import {
  decodeRangeRequest,
  encodeRangeResponseFramed,
  withHandWrittenRange,
} from './range-codec.js';

const generic = loadGrpcObject().etcdserverpb.KV.service.Range;
const fast = withHandWrittenRange(loadGrpcObject().etcdserverpb.KV.service).Range!;

const INT64S = ['0', '1', '127', '128', '16384', '34359738368', '-1', '9223372036854775807'];
const asLong = (v: bigint): { low: number; high: number; unsigned: boolean } => ({
  low: Number(v & 0xffffffffn) | 0,
  high: Number(v >> 32n) | 0,
  unsigned: true,
});

describe('hand-written Range codec', () => {
  it('decodes requests exactly as proto-loader does', () => {
    const random = seeded(11);
    const pick = <T>(xs: readonly T[]): T => xs[(random() * xs.length) | 0]!;
    const bytes = (n: number): Buffer =>
      Buffer.from(Array.from({ length: n }, () => (random() * 256) | 0));
    const ints = [
      'limit',
      'revision',
      'min_mod_revision',
      'max_mod_revision',
      'min_create_revision',
      'max_create_revision',
    ];
    for (let i = 0; i < 400; i++) {
      const req: Record<string, unknown> = {};
      if (random() < 0.9) req.key = bytes((random() * 40) | 0);
      if (random() < 0.4) req.range_end = bytes((random() * 40) | 0);
      for (const f of ints) if (random() < 0.3) req[f] = pick(INT64S);
      if (random() < 0.3) req.sort_order = pick(['NONE', 'ASCEND', 'DESCEND']);
      if (random() < 0.3) req.sort_target = pick(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE']);
      for (const f of ['serializable', 'keys_only', 'count_only'])
        if (random() < 0.3) req[f] = random() < 0.5;
      const wire = generic.requestSerialize(req);
      expect(decodeRangeRequest(wire)).toBeDefined();
      expect(fast.requestDeserialize(wire)).toStrictEqual(generic.requestDeserialize(wire));
    }
  });

  it('leaves unknown fields and enum values and malformed bytes to the generic decoder', () => {
    const base = generic.requestSerialize({ key: Buffer.from('k') });
    const unknownField = Buffer.concat([base, Buffer.from([14 << 3, 1])]);
    expect(decodeRangeRequest(unknownField)).toBeUndefined();
    expect(fast.requestDeserialize(unknownField)).toStrictEqual(
      generic.requestDeserialize(unknownField),
    );
    const unknownEnum = Buffer.concat([base, Buffer.from([5 << 3, 7])]);
    expect(decodeRangeRequest(unknownEnum)).toBeUndefined();
    expect(fast.requestDeserialize(unknownEnum)).toStrictEqual(
      generic.requestDeserialize(unknownEnum),
    );
    const cut = base.subarray(0, base.length - 1);
    expect(() => generic.requestDeserialize(cut)).toThrow();
    expect(() => fast.requestDeserialize(cut)).toThrow();
  });

  it('encodes responses to the bytes proto-loader encodes', () => {
    const random = seeded(5);
    const nums = [0, 1, 127, 128, 2 ** 31, 2 ** 32 + 5, 2 ** 35, Number.MAX_SAFE_INTEGER];
    const pick = <T>(xs: readonly T[]): T => xs[(random() * xs.length) | 0]!;
    for (let i = 0; i < 300; i++) {
      const kvs = Array.from({ length: (random() * 4) | 0 }, () => ({
        key: Buffer.alloc((random() * 50) | 0, 'k'),
        create_revision: pick(nums),
        mod_revision: pick(nums),
        version: pick(nums),
        value: Buffer.alloc(pick([0, 1, 33, 256, 20_000]), 'v'),
        lease: pick<number | string>([0, '0', '7', '34359738368', '9223372036854775807']),
      }));
      const res: Record<string, unknown> = {
        header: {
          cluster_id: asLong(0xbec8925e05e35d44n),
          member_id: pick(nums),
          revision: pick(nums),
          raft_term: pick(nums),
        },
        kvs,
      };
      if (random() < 0.8) res.more = random() < 0.5;
      if (random() < 0.8) res.count = pick(nums);
      const framed = fast.responseSerialize(res);
      expect(encodeRangeResponseFramed(res as RangeResponse)).toBeDefined();
      // Buffer.equals: a deep comparison of the large values byte by byte takes far longer.
      expect(unframe(framed).equals(generic.responseSerialize(res))).toBe(true);
    }
    // Fields left out are left out.
    for (const partial of [{}, { header: { revision: 9 } }, { kvs: [{ key: Buffer.from('a') }] }]) {
      const framed = fast.responseSerialize(partial);
      expect(unframe(framed)).toStrictEqual(generic.responseSerialize(partial));
    }
  });

  it('leaves other responses to the generic encoder, framed', () => {
    const odd: unknown[] = [
      { header: { revision: -1 } },
      { header: { revision: 3, extra: 1 } },
      { kvs: [{ key: 'a-string' }] },
      { kvs: [{ key: Buffer.from('k'), lease: '-5' }] },
      { count: 1.5 },
      { more: 1 },
      { other: true },
    ];
    for (const res of odd) {
      expect(encodeRangeResponseFramed(res as RangeResponse)).toBeUndefined();
      let expected: Buffer | undefined;
      try {
        expected = generic.responseSerialize(res as RangeResponse);
      } catch {
        // The generic encoder refuses it too.
        expect(() => fast.responseSerialize(res as RangeResponse)).toThrow();
        continue;
      }
      expect(unframe(fast.responseSerialize(res as RangeResponse))).toStrictEqual(expected);
    }
    expect((fast as { responseFramed?: boolean }).responseFramed).toBe(true);
  });
});
