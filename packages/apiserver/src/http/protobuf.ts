/**
 * The Kubernetes protobuf wire format (`application/vnd.kubernetes.protobuf`): decoding request
 * bodies (kubectl sends `create namespace|configmap|secret|...` as protobuf) and encoding answers
 * for the kinds in ENCODABLE (get, list, watch, write answers).
 *
 * The envelope is the 4 magic bytes `k8s\0` and a `runtime.Unknown` message
 * {1: typeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}; `raw` is the
 * object in the message layout of upstream's `generated.proto` (protobuf-tables.ts). Unknown
 * fields are skipped when reading, as protobuf readers do.
 *
 * Writing follows proto3-style presence: zero scalars of plain Go fields are left out (upstream's
 * gogo marshaller writes them; any reader decodes both to the same Go value), so the bytes are
 * smaller than upstream's for the same object; fields, numbers and nesting are upstream's.
 */
import {
  newBadRequest,
  newUnsupportedMediaType,
  type JsonObject,
  type JsonValue,
} from '@kubets/apimachinery';
import { memoized } from '../storage/shared.js';
import { ProtoReader as Reader } from '../wire/proto-reader.js';
import { writeVarint } from '../wire/varint.js';
import {
  DECODABLE,
  ENCODABLE,
  MESSAGES,
  type FieldSpec,
  type MessageSpec,
} from './protobuf-tables.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_WATCH_CONTENT_TYPE = `${PROTOBUF_MEDIA_TYPE};stream=watch`;
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

// ------------------------------------------------------------------------------------ reading

function toSigned(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function readTimestamp(buf: Buffer): { seconds: bigint; nanos: number } {
  let seconds = 0n;
  let nanos = 0;
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 0) seconds = BigInt.asIntN(64, r.varint());
    else if (field === 2 && wire === 0) nanos = toSigned(r.varint());
    else r.skip(wire);
  });
  return { seconds, nanos };
}

/** metav1.Time: RFC 3339 in whole seconds; the zero time is JSON null. */
function decodeTime(buf: Buffer): string | null {
  const { seconds } = readTimestamp(buf);
  if (seconds === 0n) return null;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
function decodeMicroTime(buf: Buffer): string | null {
  const { seconds, nanos } = readTimestamp(buf);
  if (seconds === 0n && nanos === 0) return null;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

function decodeQuantity(buf: Buffer): string {
  let s = '';
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) s = r.bytes().toString('utf8');
    else r.skip(wire);
  });
  return s;
}

function decodeIntOrString(buf: Buffer): JsonValue {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 0) type = toSigned(r.varint());
    else if (field === 2 && wire === 0) intVal = toSigned(r.varint());
    else if (field === 3 && wire === 2) strVal = r.bytes().toString('utf8');
    else r.skip(wire);
  });
  return type === 1 ? strVal : intVal;
}

/** metav1.FieldsV1 {1: Raw}: the raw bytes are the JSON of the field set. */
function decodeFieldsV1(buf: Buffer): JsonValue {
  let raw: Buffer | undefined;
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) raw = r.bytes();
    else r.skip(wire);
  });
  return raw && raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as JsonValue) : {};
}

function decodeMapEntry(
  buf: Buffer,
  valueType: 'string' | 'bytes' | 'quantity',
): [string, JsonValue] {
  let key = '';
  let value: JsonValue = '';
  const r = new Reader(buf);
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) key = r.bytes().toString('utf8');
    else if (field === 2 && wire === 2) {
      const b = r.bytes();
      value =
        valueType === 'string'
          ? b.toString('utf8')
          : valueType === 'bytes'
            ? b.toString('base64')
            : decodeQuantity(b);
    } else r.skip(wire);
  });
  return [key, value];
}

function specOf(name: string): MessageSpec {
  const spec = MESSAGES[name];
  if (!spec) throw new Error(`no protobuf layout for ${name}`);
  return spec;
}

function isZero(v: JsonValue): boolean {
  return v === '' || v === 0 || v === false;
}

/** Decodes one message into `out` (embedded structs write into their parent's object). */
function decodeInto(buf: Buffer, name: string, out: JsonObject): JsonObject {
  const spec = specOf(name);
  const r = new Reader(buf);
  r.fields((field, wire) => {
    const fs = spec[field];
    if (!fs) return r.skip(wire);
    const t = fs.type;
    let value: JsonValue;
    if (typeof t === 'object' && 'map' in t) {
      if (wire !== 2) return r.skip(wire);
      const [k, v] = decodeMapEntry(r.bytes(), t.map);
      const m = (out[fs.name] ??= {}) as JsonObject;
      m[k] = v;
      return;
    }
    if (typeof t === 'object') {
      if (wire !== 2) return r.skip(wire);
      if (t.inline) {
        decodeInto(r.bytes(), t.message, out);
        return;
      }
      value = decodeInto(r.bytes(), t.message, {});
    } else if (t === 'int') {
      if (wire === 2 && fs.repeated) {
        // Packed repeated integers (proto3 writers); upstream's proto2 writes them one by one.
        const packed = new Reader(r.bytes());
        const list = (out[fs.name] ??= []) as JsonValue[];
        while (!packed.done) list.push(toSigned(packed.varint()));
        return;
      }
      if (wire !== 0) return r.skip(wire);
      value = toSigned(r.varint());
    } else if (t === 'bool') {
      if (wire !== 0) return r.skip(wire);
      value = r.varint() !== 0n;
    } else {
      if (wire !== 2) return r.skip(wire);
      const b = r.bytes();
      value =
        t === 'string'
          ? b.toString('utf8')
          : t === 'bytes'
            ? b.toString('base64')
            : t === 'time'
              ? decodeTime(b)
              : t === 'microTime'
                ? decodeMicroTime(b)
                : t === 'quantity'
                  ? decodeQuantity(b)
                  : t === 'fieldsV1'
                    ? decodeFieldsV1(b)
                    : decodeIntOrString(b);
    }
    if (fs.repeated) {
      const list = (out[fs.name] ??= []) as JsonValue[];
      list.push(value);
    } else if (fs.pointer || fs.keepZero || !isZero(value)) {
      out[fs.name] = value;
    }
  });
  return out;
}

/** Decodes the bytes of one message (no envelope) to JSON. */
export function decodeProtobufMessage(raw: Buffer, message: string): JsonObject {
  return decodeInto(raw, message, {});
}

/** The envelope's parts: apiVersion, kind and the raw message bytes. */
export function readEnvelope(body: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw newBadRequest('protobuf body is missing the "k8s\\x00" prefix');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  try {
    const r = new Reader(body.subarray(4));
    r.fields((field, wire) => {
      if (field === 1 && wire === 2) {
        const tm = new Reader(r.bytes());
        tm.fields((f2, w2) => {
          if (f2 === 1 && w2 === 2) apiVersion = tm.bytes().toString('utf8');
          else if (f2 === 2 && w2 === 2) kind = tm.bytes().toString('utf8');
          else tm.skip(w2);
        });
      } else if (field === 2 && wire === 2) raw = r.bytes();
      else r.skip(wire);
    });
  } catch (err) {
    throw newBadRequest(`unable to decode protobuf envelope: ${(err as Error).message}`);
  }
  return { apiVersion, kind, raw: raw ?? Buffer.alloc(0) };
}

/**
 * Decodes an enveloped protobuf object to JSON (with apiVersion and kind). 415 for kinds this
 * server has no layout for, 400 for malformed bytes.
 */
export function decodeProtobufObject(body: Buffer): JsonObject {
  const { apiVersion, kind, raw } = readEnvelope(body);
  const root =
    DECODABLE[`${apiVersion}/${kind}`] ??
    (kind === 'Status' ? 'Status' : undefined) ??
    listRoot(apiVersion, kind);
  if (!root) throw newUnsupportedMediaType(['application/json', 'application/yaml']);
  try {
    return { apiVersion, kind, ...decodeProtobufMessage(raw, root) };
  } catch (err) {
    throw newBadRequest(`unable to decode ${kind} from protobuf: ${(err as Error).message}`);
  }
}

function listRoot(apiVersion: string, kind: string): string | undefined {
  const item = ENCODABLE[`${apiVersion}/${kind.replace(/List$/, '')}`];
  return item && kind.endsWith('List') ? item.list : undefined;
}

/** Reads one watch event frame body (`k8s\0` Unknown{WatchEvent}) back to `{type, object}`. */
export function decodeWatchEvent(frame: Buffer): { type: string; object: JsonObject } {
  const { raw } = readEnvelope(frame);
  let type = '';
  let object: Buffer | undefined;
  const r = new Reader(raw);
  r.fields((field, wire) => {
    if (field === 1 && wire === 2) type = r.bytes().toString('utf8');
    else if (field === 2 && wire === 2) {
      const ext = new Reader(r.bytes());
      ext.fields((f2, w2) => {
        if (f2 === 1 && w2 === 2) object = ext.bytes();
        else ext.skip(w2);
      });
    } else r.skip(wire);
  });
  return { type, object: object ? decodeProtobufObject(object) : {} };
}

// ------------------------------------------------------------------------------------ writing

/**
 * A growable output buffer. A nested message is written in place after a one-byte length slot;
 * when its length needs more bytes, the body moves up (one memmove, rare for small messages).
 */
class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size = 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A non-negative varint below 2^53, or a negative int64 as its 64-bit two's complement. */
  varint(v: number): void {
    if (v < 0 || !Number.isSafeInteger(v)) {
      let big = BigInt.asUintN(64, BigInt(Math.trunc(v)));
      this.ensure(10);
      while (big > 0x7fn) {
        this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.pos++] = Number(big);
      return;
    }
    this.ensure(8);
    this.pos = writeVarint(this.buf, this.pos, v);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  string(field: number, s: string): void {
    this.tag(field, 2);
    const len = Buffer.byteLength(s);
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Bytes as they are (an already encoded message body). */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes field `field` as a nested message whose body `body` writes. */
  message(field: number, body: () => void): void {
    this.tag(field, 2);
    this.ensure(1);
    const slot = this.pos++;
    body();
    const len = this.pos - slot - 1;
    if (len < 0x80) {
      this.buf[slot] = len;
      return;
    }
    let extra = 0;
    for (let l = len >> 7; l > 0; l >>= 7) extra++;
    this.ensure(extra);
    this.buf.copy(this.buf, slot + 1 + extra, slot + 1, this.pos);
    this.pos += extra;
    let at = slot;
    let l = len;
    while (l > 0x7f) {
      this.buf[at++] = (l & 0x7f) | 0x80;
      l >>>= 7;
    }
    this.buf[at] = l;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Fields of each message by ascending number (upstream writes them in that order). */
const ORDERED = new Map<string, [number, FieldSpec][]>();
function orderedFields(name: string): [number, FieldSpec][] {
  let fields = ORDERED.get(name);
  if (!fields) {
    fields = Object.entries(specOf(name))
      .map(([n, fs]) => [Number(n), fs] as [number, FieldSpec])
      .sort((a, b) => a[0] - b[0]);
    ORDERED.set(name, fields);
  }
  return fields;
}

function asNumber(v: unknown, field: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw new Error(`${field}: expected an integer`);
}

function parseTime(v: string): { seconds: number; nanos: number } {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new Error(`invalid time ${v}`);
  const seconds = Math.floor(ms / 1000);
  const frac = /\.(\d+)/.exec(v)?.[1];
  const nanos = frac ? Number(frac.slice(0, 9).padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

function writeTimestamp(w: Writer, field: number, v: unknown, withNanos: boolean): void {
  w.message(field, () => {
    if (typeof v !== 'string') return; // null: the zero time
    const t = parseTime(v);
    if (t.seconds !== 0) {
      w.tag(1, 0);
      w.varint(t.seconds);
    }
    if (withNanos && t.nanos !== 0) {
      w.tag(2, 0);
      w.varint(t.nanos);
    }
  });
}

function writeQuantity(w: Writer, field: number, v: unknown): void {
  w.message(field, () => w.string(1, typeof v === 'number' ? String(v) : (v as string)));
}

function writeIntOrString(w: Writer, field: number, v: unknown): void {
  w.message(field, () => {
    if (typeof v === 'string') {
      w.tag(1, 0);
      w.varint(1);
      w.string(3, v);
    } else {
      w.tag(1, 0);
      w.varint(0);
      w.tag(2, 0);
      w.varint(v as number);
    }
  });
}

function writeScalar(w: Writer, num: number, fs: FieldSpec, v: unknown): void {
  const t = fs.type;
  switch (t) {
    case 'string':
      w.string(num, String(v));
      return;
    case 'bytes':
      w.bytes(num, Buffer.from(v as string, 'base64'));
      return;
    case 'int':
      w.tag(num, 0);
      w.varint(asNumber(v, fs.name));
      return;
    case 'bool':
      w.tag(num, 0);
      w.varint(v ? 1 : 0);
      return;
    case 'time':
      writeTimestamp(w, num, v, false);
      return;
    case 'microTime':
      writeTimestamp(w, num, v, true);
      return;
    case 'quantity':
      writeQuantity(w, num, v);
      return;
    case 'intOrString':
      writeIntOrString(w, num, v);
      return;
    case 'fieldsV1':
      w.message(num, () => w.string(1, JSON.stringify(v)));
      return;
    default:
      if ('message' in t) {
        const obj = v as JsonObject;
        w.message(num, () => writeMessage(w, obj, t.message));
      }
  }
}

/** A message's fields by JSON member; members of embedded structs map to the embedding field. */
interface ByName {
  fields: Map<string, { num: number; fs: FieldSpec; inline?: string }>;
}
const BY_NAME = new Map<string, ByName>();
function byName(name: string): ByName {
  let b = BY_NAME.get(name);
  if (!b) {
    b = { fields: new Map() };
    for (const [num, fs] of orderedFields(name)) {
      const t = fs.type;
      if (typeof t === 'object' && 'message' in t && t.inline) {
        for (const member of byName(t.message).fields.keys()) {
          b.fields.set(member, { num, fs, inline: t.message });
        }
      } else b.fields.set(fs.name, { num, fs });
    }
    BY_NAME.set(name, b);
  }
  return b;
}

/**
 * Writes the members present in `obj` (iterating the object's own members is much cheaper than
 * probing every field of a large message such as PodSpec, most of which are absent), in the
 * object's member order; readers accept fields in any order. An embedded struct is written once,
 * when its first member comes up; members without a field are skipped (the schema-walk test
 * keeps the tables complete for every kind answered in protobuf).
 */
function writeMessage(w: Writer, obj: JsonObject, name: string): void {
  const fields = byName(name).fields;
  let inlined: Set<string> | undefined;
  for (const key in obj) {
    const entry = fields.get(key);
    if (!entry) continue;
    const { num, fs } = entry;
    if (entry.inline !== undefined) {
      inlined ??= new Set();
      if (inlined.has(entry.inline)) continue;
      inlined.add(entry.inline);
      const sub = entry.inline;
      w.message(num, () => writeMessage(w, obj, sub));
      continue;
    }
    const v = obj[key];
    if (v === undefined) continue;
    const t = fs.type;
    if (v === null) {
      // Only metav1.Time marshals its zero value as null; a message of zero fields stands for it.
      if (t === 'time' || t === 'microTime') w.message(num, () => undefined);
      continue;
    }
    if (typeof t === 'object' && 'map' in t) {
      const m = v as Record<string, JsonValue>;
      // Go's marshaller writes map entries sorted by key.
      for (const k of Object.keys(m).sort()) {
        const value = m[k];
        w.message(num, () => {
          w.string(1, k);
          if (t.map === 'string') w.string(2, value as string);
          else if (t.map === 'bytes') w.bytes(2, Buffer.from(value as string, 'base64'));
          else writeQuantity(w, 2, value);
        });
      }
      continue;
    }
    if (fs.repeated) {
      if (!Array.isArray(v)) throw new Error(`${fs.name}: expected a list`);
      for (const item of v) writeScalar(w, num, fs, item);
      continue;
    }
    if (!fs.pointer && !fs.keepZero && (v === '' || v === 0 || v === false)) continue;
    writeScalar(w, num, fs, v);
  }
}

/** The `runtime.Unknown` envelope around raw message bytes, `k8s\0` first. */
function envelope(
  apiVersion: string,
  kind: string,
  body: (w: Writer) => void,
  size = 2048,
  /** Reserve a 4-byte big-endian length before the magic (a watch frame). */
  framed = false,
): Buffer {
  const w = new Writer(size);
  const start = framed ? 4 : 0;
  w.buf.set(MAGIC, start);
  w.pos = start + 4;
  w.message(1, () => {
    w.string(1, apiVersion);
    w.string(2, kind);
  });
  w.message(2, () => body(w));
  // contentEncoding and contentType: empty, as upstream writes them.
  w.string(3, '');
  w.string(4, '');
  if (framed) w.buf.writeUInt32BE(w.pos - 4, 0);
  return w.finish();
}

/** The message layout for `apiVersion/kind` when this server answers it in protobuf. */
export function protobufMessageFor(apiVersion: string, kind: string): string | undefined {
  if (kind === 'Status' && apiVersion === 'v1') return 'Status';
  const key = `${apiVersion}/${kind}`;
  const direct = ENCODABLE[key];
  if (direct) return direct.message;
  return listRoot(apiVersion, kind);
}

/** True when objects of `apiVersion/kind` (and their lists) can be answered in protobuf. */
export function servesProtobuf(apiVersion: string, kind: string): boolean {
  return ENCODABLE[`${apiVersion}/${kind}`] !== undefined;
}

/**
 * The message bytes of an object, computed once per object: objects served from the watch cache
 * are shared by every get, list and watcher (and never mutated).
 */
function messageBytes(obj: JsonObject, message: string): Buffer {
  return memoized(obj, `pb:${message}`, () => encodeProtobufMessage(obj, message));
}

/** List message -> item message (PodList -> Pod). */
const LIST_ITEMS = new Map(Object.values(ENCODABLE).map((e) => [e.list, e.message]));

/** Encodes a JSON object (with apiVersion and kind) to the enveloped protobuf form. */
export function encodeProtobufObject(obj: JsonObject): Buffer {
  const apiVersion = obj.apiVersion as string;
  const kind = obj.kind as string;
  const message = protobufMessageFor(apiVersion, kind);
  if (!message) throw new Error(`no protobuf layout for ${apiVersion}/${kind}`);
  const item = LIST_ITEMS.get(message);
  if (item !== undefined && Array.isArray(obj.items)) {
    // A list: its metadata, then each item's (shared, cached) message bytes.
    const items = (obj.items as JsonObject[]).map((i) => messageBytes(i, item));
    const size = items.reduce((n, b) => n + b.length + 6, 256);
    return envelope(
      apiVersion,
      kind,
      (w) => {
        const meta = obj.metadata;
        if (meta && typeof meta === 'object') {
          w.message(1, () => writeMessage(w, meta as JsonObject, 'ListMeta'));
        }
        for (const b of items) w.bytes(2, b);
      },
      size,
    );
  }
  const raw =
    message === 'Status' ? encodeProtobufMessage(obj, message) : messageBytes(obj, message);
  return envelope(apiVersion, kind, (w) => w.raw(raw), raw.length + 64);
}

/**
 * One scratch buffer for encoding messages (encoding never nests: the result is copied out at
 * once), so an object costs one exact-size allocation instead of a grown buffer and a copy.
 */
const scratch = new Writer(64 * 1024);

/** Encodes the bytes of one message (no envelope). */
export function encodeProtobufMessage(obj: JsonObject, message: string): Buffer {
  scratch.pos = 0;
  writeMessage(scratch, obj, message);
  const out = Buffer.allocUnsafe(scratch.pos);
  scratch.buf.copy(out, 0, 0, scratch.pos);
  if (scratch.buf.length > 1024 * 1024) scratch.buf = Buffer.allocUnsafe(64 * 1024);
  return out;
}

/**
 * One event of a protobuf watch stream: a 4-byte big-endian length, then `k8s\0` Unknown wrapping
 * `metav1.WatchEvent{type, object: RawExtension{raw}}` whose raw is the enveloped object itself
 * (client-go decodes the event, then the embedded object, as upstream sends them).
 */
export function encodeWatchEventFrame(type: string, apiVersion: string, object: Buffer): Buffer {
  return envelope(
    apiVersion,
    'WatchEvent',
    (w) => {
      w.string(1, type);
      w.message(2, () => w.bytes(1, object));
    },
    object.length + 96,
    true,
  );
}

/**
 * The watch frame of a storage event. ADDED/MODIFIED/DELETED frames of a shared object are
 * encoded once for every watcher (memoized on the object); BOOKMARK and ERROR carry small
 * objects of their own. An object of a kind without tables cannot reach a protobuf watch
 * (negotiation chose JSON); a Status (ERROR) always has one.
 */
/** Memo keys of the shared frames, by event type (no string built per watcher per event). */
const FRAME_KEYS: Record<string, string> = {
  ADDED: 'pb:frame:ADDED',
  MODIFIED: 'pb:frame:MODIFIED',
  DELETED: 'pb:frame:DELETED',
};

export function protobufWatchFrame(type: string, object: object): Buffer {
  const obj = object as JsonObject;
  const build = (): Buffer => {
    try {
      return encodeWatchEventFrame(type, obj.apiVersion as string, encodeProtobufObject(obj));
    } catch (err) {
      // An object the tables cannot write (a value of the wrong type) must not vanish from the
      // stream: the watch gets an ERROR instead, and the client lists and watches again.
      return encodeWatchEventFrame('ERROR', 'v1', encodeProtobufObject(encodingFailure(err)));
    }
  };
  const key = FRAME_KEYS[type];
  return key === undefined ? build() : memoized(obj, key, build);
}

/** The Status of an object that could not be encoded (upstream: an internal error). */
export function encodingFailure(err: unknown): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: `unable to encode the object as protobuf: ${(err as Error).message}`,
    reason: 'InternalError',
    code: 500,
  };
}
