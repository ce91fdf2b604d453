/**
 * Watch streams whose client stops reading: the member holds each watcher's events and, once
 * the client reads again, sends them merged (whole revisions, in order, each event once), over
 * real gRPC (grpc-js, which stops reading an HTTP/2 stream when its consumer is paused, so the
 * stream's flow-control window fills and the member's stream backs up). Also a cancel and a
 * progress request made while the stream is backed up.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGrpcObject } from '../src/gen/etcd/load.js';
import type { KVClient } from '../src/gen/etcd/types/etcdserverpb/KV.js';
import type { WatchRequest } from '../src/gen/etcd/types/etcdserverpb/WatchRequest.js';
import type { WatchResponse__Output } from '../src/gen/etcd/types/etcdserverpb/WatchResponse.js';
import { startCluster, type TestCluster } from './support/cluster.js';

const proto = loadGrpcObject().etcdserverpb;
const insecure = grpc.credentials.createInsecure();

type WatchCall = grpc.ClientDuplexStream<WatchRequest, WatchResponse__Output>;

function put(kv: KVClient, key: string, value: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    kv.Put({ key: Buffer.from(key), value }, (err) => (err ? reject(err) : resolve())),
  );
}

/** Waits (bounded) until `done()` holds. */
async function until(done: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('watch streams backed up by a client that stops reading', () => {
  let cluster: TestCluster | undefined;
  let kv: KVClient | undefined;
  let watchClient: InstanceType<typeof proto.Watch> | undefined;

  beforeAll(async () => {
    cluster = await startCluster(1);
    await cluster.waitForLeader();
    const endpoint = `127.0.0.1:${cluster.members[0]!.clientPort}`;
    kv = new proto.KV(endpoint, insecure);
    watchClient = new proto.Watch(endpoint, insecure);
  }, 60_000);

  afterAll(async () => {
    kv?.close();
    watchClient?.close();
    await cluster?.destroy();
  });

  it('delivers every event once, in order, in merged messages, with cancel and progress during the backlog', async () => {
    const WATCHERS = 20;
    const PUTS = 150;
    const value = Buffer.alloc(2000, 'v');
    const call: WatchCall = watchClient!.Watch();
    const responses: WatchResponse__Output[] = [];
    call.on('data', (r: WatchResponse__Output) => responses.push(r));
    call.on('error', () => undefined);
    const created = (): WatchResponse__Output[] => responses.filter((r) => r.created);
    // Watch IDs assigned by the member in order: 0 .. WATCHERS-1 (one create at a time).
    for (let i = 0; i < WATCHERS; i++) {
      call.write({
        create_request: {
          key: Buffer.from('bl/'),
          range_end: Buffer.from('bl0'),
        },
      });
      await until(() => created().length === i + 1, 'created');
    }
    // The revision before the first put: the created responses' header revision.
    const firstRev = Number(created()[0]!.header!.revision) + 1;

    // The client stops reading: 20 watchers x 150 puts x 2 KB is far beyond the stream's
    // window and the member's queue.
    call.pause();
    const puts = async (from: number, to: number): Promise<void> => {
      // Ten at a time: several revisions per member turn, as under load.
      for (let i = from; i < to; i += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, to - i) }, (_, j) => put(kv!, `bl/${i + j}`, value)),
        );
      }
    };
    await puts(0, PUTS / 2);
    // Cancel watcher 3 and ask for progress while the stream is backed up; then more puts.
    call.write({ cancel_request: { watch_id: 3 } });
    call.write({ progress_request: {} });
    await new Promise((r) => setTimeout(r, 200));
    await puts(PUTS / 2, PUTS);
    // Nothing but the created responses reached the paused consumer.
    expect(responses.filter((r) => !r.created)).toEqual([]);
    call.resume();

    const eventsOf = (id: number): Array<{ key: string; rev: number }> =>
      responses
        .filter((r) => Number(r.watch_id) === id)
        .flatMap((r) =>
          r.events.map((e) => ({ key: e.kv!.key.toString(), rev: Number(e.kv!.mod_revision) })),
        );
    const all = (id: number): boolean => eventsOf(id).length === PUTS;
    await until(
      () => [...Array(WATCHERS).keys()].filter((id) => id !== 3).every(all),
      'every event to every watcher',
    );
    await until(() => responses.some((r) => Number(r.watch_id) === -1), 'progress response');

    const expected = Array.from({ length: PUTS }, (_, i) => i + firstRev);
    for (let id = 0; id < WATCHERS; id++) {
      if (id === 3) continue;
      const evs = eventsOf(id);
      // Every event once and in revision order (each put is its own revision).
      expect(evs.map((e) => e.rev)).toEqual(expected);
      const msgs = responses.filter((r) => Number(r.watch_id) === id && r.events.length > 0);
      // Merged: far fewer messages than events.
      expect(msgs.length).toBeLessThan(PUTS / 2);
      for (const m of msgs) {
        expect(Number(m.header!.revision)).toBeGreaterThanOrEqual(
          Number(m.events.at(-1)!.kv!.mod_revision),
        );
      }
    }
    // The canceled watcher: a gapless prefix of the events, then its canceled response, then
    // nothing.
    const canceledAt = responses.findIndex((r) => Number(r.watch_id) === 3 && r.canceled);
    expect(canceledAt).toBeGreaterThan(0);
    const before = eventsOf(3);
    expect(before.map((e) => e.rev)).toEqual(expected.slice(0, before.length));
    expect(responses.slice(canceledAt + 1).filter((r) => Number(r.watch_id) === 3)).toEqual([]);
    // The progress response promises every event up to its revision was sent before it.
    const progressAt = responses.findIndex((r) => Number(r.watch_id) === -1);
    const progressRev = Number(responses[progressAt]!.header!.revision);
    expect(progressRev).toBeGreaterThanOrEqual(firstRev + PUTS / 2 - 1);
    for (let id = 0; id < WATCHERS; id++) {
      if (id === 3) continue;
      const sentBefore = responses
        .slice(0, progressAt)
        .filter((r) => Number(r.watch_id) === id)
        .flatMap((r) => r.events.map((e) => Number(e.kv!.mod_revision)));
      expect(sentBefore).toEqual(expected.filter((r) => r <= progressRev));
    }
    call.end();
  }, 90_000);
});
