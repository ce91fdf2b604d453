/**
 * Runs kubets-apiserver from parsed flags: component plumbing (logging, metrics, signals),
 * @kubets/api's built-in resources, and the server. Health and metrics are served on the API
 * port itself (`/healthz`, `/livez`, `/readyz`, `/metrics`), as kube-apiserver does.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import {
  createComponent,
  samplesRootSpans,
  type Component,
  type ComponentOptions,
  type FlagValues,
  type Logger,
} from '@kubets/component-base';
import {
  ResourceRegistry as ApiCatalog,
  establishedCRDStatus,
  resourceFromCRD,
  type CustomResourceDefinition,
} from '@kubets/api';
import type { ApiObject } from '../storage/codec.js';
import type { ResourceDefinition } from '../registry/definition.js';
import { startApiServer, type RunningApiServer } from '../server.js';
import { securityFromFlags } from './security-flags.js';
import { EncryptionAtRest, transformationMetrics } from '../storage/encryption/encryption.js';
import { setupAuditLog } from '../audit/setup.js';
import { parsePortRange, parseServiceCIDR } from '../registry/allocators/ranges.js';
import { ensureServingCert } from './serving-cert.js';
import { versionInfo } from '../version.js';
import { podSecurityFromAdmissionConfig } from '../admission/podsecurity/policy.js';
import { resolvePlugins } from '../admission/plugins.js';
import type { apiServerFlags } from './flags.js';
import { parseTracingConfiguration } from './tracing-config.js';
import { TRACER_NAME } from '../request/tracing.js';
import { joinWorkers, startPrimary, workerAuditPath, workerRole } from './workers.js';

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
  return (await runApiServerComponent(values)).server;
}

/** How a process that embeds the API server takes over signals and exit (`kubets up --embedded`). */
export interface EmbeddingOptions {
  shutdown?: ComponentOptions['shutdown'];
  defaultMetrics?: boolean;
}

/**
 * runApiServer, returning the component too: the embedding process stops the server (and its
 * audit log, encryption config reloader, ...) with `component.stop()`.
 */
export async function runApiServerComponent(
  values: FlagValues<typeof apiServerFlags>,
  embedding: EmbeddingOptions = {},
): Promise<{ server: RunningApiServer; component: Component }> {
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
  const tracingFile = values['tracing-config-file'];
  const tracingConfig = readFlagFile('tracing-config-file', tracingFile);
  let tracingSettings;
  try {
    tracingSettings = tracingConfig
      ? parseTracingConfiguration(
          tracingConfig.toString('utf8'),
          tracingFile,
          `apiserver-${randomUUID()}`,
        )
      : undefined;
  } catch (err) {
    throw new Error(`--tracing-config-file: ${(err as Error).message}`);
  }
  const version = packageVersion();
  // One of --workers' processes (undefined in a single-process server and when embedded).
  const role = workerRole();
  const component = await createComponent({
    name: 'kubets-apiserver',
    version,
    gitVersion: versionInfo(version).gitVersion,
    logging: { verbosity: values.v, format: values['logging-format'] },
    health: false,
    shutdown: {
      gracePeriodMs: values['shutdown-grace-period'],
      delayMs: values['shutdown-delay-duration'],
      ...embedding.shutdown,
    },
    ...(embedding.defaultMetrics !== undefined ? { defaultMetrics: embedding.defaultMetrics } : {}),
    // Without the file, the OTEL_* variables alone may still turn tracing on.
    ...(tracingSettings ? { tracing: { settings: tracingSettings } } : {}),
  });
  const log = component.logger;
  const { cert, key } = servingCertFromFlags(values, log);
  const encryptionFile = values['encryption-provider-config'];
  const encryption = encryptionFile
    ? EncryptionAtRest.load(encryptionFile, {
        observer: transformationMetrics(component.metrics),
        ...(values['encryption-provider-config-automatic-reload']
          ? {
              reload: {
                onReload: () => log.info('Reloaded the encryption provider configuration'),
                onError: (err) =>
                  log.error(err, 'Cannot reload the encryption provider configuration'),
              },
            }
          : {}),
      })
    : undefined;
  if (encryption) component.onShutdown('encryption-config', () => encryption.close());
  const audit = setupAuditLog({
    ...(values['audit-policy-file'] ? { policyFile: values['audit-policy-file'] } : {}),
    ...(values['audit-log-path']
      ? { logPath: workerAuditPath(values['audit-log-path'], role) }
      : {}),
    maxAgeDays: values['audit-log-maxage'],
    maxBackups: values['audit-log-maxbackup'],
    maxSizeMB: values['audit-log-maxsize'],
    format: values['audit-log-format'],
    metrics: component.metrics,
    onError: (err) => log.error(err, 'Cannot write the audit log'),
  });
  if (audit) component.onShutdown('audit-log', () => audit.close());
  else if (values['audit-policy-file'] || values['audit-log-path']) {
    log.info('Auditing is off: it needs both --audit-policy-file and --audit-log-path');
  }
  const security = securityFromFlags(values, (flag, path) => readFlagFile(flag, path)!);
  for (const w of security?.warnings ?? []) log.info(`WARNING: ${w}`);
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
    grpcPort: values['grpc-port'],
    ...(values['grpc-bind-address'] ? { grpcBindAddress: values['grpc-bind-address'] } : {}),
    tls: { cert, key },
    serviceClusterIPRange: values['service-cluster-ip-range'],
    serviceNodePortRange: values['service-node-port-range'],
    compactionIntervalMs: values['etcd-compaction-interval'],
    watchCache: values['watch-cache'],
    watchCacheSizes: values['watch-cache-sizes'],
    maxRequestsInflight: values['max-requests-inflight'],
    maxMutatingRequestsInflight: values['max-mutating-requests-inflight'],
    ...(encryption ? { encryption } : {}),
    ...(audit ? { audit: audit.auditor } : {}),
    admission: {
      enablePlugins,
      disablePlugins,
      ...(podSecurity ? { podSecurity } : {}),
    },
    definitions: builtinDefinitions(),
    customResources: customResourceSupport,
    ...(security ? { security: security.options } : {}),
    version: versionInfo(version),
    // The first worker runs the controllers in every start (a restarted first worker takes them
    // up again); the start-up writes only in its first start.
    ...(role ? { bootstrap: role.bootstrap, controllers: role.index === 1 } : {}),
    health: component.health,
    metrics: component.metrics,
    logger: log,
    ...(component.tracing.enabled
      ? {
          tracer: component.tracing.getTracer(TRACER_NAME, version),
          tracerSamplesRoots: samplesRootSpans(component.tracing.config.sampler),
        }
      : {}),
  });
  component.onShutdown('apiserver', () => server.close());
  if (role) joinWorkers(role, component);
  return { server, component };
}

/**
 * The primary process of `--workers=N` (N > 1): serves nothing itself; runs N workers, each a
 * full kubets-apiserver with these flags, on the same ports (see workers.ts).
 */
export async function runWorkersPrimary(values: FlagValues<typeof apiServerFlags>): Promise<void> {
  const component = await createComponent({
    name: 'kubets-apiserver',
    version: packageVersion(),
    logging: { verbosity: values.v, format: values['logging-format'] },
    health: false,
    defaultMetrics: false,
    tracing: false,
    shutdown: {
      // The workers wait --shutdown-delay-duration and drain within --shutdown-grace-period;
      // the primary waits for them.
      delayMs: 0,
      gracePeriodMs: values['shutdown-grace-period'] + values['shutdown-delay-duration'] + 5_000,
    },
  });
  const log = component.logger;
  if (values['etcd-servers'].length === 0) throw new Error('--etcd-servers must be specified');
  // Made once here, so the workers do not race to write --cert-dir.
  servingCertFromFlags(values, log);
  log.info('Starting workers', { workers: values.workers });
  const primary = startPrimary({ workers: values.workers, logger: log });
  component.onShutdown('workers', () => primary.stop());
  try {
    await primary.started;
  } catch (err) {
    await primary.stop();
    throw err;
  }
}

/**
 * The serving certificate: the flags' files, or a self-signed pair in --cert-dir (made if
 * missing, as upstream). Also validates the service ranges first, so that bad ranges write
 * nothing to --cert-dir.
 */
export function servingCertFromFlags(
  values: FlagValues<typeof apiServerFlags>,
  log: Logger,
): { cert: Buffer; key: Buffer } {
  const cert = readFlagFile('tls-cert-file', values['tls-cert-file']);
  const key = readFlagFile('tls-private-key-file', values['tls-private-key-file']);
  const serviceIP = String(parseServiceCIDR(values['service-cluster-ip-range']).valueAt(0));
  parsePortRange(values['service-node-port-range']);
  if (cert && key) return { cert, key };
  // HTTPS only: without certificate flags, a self-signed pair in --cert-dir, as upstream.
  const certDir = values['cert-dir'];
  if (!certDir) throw new Error('--cert-dir must be set when --tls-cert-file is not given');
  const serving = ensureServingCert(certDir, {
    host: publicAddress(values['bind-address']),
    alternateDNS: ['kubernetes.default.svc', 'kubernetes.default', 'kubernetes', 'localhost'],
    alternateIPs: [serviceIP, '127.0.0.1'],
  });
  if (serving.generated) {
    log.info('Generated self-signed cert', {
      certFile: serving.certFile,
      keyFile: serving.keyFile,
    });
  }
  return { cert: serving.cert, key: serving.key };
}

/** The address a self-signed certificate is made for: the bind address, or a local one. */
function publicAddress(bindAddress: string): string {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::' && bindAddress !== '') return bindAddress;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
