/**
 * Protobuf varints of non-negative safe integers (below 2^53), the form every length, tag and
 * revision the API server writes by hand takes. Division rather than shifts: JavaScript's bit
 * operators work on 32 bits.
 */

/** Bytes the varint of `n` takes. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Writes the varint of `n` at `at` (room checked by the caller); returns the next offset. */
export function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[at++] = n;
  return at;
}
