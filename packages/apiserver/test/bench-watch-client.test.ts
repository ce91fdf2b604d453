/**
 * The benchmark's native watch load generator (bench/watch-client.c) against a tiny local HTTP
 * server serving chunked watch streams whose `bench/sent-at` markers are cut across writes and
 * chunks: every event is counted once, a watch ending early is an error, and the report has the
 * shape the driver merges.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileNativeWatchClient,
  startNativeWatchClient,
  type WatchClient,
} from '../bench/watch-clients.js';
import { encodeProtobufObject, encodeWatchEventFrame } from '../src/http/protobuf.js';

const hasCc = !spawnSync('cc', ['--version']).error;
if (!hasCc) console.warn('bench-watch-client.test: no C compiler (cc): skipping');

const SOURCE = new URL('../bench/watch-client.c', import.meta.url).pathname;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One watch event line carrying the marker (with other slashes and quotes around it). */
function event(sentAt: string, i: number): string {
  return (
    JSON.stringify({
      type: 'MODIFIED',
      object: {
        kind: 'Pod',
        metadata: {
          name: `bench-${i}`,
          selfLink: '/api/v1/pods/x',
          annotations: { 'a/b': '"q"', 'bench/sent-at': sentAt, 'z/sent-at': '1' },
          managedFields: [
            { fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:bench/sent-at': {} } } } },
          ],
        },
        spec: { containers: [{ image: 'registry.k8s.io/pause:3.9' }] },
      },
    }) + '\n'
  );
}

const EVENTS = 20;
// One clock reading for all: read per element, a millisecond tick between two of them would
// give two events the same sent-at (one update to the client), and the report one pair fewer.
const startedAt = Date.now();
const sentAts = Array.from({ length: EVENTS }, (_, i) => (startedAt - 5 - i).toFixed(3));
const stream = sentAts.map((s, i) => event(s, i)).join('');
const bookmark = '{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"9"}}}\n';

/**
 * Writes `data` as HTTP chunks of varying sizes (1..97 bytes, so markers and their values are cut
 * in every place), each chunk in one or two socket writes with pauses, so reads split too.
 */
async function writeChunked(sock: Socket, data: string | Buffer, seed: number): Promise<void> {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  let pos = 0;
  let n = seed;
  while (pos < bytes.length) {
    n = (n * 1103515245 + 12345) % 2147483648;
    const size = Math.min(bytes.length - pos, 1 + (n % 97));
    const framed = Buffer.concat([
      Buffer.from(`${size.toString(16)}\r\n`),
      bytes.subarray(pos, pos + size),
      Buffer.from('\r\n'),
    ]);
    const cut = n % framed.length;
    sock.write(framed.subarray(0, cut));
    if (n % 3 === 0) await sleep(1);
    sock.write(framed.subarray(cut));
    if (n % 5 === 0) await sleep(1);
    pos += size;
  }
}

/** The same events as Kubernetes protobuf watch frames, encoded by the server's encoder. */
const pbStream = Buffer.concat([
  encodeWatchEventFrame(
    'BOOKMARK',
    'v1',
    encodeProtobufObject({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: '9' } }),
  ),
  ...sentAts.map((sentAt, i) =>
    encodeWatchEventFrame(
      'MODIFIED',
      'v1',
      encodeProtobufObject({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `bench-${i}`,
          annotations: { 'a/b': '"q"', 'bench/sent-at': sentAt, 'z/sent-at': '1' },
          managedFields: [
            { fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:bench/sent-at': {} } } } },
          ],
        },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] },
      }),
    ),
  ),
]);

describe.skipIf(!hasCc)('native bench watch client', () => {
  let dir: string;
  let binary: string;
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  let accepted = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-watch-client-'));
    const built = compileNativeWatchClient(SOURCE, join(dir, 'watch-client'));
    if (!('binary' in built)) throw new Error(built.reason);
    binary = built.binary;
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts every event once across chunk and read boundaries and reports in the driver shape', async () => {
    // The headers arrive in two parts: the client waits for the blank line.
    const headerTail = 'Encoding: chunked\r\n\r\n';
    server.on('connection', (sock) => {
      sockets.push(sock);
      const which = accepted++;
      sock.on('error', () => undefined);
      sock.once('data', (req) => {
        if (!req.toString().startsWith('GET /watch?x=1 HTTP/1.1\r\n')) {
          sock.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
          return;
        }
        void (async () => {
          sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-');
          await sleep(2);
          sock.write(headerTail);
          await writeChunked(sock, bookmark + stream, which + 7);
          // The third watch ends early (the last chunk): an error, as a dropped watch is.
          if (which === 2) sock.end('0\r\n\r\n');
        })();
      });
    });
    let client: WatchClient | undefined;
    try {
      client = await startNativeWatchClient(binary, `http://127.0.0.1:${port}`, '/watch?x=1', 4);
      let report = await client.report();
      for (let i = 0; i < 100 && report.received < 4 * EVENTS; i++) {
        await sleep(20);
        report = await client.report();
      }
      expect(report.received).toBe(4 * EVENTS);
      expect(report.errors).toBe(1);
      expect(report.cpu.user + report.cpu.system).toBeGreaterThanOrEqual(0);
      // Every event's latency is a little over 5 ms (sent-at was set 5+ ms in the past).
      const total = report.buckets.reduce((a, [, n]) => a + n, 0);
      expect(total).toBe(4 * EVENTS);
      for (const [bucket] of report.buckets) expect(bucket).toBeGreaterThanOrEqual(50);
      // One first/last pair per update, keyed by its sent-at in ms.
      expect(report.firstLast.map(([k]) => k.toFixed(3)).sort()).toEqual([...sentAts].sort());
      for (const [k, first, last] of report.firstLast) {
        expect(first).toBeGreaterThan(k);
        expect(last).toBeGreaterThanOrEqual(first);
      }
    } finally {
      await client?.stop();
    }
  }, 15_000);

  it('reads Kubernetes protobuf frames (WATCH_CLIENT_ENCODING=protobuf) across chunk boundaries', async () => {
    server.removeAllListeners('connection');
    let accept = '';
    server.on('connection', (sock) => {
      sockets.push(sock);
      const which = accepted++;
      sock.on('error', () => undefined);
      sock.once('data', (req) => {
        accept = /accept: ([^\r]*)/i.exec(req.toString())?.[1] ?? '';
        void (async () => {
          sock.write(
            'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.kubernetes.protobuf;stream=watch\r\nTransfer-Encoding: chunked\r\n\r\n',
          );
          await writeChunked(sock, pbStream, which + 3);
        })();
      });
    });
    const client = await startNativeWatchClient(
      binary,
      `http://127.0.0.1:${port}`,
      '/watch?x=1',
      3,
      'normal',
      'protobuf',
    );
    try {
      let report = await client.report();
      for (let i = 0; i < 100 && report.received < 3 * EVENTS; i++) {
        await sleep(20);
        report = await client.report();
      }
      expect(accept).toBe('application/vnd.kubernetes.protobuf');
      expect(report.received).toBe(3 * EVENTS);
      expect(report.errors).toBe(0);
      expect(report.firstLast.map(([k]) => k.toFixed(3)).sort()).toEqual([...sentAts].sort());
    } finally {
      await client.stop();
    }
  }, 15_000);

  it('counts a non-200 answer as an error and still becomes ready', async () => {
    server.removeAllListeners('connection');
    server.on('connection', (sock) => {
      sockets.push(sock);
      sock.on('error', () => undefined);
      sock.once('data', () => sock.end('HTTP/1.1 410 Gone\r\ncontent-length: 0\r\n\r\n'));
    });
    const client = await startNativeWatchClient(binary, `http://127.0.0.1:${port}`, '/w', 2);
    try {
      const report = await client.report();
      expect(report).toMatchObject({ received: 0, errors: 2, buckets: [], firstLast: [] });
    } finally {
      await client.stop();
    }
  }, 15_000);
});
