/**
 * The HPACK Huffman code (RFC 7541 Appendix B). The code is canonical: within one length, codes
 * are consecutive in symbol order, and each length starts where the shorter one ended (shifted
 * left). So the table is kept as the 257 code lengths (symbols 0-255, then EOS) and the codes are
 * derived from them.
 */

// prettier-ignore
const LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;

/** Each symbol's code (right-aligned) and length. */
const CODES = new Uint32Array(257);
/**
 * A decoding tree as a flat array: node n's children are TREE[2n] (bit 0) and TREE[2n+1]
 * (bit 1); a child >= 0 is another node, a child < 0 is the leaf of symbol -child-1.
 */
const TREE: number[] = [0, 0];

(function build(): void {
  const order = LENGTHS.map((len, sym) => ({ len, sym })).sort(
    (a, b) => a.len - b.len || a.sym - b.sym,
  );
  let code = 0;
  let prevLen = order[0]!.len;
  for (const { len, sym } of order) {
    code <<= len - prevLen;
    prevLen = len;
    CODES[sym] = code >>> 0;
    let node = 0;
    for (let bit = len - 1; bit >= 0; bit--) {
      const slot = 2 * node + ((code >>> bit) & 1);
      if (bit === 0) {
        TREE[slot] = -sym - 1;
      } else {
        if (TREE[slot] === 0) {
          TREE[slot] = TREE.length / 2;
          TREE.push(0, 0);
        }
        node = TREE[slot]!;
      }
    }
    code++;
  }
})();

/** The code of one symbol (for tests). */
export function huffmanCode(sym: number): { code: number; bits: number } {
  return { code: CODES[sym]!, bits: LENGTHS[sym]! };
}

/**
 * Decodes a Huffman-coded string literal. Throws on the EOS symbol, on padding longer than 7
 * bits and on padding that is not the most significant bits of EOS (all ones), as RFC 7541
 * section 5.2 requires.
 */
export function huffmanDecode(buf: Buffer, start: number, end: number): string {
  let out = '';
  let node = 0;
  /** Bits read since the last symbol, and whether they were all ones. */
  let pending = 0;
  let allOnes = true;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      const b = (byte >>> bit) & 1;
      const next = TREE[2 * node + b]!;
      pending++;
      allOnes &&= b === 1;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === EOS) throw new Error('HPACK: EOS in a Huffman string');
        out += String.fromCharCode(sym);
        node = 0;
        pending = 0;
        allOnes = true;
      } else {
        node = next;
      }
    }
  }
  if (pending > 7 || !allOnes) throw new Error('HPACK: invalid Huffman padding');
  return out;
}

/** The length in bytes of `s` (latin1) once Huffman-coded. */
export function huffmanLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += LENGTHS[s.charCodeAt(i) & 0xff]!;
  return (bits + 7) >>> 3;
}

/** Huffman-codes `s` (latin1) into `out` at `off`; returns the offset after it. */
export function huffmanEncode(s: string, out: Buffer, off: number): number {
  let acc = 0;
  let accBits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = LENGTHS[sym]!;
    const code = CODES[sym]!;
    // Emit whole bytes as they fill; at most 7 bits stay in `acc`, so 7 + 30 bits fit a double.
    acc = acc * 2 ** len + code;
    accBits += len;
    while (accBits >= 8) {
      accBits -= 8;
      const byte = Math.floor(acc / 2 ** accBits);
      out[off++] = byte;
      acc -= byte * 2 ** accBits;
    }
  }
  if (accBits > 0) out[off++] = (acc << (8 - accBits)) | (0xff >>> accBits);
  return off;
}
