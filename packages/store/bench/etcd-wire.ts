/**
 * The few etcd v3 messages the lean load generator sends and reads, encoded and decoded by hand
 * (protobuf wire format): PutRequest, RangeRequest and WatchRequest{create_request} out, and of
 * PutResponse, RangeResponse and WatchResponse only what the benchmark checks. A load generator
 * must cost far less than the servers it measures (decision 0044); protobufjs and the npm etcd3
 * client's layers cost more per operation than the HTTP/2 exchange itself. Field numbers are
 * those of proto/etcd (rpc.proto, kv.proto); etcd-wire.test.ts compares every encoder and
 * decoder with the generated protobufjs codecs.
 */
import { PREFIX_BYTES } from '@kubets/component-base/grpc-server';

/** Bytes of `n` as a protobuf varint (n < 2^53). */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** A length-delimited field's size: tag, length, bytes. */
const bytesFieldSize = (len: number): number => 1 + varintSize(len) + len;

function writeBytesField(buf: Buffer, pos: number, tag: number, data: Buffer): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, data.length);
  return pos + data.copy(buf, pos);
}

/** A buffer with the gRPC message prefix for a `len`-byte message (the caller fills it). */
function framed(len: number): Buffer {
  const out = Buffer.allocUnsafe(PREFIX_BYTES + len);
  out[0] = 0;
  out.writeUInt32BE(len, 1);
  return out;
}

// Tags (field number << 3 | wire type): 2 = length-delimited, 0 = varint.
const KEY = (1 << 3) | 2;
const PUT_VALUE = (2 << 3) | 2;
const RANGE_END = (2 << 3) | 2;
const RANGE_SERIALIZABLE = (7 << 3) | 0;
const WATCH_CREATE = (1 << 3) | 2;

/** PutRequest{key, value} as a whole gRPC frame (prefix included). */
export function putRequestFrame(key: Buffer, value: Buffer): Buffer {
  const len = bytesFieldSize(key.length) + bytesFieldSize(value.length);
  const out = framed(len);
  writeBytesField(out, writeBytesField(out, PREFIX_BYTES, KEY, key), PUT_VALUE, value);
  return out;
}

/** RangeRequest{key, serializable} (one key) as a whole gRPC frame. */
export function rangeRequestFrame(key: Buffer, serializable: boolean): Buffer {
  const len = bytesFieldSize(key.length) + (serializable ? 2 : 0);
  const out = framed(len);
  const pos = writeBytesField(out, PREFIX_BYTES, KEY, key);
  if (serializable) {
    out[pos] = RANGE_SERIALIZABLE;
    out[pos + 1] = 1;
  }
  return out;
}

/** WatchRequest{create_request{key, range_end}} (watch from now) as a whole gRPC frame. */
export function watchCreateFrame(key: Buffer, rangeEnd: Buffer): Buffer {
  const inner = bytesFieldSize(key.length) + bytesFieldSize(rangeEnd.length);
  const out = framed(1 + varintSize(inner) + inner);
  out[PREFIX_BYTES] = WATCH_CREATE;
  let pos = writeVarint(out, PREFIX_BYTES + 1, inner);
  pos = writeBytesField(out, pos, KEY, key);
  writeBytesField(out, pos, RANGE_END, rangeEnd);
  return out;
}

/** The smallest key above every key with `prefix` (etcd's GetPrefixRangeEnd). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** A protobuf reader over `buf[pos, end)`: just enough to walk fields and skip them. */
class Reader {
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  /** Points this reader at another range (the watch path reuses its readers). */
  reset(buf: Buffer, pos: number, end: number): this {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    return this;
  }

  /** A varint as a number (exact below 2^53, which revisions and ids here are). */
  varint(): number {
    const buf = this.buf;
    let n = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('protobuf: varint past the end');
      const b = buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 128;
      if (mul > 2 ** 63) throw new Error('protobuf: varint too long');
    }
  }

  /** The end of a length-delimited field whose length comes next; pos moves to its start. */
  delimited(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) throw new Error('protobuf: field past the end');
    return end;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.delimited();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Error(`protobuf: wire type ${wireType} not expected`);
    }
    if (this.pos > this.end) throw new Error('protobuf: field past the end');
  }
}

/** ResponseHeader.revision (field 3) of the header in `r` up to `end`. */
function headerRevision(r: Reader, end: number): number {
  const outer = r.pos;
  let revision = 0;
  const h = new Reader(r.buf, outer, end);
  while (h.pos < end) {
    const tag = h.varint();
    if (tag === ((3 << 3) | 0)) revision = h.varint();
    else h.skip(tag & 7);
  }
  r.pos = end;
  return revision;
}

/** The revision in a PutResponse's header (0: no header, which etcd never sends). */
export function putResponseRevision(msg: Buffer): number {
  const r = new Reader(msg, 0, msg.length);
  let revision = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) revision = headerRevision(r, r.delimited());
    else r.skip(tag & 7);
  }
  return revision;
}

/** What the benchmark checks of a RangeResponse. */
export interface RangeSummary {
  revision: number;
  /** Key-values returned, and the bytes of the first one's value. */
  kvs: number;
  valueBytes: number;
}

/** KeyValue.value's length (field 5) in `r` up to `end`. */
function kvValueBytes(r: Reader, end: number): number {
  const kv = new Reader(r.buf, r.pos, end);
  let bytes = 0;
  while (kv.pos < end) {
    const tag = kv.varint();
    if (tag === ((5 << 3) | 2)) {
      const e = kv.delimited();
      bytes = e - kv.pos;
      kv.pos = e;
    } else kv.skip(tag & 7);
  }
  r.pos = end;
  return bytes;
}

export function rangeResponseSummary(msg: Buffer): RangeSummary {
  const r = new Reader(msg, 0, msg.length);
  const s: RangeSummary = { revision: 0, kvs: 0, valueBytes: 0 };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) s.revision = headerRevision(r, r.delimited());
    else if (tag === ((2 << 3) | 2)) {
      const bytes = kvValueBytes(r, r.delimited());
      if (s.kvs++ === 0) s.valueBytes = bytes;
    } else r.skip(tag & 7);
  }
  return s;
}

/** What the watch client reads of a WatchResponse (besides its events' keys; not the header). */
export interface WatchResponseHead {
  watchId: number;
  created: boolean;
  canceled: boolean;
  /** Events in it (each one's key went to `onKey`). */
  events: number;
}

/**
 * The readers and the result of readWatchResponse, reused: it runs once per delivered event
 * (200,000 times a fan-out round), where five objects per call were most of the GC's work.
 */
const top = new Reader(Buffer.alloc(0), 0, 0);
const event = new Reader(Buffer.alloc(0), 0, 0);
const keyValue = new Reader(Buffer.alloc(0), 0, 0);
const head: WatchResponseHead = { watchId: 0, created: false, canceled: false, events: 0 };

/**
 * Walks a WatchResponse: calls `onKey(buf, start, end)` with each event's kv.key as a range of
 * `msg` (no copy, no string) and returns the rest of what the client checks, in an object
 * reused by the next call. The keys come before the watch id may be known (fields can come in
 * any order): the caller files the keys it collected under the returned id afterwards.
 */
export function readWatchResponse(
  msg: Buffer,
  onKey: (buf: Buffer, start: number, end: number) => void,
): WatchResponseHead {
  const r = top.reset(msg, 0, msg.length);
  head.watchId = 0;
  head.created = false;
  head.canceled = false;
  head.events = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case (2 << 3) | 0:
        head.watchId = r.varint();
        break;
      case (3 << 3) | 0:
        head.created = r.varint() !== 0;
        break;
      case (4 << 3) | 0:
        head.canceled = r.varint() !== 0;
        break;
      case (11 << 3) | 2:
        head.events++;
        eventKey(r, r.delimited(), onKey);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return head;
}

/** Event.kv (field 2) -> KeyValue.key (field 1): hands the key's range to `onKey`. */
function eventKey(
  r: Reader,
  end: number,
  onKey: (buf: Buffer, start: number, end: number) => void,
): void {
  const ev = event.reset(r.buf, r.pos, end);
  while (ev.pos < end) {
    const tag = ev.varint();
    if (tag !== ((2 << 3) | 2)) {
      ev.skip(tag & 7);
      continue;
    }
    const kvEnd = ev.delimited();
    const kv = keyValue.reset(r.buf, ev.pos, kvEnd);
    while (kv.pos < kvEnd) {
      const t = kv.varint();
      if (t === ((1 << 3) | 2)) {
        const keyEnd = kv.delimited();
        onKey(r.buf, kv.pos, keyEnd);
        kv.pos = keyEnd;
      } else kv.skip(t & 7);
    }
    ev.pos = kvEnd;
  }
  r.pos = end;
}
