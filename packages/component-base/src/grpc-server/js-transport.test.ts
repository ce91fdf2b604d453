/**
 * The JavaScript transport under load from grpc-js's client: many concurrent calls of mixed
 * sizes (some far beyond the client's 64 KiB stream windows and the 16 KiB frame size) on one
 * connection, unary and bidi, each answer checked byte for byte.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcServer, type ServiceDefinition } from './index.js';

const identity = (b: Buffer): Buffer => b;
const asBuffer = (v: unknown): Buffer => v as Buffer;
const service: ServiceDefinition = {
  Unary: {
    path: '/t.Echo/Unary',
    requestStream: false,
    responseStream: false,
    requestDeserialize: identity,
    responseSerialize: asBuffer,
  },
  Bidi: {
    path: '/t.Echo/Bidi',
    requestStream: true,
    responseStream: true,
    requestDeserialize: identity,
    responseSerialize: asBuffer,
  },
};

/** A deterministic body of `n` bytes for call `i`. */
function body(i: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let k = 0; k < n; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

/** Sizes from a fixed linear congruential sequence: mostly small, some up to 300 KB. */
function sizes(count: number): number[] {
  let x = 12345;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % 10 === 0 ? x % 300_000 : x % 2000;
  });
}

describe("GrpcServer on transport 'js' under concurrent load", () => {
  let server: GrpcServer | undefined;
  let client: grpc.Client | undefined;
  afterEach(() => {
    client?.close();
    server?.forceShutdown();
  });

  it('echoes 300 unary calls (32 at a time) and 8 bidi streams exactly', async () => {
    server = new GrpcServer({ transport: 'js' });
    server.addService(service, {
      Unary: (call: { request: Buffer }, cb: (e: null, r: Buffer) => void) =>
        cb(null, call.request),
      Bidi: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (m: Buffer) => call.write(m));
        call.on('end', () => call.end());
      },
    });
    const port = await server.listen({ host: '127.0.0.1', port: 0 });
    const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 1 << 20,
    });
    client = c;
    const lengths = sizes(300);
    let next = 0;
    let mismatches = 0;
    const worker = async (): Promise<void> => {
      while (next < lengths.length) {
        const i = next++;
        const req = body(i, lengths[i]!);
        const res = await new Promise<Buffer>((resolve, reject) =>
          c.makeUnaryRequest('/t.Echo/Unary', identity, identity, req, (err, r) =>
            err ? reject(err) : resolve(r!),
          ),
        );
        if (!res.equals(req)) mismatches++;
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    expect(mismatches).toBe(0);

    const streams = Array.from(
      { length: 8 },
      (_, s) =>
        new Promise<number>((resolve, reject) => {
          const call = c.makeBidiStreamRequest('/t.Echo/Bidi', identity, identity);
          const sent = sizes(40).map((n, k) => body(s * 100 + k, n));
          let got = 0;
          let bad = 0;
          call.on('data', (m: Buffer) => {
            if (!m.equals(sent[got]!)) bad++;
            got++;
          });
          call.on('error', reject);
          call.on('end', () => resolve(got === sent.length ? bad : -1));
          for (const m of sent) call.write(m);
          call.end();
        }),
    );
    expect(await Promise.all(streams)).toEqual(Array(8).fill(0));
  }, 60_000);
});
