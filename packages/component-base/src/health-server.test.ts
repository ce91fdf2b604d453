import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../test/prom-text.js';
import { HealthChecks } from './healthz.js';
import { parseBindAddress, startHealthServer } from './health-server.js';
import type { HealthServer } from './health-server.js';
import { createMetrics } from './metrics.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function fetchText(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const servers: HealthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(healthy = { value: true }) {
  const checks = new HealthChecks();
  checks.add('etcd', () => {
    if (!healthy.value) throw new Error('no leader');
  });
  const metrics = createMetrics({ component: 'kubets-test', version: '0.1.0' });
  const server = await startHealthServer({ checks, metrics, host: '127.0.0.1', port: 0 });
  servers.push(server);
  return { server, checks, metrics, healthy };
}

describe('health server', () => {
  it('reports the bound address when port 0 was asked for', async () => {
    const { server } = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const { server, metrics } = await start();
    const requests = metrics.counter({
      name: 'kubets_test_requests_total',
      help: 'Requests with "quotes", a \\ backslash\nand a newline.',
      labelNames: ['path'],
    });
    requests.inc({ path: '/a "quoted" \\ path\nwith newline' }, 7);
    requests.inc({ path: '/b' });
    const reply = await fetchText(`${server.url}/metrics`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseExposition(reply.body);
    const family = families.get('kubets_test_requests_total');
    expect(family?.type).toBe('counter');
    expect(family?.help).toBe('Requests with "quotes", a \\ backslash\nand a newline.');
    expect(
      sampleValue(families, 'kubets_test_requests_total', {
        path: '/a "quoted" \\ path\nwith newline',
      }),
    ).toBe(7);
    expect(sampleValue(families, 'kubets_test_requests_total', { path: '/b' })).toBe(1);
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(sampleValue(families, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(families, 'kubets_build_info', { component: 'kubets-test' })).toBe(1);
  });

  it('serves /healthz, /livez and /readyz with upstream bodies and headers', async () => {
    const { server } = await start();
    for (const endpoint of ['healthz', 'livez', 'readyz']) {
      const reply = await fetchText(`${server.url}/${endpoint}`);
      expect(reply).toMatchObject({ status: 200, body: 'ok' });
      expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
    }
    const verbose = await fetchText(`${server.url}/readyz?verbose`);
    expect(verbose.body).toBe('[+]ping ok\n[+]shutdown ok\n[+]etcd ok\nreadyz check passed\n');
  });

  it('fails with 500 when a check fails, honours exclude, serves single checks', async () => {
    const { server } = await start({ value: false });
    const failed = await fetchText(`${server.url}/livez`);
    expect(failed).toMatchObject({
      status: 500,
      body: '[+]ping ok\n[-]etcd failed: reason withheld\nlivez check failed\n',
    });
    expect(await fetchText(`${server.url}/livez?exclude=etcd`)).toMatchObject({
      status: 200,
      body: 'ok',
    });
    expect(await fetchText(`${server.url}/livez/etcd`)).toMatchObject({
      status: 500,
      body: 'internal server error: no leader\n',
    });
    expect(await fetchText(`${server.url}/livez/ping`)).toMatchObject({ status: 200, body: 'ok' });
    expect((await fetchText(`${server.url}/livez/nope`)).status).toBe(404);
  });

  it('turns /readyz red when shutdown begins while /livez stays green', async () => {
    const { server, checks } = await start();
    checks.markShuttingDown();
    const readyz = await fetchText(`${server.url}/readyz?verbose`);
    expect(readyz.status).toBe(500);
    expect(readyz.body).toContain('[-]shutdown failed: reason withheld\n');
    expect((await fetchText(`${server.url}/livez`)).status).toBe(200);
  });

  it('answers HEAD without a body, 405 for other methods, 404 elsewhere', async () => {
    const { server } = await start();
    const head = await fetchText(`${server.url}/healthz`, 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe('2');
    const post = await fetchText(`${server.url}/healthz`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(await fetchText(`${server.url}/nope`)).toMatchObject({
      status: 404,
      body: '404 page not found\n',
    });
  });

  it('fails clearly when the port is taken', async () => {
    const { server } = await start();
    await expect(
      startHealthServer({ checks: new HealthChecks(), host: '127.0.0.1', port: server.port }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('stops accepting connections after close, which is idempotent', async () => {
    const { server } = await start();
    await Promise.all([server.close(), server.close()]);
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    await expect(fetchText(`${server.url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('parseBindAddress', () => {
  it.each([
    ['127.0.0.1:10256', { host: '127.0.0.1', port: 10256 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    [':10249', { host: '0.0.0.0', port: 10249 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('parses %s', (text, expected) => {
    expect(parseBindAddress(text)).toEqual(expected);
  });

  it.each(['127.0.0.1', '::1:80', 'host:99999', 'host:', 'host:x'])('rejects %s', (text) => {
    expect(() => parseBindAddress(text)).toThrow(/bind address/);
  });
});
