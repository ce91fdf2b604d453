import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logging.js';
import { samplesRootSpans, startTracing } from './tracing.js';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

/** A minimal OTLP/HTTP receiver on 127.0.0.1 that records what it is sent. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body,
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('startTracing', () => {
  it('exports spans to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces and flushes on shutdown', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
    vi.stubEnv('OTEL_SERVICE_NAME', 'kubets-test-service');

    const tracing = startTracing({ serviceName: 'kubets-store', serviceVersion: '0.1.0' });
    cleanups.push(() => tracing.shutdown());
    expect(tracing.enabled).toBe(true);
    // Registered globally, so instrumentation that asks the API finds it.
    const span = trace.getTracer('kubets-test').startSpan('raft.apply', {
      attributes: { 'raft.index': 42 },
    });
    span.end();
    expect(receiver.received).toHaveLength(0); // batched, not sent yet
    await tracing.shutdown();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/traces');
    expect(request?.contentType).toBe('application/json');
    const body = JSON.parse(request?.body ?? '{}');
    const resourceSpans = body.resourceSpans[0];
    const attributes = Object.fromEntries(
      resourceSpans.resource.attributes.map(
        (a: { key: string; value: { stringValue?: string } }) => [a.key, a.value.stringValue],
      ),
    );
    expect(attributes['service.name']).toBe('kubets-test-service');
    expect(attributes['service.version']).toBe('0.1.0');
    const spans = resourceSpans.scopeSpans[0].spans;
    expect(spans.map((s: { name: string }) => s.name)).toEqual(['raft.apply']);
    // Shutdown unregistered the global provider again.
    expect(trace.getTracer('after').startSpan('x').isRecording()).toBe(false);
  });

  it('exports nothing and records nothing when no endpoint is configured', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    // The receiver is running, but nothing points at it.
    const tracing = startTracing({
      serviceName: 'kubets-store',
      env: { OTEL_SERVICE_NAME: 'ignored' },
    });
    expect(tracing.enabled).toBe(false);
    const span = tracing.getTracer('t').startSpan('noop');
    expect(span.isRecording()).toBe(false);
    span.end();
    await tracing.forceFlush();
    await tracing.shutdown();
    expect(receiver.received).toHaveLength(0);
  });

  it('exports nothing when OTEL_SDK_DISABLED=true even with an endpoint', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const tracing = startTracing({
      serviceName: 'kubets-store',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' },
      registerGlobal: false,
    });
    tracing.getTracer('t').startSpan('noop').end();
    await tracing.shutdown();
    expect(tracing.enabled).toBe(false);
    expect(receiver.received).toHaveLength(0);
  });

  it('applies the sampler: always_off records nothing', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const tracing = startTracing({
      serviceName: 'kubets-store',
      env: {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/path`,
        OTEL_TRACES_SAMPLER: 'always_off',
      },
      registerGlobal: false,
    });
    const span = tracing.getTracer('t').startSpan('dropped');
    expect(span.isRecording()).toBe(false);
    span.end();
    const kept = startTracing({
      serviceName: 'kubets-store',
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/path` },
      registerGlobal: false,
    });
    kept.getTracer('t').startSpan('kept').end();
    await Promise.all([tracing.shutdown(), kept.shutdown()]);
    expect(receiver.received.map((r) => r.url)).toEqual(['/custom/path']);
    expect(receiver.received[0]?.body).toContain('"kept"');
    expect(receiver.received[0]?.body).not.toContain('"dropped"');
  });

  it('leaves an earlier global provider in place when a second one cannot register', async () => {
    const receiver = await startReceiver();
    cleanups.push(receiver.close);
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const lines: string[] = [];
    const logger = createLogger({
      component: 'second',
      destination: { write: (l: string) => void lines.push(l) },
    });
    const first = startTracing({ serviceName: 'first', env });
    cleanups.push(() => first.shutdown());
    const second = startTracing({ serviceName: 'second', env, logger });
    expect(lines.some((l) => l.includes('Another tracer provider is already registered'))).toBe(
      true,
    );
    await second.shutdown();
    expect(trace.getTracer('t').startSpan('still-first').isRecording()).toBe(true);
    await first.shutdown();
    expect(trace.getTracer('t').startSpan('gone').isRecording()).toBe(false);
  });

  it('refuses a bad configuration with the variable named', () => {
    expect(() =>
      startTracing({ serviceName: 'x', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' } }),
    ).toThrow('OTEL_EXPORTER_OTLP_ENDPOINT');
  });
});

describe('samplesRootSpans', () => {
  it('is false only for samplers that never sample a span without a parent', () => {
    expect(samplesRootSpans({ name: 'parentbased_traceidratio', ratio: 0 })).toBe(false);
    expect(samplesRootSpans({ name: 'parentbased_always_off', ratio: 1 })).toBe(false);
    expect(samplesRootSpans({ name: 'always_off', ratio: 1 })).toBe(false);
    expect(samplesRootSpans({ name: 'parentbased_traceidratio', ratio: 0.0001 })).toBe(true);
    expect(samplesRootSpans({ name: 'parentbased_always_on', ratio: 1 })).toBe(true);
  });
});
