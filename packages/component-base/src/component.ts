/**
 * `createComponent` wires what every kubets binary needs, in the order upstream components
 * start them: logger, metrics registry, health checks, tracing, signal handling, and the
 * health/metrics server. Shutdown runs in reverse: the component's own hooks (registered after
 * creation) first, then tracing flush, then the health server closes, then the process exits.
 */
import { HealthChecks } from './healthz.js';
import { startHealthServer } from './health-server.js';
import type { HealthServer } from './health-server.js';
import { createLogger } from './logging.js';
import type { Logger, LoggerOptions } from './logging.js';
import { ComponentMetrics } from './metrics.js';
import { GracefulShutdown } from './shutdown.js';
import type { ShutdownHook, ShutdownOptions, SignalSource } from './shutdown.js';
import { startTracing } from './tracing.js';
import type { Tracing } from './tracing.js';
import type { ComponentTracingSettings, Env } from './tracing-config.js';

export interface ComponentOptions {
  /** Binary name: `kubets-store`, `kubets-scheduler`, ... */
  name: string;
  version: string;
  gitVersion?: string;
  gitCommit?: string;
  /** Logger settings; ignored when `logger` is given. */
  logging?: Omit<LoggerOptions, 'component'>;
  /** Use this logger instead of creating one. */
  logger?: Logger;
  /** Health/metrics server address; `false` for none. Default `0.0.0.0:0`. */
  health?: { host?: string; port?: number } | false;
  /** Register `process_*`/`nodejs_*` metrics. Default true. */
  defaultMetrics?: boolean;
  /** Tracing comes from `OTEL_*` in `env` (default `process.env`); `false` turns it off. */
  tracing?:
    | { env?: Env; registerGlobal?: boolean; settings?: ComponentTracingSettings | undefined }
    | false;
  shutdown?: Pick<ShutdownOptions, 'gracePeriodMs' | 'delayMs' | 'exit' | 'signals'> & {
    /** Where signals come from; default `process`, `false` to not listen. */
    signalSource?: SignalSource | false;
  };
}

export interface Component {
  readonly name: string;
  readonly version: string;
  readonly logger: Logger;
  readonly metrics: ComponentMetrics;
  readonly health: HealthChecks;
  /** Undefined when the component was created with `health: false`. */
  readonly server: HealthServer | undefined;
  readonly tracing: Tracing;
  readonly shutdown: GracefulShutdown;
  /** Registers a shutdown hook; hooks run in reverse registration order. */
  onShutdown(name: string, hook: ShutdownHook): () => void;
  /** Shuts down as if signalled; resolves with the exit code (after `exit` was called). */
  stop(reason?: string): Promise<number>;
}

export async function createComponent(options: ComponentOptions): Promise<Component> {
  const logger = options.logger ?? createLogger({ ...options.logging, component: options.name });
  logger.info('Starting component', {
    version: options.version,
    gitVersion: options.gitVersion ?? `v${options.version}`,
    nodeVersion: process.version,
  });

  const metrics = new ComponentMetrics({
    component: options.name,
    version: options.version,
    gitVersion: options.gitVersion,
    gitCommit: options.gitCommit,
    defaultMetrics: options.defaultMetrics,
  });
  const health = new HealthChecks(logger.named('healthz'));

  const tracing = startTracing({
    serviceName: options.name,
    serviceVersion: options.version,
    env: options.tracing === false ? { OTEL_SDK_DISABLED: 'true' } : options.tracing?.env,
    registerGlobal: options.tracing === false ? false : options.tracing?.registerGlobal,
    ...(options.tracing !== false && options.tracing?.settings !== undefined
      ? { settings: options.tracing.settings }
      : {}),
    logger,
  });

  const shutdown = new GracefulShutdown({
    logger,
    gracePeriodMs: options.shutdown?.gracePeriodMs,
    delayMs: options.shutdown?.delayMs,
    exit: options.shutdown?.exit,
    signals: options.shutdown?.signals,
    onStart: (reason) => health.markShuttingDown(reason),
  });

  let server: HealthServer | undefined;
  if (options.health !== false) {
    const host = options.health?.host ?? '0.0.0.0';
    const port = options.health?.port ?? 0;
    try {
      server = await startHealthServer({ checks: health, metrics, host, port, logger });
    } catch (err) {
      await tracing.shutdown();
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`cannot serve health and metrics on ${host}:${port}: ${reason}`, {
        cause: err,
      });
    }
    const listening = server;
    shutdown.onShutdown('health-server', () => listening.close());
  }
  shutdown.onShutdown('tracing', () => tracing.shutdown());

  const signalSource = options.shutdown?.signalSource ?? process;
  if (signalSource !== false) shutdown.install(signalSource);

  return {
    name: options.name,
    version: options.version,
    logger,
    metrics,
    health,
    server,
    tracing,
    shutdown,
    onShutdown: (name, hook) => shutdown.onShutdown(name, hook),
    stop: (reason = 'stop requested') => shutdown.shutdown(reason),
  };
}
