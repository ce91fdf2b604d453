/**
 * Spans from request to storage: in-process API servers with tracing on, in front of a real
 * kubets-store process with distributed tracing on, both exporting to an OTLP/HTTP receiver on
 * 127.0.0.1. A kubectl create, a gRPC Create and plain REST requests with and without a
 * caller's `traceparent`; bad `--tracing-config-file`s against the binary.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newUnauthorized } from '@kubets/apimachinery';
import { samplesRootSpans, startTracing, type Tracing } from '@kubets/component-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customResourceSupport } from '../src/cli/run.js';
import { TRACER_NAME } from '../src/request/tracing.js';
import { startApiServer, type RunningApiServer } from '../src/server.js';
import type { RequestGuard, UserInfo } from '../src/auth/types.js';
import { call, resourcesClient } from './helpers/grpc.js';
import { KUBECTL, kubectlFor, type Kubectl } from './helpers/kubectl.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@kubets/component-base/testing';
import { testServerOptions } from './helpers/server-options.js';
import { startKubetsStore, storeMissingReason } from './helpers/store.js';
import { freePort, type EtcdProcess } from './helpers/etcd.js';

const BIN = fileURLToPath(new URL('../bin/kubets-apiserver.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/bin/kubets-apiserver.js', import.meta.url));

const skip =
  storeMissingReason() ??
  (KUBECTL === undefined ? 'kubectl is not on PATH' : undefined) ??
  (existsSync(BUILT) ? undefined : 'dist/ is not built (run npm run build)');
if (skip) console.warn(`skipping API server tracing tests: ${skip}`);

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

/**
 * Lets everyone in but `Bearer bad` (401); `Bearer alice` is an ordinary user, anyone else is
 * system:masters.
 */
const testGuard: RequestGuard = {
  authenticate: (credentials) =>
    credentials.authorization === 'Bearer bad'
      ? Promise.reject(newUnauthorized())
      : Promise.resolve<UserInfo>(
          credentials.authorization === 'Bearer alice'
            ? { username: 'alice', groups: ['system:authenticated'] }
            : { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
        ),
  authorize: () => Promise.resolve(),
};

/** Status of a GET over HTTPS to a self-signed server (0 while it does not answer). */
function insecureGet(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

function configMap(name: string): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } };
}

function byInstance(spans: ReceivedSpan[], id: string): ReceivedSpan[] {
  return spans.filter((s) => s.resource['service.instance.id'] === id);
}

function childNames(spans: ReceivedSpan[], parent: ReceivedSpan): string[] {
  return spans
    .filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId)
    .map((s) => s.name)
    .sort();
}

describe.skipIf(skip)('API server tracing', () => {
  let receiver: OtlpReceiver;
  let store: EtcdProcess | undefined;
  const tracings: Tracing[] = [];
  let traced: RunningApiServer | undefined;
  let quiet: RunningApiServer | undefined;
  let kubectl: Kubectl | undefined;

  /** An API server whose spans carry service.instance.id = `id`. */
  async function tracedServer(id: string, rate: number, grpc: boolean): Promise<RunningApiServer> {
    const tracing = startTracing({
      serviceName: 'kubets-apiserver',
      env: {},
      registerGlobal: false,
      settings: {
        endpoint: receiver.address,
        samplingRatePerMillion: rate,
        serviceName: 'apiserver',
        serviceInstanceId: id,
      },
    });
    tracings.push(tracing);
    return startApiServer({
      ...testServerOptions(store!.endpoint),
      customResources: customResourceSupport,
      guard: testGuard,
      ...(grpc ? { grpcPort: 0 } : {}),
      tracer: tracing.getTracer(TRACER_NAME),
      tracerSamplesRoots: samplesRootSpans(tracing.config.sampler),
    });
  }

  const flush = () => Promise.all(tracings.map((t) => t.forceFlush()));

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // The store samples no root span: it traces what the API server sampled.
    store = await startKubetsStore({
      args: [
        '--experimental-enable-distributed-tracing',
        `--experimental-distributed-tracing-address=${receiver.address}`,
        '--experimental-distributed-tracing-sampling-rate=0',
        '--experimental-distributed-tracing-instance-id=store',
      ],
      env: { OTEL_BSP_SCHEDULE_DELAY: '100' },
    });
    traced = await tracedServer('traced', 1_000_000, true);
    quiet = await tracedServer('quiet', 0, false);
    kubectl = kubectlFor(traced.url);
  }, 90_000);

  afterAll(async () => {
    kubectl?.cleanup();
    await traced?.close();
    await quiet?.close();
    for (const t of tracings) await t.shutdown();
    await store?.stop();
    await receiver?.close();
  });

  it('traces a kubectl create from the API server span down to the kubets-store span', async () => {
    await kubectl!.ok(['create', 'configmap', 'traced-cm', '--from-literal=a=b']);
    await flush();
    const isCreate = (s: ReceivedSpan) =>
      s.name === 'POST /api/v1/namespaces/{:namespace}/configmaps';
    await receiver.waitFor((spans) => {
      const server = byInstance(spans, 'traced').find(isCreate);
      return (
        server !== undefined &&
        byInstance(spans, 'store').some(
          (s) => s.traceId === server.traceId && s.name === 'etcdserverpb.KV/Txn',
        )
      );
    });
    const spans = receiver.spans;
    const server = byInstance(spans, 'traced').find(isCreate)!;
    expect(server).toMatchObject({
      service: 'apiserver',
      kind: 2,
      parentSpanId: '',
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/api/v1/namespaces/{:namespace}/configmaps',
        'http.response.status_code': 201,
      },
    });
    expect(String(server.attributes['user_agent.original'])).toContain('kubectl');
    expect(childNames(spans, server)).toEqual([
      'admission.mutating',
      'admission.validating',
      'authentication',
      'authorization',
      'etcdserverpb.KV/Txn',
      'validation',
    ]);
    const client = spans.find(
      (s) => s.parentSpanId === server.spanId && s.name === 'etcdserverpb.KV/Txn',
    )!;
    expect(client).toMatchObject({
      kind: 3,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': 'etcdserverpb.KV',
        'rpc.method': 'Txn',
        'db.system': 'etcd',
        'db.operation': 'txn',
        'etcd.key': '/registry/configmaps/default/traced-cm',
        'rpc.grpc.status_code': 0,
      },
    });
    // The store continued the API server's trace under its etcd client span.
    const stored = byInstance(spans, 'store').find(
      (s) => s.traceId === server.traceId && s.name === 'etcdserverpb.KV/Txn',
    )!;
    expect(stored).toMatchObject({ service: 'etcd', kind: 2, parentSpanId: client.spanId });
    await receiver.waitFor((s) => childNames(s, stored).length === 2);
    expect(childNames(receiver.spans, stored)).toEqual(['raft.apply', 'raft.propose']);
  }, 60_000);

  it('traces a gRPC resource API call the same way', async () => {
    const client = resourcesClient(traced!.grpcAddress!);
    try {
      await call(client, 'Create', {
        ref: { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' },
        object: Buffer.from(JSON.stringify(configMap('grpc-cm'))),
      });
    } finally {
      client.close();
    }
    await flush();
    const isCreate = (s: ReceivedSpan) => s.name === 'kubets.api.v1.Resources/Create';
    await receiver.waitFor((spans) => {
      const server = byInstance(spans, 'traced').find(isCreate);
      return (
        server !== undefined && byInstance(spans, 'store').some((s) => s.traceId === server.traceId)
      );
    });
    const server = byInstance(receiver.spans, 'traced').find(isCreate)!;
    expect(server).toMatchObject({
      kind: 2,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': 'kubets.api.v1.Resources',
        'rpc.method': 'Create',
        'rpc.grpc.status_code': 0,
      },
    });
    expect(childNames(receiver.spans, server)).toContain('etcdserverpb.KV/Txn');
    expect(childNames(receiver.spans, server)).toContain('authorization');
  }, 60_000);

  it('samples nothing at rate 0, but continues a privileged caller sampled trace', async () => {
    const post = (name: string, headers: Record<string, string> = {}) =>
      fetch(`${quiet!.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(configMap(name)),
      });
    const traceparent = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
    expect((await post('quiet-1')).status).toBe(201);
    // An ordinary user's trace context is only linked; at rate 0 its request is not sampled.
    expect((await post('quiet-2', { traceparent, authorization: 'Bearer alice' })).status).toBe(
      201,
    );
    // system:masters may continue its own trace.
    expect((await post('quiet-3', { traceparent })).status).toBe(201);
    await flush();
    await receiver.waitFor((spans) => byInstance(spans, 'quiet').length > 0);
    await receiver.waitFor((spans) =>
      byInstance(spans, 'store').some((s) => s.traceId === CALLER_TRACE),
    );
    await new Promise((r) => setTimeout(r, 300));
    const servers = byInstance(receiver.spans, 'quiet').filter((s) => s.kind === 2);
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN });
    // Every span the store made belongs to a trace the API servers sampled.
    const sampledTraces = new Set(
      receiver.spans.filter((s) => s.service === 'apiserver').map((s) => s.traceId),
    );
    for (const s of byInstance(receiver.spans, 'store')) expect(sampledTraces).toContain(s.traceId);
  }, 60_000);

  it('links an ordinary user trace context instead of continuing it', async () => {
    const res = await fetch(`${traced!.url}/api/v1/namespaces/default/configmaps/traced-cm`, {
      headers: {
        traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
        authorization: 'Bearer alice',
      },
    });
    expect(res.status).toBe(200);
    await flush();
    const isGet = (s: ReceivedSpan) =>
      s.name === 'GET /api/v1/namespaces/{:namespace}/configmaps/{:name}' && s.links.length > 0;
    await receiver.waitFor((spans) => byInstance(spans, 'traced').some(isGet));
    const get = byInstance(receiver.spans, 'traced').find(isGet)!;
    expect(get.traceId).not.toBe(CALLER_TRACE);
    expect(get.parentSpanId).toBe('');
    expect(get.links).toEqual([{ traceId: CALLER_TRACE, spanId: CALLER_SPAN }]);
  }, 60_000);

  it('records a refused authentication under the request span', async () => {
    const res = await fetch(`${traced!.url}/api/v1/namespaces/default/secrets`, {
      headers: { authorization: 'Bearer bad' },
    });
    expect(res.status).toBe(401);
    await flush();
    const isList = (s: ReceivedSpan) =>
      s.name === 'GET /api/v1/namespaces/{:namespace}/secrets' &&
      s.attributes['http.response.status_code'] === 401;
    await receiver.waitFor((spans) => byInstance(spans, 'traced').some(isList));
    const list = byInstance(receiver.spans, 'traced').find(isList)!;
    expect(childNames(receiver.spans, list)).toEqual(['authentication']);
    const authn = receiver.spans.find((s) => s.parentSpanId === list.spanId)!;
    expect(authn.statusCode).toBe(2);
  }, 60_000);

  it('traces in the kubets-apiserver binary from --tracing-config-file, or from OTEL_* alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubets-tracing-bin-'));
    const config = join(dir, 'tracing.yaml');
    writeFileSync(
      config,
      `apiVersion: apiserver.config.k8s.io/v1beta1\nkind: TracingConfiguration\nendpoint: ${receiver.address}\nsamplingRatePerMillion: 1000000\n`,
    );
    const serve = async (args: string[], env: NodeJS.ProcessEnv, probe: string): Promise<void> => {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [
          BIN,
          `--etcd-servers=${store!.endpoint}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${port}`,
          '--grpc-port=0',
          `--cert-dir=${join(dir, 'certs')}`,
          ...args,
        ],
        { stdio: 'ignore', env: { ...process.env, OTEL_BSP_SCHEDULE_DELAY: '100', ...env } },
      );
      try {
        const deadline = Date.now() + 30_000;
        while ((await insecureGet(`https://127.0.0.1:${port}/readyz`)) !== 200) {
          if (Date.now() > deadline) throw new Error('kubets-apiserver did not become ready');
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(await insecureGet(`https://127.0.0.1:${port}/api/v1/namespaces/${probe}`)).toBe(404);
        await receiver.waitFor((spans) =>
          spans.some(
            (s) =>
              s.name === 'GET /api/v1/namespaces/{:name}' &&
              s.attributes['http.target'] === `/api/v1/namespaces/${probe}`,
          ),
        );
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    };
    const spanOf = (probe: string) =>
      receiver.spans.find((s) => s.attributes['http.target'] === `/api/v1/namespaces/${probe}`)!;
    try {
      await serve([`--tracing-config-file=${config}`], {}, 'from-config-file');
      expect(spanOf('from-config-file').service).toBe('apiserver');
      expect(String(spanOf('from-config-file').resource['service.instance.id'])).toMatch(
        /^apiserver-/,
      );
      await serve([], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, 'from-otel-env');
      expect(spanOf('from-otel-env').service).toBe('kubets-apiserver');
      expect(spanOf('from-otel-env').attributes['http.response.status_code']).toBe(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses a bad --tracing-config-file with a message naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubets-tracing-config-'));
    const run = (file: string) =>
      new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [
            BIN,
            '--etcd-servers=http://127.0.0.1:1',
            `--cert-dir=${join(dir, 'certs')}`,
            `--tracing-config-file=${file}`,
          ],
          { timeout: 20_000 },
          (err, _stdout, stderr) =>
            resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      );
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    try {
      const kind = 'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: TracingConfiguration\n';
      const [rate, field, endpoint, missing] = await Promise.all([
        run(file('rate.yaml', `${kind}samplingRatePerMillion: 2000000\n`)),
        run(file('field.yaml', `${kind}samplingRate: 5\n`)),
        run(file('endpoint.yaml', `${kind}endpoint: unix:///run/otel.sock\n`)),
        run(join(dir, 'nope.yaml')),
      ]);
      expect(rate.code).toBe(1);
      expect(rate.stderr).toContain(
        'samplingRatePerMillion: Invalid value: 2000000: sampling rate per million must be less than or equal to one million',
      );
      expect(rate.stderr).toContain('--tracing-config-file');
      expect(field.code).toBe(1);
      expect(field.stderr).toContain('unknown field "samplingRate"');
      expect(endpoint.code).toBe(1);
      expect(endpoint.stderr).toContain('endpoint: Invalid value: "unix:///run/otel.sock"');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('--tracing-config-file: cannot read');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
