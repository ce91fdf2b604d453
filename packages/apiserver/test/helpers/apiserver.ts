/**
 * Starts etcd and an in-process kubets API server serving @kubets/api's built-in resources on a
 * free 127.0.0.1 port (plain HTTP), for integration, kubectl and client library tests.
 */
import { customResourceSupport } from '../../src/cli/run.js';
import { startApiServer, type ApiServerOptions, type RunningApiServer } from '../../src/server.js';
import { startEtcd, type EtcdProcess } from './etcd.js';
import { testServerOptions } from './server-options.js';
import { startKubetsStore } from './store.js';

export interface TestCluster {
  etcd: EtcdProcess;
  server: RunningApiServer;
  url: string;
  stop(): Promise<void>;
}

export type TestClusterOptions = {
  compactionIntervalMs?: number;
  /** Any further server options (they win over the defaults above). */
  server?: Partial<ApiServerOptions>;
  /** The store behind the API server: real etcd (default) or a kubets-store process. */
  backend?: 'etcd' | 'kubets-store';
} & Pick<
  ApiServerOptions,
  'watchCache' | 'watchCacheWindow' | 'watchCacheTuning' | 'watchCacheSizes' | 'admission'
>;

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const etcd = options.backend === 'kubets-store' ? await startKubetsStore() : await startEtcd();
  let server: RunningApiServer;
  try {
    server = await startApiServer({
      ...testServerOptions(etcd.endpoint),
      customResources: customResourceSupport,
      compactionIntervalMs: options.compactionIntervalMs ?? 0,
      ...(options.watchCache !== undefined ? { watchCache: options.watchCache } : {}),
      ...(options.watchCacheWindow ? { watchCacheWindow: options.watchCacheWindow } : {}),
      ...(options.watchCacheTuning ? { watchCacheTuning: options.watchCacheTuning } : {}),
      ...(options.watchCacheSizes ? { watchCacheSizes: options.watchCacheSizes } : {}),
      serviceClusterIPRange: '10.96.0.0/24',
      serviceNodePortRange: '30000-30010',
      ...(options.admission ? { admission: options.admission } : {}),
      ...options.server,
    });
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  return {
    etcd,
    server,
    url: server.url,
    stop: async () => {
      await server.close();
      await etcd.stop();
    },
  };
}

/**
 * One JSON request to a test server: the status, the parsed body and the headers. `contentType`
 * names the body's type (a patch type, say); the body is JSON-encoded either way.
 */
export async function apiRequest(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'Content-Type': contentType },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}
