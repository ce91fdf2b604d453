/**
 * The gRPC transport against an in-process Resources server backed by the fake's object tracker:
 * verbs and options on the wire, credentials as metadata, Status errors rebuilt from trailers,
 * watch errors as ERROR events, transport failures as ConnectionErrors, and an informer on top.
 * The same transport against the real API server is in apiserver-integration.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isNotFound,
  isTimeout,
  StatusError,
  type KubeObject,
} from '@kubets/apimachinery';
import { newClientset, type Clientset } from '../src/clientset.js';
import type { ClientConfig } from '../src/config/client-config.js';
import { GrpcDynamicClient } from '../src/grpc/dynamic-client.js';
import { ConnectionError, isRetriable } from '../src/rest/errors.js';
import { NO_RETRIES } from '../src/rest/retry.js';
import { SharedIndexInformer, waitForCacheSync } from '../src/cache/shared-informer.js';
import { unlimitedRateLimiter } from '../src/flowcontrol/rate-limiter.js';
import { noopLogger } from '../src/util/logger.js';
import { FakeClock, newFakeClient, PODS, failWith } from '../src/testing/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestResourcesServer, type TestResourcesServer } from './support/grpc-test-server.js';
import { freePort } from '../../apiserver/test/helpers/etcd.js';
import { makeTestPki, opensslMissingReason, type TestPki } from './support/pki.js';

function config(address: string, extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    server: `http://${address}`,
    grpcServer: address,
    tls: false,
    insecureSkipTLSVerify: false,
    namespace: 'default',
    ...extra,
  };
}

const pod = (name: string, ns = 'default'): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
  }) as KubeObject;

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(extra: Partial<ClientConfig> = {}): Promise<{
  fake: ReturnType<typeof newFakeClient>;
  server: TestResourcesServer;
  cs: Clientset;
}> {
  const fake = newFakeClient({ historyLimit: 1000 });
  const server = await startTestResourcesServer(fake);
  const cs = newClientset(config(server.address, extra), {
    rateLimiter: unlimitedRateLimiter,
    retry: NO_RETRIES,
  });
  cleanup.push(
    () => server.stop(),
    () => cs.close(),
  );
  return { fake, server, cs };
}

describe('gRPC transport', () => {
  it('runs every verb through the wire, with the bearer token and impersonation as metadata', async () => {
    const { server, cs } = await setup({
      bearerToken: 'tok',
      impersonate: { user: 'alice', groups: ['a', 'b'] },
    });
    const pods = cs.coreV1.pods('default');
    const created = await pods.create(pod('p1'));
    expect(created.metadata?.uid).toBeTruthy();
    expect((await pods.get('p1')).metadata?.resourceVersion).toBe(
      created.metadata?.resourceVersion,
    );
    const updated = await pods.update({
      ...created,
      metadata: { ...created.metadata, labels: { app: 'v2' } },
    });
    expect(updated.metadata?.labels).toEqual({ app: 'v2' });
    const patched = await pods.patch('p1', 'application/merge-patch+json', {
      metadata: { annotations: { a: 'b' } },
    });
    expect(patched.metadata?.annotations).toEqual({ a: 'b' });
    const st = await pods.updateStatus({ ...patched, status: { phase: 'Running' } } as KubeObject);
    expect((st as { status?: { phase?: string } }).status?.phase).toBe('Running');
    await pods.create(pod('p2'));
    await pods.create(pod('p3'));
    const page1 = await pods.list({ limit: 2 });
    expect(page1.items.map((p) => p.metadata?.name)).toEqual(['p1', 'p2']);
    expect(page1.continue).toBeTruthy();
    const page2 = await pods.list({ limit: 2, continue: page1.continue });
    expect(page2.items.map((p) => p.metadata?.name)).toEqual(['p3']);
    await pods.delete('p3');
    await expect(pods.get('p3')).rejects.toSatisfy(isNotFound);
    await cs.coreV1.pods('default').deleteCollection({}, { labelSelector: 'app=web' });
    expect((await cs.coreV1.pods().list()).items.map((p) => p.metadata?.name)).toEqual(['p1']);

    const md = server.calls[0]!.metadata;
    expect(md.get('authorization')).toEqual(['Bearer tok']);
    expect(md.get('impersonate-user')).toEqual(['alice']);
    expect(String(md.get('user-agent')[0])).toMatch(/^\S+\/v\d+\.\d+\.\d+ \(\w+\/\w+\) kubets/);
    // HTTP/2 folds repeated headers into one, comma-separated (as HTTP/1.1 does for REST).
    expect(md.get('impersonate-group').join(', ')).toBe('a, b');
  });

  it('re-reads a rotated token file (in-cluster service-account tokens) once a minute', async () => {
    const { server } = await setup();
    const dir = mkdtempSync(join(tmpdir(), 'kubets-client-token-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'token');
    writeFileSync(file, 'first\n');
    const clock = new FakeClock(Date.now());
    const client = new GrpcDynamicClient(
      config(server.address, { bearerToken: 'first', bearerTokenFile: file }),
      { clock },
    );
    cleanup.push(() => client.close());
    const pods = client.resource(PODS).namespace('default');
    await pods.list();
    writeFileSync(file, 'second\n');
    await pods.list();
    await clock.advance(60_000);
    await pods.list();
    expect(server.calls.slice(-3).map((c) => c.metadata.get('authorization')[0])).toEqual([
      'Bearer first',
      'Bearer first',
      'Bearer second',
    ]);
  });

  it('rebuilds the exact Status from the trailer: NotFound, AlreadyExists, Conflict, Forbidden', async () => {
    const { fake, cs } = await setup();
    const pods = cs.coreV1.pods('default');
    const err = await pods.get('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "missing" not found',
      details: { name: 'missing', kind: 'pods' },
    });
    const p = await pods.create(pod('p'));
    await expect(pods.create(pod('p'))).rejects.toSatisfy(isAlreadyExists);
    await pods.update({ ...p, metadata: { ...p.metadata, labels: { x: '1' } } });
    await expect(pods.update(p)).rejects.toSatisfy(isConflict);
    fake.prependReactor(
      'get',
      'pods',
      failWith(
        new StatusError({ status: 'Failure', code: 403, reason: 'Forbidden', message: 'no' }),
      ),
    );
    await expect(pods.get('p')).rejects.toSatisfy(isForbidden);
  });

  it('delivers watch events, and a compacted resourceVersion as an ERROR event with 410', async () => {
    const { fake, cs } = await setup();
    const pods = cs.coreV1.pods('default');
    const first = await pods.create(pod('w1'));
    const w = await pods.watch({ resourceVersion: first.metadata?.resourceVersion });
    await pods.create(pod('w2'));
    await pods.delete('w1');
    const seen: string[] = [];
    for await (const ev of w) {
      seen.push(`${ev.type} ${ev.type === 'ERROR' ? '' : ev.object.metadata?.name}`);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['ADDED w2', 'DELETED w1']);

    fake.tracker.compact();
    const old = await pods.watch({ resourceVersion: first.metadata?.resourceVersion });
    const events = [];
    for await (const ev of old) events.push(ev);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('timeoutMs puts a deadline on requests (a 504 Timeout, retried for reads only)', async () => {
    const { fake, cs } = await setup({ timeoutMs: 300 });
    fake.prependReactor('get', 'pods', () => new Promise(() => undefined)); // never answers
    const started = Date.now();
    const err = await cs.coreV1
      .pods('default')
      .get('slow')
      .catch((e: unknown) => e);
    expect(isTimeout(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(isRetriable(err, 'get')).toBe(true);
    expect(isRetriable(err, 'update')).toBe(false);
  });

  it('a refused watch fails the watch() call', async () => {
    const { fake, cs } = await setup();
    fake.prependReactor(
      'watch',
      'pods',
      failWith(
        new StatusError({ status: 'Failure', code: 403, reason: 'Forbidden', message: 'no' }),
      ),
    );
    await expect(cs.coreV1.pods('default').watch()).rejects.toSatisfy(isForbidden);
  });

  it('a stream cut by the server going away throws a ConnectionError from the iteration', async () => {
    const { server, cs } = await setup();
    const w = await cs.coreV1.pods('default').watch();
    const iter = w[Symbol.asyncIterator]();
    const next = iter.next();
    await server.stop();
    const err = await next.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
  });

  it('connection refused is a ConnectionError that never reached the server (retriable even for create)', async () => {
    const port = await freePort();
    const client = new GrpcDynamicClient(config(`127.0.0.1:${port}`));
    cleanup.push(() => client.close());
    const err = await client
      .resource(PODS)
      .namespace('default')
      .create(pod('x'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).requestSent).toBe(false);
    expect(isRetriable(err, 'create')).toBe(true);
  });

  it('an informer over the transport syncs and follows changes', async () => {
    const { cs } = await setup();
    const pods = cs.coreV1.pods('default');
    await pods.create(pod('a'));
    const informer = new SharedIndexInformer<KubeObject>(cs.resource(PODS), { logger: noopLogger });
    const stop = new AbortController();
    const done = informer.run(stop.signal);
    cleanup.push(async () => {
      stop.abort();
      await done;
    });
    await waitForCacheSync(stop.signal, [() => informer.hasSynced()]);
    expect(informer.getStore().listKeys()).toEqual(['default/a']);
    await pods.create(pod('b'));
    await pods.delete('a');
    await expect
      .poll(() => informer.getStore().listKeys().sort(), { timeout: 5000 })
      .toEqual(['default/b']);
  });
});

const noOpenssl = opensslMissingReason();
if (noOpenssl) console.warn(`skipping gRPC TLS tests: ${noOpenssl}`);

describe.skipIf(noOpenssl)('gRPC transport over TLS', () => {
  let pki: TestPki;
  let server: TestResourcesServer;
  beforeAll(async () => {
    pki = makeTestPki();
    server = await startTestResourcesServer(newFakeClient(), {
      tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey, requireClientCert: true },
    });
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
    pki?.remove();
  });

  const tlsConfig = (extra: Partial<ClientConfig>): ClientConfig => ({
    server: `https://${server.address}`,
    grpcServer: server.address,
    tls: true,
    insecureSkipTLSVerify: false,
    namespace: 'default',
    ...extra,
  });

  it('verifies the server against the kubeconfig CA and presents the client certificate', async () => {
    const client = new GrpcDynamicClient(
      tlsConfig({ caData: pki.ca, certData: pki.clientCert, keyData: pki.clientKey }),
    );
    cleanup.push(() => client.close());
    await client.resource(PODS).namespace('default').create(pod('tls'));
    expect(server.calls.at(-1)?.peer).toBe('alice');
  });

  it('verifies against tls-server-name when the address is not in the certificate', async () => {
    const port = server.address.split(':')[1];
    const client = new GrpcDynamicClient(
      tlsConfig({
        grpcServer: `localhost:${port}`,
        tlsServerName: 'kubernetes',
        caData: pki.ca,
        certData: pki.clientCert,
        keyData: pki.clientKey,
      }),
    );
    cleanup.push(() => client.close());
    await expect(client.resource(PODS).namespace('default').list()).resolves.toBeDefined();
  });

  it('refuses a server whose certificate the CA did not sign, unless told to skip verification', async () => {
    const wrong = new GrpcDynamicClient(
      tlsConfig({ caData: pki.otherCa, certData: pki.clientCert, keyData: pki.clientKey }),
    );
    cleanup.push(() => wrong.close());
    const err = await wrong
      .resource(PODS)
      .list()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    const skip = new GrpcDynamicClient(
      tlsConfig({ insecureSkipTLSVerify: true, certData: pki.clientCert, keyData: pki.clientKey }),
    );
    cleanup.push(() => skip.close());
    await expect(skip.resource(PODS).list()).resolves.toBeDefined();
  });
});
