import { describe, expect, it } from 'vitest';
import type {
  InternalRequest,
  InternalRequest__Output,
} from '../gen/etcd/types/kubets/store/InternalRequest.js';
import { internalRequestCodec, messageCodec } from './codec.js';

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
});
