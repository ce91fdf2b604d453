/**
 * The REST watch stream on a real in-process HTTP server (127.0.0.1): batches shared by many
 * watchers leave as one pre-framed chunk per watcher, in order with single events, and a client
 * that stops reading is ended without holding the others back.
 */
import { writeSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ApiObject } from '../storage/codec.js';
import type { StorageEvent, WatchSink } from '../storage/watcher.js';
import type { OffloadWritev } from './offload-writer.js';
import { WriteThreads } from './write-threads.js';
import { serveWatch } from './watch-stream.js';

interface Served {
  sink: WatchSink;
  pending: () => number;
  finished: boolean;
  sizes: (readonly number[])[];
}

let server: Server | undefined;
const threads = new WriteThreads(2);
afterAll(() => threads.close());
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A server whose every request is a watch; `served` fills as requests arrive. */
async function watchServer(
  maxBufferedBytes?: number,
  offloadWritev?: OffloadWritev,
): Promise<{ url: string; served: Served[] }> {
  const served: Served[] = [];
  server = createServer((_req, res) => {
    const s: Served = {
      sink: undefined as unknown as WatchSink,
      pending: () => 0,
      finished: false,
      sizes: [],
    };
    serveWatch({
      res,
      form: { kind: 'object' },
      includeObject: 'None',
      timeoutMs: 60_000,
      now: Date.now,
      start: (sink) => {
        s.sink = sink;
        s.pending = () => sink.pending?.() ?? 0;
        return { stop: () => undefined };
      },
      onEventsSent: (sizes) => s.sizes.push(sizes),
      onFinished: () => (s.finished = true),
      ...(maxBufferedBytes !== undefined ? { maxBufferedBytes } : {}),
      ...(offloadWritev ? { offloadWritev } : {}),
    });
    served.push(s);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served };
}

interface Client {
  lines: { type: string; object: ApiObject }[];
  res: Promise<IncomingMessage>;
  ended: boolean;
  /** Resets the connection (RST), as a client that goes away abruptly. */
  reset: () => void;
}

function watchClient(url: string): Client {
  const c: Client = { lines: [], res: undefined as never, ended: false, reset: () => undefined };
  let buf = '';
  c.res = new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          c.lines.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
      });
      res.on('end', () => (c.ended = true));
      res.on('error', () => undefined);
      resolve(res);
    });
    req.on('error', reject);
    req.on('socket', (sock) => (c.reset = () => sock.resetAndDestroy()));
    req.end();
  });
  return c;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ev = (name: string, rv: number, pad = 0): StorageEvent => ({
  type: 'MODIFIED',
  object: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, resourceVersion: String(rv), annotations: { pad: 'x'.repeat(pad) } },
  },
});
const names = (c: Client): string[] =>
  c.lines.map((l) => `${l.type} ${l.object.metadata?.name ?? ''}`);

describe.each([
  { writes: 'on the event loop', writev: undefined },
  { writes: 'by write threads', writev: threads.writev },
])('serveWatch, writes $writes', ({ writev }) => {
  it('writes a shared batch to every watcher, after their single events, in order', async () => {
    const { url, served } = await watchServer(undefined, writev);
    const clients = Array.from({ length: 5 }, () => watchClient(url));
    await Promise.all(clients.map((c) => c.res));
    const bookmark: StorageEvent = {
      type: 'BOOKMARK',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: '1' } },
    };
    const first = [ev('a', 2), ev('b', 3)];
    const second = [ev('c', 4)];
    for (const s of served) {
      s.sink.onEvent(bookmark);
      s.sink.onEvents!(first);
    }
    for (const s of served) s.sink.onEvents!(second);
    await until(() => clients.every((c) => c.lines.length === 4), 'four lines each');
    for (const c of clients) {
      expect(names(c)).toEqual(['BOOKMARK ', 'MODIFIED a', 'MODIFIED b', 'MODIFIED c']);
    }
    // Metrics per write; a batch's sizes are one shared array.
    for (const s of served) expect(s.sizes.flat()).toHaveLength(4);
    expect(served[1]!.sizes.at(-1)).toBe(served[0]!.sizes.at(-1));
  });

  it('ends a watcher whose client stops reading; the others get everything', async () => {
    const { url, served } = await watchServer(256 * 1024, writev);
    const slow = watchClient(url);
    const fast = Array.from({ length: 3 }, () => watchClient(url));
    (await slow.res).pause();
    await Promise.all(fast.map((c) => c.res));
    // 1,000 events of ~20 KB: far more than the socket buffers and the 256 KiB limit hold.
    for (let i = 0; i < 100; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => ev(`p${i * 10 + j}`, i * 10 + j, 20_000));
      for (const s of served) s.sink.onEvents!(batch);
      // Paced as the cache's dispatch is: a 200 KB batch in flight or queued on the thread pool
      // counts against the limit too, so the fast ones get a turn to take theirs.
      await until(() => served.slice(1).every((s) => s.pending() < 128 * 1024), 'fast ones');
    }
    await until(() => fast.every((c) => c.lines.length === 1000), 'all events at the fast ones');
    expect(served[0]!.finished).toBe(true);
    for (const s of served.slice(1)) expect(s.finished).toBe(false);
    for (const c of fast) {
      expect(c.lines.map((l) => l.object.metadata?.name)).toEqual(
        Array.from({ length: 1000 }, (_, i) => `p${i}`),
      );
    }
  });
});

/**
 * A write thread stand-in whose answers wait until released (writes in flight for as long as a
 * test wants); it writes everything (the test's readers keep up).
 */
function heldWritev(): { fn: OffloadWritev; calls: () => number; release: () => void } {
  const held: (() => void)[] = [];
  let calls = 0;
  return {
    fn: (fd, bufs, _reset, cb) => {
      calls++;
      held.push(() => cb(null, writeSync(fd, Buffer.concat(bufs))));
    },
    calls: () => calls,
    release: () => {
      for (const f of held.splice(0)) f();
    },
  };
}

describe('serveWatch writing off the event loop', () => {
  it('keeps single events and batches in order while a write is in flight, and ends after it', async () => {
    const held = heldWritev();
    const { url, served } = await watchServer(undefined, held.fn);
    const c = watchClient(url);
    await c.res;
    const s = served[0]!;
    s.sink.onEvents!([ev('a', 2), ev('b', 3)]);
    expect(held.calls()).toBe(1);
    s.sink.onEvent({
      type: 'BOOKMARK',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: '3' } },
    });
    await new Promise((r) => setTimeout(r, 30)); // the single event's flush: queued behind
    s.sink.onEvents!([ev('c', 4)]);
    s.sink.onClose(); // ends the watch: the end waits for the writes
    expect(s.pending()).toBeGreaterThan(0);
    expect(c.ended).toBe(false);
    for (let i = 0; i < 10 && !c.ended; i++) {
      held.release();
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => c.ended, 'the end of the stream');
    expect(names(c)).toEqual(['MODIFIED a', 'MODIFIED b', 'BOOKMARK ', 'MODIFIED c']);
    // The batch and the bookmark in flight together, the last batch after.
    expect(held.calls()).toBe(3);
  });

  it('counts bytes in flight and queued against the slow-watcher limit', async () => {
    const held = heldWritev();
    const { url, served } = await watchServer(64 * 1024, held.fn);
    const c = watchClient(url);
    await c.res;
    const s = served[0]!;
    s.sink.onEvents!([ev('a', 2, 40_000)]); // in flight
    expect(s.finished).toBe(false);
    expect(s.pending()).toBeGreaterThan(40_000);
    s.sink.onEvents!([ev('b', 3, 40_000)]); // queued: over 64 KiB
    expect(s.finished).toBe(true);
    held.release();
    await new Promise((r) => setTimeout(r, 20));
    held.release();
    await until(() => c.ended, 'the end of the stream');
    expect(names(c)).toEqual(['MODIFIED a', 'MODIFIED b']);
  });

  it('serves the others completely while clients reset mid-fan-out', async () => {
    const { url, served } = await watchServer(undefined, threads.writev);
    const clients = Array.from({ length: 30 }, () => watchClient(url));
    await Promise.all(clients.map((c) => c.res));
    await until(() => served.length === 30, 'all watches served');
    for (let i = 0; i < 100; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => ev(`p${i * 10 + j}`, i * 10 + j, 2_000));
      for (const s of served) s.sink.onEvents!(batch);
      // Every third client resets mid-way, while writes to it may be in flight.
      if (i === 40) clients.forEach((c, k) => k % 3 === 0 && c.reset());
      await new Promise((r) => setImmediate(r));
    }
    const kept = clients.filter((_, k) => k % 3 !== 0);
    await until(() => kept.every((c) => c.lines.length === 1000), 'all events at the others');
    for (const c of kept) {
      expect(c.lines.map((l) => l.object.metadata?.name)).toEqual(
        Array.from({ length: 1000 }, (_, i) => `p${i}`),
      );
    }
    await until(
      () => served.every((s, k) => s.finished === (k % 3 === 0)),
      'the reset watches finished, only they',
    );
  });
});
