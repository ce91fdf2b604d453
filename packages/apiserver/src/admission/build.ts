/**
 * Builds the admission chain of a running server from the enabled plugin names, giving each
 * plugin the storage it reads (namespaces, service accounts, limit ranges, quotas, webhook
 * configurations) through the catalog.
 */
import { newForbidden } from '@kubets/apimachinery';
import type { MutatingWebhook, ValidatingWebhook } from '@kubets/api';
import type { Logger } from '@kubets/component-base';
import type { Catalog } from '../registry/catalog.js';
import type { ApiObject } from '../storage/codec.js';
import { AdmissionChain } from './chain.js';
import type { AdmissionObserver } from './metrics.js';
import { noMetrics } from './metrics.js';
import { resolvePlugins } from './plugins.js';
import { isTerminating, NamespaceLifecycle } from './plugins/namespace-lifecycle.js';
import { MutatingWebhookPlugin, ValidatingWebhookPlugin } from './webhook/dispatcher.js';
import type { Equivalents } from './webhook/matcher.js';
import { WebhookSource } from './webhook/source.js';
import type { AdmissionPlugin, AdmissionAttributes, Operation } from './types.js';
import { pluginFactories, type PluginContext } from './factories.js';
import type { PodSecurityConfig } from './podsecurity/policy.js';

export interface AdmissionOptions {
  /** `--enable-admission-plugins`. */
  enablePlugins?: string[];
  /** `--disable-admission-plugins`. */
  disablePlugins?: string[];
  /** PodSecurity defaults and exemptions (`--admission-control-config-file`). */
  podSecurity?: PodSecurityConfig;
  /** The quota controller's full resync period (default 5 min, upstream's). */
  quotaResyncMs?: number;
  /** How long webhook configurations are cached when written elsewhere (default 1 s). */
  webhookConfigTTLMs?: number;
}

export interface BuiltAdmission {
  chain: AdmissionChain;
  /** Called when a webhook configuration is written through this server. */
  invalidateWebhooks(): void;
  /** Background work (the quota usage recalculation); stopped on close. */
  start(): void;
  stop(): Promise<void>;
}

export interface BuildContext {
  catalog: Catalog;
  newUID: () => string;
  randomIntn: (n: number) => number;
  now: () => Date;
  observer?: AdmissionObserver;
  logger?: Logger;
}

const ALWAYS_ADMIT: AdmissionPlugin & { validate(): Promise<void> } = {
  name: 'AlwaysAdmit',
  handles: () => true,
  validate: () => Promise.resolve(),
};

const ALWAYS_DENY = {
  name: 'AlwaysDeny',
  handles: (_op: Operation) => true,
  validate: (a: AdmissionAttributes): Promise<void> =>
    Promise.reject(
      newForbidden(
        { group: a.resource.group, resource: a.resource.resource },
        a.name,
        'admission control is denying all modifications',
      ),
    ),
};

export function buildAdmission(o: AdmissionOptions, ctx: BuildContext): BuiltAdmission {
  const { enabled, unimplemented } = resolvePlugins(o.enablePlugins, o.disablePlugins);
  if (unimplemented.length > 0) {
    ctx.logger?.v(2).info('Admission plugins enabled but not implemented by kubets', {
      plugins: unimplemented,
    });
  }
  const store = (group: string, plural: string) => ctx.catalog.get(group, plural)?.store;
  // As upstream's plugin reads its informer: an active namespace in the watch cache admits without
  // a store read; anything else (missing, terminating, no cache, or `live` asked) is looked up live.
  const getNamespace = async (
    name: string,
    o?: { live?: boolean },
  ): Promise<ApiObject | undefined> => {
    const cached = o?.live
      ? undefined
      : ctx.catalog.get('', 'namespaces')?.cachedObject(undefined, name);
    if (cached && !isTerminating(cached)) return cached;
    return store('', 'namespaces')?.tryGet(undefined, name);
  };
  const listAll = (group: string, plural: string) => async (): Promise<ApiObject[]> => {
    const s = store(group, plural);
    return s ? (await s.list(undefined, {})).items : [];
  };
  const ttl = o.webhookConfigTTLMs ?? 1000;
  const mutatingSource = new WebhookSource<MutatingWebhook>(
    listAll('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
    ttl,
  );
  const validatingSource = new WebhookSource<ValidatingWebhook>(
    listAll('admissionregistration.k8s.io', 'validatingwebhookconfigurations'),
    ttl,
  );
  const equivalents: Equivalents = (attrs) => {
    const r = ctx.catalog.get(attrs.resource.group, attrs.resource.resource);
    if (!r) return [];
    return r.def.versions
      .filter((v) => v.served && v.name !== attrs.resource.version)
      .map((v) => ({
        resource: { ...attrs.resource, version: v.name },
        kind: { ...attrs.kind, version: v.name },
      }));
  };
  const webhookDeps = {
    getNamespace,
    serviceClusterIP: async (namespace: string, name: string) => {
      const svc = await store('', 'services')?.tryGet(namespace, name);
      return (svc?.spec as { clusterIP?: string } | undefined)?.clusterIP;
    },
    equivalents,
    newUID: ctx.newUID,
    observer: ctx.observer ?? noMetrics,
    ...(ctx.logger ? { logger: ctx.logger } : {}),
  };
  const pctx: PluginContext = {
    ...ctx,
    getNamespace,
    store,
    podSecurity: o.podSecurity,
    quotaResyncMs: o.quotaResyncMs,
  };
  const factories = pluginFactories();
  const background: { start(): void; stop(): Promise<void> }[] = [];
  const plugins: AdmissionPlugin[] = [];
  for (const name of enabled) {
    switch (name) {
      case 'AlwaysAdmit':
        plugins.push(ALWAYS_ADMIT);
        break;
      case 'AlwaysDeny':
        plugins.push(ALWAYS_DENY);
        break;
      case 'NamespaceLifecycle':
        plugins.push(new NamespaceLifecycle(getNamespace));
        break;
      case 'MutatingAdmissionWebhook':
        plugins.push(new MutatingWebhookPlugin(mutatingSource, webhookDeps));
        break;
      case 'ValidatingAdmissionWebhook':
        plugins.push(new ValidatingWebhookPlugin(validatingSource, webhookDeps));
        break;
      default: {
        const make = factories[name];
        if (!make) break;
        const made = make(pctx);
        plugins.push(made.plugin);
        if (made.background) background.push(made.background);
      }
    }
  }
  return {
    chain: new AdmissionChain(plugins, ctx.observer ?? noMetrics),
    invalidateWebhooks: () => {
      mutatingSource.invalidate();
      validatingSource.invalidate();
    },
    start: () => background.forEach((b) => b.start()),
    stop: async () => {
      for (const b of background) await b.stop();
    },
  };
}
