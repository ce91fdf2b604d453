/**
 * `npm run bench -w @kubets/component-base`: server CPU per gRPC call of an echo service on
 * node:http2 against the same on the JavaScript HTTP/2 connection (`src/grpc-server/h2/`, issue
 * #4). A child process serves one transport; this process drives it with a grpc-js client and
 * reads the child's on-CPU time from /proc (the client's CPU is not counted, and other load on
 * the box changes the figure little).
 *
 * Servers (the request bytes are echoed; no protobuf, so only the transport and call layer
 * count):
 * - `GrpcServer`: component-base's GrpcServer on node:http2, as kubets-store serves today;
 * - `GrpcServer-js`: the same GrpcServer with `transport: 'js'`;
 * - `node-min`: a minimal gRPC echo straight on node:http2 streams (no call objects);
 * - `js-min`: the same minimal echo on the JavaScript HTTP/2 connection over a net.Socket.
 * `node-min` against `js-min` is the transport's own cost; `GrpcServer` shows what the call layer
 * adds on top.
 *
 * Environment: BENCH_OPS (unary calls per measurement, default 4000), BENCH_ROUNDS (default 3;
 * server order alternates), BENCH_CLIENTS (concurrent calls, default 32), BENCH_BYTES (request
 * size, default 100), BENCH_STREAM_MSGS (messages echoed on one bidi stream per client, default
 * 0: streaming is skipped), BENCH_ONLY (comma-separated servers), BENCH_NODE_ARGS (node options
 * for the serving process, such as --cpu-prof).
 */
import { spawn } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { createServer, type ServerHttp2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { GrpcServer, type ServiceDefinition } from '../src/grpc-server/index.js';
import { H2Connection, type H2Stream } from '../src/grpc-server/h2/connection.js';
import { encodeHeaders } from '../src/grpc-server/h2/hpack.js';
import { threadsCpuNs } from '../src/testing/proc-cpu.js';

const SERVERS = ['GrpcServer', 'GrpcServer-js', 'node-min', 'js-min'] as const;
type ServerKind = (typeof SERVERS)[number];

const OPS = Number(process.env.BENCH_OPS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const BYTES = Number(process.env.BENCH_BYTES ?? 100);
const STREAM_MSGS = Number(process.env.BENCH_STREAM_MSGS ?? 0);
const ONLY = process.env.BENCH_ONLY?.split(',') ?? [...SERVERS];
const UNARY = '/bench.Echo/Unary';
const BIDI = '/bench.Echo/Bidi';
const WINDOW = 16 * 1024 * 1024;

const identity = (b: Buffer): Buffer => b;

function echoService(): ServiceDefinition {
  const common = {
    requestDeserialize: identity,
    responseSerialize: (v: unknown) => v as Buffer,
  };
  return {
    Unary: { ...common, path: UNARY, requestStream: false, responseStream: false },
    Bidi: { ...common, path: BIDI, requestStream: true, responseStream: true },
  };
}

/** Child: serve the echo service with one server; print the port. */
async function serve(kind: ServerKind): Promise<void> {
  let port: number;
  if (kind === 'GrpcServer' || kind === 'GrpcServer-js') {
    const server = new GrpcServer({
      windowBytes: WINDOW,
      transport: kind === 'GrpcServer' ? 'node:http2' : 'js',
    });
    server.addService(echoService(), {
      Unary: (call: { request: Buffer }, cb: (e: null, r: Buffer) => void) =>
        cb(null, call.request),
      Bidi: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (m: Buffer) => call.write(m));
        call.on('end', () => call.end());
      },
    });
    port = await server.listen({ host: '127.0.0.1', port: 0 });
  } else if (kind === 'node-min') {
    port = await serveNodeMin();
  } else {
    port = await serveJsMin();
  }
  process.on('SIGINT', () => process.exit(0));
  process.stdout.write(`${port}\n`);
}

/** The 5-byte-prefixed messages of a body (the minimal servers echo them one by one). */
function splitMessages(buf: Buffer, each: (frame: Buffer) => void): Buffer | undefined {
  let off = 0;
  while (buf.length - off >= 5) {
    const end = off + 5 + buf.readUInt32BE(off + 1);
    if (end > buf.length) break;
    each(buf.subarray(off, end));
    off = end;
  }
  return off < buf.length ? buf.subarray(off) : undefined;
}

async function serveNodeMin(): Promise<number> {
  const server = createServer({
    maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
    maxSessionMemory: Number.MAX_SAFE_INTEGER,
    settings: { initialWindowSize: WINDOW },
  });
  const respHeaders = { ':status': 200, 'content-type': 'application/grpc+proto' };
  const ok = { 'grpc-status': '0', 'grpc-message': 'OK' };
  const sendOk = function (this: ServerHttp2Stream): void {
    this.sendTrailers(ok);
  };
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const streaming = headers[':path'] === BIDI;
    let rest: Buffer | undefined;
    const chunks: Buffer[] = [];
    if (streaming) {
      stream.respond(respHeaders, { waitForTrailers: true });
      stream.on('wantTrailers', sendOk);
    }
    stream.on('data', (c: Buffer) => {
      if (!streaming) {
        chunks.push(c);
        return;
      }
      rest = splitMessages(rest ? Buffer.concat([rest, c]) : c, (m) => stream.write(m));
    });
    stream.on('end', () => {
      if (streaming) {
        stream.end();
        return;
      }
      stream.respond(respHeaders, { waitForTrailers: true });
      stream.on('wantTrailers', sendOk);
      stream.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
  });
  server.on('session', (s) => s.setLocalWindowSize(WINDOW));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function serveJsMin(): Promise<number> {
  const respHeaders = encodeHeaders([
    [':status', '200'],
    ['content-type', 'application/grpc+proto'],
  ]);
  const ok = encodeHeaders([
    ['grpc-status', '0'],
    ['grpc-message', 'OK'],
  ]);
  const onStream = (stream: H2Stream): void => {
    let path = '';
    for (const [k, v] of stream.headers) if (k === ':path') path = v;
    const streaming = path === BIDI;
    let rest: Buffer | undefined;
    const chunks: Buffer[] = [];
    if (streaming) stream.respond(respHeaders);
    stream.ondata = (c) => {
      if (!streaming) {
        chunks.push(c);
        return;
      }
      rest = splitMessages(rest ? Buffer.concat([rest, c]) : c, (m) => stream.write(m));
    };
    stream.onend = () => {
      if (streaming) {
        stream.end(ok);
        return;
      }
      stream.respond(respHeaders);
      stream.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      stream.end(ok);
    };
  };
  const server = createNetServer((socket) => {
    socket.setNoDelay(true);
    new H2Connection(socket, { windowBytes: WINDOW, onStream });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

interface Figures {
  unaryUs: number;
  unaryPerSec: number;
  streamUs: number;
}

async function measure(kind: ServerKind): Promise<Figures> {
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, process.argv[1]!, 'serve', kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    const pid = child.pid!;
    const client = new grpc.Client(`127.0.0.1:${line.trim()}`, grpc.credentials.createInsecure());
    const body = Buffer.alloc(BYTES, 7);
    const unary = (): Promise<void> =>
      new Promise((resolve, reject) =>
        client.makeUnaryRequest(UNARY, identity, identity, body, (err, res) => {
          if (err) reject(err);
          else if (res?.length !== BYTES) reject(new Error('bad echo'));
          else resolve();
        }),
      );
    const drive = async (n: number): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < n) {
          next++;
          await unary();
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, worker));
    };
    await drive(Math.min(1000, OPS));
    const cpu0 = threadsCpuNs(pid);
    const t0 = performance.now();
    await drive(OPS);
    const wall = performance.now() - t0;
    const unaryUs = (threadsCpuNs(pid) - cpu0) / 1000 / OPS;
    let streamUs = NaN;
    if (STREAM_MSGS > 0) {
      const bidi = (): Promise<void> =>
        new Promise((resolve, reject) => {
          const call = client.makeBidiStreamRequest(BIDI, identity, identity);
          let got = 0;
          let sent = 0;
          const send = (): void => {
            // Keep a few messages in flight per stream, as a watch or a lease keep-alive would.
            while (sent < STREAM_MSGS && sent - got < 8) {
              sent++;
              call.write(body);
            }
            if (sent === STREAM_MSGS) call.end();
          };
          call.on('data', () => {
            got++;
            send();
          });
          call.on('error', reject);
          call.on('status', () => (got === STREAM_MSGS ? resolve() : reject(new Error('short'))));
          send();
        });
      const c0 = threadsCpuNs(pid);
      await Promise.all(Array.from({ length: CLIENTS }, bidi));
      streamUs = (threadsCpuNs(pid) - c0) / 1000 / (STREAM_MSGS * CLIENTS);
    }
    client.close();
    return { unaryUs, unaryPerSec: (OPS / wall) * 1000, streamUs };
  } finally {
    // SIGINT lets a --cpu-prof child write its profile.
    child.kill('SIGINT');
  }
}

async function main(): Promise<void> {
  const kinds = SERVERS.filter((k) => ONLY.includes(k));
  const results = new Map<ServerKind, Figures[]>(kinds.map((k) => [k, []]));
  console.log(
    `echo, ${OPS} unary calls x ${ROUNDS} rounds, ${CLIENTS} concurrent, ${BYTES}-byte messages` +
      (STREAM_MSGS > 0 ? `, ${STREAM_MSGS} bidi messages per client` : '') +
      `; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) results.get(kind)!.push(await measure(kind));
  }
  const median = (xs: number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = results.get('node-min');
  for (const [kind, figs] of results) {
    const us = median(figs.map((f) => f.unaryUs));
    const rel = base
      ? ` (${(us / median(base.map((f) => f.unaryUs))).toFixed(2)} of node-min)`
      : '';
    const stream =
      STREAM_MSGS > 0 ? `, bidi ${median(figs.map((f) => f.streamUs)).toFixed(1)} µs/msg` : '';
    console.log(
      `${kind.padEnd(13)} unary ${us.toFixed(1)} µs CPU/call${rel}, ` +
        `${median(figs.map((f) => f.unaryPerSec)).toFixed(0)} calls/s${stream}` +
        `  [rounds: ${figs.map((f) => f.unaryUs.toFixed(1)).join(' ')}]`,
    );
  }
  console.log(
    `load after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as ServerKind);
} else {
  await main();
}
