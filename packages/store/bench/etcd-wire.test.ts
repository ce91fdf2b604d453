// The lean load generator's hand-written protobuf against the generated protobufjs codecs: a
// wrong encoder would make the benchmark measure errors, a wrong decoder would miss events.
import { describe, expect, it } from 'vitest';
import { messageCodec } from '../src/apply/codec.js';
import {
  prefixRangeEnd,
  putRequestFrame,
  putResponseRevision,
  rangeRequestFrame,
  rangeResponseSummary,
  readWatchResponse,
  watchCreateFrame,
} from './etcd-wire.js';

type Obj = Record<string, unknown>;
const codec = (name: string) => messageCodec<Obj, Obj>(`etcdserverpb.${name}`);

/** The message inside a whole gRPC frame, after checking its prefix. */
function unframe(frame: Buffer): Buffer {
  expect(frame[0]).toBe(0);
  expect(frame.readUInt32BE(1)).toBe(frame.length - 5);
  return frame.subarray(5);
}

const header = { cluster_id: 9, member_id: 3, revision: 300_000_000_007, raft_term: 2 };
const kv = (key: string, value: string) => ({
  key: Buffer.from(key),
  create_revision: 5,
  mod_revision: 7,
  version: 2,
  value: Buffer.from(value),
  lease: 0,
});

describe('etcd-wire encoders', () => {
  it('PutRequest: key and value, long enough for two-byte lengths', () => {
    const value = Buffer.alloc(256, 'x');
    const r = codec('PutRequest').decode(unframe(putRequestFrame(Buffer.from('bench/7'), value)));
    expect(Buffer.from(r.key as Uint8Array).toString()).toBe('bench/7');
    expect(Buffer.from(r.value as Uint8Array)).toEqual(value);
    expect(r.lease).toBe('0');
  });

  it('RangeRequest: one key, linearizable or serializable', () => {
    for (const serializable of [false, true]) {
      const r = codec('RangeRequest').decode(
        unframe(rangeRequestFrame(Buffer.from('bench/1'), serializable)),
      );
      expect(Buffer.from(r.key as Uint8Array).toString()).toBe('bench/1');
      expect(Buffer.from(r.range_end as Uint8Array).length).toBe(0);
      expect(r.serializable).toBe(serializable);
    }
  });

  it('WatchRequest: a create request of the prefix range, from now', () => {
    const prefix = Buffer.from('fan/0/');
    const r = codec('WatchRequest').decode(
      unframe(watchCreateFrame(prefix, prefixRangeEnd(prefix))),
    );
    const c = r.create_request as Obj;
    expect(Buffer.from(c.key as Uint8Array).toString()).toBe('fan/0/');
    expect(Buffer.from(c.range_end as Uint8Array).toString()).toBe('fan/00');
    expect(c.start_revision).toBe('0');
    expect(prefixRangeEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
  });
});

describe('etcd-wire decoders', () => {
  it('PutResponse: the header revision', () => {
    const bytes = Buffer.from(codec('PutResponse').encode({ header, prev_kv: kv('a', 'b') }));
    expect(putResponseRevision(bytes)).toBe(300_000_000_007);
    expect(putResponseRevision(Buffer.alloc(0))).toBe(0);
  });

  it('RangeResponse: revision, key-values and the first value length', () => {
    const c = codec('RangeResponse');
    const enc = (m: Obj) => c.encode(m);
    expect(
      rangeResponseSummary(
        Buffer.from(enc({ header, kvs: [kv('a', 'xyz'), kv('b', 'q')], count: 2 })),
      ),
    ).toEqual({ revision: 300_000_000_007, kvs: 2, valueBytes: 3 });
    expect(rangeResponseSummary(Buffer.from(enc({ header, count: 0 })))).toEqual({
      revision: 300_000_000_007,
      kvs: 0,
      valueBytes: 0,
    });
  });

  it('WatchResponse: watch id, created, canceled and every event key', () => {
    const c = codec('WatchResponse');
    const enc = (m: Obj) => c.encode(m);
    const keys: string[] = [];
    const onKey = (buf: Buffer, start: number, end: number) =>
      keys.push(buf.toString('latin1', start, end));
    const events = Buffer.from(
      enc({
        header,
        watch_id: 130,
        events: [
          { type: 'PUT', kv: kv('fan/0/12', 'v'), prev_kv: kv('fan/0/11', 'w') },
          { type: 'PUT', kv: kv('fan/0/13', 'v') },
        ],
      }),
    );
    expect(readWatchResponse(events, onKey)).toEqual({
      watchId: 130,
      created: false,
      canceled: false,
      events: 2,
    });
    // prev_kv's key is not an event key.
    expect(keys).toEqual(['fan/0/12', 'fan/0/13']);
    const created = Buffer.from(enc({ header, watch_id: 0, created: true }));
    expect(readWatchResponse(created, onKey)).toMatchObject({ watchId: 0, created: true });
    const canceled = Buffer.from(enc({ header, watch_id: 4, canceled: true, cancel_reason: 'x' }));
    expect(readWatchResponse(canceled, onKey)).toMatchObject({ watchId: 4, canceled: true });
    expect(keys).toHaveLength(2);
  });

  it('fails on a message cut short instead of reading past it', () => {
    const bytes = Buffer.from(codec('PutResponse').encode({ header }));
    expect(() => putResponseRevision(bytes.subarray(0, bytes.length - 1))).toThrow(/past the end/);
  });
});
