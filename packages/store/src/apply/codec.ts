import protobuf from 'protobufjs';
import { descriptor } from '../gen/etcd/descriptor.js';
import type {
  InternalRequest,
  InternalRequest__Output,
} from '../gen/etcd/types/kubets/store/InternalRequest.js';
import type {
  MemberRecord,
  MemberRecord__Output,
} from '../gen/etcd/types/kubets/store/MemberRecord.js';

/**
 * Binary codecs for the protobuf messages kubets-store writes to its log and snapshots. They use
 * the same descriptor and the same object shape as the gRPC layer (proto-loader's: bytes as
 * Buffer, 64-bit integers as decimal strings, enums as names), so a request decoded from the
 * network and one decoded from the log look identical to the applier.
 */
const root = protobuf.Root.fromJSON(descriptor);

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface MessageCodec<In, Out> {
  encode(message: In): Uint8Array;
  decode(bytes: Uint8Array): Out;
}

export function messageCodec<In, Out>(fullName: string): MessageCodec<In, Out> {
  const type = root.lookupType(fullName);
  return {
    encode: (message) => type.encode(type.fromObject(message as Record<string, unknown>)).finish(),
    decode: (bytes) => type.toObject(type.decode(bytes), TO_OBJECT) as Out,
  };
}

export const internalRequestCodec = messageCodec<InternalRequest, InternalRequest__Output>(
  'kubets.store.InternalRequest',
);

export const memberRecordCodec = messageCodec<MemberRecord, MemberRecord__Output>(
  'kubets.store.MemberRecord',
);
