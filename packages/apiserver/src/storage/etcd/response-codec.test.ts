import { describe, expect, it } from 'vitest';
import { packageDefinition } from '../../gen/etcd/load.js';
import { decodeRangeResponse, decodeTxnResponse, decodeWatchResponse } from './response-codec.js';

interface Codec {
  responseSerialize(res: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}
const codec = (service: string, name: string): Codec =>
  (packageDefinition[`etcdserverpb.${service}`] as Record<string, Codec>)[name]!;
const RANGE = codec('KV', 'Range');
const TXN = codec('KV', 'Txn');
const WATCH = codec('Watch', 'Watch');

/** A deterministic sequence (no Math.random: a failure must replay from its seed). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random messages with every field sometimes absent, and int64s of every size and sign. */
function generator(seed: number) {
  const rnd = lcg(seed);
  const maybe = <T>(f: () => T): T | undefined => (rnd() < 0.3 ? undefined : f());
  const int = (max: number): number => Math.floor(rnd() * max);
  const long = (signed: boolean): string => {
    const kind = int(5);
    if (kind === 0) return '0';
    if (kind === 1) return String(int(1000));
    if (kind === 2) return String(int(2 ** 48)); // every revision a store reaches
    // Beyond 2^49: lease and member ids are random 63/64-bit numbers.
    let v = 0n;
    for (let i = 0; i < 4; i++) v = (v << 16n) | BigInt(int(0x10000));
    if (kind === 3 || !signed) return (signed ? v & ((1n << 63n) - 1n) : v).toString();
    return (-(v & ((1n << 63n) - 1n)) - 1n).toString();
  };
  const bytes = (): Buffer => Buffer.from(Array.from({ length: int(40) }, () => int(256)));
  const header = () => ({
    cluster_id: maybe(() => long(false)),
    member_id: maybe(() => long(false)),
    revision: maybe(() => long(true)),
    raft_term: maybe(() => long(false)),
  });
  const kv = () => ({
    key: maybe(bytes),
    create_revision: maybe(() => long(true)),
    mod_revision: maybe(() => long(true)),
    version: maybe(() => long(true)),
    value: maybe(bytes),
    lease: maybe(() => long(true)),
  });
  const list = <T>(f: () => T, max: number): T[] => Array.from({ length: int(max) }, f);
  const range = () => ({
    header: maybe(header),
    kvs: maybe(() => list(kv, 4)),
    more: maybe(() => rnd() < 0.5),
    count: maybe(() => long(true)),
  });
  const txn = (depth: number): unknown => ({
    header: maybe(header),
    succeeded: maybe(() => rnd() < 0.5),
    responses: maybe(() =>
      list(() => {
        const k = int(depth > 0 ? 4 : 3);
        if (k === 0) return { response_range: range() };
        if (k === 1) return { response_put: { header: maybe(header), prev_kv: maybe(kv) } };
        if (k === 2) {
          return {
            response_delete_range: {
              header: maybe(header),
              deleted: maybe(() => long(true)),
              prev_kvs: maybe(() => list(kv, 3)),
            },
          };
        }
        return { response_txn: txn(depth - 1) };
      }, 4),
    ),
  });
  const watch = () => ({
    header: maybe(header),
    watch_id: maybe(() => long(true)),
    created: maybe(() => rnd() < 0.5),
    canceled: maybe(() => rnd() < 0.5),
    compact_revision: maybe(() => long(true)),
    cancel_reason: maybe(() => ['', 'mvcc: required revision has been compacted', 'ü ✓'][int(3)]),
    fragment: maybe(() => rnd() < 0.5),
    events: maybe(() =>
      list(() => ({ type: maybe(() => int(2)), kv: maybe(kv), prev_kv: maybe(kv) }), 5),
    ),
  });
  return { range, txn: () => txn(2), watch };
}

/** Fields a newer etcd might send (numbers etcd does not use in these messages), of each wire type. */
function withUnknownFields(bytes: Buffer, seed: number): Buffer {
  const extra = [
    Buffer.from([0x78, 0x96, 0x01]), // field 15, varint 150
    Buffer.from([0x7a, 0x03, 0x61, 0x62, 0x63]), // field 15, 3 bytes
    Buffer.from([0x7d, 1, 2, 3, 4]), // field 15, fixed32
    Buffer.from([0x79, 1, 2, 3, 4, 5, 6, 7, 8]), // field 15, fixed64
  ][seed % 4]!;
  return seed % 2 === 0 ? Buffer.concat([extra, bytes]) : Buffer.concat([bytes, extra]);
}

describe('etcd response decoders', () => {
  const cases: [string, Codec, (b: Buffer) => unknown, 'range' | 'txn' | 'watch'][] = [
    ['RangeResponse', RANGE, decodeRangeResponse, 'range'],
    ['TxnResponse', TXN, decodeTxnResponse, 'txn'],
    ['WatchResponse', WATCH, decodeWatchResponse, 'watch'],
  ];
  for (const [name, reference, decode, kind] of cases) {
    it(`decode ${name} exactly as the generated deserializer does`, () => {
      for (let seed = 1; seed <= 400; seed++) {
        const message = generator(seed)[kind]();
        let bytes = reference.responseSerialize(message);
        if (seed % 5 === 0) bytes = withUnknownFields(bytes, seed);
        try {
          expect(decode(bytes)).toEqual(reference.responseDeserialize(bytes));
        } catch (err) {
          throw new Error(`${name}, seed ${seed}: ${(err as Error).message}`);
        }
      }
    });
  }

  it('decode the empty message to every default', () => {
    const empty = Buffer.alloc(0);
    expect(decodeWatchResponse(empty)).toEqual(WATCH.responseDeserialize(empty));
    expect(decodeTxnResponse(empty)).toEqual(TXN.responseDeserialize(empty));
    expect(decodeRangeResponse(empty)).toEqual(RANGE.responseDeserialize(empty));
  });

  it('refuse a message cut inside a field', () => {
    const bytes = WATCH.responseSerialize({
      header: { revision: '7' },
      events: [{ kv: { key: Buffer.from('/registry/pods/a'), value: Buffer.from('{}') } }],
    });
    expect(() => decodeWatchResponse(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
  });
});
