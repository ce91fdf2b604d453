/**
 * The gRPC server, on node:http2 and on the JavaScript HTTP/2 connection (`transport: 'js'`),
 * against grpc-js's client (the client etcd3 and the API server's
 * watches use) and a raw HTTP/2 client for what grpc-js's client hides (server-side deadlines,
 * trailers-only answers, content types).
 */
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestPki, opensslMissingReason, type TestPki } from '../testing/test-pki.js';
import { frameMessage } from './framing.js';
import {
  GrpcServer,
  Metadata,
  Status,
  type ServerStreamCall,
  type StreamCall,
  type UnaryCall,
  type UnaryCallback,
} from './index.js';

interface Msg {
  text: string;
  n?: number;
}

const ser = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const de = (b: Buffer): Msg => JSON.parse(b.toString()) as Msg;

function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/test.Demo/${name}`,
    requestStream,
    responseStream,
    requestSerialize: ser,
    requestDeserialize: de,
    responseSerialize: ser,
    responseDeserialize: de,
    originalName: name.toLowerCase(),
  };
}

const demo = {
  Echo: method('Echo', false, false),
  Count: method('Count', false, true),
  Chat: method('Chat', true, true),
  Sum: method('Sum', true, false),
  Hold: method('Hold', true, true),
  Missing: method('Missing', false, false),
} satisfies grpc.ServiceDefinition;

const DemoClient = grpc.makeGenericClientConstructor(demo, 'Demo');
type Client = InstanceType<typeof DemoClient> & Record<string, CallableFunction>;

/** What handlers saw, for the assertions. */
const seen: {
  metadata?: Metadata;
  peer?: string;
  auth?: ReturnType<UnaryCall['getAuthContext']>;
  cancelled: string[];
  /** The Hold call: paused from the start; messages it was given. */
  hold?: StreamCall<Msg, Msg>;
  held: number;
} = { cancelled: [], held: 0 };

interface Handlers {
  Echo(call: UnaryCall<Msg, Msg>, cb: UnaryCallback<Msg>): void;
  Count(call: ServerStreamCall<Msg, Msg>): void;
  Chat(call: StreamCall<Msg, Msg>): void;
  Sum(call: StreamCall<Msg, Msg>, cb: UnaryCallback<Msg>): void;
  Hold(call: StreamCall<Msg, Msg>): void;
}

const handlers: Handlers = {
  Echo(call, cb) {
    seen.metadata = call.metadata;
    seen.peer = call.getPeer();
    seen.auth = call.getAuthContext();
    const { text } = call.request;
    if (text === 'fail') {
      const trailer = new Metadata();
      trailer.set('why', 'asked to');
      cb({ code: Status.FAILED_PRECONDITION, details: 'nö: 100% refused', metadata: trailer });
      return;
    }
    if (text === 'throw') throw new Error('handler bug');
    if (text === 'hang') {
      call.on('cancelled', () => seen.cancelled.push('Echo'));
      return;
    }
    if (text === 'slow') {
      setTimeout(() => cb(null, { text: 'slow done' }), 300);
      return;
    }
    const header = new Metadata();
    header.set('x-header', 'h');
    call.sendMetadata(header);
    const trailer = new Metadata();
    trailer.set('x-trailer-bin', Buffer.from([1, 2, 3]));
    cb(null, { text, n: text.length }, trailer);
  },
  Count(call) {
    const total = call.request.n ?? 0;
    const big = 'x'.repeat(Number(call.request.text) || 0);
    let i = 0;
    call.on('cancelled', () => seen.cancelled.push('Count'));
    const pump = (): void => {
      while (i < total) {
        if (call.cancelled) return;
        const ok = call.write({ text: big, n: i++ });
        if (!ok) {
          call.once('drain', pump);
          return;
        }
      }
      if (total >= 0) call.end();
    };
    if (total < 0) return; // never ends: for cancellation and shutdown
    pump();
  },
  Chat(call) {
    call.on('data', (m: Msg) => {
      if (m.text === 'error') call.emit('error', { code: Status.ABORTED, details: 'stop' });
      else call.write({ text: `echo ${m.text}` });
    });
    call.on('end', () => call.end());
  },
  Hold(call) {
    // A handler that does not read (until the test resumes it).
    call.pause();
    seen.hold = call;
    call.on('data', () => seen.held++);
    call.on('end', () => call.end());
  },
  Sum(call, cb) {
    let sum = 0;
    call.on('data', (m: Msg) => (sum += m.n ?? 0));
    call.on('end', () => cb(null, { text: 'sum', n: sum }));
  },
};

const TRANSPORTS = ['node:http2', 'js'] as const;
/** The transport of the describe block running. */
let transport: (typeof TRANSPORTS)[number] = 'node:http2';

const servers: GrpcServer[] = [];
const clients: grpc.Client[] = [];

async function start(
  opts: ConstructorParameters<typeof GrpcServer>[0] = {},
  tls?: Parameters<GrpcServer['listen']>[0]['tls'],
): Promise<{ server: GrpcServer; port: number }> {
  const server = new GrpcServer({ transport, ...opts });
  server.addService(demo, handlers);
  const port = await server.listen({ host: '127.0.0.1', port: 0, ...(tls ? { tls } : {}) });
  servers.push(server);
  return { server, port };
}

function client(port: number, creds = grpc.credentials.createInsecure(), options = {}): Client {
  const c = new DemoClient(`127.0.0.1:${port}`, creds, options) as Client;
  clients.push(c);
  return c;
}

function unary(
  c: Client,
  name: string,
  req: Msg,
  opts: { metadata?: grpc.Metadata; deadline?: number } = {},
): Promise<{
  res?: Msg;
  err?: grpc.ServiceError;
  header?: grpc.Metadata;
  status?: grpc.StatusObject;
}> {
  return new Promise((resolve) => {
    let header: grpc.Metadata | undefined;
    let res: Msg | undefined;
    let err: grpc.ServiceError | undefined;
    const call = (c[name] as (...a: unknown[]) => grpc.ClientUnaryCall)(
      req,
      opts.metadata ?? new grpc.Metadata(),
      opts.deadline ? { deadline: opts.deadline } : {},
      (e: grpc.ServiceError | null, r?: Msg) => {
        if (e) err = e;
        else res = r;
      },
    );
    call.on('metadata', (m: grpc.Metadata) => (header = m));
    call.on('status', (status: grpc.StatusObject) =>
      resolve({
        ...(res ? { res } : {}),
        ...(err ? { err } : {}),
        ...(header ? { header } : {}),
        status,
      }),
    );
  });
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
  seen.cancelled = [];
  seen.held = 0;
  delete seen.hold;
});

describe.each(TRANSPORTS)('GrpcServer on %s with a grpc-js client', (t) => {
  beforeEach(() => {
    transport = t;
  });

  it('answers unary calls with header and trailer metadata, and reads request metadata', async () => {
    const { port } = await start();
    const md = new grpc.Metadata();
    md.set('x-plain', 'p');
    md.set('x-data-bin', Buffer.from([0, 255]));
    const r = await unary(client(port), 'Echo', { text: 'héllo' }, { metadata: md });
    expect(r.res).toEqual({ text: 'héllo', n: 5 });
    expect(r.header?.get('x-header')).toEqual(['h']);
    expect(r.status?.code).toBe(grpc.status.OK);
    expect(r.status?.metadata.get('x-trailer-bin')).toEqual([Buffer.from([1, 2, 3])]);
    expect(seen.metadata?.get('x-plain')).toEqual(['p']);
    expect(seen.metadata?.get('x-data-bin')).toEqual([Buffer.from([0, 255])]);
    expect(seen.metadata?.get('content-type')).toEqual([]);
    expect(seen.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen.auth).toEqual({});
  });

  it('sends error statuses with percent-encoded messages and trailing metadata', async () => {
    const { port } = await start();
    const c = client(port);
    const r = await unary(c, 'Echo', { text: 'fail' });
    expect(r.err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(r.err?.details).toBe('nö: 100% refused');
    expect(r.err?.metadata.get('why')).toEqual(['asked to']);
    const thrown = await unary(c, 'Echo', { text: 'throw' });
    expect(thrown.err?.code).toBe(grpc.status.UNKNOWN);
    expect(thrown.err?.details).toContain('handler bug');
  });

  it('answers UNIMPLEMENTED for a method it does not serve', async () => {
    const { port } = await start();
    const r = await unary(client(port), 'Missing', { text: 'x' });
    expect(r.err?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(r.err?.details).toBe('The server does not implement the method /test.Demo/Missing');
  });

  it('refuses an oversized request with RESOURCE_EXHAUSTED, as grpc-js words it', async () => {
    const { port } = await start({ maxReceiveMessageLength: 1000 });
    const text = 'y'.repeat(2000);
    const r = await unary(client(port), 'Echo', { text });
    expect(r.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(r.err?.details).toBe(`Received message larger than max (${2000 + 11} vs. 1000)`);
  });

  it('reads gzip-compressed requests', async () => {
    const { port } = await start();
    const c = client(port, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': 2,
    });
    const r = await unary(c, 'Echo', { text: 'z'.repeat(5000) });
    expect(r.res?.n).toBe(5000);
  });

  it('streams responses with backpressure, bidirectional streams and client streams', async () => {
    const { port } = await start();
    const c = client(port);
    // 200 messages of 64 KiB: far beyond the stream's buffers, so write() returns false.
    const got = await new Promise<number[]>((resolve, reject) => {
      const ns: number[] = [];
      const s = (c.Count as (r: Msg) => grpc.ClientReadableStream<Msg>)({
        text: String(64 * 1024),
        n: 200,
      });
      s.on('data', (m: Msg) => ns.push(m.n!));
      s.on('error', reject);
      s.on('end', () => resolve(ns));
    });
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));

    const replies = await new Promise<string[]>((resolve, reject) => {
      const out: string[] = [];
      const s = (c.Chat as () => grpc.ClientDuplexStream<Msg, Msg>)();
      s.on('data', (m: Msg) => out.push(m.text));
      s.on('error', reject);
      s.on('end', () => resolve(out));
      s.write({ text: 'a' });
      s.write({ text: 'b' });
      s.end();
    });
    expect(replies).toEqual(['echo a', 'echo b']);

    const failed = await new Promise<grpc.ServiceError>((resolve) => {
      const s = (c.Chat as () => grpc.ClientDuplexStream<Msg, Msg>)();
      s.on('data', () => undefined);
      s.on('error', resolve);
      s.write({ text: 'error' });
    });
    expect(failed.code).toBe(grpc.status.ABORTED);
    expect(failed.details).toBe('stop');

    const sum = await new Promise<Msg | undefined>((resolve, reject) => {
      const s = (
        c.Sum as (
          cb: (e: grpc.ServiceError | null, r?: Msg) => void,
        ) => grpc.ClientWritableStream<Msg>
      )((e, r) => (e ? reject(e) : resolve(r)));
      for (let n = 1; n <= 4; n++) s.write({ text: '', n });
      s.end();
    });
    expect(sum).toEqual({ text: 'sum', n: 10 });
  });

  it('tells the handler when the client cancels a stream', async () => {
    const { port } = await start();
    const s = (client(port).Count as (r: Msg) => grpc.ClientReadableStream<Msg>)({
      text: '1',
      n: -1,
    });
    s.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    s.cancel();
    await waitFor(() => seen.cancelled.includes('Count'));
  });

  it('cancels the call when the deadline passes', async () => {
    const { port } = await start({ deadlineSweepMs: 10 });
    const r = await unary(client(port), 'Echo', { text: 'hang' }, { deadline: Date.now() + 200 });
    expect(r.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await waitFor(() => seen.cancelled.includes('Echo'));
  });

  it.skipIf(opensslMissing !== undefined)(
    'serves TLS with required client certificates, exposing the peer certificate',
    async () => {
      const pki = makePki();
      const { port } = await start(
        {},
        { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, clientCertAuth: true },
      );
      const withCert = client(
        port,
        grpc.credentials.createSsl(pki.ca, pki.clientKey, pki.clientCert),
      );
      const ok = await unary(withCert, 'Echo', { text: 'secure' });
      expect(ok.res?.text).toBe('secure');
      expect(seen.auth?.transportSecurityType).toBe('ssl');
      expect(seen.auth?.sslPeerCertificate?.subject.CN).toBe('demo-client');
      const without = client(port, grpc.credentials.createSsl(pki.ca));
      const refused = await unary(without, 'Echo', { text: 'x' }, { deadline: Date.now() + 3000 });
      expect(refused.err?.code).toBe(grpc.status.UNAVAILABLE);
    },
  );

  it('shuts down gracefully: calls in flight finish, new connections are refused', async () => {
    const { server, port } = await start();
    const c = client(port);
    const slow = unary(c, 'Echo', { text: 'slow' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    let closed = false;
    server.tryShutdown(() => (closed = true));
    expect((await slow).res?.text).toBe('slow done');
    await waitFor(() => closed);
    const late = await unary(client(port), 'Echo', { text: 'x' }, { deadline: Date.now() + 1000 });
    expect(late.err?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('cuts long-lived streams when shutdown is forced after its grace period', async () => {
    const { server, port } = await start();
    const s = (client(port).Count as (r: Msg) => grpc.ClientReadableStream<Msg>)({
      text: '1',
      n: -1,
    });
    const ended = new Promise<grpc.ServiceError>((resolve) => s.on('error', resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const t0 = Date.now();
    await server.shutdown(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect((await ended).code).toBe(grpc.status.UNAVAILABLE);
    await waitFor(() => seen.cancelled.includes('Count'));
  });
});

describe.each(TRANSPORTS)('GrpcServer on %s on the wire', (t) => {
  beforeEach(() => {
    transport = t;
  });

  function raw(
    port: number,
    headers: http2.OutgoingHttpHeaders,
    body?: Buffer,
  ): Promise<{ headers: http2.IncomingHttpHeaders; trailers?: http2.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', reject);
      const req = session.request({ ':method': 'POST', ':path': '/test.Demo/Echo', ...headers });
      let head: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders | undefined;
      req.on('response', (h) => (head = h));
      req.on('trailers', (t) => (trailers = t));
      req.on('data', () => undefined);
      req.on('close', () => {
        session.close();
        resolve({ headers: head, ...(trailers ? { trailers } : {}) });
      });
      if (body) req.end(body);
    });
  }

  const frame = (m: Msg): Buffer => frameMessage(ser(m));

  it('answers DEADLINE_EXCEEDED itself when grpc-timeout passes (trailers only)', async () => {
    const { port } = await start({ deadlineSweepMs: 10 });
    // The request stays open (no END_STREAM): only the server's deadline ends the call.
    const r = await raw(port, { 'content-type': 'application/grpc', 'grpc-timeout': '100m' });
    expect(r.headers['grpc-status']).toBe(String(Status.DEADLINE_EXCEEDED));
    expect(r.headers['grpc-message']).toBe('Deadline exceeded');
  });

  it('survives a client resetting a stream with an error code; the handler sees it cancelled', async () => {
    const { port } = await start();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const req = session.request({
        ':method': 'POST',
        ':path': '/test.Demo/Count',
        'content-type': 'application/grpc',
      });
      req.on('error', () => undefined);
      req.end(frame({ text: '1', n: -1 }));
      await new Promise((resolve) => setTimeout(resolve, 100));
      req.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      await waitFor(() => seen.cancelled.includes('Count'));
    } finally {
      session.close();
    }
    // Still serving.
    expect((await unary(client(port), 'Echo', { text: 'after' })).res?.text).toBe('after');
  });

  it('refuses non-gRPC content with 415 and malformed timeouts with INTERNAL', async () => {
    const { port } = await start();
    const r = await raw(port, { 'content-type': 'application/json' }, Buffer.from('{}'));
    expect(r.headers[':status']).toBe(415);
    const bad = await raw(port, { 'content-type': 'application/grpc', 'grpc-timeout': '1x' });
    expect(bad.headers['grpc-status']).toBe(String(Status.INTERNAL));
  });

  it('refuses a unary or server-streaming call without exactly one request message', async () => {
    const { port } = await start();
    const grpcHeaders = { 'content-type': 'application/grpc' };
    const none = await raw(port, grpcHeaders, Buffer.alloc(0));
    expect(none.headers['grpc-status']).toBe(String(Status.UNIMPLEMENTED));
    expect(none.headers['grpc-message']).toBe(
      'Received no request message for unary method /test.Demo/Echo',
    );
    const two = Buffer.concat([frame({ text: 'a' }), frame({ text: 'b' })]);
    const twice = await raw(port, { ...grpcHeaders, ':path': '/test.Demo/Count' }, two);
    expect(twice.headers['grpc-status']).toBe(String(Status.UNIMPLEMENTED));
    expect(twice.headers['grpc-message']).toBe(
      'Received a second request message for server streaming method /test.Demo/Count',
    );
  });

  it('holds back a client whose handler does not read (flow control), and delivers it all on resume', async () => {
    const window = 256 * 1024;
    const { port } = await start({ windowBytes: window });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const req = session.request({
        ':method': 'POST',
        ':path': '/test.Demo/Hold',
        'content-type': 'application/grpc',
      });
      req.on('error', () => undefined);
      req.on('data', () => undefined);
      const message = frame({ text: 'x'.repeat(32 * 1024 - 20) });
      const count = 64; // 2 MiB: eight times the window
      let written = 0;
      for (let i = 0; i < count; i++) req.write(message, () => written++);
      req.end();
      await waitFor(() => seen.hold !== undefined);
      await new Promise((resolve) => setTimeout(resolve, 400));
      // The server stopped returning window: the client could send about one window's worth.
      expect(written * message.length).toBeLessThanOrEqual(2 * window);
      expect(seen.held).toBe(0);
      seen.hold!.resume();
      await waitFor(() => seen.held === count);
      await waitFor(() => written === count);
    } finally {
      session.close();
    }
  });

  it('pings clients (keepalive) and closes connections idle past maxConnectionIdleMs', async () => {
    const { port } = await start({ keepaliveTimeMs: 50, maxConnectionIdleMs: 300 });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      session.on('error', () => undefined);
      let pings = 0;
      session.on('ping', () => pings++);
      let goaway = false;
      session.on('goaway', () => (goaway = true));
      await waitFor(() => pings > 0);
      expect(goaway).toBe(false);
      await waitFor(() => goaway);
    } finally {
      session.destroy();
    }
  });

  it('sends response headers, one message, then grpc-status trailers', async () => {
    const { port } = await start();
    const r = await raw(
      port,
      { 'content-type': 'application/grpc+proto' },
      frame({ text: 'wire' }),
    );
    expect(r.headers[':status']).toBe(200);
    expect(r.headers['content-type']).toBe('application/grpc+proto');
    expect(r.trailers?.['grpc-status']).toBe('0');
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const opensslMissing = opensslMissingReason();
if (opensslMissing) console.warn(`grpc-server TLS test skipped: ${opensslMissing}`);
const pkis: TestPki[] = [];
afterAll(() => {
  for (const p of pkis) p.remove();
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate. */
function makePki(): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', Buffer> {
  const pki = makeTestPki(
    [
      {
        name: 'server',
        subject: '/CN=demo-server',
        extensions: 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth',
      },
      { name: 'client', subject: '/CN=demo-client', extensions: 'extendedKeyUsage=clientAuth' },
    ],
    { prefix: 'grpc-server-pki-' },
  );
  pkis.push(pki);
  return {
    ca: pki.read('ca.crt'),
    serverCert: pki.read('server.crt'),
    serverKey: pki.read('server.key'),
    clientCert: pki.read('client.crt'),
    clientKey: pki.read('client.key'),
  };
}
