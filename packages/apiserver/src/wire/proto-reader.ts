/**
 * A cursor over one protobuf message's bytes, for the messages the API server decodes by hand:
 * Kubernetes protobuf request bodies (http/protobuf.ts) and etcd's responses on the write and
 * watch paths (storage/etcd/response-codec.ts). Length-delimited fields come back as views of
 * the input (no copy), as protobufjs gives them.
 */
export class ProtoReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A varint as a number: exact below 2^53 (tags, lengths, enums, bools and every revision a
   * store will reach). Multiplication, not shifts: JavaScript's bit operators stop at 32 bits.
   */
  uint(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new Error('varint too long');
  }

  /** A varint as an exact 64-bit value. */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }

  /** An int64 in decimal, as protobufjs gives it with `longs: String` (negative values too). */
  int64(): string {
    return this.long(true);
  }

  /** A uint64 in decimal. */
  uint64(): string {
    return this.long(false);
  }

  private long(signed: boolean): string {
    const start = this.pos;
    const n = this.uint();
    // Seven varint bytes hold 49 bits: exact as a number, and the common case by far.
    if (this.pos - start <= 7) return String(n);
    this.pos = start;
    const v = this.varint();
    return (signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v)).toString();
  }

  bool(): boolean {
    return this.uint() !== 0;
  }

  /** A length-delimited field's bytes (a view of the input). */
  bytes(): Buffer {
    const len = this.uint();
    if (this.pos + len > this.end) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    const len = this.uint();
    if (this.pos + len > this.end) throw new Error('truncated field');
    const out = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** An embedded message: a reader over its bytes, this one moved past them. */
  message(): ProtoReader {
    const len = this.uint();
    if (this.pos + len > this.end) throw new Error('truncated field');
    const sub = new ProtoReader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return sub;
  }

  skip(wire: number): void {
    if (wire === 0) this.uint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      // Not `this.pos += this.uint()`: that adds to pos as it was before the length was read.
      const len = this.uint();
      this.pos += len;
    } else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new Error('truncated field');
  }

  /** Every (field, wire type) in the message, reading values through `fn`. */
  fields(fn: (field: number, wire: number) => void): void {
    while (this.pos < this.end) {
      const tag = this.uint();
      fn(tag >>> 3, tag & 7);
    }
  }
}
