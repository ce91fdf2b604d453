import { gunzipSync, inflateSync } from 'node:zlib';
import { Status, type ResolvedStatus } from './status.js';

/** The 5-byte gRPC message prefix: compressed flag, then the length (big-endian). */
export const PREFIX_BYTES = 5;

/** One message as its gRPC length-prefixed frame, in one buffer (one DATA write). */
export function frameMessage(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(PREFIX_BYTES + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, PREFIX_BYTES);
  return out;
}

/** Where decoded messages go (the call itself: no closure per chunk). */
export interface MessageSink {
  onMessage(msg: Buffer): void;
}

function failure(code: number, details: string): ResolvedStatus {
  return { code, details, headers: undefined };
}

/**
 * Splits a request body into messages as its chunks arrive. A message is cut out of the chunk
 * that holds it (no copy); only a message split across chunks is joined, once, when complete.
 * A message longer than `maxBytes` is refused as soon as its prefix arrives, with grpc-js's
 * RESOURCE_EXHAUSTED message.
 */
export class MessageDecoder {
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Bytes the message being joined needs, prefix included (0: prefix not read yet). */
  private need = 0;

  constructor(
    private readonly maxBytes: number,
    /** The request's `grpc-encoding` (for compressed messages). */
    private readonly encoding: string | undefined,
  ) {}

  /** Feeds one chunk; calls `sink.onMessage` per complete message; returns a status on error. */
  push(chunk: Buffer, sink: MessageSink): ResolvedStatus | undefined {
    let buf = chunk;
    if (this.partBytes > 0) {
      this.parts.push(chunk);
      this.partBytes += chunk.length;
      if (this.need === 0 && this.partBytes >= PREFIX_BYTES) {
        const head = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
        this.parts = [head];
        const len = head.readUInt32BE(1);
        if (len > this.maxBytes) return this.tooLarge(len);
        this.need = PREFIX_BYTES + len;
      }
      if (this.need === 0 || this.partBytes < this.need) return undefined;
      buf = Buffer.concat(this.parts, this.partBytes);
      this.parts = [];
      this.partBytes = 0;
      this.need = 0;
    }
    let off = 0;
    while (buf.length - off >= PREFIX_BYTES) {
      const len = buf.readUInt32BE(off + 1);
      if (len > this.maxBytes) return this.tooLarge(len);
      const end = off + PREFIX_BYTES + len;
      if (end > buf.length) {
        this.need = PREFIX_BYTES + len;
        break;
      }
      let msg = buf.subarray(off + PREFIX_BYTES, end);
      if (buf[off] !== 0) {
        const inflated = this.decompress(msg);
        if (!Buffer.isBuffer(inflated)) return inflated;
        msg = inflated;
      }
      sink.onMessage(msg);
      off = end;
    }
    if (off < buf.length) {
      this.parts = [buf.subarray(off)];
      this.partBytes = buf.length - off;
    }
    return undefined;
  }

  /** Bytes of an incomplete message left when the request ended (a malformed request). */
  get leftover(): number {
    return this.partBytes;
  }

  private tooLarge(len: number): ResolvedStatus {
    return failure(
      Status.RESOURCE_EXHAUSTED,
      `Received message larger than max (${len} vs. ${this.maxBytes})`,
    );
  }

  /** gzip and deflate, as grpc-js accepts them; anything else is UNIMPLEMENTED. */
  private decompress(msg: Buffer): Buffer | ResolvedStatus {
    const enc = this.encoding ?? 'identity';
    if (enc !== 'gzip' && enc !== 'deflate') {
      return failure(
        Status.UNIMPLEMENTED,
        `Received message compressed with unsupported encoding "${enc}"`,
      );
    }
    try {
      const opts = { maxOutputLength: Math.max(1, this.maxBytes) };
      return enc === 'gzip' ? gunzipSync(msg, opts) : inflateSync(msg, opts);
    } catch (err) {
      if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return failure(
          Status.RESOURCE_EXHAUSTED,
          `Received message that decompresses to a size larger than ${this.maxBytes}`,
        );
      }
      return failure(Status.INTERNAL, 'Failed to decompress message');
    }
  }
}

const TIMEOUT_UNITS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

/** A `grpc-timeout` value (at most 8 digits and a unit) in milliseconds; NaN when malformed. */
export function parseGrpcTimeout(value: string): number {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (m === null) return NaN;
  return Number(m[1]) * TIMEOUT_UNITS[m[2]!]!;
}
