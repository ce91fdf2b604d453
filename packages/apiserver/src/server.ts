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
import type { ComponentMetrics, HealthChecks, Logger } from '@kubets/component-base';
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
import { createApiHandler, type ActionSubresource, type VersionInfo } from './http/handler.js';
import { OpenAPIService } from './http/openapi.js';

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
  /** Serving certificate and key (PEM); without them the server speaks plain HTTP. */
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
  /** Admission plugins (`--enable-admission-plugins`, ...); default: upstream's default set. */
  admission?: AdmissionOptions;
  /** Injected for tests. */
  now?: () => Date;
}

export interface RunningApiServer {
  readonly url: string;
  readonly port: number;
  readonly catalog: Catalog;
  readonly client: EtcdClient;
  /** Follows CustomResourceDefinitions (undefined when custom resources are not served). */
  readonly customResources: CustomResourceController | undefined;
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
  const client = new EtcdClient({
    endpoints: o.etcdServers,
    ...(o.etcdTLS ? { tls: o.etcdTLS } : {}),
  });
  const apiMetrics = o.metrics ? new ApiServerMetrics(o.metrics) : undefined;
  const catalog = new Catalog();
  const randomIntn = (n: number): number => (n <= 1 ? 0 : randomInt(n));

  const storeFor = (def: ResourceDefinition): ResourceStore =>
    new ResourceStore({
      client,
      groupResource: { group: def.group, resource: def.plural },
      pathPrefix: prefix,
      resourcePrefix: resourcePrefix(def.group, def.plural, def.source === 'crd'),
      namespaced: def.namespaced,
      ...(apiMetrics ? { observer: apiMetrics } : {}),
    });

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

  const serviceAccountsOn = admission.chain.names.includes('ServiceAccount');
  const nsHooks: ResourceHooks = serviceAccountsOn
    ? {
        ...namespaceHooks,
        beginCreate: defaultServiceAccountOnCreate(() => catalog.get('', 'serviceaccounts')),
      }
    : namespaceHooks;
  const registryFor = (def: ResourceDefinition): ResourceRegistry => {
    const key = `${def.group}/${def.plural}`;
    const deps: RegistryDeps = {
      store: key === '/namespaces' && namespaceStore ? namespaceStore : storeFor(def),
      now,
      newUID: randomUUID,
      randomIntn,
      strategyContext: { nodePortRange: { base: portRange.base, size: portRange.size } },
      admissionChain: admission.chain,
      returnDeletedObject: def.source === 'builtin' && RETURN_DELETED.has(key),
      ...(key === '/pods' ? { gracePeriod: podGracePeriod } : {}),
      ...(key === '/services' ? { hooks: serviceHooks } : {}),
      ...(key === '/namespaces' ? { hooks: nsHooks } : {}),
      ...(WEBHOOK_CONFIGS.has(key) ? { hooks: webhookConfigHooks } : {}),
    };
    return new ResourceRegistry(def, deps);
  };
  for (const def of o.definitions) catalog.add(registryFor(def));

  const actions = new Map<string, ActionSubresource>();
  const pods = catalog.get('', 'pods');
  if (pods) {
    const binding = new PodBinding(pods, now, admission.chain);
    actions.set('/pods/binding', binding);
    // POST /api/v1/namespaces/{ns}/bindings: the older form of the same call.
    actions.set('/bindings', binding);
    actions.set(
      '/pods/eviction',
      new PodEviction(pods, catalog.get('policy', 'poddisruptionbudgets'), now, admission.chain),
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
  await bootstrap(catalog, serviceHooks, ipAllocator, portAllocator, logger);
  const serviceAccounts = catalog.get('', 'serviceaccounts');
  const namespaces = catalog.get('', 'namespaces');
  if (serviceAccountsOn && serviceAccounts && namespaces) {
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
  admission.start();

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
  let address = '';
  const handler = createApiHandler({
    catalog,
    openapi,
    version: o.version,
    health: o.health,
    ...(o.metrics && apiMetrics ? { metrics: { component: o.metrics, api: apiMetrics } } : {}),
    serverAddress: () => address,
    actions,
    maxInflight: {
      readOnly: o.maxRequestsInflight ?? 400,
      mutating: o.maxMutatingRequestsInflight ?? 200,
    },
    ...(logger ? { logger } : {}),
  });
  const server: Server = o.tls
    ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handler)
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

  return {
    url,
    port: addr.port,
    catalog,
    client,
    customResources: crds,
    close: async () => {
      if (counting) clearInterval(counting);
      await crds?.stop();
      await admission.stop();
      await compactor.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      client.close();
    },
  };
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
