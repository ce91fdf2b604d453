/**
 * Varints read with number arithmetic: puts are decoded on every member (log entries) and by
 * the member a client sent them to (PutRequest), and BigInt arithmetic allocates a heap object
 * per operation (~40 per 64-bit request ID). `small` serves lengths and flags (below 2^53, or
 * malformed: -1); `big` the 64-bit fields, assembled from two exact halves into one BigInt.
 */
export class VarintReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    pos = 0,
  ) {
    this.pos = pos;
  }

  small(end: number): number {
    const buf = this.buf;
    let v = 0;
    let mul = 1;
    while (this.pos < end) {
      const b = buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v <= Number.MAX_SAFE_INTEGER ? v : -1;
      mul *= 128;
      if (mul > 2 ** 49) return -1;
    }
    return -1;
  }

  big(end: number): bigint | undefined {
    const buf = this.buf;
    // The low 35 bits (5 bytes) and the rest (at most 29 more bits), each exact as a number.
    let lo = 0;
    let hi = 0;
    let mul = 1;
    for (let i = 0; this.pos < end; i++) {
      const b = buf[this.pos++]!;
      if (i < 5) lo += (b & 0x7f) * mul;
      else hi += (b & 0x7f) * mul;
      if (b < 0x80) return hi === 0 ? BigInt(lo) : (BigInt(hi) << 35n) | BigInt(lo);
      mul = i === 4 ? 1 : mul * 128;
      if (i === 9) return undefined;
    }
    return undefined;
  }
}
