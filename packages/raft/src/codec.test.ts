import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/helpers/cluster.js';
import {
  CODEC_VERSION,
  CodecError,
  decodeConfChange,
  decodeConfState,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  decodeSnapshotMetadata,
  encodeConfChange,
  encodeConfState,
  encodedMessageSize,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
  encodeSnapshotMetadata,
  RecordKind,
  varintSize,
} from './codec.js';
import type { ConfChange, ConfState, Entry, Message, Snapshot } from './types.js';
import {
  ConfChangeTransition,
  ConfChangeType,
  EntryType,
  makeMessage,
  MESSAGE_TYPE_COUNT,
  MessageType,
} from './types.js';

type Rnd = () => number;
const int = (r: Rnd, max: number) => Math.floor(r() * max);
/** Integers spread over every varint length, up to 2^53-1. */
function bigish(r: Rnd): number {
  const bits = int(r, 54);
  return Math.floor(r() * 2 ** bits);
}
const bytes = (r: Rnd, max: number) => Uint8Array.from({ length: int(r, max) }, () => int(r, 256));
const ids = (r: Rnd) => Array.from({ length: int(r, 5) }, () => 1 + bigish(r));

function randomEntry(r: Rnd): Entry {
  return { term: bigish(r), index: bigish(r), type: int(r, 2) as 0 | 1, data: bytes(r, 64) };
}
function randomConfState(r: Rnd): ConfState {
  return {
    voters: ids(r),
    learners: ids(r),
    votersOutgoing: ids(r),
    learnersNext: ids(r),
    autoLeave: r() < 0.5,
  };
}
function randomSnapshot(r: Rnd): Snapshot {
  return {
    data: bytes(r, 200),
    metadata: { index: bigish(r), term: bigish(r), confState: randomConfState(r) },
  };
}
function randomMessage(r: Rnd): Message {
  const type = int(r, MESSAGE_TYPE_COUNT) as Message['type'];
  return makeMessage({
    type,
    to: bigish(r),
    from: bigish(r),
    term: bigish(r),
    logTerm: bigish(r),
    index: bigish(r),
    commit: bigish(r),
    rejectHint: bigish(r),
    reject: r() < 0.5,
    context: bytes(r, 20),
    entries: Array.from({ length: int(r, 6) }, () => randomEntry(r)),
    snapshot: type === MessageType.MsgSnap || r() < 0.1 ? randomSnapshot(r) : null,
  });
}

describe('codec round trips', () => {
  it('messages of every type, with random contents', () => {
    const r = seededRandom(42);
    for (let i = 0; i < 2000; i++) {
      const m = randomMessage(r);
      const buf = encodeMessage(m);
      expect(buf.length).toBe(encodedMessageSize(m));
      expect(decodeMessage(buf)).toEqual(m);
    }
  });
  it('entries, hard state, conf state, metadata, snapshots', () => {
    const r = seededRandom(43);
    for (let i = 0; i < 500; i++) {
      const e = randomEntry(r);
      expect(decodeEntry(encodeEntry(e))).toEqual(e);
      const hs = { term: bigish(r), vote: bigish(r), commit: bigish(r) };
      expect(decodeHardState(encodeHardState(hs))).toEqual(hs);
      const cs = randomConfState(r);
      expect(decodeConfState(encodeConfState(cs))).toEqual(cs);
      const s = randomSnapshot(r);
      expect(decodeSnapshot(encodeSnapshot(s))).toEqual(s);
      expect(decodeSnapshotMetadata(encodeSnapshotMetadata(s.metadata))).toEqual(s.metadata);
    }
  });
  it('conf changes, and empty data as "leave joint"', () => {
    const cc: ConfChange = {
      transition: ConfChangeTransition.JointExplicit,
      changes: [
        { type: ConfChangeType.AddNode, nodeId: 4 },
        { type: ConfChangeType.RemoveNode, nodeId: 1 },
        { type: ConfChangeType.AddLearnerNode, nodeId: 2 ** 40 },
      ],
      context: new Uint8Array([1, 2, 3]),
    };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(decodeConfChange(new Uint8Array(0))).toEqual({
      transition: 0,
      changes: [],
      context: new Uint8Array(0),
    });
  });
  it('the largest safe integer survives', () => {
    const hs = { term: Number.MAX_SAFE_INTEGER, vote: 2 ** 32, commit: 2 ** 31 - 1 };
    expect(decodeHardState(encodeHardState(hs))).toEqual(hs);
  });
  it('is compact: a heartbeat fits in a few bytes', () => {
    const m = makeMessage({ type: MessageType.MsgHeartbeat, to: 2, from: 1, term: 5, commit: 100 });
    expect(encodeMessage(m).length).toBeLessThanOrEqual(16);
  });
  it('varintSize matches the encoding', () => {
    for (const v of [
      0,
      127,
      128,
      16383,
      16384,
      2 ** 21 - 1,
      2 ** 21,
      2 ** 28,
      2 ** 35,
      Number.MAX_SAFE_INTEGER,
    ]) {
      const buf = encodeHardState({ term: v, vote: 0, commit: 0 });
      expect(buf.length).toBe(3 + varintSize(v) + 2);
    }
  });
});

describe('codec rejects bad input with specific errors', () => {
  const good = encodeMessage(
    makeMessage({
      type: MessageType.MsgApp,
      to: 2,
      from: 1,
      term: 3,
      entries: [{ term: 3, index: 1, type: EntryType.EntryNormal, data: new Uint8Array([9]) }],
    }),
  );
  it('every truncation fails', () => {
    for (let n = 0; n < good.length; n++) {
      expect(() => decodeMessage(good.subarray(0, n))).toThrow(CodecError);
    }
  });
  it('trailing garbage fails', () => {
    const buf = new Uint8Array(good.length + 1);
    buf.set(good);
    expect(() => decodeMessage(buf)).toThrow(/body length/);
  });
  it('wrong kind and version are named', () => {
    expect(() => decodeEntry(good)).toThrow(
      /expected record kind .* \(entry\), got .* \(message\)/,
    );
    const v2 = good.slice();
    v2[1] = CODEC_VERSION + 1;
    expect(() => decodeMessage(v2)).toThrow(/unsupported format version 2/);
  });
  it('unknown message and entry types fail', () => {
    const bad = good.slice();
    bad[3] = 200; // message type byte follows kind, version, 1-byte length
    expect(() => decodeMessage(bad)).toThrow(/unknown message type 200/);
    const e = encodeEntry({
      term: 1,
      index: 1,
      type: EntryType.EntryNormal,
      data: new Uint8Array(0),
    });
    e[5] = 7;
    expect(() => decodeEntry(e)).toThrow(/unknown entry type 7/);
  });
  it('integers beyond 2^53-1 fail', () => {
    const buf = Uint8Array.from([
      RecordKind.HardState,
      CODEC_VERSION,
      10,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x7f,
      0,
      0,
    ]);
    expect(() => decodeHardState(buf)).toThrow(/exceeds 2\^53-1/);
    const long = Uint8Array.from([
      RecordKind.HardState,
      CODEC_VERSION,
      11,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0x01,
      0,
      0,
    ]);
    expect(() => decodeHardState(long)).toThrow(/longer than 8 bytes/);
  });
  it('a byte string longer than the record fails', () => {
    const e = encodeEntry({
      term: 1,
      index: 1,
      type: EntryType.EntryNormal,
      data: new Uint8Array([1, 2]),
    });
    e[6] = 50;
    expect(() => decodeEntry(e)).toThrow(/exceeds the record/);
  });
  it('MsgSnap without a snapshot fails', () => {
    const buf = encodeMessage(makeMessage({ type: MessageType.MsgHeartbeat, to: 1, from: 2 }));
    buf[3] = MessageType.MsgSnap;
    expect(() => decodeMessage(buf)).toThrow(/MsgSnap without a snapshot/);
  });
  it('refuses to encode non-integers', () => {
    expect(() => encodeHardState({ term: 1.5e300, vote: 0, commit: 0 })).toThrow(CodecError);
    expect(() => encodeHardState({ term: -1, vote: 0, commit: 0 })).toThrow(CodecError);
  });
});

describe('codec byte ownership', () => {
  it('returns views into the input by default, copies on request', () => {
    const buf = encodeEntry({
      term: 1,
      index: 1,
      type: EntryType.EntryNormal,
      data: new Uint8Array([1, 2, 3]),
    });
    const view = decodeEntry(buf);
    const copy = decodeEntry(buf, { copy: true });
    buf[buf.length - 1] = 99;
    expect([...view.data]).toEqual([1, 2, 99]);
    expect([...copy.data]).toEqual([1, 2, 3]);
  });
});

describe('codec forward compatibility', () => {
  it('skips unknown trailing fields of nested records', () => {
    // A message with one entry whose nested body carries two extra bytes (a field a
    // newer writer added).
    const m = makeMessage({
      type: MessageType.MsgApp,
      to: 2,
      from: 1,
      entries: [{ term: 1, index: 1, type: EntryType.EntryNormal, data: new Uint8Array([5]) }],
    });
    const buf = encodeMessage(m);
    const entryBodyAt = buf.length - 6; // len(1) term(1) index(1) type(1) datalen(1) data(1)
    expect(buf[entryBodyAt]).toBe(5);
    const extended = new Uint8Array(buf.length + 2);
    extended.set(buf.subarray(0, entryBodyAt));
    extended[entryBodyAt] = 7;
    extended.set(buf.subarray(entryBodyAt + 1), entryBodyAt + 1);
    extended[buf.length] = 0xaa;
    extended[buf.length + 1] = 0xbb;
    extended[2] = buf[2]! + 2; // top-level body length
    expect(decodeMessage(extended)).toEqual(m);
  });
});
