import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthChecks } from '@kubets/component-base';
import { Catalog } from '../registry/catalog.js';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import { configMapDefinition } from '../../test/helpers/fixtures.js';
import { versionInfo } from '../version.js';
import { createApiHandler } from './handler.js';
import { OpenAPIService } from './openapi.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A handler over a registry whose reads wait for `release()`. */
async function serve(maxInflight: { readOnly: number; mutating: number }) {
  const waiting: (() => void)[] = [];
  const def = configMapDefinition();
  const fake = {
    def,
    get: () =>
      new Promise((resolve) =>
        waiting.push(() =>
          resolve({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
        ),
      ),
  } as unknown as ResourceRegistry;
  const catalog = new Catalog();
  catalog.add(fake);
  const handler = createApiHandler({
    catalog,
    openapi: new OpenAPIService(catalog, 'v1.32.0'),
    version: versionInfo('0.0.0'),
    health: new HealthChecks(),
    serverAddress: () => '127.0.0.1:0',
    maxInflight,
  });
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, release: () => waiting.splice(0).forEach((w) => w()), waiting };
}

describe('max in-flight requests', () => {
  it('answers 429 with Retry-After beyond the limit and recovers', async () => {
    const s = await serve({ readOnly: 1, mutating: 1 });
    const first = fetch(`${s.url}/api/v1/namespaces/default/configmaps/x`);
    while (s.waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await fetch(`${s.url}/api/v1/namespaces/default/configmaps/x`);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await second.json()).toMatchObject({
      reason: 'TooManyRequests',
      message: 'Too many requests, please try again later.',
    });
    // Health checks are exempt.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    s.release();
    expect((await first).status).toBe(200);
    const third = fetch(`${s.url}/api/v1/namespaces/default/configmaps/x`);
    while (s.waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
    s.release();
    expect((await third).status).toBe(200);
  });

  it('answers unknown paths and methods with Status objects', async () => {
    const s = await serve({ readOnly: 0, mutating: 0 });
    const res = await fetch(`${s.url}/api/v1/namespaces/default/widgets`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
    const cluster = await fetch(`${s.url}/api/v1/configmaps/x`);
    expect(cluster.status).toBe(404);
    const sub = await fetch(`${s.url}/api/v1/namespaces/default/configmaps/x/status`);
    expect(sub.status).toBe(404);
  });
});
