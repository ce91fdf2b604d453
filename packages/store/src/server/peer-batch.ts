import type * as grpc from '@grpc/grpc-js';

/**
 * The RaftPeer.Messages stream's envelope (proto/kubets/store/peer.proto RaftMessageBatch),
 * encoded and decoded by hand. It is the hottest message between members — every append,
 * acknowledgement and heartbeat rides in one — and going through proto-loader cost an object
 * conversion on each side (decimal strings for the 64-bit IDs, a Buffer copy per message).
 * The bytes on the wire are the same protobuf encoding, so the .proto stays the contract.
 */
export interface PeerBatch {
  clusterId: bigint;
  from: number;
  to: number;
  /** Raft messages, each encoded with @kubets/raft's encodeMessage. */
  messages: Uint8Array[];
}

const CLUSTER_ID = (1 << 3) | 0;
const FROM = (2 << 3) | 0;
const TO = (3 << 3) | 0;
const MESSAGES = (4 << 3) | 2;

function varintSize(v: bigint | number): number {
  let n = 1;
  let x = BigInt(v);
  while (x >= 0x80n) {
    x >>= 7n;
    n++;
  }
  return n;
}

function smallVarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  small(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  big(v: bigint): void {
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }
}

export function encodePeerBatch(b: PeerBatch): Buffer {
  let size = 0;
  if (b.clusterId !== 0n) size += 1 + varintSize(b.clusterId);
  if (b.from !== 0) size += 1 + smallVarintSize(b.from);
  if (b.to !== 0) size += 1 + smallVarintSize(b.to);
  for (const m of b.messages) size += 1 + smallVarintSize(m.length) + m.length;
  const w = new Writer(Buffer.allocUnsafe(size));
  if (b.clusterId !== 0n) {
    w.small(CLUSTER_ID);
    w.big(b.clusterId);
  }
  if (b.from !== 0) {
    w.small(FROM);
    w.small(b.from);
  }
  if (b.to !== 0) {
    w.small(TO);
    w.small(b.to);
  }
  for (const m of b.messages) {
    w.small(MESSAGES);
    w.small(m.length);
    w.buf.set(m, w.pos);
    w.pos += m.length;
  }
  return w.buf;
}

/** Decodes a batch; the messages are views into `buf` (grpc-js hands each frame its own buffer). */
export function decodePeerBatch(buf: Buffer): PeerBatch {
  const out: PeerBatch = { clusterId: 0n, from: 0, to: 0, messages: [] };
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`bad RaftMessageBatch: ${why} at byte ${pos}`);
  };
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) fail('truncated varint');
      const b = buf[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
      if (shift > 63n) fail('varint too long');
    }
  };
  const small = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (pos >= buf.length) fail('truncated varint');
      const b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 63) fail('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = small();
    switch (key) {
      case CLUSTER_ID:
        out.clusterId = varint();
        break;
      case FROM:
        out.from = small();
        break;
      case TO:
        out.to = small();
        break;
      case MESSAGES: {
        const len = small();
        if (pos + len > buf.length) fail('truncated message');
        out.messages.push(buf.subarray(pos, pos + len));
        pos += len;
        break;
      }
      default:
        // An unknown field from a newer member: skip it by wire type.
        switch (key & 7) {
          case 0:
            small();
            break;
          case 1:
            pos += 8;
            break;
          case 2: {
            // Read the length first: `pos += small()` would add it to the old position.
            const len = small();
            pos += len;
            break;
          }
          case 5:
            pos += 4;
            break;
          default:
            fail(`unsupported wire type ${key & 7}`);
        }
        if (pos > buf.length) fail('truncated field');
    }
  }
  return out;
}

/** The RaftPeer service definition with the Messages stream on the codec above. */
export function withPeerBatchCodec(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const messages = service.Messages;
  if (messages === undefined) throw new Error('RaftPeer service without Messages');
  return {
    ...service,
    Messages: {
      ...messages,
      requestSerialize: (b: PeerBatch) => encodePeerBatch(b),
      requestDeserialize: (buf: Buffer) => decodePeerBatch(buf),
    },
  };
}
