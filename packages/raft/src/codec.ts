/**
 * Binary encoding of messages, entries, hard state, configuration and snapshots, for the
 * peer transport and the write-ahead log.
 *
 * Layout of every top-level record:
 *
 *     kind:u8  version:u8  bodyLength:varint  body
 *
 * and the decoder requires the buffer to end exactly after the body, so truncation and
 * framing bugs are caught. Nested records (entries in a message, metadata in a snapshot)
 * are `bodyLength:varint body`. Integers are unsigned LEB128 varints limited to 2^53-1
 * (safe integers); byte strings are `length:varint bytes`; lists are `count:varint items`.
 *
 * Evolution: a decoder reads the fields it knows from a body and skips the rest, so a
 * later minor revision may append fields to any record without breaking older readers.
 * Incompatible changes bump `version`, which older decoders reject with a clear error.
 * Corruption detection (checksums) is the job of the WAL / transport framing around this.
 */
import { RaftError } from './errors.js';
import type {
  ConfChange,
  ConfChangeSingle,
  ConfState,
  Entry,
  HardState,
  Message,
  Snapshot,
  SnapshotMetadata,
} from './types.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  EMPTY_BYTES,
  EntryType,
  MESSAGE_TYPE_COUNT,
  MessageType,
  messageTypeName,
} from './types.js';

/** Malformed or unsupported input to a decoder. */
export class CodecError extends RaftError {}

/** Current format version written by the encoders. */
export const CODEC_VERSION = 1;

/** Record kind tags (first byte of every top-level record). */
export const RecordKind = {
  Message: 0x4d, // 'M'
  Entry: 0x45, // 'E'
  HardState: 0x48, // 'H'
  ConfState: 0x63, // 'c'
  ConfChange: 0x43, // 'C'
  SnapshotMetadata: 0x4e, // 'N'
  Snapshot: 0x53, // 'S'
} as const;
type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];
const kindNames: Record<number, string> = {
  0x4d: 'message',
  0x45: 'entry',
  0x48: 'hard state',
  0x63: 'conf state',
  0x43: 'conf change',
  0x4e: 'snapshot metadata',
  0x53: 'snapshot',
};

// ---------------------------------------------------------------------------------------
// Sizes

export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 4;
  v = Math.floor(v / 0x10000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 128);
  }
  return n;
}

const bytesSize = (b: Uint8Array): number => varintSize(b.length) + b.length;
const nested = (bodySize: number): number => varintSize(bodySize) + bodySize;
const listSize = (ids: readonly number[]): number => {
  let s = varintSize(ids.length);
  for (const id of ids) s += varintSize(id);
  return s;
};

function entryBodySize(e: Entry): number {
  return varintSize(e.term) + varintSize(e.index) + 1 + bytesSize(e.data);
}
function hardStateBodySize(h: HardState): number {
  return varintSize(h.term) + varintSize(h.vote) + varintSize(h.commit);
}
function confStateBodySize(c: ConfState): number {
  return (
    listSize(c.voters) +
    listSize(c.learners) +
    listSize(c.votersOutgoing) +
    listSize(c.learnersNext) +
    1
  );
}
function metadataBodySize(m: SnapshotMetadata): number {
  return varintSize(m.index) + varintSize(m.term) + nested(confStateBodySize(m.confState));
}
function snapshotBodySize(s: Snapshot): number {
  return nested(metadataBodySize(s.metadata)) + bytesSize(s.data);
}
function confChangeBodySize(cc: ConfChange): number {
  let s = 1 + varintSize(cc.changes.length);
  for (const c of cc.changes) s += 1 + varintSize(c.nodeId);
  return s + bytesSize(cc.context);
}
function messageBodySize(m: Message): number {
  let s =
    1 +
    varintSize(m.to) +
    varintSize(m.from) +
    varintSize(m.term) +
    varintSize(m.logTerm) +
    varintSize(m.index) +
    varintSize(m.commit) +
    varintSize(m.rejectHint) +
    1 +
    bytesSize(m.context) +
    varintSize(m.entries.length);
  for (const e of m.entries) s += nested(entryBodySize(e));
  if (m.snapshot !== null) s += nested(snapshotBodySize(m.snapshot));
  return s;
}

// ---------------------------------------------------------------------------------------
// Writer

class Writer {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    const buf = this.buf;
    if ((v & 0x7f) === v) {
      // Fast path; the bitwise test also rejects negatives and fractions.
      buf[this.pos++] = v;
      return;
    }
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new CodecError(`cannot encode ${v}: not a non-negative safe integer`);
    }
    while (v >= 0x80) {
      buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  list(ids: readonly number[]): void {
    this.varint(ids.length);
    for (const id of ids) this.varint(id);
  }
}

function encodeTop(kind: RecordKind, bodySize: number, body: (w: Writer) => void): Uint8Array {
  const w = new Writer(new Uint8Array(2 + varintSize(bodySize) + bodySize));
  w.u8(kind);
  w.u8(CODEC_VERSION);
  w.varint(bodySize);
  const start = w.pos;
  body(w);
  if (w.pos - start !== bodySize) {
    throw new CodecError(`internal: ${kindNames[kind]} body size mismatch`);
  }
  return w.buf;
}

function writeEntry(w: Writer, e: Entry): void {
  w.varint(entryBodySize(e));
  w.varint(e.term);
  w.varint(e.index);
  w.u8(e.type);
  w.bytes(e.data);
}

function writeConfState(w: Writer, c: ConfState): void {
  w.list(c.voters);
  w.list(c.learners);
  w.list(c.votersOutgoing);
  w.list(c.learnersNext);
  w.u8(c.autoLeave ? 1 : 0);
}

function writeMetadata(w: Writer, m: SnapshotMetadata): void {
  w.varint(m.index);
  w.varint(m.term);
  w.varint(confStateBodySize(m.confState));
  writeConfState(w, m.confState);
}

function writeSnapshot(w: Writer, s: Snapshot): void {
  w.varint(metadataBodySize(s.metadata));
  writeMetadata(w, s.metadata);
  w.bytes(s.data);
}

function writeHardState(w: Writer, h: HardState): void {
  w.varint(h.term);
  w.varint(h.vote);
  w.varint(h.commit);
}

function writeConfChange(w: Writer, cc: ConfChange): void {
  w.u8(cc.transition);
  w.varint(cc.changes.length);
  for (const c of cc.changes) {
    w.u8(c.type);
    w.varint(c.nodeId);
  }
  w.bytes(cc.context);
}

function writeMessage(w: Writer, m: Message): void {
  w.u8(m.type);
  w.varint(m.to);
  w.varint(m.from);
  w.varint(m.term);
  w.varint(m.logTerm);
  w.varint(m.index);
  w.varint(m.commit);
  w.varint(m.rejectHint);
  w.u8((m.reject ? 1 : 0) | (m.snapshot !== null ? 2 : 0));
  w.bytes(m.context);
  w.varint(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  if (m.snapshot !== null) {
    w.varint(snapshotBodySize(m.snapshot));
    writeSnapshot(w, m.snapshot);
  }
}

export function encodeMessage(m: Message): Uint8Array {
  return encodeTop(RecordKind.Message, messageBodySize(m), (w) => writeMessage(w, m));
}
export function encodeEntry(e: Entry): Uint8Array {
  return encodeTop(RecordKind.Entry, entryBodySize(e), (w) => {
    w.varint(e.term);
    w.varint(e.index);
    w.u8(e.type);
    w.bytes(e.data);
  });
}
export function encodeHardState(h: HardState): Uint8Array {
  return encodeTop(RecordKind.HardState, hardStateBodySize(h), (w) => writeHardState(w, h));
}
export function encodeConfState(c: ConfState): Uint8Array {
  return encodeTop(RecordKind.ConfState, confStateBodySize(c), (w) => writeConfState(w, c));
}
export function encodeSnapshotMetadata(m: SnapshotMetadata): Uint8Array {
  return encodeTop(RecordKind.SnapshotMetadata, metadataBodySize(m), (w) => writeMetadata(w, m));
}
export function encodeSnapshot(s: Snapshot): Uint8Array {
  return encodeTop(RecordKind.Snapshot, snapshotBodySize(s), (w) => writeSnapshot(w, s));
}
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encodeTop(RecordKind.ConfChange, confChangeBodySize(cc), (w) => writeConfChange(w, cc));
}

/** Size in bytes of `encodeMessage(m)` without encoding it. */
export function encodedMessageSize(m: Message): number {
  const body = messageBodySize(m);
  return 2 + varintSize(body) + body;
}

// ---------------------------------------------------------------------------------------
// Reader

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos: number,
    public end: number,
    public what: string,
    /** Copy byte strings out of `buf` instead of returning views into it. */
    readonly copy: boolean,
  ) {
    this.pos = pos;
  }

  fail(msg: string): never {
    throw new CodecError(`decoding ${this.what}: ${msg} at byte ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.buf[this.pos++]!;
  }

  varint(): number {
    const buf = this.buf;
    if (this.pos >= this.end) this.fail('unexpected end of data');
    let b = buf[this.pos++]!;
    if (b < 0x80) return b;
    let result = b & 0x7f;
    let mult = 0x80;
    for (let i = 1; i < 8; i++) {
      if (this.pos >= this.end) this.fail('unexpected end of data in varint');
      b = buf[this.pos++]!;
      result += (b & 0x7f) * mult;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) this.fail('integer exceeds 2^53-1');
        return result;
      }
      mult *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) this.fail(`invalid boolean ${b}`);
    return b === 1;
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (n > this.end - this.pos) this.fail(`byte string of length ${n} exceeds the record`);
    if (n === 0) return EMPTY_BYTES;
    const out = this.copy
      ? this.buf.slice(this.pos, this.pos + n)
      : this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  list(): number[] {
    const n = this.varint();
    // Each id takes at least one byte: reject absurd counts before allocating.
    if (n > this.end - this.pos) this.fail(`list of ${n} ids exceeds the record`);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.varint();
    return out;
  }

  /**
   * Reads a nested record with `read`, limited to the record's declared length; fields a
   * newer writer appended after the ones `read` knows are skipped. No allocation: the
   * reader's bounds are narrowed and restored.
   */
  nested<T>(what: string, read: (r: Reader) => T): T {
    const n = this.varint();
    if (n > this.end - this.pos) this.fail(`${what} of length ${n} exceeds the record`);
    const outerEnd = this.end;
    const outerWhat = this.what;
    const end = this.pos + n;
    this.end = end;
    this.what = what;
    const v = read(this);
    this.pos = end;
    this.end = outerEnd;
    this.what = outerWhat;
    return v;
  }
}

/** Decoder options. */
export interface DecodeOptions {
  /**
   * Copy byte strings (entry data, contexts, snapshot data) out of the input. Default
   * false: they are views into the input buffer, which saves an allocation and a copy per
   * entry but means the caller must not modify or reuse the buffer afterwards.
   */
  copy?: boolean;
}

function openTop(buf: Uint8Array, kind: RecordKind, opts: DecodeOptions | undefined): Reader {
  const what = kindNames[kind]!;
  const r = new Reader(buf, 0, buf.length, what, opts?.copy ?? false);
  const k = r.u8();
  if (k !== kind) {
    r.fail(
      `expected record kind 0x${kind.toString(16)} (${what}), got 0x${k.toString(16)} (${kindNames[k] ?? 'unknown'})`,
    );
  }
  const v = r.u8();
  if (v !== CODEC_VERSION)
    r.fail(`unsupported format version ${v} (this build reads ${CODEC_VERSION})`);
  const n = r.varint();
  if (r.pos + n !== buf.length) {
    r.fail(`body length ${n} does not match the ${buf.length - r.pos} bytes present`);
  }
  return r;
}

function readEntry(r: Reader): Entry {
  const term = r.varint();
  const index = r.varint();
  const type = r.u8();
  if (type !== EntryType.EntryNormal && type !== EntryType.EntryConfChange) {
    r.fail(`unknown entry type ${type}`);
  }
  const data = r.bytes();
  return { term, index, type, data };
}

function readConfState(r: Reader): ConfState {
  const voters = r.list();
  const learners = r.list();
  const votersOutgoing = r.list();
  const learnersNext = r.list();
  const autoLeave = r.bool();
  return { voters, learners, votersOutgoing, learnersNext, autoLeave };
}

function readMetadata(r: Reader): SnapshotMetadata {
  const index = r.varint();
  const term = r.varint();
  const confState = r.nested('conf state', readConfState);
  return { confState, index, term };
}

function readSnapshot(r: Reader): Snapshot {
  const metadata = r.nested('snapshot metadata', readMetadata);
  const data = r.bytes();
  return { data, metadata };
}

function readHardState(r: Reader): HardState {
  const term = r.varint();
  const vote = r.varint();
  const commit = r.varint();
  return { term, vote, commit };
}

const confChangeTypes = new Set<number>(Object.values(ConfChangeType));
const transitions = new Set<number>(Object.values(ConfChangeTransition));

function readConfChange(r: Reader): ConfChange {
  const transition = r.u8();
  if (!transitions.has(transition)) r.fail(`unknown conf change transition ${transition}`);
  const n = r.varint();
  if (n > r.end - r.pos) r.fail(`${n} changes exceed the record`);
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < n; i++) {
    const type = r.u8();
    if (!confChangeTypes.has(type)) r.fail(`unknown conf change type ${type}`);
    changes.push({ type: type as ConfChangeType, nodeId: r.varint() });
  }
  const context = r.bytes();
  return { transition: transition as ConfChangeTransition, changes, context };
}

function readMessage(r: Reader): Message {
  const type = r.u8();
  if (type >= MESSAGE_TYPE_COUNT) r.fail(`unknown message type ${type}`);
  const to = r.varint();
  const from = r.varint();
  const term = r.varint();
  const logTerm = r.varint();
  const index = r.varint();
  const commit = r.varint();
  const rejectHint = r.varint();
  const flags = r.u8();
  if (flags > 3) r.fail(`unknown message flags ${flags}`);
  const context = r.bytes();
  const n = r.varint();
  if (n > r.end - r.pos) r.fail(`${n} entries exceed the record`);
  const entries: Entry[] = new Array<Entry>(n);
  for (let i = 0; i < n; i++) entries[i] = r.nested('entry', readEntry);
  const snapshot = (flags & 2) !== 0 ? r.nested('snapshot', readSnapshot) : null;
  if (type === MessageType.MsgSnap && snapshot === null) {
    r.fail(`${messageTypeName(type)} without a snapshot`);
  }
  return {
    type: type as Message['type'],
    to,
    from,
    term,
    logTerm,
    index,
    entries,
    commit,
    snapshot,
    reject: (flags & 1) !== 0,
    rejectHint,
    context,
  };
}

export function decodeMessage(buf: Uint8Array, opts?: DecodeOptions): Message {
  return readMessage(openTop(buf, RecordKind.Message, opts));
}
export function decodeEntry(buf: Uint8Array, opts?: DecodeOptions): Entry {
  return readEntry(openTop(buf, RecordKind.Entry, opts));
}
export function decodeHardState(buf: Uint8Array, opts?: DecodeOptions): HardState {
  return readHardState(openTop(buf, RecordKind.HardState, opts));
}
export function decodeConfState(buf: Uint8Array, opts?: DecodeOptions): ConfState {
  return readConfState(openTop(buf, RecordKind.ConfState, opts));
}
export function decodeSnapshotMetadata(buf: Uint8Array, opts?: DecodeOptions): SnapshotMetadata {
  return readMetadata(openTop(buf, RecordKind.SnapshotMetadata, opts));
}
export function decodeSnapshot(buf: Uint8Array, opts?: DecodeOptions): Snapshot {
  return readSnapshot(openTop(buf, RecordKind.Snapshot, opts));
}

/**
 * Decodes the data of an EntryConfChange. Empty data is the empty change ("leave the
 * joint configuration"), which is what the leader proposes to auto-leave.
 */
export function decodeConfChange(buf: Uint8Array): ConfChange {
  if (buf.length === 0) {
    return { transition: ConfChangeTransition.Auto, changes: [], context: EMPTY_BYTES };
  }
  return readConfChange(openTop(buf, RecordKind.ConfChange, { copy: true }));
}
