/**
 * `--tracing-config-file`: kube-apiserver's TracingConfiguration (apiserver.config.k8s.io),
 * checked as upstream checks it (strict fields, sampling rate 0..1000000) and turned into the
 * component's tracing settings. Pure: the file's text is a parameter.
 */
import {
  MAX_SAMPLING_RATE_PER_MILLION,
  otlpTracesUrl,
  parseConfigFile,
  type ComponentTracingSettings,
} from '@kubets/component-base';

export const TRACING_CONFIG_KIND = {
  apiVersion: ['apiserver.config.k8s.io/v1beta1', 'apiserver.config.k8s.io/v1alpha1'],
  kind: 'TracingConfiguration',
} as const;

/**
 * Where spans go when the file names no endpoint. Upstream's default is localhost:4317, the
 * OTLP/gRPC port; kubets's exporter speaks OTLP/HTTP, whose port is 4318.
 */
export const DEFAULT_TRACING_ENDPOINT = 'localhost:4318';

const FIELDS = new Set(['apiVersion', 'kind', 'endpoint', 'samplingRatePerMillion']);

function validate(config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(config)) {
    if (!FIELDS.has(key)) problems.push(`unknown field "${key}"`);
  }
  const rate = config.samplingRatePerMillion;
  if (rate !== undefined && rate !== null) {
    if (typeof rate !== 'number' || !Number.isInteger(rate)) {
      problems.push(
        `samplingRatePerMillion: Invalid value: ${JSON.stringify(rate)}: must be an integer`,
      );
    } else if (rate < 0) {
      problems.push(
        `samplingRatePerMillion: Invalid value: ${rate}: sampling rate must be positive`,
      );
    } else if (rate > MAX_SAMPLING_RATE_PER_MILLION) {
      problems.push(
        `samplingRatePerMillion: Invalid value: ${rate}: sampling rate per million must be less than or equal to one million`,
      );
    }
  }
  const endpoint = config.endpoint;
  if (endpoint !== undefined && endpoint !== null) {
    if (typeof endpoint !== 'string') {
      problems.push(`endpoint: Invalid value: ${JSON.stringify(endpoint)}: must be a string`);
    } else {
      try {
        otlpTracesUrl(endpoint);
      } catch (err) {
        problems.push(`endpoint: Invalid value: "${endpoint}": ${(err as Error).message}`);
      }
    }
  }
  return problems;
}

/**
 * The tracing settings a TracingConfiguration file asks for. An unset sampling rate samples no
 * root span (only requests whose trusted caller sampled them), as upstream.
 */
export function parseTracingConfiguration(
  text: string,
  path: string,
  serviceInstanceId: string,
): ComponentTracingSettings {
  const config = parseConfigFile(text, path, { ...TRACING_CONFIG_KIND, validate });
  const endpoint = typeof config.endpoint === 'string' ? config.endpoint : DEFAULT_TRACING_ENDPOINT;
  const rate =
    typeof config.samplingRatePerMillion === 'number' ? config.samplingRatePerMillion : 0;
  return {
    endpoint,
    samplingRatePerMillion: rate,
    serviceName: 'apiserver',
    serviceInstanceId,
  };
}
