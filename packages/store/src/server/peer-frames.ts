/**
 * Framing of the peer message stream: each Raft message (encoded with @kubets/raft's
 * encodeMessage) is preceded by its length as a 4-byte big-endian unsigned integer. The stream
 * itself names the sender, the receiver and the cluster (request headers), so a frame carries
 * nothing else. HTTP/2 delivers the bytes in chunks that need not line up with frames; the
 * decoder keeps the partial tail.
 */

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** Frames longer than this are refused (a corrupt or hostile stream): 64 MiB, above any append. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** All `messages` framed into one buffer, so one tick's messages leave in one write. */
export function encodeFrames(messages: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const m of messages) size += FRAME_HEADER_BYTES + m.length;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const m of messages) {
    out.writeUInt32BE(m.length, pos);
    out.set(m, pos + FRAME_HEADER_BYTES);
    pos += FRAME_HEADER_BYTES + m.length;
  }
  return out;
}

/**
 * Splits a byte stream into frames. `push` returns the frames completed by a chunk; a frame
 * lying wholly inside one chunk is a view of it (no copy), one spanning chunks is copied once.
 */
export class FrameDecoder {
  /** Bytes of an incomplete frame (or length prefix) carried over from earlier chunks. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): Buffer[] {
    let buf = chunk;
    if (this.pendingBytes > 0) {
      // Carry-over from earlier chunks: wait until the whole frame is here, then copy once.
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < FRAME_HEADER_BYTES) return [];
      let first = this.pending[0]!;
      if (first.length < FRAME_HEADER_BYTES) {
        first = Buffer.concat(this.pending, this.pendingBytes);
        this.pending = [first];
      }
      if (this.pendingBytes < FRAME_HEADER_BYTES + this.frameLength(first, 0)) return [];
      buf = this.pending.length === 1 ? first : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const frames: Buffer[] = [];
    let pos = 0;
    while (buf.length - pos >= FRAME_HEADER_BYTES) {
      const len = this.frameLength(buf, pos);
      const end = pos + FRAME_HEADER_BYTES + len;
      if (end > buf.length) break;
      frames.push(buf.subarray(pos + FRAME_HEADER_BYTES, end));
      pos = end;
    }
    if (pos < buf.length) {
      this.pending = [buf.subarray(pos)];
      this.pendingBytes = buf.length - pos;
    }
    return frames;
  }

  private frameLength(buf: Buffer, pos: number): number {
    const len = buf.readUInt32BE(pos);
    if (len > this.maxFrameBytes) {
      throw new Error(`peer frame of ${len} bytes exceeds the limit of ${this.maxFrameBytes}`);
    }
    return len;
  }
}
