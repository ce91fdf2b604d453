// Public API of @kubets/component-base: what every kubets binary stands on.

export { createLogger, discardLogger, checkVerbosity, LOG_FORMATS } from './logging.js';
export type {
  Logger,
  LoggerOptions,
  LogFormat,
  LogSink,
  KeyValues,
  VerboseLogger,
} from './logging.js';
export { formatKlogLine } from './log-text-format.js';
export { serializeError } from './serialize-error.js';
export type { SerializedError } from './serialize-error.js';

export {
  ComponentMetrics,
  createMetrics,
  exponentialBuckets,
  linearBuckets,
  BUILD_INFO_METRIC,
} from './metrics.js';
export type { BuildInfo, MetricsOptions, HistogramDefinition } from './metrics.js';
export {
  HotCount,
  HotHistogram,
  hotCount,
  hotObserver,
  sampledGauge,
  type HotObserver,
  type Tally,
} from './hot-metrics.js';

export { HealthChecks, HEALTH_ENDPOINTS } from './healthz.js';
export type { HealthCheck, HealthEndpoint, CheckOptions, HealthResponse } from './healthz.js';
export { startHealthServer, parseBindAddress } from './health-server.js';
export type { HealthServer, HealthServerOptions } from './health-server.js';

export { startTracing, buildSampler, samplesRootSpans } from './tracing.js';
export type { Tracing, TracingOptions } from './tracing.js';
export {
  resolveTracingConfig,
  TracingConfigError,
  SAMPLER_NAMES,
  MAX_SAMPLING_RATE_PER_MILLION,
  otlpTracesUrl,
  withComponentTracing,
} from './tracing-config.js';
export type {
  TracingConfig,
  SamplerName,
  Env,
  ComponentTracingSettings,
} from './tracing-config.js';
export {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  TRACEPARENT,
  formatTraceparent,
  isSpanContextValid,
  parseTraceparent,
  trace,
} from './trace-context.js';
export type {
  Attributes,
  AttributeValue,
  Context,
  Link,
  Span,
  SpanContext,
  SpanOptions,
  Tracer,
} from './trace-context.js';

export { parseDuration, formatDuration } from './duration.js';
export {
  stringFlag,
  intFlag,
  floatFlag,
  boolFlag,
  durationFlag,
  stringSliceFlag,
  mapFlag,
  enumFlag,
  parseBool,
} from './flag-types.js';
export type {
  FlagSpec,
  AnyFlagSpec,
  FlagSpecs,
  FlagValues,
  FlagOptions,
  NumberFlagOptions,
  DurationFlagOptions,
  EnumFlagOptions,
} from './flag-types.js';
export { parseFlags, validateFlagSpecs, FlagError } from './flags.js';
export type { ParseOutcome, ParsedFlags, ParseOptions, FlagSource } from './flags.js';
export { formatUsage } from './flag-usage.js';
export type { UsageOptions } from './flag-usage.js';
export { runCommand, decideCommand, versionLine, EXIT_USAGE, EXIT_FAILURE } from './command.js';
export type { CommandDefinition, CommandDecision, CommandIO, TextSink } from './command.js';

export {
  loadConfigFile,
  parseConfigFile,
  mergeConfig,
  overlayFlags,
  ConfigFileError,
} from './config-file.js';
export type { ConfigKind, FlagBinding } from './config-file.js';

export { GracefulShutdown } from './shutdown.js';
export type { ShutdownHook, ShutdownOptions, ShutdownState, SignalSource } from './shutdown.js';

export {
  loggingFlags,
  shutdownFlags,
  healthServerFlags,
  bindAddressFlag,
  componentOptionsFromFlags,
} from './component-flags.js';
export { createComponent } from './component.js';
export type { Component, ComponentOptions } from './component.js';
