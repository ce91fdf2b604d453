import { describe, expect, it } from 'vitest';
import { messageCodec } from '../apply/codec.js';
import type {
  WatchResponse,
  WatchResponse__Output,
} from '../gen/etcd/types/etcdserverpb/WatchResponse.js';
import { keyString, type KeyValue, type MvccEvent } from '../mvcc/kv.js';
import { toProtoKv } from '../apply/kv-apply.js';
import {
  WATCH_HEAD_MAX,
  encodeWatchResponse,
  watchEventsBody,
  watchResponseHead,
} from './watch-encoding.js';

const codec = messageCodec<WatchResponse, WatchResponse__Output>('etcdserverpb.WatchResponse');

const kv = (key: string, value: string, rev: number, lease = 0n): KeyValue => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  createRevision: 2,
  modRevision: rev,
  version: rev - 1,
  lease,
});

describe('encodeWatchResponse', () => {
  const put: MvccEvent = {
    type: 'PUT',
    kv: kv('a', 'new', 5, 7n),
    prevKv: kv('a', 'old', 4),
    sub: 0,
    ks: keyString(Buffer.from('a')),
  };
  const del: MvccEvent = {
    type: 'DELETE',
    kv: kv('b', '', 6),
    prevKv: kv('b', 'gone', 3),
    sub: 0,
    ks: keyString(Buffer.from('b')),
  };
  const head = {
    header: { cluster_id: '9', member_id: 3, revision: 6, raft_term: 2 },
    watch_id: 4,
    created: false,
    canceled: false,
    compact_revision: 0,
    cancel_reason: '',
  };

  it('is the protobuf WatchResponse, with prev_kv only when asked for', () => {
    for (const prevKv of [false, true]) {
      // Twice: the second encoding comes from the per-event cache.
      for (let round = 0; round < 2; round++) {
        const r = codec.decode(encodeWatchResponse(head, [put, del], prevKv));
        expect(r.watch_id).toBe('4');
        expect(r.header?.revision).toBe('6');
        expect(r.events.map((e) => e.type)).toEqual(['PUT', 'DELETE']);
        expect(r.events[0]!.kv?.value.toString()).toBe('new');
        expect(r.events[0]!.kv?.lease).toBe('7');
        expect(r.events[1]!.kv?.key.toString()).toBe('b');
        expect(r.events.map((e) => e.prev_kv?.value.toString() ?? null)).toEqual(
          prevKv ? ['old', 'gone'] : [null, null],
        );
      }
    }
  });

  it('encodes a response without events', () => {
    const r = codec.decode(encodeWatchResponse({ ...head, created: true }, [], false));
    expect(r.created).toBe(true);
    expect(r.events).toEqual([]);
  });

  it('decodes to what the generic protobuf encoder gives, for every per-watcher field', () => {
    const big = 0xfedcba9876543210n;
    const variants = [
      head,
      { ...head, created: true },
      {
        ...head,
        canceled: true,
        cancel_reason: 'etcdserver: mvcc: required revision has been compacted',
        compact_revision: 17,
      },
      { ...head, watch_id: -1 },
      {
        ...head,
        header: {
          ...head.header,
          cluster_id: {
            low: Number(big & 0xffffffffn) | 0,
            high: Number(big >> 32n) | 0,
            unsigned: true,
          } as unknown as string,
        },
      },
      { ...head, header: { ...head.header, cluster_id: big.toString(), revision: 123456789 } },
    ];
    for (const v of variants) {
      for (const events of [[], [put], [put, del]]) {
        const fast = codec.decode(encodeWatchResponse(v, events, true));
        const generic = codec.decode(
          codec.encode({
            ...v,
            events: events.map((e) => ({
              type: e.type,
              kv: toProtoKv(e.kv),
              ...(e.prevKv ? { prev_kv: toProtoKv(e.prevKv) } : {}),
            })),
          }),
        );
        expect(fast).toStrictEqual(generic);
      }
    }
  });

  it('writes events as etcd does, zero fields left out, decoding to the generic encoding', () => {
    const ev = (type: 'PUT' | 'DELETE', k: KeyValue, prev?: KeyValue): MvccEvent => ({
      type,
      kv: k,
      prevKv: prev,
      sub: 0,
      ks: keyString(k.key),
    });
    const tomb: KeyValue = {
      key: Buffer.from('gone'),
      value: Buffer.alloc(0),
      createRevision: 0,
      modRevision: 9,
      version: 0,
      lease: 0n,
    };
    const events = [
      ev('PUT', kv('plain', 'v', 5)),
      ev('PUT', kv('leased', 'v', 6, 0x694d77aa9e38260fn), kv('leased', 'u', 5, 1n)),
      ev('PUT', kv('max', 'v', 2 ** 40, 2n ** 63n - 1n)),
      ev('PUT', kv('neg', 'v', 7, -5n)),
      ev('PUT', { ...kv('empty', '', 8), value: Buffer.alloc(0) }),
      ev('PUT', kv('big', 'x'.repeat(70_000), 300)),
      ev('DELETE', tomb, kv('gone', 'old', 4)),
    ];
    for (const prevKv of [false, true]) {
      const bytes = encodeWatchResponse(head, events, prevKv);
      const generic = codec.encode({
        ...head,
        events: events.map((e) => ({
          type: e.type,
          kv: toProtoKv(e.kv),
          ...(prevKv && e.prevKv ? { prev_kv: toProtoKv(e.prevKv) } : {}),
        })),
      });
      expect(codec.decode(bytes)).toStrictEqual(codec.decode(generic));
      // Fewer bytes: no type for PUTs, no lease 0 (protobufjs writes both).
      expect(bytes.length).toBeLessThan(generic.length);
    }
    // A PUT without a lease: Event{kv{key, create, mod, version, value}}, nothing else.
    const one = encodeWatchResponse({ header: undefined, watch_id: 1 }, [events[0]!], false);
    expect(one.toString('hex')).toBe(
      [
        '0a00',
        '5a12',
        '1210',
        '0a05' + Buffer.from('plain').toString('hex'),
        '1002',
        '1805',
        '2004',
        '2a0176',
        '1001',
      ].join(''),
    );
  });

  it('gives every watcher of one commit its own watch_id around the shared events', () => {
    // The fan-out shape: one events array, one header, many watchers, both prev_kv kinds.
    const events = [put, del];
    for (const id of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31, 2 ** 40]) {
      for (const prevKv of [true, false]) {
        const bytes = encodeWatchResponse({ ...head, watch_id: id }, events, prevKv, true);
        expect(bytes.readUInt32BE(1)).toBe(bytes.length - 5);
        const r = codec.decode(bytes.subarray(5));
        expect(r.watch_id).toBe(String(id));
        expect(r.header?.revision).toBe('6');
        expect(r.events.map((e) => e.kv?.key.toString())).toEqual(['a', 'b']);
        expect(r.events[0]!.prev_kv?.value.toString()).toBe(prevKv ? 'old' : undefined);
      }
    }
  });

  it('builds the same response from a shared body and a per-watcher head', () => {
    const events = [put, del];
    const scratch = Buffer.alloc(WATCH_HEAD_MAX);
    for (const id of [0, 5, 300, 2 ** 40]) {
      for (const prevKv of [false, true]) {
        const body = watchEventsBody(head.header, events, prevKv);
        const n = watchResponseHead(scratch, id, body.length);
        const message = Buffer.concat([scratch.subarray(0, n), body]);
        expect(message.readUInt32BE(1)).toBe(message.length - 5);
        const viaParts = codec.decode(message.subarray(5));
        const whole = codec.decode(
          encodeWatchResponse({ ...head, watch_id: id }, events, prevKv, true).subarray(5),
        );
        expect(viaParts).toStrictEqual(whole);
      }
    }
  });
});
