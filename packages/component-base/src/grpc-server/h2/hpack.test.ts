import { describe, expect, it } from 'vitest';
import {
  HeaderListTooLarge,
  HpackDecoder,
  HpackError,
  encodeHeaders,
  readInt,
  writeInt,
} from './hpack.js';
import { huffmanCode, huffmanDecode, huffmanEncode, huffmanLength } from './huffman.js';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function huff(s: string): Buffer {
  const out = Buffer.alloc(huffmanLength(s));
  huffmanEncode(s, out, 0);
  return out;
}

/** A literal with incremental indexing, indexed name, Huffman value (as RFC 7541 C.6 uses). */
function literalIndexed(nameIndex: number, value: string): Buffer {
  const v = huff(value);
  const head = Buffer.alloc(8);
  let pos = writeInt(head, 0, 6, 0x40, nameIndex);
  pos = writeInt(head, pos, 7, 0x80, v.length);
  return Buffer.concat([head.subarray(0, pos), v]);
}

describe('HPACK integers (RFC 7541 C.1)', () => {
  it('encodes and decodes the appendix examples', () => {
    const out = Buffer.alloc(8);
    expect(out.subarray(0, writeInt(out, 0, 5, 0, 10)).toString('hex')).toBe('0a');
    expect(out.subarray(0, writeInt(out, 0, 5, 0, 1337)).toString('hex')).toBe('1f9a0a');
    expect(out.subarray(0, writeInt(out, 0, 8, 0, 42)).toString('hex')).toBe('2a');
    expect(readInt(hex('1f9a0a'), 0, 5)).toEqual([1337, 3]);
    expect(readInt(hex('ea'), 0, 5)).toEqual([10, 1]);
  });

  it('refuses truncated and oversized integers', () => {
    expect(() => readInt(hex('1f80'), 0, 5)).toThrow(HpackError);
    expect(() => readInt(hex('1fffffffffff01'), 0, 5)).toThrow(HpackError);
  });
});

describe('Huffman code (RFC 7541 Appendix B)', () => {
  it('derives the table codes', () => {
    expect(huffmanCode(48)).toEqual({ code: 0x0, bits: 5 });
    expect(huffmanCode(32)).toEqual({ code: 0x14, bits: 6 });
    expect(huffmanCode(0)).toEqual({ code: 0x1ff8, bits: 13 });
    expect(huffmanCode(255)).toEqual({ code: 0x3ffffee, bits: 26 });
    expect(huffmanCode(256)).toEqual({ code: 0x3fffffff, bits: 30 });
  });

  const vectors: Array<[string, string]> = [
    ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
    ['no-cache', 'a8eb 1064 9cbf'],
    ['custom-key', '25a8 49e9 5ba9 7d7f'],
    ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
    ['302', '6402'],
    ['private', 'aec3 771a 4b'],
    ['gzip', '9bd9 ab'],
    ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
    ['https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
  ];
  it.each(vectors)('codes %s as in Appendix C', (text, coded) => {
    const bytes = hex(coded);
    expect(huffmanDecode(bytes, 0, bytes.length)).toBe(text);
    expect(huff(text).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('round-trips every byte value', () => {
    let s = '';
    for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
    const coded = huff(s);
    expect(huffmanDecode(coded, 0, coded.length)).toBe(s);
  });

  it('refuses bad padding and EOS (5.2)', () => {
    expect(() => huffmanDecode(hex('00'), 0, 1)).toThrow(/padding/);
    // '0' (00000) then eleven 1 bits: padding longer than 7 bits.
    expect(() => huffmanDecode(hex('07ff'), 0, 2)).toThrow(/padding/);
    expect(() => huffmanDecode(hex('ffff fffc'), 0, 4)).toThrow(/EOS/);
  });
});

describe('HPACK decoder (RFC 7541 Appendix C)', () => {
  it('C.2: one field of each literal kind and an indexed field', () => {
    const d1 = new HpackDecoder();
    expect(
      d1.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')),
    ).toEqual([['custom-key', 'custom-header']]);
    expect(d1.tableSize).toBe(55);
    const d2 = new HpackDecoder();
    expect(d2.decode(hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([
      [':path', '/sample/path'],
    ]);
    expect(d2.tableSize).toBe(0);
    const d3 = new HpackDecoder();
    expect(d3.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([
      ['password', 'secret'],
    ]);
    expect(d3.tableSize).toBe(0);
    expect(new HpackDecoder().decode(hex('82'))).toEqual([[':method', 'GET']]);
  });

  const requests: Array<[string, string, string]> = [
    [
      'C.3 (plain strings)',
      '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
      '8286 84be 5808 6e6f 2d63 6163 6865',
    ],
    [
      'C.4 (Huffman strings)',
      '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
      '8286 84be 5886 a8eb 1064 9cbf',
    ],
  ];
  it.each(requests)('%s: three requests on one connection', (name, first, second) => {
    const d = new HpackDecoder();
    expect(d.decode(hex(first))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(d.tableSize).toBe(57);
    expect(d.decode(hex(second))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(d.tableSize).toBe(110);
    const third = name.startsWith('C.3')
      ? '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'
      : '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf';
    expect(d.decode(hex(third))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
    expect(d.tableSize).toBe(164);
    expect(d.entries).toEqual([
      ['custom-key', 'custom-value'],
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ]);
  });

  it('C.6: responses with a 256-byte table evict the oldest entries', () => {
    const d = new HpackDecoder();
    // The encoder lowers the table to 256 bytes (a size update, 6.3) before the first block.
    const first = hex(
      '3fe101 4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
    );
    expect(d.decode(first)).toEqual([
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['location', 'https://www.example.com'],
    ]);
    expect(d.tableSize).toBe(222);
    expect(d.decode(hex('4883 640e ff c1 c0 bf'))).toEqual([
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['location', 'https://www.example.com'],
    ]);
    expect(d.tableSize).toBe(222);
    const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
    const third = Buffer.concat([
      hex('88 c1'),
      literalIndexed(33, 'Mon, 21 Oct 2013 20:13:22 GMT'),
      hex('c0'),
      literalIndexed(26, 'gzip'),
      literalIndexed(55, cookie),
    ]);
    expect(d.decode(third)).toEqual([
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
      ['location', 'https://www.example.com'],
      ['content-encoding', 'gzip'],
      ['set-cookie', cookie],
    ]);
    expect(d.tableSize).toBe(215);
    expect(d.entries).toEqual([
      ['set-cookie', cookie],
      ['content-encoding', 'gzip'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ]);
  });

  it('bounds the decoded list: small blocks referencing a large entry', () => {
    const d = new HpackDecoder();
    const len = Buffer.alloc(4);
    const lenEnd = writeInt(len, 0, 7, 0, 4000);
    // Literal with incremental indexing: name "x", a 4000-byte value.
    const big = Buffer.concat([hex('40 01 78'), len.subarray(0, lenEnd), Buffer.alloc(4000, 0x61)]);
    expect(d.decode(big, 8192)).toHaveLength(1);
    // Each 0xbe byte repeats the 4033-byte entry (dynamic index 62).
    expect(() => d.decode(Buffer.alloc(10, 0xbe), 8192)).toThrow(HeaderListTooLarge);
  });

  it('refuses a bad index, a size update above the limit and one after a field', () => {
    expect(() => new HpackDecoder().decode(hex('80'))).toThrow(HpackError);
    expect(() => new HpackDecoder().decode(hex('be'))).toThrow(HpackError);
    expect(() => new HpackDecoder(4096).decode(hex('3fe21f'))).toThrow(HpackError);
    expect(() => new HpackDecoder().decode(hex('82 20'))).toThrow(HpackError);
  });
});

describe('HPACK encoder', () => {
  it('uses static indexes and literals the decoder reads back, without table entries', () => {
    const headers: Array<[string, string]> = [
      [':status', '200'],
      ['content-type', 'application/grpc+proto'],
      ['grpc-status', '0'],
      ['grpc-message', 'OK'],
    ];
    const block = encodeHeaders(headers);
    expect(block[0]).toBe(0x88);
    const d = new HpackDecoder();
    expect(d.decode(block)).toEqual(headers);
    expect(d.tableSize).toBe(0);
  });
});

describe('HPACK repeated blocks', () => {
  it('returns the kept list for a repeat only while the dynamic table is unchanged', () => {
    const d = new HpackDecoder();
    d.decode(literalIndexed(58, 'grpc-node-js/1.0')); // user-agent, now index 62
    const refs = hex('83 be'); // :method POST, index 62
    const first = d.decode(refs);
    expect(first).toEqual([
      [':method', 'POST'],
      ['user-agent', 'grpc-node-js/1.0'],
    ]);
    expect(d.decode(Buffer.from(refs))).toBe(first);
    expect(d.isCached(first)).toBe(true);
    // A new entry moves index 62: the same bytes now mean another field.
    d.decode(literalIndexed(58, 'other/2.0'));
    const second = d.decode(refs);
    expect(second).not.toBe(first);
    expect(second[1]).toEqual(['user-agent', 'other/2.0']);
    expect(d.decode(refs)).toBe(second);
    // A size update empties the table: the repeat no longer decodes.
    d.decode(hex('20'));
    expect(() => d.decode(refs)).toThrow(HpackError);
  });

  it('applies the list size limit to a kept list too', () => {
    const d = new HpackDecoder();
    const block = encodeHeaders([['x-large', 'v'.repeat(100)]]);
    expect(d.decode(block)).toHaveLength(1);
    expect(() => d.decode(block, 50)).toThrow(HeaderListTooLarge);
  });
});
