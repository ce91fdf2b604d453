import { describe, expect, it } from 'vitest';
import { loadGrpcObject } from '../gen/etcd/load.js';
import { seeded, unframe } from '../../test/support/codec.js';
import type { PutResponse } from '../gen/etcd/types/etcdserverpb/PutResponse.js';
import type { TxnRequest__Output } from '../gen/etcd/types/etcdserverpb/TxnRequest.js';
import type { TxnResponse } from '../gen/etcd/types/etcdserverpb/TxnResponse.js';
import type {
  InternalRequest,
  InternalRequest__Output,
} from '../gen/etcd/types/kubets/store/InternalRequest.js';
import { internalRequestCodec, messageCodec } from '../apply/codec.js';
import {
  encodePutResponseFramed,
  encodeTxnResponseFramed,
  withHandWrittenPut,
  withHandWrittenTxn,
} from './kv-codec.js';

const generic = loadGrpcObject().etcdserverpb.KV.service.Put;
const fast = withHandWrittenPut(loadGrpcObject().etcdserverpb.KV.service).Put!;

describe('hand-written Put codec', () => {
  it('decodes requests exactly as proto-loader does', () => {
    const random = seeded(7);
    const leases = ['0', '1', '-1', '127', '128', '34359738368', '-9223372036854775808'];
    for (let i = 0; i < 300; i++) {
      const bytes = (n: number) =>
        Buffer.from(Array.from({ length: n }, () => (random() * 256) | 0));
      const req: Record<string, unknown> = {};
      if (random() < 0.9) req.key = bytes(1 + ((random() * 40) | 0));
      if (random() < 0.9) req.value = bytes((random() * 300) | 0);
      if (random() < 0.5) req.lease = leases[i % leases.length];
      if (random() < 0.3) req.prev_kv = random() < 0.5;
      if (random() < 0.2) req.ignore_value = random() < 0.5;
      if (random() < 0.2) req.ignore_lease = random() < 0.5;
      const wire = generic.requestSerialize(req);
      expect(fast.requestDeserialize(wire)).toStrictEqual(generic.requestDeserialize(wire));
    }
  });

  it('leaves unknown fields and malformed bytes to the generic decoder', () => {
    // Field 7 (unknown, varint): decoded generically, same object.
    const unknown = Buffer.concat([
      generic.requestSerialize({ key: Buffer.from('k') }),
      Buffer.from([7 << 3, 1]),
    ]);
    expect(fast.requestDeserialize(unknown)).toStrictEqual(generic.requestDeserialize(unknown));
    // A truncated value: both fail.
    const truncated = generic.requestSerialize({ key: Buffer.from('k'), value: Buffer.from('vv') });
    const cut = truncated.subarray(0, truncated.length - 1);
    expect(() => generic.requestDeserialize(cut)).toThrow();
    expect(() => fast.requestDeserialize(cut)).toThrow();
  });

  it('encodes responses to the bytes proto-loader encodes', () => {
    const cluster = 0xbec8925e05e35d44n;
    const asLong = (v: bigint) => ({
      low: Number(v & 0xffffffffn) | 0,
      high: Number(v >> 32n) | 0,
      unsigned: true,
    });
    const values = [0, 1, 127, 128, 2 ** 31, 2 ** 32 + 5, 2 ** 35, Number.MAX_SAFE_INTEGER];
    for (const revision of values)
      for (const term of [0, 1, 300]) {
        const res = {
          header: {
            cluster_id: asLong(cluster),
            member_id: 5165317016952896,
            revision,
            raft_term: term,
          },
        } as unknown as PutResponse;
        const framed = fast.responseSerialize(res);
        expect(unframe(framed)).toStrictEqual(generic.responseSerialize(res));
      }
    // Fields left out are left out.
    const partial = { header: { revision: 9 } } as PutResponse;
    expect(unframe(fast.responseSerialize(partial))).toStrictEqual(
      generic.responseSerialize(partial),
    );
  });

  it('leaves other responses to the generic encoder, framed', () => {
    const withPrev = {
      header: { revision: 3 },
      prev_kv: {
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        create_revision: 1,
        mod_revision: 2,
        version: 1,
        lease: 0,
      },
    } as PutResponse;
    expect(encodePutResponseFramed(withPrev)).toBeUndefined();
    expect(unframe(fast.responseSerialize(withPrev))).toStrictEqual(
      generic.responseSerialize(withPrev),
    );
    const asString = { header: { revision: '12' } } as PutResponse;
    expect(encodePutResponseFramed(asString)).toBeUndefined();
    expect(unframe(fast.responseSerialize(asString))).toStrictEqual(
      generic.responseSerialize(asString),
    );
    expect(encodePutResponseFramed({ header: { revision: -1 } })).toBeUndefined();
    expect((fast as { responseFramed?: boolean }).responseFramed).toBe(true);
  });
});

const genericTxn = loadGrpcObject().etcdserverpb.KV.service.Txn;
const fastTxn = withHandWrittenTxn(loadGrpcObject().etcdserverpb.KV.service).Txn!;
const entries = messageCodec<InternalRequest, InternalRequest__Output>(
  'kubets.store.InternalRequest',
);

describe('hand-written Txn codec', () => {
  const key = Buffer.from('/registry/pods/default/p1');
  const requests: Array<Record<string, unknown>> = [
    // kube-apiserver's create, update and delete.
    {
      compare: [{ result: 'EQUAL', target: 'MOD', key, mod_revision: '0' }],
      success: [{ request_put: { key, value: Buffer.alloc(2500, 'x') } }],
    },
    {
      compare: [{ result: 'EQUAL', target: 'MOD', key, mod_revision: '7587862512' }],
      success: [{ request_put: { key, value: Buffer.from('v'), lease: '-1' } }],
      failure: [{ request_range: { key } }],
    },
    {
      compare: [{ result: 'EQUAL', target: 'MOD', key, mod_revision: '12' }],
      success: [{ request_delete_range: { key } }],
      failure: [{ request_range: { key, serializable: true } }],
    },
    {
      compare: [{ target: 'VALUE', key, value: Buffer.from('a'), range_end: Buffer.from('z') }],
      success: [{ request_txn: { success: [{ request_put: { key } }] } }, {}],
    },
    {},
  ];

  it('decodes requests as proto-loader does and logs them as the generic codec reads them', () => {
    for (const [i, req] of requests.entries()) {
      const wire = genericTxn.requestSerialize(req);
      const decoded = fastTxn.requestDeserialize(wire) as TxnRequest__Output;
      expect(decoded).toStrictEqual(genericTxn.requestDeserialize(wire));
      // The proposal's entry is built around the request's own bytes: every member decodes
      // the same request from it as from the generic encoding.
      const ID = ['1', '7587862512543513611', '18446744073709551615', '127', '128'][i]!;
      const entry = internalRequestCodec.encode({ ID, txn: decoded });
      expect(
        Buffer.from(entry)
          .subarray(entry.length - wire.length)
          .equals(wire),
      ).toBe(true);
      const expected = entries.decode(entries.encode({ ID, txn: decoded }));
      expect(entries.decode(entry)).toStrictEqual(expected);
      expect(internalRequestCodec.decode(entry)).toStrictEqual(expected);
    }
  });

  it('encodes plain puts’ responses to the bytes proto-loader encodes, others generically', () => {
    const header = {
      cluster_id: { low: 0x05e35d44, high: 0xbec8925e | 0, unsigned: true },
      member_id: 5165317016952896,
      revision: 2 ** 35,
      raft_term: 3,
    };
    const covered = [
      { header, succeeded: true, responses: [{ response_put: { header: { revision: 9 } } }] },
      { header, succeeded: false, responses: [] },
      {
        header,
        succeeded: true,
        responses: [{ response_put: {} }, { response_put: { header: { revision: 1 } } }],
      },
    ] as unknown as TxnResponse[];
    for (const res of covered) {
      expect(encodeTxnResponseFramed(res)).toBeDefined();
      expect(unframe(fastTxn.responseSerialize(res))).toStrictEqual(
        genericTxn.responseSerialize(res),
      );
    }
    const others = [
      { header, succeeded: false, responses: [{ response_range: { kvs: [], count: 0 } }] },
      { header: { revision: '5' }, succeeded: true, responses: [] },
    ] as unknown as TxnResponse[];
    for (const res of others) {
      expect(encodeTxnResponseFramed(res)).toBeUndefined();
      expect(unframe(fastTxn.responseSerialize(res))).toStrictEqual(
        genericTxn.responseSerialize(res),
      );
    }
  });
});
