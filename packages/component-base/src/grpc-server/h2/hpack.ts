/**
 * HPACK (RFC 7541): a decoder with the static and dynamic tables and Huffman strings, and a
 * simple encoder (static-table indexes, literals without indexing, no Huffman) for responses.
 */
import { huffmanDecode } from './huffman.js';

/** The static table (RFC 7541 Appendix A); index 1 is STATIC[0]. */
// prettier-ignore
export const STATIC: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'],
  [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'], [':status', '200'],
  [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'],
  [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''],
  ['accept', ''], ['access-control-allow-origin', ''], ['age', ''], ['allow', ''],
  ['authorization', ''], ['cache-control', ''], ['content-disposition', ''],
  ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''],
  ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''],
  ['if-match', ''], ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''],
  ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''], ['location', ''],
  ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''],
  ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

/** Per-entry overhead counted in a dynamic table's size (RFC 7541 section 4.1). */
const ENTRY_OVERHEAD = 32;

export class HpackError extends Error {}

/** The decoded list outgrew the limit (a small block can reference large table entries). */
export class HeaderListTooLarge extends HpackError {}

/** A decoded header list, in order (names are lowercase as HTTP/2 requires). */
export type HeaderField = readonly [name: string, value: string];
/** Fields may be shared with the decoder's tables: never modified. */
export type HeaderList = HeaderField[];

/** A decoded block that changed nothing in the dynamic table, kept for its next repeat. */
interface CachedBlock {
  block: Buffer;
  list: HeaderList;
  listBytes: number;
}

/** Repeated blocks remembered per connection (a client's few methods), and their largest size. */
const CACHE_ENTRIES = 4;
const CACHE_BLOCK_BYTES = 512;

/**
 * Decodes header blocks of one connection (the dynamic table lives across blocks).
 *
 * A gRPC client sends the same request header block again and again (the same method, its
 * fields as references to entries it added to the dynamic table on its first call, the :path
 * as a literal it never indexes). A block that adds nothing to the table decodes to the same
 * list for as long as the table is unchanged, so the last few such blocks are kept with their
 * lists and a byte-equal repeat returns the kept list (shared, read-only as every list here)
 * instead of decoding the block again: no Huffman decoding of the path, no strings or arrays
 * per request. Any change to the table forgets them all.
 */
export class HpackDecoder {
  /** Newest entry last; HPACK index 62 is the last element. */
  private readonly table: HeaderField[] = [];
  private size = 0;
  private maxSize: number;
  private readonly cache: CachedBlock[] = [];
  private nextSlot = 0;

  /** `settingsMax`: our SETTINGS_HEADER_TABLE_SIZE, the largest size the peer may choose. */
  constructor(private readonly settingsMax = 4096) {
    this.maxSize = settingsMax;
  }

  /** The dynamic table's current size (for tests). */
  get tableSize(): number {
    return this.size;
  }

  /** The dynamic table, newest first (for tests). */
  get entries(): HeaderField[] {
    return [...this.table].reverse();
  }

  /**
   * Decodes one header block. `maxListBytes` bounds the decoded list (names, values and 32 bytes
   * per field, as SETTINGS_MAX_HEADER_LIST_SIZE counts); past it HeaderListTooLarge is thrown
   * and the connection must end (the table state is lost mid-block).
   */
  decode(block: Buffer, maxListBytes = Infinity): HeaderList {
    const hit = this.cached(block);
    if (hit !== undefined) {
      if (hit.listBytes > maxListBytes) {
        throw new HeaderListTooLarge(`HPACK: header list larger than ${maxListBytes} bytes`);
      }
      return hit.list;
    }
    const out: HeaderList = [];
    let listBytes = 0;
    let pos = 0;
    let fieldSeen = false;
    /** The block changes the dynamic table (an indexed literal or a size update). */
    let changes = false;
    while (pos < block.length) {
      const b = block[pos]!;
      if (b & 0x80) {
        // Indexed header field (6.1).
        const [index, next] = readInt(block, pos, 7);
        pos = next;
        const field = this.entry(index);
        out.push(field);
        listBytes += field[0].length + field[1].length + ENTRY_OVERHEAD;
        fieldSeen = true;
      } else if (b & 0x40) {
        // Literal with incremental indexing (6.2.1).
        const [field, next] = this.literal(block, pos, 6);
        pos = next;
        changes = true;
        this.forget();
        this.add(field);
        out.push(field);
        listBytes += field[0].length + field[1].length + ENTRY_OVERHEAD;
        fieldSeen = true;
      } else if (b & 0x20) {
        // Dynamic table size update (6.3): only at the start of a block.
        if (fieldSeen) throw new HpackError('HPACK: table size update after a field');
        const [max, next] = readInt(block, pos, 5);
        pos = next;
        if (max > this.settingsMax) throw new HpackError('HPACK: table size above the limit');
        changes = true;
        this.forget();
        this.maxSize = max;
        this.evict(0);
      } else {
        // Literal without indexing (6.2.2) or never indexed (6.2.3).
        const [field, next] = this.literal(block, pos, 4);
        pos = next;
        out.push(field);
        listBytes += field[0].length + field[1].length + ENTRY_OVERHEAD;
        fieldSeen = true;
      }
      if (listBytes > maxListBytes) {
        throw new HeaderListTooLarge(`HPACK: header list larger than ${maxListBytes} bytes`);
      }
    }
    if (!changes && block.length <= CACHE_BLOCK_BYTES) this.keep(block, out, listBytes);
    return out;
  }

  /** Whether `list` is a kept list (shared by every repeat of its block). */
  isCached(list: HeaderList): boolean {
    for (const c of this.cache) if (c.list === list) return true;
    return false;
  }

  private cached(block: Buffer): CachedBlock | undefined {
    for (const c of this.cache) {
      if (c.block.length === block.length && c.block.equals(block)) return c;
    }
    return undefined;
  }

  private keep(block: Buffer, list: HeaderList, listBytes: number): void {
    // A copy: the block is a view of a socket chunk.
    const entry = { block: Buffer.from(block), list, listBytes };
    if (this.cache.length < CACHE_ENTRIES) this.cache.push(entry);
    else {
      this.cache[this.nextSlot] = entry;
      this.nextSlot = (this.nextSlot + 1) % CACHE_ENTRIES;
    }
  }

  /** The dynamic table changed: kept blocks may now mean something else. */
  private forget(): void {
    this.cache.length = 0;
    this.nextSlot = 0;
  }

  /** A table entry, shared (not copied): header lists are read-only. */
  private entry(index: number): HeaderField {
    if (index === 0) throw new HpackError('HPACK: index 0');
    if (index <= STATIC.length) return STATIC[index - 1]!;
    const e = this.table[this.table.length - (index - STATIC.length)];
    if (e === undefined) throw new HpackError(`HPACK: index ${index} out of range`);
    return e;
  }

  private literal(block: Buffer, pos: number, prefix: number): [HeaderField, number] {
    const [index, afterIndex] = readInt(block, pos, prefix);
    let name: string;
    let next = afterIndex;
    if (index === 0) {
      [name, next] = readString(block, next);
    } else {
      name = this.entry(index)[0];
    }
    const [value, end] = readString(block, next);
    return [[name, value], end];
  }

  private add(field: HeaderField): void {
    const size = field[0].length + field[1].length + ENTRY_OVERHEAD;
    // An entry larger than the table empties it and is not added (4.4).
    this.evict(size);
    if (size <= this.maxSize) {
      this.table.push(field);
      this.size += size;
    }
  }

  /** Evicts oldest entries until `room` more bytes fit. */
  private evict(room: number): void {
    let drop = 0;
    while (this.size + room > this.maxSize && drop < this.table.length) {
      const e = this.table[drop]!;
      this.size -= e[0].length + e[1].length + ENTRY_OVERHEAD;
      drop++;
    }
    if (drop > 0) this.table.splice(0, drop);
  }
}

/** An HPACK integer with an N-bit prefix at `pos` (5.1); returns it and the next offset. */
export function readInt(buf: Buffer, pos: number, prefix: number): [number, number] {
  const mask = (1 << prefix) - 1;
  let value = buf[pos]! & mask;
  pos++;
  if (value < mask) return [value, pos];
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new HpackError('HPACK: truncated integer');
    if (shift > 28) throw new HpackError('HPACK: integer too large');
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [value, pos];
  }
}

function readString(buf: Buffer, pos: number): [string, number] {
  if (pos >= buf.length) throw new HpackError('HPACK: truncated string');
  const huffman = (buf[pos]! & 0x80) !== 0;
  const [len, start] = readInt(buf, pos, 7);
  const end = start + len;
  if (end > buf.length) throw new HpackError('HPACK: truncated string');
  const s = huffman ? huffmanDecode(buf, start, end) : buf.toString('latin1', start, end);
  return [s, end];
}

/** Writes an HPACK integer with an N-bit prefix and the given first-byte flags; returns the end. */
export function writeInt(
  out: Buffer,
  pos: number,
  prefix: number,
  flags: number,
  value: number,
): number {
  const mask = (1 << prefix) - 1;
  if (value < mask) {
    out[pos++] = flags | value;
    return pos;
  }
  out[pos++] = flags | mask;
  value -= mask;
  while (value >= 0x80) {
    out[pos++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[pos++] = value;
  return pos;
}

/** Static-table index of each name (first match), and of each exact name/value pair. */
const STATIC_NAME = new Map<string, number>();
const STATIC_PAIR = new Map<string, number>();
STATIC.forEach(([name, value], i) => {
  if (!STATIC_NAME.has(name)) STATIC_NAME.set(name, i + 1);
  STATIC_PAIR.set(`${name}\0${value}`, i + 1);
});

/**
 * Encodes a header list without touching the peer's dynamic table: a static-table index for an
 * exact static pair, else a literal without indexing (static name index when there is one).
 * Strings go out as raw latin1; callers pass ASCII header names and values.
 */
export function encodeHeaders(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  let size = 0;
  for (const [n, v] of headers) size += n.length + v.length + 12;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const [name, value] of headers) {
    const pair = STATIC_PAIR.get(`${name}\0${value}`);
    if (pair !== undefined) {
      pos = writeInt(out, pos, 7, 0x80, pair);
      continue;
    }
    const nameIndex = STATIC_NAME.get(name);
    if (nameIndex !== undefined) {
      pos = writeInt(out, pos, 4, 0, nameIndex);
    } else {
      out[pos++] = 0;
      pos = writeInt(out, pos, 7, 0, name.length);
      pos += out.write(name, pos, 'latin1');
    }
    pos = writeInt(out, pos, 7, 0, value.length);
    pos += out.write(value, pos, 'latin1');
  }
  return out.subarray(0, pos);
}
