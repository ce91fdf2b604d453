/**
 * Little helpers for the store's binary file formats: a growable writer and a bounds-checked
 * reader. Integers up to 2^53 are written as unsigned LEB128 varints; 64-bit IDs as 8 bytes.
 */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  /** Unsigned integer up to Number.MAX_SAFE_INTEGER, as a LEB128 varint. */
  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new Error(`varint: ${v} is not a safe unsigned integer`);
    this.reserve(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Signed safe integer (zig-zag varint): revisions may be -1 (never compacted). */
  svarint(v: number): this {
    return this.varint(v < 0 ? -2 * v - 1 : 2 * v);
  }

  bytes(data: Uint8Array): this {
    this.varint(data.length);
    return this.raw(data);
  }

  raw(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  string(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * Starts over at offset 0, keeping the buffer: what `finish` returned before is overwritten
   * by the next writes (for a writer reused piece after piece, each consumed before the next).
   */
  reset(): this {
    this.pos = 0;
    return this;
  }
}

export class ByteReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw new RangeError(
        `truncated data: need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`,
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) return result;
      mul *= 0x80;
    }
    throw new RangeError(`varint too long at offset ${this.pos}`);
  }

  svarint(): number {
    const z = this.varint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }

  /** A length-prefixed byte string, as a view (no copy) of the underlying buffer. */
  bytes(): Buffer {
    const n = this.varint();
    return this.raw(n);
  }

  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }
}
