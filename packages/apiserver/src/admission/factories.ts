/**
 * Constructors of the built-in plugins that read storage, by upstream name.
 */
import type { Logger } from '@kubets/component-base';
import type { Catalog } from '../registry/catalog.js';
import type { ApiObject } from '../storage/codec.js';
import type { ResourceStore } from '../storage/store.js';
import type { AdmissionObserver } from './metrics.js';
import type { PodSecurityDefaults } from './podsecurity/policy.js';
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
  podSecurityDefaults: PodSecurityDefaults | undefined;
}

export interface MadePlugin {
  plugin: AdmissionPlugin;
  background?: { start(): void; stop(): Promise<void> };
}

export function pluginFactories(): Record<string, (ctx: PluginContext) => MadePlugin> {
  return {};
}
