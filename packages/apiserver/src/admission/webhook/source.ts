/**
 * The webhook configurations in force: Mutating/ValidatingWebhookConfigurations read from
 * storage and cached briefly. Writes through this server invalidate the cache at once (the
 * registries' hooks call `invalidate`); writes through another server are seen within about two
 * TTLs, as upstream's informer-fed configuration lags too.
 *
 * Every admitted request asks for the webhooks, so the read must not sit on the request path:
 * one read at a time is in flight (callers share it), and once the list is older than the TTL the
 * next callers still get it while one read refreshes it in the background (for up to another TTL;
 * older than that, callers wait for the fresh list). Before, every request arriving while an
 * expired list was being re-read issued its own list from the store and waited for it: at 500
 * PATCHes/s that was up to a few hundred store reads a second, and once a second every update
 * paid one or two extra store round trips (ADR 0024).
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
  /** The read in flight, shared by every caller of its generation. */
  private reading: { generation: number; hooks: Promise<ConfiguredWebhook<H>[]> } | undefined;

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
    if (c) {
      const age = this.now() - c.at;
      if (age < this.ttlMs) return c.hooks;
      if (age < 2 * this.ttlMs) {
        // Refreshed in the background; a failed read leaves the list as it is (the next caller
        // after the TTL tries again, and past two TTLs callers see the error).
        this.read().catch(() => undefined);
        return c.hooks;
      }
    }
    return this.read();
  }

  private read(): Promise<ConfiguredWebhook<H>[]> {
    const current = this.reading;
    if (current && current.generation === this.generation) return current.hooks;
    const generation = this.generation;
    const hooks = this.list().then((configs) => {
      const out = [...configs]
        .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
        .flatMap((cfg) =>
          ((cfg.webhooks as H[] | undefined) ?? []).map((hook) => ({
            hook,
            configuration: cfg.metadata?.name ?? '',
          })),
        );
      if (generation === this.generation) this.cached = { at: this.now(), hooks: out };
      return out;
    });
    const entry = { generation, hooks };
    this.reading = entry;
    const done = (): void => {
      if (this.reading === entry) this.reading = undefined;
    };
    hooks.then(done, done);
    return hooks;
  }
}
