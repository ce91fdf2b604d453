/**
 * Reads the standard OpenTelemetry environment variables into a tracing configuration. Pure:
 * the environment is a parameter. Bad values are errors naming the variable, not silent
 * fallbacks, so a typo in a Deployment does not quietly turn tracing off.
 *
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */

export type Env = Readonly<Record<string, string | undefined>>;

export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface TracingConfig {
  /** Whether spans are exported at all. */
  enabled: boolean;
  /** Why tracing is off, for the startup log line. */
  disabledReason?: string;
  /** Full OTLP/HTTP traces URL, e.g. `http://collector:4318/v1/traces`. */
  endpoint?: string;
  headers: Record<string, string>;
  timeoutMs: number;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: { name: SamplerName; ratio: number };
}

export class TracingConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'TracingConfigError';
  }
}

/** Treats empty strings as unset, as the OTel spec requires. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Resolves the configuration. `defaultServiceName` (the component name) is used when neither
 * `OTEL_SERVICE_NAME` nor `service.name` in `OTEL_RESOURCE_ATTRIBUTES` is set.
 */
export function resolveTracingConfig(env: Env, defaultServiceName: string): TracingConfig {
  // A switched-off SDK ignores the other variables, so stale ones cannot stop the process.
  const disabled = read(env, 'OTEL_SDK_DISABLED');
  if (disabled !== undefined && disabled.toLowerCase() === 'true') {
    return {
      enabled: false,
      disabledReason: 'OTEL_SDK_DISABLED is true',
      headers: {},
      timeoutMs: 10_000,
      serviceName: read(env, 'OTEL_SERVICE_NAME') ?? defaultServiceName,
      resourceAttributes: {},
      sampler: { name: 'parentbased_always_on', ratio: 1 },
    };
  }
  const resourceAttributes = parseKeyValueList(env, 'OTEL_RESOURCE_ATTRIBUTES');
  const serviceName =
    read(env, 'OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? defaultServiceName;
  const base = {
    headers: {
      ...parseKeyValueList(env, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...parseKeyValueList(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    },
    timeoutMs: parseTimeout(env),
    serviceName,
    resourceAttributes,
    sampler: parseSampler(env),
  };

  const exporters = (read(env, 'OTEL_TRACES_EXPORTER') ?? 'otlp').split(',').map((e) => e.trim());
  if (exporters.every((e) => e === 'none')) {
    return { ...base, enabled: false, disabledReason: 'OTEL_TRACES_EXPORTER is none' };
  }
  const unsupported = exporters.filter((e) => e !== 'otlp' && e !== 'none');
  if (unsupported.length > 0) {
    throw new TracingConfigError(
      'OTEL_TRACES_EXPORTER',
      `unsupported exporter "${unsupported.join(',')}" (supported: otlp, none)`,
    );
  }
  const protocolVariable =
    read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined
      ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
      : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = read(env, protocolVariable);
  // The exporter speaks OTLP/HTTP with JSON bodies; collectors accept JSON wherever they accept
  // http/protobuf, but a gRPC endpoint would not understand it.
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new TracingConfigError(
      protocolVariable,
      `unsupported protocol "${protocol}" (supported: http/json, http/protobuf)`,
    );
  }

  const endpoint = resolveEndpoint(env);
  if (endpoint === undefined) {
    return {
      ...base,
      enabled: false,
      disabledReason: 'no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set',
    };
  }
  return { ...base, enabled: true, endpoint };
}

/** Signal-specific endpoint as is; the generic one gets `/v1/traces` appended. */
function resolveEndpoint(env: Env): string | undefined {
  const specific = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (specific !== undefined) return checkUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific);
  const generic = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (generic === undefined) return undefined;
  checkUrl('OTEL_EXPORTER_OTLP_ENDPOINT', generic);
  return `${generic.replace(/\/+$/, '')}/v1/traces`;
}

function checkUrl(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TracingConfigError(variable, `"${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TracingConfigError(variable, `"${value}" must be an http:// or https:// URL`);
  }
  return value;
}

function parseSampler(env: Env): { name: SamplerName; ratio: number } {
  const raw = read(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on';
  const name = SAMPLER_NAMES.find((s) => s === raw);
  if (name === undefined) {
    throw new TracingConfigError(
      'OTEL_TRACES_SAMPLER',
      `unknown sampler "${raw}" (supported: ${SAMPLER_NAMES.join(', ')})`,
    );
  }
  const arg = read(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (arg === undefined || !name.endsWith('traceidratio')) return { name, ratio: 1 };
  const ratio = Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new TracingConfigError(
      'OTEL_TRACES_SAMPLER_ARG',
      `"${arg}" must be a number between 0 and 1`,
    );
  }
  return { name, ratio };
}

function parseTimeout(env: Env): number {
  const variable =
    read(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') !== undefined
      ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT'
      : 'OTEL_EXPORTER_OTLP_TIMEOUT';
  const raw = read(env, variable);
  if (raw === undefined) return 10_000;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new TracingConfigError(variable, `"${raw}" must be a positive number of milliseconds`);
  }
  return ms;
}

/** The W3C-baggage-like `k=v,k2=v2` list used by the headers and resource variables. */
function parseKeyValueList(env: Env, variable: string): Record<string, string> {
  const raw = read(env, variable);
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new TracingConfigError(variable, `"${item.trim()}" must be key=value`);
    try {
      out[decodeURIComponent(item.slice(0, eq).trim())] = decodeURIComponent(
        item.slice(eq + 1).trim(),
      );
    } catch {
      throw new TracingConfigError(variable, `"${item.trim()}" has invalid percent-encoding`);
    }
  }
  return out;
}

/**
 * Tracing a component's own configuration turns on (kube-apiserver's `--tracing-config-file`,
 * etcd's `--experimental-distributed-tracing-*` flags). It decides the endpoint, the sampler and
 * the service identity; the other `OTEL_*` variables (headers, timeout, resource attributes)
 * still apply, as they do for upstream's Go exporter.
 */
export interface ComponentTracingSettings {
  /** `host:port` or an `http(s)://` URL of an OTLP/HTTP receiver. */
  endpoint: string;
  /** Root spans sampled per million; a sampled parent is always followed. */
  samplingRatePerMillion: number;
  serviceName?: string;
  /** `service.instance.id`, when not empty. */
  serviceInstanceId?: string;
}

export const MAX_SAMPLING_RATE_PER_MILLION = 1_000_000;

/**
 * The OTLP/HTTP traces URL for a collector address: `host:port` becomes
 * `http://host:port/v1/traces`; a URL without a path gets `/v1/traces`; a URL with a path is
 * used as it is. Throws an Error describing what is wrong.
 */
export function otlpTracesUrl(endpoint: string): string {
  const value = endpoint.trim();
  if (value === '') throw new Error('must not be empty');
  const withScheme = value.includes('//') ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`"${endpoint}" is not a host:port or URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(
      `unsupported scheme "${url.protocol.replace(/:$/, '')}" in "${endpoint}" (the exporter speaks OTLP/HTTP: use host:port, http:// or https://)`,
    );
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/traces';
  return url.toString();
}

/**
 * The configuration when a component's own settings turn tracing on: `base` (from `OTEL_*`)
 * with the settings' endpoint, a parent-based per-million sampler and the service identity.
 * `OTEL_SDK_DISABLED=true` still wins: it is the operator's switch for the whole SDK.
 */
export function withComponentTracing(
  base: TracingConfig,
  settings: ComponentTracingSettings,
): TracingConfig {
  if (!base.enabled && base.disabledReason === 'OTEL_SDK_DISABLED is true') return base;
  const resourceAttributes = { ...base.resourceAttributes };
  if (settings.serviceInstanceId) {
    resourceAttributes['service.instance.id'] = settings.serviceInstanceId;
  }
  const { disabledReason: _ignored, ...rest } = base;
  return {
    ...rest,
    enabled: true,
    endpoint: otlpTracesUrl(settings.endpoint),
    serviceName: settings.serviceName ?? base.serviceName,
    resourceAttributes,
    sampler: {
      name: 'parentbased_traceidratio',
      ratio: settings.samplingRatePerMillion / MAX_SAMPLING_RATE_PER_MILLION,
    },
  };
}
