import { describe, expect, it } from 'vitest';
import { otlpTracesUrl, resolveTracingConfig, withComponentTracing } from './tracing-config.js';

describe('resolveTracingConfig', () => {
  it('is off without an endpoint', () => {
    const config = resolveTracingConfig({}, 'kubets-store');
    expect(config.enabled).toBe(false);
    expect(config.disabledReason).toContain('no OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(config.serviceName).toBe('kubets-store');
  });

  it('appends /v1/traces to the generic endpoint and uses the signal endpoint as is', () => {
    expect(
      resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'x').endpoint,
    ).toBe('http://collector:4318/v1/traces');
    expect(
      resolveTracingConfig(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/custom',
        },
        'x',
      ).endpoint,
    ).toBe('https://traces.example/custom');
  });

  it('treats empty variables as unset', () => {
    expect(resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, 'x').enabled).toBe(false);
  });

  it('honours OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(resolveTracingConfig({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }, 'x')).toMatchObject({
      enabled: false,
      disabledReason: 'OTEL_SDK_DISABLED is true',
    });
    expect(resolveTracingConfig({ ...endpoint, OTEL_SDK_DISABLED: 'false' }, 'x').enabled).toBe(
      true,
    );
    expect(resolveTracingConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }, 'x').enabled).toBe(
      false,
    );
    // A disabled SDK does not validate the rest.
    expect(
      resolveTracingConfig({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_SAMPLER: 'bogus' }, 'x')
        .enabled,
    ).toBe(false);
  });

  it('takes the service name from OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES', () => {
    const attrs = {
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment=dev%20x',
    };
    const fromAttrs = resolveTracingConfig(attrs, 'default');
    expect(fromAttrs.serviceName).toBe('from-attrs');
    expect(fromAttrs.resourceAttributes).toEqual({
      'service.name': 'from-attrs',
      'deployment.environment': 'dev x',
    });
    expect(resolveTracingConfig({ ...attrs, OTEL_SERVICE_NAME: 'explicit' }, 'd').serviceName).toBe(
      'explicit',
    );
  });

  it('reads samplers and ratios', () => {
    expect(resolveTracingConfig({}, 'x').sampler).toEqual({
      name: 'parentbased_always_on',
      ratio: 1,
    });
    expect(
      resolveTracingConfig(
        { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
        'x',
      ).sampler,
    ).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    expect(resolveTracingConfig({ OTEL_TRACES_SAMPLER: 'always_off' }, 'x').sampler.name).toBe(
      'always_off',
    );
  });

  it('merges generic and signal-specific headers and reads the timeout', () => {
    const config = resolveTracingConfig(
      {
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20a,x-tenant=t1',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=t2',
        OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      },
      'x',
    );
    expect(config.headers).toEqual({ authorization: 'Bearer a', 'x-tenant': 't2' });
    expect(config.timeoutMs).toBe(2500);
  });

  it.each([
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER: unknown sampler "sometimes"'],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' },
      'OTEL_TRACES_SAMPLER_ARG: "2" must be a number between 0 and 1',
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" must be an http',
    ],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, 'is not a URL'],
    [
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      'OTEL_EXPORTER_OTLP_PROTOCOL: unsupported protocol "grpc"',
    ],
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER: unsupported exporter "zipkin"'],
    [
      { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' },
      'OTEL_EXPORTER_OTLP_HEADERS: "novalue" must be key=value',
    ],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: '-5' }, 'OTEL_EXPORTER_OTLP_TIMEOUT: "-5" must be a positive'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() =>
      resolveTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', ...env }, 'x'),
    ).toThrow(message);
  });
});

describe('component tracing settings', () => {
  const settings = { endpoint: 'collector:4318', samplingRatePerMillion: 250_000 };

  it('turns tracing on with the endpoint, a parent-based ratio sampler and the identity', () => {
    const config = withComponentTracing(resolveTracingConfig({}, 'kubets-store'), {
      ...settings,
      serviceName: 'etcd',
      serviceInstanceId: 'member-1',
    });
    expect(config.enabled).toBe(true);
    expect(config.endpoint).toBe('http://collector:4318/v1/traces');
    expect(config.sampler).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    expect(config.serviceName).toBe('etcd');
    expect(config.resourceAttributes['service.instance.id']).toBe('member-1');
  });

  it('keeps the other OTEL_* variables and yields to OTEL_SDK_DISABLED', () => {
    const env = { OTEL_EXPORTER_OTLP_HEADERS: 'x-token=abc', OTEL_RESOURCE_ATTRIBUTES: 'a=b' };
    const config = withComponentTracing(resolveTracingConfig(env, 'x'), settings);
    expect(config.headers).toEqual({ 'x-token': 'abc' });
    expect(config.resourceAttributes).toEqual({ a: 'b' });
    const off = resolveTracingConfig({ OTEL_SDK_DISABLED: 'true' }, 'x');
    expect(withComponentTracing(off, settings).enabled).toBe(false);
  });

  it('maps collector addresses to OTLP/HTTP traces URLs and refuses other schemes', () => {
    expect(otlpTracesUrl('localhost:4318')).toBe('http://localhost:4318/v1/traces');
    expect(otlpTracesUrl('https://c.example:443')).toBe('https://c.example/v1/traces');
    expect(otlpTracesUrl('http://c:4318/custom/path')).toBe('http://c:4318/custom/path');
    expect(() => otlpTracesUrl('unix:///var/run/otel.sock')).toThrow(/unsupported scheme "unix"/);
    expect(() => otlpTracesUrl('')).toThrow(/must not be empty/);
  });
});
