import { describe, expect, it } from 'vitest';
import { messageCodec } from '../apply/codec.js';
import type {
  RaftMessageBatch,
  RaftMessageBatch__Output,
} from '../gen/etcd/types/kubets/store/RaftMessageBatch.js';
import { decodePeerBatch, encodePeerBatch } from './peer-batch.js';

const proto = messageCodec<RaftMessageBatch, RaftMessageBatch__Output>(
  'kubets.store.RaftMessageBatch',
);

describe('peer batch codec', () => {
  const batch = {
    clusterId: 0xfedcba9876543210n,
    from: 0x1f_ffff_ffff_ffff,
    to: 300,
    messages: [Uint8Array.from([1, 2, 3]), new Uint8Array(0), new Uint8Array(200).fill(7)],
  };

  it('writes the protobuf encoding of RaftMessageBatch', () => {
    const decoded = proto.decode(encodePeerBatch(batch));
    expect(decoded.cluster_ID).toBe(batch.clusterId.toString());
    expect(decoded.from).toBe(batch.from.toString());
    expect(decoded.to).toBe('300');
    expect(decoded.messages.map((m) => [...m])).toEqual(batch.messages.map((m) => [...m]));
  });

  it('reads what protobufjs writes, skipping unknown fields', () => {
    const bytes = Buffer.from(
      proto.encode({
        cluster_ID: batch.clusterId.toString(),
        from: batch.from,
        to: 300,
        messages: batch.messages.map((m) => Buffer.from(m)),
      }),
    );
    // An unknown varint field 9 and an unknown length-delimited field 10 from a newer member.
    const extended = Buffer.concat([bytes, Buffer.from([9 << 3, 5, (10 << 3) | 2, 2, 1, 1])]);
    const decoded = decodePeerBatch(extended);
    expect(decoded.clusterId).toBe(batch.clusterId);
    expect(decoded.from).toBe(batch.from);
    expect(decoded.to).toBe(300);
    expect(decoded.messages.map((m) => [...m])).toEqual(batch.messages.map((m) => [...m]));
  });

  it('refuses truncated input', () => {
    const bytes = encodePeerBatch(batch);
    expect(() => decodePeerBatch(bytes.subarray(0, bytes.length - 5))).toThrow(/truncated/);
  });
});
