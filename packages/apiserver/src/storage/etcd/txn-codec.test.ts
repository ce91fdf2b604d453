import { frameMessage } from '@kubets/component-base/grpc-server';
import { describe, expect, it } from 'vitest';
import { packageDefinition } from '../../gen/etcd/load.js';
import type { TxnRequest } from '../../gen/etcd/types/etcdserverpb/TxnRequest.js';
import { encodeTxnRequestFramed } from './txn-codec.js';

const TXN = (packageDefinition['etcdserverpb.KV'] as Record<string, unknown>).Txn as {
  requestSerialize(req: TxnRequest): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
};

/** protobufjs's bytes for `req`, framed as the transport sends them. */
const reference = (req: TxnRequest): Buffer => frameMessage(TXN.requestSerialize(req));

const key = Buffer.from('/registry/pods/default/web-0');

/** A deterministic sequence (no Math.random: a failure must replay). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('encodeTxnRequestFramed', () => {
  it('writes the bytes protobufjs writes for the requests the store sends', () => {
    const value = Buffer.from(JSON.stringify({ kind: 'Pod', metadata: { name: 'web-0' } }));
    const requests: TxnRequest[] = [
      // create
      {
        compare: [{ key, target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
        success: [{ request_put: { key, value } }],
      },
      // update (compare-and-swap, the fresh state read on failure)
      {
        compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: '123456789' }],
        success: [{ request_put: { key, value } }],
        failure: [{ request_range: { key } }],
      },
      // delete
      {
        compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: '7' }],
        success: [{ request_delete_range: { key, prev_kv: true } }],
        failure: [{ request_range: { key } }],
      },
      // zero values present are written (protobufjs writes what the request has)
      {
        compare: [{ key: Buffer.alloc(0), target: 0, result: 0, version: 0 }],
        success: [{ request_put: { key, value: Buffer.alloc(0), lease: '0', prev_kv: false } }],
        failure: [],
      },
      // members given as undefined or null are absent
      {
        compare: [{ key, target: 'VALUE', result: 'NOT_EQUAL', value, mod_revision: undefined }],
        success: [{ request_range: { key, range_end: Buffer.from([0]), limit: 500 } }],
        failure: undefined,
      },
      {},
      // large values: multi-byte lengths, a frame above 64 KiB
      {
        compare: [{ key, target: 'MOD', result: 'GREATER', mod_revision: String(2 ** 53 - 1) }],
        success: [{ request_put: { key, value: Buffer.alloc(200_000, 120) } }],
      },
    ];
    for (const req of requests) expect(encodeTxnRequestFramed(req)).toEqual(reference(req));
  });

  it('matches protobufjs on generated requests of every supported member', () => {
    const rnd = lcg(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const maybe = (): boolean => rnd() < 0.5;
    const bytes = (): Buffer => Buffer.alloc(Math.floor(rnd() * 300), Math.floor(rnd() * 256));
    const int = (): string | number => {
      const n = pick([0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 35 + 3, 2 ** 53 - 1]);
      return maybe() ? n : String(n);
    };
    const message = (names: [string, () => unknown][]): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      for (const [name, gen] of names) if (maybe()) o[name] = gen();
      return o;
    };
    const bool = (): boolean => maybe();
    const op = (): Record<string, unknown> =>
      pick([
        () => ({
          request_range: message([
            ['key', bytes],
            ['range_end', bytes],
            ['limit', int],
            ['revision', int],
            ['serializable', bool],
            ['keys_only', bool],
            ['count_only', bool],
          ]),
        }),
        () => ({
          request_put: message([
            ['key', bytes],
            ['value', bytes],
            ['lease', int],
            ['prev_kv', bool],
            ['ignore_value', bool],
            ['ignore_lease', bool],
          ]),
        }),
        () => ({
          request_delete_range: message([
            ['key', bytes],
            ['range_end', bytes],
            ['prev_kv', bool],
          ]),
        }),
      ])();
    for (let i = 0; i < 500; i++) {
      const n = (): number => Math.floor(rnd() * 3);
      const req = {
        compare: Array.from({ length: n() }, () => ({
          ...message([
            ['result', () => pick(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL', 0, 3])],
            ['target', () => pick(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE', 2])],
            ['key', bytes],
            ['range_end', bytes],
          ]),
          ...pick<() => Record<string, unknown>>([
            () => ({}),
            () => ({ version: int() }),
            () => ({ create_revision: int() }),
            () => ({ mod_revision: int() }),
            () => ({ lease: int() }),
            () => ({ value: bytes() }),
          ])(),
        })),
        success: Array.from({ length: n() }, op),
        failure: Array.from({ length: n() }, op),
      } as TxnRequest;
      const ours = encodeTxnRequestFramed(req);
      expect(ours).toBeDefined();
      expect(ours).toEqual(reference(req));
    }
  });

  it('leaves every other request to protobufjs', () => {
    const others = [
      // bytes as text (protobufjs reads base64)
      { compare: [{ key: 'L3JlZ2lzdHJ5', target: 'MOD', result: 'EQUAL', mod_revision: '1' }] },
      // a nested transaction
      { success: [{ request_txn: { compare: [] } }] },
      // a member this encoder does not know
      { success: [{ request_range: { key, sort_order: 'ASCEND' } }] },
      // integers it does not write itself
      { compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: '-1' }] },
      { compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: '99999999999999999' }] },
      { compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: 1.5 }] },
      { compare: [{ key, target: 'SOMETHING', result: 'EQUAL' }] },
    ] as unknown as TxnRequest[];
    for (const req of others) expect(encodeTxnRequestFramed(req)).toBeUndefined();
  });
});
