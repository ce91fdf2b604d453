/**
 * The REST watch stream on a real in-process HTTP server (127.0.0.1): batches shared by many
 * watchers leave as one pre-framed chunk per watcher, in order with single events, and a client
 * that stops reading is ended without holding the others back.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiObject } from '../storage/codec.js';
import type { StorageEvent, WatchSink } from '../storage/watcher.js';
import { serveWatch } from './watch-stream.js';

interface Served {
  sink: WatchSink;
  finished: boolean;
  sizes: (readonly number[])[];
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A server whose every request is a watch; `served` fills as requests arrive. */
async function watchServer(maxBufferedBytes?: number): Promise<{ url: string; served: Served[] }> {
  const served: Served[] = [];
  server = createServer((_req, res) => {
    const s: Served = { sink: undefined as unknown as WatchSink, finished: false, sizes: [] };
    serveWatch({
      res,
      form: { kind: 'object' },
      includeObject: 'None',
      timeoutMs: 60_000,
      now: Date.now,
      start: (sink) => {
        s.sink = sink;
        return { stop: () => undefined };
      },
      onEventsSent: (sizes) => s.sizes.push(sizes),
      onFinished: () => (s.finished = true),
      ...(maxBufferedBytes !== undefined ? { maxBufferedBytes } : {}),
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
}

function watchClient(url: string): Client {
  const c: Client = { lines: [], res: undefined as never, ended: false };
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

describe('serveWatch', () => {
  it('writes a shared batch to every watcher, after their single events, in order', async () => {
    const { url, served } = await watchServer();
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
    const { url, served } = await watchServer(256 * 1024);
    const slow = watchClient(url);
    const fast = Array.from({ length: 3 }, () => watchClient(url));
    (await slow.res).pause();
    await Promise.all(fast.map((c) => c.res));
    // 1,000 events of ~20 KB: far more than the socket buffers and the 256 KiB limit hold.
    for (let i = 0; i < 100; i++) {
      const batch = Array.from({ length: 10 }, (_, j) => ev(`p${i * 10 + j}`, i * 10 + j, 20_000));
      for (const s of served) s.sink.onEvents!(batch);
      await new Promise((r) => setImmediate(r));
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
