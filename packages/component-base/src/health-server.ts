/**
 * The small plain-HTTP server every component runs for probes and scrapes: `/metrics`,
 * `/healthz`, `/livez`, `/readyz` and the per-check paths below them.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthChecks } from './healthz.js';
import { HEALTH_ENDPOINTS } from './healthz.js';
import type { Logger } from './logging.js';
import type { ComponentMetrics } from './metrics.js';

export interface HealthServerOptions {
  checks: HealthChecks;
  /** Served at `/metrics` when given. */
  metrics?: ComponentMetrics;
  /** Interface to bind; default `0.0.0.0` like upstream `--healthz-bind-address`. */
  host?: string;
  /** Port; 0 picks a free one (tests). */
  port?: number;
  logger?: Logger;
}

export interface HealthServer {
  /** Bound address, e.g. `127.0.0.1`. */
  readonly host: string;
  /** Bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** `http://host:port`, with IPv6 hosts bracketed. */
  readonly url: string;
  readonly server: Server;
  /** Stops listening and drops idle keep-alive connections. */
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? '0.0.0.0';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`health server port must be 0-65535, got ${port}`);
  }
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
      options.logger?.error(err, 'health server request failed', { path: req.url });
      if (!res.headersSent) send(res, req, 500, TEXT, 'internal server error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const bracketed = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${bracketed}:${address.port}`;
  options.logger?.info('Serving health and metrics', { address: `${bracketed}:${address.port}` });
  let closed: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    url,
    server,
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        // Probes and scrapers keep connections alive; idle ones would hold close() open.
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: HealthServerOptions,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, req, 405, TEXT, 'method not allowed\n');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path === '/metrics' && options.metrics !== undefined) {
    const body = await options.metrics.scrape();
    send(res, req, 200, options.metrics.contentType, body);
    return;
  }
  const [, first, ...rest] = path.split('/');
  const endpoint = HEALTH_ENDPOINTS.find((e) => e === first);
  if (endpoint !== undefined) {
    const result =
      rest.length === 0 || (rest.length === 1 && rest[0] === '')
        ? await options.checks.evaluate(endpoint, {
            verbose: url.searchParams.has('verbose'),
            exclude: url.searchParams.getAll('exclude'),
          })
        : await options.checks.evaluateOne(endpoint, rest.join('/'));
    send(res, req, result.status, TEXT, result.body);
    return;
  }
  send(res, req, 404, TEXT, '404 page not found\n');
}

function send(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  contentType: string,
  body: string,
): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Splits a `host:port` bind address (`127.0.0.1:10256`, `[::1]:10256`, `:10256` for all
 * interfaces), as upstream `--healthz-bind-address` / `--metrics-bind-address` take.
 */
export function parseBindAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.%a-zA-Z]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (match === null) {
    throw new Error(`bind address "${text}" must be host:port (IPv6 hosts in brackets)`);
  }
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`bind address "${text}": port ${port} is out of range`);
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}
