import { describe, expect, it } from 'vitest';
import { isConflict, newServiceUnavailable } from '@kubets/apimachinery';
import { TokenBucketRateLimiter } from '../flowcontrol/rate-limiter.js';
import { FakeClock } from '../testing/fake-clock.js';
import { failWith } from '../testing/fake-client.js';
import { newFakeClient } from '../testing/index.js';
import { CONFIGMAPS, PODS } from '../testing/resources.js';
import { withDynamicRequestPolicy } from './policy-client.js';

describe('withDynamicRequestPolicy', () => {
  it('shares one rate limiter across all resources of a client', async () => {
    const clock = new FakeClock();
    const fake = newFakeClient({ clock });
    const rateLimiter = new TokenBucketRateLimiter({ qps: 2, burst: 2, clock });
    const client = withDynamicRequestPolicy(fake, { clock, rateLimiter });
    const done: number[] = [];
    const reqs = [
      client.resource(PODS).list(),
      client.resource(CONFIGMAPS).list(),
      client.resource(PODS).namespace('default').list(),
      client.resource(CONFIGMAPS).namespace('x').list(),
    ].map((p) => p.then(() => done.push(clock.now())));
    await clock.advance(2_000);
    await Promise.all(reqs);
    expect(done).toEqual([0, 0, 500, 1000]);
  });

  it('retries retriable failures and passes others through', async () => {
    const clock = new FakeClock();
    const fake = newFakeClient({ clock });
    const client = withDynamicRequestPolicy(fake, {
      clock,
      random: () => 0,
      retry: { maxRetries: 5, backoff: { initialMs: 100, capMs: 1000, factor: 2, jitter: 0 } },
    });
    let failures = 2;
    fake.prependReactor('list', 'pods', () =>
      failures-- > 0 ? { error: newServiceUnavailable('restarting') } : undefined,
    );
    const listed = client.resource(PODS).list();
    await clock.advance(1_000);
    expect((await listed).items).toEqual([]);
    expect(fake.actions().filter((a) => a.verb === 'list')).toHaveLength(3);

    const pods = client.resource(PODS).namespace('default');
    const created = await pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } });
    fake.prependReactor(
      'update',
      'pods',
      failWith(newServiceUnavailable('no retry for writes without Retry-After')),
    );
    await expect(pods.update(created)).rejects.toThrow(/no retry/);
    const stale = { ...created };
    fake.clearActions();
    fake.tracker.update(PODS, 'default', {
      ...created,
      metadata: { ...created.metadata, labels: { a: 'b' } },
    });
    let err: unknown;
    try {
      await client
        .resource(PODS)
        .namespace('default')
        .patch('a', 'application/merge-patch+json', {
          metadata: { resourceVersion: stale.metadata!.resourceVersion },
        });
    } catch (e) {
      err = e;
    }
    expect(isConflict(err)).toBe(true);
    expect(fake.actions()).toHaveLength(1);
  });
});
