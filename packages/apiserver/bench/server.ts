/**
 * The API server under test, in its own process (forked by apiserver-bench.ts with --expose-gc so
 * the heap can be measured after a full collection). Speaks to the driver over IPC:
 * `ready` {url, grpc} once serving; `heap` -> {heapUsed, cachedPods, cpu}; `cpu` -> {cpu (process.cpuUsage()),
 * dispatch (the pods cache's fan-out batches, when it counts them)};
 * `stop` -> closes and exits.
 */
import { customResourceSupport } from '../src/cli/run.js';
import { startApiServer } from '../src/server.js';
import { testServerOptions } from '../test/helpers/server-options.js';

interface Request {
  type: 'heap' | 'cpu' | 'stop';
}

async function main(): Promise<void> {
  const etcdServers = (process.argv[2] ?? '').split(',');
  const watchCache = process.argv[3] !== 'no-cache';
  const server = await startApiServer({
    ...testServerOptions(etcdServers),
    customResources: customResourceSupport,
    watchCache,
    // The gRPC resource API beside REST (plaintext: the server has no TLS here).
    grpcPort: 0,
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: Request) => {
    if (m.type === 'heap') {
      gc?.();
      gc?.();
      const pods = server.watchCaches.get('/registry/pods/');
      process.send?.({
        type: 'heap',
        heapUsed: process.memoryUsage().heapUsed,
        cachedPods: pods?.cache.size ?? 0,
        cpu: process.cpuUsage(),
      });
    } else if (m.type === 'cpu') {
      const pods = server.watchCaches.get('/registry/pods/');
      process.send?.({
        type: 'cpu',
        cpu: process.cpuUsage(),
        dispatch: (pods as { dispatchStats?: unknown } | undefined)?.dispatchStats,
      });
    } else if (m.type === 'stop') {
      void server.close().finally(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', url: server.url, grpc: server.grpcAddress });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
