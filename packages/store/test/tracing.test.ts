/**
 * Distributed tracing of client requests (etcd's --experimental-enable-distributed-tracing):
 * real kubets-store processes export spans to an OTLP/HTTP receiver on 127.0.0.1; requests go
 * over gRPC with and without a W3C traceparent in their metadata.
 */
import { execFile } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGrpcObject } from '../src/gen/etcd/load.js';
import type { KVClient } from '../src/gen/etcd/types/etcdserverpb/KV.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@kubets/component-base/testing';
import { STORE_BIN, startStoreProcess, type ProcessTarget } from './support/targets.js';

const TRACE_ID = '5a0e1f2b3c4d5e6f708192a3b4c5d6e7';
const PARENT_ID = '1122334455667788';

function kvClient(endpoint: string): KVClient {
  return new (loadGrpcObject().etcdserverpb.KV)(endpoint, grpc.credentials.createInsecure());
}

function call<Req>(
  fn: (req: Req, md: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void) => unknown,
  req: Req,
  traceparent?: string,
): Promise<grpc.ServiceError | null> {
  const md = new grpc.Metadata();
  if (traceparent) md.set('traceparent', traceparent);
  return new Promise((resolve) => fn(req, md, (err) => resolve(err)));
}

function childrenOf(spans: ReceivedSpan[], parent: ReceivedSpan): string[] {
  return spans
    .filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId)
    .map((s) => s.name)
    .sort();
}

describe('kubets-store distributed tracing', () => {
  let receiver: OtlpReceiver;
  let sampled: ProcessTarget | undefined;
  let unsampled: ProcessTarget | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = { OTEL_BSP_SCHEDULE_DELAY: '100' };
    const flags = (rate: number, id: string): string[] => [
      '--experimental-enable-distributed-tracing',
      `--experimental-distributed-tracing-address=${receiver.address}`,
      `--experimental-distributed-tracing-sampling-rate=${rate}`,
      `--experimental-distributed-tracing-instance-id=${id}`,
    ];
    [sampled, unsampled] = await Promise.all([
      startStoreProcess({ extraArgs: flags(1_000_000, 'all'), env }),
      startStoreProcess({ extraArgs: flags(0, 'none'), env }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await sampled?.stop();
    await unsampled?.stop();
    await receiver?.close();
  });

  it('makes a server span per call that continues the caller trace, with Raft steps as children', async () => {
    const kv = kvClient(sampled!.endpoint);
    try {
      const put = kv.Put.bind(kv) as never;
      const range = kv.Range.bind(kv) as never;
      expect(
        await call(
          put,
          { key: Buffer.from('k'), value: Buffer.from('v') },
          `00-${TRACE_ID}-${PARENT_ID}-01`,
        ),
      ).toBeNull();
      expect(await call(range, { key: Buffer.from('k') })).toBeNull();
      // A failing call: a lease that does not exist.
      const err = await call(put, { key: Buffer.from('k'), value: Buffer.from('v'), lease: '42' });
      expect(err?.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      kv.close();
    }
    const named = (s: ReceivedSpan[], n: string) =>
      s.filter((x) => x.resource['service.instance.id'] === 'all' && x.name === n);
    await receiver.waitFor(
      (s) =>
        named(s, 'etcdserverpb.KV/Put').length >= 2 &&
        named(s, 'etcdserverpb.KV/Range').length >= 1,
    );

    const spans = receiver.spans;
    const [put, failed] = named(spans, 'etcdserverpb.KV/Put');
    expect(put).toMatchObject({
      service: 'etcd',
      traceId: TRACE_ID,
      parentSpanId: PARENT_ID,
      kind: 2,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': 'etcdserverpb.KV',
        'rpc.method': 'Put',
        'rpc.grpc.status_code': 0,
      },
    });
    expect(childrenOf(spans, put!)).toEqual(['raft.apply', 'raft.propose']);
    const propose = spans.find((s) => s.name === 'raft.propose' && s.parentSpanId === put!.spanId);
    expect(propose?.attributes['raft.index']).toBeGreaterThan(0);

    const [range] = named(spans, 'etcdserverpb.KV/Range');
    expect(range?.parentSpanId).toBe(''); // no traceparent: a root span of its own trace
    expect(range?.traceId).not.toBe(TRACE_ID);
    expect(childrenOf(spans, range!)).toEqual(['raft.read_index']);

    expect(failed).toMatchObject({ statusCode: 2, attributes: { 'rpc.grpc.status_code': 5 } });
  }, 60_000);

  it('samples nothing at rate 0 except calls whose caller sampled them', async () => {
    const kv = kvClient(unsampled!.endpoint);
    try {
      const put = kv.Put.bind(kv) as never;
      for (let i = 0; i < 5; i++) {
        expect(await call(put, { key: Buffer.from(`r${i}`), value: Buffer.from('v') })).toBeNull();
      }
      // An unsampled parent is followed too.
      expect(
        await call(
          put,
          { key: Buffer.from('u'), value: Buffer.from('v') },
          `00-${TRACE_ID}-${PARENT_ID}-00`,
        ),
      ).toBeNull();
      expect(
        await call(
          put,
          { key: Buffer.from('s'), value: Buffer.from('v') },
          `00-${TRACE_ID}-${PARENT_ID}-01`,
        ),
      ).toBeNull();
    } finally {
      kv.close();
    }
    const mine = (s: ReceivedSpan[]) =>
      s.filter((x) => x.resource['service.instance.id'] === 'none');
    await receiver.waitFor((s) => mine(s).some((x) => x.name === 'etcdserverpb.KV/Put'));
    // Give a straggler batch the chance to show up before asserting there is none.
    await new Promise((r) => setTimeout(r, 500));
    const puts = mine(receiver.spans).filter((x) => x.name === 'etcdserverpb.KV/Put');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.parentSpanId).toBe(PARENT_ID);
  }, 60_000);

  it('traces from the OTEL_* variables alone, without the flags', async () => {
    const store = await startStoreProcess({
      env: { OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    try {
      const kv = kvClient(store.endpoint);
      try {
        const put = kv.Put.bind(kv) as never;
        expect(await call(put, { key: Buffer.from('otel'), value: Buffer.from('v') })).toBeNull();
      } finally {
        kv.close();
      }
      await receiver.waitFor((s) =>
        s.some((x) => x.service === 'kubets-store' && x.name === 'etcdserverpb.KV/Put'),
      );
    } finally {
      await store.stop();
    }
  }, 60_000);

  it('refuses bad tracing flag values, naming the flag', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(process.execPath, [STORE_BIN, ...args], { timeout: 20_000 }, (err, _o, stderr) =>
          resolve({ code: typeof err?.code === 'number' ? err.code : 0, stderr }),
        ),
      );
    const [negative, huge, scheme] = await Promise.all([
      run(['--experimental-distributed-tracing-sampling-rate=-1']),
      run(['--experimental-distributed-tracing-sampling-rate=2000000']),
      run([
        '--experimental-enable-distributed-tracing',
        '--experimental-distributed-tracing-address=unix:///run/otel.sock',
      ]),
    ]);
    expect(negative.code).toBe(1);
    expect(negative.stderr).toContain(
      '--experimental-distributed-tracing-sampling-rate: invalid value -1: tracing sampling rate must be positive',
    );
    expect(huge.code).toBe(1);
    expect(huge.stderr).toContain('tracing sampling rate must be less than 1000000');
    expect(scheme.code).toBe(1);
    expect(scheme.stderr).toContain(
      '--experimental-distributed-tracing-address: unsupported scheme "unix"',
    );
  }, 30_000);
});
