import { describe, expect, it } from 'vitest';
import type { ValidatingWebhook } from '@kubets/api';
import type { ApiObject } from '../../storage/codec.js';
import { WebhookSource } from './source.js';

/** A lister whose reads the test answers one by one, with a clock the test moves. */
function harness(ttlMs = 1000) {
  const reads: { resolve: (v: ApiObject[]) => void; reject: (e: Error) => void }[] = [];
  let now = 0;
  const source = new WebhookSource<ValidatingWebhook>(
    () => new Promise<ApiObject[]>((resolve, reject) => reads.push({ resolve, reject })),
    ttlMs,
    () => now,
  );
  const config = (name: string): ApiObject[] => [
    { metadata: { name }, webhooks: [{ name: `${name}.example.com` }] },
  ];
  const names = (hooks: { configuration: string }[]) => hooks.map((h) => h.configuration);
  return {
    source,
    reads,
    config,
    names,
    at: (ms: number) => (now = ms),
  };
}

describe('WebhookSource', () => {
  it('shares one store read among the callers that wait for it', async () => {
    const h = harness();
    const calls = [h.source.webhooks(), h.source.webhooks(), h.source.webhooks()];
    expect(h.reads).toHaveLength(1);
    h.reads[0]!.resolve(h.config('a'));
    for (const c of calls) expect(h.names(await c)).toEqual(['a']);
    // Within the TTL: no read at all.
    h.at(999);
    expect(h.names(await h.source.webhooks())).toEqual(['a']);
    expect(h.reads).toHaveLength(1);
  });

  it('answers with the expired list while one read refreshes it, for one more TTL', async () => {
    const h = harness();
    const first = h.source.webhooks();
    h.reads[0]!.resolve(h.config('a'));
    await first;
    h.at(1500);
    // Expired: the old list at once, and a single refresh for all of these callers.
    expect(h.names(await h.source.webhooks())).toEqual(['a']);
    expect(h.names(await h.source.webhooks())).toEqual(['a']);
    expect(h.reads).toHaveLength(2);
    h.reads[1]!.resolve(h.config('b'));
    await new Promise((r) => setImmediate(r));
    expect(h.names(await h.source.webhooks())).toEqual(['b']);
    expect(h.reads).toHaveLength(2);
  });

  it('waits for a fresh list once the cached one is older than two TTLs', async () => {
    const h = harness();
    const first = h.source.webhooks();
    h.reads[0]!.resolve(h.config('a'));
    await first;
    h.at(2000);
    let answered = false;
    const late = h.source.webhooks().then((hooks) => {
      answered = true;
      return hooks;
    });
    await Promise.resolve();
    expect(answered).toBe(false);
    h.reads[1]!.resolve(h.config('b'));
    expect(h.names(await late)).toEqual(['b']);
  });

  it('never answers with a list read before an invalidation', async () => {
    const h = harness();
    const first = h.source.webhooks();
    h.reads[0]!.resolve(h.config('a'));
    await first;
    // A read in flight when a configuration is written through this server...
    h.at(1200);
    await h.source.webhooks();
    expect(h.reads).toHaveLength(2);
    h.source.invalidate();
    // ...is neither shared with later callers nor cached: they wait for a read of their own.
    const after = h.source.webhooks();
    expect(h.reads).toHaveLength(3);
    h.reads[1]!.resolve(h.config('stale'));
    h.reads[2]!.resolve(h.config('fresh'));
    expect(h.names(await after)).toEqual(['fresh']);
    expect(h.names(await h.source.webhooks())).toEqual(['fresh']);
  });

  it('keeps the list when a background refresh fails, and reports errors past two TTLs', async () => {
    const h = harness();
    const first = h.source.webhooks();
    h.reads[0]!.resolve(h.config('a'));
    await first;
    h.at(1100);
    expect(h.names(await h.source.webhooks())).toEqual(['a']);
    h.reads[1]!.reject(new Error('store unavailable'));
    await new Promise((r) => setImmediate(r));
    // The next caller after the failure tries again, still answered from the old list.
    expect(h.names(await h.source.webhooks())).toEqual(['a']);
    expect(h.reads).toHaveLength(3);
    h.reads[2]!.reject(new Error('store unavailable'));
    await new Promise((r) => setImmediate(r));
    h.at(2100);
    const failing = h.source.webhooks();
    h.reads[3]!.reject(new Error('store unavailable'));
    await expect(failing).rejects.toThrow('store unavailable');
  });
});
