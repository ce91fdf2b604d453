/**
 * Constructors of the built-in plugins that read storage, by upstream name.
 */
import type { Logger } from '@kubets/component-base';
import type { Catalog } from '../registry/catalog.js';
import type { ApiObject } from '../storage/codec.js';
import type { ResourceStore } from '../storage/store.js';
import type { AdmissionObserver } from './metrics.js';
import { DefaultTolerationSeconds } from './plugins/default-toleration-seconds.js';
import { LimitRanger } from './plugins/limit-ranger.js';
import { NodeRestriction } from './plugins/node-restriction.js';
import { ResourceQuotaPlugin } from './plugins/resource-quota.js';
import { ServiceAccountPlugin } from './plugins/service-account.js';
import { PodSecurity } from './podsecurity/plugin.js';
import { DEFAULT_POD_SECURITY, type PodSecurityConfig } from './podsecurity/policy.js';
import { QuotaController } from './quota/controller.js';
import type { AdmissionPlugin } from './types.js';

export interface PluginContext {
  catalog: Catalog;
  newUID: () => string;
  randomIntn: (n: number) => number;
  now: () => Date;
  observer?: AdmissionObserver;
  logger?: Logger;
  getNamespace(name: string): Promise<ApiObject | undefined>;
  store(group: string, plural: string): ResourceStore | undefined;
  podSecurity: PodSecurityConfig | undefined;
  quotaResyncMs: number | undefined;
}

export interface MadePlugin {
  plugin: AdmissionPlugin;
  background?: { start(): void; stop(): Promise<void> };
}

export function pluginFactories(): Record<string, (ctx: PluginContext) => MadePlugin> {
  return {
    LimitRanger: (ctx) => ({
      // Read through the watch cache (as upstream's informer), not etcd, on every create.
      plugin: new LimitRanger(
        async (ns) => (await ctx.catalog.get('', 'limitranges')?.cachedList(ns)) ?? [],
      ),
    }),
    ServiceAccount: (ctx) => ({
      plugin: new ServiceAccountPlugin(
        // The cache first, as upstream's lister; a miss (new account, no cache) asks etcd.
        async (ns, name) =>
          ctx.catalog.get('', 'serviceaccounts')?.cachedObject(ns, name) ??
          ctx.store('', 'serviceaccounts')?.tryGet(ns, name),
        ctx.randomIntn,
      ),
    }),
    NodeRestriction: (ctx) => ({
      plugin: new NodeRestriction({
        getPod: async (ns, name) => ctx.store('', 'pods')?.tryGet(ns, name),
        getNode: async (name) => ctx.store('', 'nodes')?.tryGet(undefined, name),
      }),
    }),
    PodSecurity: (ctx) => ({
      plugin: new PodSecurity(
        (name) => ctx.getNamespace(name),
        ctx.podSecurity ?? DEFAULT_POD_SECURITY,
        async (ns) => (await ctx.store('', 'pods')?.list(ns, {}))?.items ?? [],
      ),
    }),
    DefaultTolerationSeconds: () => ({ plugin: new DefaultTolerationSeconds() }),
    ResourceQuota: (ctx) => ({
      plugin: new ResourceQuotaPlugin(
        () => ctx.store('', 'resourcequotas'),
        async (ns) => (await ctx.catalog.get('', 'resourcequotas')?.cachedList(ns)) ?? [],
      ),
      background: new QuotaController({
        quotas: () => ctx.store('', 'resourcequotas'),
        store: (g, r) => ctx.store(g, r),
        watchCache: (g, r) => ctx.catalog.get(g, r)?.watchCache,
        ...(ctx.quotaResyncMs !== undefined ? { resyncMs: ctx.quotaResyncMs } : {}),
        ...(ctx.logger ? { logger: ctx.logger } : {}),
      }),
    }),
  };
}
