/**
 * The options every in-process test (and bench) API server shares: built-in resources on
 * 127.0.0.1 with a free port, no compaction, and a metrics registry of its own.
 */
import { createMetrics, HealthChecks } from '@kubets/component-base';
import { builtinDefinitions } from '../../src/cli/run.js';
import type { ApiServerOptions } from '../../src/server.js';
import { versionInfo } from '../../src/version.js';

export function testServerOptions(etcdServers: string | string[]): ApiServerOptions {
  return {
    etcdServers,
    bindAddress: '127.0.0.1',
    securePort: 0,
    definitions: builtinDefinitions(),
    version: versionInfo('0.1.0'),
    health: new HealthChecks(),
    metrics: createMetrics({
      component: 'kubets-apiserver',
      version: '0.1.0',
      defaultMetrics: false,
    }),
    compactionIntervalMs: 0,
  };
}
