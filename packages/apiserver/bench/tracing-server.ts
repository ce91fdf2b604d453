/**
 * The API server process of tracing-overhead.ts: `node tracing-server.js <dist dir> <etcd>
 * <off|RATE> <receiver>` starts the build in <dist dir> (this package's dist, or an older build
 * to compare) on plain HTTP against <etcd>, with tracing off or sampling RATE per million to an
 * OTLP/HTTP receiver, and reports `ready` {url} over IPC; `stop` closes it.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMetrics, HealthChecks, startTracing } from '@kubets/component-base';

interface ServerModule {
  startApiServer: (o: Record<string, unknown>) => Promise<{ url: string; close(): Promise<void> }>;
}
interface RunModule {
  builtinDefinitions: () => unknown[];
  customResourceSupport: unknown;
}

async function main(): Promise<void> {
  const [dist = '', etcd = '', mode = 'off', receiver = ''] = process.argv.slice(2);
  const load = async <T>(file: string): Promise<T> =>
    (await import(pathToFileURL(join(dist, file)).href)) as T;
  const { startApiServer } = await load<ServerModule>('server.js');
  const { builtinDefinitions, customResourceSupport } = await load<RunModule>('cli/run.js');
  const tracing =
    mode === 'off'
      ? undefined
      : startTracing({
          serviceName: 'kubets-apiserver',
          env: {},
          registerGlobal: false,
          settings: { endpoint: receiver, samplingRatePerMillion: Number(mode) },
        });
  const server = await startApiServer({
    etcdServers: [etcd],
    bindAddress: '127.0.0.1',
    securePort: 0,
    definitions: builtinDefinitions(),
    customResources: customResourceSupport,
    version: {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0',
      gitCommit: '',
      gitTreeState: '',
      buildDate: '',
      goVersion: '',
      compiler: '',
      platform: '',
    },
    health: new HealthChecks(),
    metrics: createMetrics({
      component: 'kubets-apiserver',
      version: '0.1.0',
      defaultMetrics: false,
    }),
    compactionIntervalMs: 0,
    ...(tracing ? { tracer: tracing.getTracer('@kubets/apiserver') } : {}),
  });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') {
      void server
        .close()
        .then(() => tracing?.shutdown())
        .finally(() => process.exit(0));
    }
  });
  process.send?.({ type: 'ready', url: server.url });
}

await main();
