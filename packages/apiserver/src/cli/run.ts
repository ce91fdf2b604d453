/**
 * Runs kubets-apiserver from parsed flags: component plumbing (logging, metrics, signals),
 * @kubets/api's built-in resources, and the server. Health and metrics are served on the API
 * port itself (`/healthz`, `/livez`, `/readyz`, `/metrics`), as kube-apiserver does.
 */
import { readFileSync } from 'node:fs';
import { createComponent, type FlagValues } from '@kubets/component-base';
import {
  ResourceRegistry as ApiCatalog,
  establishedCRDStatus,
  resourceFromCRD,
  type CustomResourceDefinition,
} from '@kubets/api';
import type { ApiObject } from '../storage/codec.js';
import type { ResourceDefinition } from '../registry/definition.js';
import { startApiServer, type RunningApiServer } from '../server.js';
import { versionInfo } from '../version.js';
import { podSecurityFromAdmissionConfig } from '../admission/podsecurity/policy.js';
import { resolvePlugins } from '../admission/plugins.js';
import type { apiServerFlags } from './flags.js';

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function readFlagFile(flag: string, path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`--${flag}: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** The built-in resources of @kubets/api, as the server's definitions. */
export function builtinDefinitions(): ResourceDefinition[] {
  return ApiCatalog.withBuiltins().all();
}

/** How CRDs become served resources: @kubets/api's CRD support. */
export const customResourceSupport = {
  toDefinition: (crd: ApiObject): ResourceDefinition =>
    resourceFromCRD(crd as unknown as CustomResourceDefinition),
  establishedStatus: (crd: ApiObject, now: string): unknown =>
    establishedCRDStatus(crd as unknown as CustomResourceDefinition, now),
};

export async function runApiServer(
  values: FlagValues<typeof apiServerFlags>,
): Promise<RunningApiServer> {
  const etcdServers = values['etcd-servers'];
  if (etcdServers.length === 0) throw new Error('--etcd-servers must be specified');
  const certFile = values['tls-cert-file'];
  const keyFile = values['tls-private-key-file'];
  if (!!certFile !== !!keyFile) {
    throw new Error('--tls-cert-file and --tls-private-key-file must be given together');
  }
  const enablePlugins = values['enable-admission-plugins'];
  const disablePlugins = values['disable-admission-plugins'];
  // Refuse unknown plugin names before anything starts, as kube-apiserver does.
  resolvePlugins(enablePlugins, disablePlugins);
  const admissionConfigFile = values['admission-control-config-file'];
  const admissionConfig = readFlagFile('admission-control-config-file', admissionConfigFile);
  let podSecurity;
  try {
    podSecurity = admissionConfig
      ? podSecurityFromAdmissionConfig(admissionConfig.toString('utf8'), (p) =>
          readFileSync(p, 'utf8'),
        )
      : undefined;
  } catch (err) {
    throw new Error(`--admission-control-config-file: ${(err as Error).message}`);
  }
  const version = packageVersion();
  const component = await createComponent({
    name: 'kubets-apiserver',
    version,
    gitVersion: versionInfo(version).gitVersion,
    logging: { verbosity: values.v, format: values['logging-format'] },
    health: false,
    shutdown: {
      gracePeriodMs: values['shutdown-grace-period'],
      delayMs: values['shutdown-delay-duration'],
    },
  });
  const log = component.logger;
  const cert = readFlagFile('tls-cert-file', certFile);
  const key = readFlagFile('tls-private-key-file', keyFile);
  if (!cert) {
    log.info(
      'WARNING: no --tls-cert-file/--tls-private-key-file: serving PLAIN HTTP without authentication on --secure-port. Do not expose this port.',
    );
  }
  const ca = readFlagFile('etcd-cafile', values['etcd-cafile']);
  const etcdCert = readFlagFile('etcd-certfile', values['etcd-certfile']);
  const etcdKey = readFlagFile('etcd-keyfile', values['etcd-keyfile']);
  const server = await startApiServer({
    etcdServers,
    etcdPrefix: values['etcd-prefix'],
    ...(ca || etcdCert || etcdKey
      ? {
          etcdTLS: {
            ...(ca ? { ca } : {}),
            ...(etcdCert ? { cert: etcdCert } : {}),
            ...(etcdKey ? { key: etcdKey } : {}),
          },
        }
      : {}),
    bindAddress: values['bind-address'],
    securePort: values['secure-port'],
    ...(cert && key ? { tls: { cert, key } } : {}),
    serviceClusterIPRange: values['service-cluster-ip-range'],
    serviceNodePortRange: values['service-node-port-range'],
    compactionIntervalMs: values['etcd-compaction-interval'],
    maxRequestsInflight: values['max-requests-inflight'],
    maxMutatingRequestsInflight: values['max-mutating-requests-inflight'],
    admission: {
      enablePlugins,
      disablePlugins,
      ...(podSecurity ? { podSecurity } : {}),
    },
    definitions: builtinDefinitions(),
    customResources: customResourceSupport,
    version: versionInfo(version),
    health: component.health,
    metrics: component.metrics,
    logger: log,
  });
  component.onShutdown('apiserver', () => server.close());
  return server;
}
