/**
 * Assembles a running API server: etcd client, one registry per resource definition (with the
 * service, namespace and pod specifics), namespace lifecycle admission, system namespaces,
 * compaction, object counts, and the HTTP(S) server.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isAlreadyExists } from '@kubets/apimachinery';
import type { ComponentMetrics, HealthChecks, Logger, Tracer } from '@kubets/component-base';
import { ApiServerMetrics } from './metrics.js';
import { Catalog } from './registry/catalog.js';
import { CustomResourceController } from './registry/crds.js';
import type { ApiObject } from './storage/codec.js';
import type { ResourceDefinition } from './registry/definition.js';
import { podGracePeriod } from './registry/deletion.js';
import { namespaceHooks, SYSTEM_NAMESPACES } from './registry/namespaces.js';
import { buildAdmission, type AdmissionOptions, type BuiltAdmission } from './admission/build.js';
import { admissionMetrics } from './admission/metrics.js';
import {
  defaultServiceAccountOnCreate,
  ensureDefaultServiceAccount,
} from './admission/default-service-accounts.js';
import { PodBinding, PodEviction } from './registry/pods.js';
import {
  ResourceRegistry,
  type RegistryDeps,
  type ResourceHooks,
  type WriteTransaction,
} from './registry/resource-registry.js';
import { PersistentAllocator } from './registry/allocators/allocator.js';
import { parsePortRange, parseServiceCIDR } from './registry/allocators/ranges.js';
import { ServiceAllocations } from './registry/services.js';
import { Compactor } from './storage/compactor.js';
import { EtcdClient, type EtcdTLSOptions } from './storage/etcd/etcd-client.js';
import { normalizePathPrefix, resourcePrefix } from './storage/keys.js';
import { ResourceStore } from './storage/store.js';
import { Cacher, type CacherOptions } from './storage/cacher/cacher.js';
import { WatchCacheSizes } from './storage/cacher/sizes.js';
import type { WindowOptions } from './storage/cacher/watch-cache.js';
import { storageVersion } from './registry/definition.js';
import type { ValueTransformer } from './storage/encryption/transformer.js';
import type { Auditor } from './audit/auditor.js';
import { createApiHandler, type ActionSubresource, type VersionInfo } from './http/handler.js';
import { WriteThreads } from './http/write-threads.js';
import { OpenAPIService } from './http/openapi.js';
import { allowAllGuard, type RequestGuard } from './auth/types.js';
import { startGrpcServer, type RunningGrpcServer } from './grpc/server.js';
import { GrpcServerMetrics } from './grpc/metrics.js';
import { InflightLimiter } from './request/inflight.js';
import { escalationHooks, type EscalationDeps } from './auth/escalation.js';
import { startSecurity, type RunningSecurity, type SecurityOptions } from './auth/security.js';
import { OpenAPIV2Service } from './http/openapi-v2.js';
import { discoveryWithSecurityApis } from './auth/rest/discovery-view.js';
import { RequestTracing } from './request/tracing.js';

export interface ApiServerOptions {
  /** `--etcd-servers`. */
  etcdServers: string[] | string;
  /** `--etcd-prefix` (default `/registry`). */
  etcdPrefix?: string;
  etcdTLS?: EtcdTLSOptions;
  /** `--bind-address` (default 0.0.0.0). */
  bindAddress?: string;
  /** `--secure-port`; 0 picks a free port. */
  securePort: number;
  /**
   * Serving certificate and key (PEM). Without them the server speaks plain HTTP: an in-process
   * option for tests only; the kubets-apiserver binary always serves HTTPS (flags or --cert-dir).
   */
  tls?: { cert: Buffer; key: Buffer };
  /** `--service-cluster-ip-range` (default 10.96.0.0/12 as kubeadm). */
  serviceClusterIPRange?: string;
  /** `--service-node-port-range` (default 30000-32767). */
  serviceNodePortRange?: string;
  /** `--etcd-compaction-interval` in ms (default 5 min; 0 disables). */
  compactionIntervalMs?: number;
  /** The resources to serve (usually @kubets/api's built-ins). */
  definitions: ResourceDefinition[];
  version: VersionInfo;
  health: HealthChecks;
  metrics?: ComponentMetrics;
  logger?: Logger;
  /** `--max-requests-inflight` (default 400) and `--max-mutating-requests-inflight` (default 200); 0 = no limit. */
  maxRequestsInflight?: number;
  maxMutatingRequestsInflight?: number;
  /** How often apiserver_storage_objects is refreshed (default 60 s as upstream). */
  storageObjectsIntervalMs?: number;
  /**
   * How CustomResourceDefinitions become served resources (@kubets/api's resourceFromCRD and
   * establishedCRDStatus); without it CRDs are stored but not served.
   */
  customResources?: {
    toDefinition: (crd: ApiObject) => ResourceDefinition;
    establishedStatus: (crd: ApiObject, now: string) => unknown;
  };
  /**
   * `--grpc-port`: the gRPC resource API (kubets.api.v1.Resources); 0 picks a free port,
   * undefined serves no gRPC.
   */
  grpcPort?: number;
  /** `--grpc-bind-address` (default: bindAddress). */
  grpcBindAddress?: string;
  /** `--client-ca-file` contents: client certificates verified against it reach the guard. */
  clientCA?: Buffer;
  /**
   * The security chain both front doors use, ready-made (tests); takes precedence over
   * `security`'s chain. Default: the chain from `security`, else allowAllGuard.
   */
  guard?: RequestGuard;
  /** `--watch-cache` (default true): serve lists and watches from per-resource caches. */
  watchCache?: boolean;
  /** `--watch-cache-sizes`: `resource[.group]#size`; 0 disables one resource's cache. */
  watchCacheSizes?: string[];
  /**
   * Watch responses over plain TCP (no `tls`) have their bytes written by this many worker
   * threads, beside the event loop (ADR 0031): one message per fan-out batch, the `writev(2)`
   * calls on the thread. Default 0: the event loop writes them (on the shared 2-core benchmark
   * box the threads freed the loop but did not lower delivery latency). TLS responses always
   * write through Node's TLS stream on the loop.
   */
  watchWriteThreads?: number;
  /** Window bounds of every cache (default upstream's dynamic 100..102400 events). */
  watchCacheWindow?: WindowOptions;
  /** Bookmark interval, freshness wait and slow-watcher limit (tests, benchmarks). */
  watchCacheTuning?: Pick<
    CacherOptions,
    'bookmarkIntervalMs' | 'freshnessTimeoutMs' | 'maxPendingBytes'
  >;
  /**
   * Authentication and authorization settings (kube-apiserver's flags); the chain is built once
   * the registries exist. Without it (and without `guard`) every request is let in as
   * UNSECURED_USER.
   */
  security?: SecurityOptions;
  /** Admission plugins (`--enable-admission-plugins`, ...); default: upstream's default set. */
  admission?: AdmissionOptions;
  /** Encryption at rest (`--encryption-provider-config`): the transformer of each resource. */
  encryption?: {
    forResource(gr: { group: string; resource: string }): ValueTransformer | undefined;
  };
  /** Audit logging (`--audit-policy-file`, `--audit-log-*`). */
  audit?: Auditor;
  /** Injected for tests. */
  now?: () => Date;
  /**
   * Spans from request to storage (`--tracing-config-file` or `OTEL_*`); undefined: tracing
   * off, and nothing on the request path creates spans.
   */
  tracer?: Tracer;
  /** False when the tracer's sampler never samples a request without a caller's context. */
  tracerSamplesRoots?: boolean;
  /**
   * Whether this server does the start-up writes (system namespaces, the `kubernetes` Service,
   * default service accounts, the repair of the allocation bitmaps); default true. False for a
   * worker other than the first of `--workers`: the repair lists the services and rewrites the
   * bitmaps, which would free an address another worker allocates at the same moment.
   */
  bootstrap?: boolean;
  /** Whether the controllers that write on their own run here (the quota controller); default true. */
  controllers?: boolean;
}

export interface RunningApiServer {
  readonly url: string;
  readonly port: number;
  readonly catalog: Catalog;
  readonly client: EtcdClient;
  /** Follows CustomResourceDefinitions (undefined when custom resources are not served). */
  readonly customResources: CustomResourceController | undefined;
  /** host:port of the gRPC resource API (undefined when not served). */
  readonly grpcAddress: string | undefined;
  /** The watch caches by etcd key prefix (empty with --watch-cache=false). */
  readonly watchCaches: ReadonlyMap<string, Cacher>;
  /** The guard every request goes through (also for other front doors). */
  readonly guard: RequestGuard;
  /** The security chain built from `security` (undefined without it). */
  readonly security: RunningSecurity | undefined;
  close(): Promise<void>;
}

/** Resources whose DELETE answers with the object (upstream's ReturnDeletedObject). */
const RETURN_DELETED = new Set([
  '/pods',
  '/services',
  '/namespaces',
  '/nodes',
  '/persistentvolumes',
]);

const WEBHOOK_CONFIGS = new Set([
  'admissionregistration.k8s.io/mutatingwebhookconfigurations',
  'admissionregistration.k8s.io/validatingwebhookconfigurations',
]);

function invalidating(admission: BuiltAdmission): WriteTransaction {
  return {
    commit: () => admission.invalidateWebhooks(),
    revert: () => undefined,
  };
}

export async function startApiServer(o: ApiServerOptions): Promise<RunningApiServer> {
  const logger = o.logger;
  const now = o.now ?? (() => new Date());
  const prefix = normalizePathPrefix(o.etcdPrefix ?? '/registry');
  const tracing = o.tracer ? new RequestTracing(o.tracer, o.tracerSamplesRoots) : undefined;
  const client = new EtcdClient({
    endpoints: o.etcdServers,
    ...(o.etcdTLS ? { tls: o.etcdTLS } : {}),
    ...(tracing ? { tracing } : {}),
  });
  const apiMetrics = o.metrics ? new ApiServerMetrics(o.metrics) : undefined;
  const catalog = new Catalog();
  const randomIntn = (n: number): number => (n <= 1 ? 0 : randomInt(n));

  const storeFor = (def: ResourceDefinition): ResourceStore => {
    const transformer = o.encryption?.forResource({ group: def.group, resource: def.plural });
    return new ResourceStore({
      client,
      groupResource: { group: def.group, resource: def.plural },
      pathPrefix: prefix,
      resourcePrefix: resourcePrefix(def.group, def.plural, def.source === 'crd'),
      namespaced: def.namespaced,
      ...(apiMetrics ? { observer: apiMetrics } : {}),
      ...(transformer ? { transformer } : {}),
    });
  };

  const nsDef = o.definitions.find((d) => d.group === '' && d.plural === 'namespaces');
  const namespaceStore = nsDef ? storeFor(nsDef) : undefined;
  const ipRange = parseServiceCIDR(o.serviceClusterIPRange ?? '10.96.0.0/12');
  const portRange = parsePortRange(o.serviceNodePortRange ?? '30000-32767');
  const ipAllocator = new PersistentAllocator(
    client,
    `${prefix}/ranges/serviceips`,
    ipRange,
    randomIntn,
  );
  const portAllocator = new PersistentAllocator(
    client,
    `${prefix}/ranges/servicenodeports`,
    portRange,
    randomIntn,
  );
  const serviceHooks = new ServiceAllocations(ipAllocator, portAllocator);
  // RBAC escalation checks need the authorizer, which needs the registries: bound late.
  const late: { escalation?: EscalationDeps } = {};
  const rbacHooks = new Map(
    (['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'] as const).map((r) => [
      `rbac.authorization.k8s.io/${r}`,
      escalationHooks(r, () => late.escalation),
    ]),
  );

  // One watch cache per etcd prefix, shared by every registry of it (a CRD's registry is rebuilt
  // on each change of the CRD; its cache is not).
  const cacheSizes = new WatchCacheSizes(o.watchCacheSizes ?? []);
  const caches = new Map<string, Cacher>();
  const cacherFor = (def: ResourceDefinition, store: ResourceStore): Cacher | undefined => {
    if (o.watchCache === false || !cacheSizes.enabled(def.group, def.plural)) return undefined;
    let cacher = caches.get(store.keys.root);
    if (!cacher) {
      cacher = new Cacher({
        store,
        client,
        resourceLabel: def.group ? `${def.plural}.${def.group}` : def.plural,
        kindLabels: { group: def.group, version: storageVersion(def).name, kind: def.kind },
        ...(o.watchCacheWindow ? { window: o.watchCacheWindow } : {}),
        ...(apiMetrics ? { observer: apiMetrics } : {}),
        ...(logger ? { logger } : {}),
        ...o.watchCacheTuning,
      });
      caches.set(store.keys.root, cacher);
      cacher.start();
    }
    return cacher;
  };

  const admission: BuiltAdmission = buildAdmission(o.admission ?? {}, {
    catalog,
    newUID: randomUUID,
    randomIntn,
    now,
    ...(o.metrics ? { observer: admissionMetrics(o.metrics) } : {}),
    ...(logger ? { logger } : {}),
  });
  // Webhook configurations written here take effect at once.
  const webhookConfigHooks: ResourceHooks = {
    beginCreate: () => Promise.resolve(invalidating(admission)),
    beginUpdate: () => Promise.resolve(invalidating(admission)),
    afterDelete: () => {
      admission.invalidateWebhooks();
      return Promise.resolve();
    },
  };

  const admissionChain = tracing ? tracing.admission(admission.chain) : admission.chain;
  const serviceAccountsOn = admission.chain.names.includes('ServiceAccount');
  const nsHooks: ResourceHooks = serviceAccountsOn
    ? {
        ...namespaceHooks,
        beginCreate: defaultServiceAccountOnCreate(() => catalog.get('', 'serviceaccounts')),
      }
    : namespaceHooks;
  const registryFor = (def: ResourceDefinition): ResourceRegistry => {
    const key = `${def.group}/${def.plural}`;
    const store = key === '/namespaces' && namespaceStore ? namespaceStore : storeFor(def);
    const cacher = cacherFor(def, store);
    const deps: RegistryDeps = {
      store,
      ...(cacher ? { cacher } : {}),
      now,
      newUID: randomUUID,
      randomIntn,
      strategyContext: { nodePortRange: { base: portRange.base, size: portRange.size } },
      admissionChain,
      returnDeletedObject: def.source === 'builtin' && RETURN_DELETED.has(key),
      ...(key === '/pods' ? { gracePeriod: podGracePeriod } : {}),
      ...(key === '/services' ? { hooks: serviceHooks } : {}),
      ...(key === '/namespaces' ? { hooks: nsHooks } : {}),
      ...(rbacHooks.has(key) ? { hooks: rbacHooks.get(key)! } : {}),
      ...(WEBHOOK_CONFIGS.has(key) ? { hooks: webhookConfigHooks } : {}),
    };
    return new ResourceRegistry(tracing ? tracing.definition(def) : def, deps);
  };
  for (const def of o.definitions) catalog.add(registryFor(def));

  const actions = new Map<string, ActionSubresource>();
  const pods = catalog.get('', 'pods');
  if (pods) {
    const binding = new PodBinding(pods, now, admissionChain);
    actions.set('/pods/binding', binding);
    // POST /api/v1/namespaces/{ns}/bindings: the older form of the same call.
    actions.set('/bindings', binding);
    actions.set(
      '/pods/eviction',
      new PodEviction(pods, catalog.get('policy', 'poddisruptionbudgets'), now, admissionChain),
    );
  }

  o.health.add(
    'etcd',
    async () => {
      await client.status();
    },
    { endpoints: ['healthz', 'readyz'], timeoutMs: 2_000 },
  );

  await waitForEtcd(client, logger);
  await waitForCaches(caches, logger);
  const bootstrapping = o.bootstrap !== false;
  if (bootstrapping) await bootstrap(catalog, serviceHooks, ipAllocator, portAllocator, logger);
  const serviceAccounts = catalog.get('', 'serviceaccounts');
  const namespaces = catalog.get('', 'namespaces');
  if (bootstrapping && serviceAccountsOn && serviceAccounts && namespaces) {
    for (const ns of (await namespaces.store.list(undefined, {})).items) {
      if (ns.metadata?.name && !ns.metadata.deletionTimestamp) {
        await ensureDefaultServiceAccount(serviceAccounts, ns.metadata.name);
      }
    }
  }

  const crdRegistry = catalog.get('apiextensions.k8s.io', 'customresourcedefinitions');
  const crds =
    crdRegistry && o.customResources
      ? new CustomResourceController({
          catalog,
          crds: crdRegistry,
          toDefinition: o.customResources.toDefinition,
          establishedStatus: o.customResources.establishedStatus,
          registryFor,
          now,
          ...(logger ? { logger } : {}),
        })
      : undefined;
  await crds?.start();
  if (o.controllers !== false) admission.start();

  const security = o.security
    ? await startSecurity(catalog, o.security, {
        ...(o.metrics ? { metrics: o.metrics } : {}),
        ...(logger ? { logger } : {}),
        now,
      })
    : undefined;
  late.escalation = security?.escalation;
  for (const [k, v] of security?.actions ?? []) actions.set(k, v);
  const untracedGuard: RequestGuard = o.guard ?? security?.chain ?? allowAllGuard;
  const guard = tracing ? tracing.guard(untracedGuard) : untracedGuard;

  const compactor = new Compactor({
    client,
    intervalMs: o.compactionIntervalMs ?? 5 * 60_000,
    onCompacted: (rev) => logger?.v(2).info('Compacted etcd', { revision: rev.toString() }),
    onError: (err) => logger?.error(err, 'etcd compaction failed'),
  });
  compactor.start();

  let counting: NodeJS.Timeout | undefined;
  if (apiMetrics) {
    const countAll = async (): Promise<void> => {
      for (const r of catalog.all()) {
        const label = r.def.group ? `${r.def.plural}.${r.def.group}` : r.def.plural;
        try {
          apiMetrics.setStorageObjects(label, await r.store.count());
        } catch {
          apiMetrics.setStorageObjects(label, -1);
        }
      }
    };
    await countAll();
    counting = setInterval(() => void countAll(), o.storageObjectsIntervalMs ?? 60_000);
    counting.unref();
  }

  const openapi = new OpenAPIService(catalog, o.version.gitVersion);
  // One limiter for both doors: the flags bound the server, not each door.
  const inflight = new InflightLimiter({
    readOnly: o.maxRequestsInflight ?? 400,
    mutating: o.maxMutatingRequestsInflight ?? 200,
  });
  let address = '';
  const writeThreadCount = o.watchWriteThreads ?? 0;
  const writeThreads =
    writeThreadCount > 0 && !o.tls ? new WriteThreads(writeThreadCount) : undefined;
  const watchWritev = writeThreads?.writev;
  const apiHandler = createApiHandler({
    catalog,
    openapi,
    openapiV2: new OpenAPIV2Service(catalog, o.version.gitVersion),
    version: o.version,
    health: o.health,
    ...(o.metrics && apiMetrics ? { metrics: { component: o.metrics, api: apiMetrics } } : {}),
    serverAddress: () => address,
    actions,
    inflightLimiter: inflight,
    ...(logger ? { logger } : {}),
    guard,
    ...(security
      ? {
          virtualResources: security.virtualResources,
          discovery: discoveryWithSecurityApis(catalog, actions.has('/serviceaccounts/token')),
        }
      : {}),
    ...(o.audit ? { audit: o.audit } : {}),
    ...(watchWritev ? { watchWritev } : {}),
  });
  const handler = tracing ? tracing.http(apiHandler) : apiHandler;
  const clientCA = o.security?.clientCA ?? o.clientCA;
  // With a client CA the server asks for a certificate but lets the handshake through without
  // one (anonymous and token users); only a chain verified against the CA authenticates.
  const server: Server = o.tls
    ? createHttpsServer(
        {
          cert: o.tls.cert,
          key: o.tls.key,
          ...(clientCA ? { ca: clientCA, requestCert: true, rejectUnauthorized: false } : {}),
        },
        handler,
      )
    : createHttpServer(handler);
  // Long watches: no request or header timeouts beyond the watch's own.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  const host = o.bindAddress ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.securePort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : addr.address;
  const bracketed = shownHost.includes(':') ? `[${shownHost}]` : shownHost;
  address = `${bracketed}:${addr.port}`;
  const url = `${o.tls ? 'https' : 'http'}://${address}`;
  logger?.info('Serving the Kubernetes API', { url, tls: !!o.tls, etcd: client.endpoints });

  let grpc: RunningGrpcServer | undefined;
  if (o.grpcPort !== undefined) {
    try {
      grpc = await startGrpcServer({
        host: o.grpcBindAddress ?? host,
        port: o.grpcPort,
        ...(o.tls ? { tls: { ...o.tls, ...(clientCA ? { clientCA } : {}) } } : {}),
        catalog,
        actions,
        guard,
        ...(o.audit ? { audit: o.audit } : {}),
        inflight,
        ...(tracing ? { tracing } : {}),
        ...(o.metrics && apiMetrics
          ? { metrics: { api: apiMetrics, grpc: new GrpcServerMetrics(o.metrics) } }
          : {}),
        ...(logger ? { logger } : {}),
      });
    } catch (err) {
      server.close();
      server.closeAllConnections();
      throw new Error(`--grpc-port ${o.grpcPort}: ${(err as Error).message}`);
    }
  }

  return {
    url,
    port: addr.port,
    catalog,
    client,
    customResources: crds,
    grpcAddress: grpc?.address,
    watchCaches: caches,
    guard,
    security,
    close: async () => {
      if (counting) clearInterval(counting);
      await grpc?.close();
      security?.stop();
      await crds?.stop();
      await Promise.all([...caches.values()].map((c) => c.stop()));
      await admission.stop();
      await compactor.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // After the connections: a socket closing waits for its write in flight on a thread.
      await writeThreads?.close();
      client.close();
    },
  };
}

/** Waits (bounded) for the first list of every watch cache; reads go to etcd until then. */
async function waitForCaches(
  caches: Map<string, Cacher>,
  logger: Logger | undefined,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 60_000);
  });
  const all = Promise.all([...caches.values()].map((c) => c.whenReady()));
  const outcome = await Promise.race([all, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout')
    logger?.info('Watch caches are not all initialized yet; serving from etcd');
}

async function waitForEtcd(client: EtcdClient, logger: Logger | undefined): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.status();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(
          `etcd is not reachable at ${client.endpoints.join(',')}: ${(err as Error).message}`,
        );
      }
      if (attempt === 1 || attempt % 10 === 0) {
        logger?.info('Waiting for etcd', {
          endpoints: client.endpoints,
          err: (err as Error).message,
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Start-up work kube-apiserver's controllers do: the system namespaces, the `kubernetes`
 * service on the first address of the service range, and a repair of the allocation bitmaps
 * from the stored services.
 */
async function bootstrap(
  catalog: Catalog,
  services: ServiceAllocations,
  ips: PersistentAllocator,
  ports: PersistentAllocator,
  logger: Logger | undefined,
): Promise<void> {
  const namespaces = catalog.get('', 'namespaces');
  if (namespaces) {
    for (const name of SYSTEM_NAMESPACES) {
      try {
        await namespaces.create(
          undefined,
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
          { fieldManager: 'kube-apiserver' },
        );
        logger?.info('Created system namespace', { name });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }
  const svc = catalog.get('', 'services');
  if (!svc) return;
  const existing = await svc.list(undefined, {});
  const ipValues: (string | number)[] = [];
  const portValues: (string | number)[] = [];
  for (const s of existing.items as never[]) {
    for (const v of services.valuesOf(s)) (v.kind === 'ip' ? ipValues : portValues).push(v.value);
  }
  await ips.reset(ipValues);
  await ports.reset(portValues);
  if (namespaces) {
    const first = String(ips.range.valueAt(0));
    try {
      await svc.create(
        'default',
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: {
            name: 'kubernetes',
            labels: { component: 'apiserver', provider: 'kubernetes' },
          },
          spec: {
            type: 'ClusterIP',
            clusterIP: first,
            ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
          },
        },
        { fieldManager: 'kube-apiserver' },
      );
    } catch (err) {
      if (!isAlreadyExists(err)) logger?.error(err, 'Cannot create the kubernetes service');
    }
  }
}
