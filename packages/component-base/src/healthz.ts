/**
 * Named health checks behind `/healthz`, `/livez` and `/readyz`, with the semantics of
 * k8s.io/apiserver/pkg/server/healthz:
 *
 * - all checks pass: 200 `ok`; with `?verbose`, one `[+]name ok` line per check and
 *   `<endpoint> check passed`;
 * - any check fails: 500 and always the verbose listing, failures as
 *   `[-]name failed: reason withheld` (the reason is logged, not served: these endpoints are
 *   public) and `<endpoint> check failed`;
 * - `?exclude=name` (repeatable) skips a check (`[+]name excluded: ok`), warning about names
 *   that match nothing;
 * - `/<endpoint>/<name>` runs one check and, unlike the aggregate, shows the reason.
 *
 * Every endpoint has `ping`; `/readyz` also has `shutdown`, which fails once graceful shutdown
 * begins so load balancers stop sending traffic, as kube-apiserver does.
 */
import type { Logger } from './logging.js';

export const HEALTH_ENDPOINTS = ['healthz', 'livez', 'readyz'] as const;
export type HealthEndpoint = (typeof HEALTH_ENDPOINTS)[number];

/** A check passes by returning (or resolving) and fails by throwing (or rejecting). */
export type HealthCheck = () => void | Promise<void>;

export interface CheckOptions {
  /** Endpoints the check belongs to; default all three. */
  endpoints?: readonly HealthEndpoint[];
  /** Fail the check when it takes longer than this; default no limit. */
  timeoutMs?: number;
}

export interface HealthResponse {
  status: 200 | 404 | 500;
  body: string;
}

interface Registered {
  name: string;
  check: HealthCheck;
  timeoutMs: number | undefined;
}

const CHECK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._/-]*$/;

export class HealthChecks {
  private readonly checks = new Map<HealthEndpoint, Registered[]>(
    HEALTH_ENDPOINTS.map((endpoint) => [endpoint, []]),
  );
  private shutdownReason: string | undefined;

  constructor(private readonly logger?: Logger) {
    this.add('ping', () => undefined);
    this.add(
      'shutdown',
      () => {
        if (this.shutdownReason !== undefined) {
          throw new Error(`process is shutting down: ${this.shutdownReason}`);
        }
      },
      { endpoints: ['readyz'] },
    );
  }

  /** Registers a check; names are unique per endpoint. */
  add(name: string, check: HealthCheck, options: CheckOptions = {}): void {
    if (!CHECK_NAME.test(name)) throw new Error(`invalid health check name "${name}"`);
    const endpoints = options.endpoints ?? HEALTH_ENDPOINTS;
    for (const endpoint of endpoints) {
      if (this.list(endpoint).some((c) => c.name === name)) {
        throw new Error(`health check "${name}" is already registered on /${endpoint}`);
      }
    }
    for (const endpoint of endpoints) {
      this.list(endpoint).push({ name, check, timeoutMs: options.timeoutMs });
    }
  }

  addReadyz(name: string, check: HealthCheck, options: Omit<CheckOptions, 'endpoints'> = {}): void {
    this.add(name, check, { ...options, endpoints: ['readyz'] });
  }

  addLivez(name: string, check: HealthCheck, options: Omit<CheckOptions, 'endpoints'> = {}): void {
    this.add(name, check, { ...options, endpoints: ['livez'] });
  }

  /** Makes `/readyz` fail from now on; called when graceful shutdown begins. */
  markShuttingDown(reason = 'shutdown requested'): void {
    this.shutdownReason ??= reason;
  }

  get shuttingDown(): boolean {
    return this.shutdownReason !== undefined;
  }

  names(endpoint: HealthEndpoint): string[] {
    return this.list(endpoint).map((c) => c.name);
  }

  /** The aggregate endpoint (`/readyz?verbose&exclude=etcd`). */
  async evaluate(
    endpoint: HealthEndpoint,
    query: { verbose?: boolean; exclude?: readonly string[] } = {},
  ): Promise<HealthResponse> {
    const excluded = new Set(query.exclude ?? []);
    const checks = this.list(endpoint);
    // Checks run concurrently so one slow dependency does not add to the others' latency;
    // output keeps registration order.
    const results = await Promise.all(
      checks.map(async (c) => {
        if (excluded.has(c.name)) return { name: c.name, excluded: true, error: undefined };
        return { name: c.name, excluded: false, error: await run(c) };
      }),
    );
    let listing = '';
    const failures: string[] = [];
    for (const r of results) {
      excluded.delete(r.name);
      if (r.excluded) {
        listing += `[+]${r.name} excluded: ok\n`;
      } else if (r.error !== undefined) {
        listing += `[-]${r.name} failed: reason withheld\n`;
        failures.push(`[-]${r.name} failed: ${r.error}`);
      } else {
        listing += `[+]${r.name} ok\n`;
      }
    }
    if (excluded.size > 0) {
      const names = [...excluded].map((n) => JSON.stringify(n)).join(', ');
      listing += `warn: some health checks cannot be excluded: no matches for ${names}\n`;
    }
    if (failures.length > 0) {
      this.logger?.v(2).info(`/${endpoint} check failed`, { failures: failures.join('\n') });
      return { status: 500, body: `${listing}${endpoint} check failed\n` };
    }
    if (query.verbose !== true) return { status: 200, body: 'ok' };
    return { status: 200, body: `${listing}${endpoint} check passed\n` };
  }

  /** One check (`/readyz/etcd`); 404 when the endpoint has no check of that name. */
  async evaluateOne(endpoint: HealthEndpoint, name: string): Promise<HealthResponse> {
    const check = this.list(endpoint).find((c) => c.name === name);
    if (check === undefined) return { status: 404, body: '404 page not found\n' };
    const error = await run(check);
    if (error === undefined) return { status: 200, body: 'ok' };
    return { status: 500, body: `internal server error: ${error}\n` };
  }

  private list(endpoint: HealthEndpoint): Registered[] {
    return this.checks.get(endpoint) as Registered[];
  }
}

/** Runs a check; returns the failure reason, or undefined when it passed. */
async function run(registered: Registered): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const attempt = Promise.resolve().then(registered.check);
    if (registered.timeoutMs === undefined) {
      await attempt;
    } else {
      const limit = registered.timeoutMs;
      await Promise.race([
        attempt,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${limit}ms`)), limit);
        }),
      ]);
    }
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
