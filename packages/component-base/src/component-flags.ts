/**
 * The flags every kubets binary shares, named as upstream names them, and their translation
 * into `createComponent` options. A binary spreads them into its own flag specs:
 *
 *   const flags = { ...loggingFlags, ...healthServerFlags('0.0.0.0:10259'), ...shutdownFlags, ... };
 */
import type { ComponentOptions } from './component.js';
import { durationFlag, enumFlag, intFlag } from './flag-types.js';
import type { FlagOptions, FlagSpec, FlagValues } from './flag-types.js';
import { parseBindAddress } from './health-server.js';
import { LOG_FORMATS } from './logging.js';

export const loggingFlags = {
  v: intFlag({
    help: 'number for the log level verbosity',
    shorthand: 'v',
    min: 0,
    group: 'Logging flags',
  }),
  'logging-format': enumFlag({
    values: LOG_FORMATS,
    default: 'json',
    help: 'Sets the log format.',
    group: 'Logging flags',
  }),
};

export const shutdownFlags = {
  'shutdown-grace-period': durationFlag({
    default: '30s',
    min: 0,
    help: 'Time allowed for graceful shutdown (readiness off, delay, shutdown hooks) before the process exits with an error.',
    group: 'Shutdown flags',
  }),
  'shutdown-delay-duration': durationFlag({
    default: 0,
    min: 0,
    help: 'Time to keep serving after /readyz starts failing, so load balancers can stop sending traffic before the component stops.',
    group: 'Shutdown flags',
  }),
};

/** A `host:port` flag, validated when parsed. */
export function bindAddressFlag(
  options: FlagOptions<string> & { default: string },
): FlagSpec<string> {
  parseBindAddress(options.default);
  return {
    typeName: 'string',
    default: options.default,
    help: options.help,
    shorthand: options.shorthand,
    env: options.env,
    group: options.group,
    isBool: false,
    parse: (raw) => {
      parseBindAddress(raw);
      return raw;
    },
    formatDefault: (value) => JSON.stringify(value),
  };
}

/** `--healthz-bind-address` (kube-proxy's name) for the health and metrics server. */
export function healthServerFlags(defaultAddress: string): {
  'healthz-bind-address': FlagSpec<string>;
} {
  return {
    'healthz-bind-address': bindAddressFlag({
      default: defaultAddress,
      help: 'The address (host:port) of the health and metrics server (/healthz, /livez, /readyz, /metrics). Port 0 picks a free port.',
      group: 'Server flags',
    }),
  };
}

type StandardFlags = typeof loggingFlags &
  typeof shutdownFlags &
  ReturnType<typeof healthServerFlags>;

/** The `createComponent` options that the standard flags determine. */
export function componentOptionsFromFlags(
  values: FlagValues<StandardFlags>,
): Pick<ComponentOptions, 'logging' | 'health' | 'shutdown'> {
  return {
    logging: { verbosity: values.v, format: values['logging-format'] },
    health: parseBindAddress(values['healthz-bind-address']),
    shutdown: {
      gracePeriodMs: values['shutdown-grace-period'],
      delayMs: values['shutdown-delay-duration'],
    },
  };
}
