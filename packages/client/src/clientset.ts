/**
 * The clientset: one connection (a {@link DynamicClient} under one rate limiter and retry
 * policy, as one rest.Config upstream) and typed accessors for the built-in resources, e.g.
 * `clientset.coreV1.pods('default').get('web-0')`.
 *
 * Typed clients are thin bindings of a GroupVersionResource over the dynamic client rather than
 * generated code per kind: the wire carries JSON for every resource anyway, so a binding is all
 * a typed client needs, and a table of GVRs cannot drift from the server the way generated
 * per-kind clients could. The object type is a type parameter (`pods<Pod>()`), so callers bring
 * their types (e.g. `@kubets/api`'s) without this package depending on them. Subresources with
 * their own object kinds (scale, binding, eviction) get explicit methods.
 */
import type { GroupVersionResource, KubeObject, ObjectMeta } from '@kubets/apimachinery';
import type { ClientConfig } from './config/client-config.js';
import {
  DEFAULT_CLIENT_BURST,
  DEFAULT_CLIENT_QPS,
  TokenBucketRateLimiter,
  unlimitedRateLimiter,
  type RequestRateLimiter,
} from './flowcontrol/rate-limiter.js';
import type { ChannelSettings } from './grpc/channel.js';
import { GrpcDynamicClient, type DiscoveredResource } from './grpc/dynamic-client.js';
import type {
  DynamicClient,
  NamespaceableResourceClient,
  RequestOptions,
  ResourceClient,
} from './rest/interfaces.js';
import { withDynamicRequestPolicy } from './rest/policy-client.js';
import type { RequestContext, RetryPolicy } from './rest/retry.js';
import type { Random } from './util/backoff.js';
import { realClock, type Clock } from './util/clock.js';
import type { Logger } from './util/logger.js';
import type { CreateOptions, UpdateOptions, DeleteOptions } from '@kubets/apimachinery';

/** autoscaling/v1 Scale: the scale subresource's object. */
export interface Scale extends KubeObject {
  metadata?: ObjectMeta;
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

/** v1 Binding: assigns a pod to a node (the scheduler's write). */
export interface Binding extends KubeObject {
  metadata?: ObjectMeta;
  target: { apiVersion?: string; kind?: string; name: string; namespace?: string };
}

/** policy/v1 Eviction: a disruption-budget-respecting delete. */
export interface Eviction extends KubeObject {
  metadata?: ObjectMeta;
  deleteOptions?: DeleteOptions;
}

/** A typed client for a resource with a scale subresource. */
export interface ScalableResourceClient<T extends KubeObject> extends ResourceClient<T> {
  getScale(name: string, options?: RequestOptions): Promise<Scale>;
  updateScale(name: string, scale: Scale, options?: UpdateOptions & RequestOptions): Promise<Scale>;
}

/** The pods client: binding and eviction besides the usual verbs. */
export interface PodResourceClient<T extends KubeObject> extends ResourceClient<T> {
  /** POST pods/<name>/binding: `binding.metadata.name` is the pod. */
  bind(binding: Binding, options?: CreateOptions & RequestOptions): Promise<void>;
  /** POST pods/<name>/eviction: 429 while a PodDisruptionBudget forbids it. */
  evict(eviction: Eviction, options?: CreateOptions & RequestOptions): Promise<void>;
}

function gvr(group: string, version: string, resource: string): GroupVersionResource {
  return { group, version, resource };
}

/** Adds scale methods to a resource client (they run under the same request policy). */
export function scalable<T extends KubeObject>(
  client: ResourceClient<T>,
): ScalableResourceClient<T> {
  const asScale = client as unknown as ResourceClient<Scale>;
  return Object.assign(Object.create(client) as ResourceClient<T>, {
    getScale: (name: string, o?: RequestOptions) =>
      asScale.get(name, { ...o, subresource: 'scale' }),
    updateScale: (name: string, scale: Scale, o?: UpdateOptions & RequestOptions) =>
      asScale.update(
        {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          ...scale,
          metadata: { ...scale.metadata, name },
        },
        { ...o, subresource: 'scale' },
      ),
  });
}

/** Adds binding and eviction to a pods client. */
export function podClient<T extends KubeObject>(client: ResourceClient<T>): PodResourceClient<T> {
  const raw = client as unknown as ResourceClient<KubeObject>;
  return Object.assign(Object.create(client) as ResourceClient<T>, {
    bind: async (binding: Binding, o?: CreateOptions & RequestOptions) => {
      await raw.create(
        { apiVersion: 'v1', kind: 'Binding', ...binding },
        { ...o, subresource: 'binding' },
      );
    },
    evict: async (eviction: Eviction, o?: CreateOptions & RequestOptions) => {
      await raw.create(
        { apiVersion: 'policy/v1', kind: 'Eviction', ...eviction },
        { ...o, subresource: 'eviction' },
      );
    },
  });
}

type Namespaced<C> = (namespace?: string) => C;

/** The built-in resources, by group version. */
export const BUILTIN_GVRS = {
  coreV1: {
    pods: gvr('', 'v1', 'pods'),
    nodes: gvr('', 'v1', 'nodes'),
    namespaces: gvr('', 'v1', 'namespaces'),
    services: gvr('', 'v1', 'services'),
    endpoints: gvr('', 'v1', 'endpoints'),
    configMaps: gvr('', 'v1', 'configmaps'),
    secrets: gvr('', 'v1', 'secrets'),
    serviceAccounts: gvr('', 'v1', 'serviceaccounts'),
    events: gvr('', 'v1', 'events'),
    limitRanges: gvr('', 'v1', 'limitranges'),
    resourceQuotas: gvr('', 'v1', 'resourcequotas'),
  },
  appsV1: {
    deployments: gvr('apps', 'v1', 'deployments'),
    replicaSets: gvr('apps', 'v1', 'replicasets'),
    statefulSets: gvr('apps', 'v1', 'statefulsets'),
    daemonSets: gvr('apps', 'v1', 'daemonsets'),
  },
  batchV1: { jobs: gvr('batch', 'v1', 'jobs') },
  coordinationV1: { leases: gvr('coordination.k8s.io', 'v1', 'leases') },
  discoveryV1: { endpointSlices: gvr('discovery.k8s.io', 'v1', 'endpointslices') },
  eventsV1: { events: gvr('events.k8s.io', 'v1', 'events') },
  policyV1: { podDisruptionBudgets: gvr('policy', 'v1', 'poddisruptionbudgets') },
  schedulingV1: { priorityClasses: gvr('scheduling.k8s.io', 'v1', 'priorityclasses') },
  rbacV1: {
    roles: gvr('rbac.authorization.k8s.io', 'v1', 'roles'),
    roleBindings: gvr('rbac.authorization.k8s.io', 'v1', 'rolebindings'),
    clusterRoles: gvr('rbac.authorization.k8s.io', 'v1', 'clusterroles'),
    clusterRoleBindings: gvr('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings'),
  },
  admissionregistrationV1: {
    validatingWebhookConfigurations: gvr(
      'admissionregistration.k8s.io',
      'v1',
      'validatingwebhookconfigurations',
    ),
    mutatingWebhookConfigurations: gvr(
      'admissionregistration.k8s.io',
      'v1',
      'mutatingwebhookconfigurations',
    ),
  },
  apiextensionsV1: {
    customResourceDefinitions: gvr('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'),
  },
} as const;

/** A namespaced resource: `(ns)` for one namespace, `()` for all namespaces. */
function ns<T extends KubeObject>(
  dyn: DynamicClient,
  r: GroupVersionResource,
): Namespaced<ResourceClient<T>> {
  return (namespace) => (namespace ? dyn.resource<T>(r).namespace(namespace) : dyn.resource<T>(r));
}

/**
 * Typed accessors over any {@link DynamicClient} (the gRPC one, or the fake in tests). The type
 * parameter is the object type, `KubeObject` unless given.
 */
export function typedClients(dyn: DynamicClient) {
  const g = BUILTIN_GVRS;
  return {
    coreV1: {
      pods: <T extends KubeObject = KubeObject>(namespace?: string): PodResourceClient<T> =>
        podClient(ns<T>(dyn, g.coreV1.pods)(namespace)),
      nodes: <T extends KubeObject = KubeObject>(): NamespaceableResourceClient<T> =>
        dyn.resource<T>(g.coreV1.nodes),
      namespaces: <T extends KubeObject = KubeObject>(): NamespaceableResourceClient<T> =>
        dyn.resource<T>(g.coreV1.namespaces),
      services: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coreV1.services)(namespace),
      endpoints: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coreV1.endpoints)(namespace),
      configMaps: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coreV1.configMaps)(namespace),
      secrets: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coreV1.secrets)(namespace),
      serviceAccounts: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coreV1.serviceAccounts)(namespace),
      events: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coreV1.events)(namespace),
      limitRanges: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coreV1.limitRanges)(namespace),
      resourceQuotas: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coreV1.resourceQuotas)(namespace),
    },
    appsV1: {
      deployments: <T extends KubeObject = KubeObject>(namespace?: string) =>
        scalable(ns<T>(dyn, g.appsV1.deployments)(namespace)),
      replicaSets: <T extends KubeObject = KubeObject>(namespace?: string) =>
        scalable(ns<T>(dyn, g.appsV1.replicaSets)(namespace)),
      statefulSets: <T extends KubeObject = KubeObject>(namespace?: string) =>
        scalable(ns<T>(dyn, g.appsV1.statefulSets)(namespace)),
      daemonSets: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.appsV1.daemonSets)(namespace),
    },
    batchV1: {
      jobs: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.batchV1.jobs)(namespace),
    },
    coordinationV1: {
      leases: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.coordinationV1.leases)(namespace),
    },
    discoveryV1: {
      endpointSlices: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.discoveryV1.endpointSlices)(namespace),
    },
    eventsV1: {
      events: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.eventsV1.events)(namespace),
    },
    policyV1: {
      podDisruptionBudgets: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.policyV1.podDisruptionBudgets)(namespace),
    },
    schedulingV1: {
      priorityClasses: <T extends KubeObject = KubeObject>() =>
        dyn.resource<T>(g.schedulingV1.priorityClasses),
    },
    rbacV1: {
      roles: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.rbacV1.roles)(namespace),
      roleBindings: <T extends KubeObject = KubeObject>(namespace?: string) =>
        ns<T>(dyn, g.rbacV1.roleBindings)(namespace),
      clusterRoles: <T extends KubeObject = KubeObject>() => dyn.resource<T>(g.rbacV1.clusterRoles),
      clusterRoleBindings: <T extends KubeObject = KubeObject>() =>
        dyn.resource<T>(g.rbacV1.clusterRoleBindings),
    },
    admissionregistrationV1: {
      validatingWebhookConfigurations: <T extends KubeObject = KubeObject>() =>
        dyn.resource<T>(g.admissionregistrationV1.validatingWebhookConfigurations),
      mutatingWebhookConfigurations: <T extends KubeObject = KubeObject>() =>
        dyn.resource<T>(g.admissionregistrationV1.mutatingWebhookConfigurations),
    },
    apiextensionsV1: {
      customResourceDefinitions: <T extends KubeObject = KubeObject>() =>
        dyn.resource<T>(g.apiextensionsV1.customResourceDefinitions),
    },
  };
}

export type TypedClients = ReturnType<typeof typedClients>;

export interface ClientsetOptions extends ChannelSettings {
  /** Overrides the limiter derived from the config's qps/burst. */
  rateLimiter?: RequestRateLimiter;
  retry?: RetryPolicy;
  random?: Random;
  clock?: Clock;
  logger?: Logger;
}

/**
 * The request limiter for a config, as client-go: qps 0/unset means 5 and burst 0/unset 10; a
 * negative qps disables client-side limiting.
 */
export function rateLimiterFor(
  config: Pick<ClientConfig, 'qps' | 'burst'>,
  clock: Clock = realClock,
): RequestRateLimiter {
  const qps = config.qps ?? 0;
  if (qps < 0) return unlimitedRateLimiter;
  return new TokenBucketRateLimiter({
    qps: qps === 0 ? DEFAULT_CLIENT_QPS : qps,
    burst: config.burst && config.burst > 0 ? config.burst : DEFAULT_CLIENT_BURST,
    clock,
  });
}

export interface Clientset extends TypedClients {
  readonly config: ClientConfig;
  /** Every resource, including custom resources, under the clientset's request policy. */
  readonly dynamic: DynamicClient;
  /** The default namespace of the config's context. */
  readonly namespace: string;
  resource<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
  ): NamespaceableResourceClient<T>;
  /** The resources the server serves. */
  discovery(options?: RequestOptions): Promise<DiscoveredResource[]>;
  /** Closes the connection. */
  close(): void;
}

/** Connects to the API server's gRPC API as `config` says (kubeconfig or in-cluster). */
export function newClientset(config: ClientConfig, options: ClientsetOptions = {}): Clientset {
  const transport = new GrpcDynamicClient(config, options);
  const ctx: RequestContext = {
    rateLimiter: options.rateLimiter ?? rateLimiterFor(config, options.clock),
  };
  if (options.retry) ctx.retry = options.retry;
  if (options.clock) ctx.clock = options.clock;
  if (options.random) ctx.random = options.random;
  if (options.logger) ctx.logger = options.logger;
  const dynamic = withDynamicRequestPolicy(transport, ctx);
  return {
    ...typedClients(dynamic),
    config,
    dynamic,
    namespace: config.namespace,
    resource: <T extends KubeObject = KubeObject>(r: GroupVersionResource) =>
      dynamic.resource<T>(r),
    discovery: (o?: RequestOptions) => transport.discovery(o),
    close: () => transport.close(),
  };
}
