/**
 * OpenTelemetry bootstrap: a Node tracer provider exporting spans over OTLP/HTTP (JSON) in
 * batches, configured only by the standard `OTEL_*` variables (tracing-config.ts). With no
 * endpoint configured nothing is created: tracers are no-ops and nothing leaves the process.
 */
import {
  DiagLogLevel,
  ProxyTracerProvider,
  context,
  diag,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { DiagLogger, Tracer, TracerProvider } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from './logging.js';
import { resolveTracingConfig, withComponentTracing } from './tracing-config.js';
import type { ComponentTracingSettings, Env, TracingConfig } from './tracing-config.js';

export interface TracingOptions {
  /** Default `service.name` (the component name) when the environment sets none. */
  serviceName: string;
  serviceVersion?: string;
  /** Defaults to `process.env`. */
  env?: Env;
  /**
   * Install as the process-wide provider, context manager and propagator so instrumentation
   * and `trace.getTracer()` find it. Default true; tests running several turn it off.
   */
  registerGlobal?: boolean;
  /** Receives the SDK's own warnings (failed exports) when registered globally. */
  logger?: Logger;
  /**
   * The component's own tracing settings (a config file, upstream's flags): they turn tracing
   * on and decide endpoint, sampling and service name; other `OTEL_*` variables still apply.
   */
  settings?: ComponentTracingSettings;
}

export interface Tracing {
  readonly enabled: boolean;
  readonly config: TracingConfig;
  /** A tracer from this provider; a no-op tracer when tracing is off. */
  getTracer(name: string, version?: string): Tracer;
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporting; idempotent. */
  shutdown(): Promise<void>;
}

export function buildSampler(config: TracingConfig['sampler']): Sampler {
  switch (config.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) });
  }
}

/**
 * Whether the sampler can sample a span that has no parent. When it cannot, a component may skip
 * creating spans for requests that arrive without a caller's trace context.
 */
export function samplesRootSpans(config: TracingConfig['sampler']): boolean {
  switch (config.name) {
    case 'always_off':
    case 'parentbased_always_off':
      return false;
    case 'traceidratio':
    case 'parentbased_traceidratio':
      return config.ratio > 0;
    default:
      return true;
  }
}

export function startTracing(options: TracingOptions): Tracing {
  const fromEnv = resolveTracingConfig(options.env ?? process.env, options.serviceName);
  const config =
    options.settings === undefined ? fromEnv : withComponentTracing(fromEnv, options.settings);
  if (!config.enabled || config.endpoint === undefined) {
    options.logger?.v(1).info('Tracing disabled', { reason: config.disabledReason });
    const noop: TracerProvider = new ProxyTracerProvider();
    return {
      enabled: false,
      config,
      getTracer: (name, version) => noop.getTracer(name, version),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
  }

  const attributes: Record<string, string> = {
    ...config.resourceAttributes,
    [ATTR_SERVICE_NAME]: config.serviceName,
  };
  if (options.serviceVersion !== undefined && attributes[ATTR_SERVICE_VERSION] === undefined) {
    attributes[ATTR_SERVICE_VERSION] = options.serviceVersion;
  }
  const exporter = new OTLPTraceExporter({
    url: config.endpoint,
    headers: config.headers,
    timeoutMillis: config.timeoutMs,
  });
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(attributes)),
    sampler: buildSampler(config.sampler),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  let registeredGlobally = false;
  if (options.registerGlobal ?? true) {
    provider.register();
    // register() quietly does nothing when another provider holds the global slot (a second
    // component in the same process); then this one must not unregister that one later.
    const global = trace.getTracerProvider();
    registeredGlobally = global instanceof ProxyTracerProvider && global.getDelegate() === provider;
    if (!registeredGlobally) {
      options.logger?.warn('Another tracer provider is already registered globally', {
        hint: 'spans from instrumentation go there; use component.tracing.getTracer()',
      });
    } else if (options.logger !== undefined) {
      diag.setLogger(diagAdapter(options.logger.named('otel')), DiagLogLevel.WARN);
    }
  }
  options.logger?.info('Tracing enabled', {
    endpoint: config.endpoint,
    serviceName: config.serviceName,
    sampler: config.sampler.name,
  });

  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    config,
    getTracer: (name, version) => provider.getTracer(name, version),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => {
      stopped ??= provider.shutdown().finally(() => {
        if (registeredGlobally) {
          // Unregister so the process (or the next test) can install a fresh provider.
          trace.disable();
          context.disable();
          propagation.disable();
          diag.disable();
        }
      });
      return stopped;
    },
  };
}

function diagAdapter(logger: Logger): DiagLogger {
  const text = (message: string, args: unknown[]): string =>
    args.length === 0 ? message : `${message} ${args.map((a) => safeString(a)).join(' ')}`;
  return {
    error: (message, ...args) => logger.error(undefined, text(message, args)),
    warn: (message, ...args) => logger.warn(text(message, args)),
    info: (message, ...args) => logger.v(2).info(text(message, args)),
    debug: (message, ...args) => logger.v(4).info(text(message, args)),
    verbose: (message, ...args) => logger.v(6).info(text(message, args)),
  };
}

function safeString(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
