/**
 * The webhook configurations in force: Mutating/ValidatingWebhookConfigurations read from
 * storage and cached briefly. Writes through this server invalidate the cache at once (the
 * registries' hooks call `invalidate`); writes through another server are seen within the TTL,
 * as upstream's informer-fed configuration lags too.
 */
import type { MutatingWebhook, ValidatingWebhook } from '@kubets/api';
import type { ApiObject } from '../../storage/codec.js';

export interface ConfiguredWebhook<H> {
  hook: H;
  /** The configuration's name, for ordering and logs. */
  configuration: string;
}

export type ConfigurationLister = () => Promise<ApiObject[]>;

export class WebhookSource<H extends ValidatingWebhook | MutatingWebhook> {
  private cached: { at: number; hooks: ConfiguredWebhook<H>[] } | undefined;
  private generation = 0;

  constructor(
    private readonly list: ConfigurationLister,
    private readonly ttlMs = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  invalidate(): void {
    this.cached = undefined;
    this.generation++;
  }

  /** Webhooks ordered by configuration name, then position, as upstream sorts them. */
  async webhooks(): Promise<ConfiguredWebhook<H>[]> {
    const c = this.cached;
    if (c && this.now() - c.at < this.ttlMs) return c.hooks;
    const gen = this.generation;
    const configs = await this.list();
    const hooks = [...configs]
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
      .flatMap((cfg) =>
        ((cfg.webhooks as H[] | undefined) ?? []).map((hook) => ({
          hook,
          configuration: cfg.metadata?.name ?? '',
        })),
      );
    if (gen === this.generation) this.cached = { at: this.now(), hooks };
    return hooks;
  }
}
