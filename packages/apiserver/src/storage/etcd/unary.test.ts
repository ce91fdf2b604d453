import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type ServerHttp2Stream,
} from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  etcdMissingReason,
  freePort,
  startEtcd,
  type EtcdProcess,
} from '../../../test/helpers/etcd.js';
import { EtcdClient } from './etcd-client.js';
import { isCompactedError, isSafeToRetryWrite, isUnavailable } from './errors.js';
import { UnaryTransport, type UnaryMethod } from './unary.js';
import { issue, makeCA, OPENSSL } from '../../../test/helpers/pki.js';
import { startKubetsStore, storeMissingReason } from '../../../test/helpers/store.js';

/** A method whose messages are the raw bytes (the transport does not care). */
const ECHO: UnaryMethod<Buffer, Buffer> = {
  path: '/test.Echo/Echo',
  requestSerialize: (b) => b,
  responseDeserialize: (b) => Buffer.from(b),
};

function frame(msg: Buffer): Buffer {
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
}

/** A plaintext HTTP/2 server on 127.0.0.1 answering every stream with `handle`. */
async function fakeServer(
  handle: (stream: ServerHttp2Stream, body: Buffer) => void,
): Promise<{ server: Http2Server; target: string }> {
  const server = createServer();
  server.on('stream', (stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => handle(stream, Buffer.concat(chunks)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { server, target: `127.0.0.1:${port}` };
}

async function failure(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('UnaryTransport (gRPC unary calls on the JavaScript HTTP/2 client, node:http2 servers)', () => {
  const servers: Http2Server[] = [];
  const transports: UnaryTransport[] = [];
  const transport = (target: string): UnaryTransport => {
    const t = new UnaryTransport({ target, secure: false });
    transports.push(t);
    return t;
  };
  afterEach(async () => {
    for (const t of transports.splice(0)) t.close();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it('matches answers to their calls when many share the connection', async () => {
    const { server, target } = await fakeServer((stream, body) => {
      // Answer in a scrambled order: each call must still get its own answer.
      setTimeout(
        () => {
          stream.respond(
            { ':status': 200, 'content-type': 'application/grpc' },
            {
              waitForTrailers: true,
            },
          );
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(frame(Buffer.concat([Buffer.from('re:'), body.subarray(5)])));
        },
        Math.floor(Math.random() * 20),
      );
    });
    servers.push(server);
    const t = transport(target);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.call(ECHO, Buffer.from(`m${i}`), Date.now() + 10_000),
      ),
    );
    expect(answers.map((a) => a.toString())).toEqual(
      Array.from({ length: 200 }, (_, i) => `re:m${i}`),
    );
  });

  it('reports a status in trailers-only answers like grpc-js, message decoded', async () => {
    const { server, target } = await fakeServer((stream) => {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': String(GrpcStatus.OUT_OF_RANGE),
          'grpc-message': encodeURIComponent(
            'etcdserver: mvcc: required revision has been compacted',
          ),
        },
        { endStream: true },
      );
    });
    servers.push(server);
    const err = await failure(transport(target).call(ECHO, Buffer.from('x'), Date.now() + 5_000));
    expect(err.code).toBe(GrpcStatus.OUT_OF_RANGE);
    expect(err.details).toBe('etcdserver: mvcc: required revision has been compacted');
    expect(err.message).toBe(
      '11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted',
    );
    expect(isCompactedError(err)).toBe(true);
  });

  it('a refused connection is UNAVAILABLE and safe to retry, even for a write', async () => {
    const port = await freePort();
    const err = await failure(
      transport(`127.0.0.1:${port}`).call(ECHO, Buffer.from('x'), Date.now() + 5_000),
    );
    expect(err.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(isSafeToRetryWrite(err)).toBe(true);
  });

  it('a connection dropped after the call was sent is UNAVAILABLE but not safe for writes', async () => {
    const { server, target } = await fakeServer((stream) => stream.session?.destroy());
    servers.push(server);
    const err = await failure(transport(target).call(ECHO, Buffer.from('x'), Date.now() + 5_000));
    expect(isUnavailable(err)).toBe(true);
    expect(isSafeToRetryWrite(err)).toBe(false);
  });

  it('ends a call at its deadline with DEADLINE_EXCEEDED, and reconnects after a drop', async () => {
    let answer = false;
    const { server, target } = await fakeServer((stream) => {
      if (!answer) return; // never answers
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        {
          waitForTrailers: true,
        },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(Buffer.from('ok')));
    });
    servers.push(server);
    const t = transport(target);
    const started = Date.now();
    const err = await failure(t.call(ECHO, Buffer.from('x'), Date.now() + 300));
    expect(err.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(isSafeToRetryWrite(err)).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    answer = true;
    expect((await t.call(ECHO, Buffer.from('x'), Date.now() + 5_000)).toString()).toBe('ok');
  });

  it('close() fails pending calls with CANCELLED', async () => {
    const { server, target } = await fakeServer(() => undefined);
    servers.push(server);
    const t = transport(target);
    const pending = failure(t.call(ECHO, Buffer.from('x'), Date.now() + 10_000));
    await new Promise((r) => setTimeout(r, 50));
    t.close();
    expect((await pending).code).toBe(GrpcStatus.CANCELLED);
  });
});

describe.skipIf(!OPENSSL)('UnaryTransport over TLS', () => {
  if (!OPENSSL) console.warn('skipping: openssl not found');
  let dir: string;
  let server: Http2SecureServer | undefined;
  afterAll(async () => {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the server against the CA and presents the client certificate', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-unary-tls-'));
    const ca = makeCA(dir, 'ca');
    const serving = issue(dir, ca, 'server', { cn: 'etcd' }, 'server');
    const client = issue(dir, ca, 'client', { cn: 'kube-apiserver-etcd-client' });
    const read = (f: string): Buffer => readFileSync(f);
    server = createSecureServer({
      key: read(serving.key),
      cert: read(serving.cert),
      ca: read(ca.cert),
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('stream', (stream) => {
      const peer = (stream.session?.socket as TLSSocket).getPeerCertificate();
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        {
          waitForTrailers: true,
        },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(Buffer.from(String(peer.subject?.CN))));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const target = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const good = new UnaryTransport({
      target,
      secure: true,
      tls: { ca: read(ca.cert), cert: read(client.cert), key: read(client.key) },
    });
    try {
      const answer = await good.call(ECHO, Buffer.from('x'), Date.now() + 5_000);
      expect(answer.toString()).toBe('kube-apiserver-etcd-client');
    } finally {
      good.close();
    }
    // A server the CA did not sign is refused before anything is sent.
    const other = makeCA(dir, 'other');
    const wrongCA = new UnaryTransport({
      target,
      secure: true,
      tls: { ca: read(other.cert), cert: read(client.cert), key: read(client.key) },
    });
    try {
      const err = await failure(wrongCA.call(ECHO, Buffer.from('x'), Date.now() + 5_000));
      expect(err.code).toBe(GrpcStatus.UNAVAILABLE);
    } finally {
      wrongCA.close();
    }
  });
});

describe.skipIf(etcdMissingReason() !== undefined)('EtcdClient unary calls against etcd', () => {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterAll(async () => {
    await etcd?.stop();
  });
  if (etcdMissingReason()) console.warn(`skipping: ${etcdMissingReason()}`);

  it('runs concurrent transactions, each answered with its own result', async () => {
    const client = new EtcdClient({ endpoints: etcd.endpoint });
    try {
      const keys = Array.from({ length: 100 }, (_, i) => Buffer.from(`/unary/k${i}`));
      const created = await Promise.all(
        keys.map((key, i) =>
          client.txn({
            compare: [{ key, target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
            success: [{ request_put: { key, value: Buffer.from(`v${i}`) } }],
            failure: [],
          }),
        ),
      );
      expect(created.every((r) => r.succeeded)).toBe(true);
      const revisions = new Set(created.map((r) => r.header?.revision));
      expect(revisions.size).toBe(100);
      const reads = await Promise.all(keys.map((key) => client.range({ key })));
      expect(reads.map((r) => r.kvs[0]?.value.toString())).toEqual(keys.map((_, i) => `v${i}`));
      // A second create of the same key fails the compare.
      const again = await client.txn({
        compare: [{ key: keys[0]!, target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
        success: [{ request_put: { key: keys[0]!, value: Buffer.from('x') } }],
        failure: [{ request_range: { key: keys[0]! } }],
      });
      expect(again.succeeded).toBe(false);
      expect(again.responses[0]?.response_range?.kvs[0]?.value.toString()).toBe('v0');
    } finally {
      client.close();
    }
  });

  it('moves a write to the next member when the first refuses connections', async () => {
    const refused = `http://127.0.0.1:${await freePort()}`;
    const client = new EtcdClient({ endpoints: [refused, etcd.endpoint], retryBackoffMs: 10 });
    try {
      const put = await client.put({
        key: Buffer.from('/unary/failover'),
        value: Buffer.from('1'),
      });
      expect(BigInt(put.header?.revision ?? '0')).toBeGreaterThan(0n);
      expect(client.currentEndpoint).toBe(etcd.endpoint);
    } finally {
      client.close();
    }
  });
});

/** The same calls against both servers the API server runs on (the JavaScript HTTP/2 client). */
const BACKENDS: Array<{
  name: string;
  missing: string | undefined;
  start(): Promise<EtcdProcess>;
}> = [
  { name: 'etcd', missing: etcdMissingReason(), start: startEtcd },
  { name: 'kubets-store', missing: storeMissingReason(), start: () => startKubetsStore() },
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.missing !== undefined)(`unary calls against ${backend.name}`, () => {
    if (backend.missing) console.warn(`skipping: ${backend.missing}`);
    let server: EtcdProcess;
    let client: EtcdClient;
    beforeAll(async () => {
      server = await backend.start();
      client = new EtcdClient({ endpoints: server.endpoint });
    }, 60_000);
    afterAll(async () => {
      client?.close();
      await server?.stop();
    });

    it('sends a 1 MiB Txn past the 64 KiB windows and reads it back in one large answer', async () => {
      const big = Buffer.alloc(1024 * 1024, 0x61);
      const keys = Array.from({ length: 3 }, (_, i) => Buffer.from(`/h2/big/${i}`));
      for (const key of keys) {
        const put = await client.txn({
          compare: [],
          success: [{ request_put: { key, value: big } }],
          failure: [],
        });
        expect(put.succeeded).toBe(true);
      }
      // A 3 MiB answer: many DATA frames, one message joined across them.
      const all = await client.range({
        key: Buffer.from('/h2/big/'),
        range_end: Buffer.from('/h2/big0'),
      });
      expect(all.kvs.map((kv) => kv.value.length)).toEqual([big.length, big.length, big.length]);
      expect(all.kvs.every((kv) => kv.value.equals(big))).toBe(true);
    }, 60_000);

    it('answers many concurrent calls each with its own result, and errors with their status', async () => {
      const keys = Array.from({ length: 300 }, (_, i) => Buffer.from(`/h2/many/${i}`));
      await Promise.all(keys.map((key, i) => client.put({ key, value: Buffer.from(`v${i}`) })));
      const reads = await Promise.all(keys.map((key) => client.range({ key })));
      expect(reads.map((r) => r.kvs[0]?.value.toString())).toEqual(keys.map((_, i) => `v${i}`));
      const st = await client.status();
      expect(BigInt(st.header?.revision ?? '0')).toBeGreaterThan(300n);
      // A read below the compacted revision: OUT_OF_RANGE with etcd's message (Trailers-Only).
      const rev = BigInt(reads[299]!.header!.revision);
      await client.compact(rev - 10n);
      const err = await failure(client.range({ key: keys[0]!, revision: String(rev - 20n) }));
      expect(isCompactedError(err)).toBe(true);
    }, 60_000);
  });
}
