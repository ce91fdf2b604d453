import { describe, expect, it } from 'vitest';
import {
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newForbidden,
  newInternalError,
  newInvalid,
  newNotFound,
  newServerTimeout,
  newServiceUnavailable,
  newTimeoutError,
  newTooManyRequests,
  newTooManyRequestsError,
} from '@kubets/apimachinery';
import { TokenBucketRateLimiter } from '../flowcontrol/rate-limiter.js';
import { FakeClock, flushAsync } from '../testing/fake-clock.js';
import { connectionRefused, connectionReset } from '../testing/object-tracker.js';
import { isRetriable, type Verb } from './errors.js';
import { runRequest, type RetryPolicy } from './retry.js';

const pods = { group: '', resource: 'pods' };
const noJitter: RetryPolicy = {
  maxRetries: 3,
  backoff: { initialMs: 100, capMs: 1000, factor: 2, jitter: 0 },
};

describe('isRetriable', () => {
  const reads: Verb[] = ['get', 'list', 'watch'];
  const writes: Verb[] = ['create', 'update', 'patch', 'delete', 'deletecollection'];

  it('never retries 4xx semantics errors', () => {
    for (const err of [
      newNotFound(pods, 'x'),
      newConflict(pods, 'x'),
      newAlreadyExists(pods, 'x'),
      newInvalid({ group: '', kind: 'Pod' }, 'x', []),
      newForbidden(pods, 'x', 'no'),
      newBadRequest('bad'),
      new Error('not an API error'),
    ]) {
      for (const v of [...reads, ...writes])
        expect(isRetriable(err, v), `${err.message} ${v}`).toBe(false);
    }
  });

  it('retries 429 for every verb', () => {
    for (const v of [...reads, ...writes]) {
      expect(isRetriable(newTooManyRequests('slow down', 2), v)).toBe(true);
      expect(isRetriable(newTooManyRequestsError('slow down'), v)).toBe(true);
    }
  });

  it('retries 5xx for reads, and for writes only when the server asked for a retry', () => {
    for (const v of reads) {
      expect(isRetriable(newInternalError('boom'), v)).toBe(true);
      expect(isRetriable(newServiceUnavailable('down'), v)).toBe(true);
    }
    for (const v of writes) {
      expect(isRetriable(newInternalError('boom'), v)).toBe(false);
      expect(isRetriable(newServiceUnavailable('down'), v)).toBe(false);
      expect(isRetriable(newServerTimeout(pods, 'create', 2), v)).toBe(true);
      expect(isRetriable(newTimeoutError('later', 1), v)).toBe(true);
    }
  });

  it('retries a refused connection for every verb, a broken one only for reads', () => {
    for (const v of [...reads, ...writes]) expect(isRetriable(connectionRefused(), v)).toBe(true);
    for (const v of reads) expect(isRetriable(connectionReset(), v)).toBe(true);
    for (const v of writes) expect(isRetriable(connectionReset(), v)).toBe(false);
  });
});

describe('runRequest', () => {
  it('waits the server-given Retry-After before retrying a 429', async () => {
    const clock = new FakeClock();
    let calls = 0;
    let result: string | undefined;
    void runRequest(
      'create',
      'pods',
      () => {
        calls++;
        if (calls === 1) return Promise.reject(newTooManyRequests('busy', 5));
        return Promise.resolve('ok');
      },
      { clock, retry: noJitter },
    ).then((r) => (result = r));
    await flushAsync();
    expect(calls).toBe(1);
    await clock.advance(4999);
    expect(calls).toBe(1);
    await clock.advance(1);
    expect(calls).toBe(2);
    expect(result).toBe('ok');
  });

  it('backs off exponentially and gives up after maxRetries', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    let error: unknown;
    void runRequest(
      'get',
      'pods/x',
      () => {
        times.push(clock.now());
        return Promise.reject(newServiceUnavailable('down'));
      },
      { clock, retry: noJitter },
    ).catch((e: unknown) => (error = e));
    await clock.advance(10_000);
    expect(times).toEqual([0, 100, 300, 700]);
    expect((error as Error).message).toBe('down');
  });

  it('does not retry errors that are not retriable', async () => {
    let calls = 0;
    await expect(
      runRequest(
        'update',
        'pods/x',
        () => {
          calls++;
          return Promise.reject(newConflict(pods, 'x'));
        },
        { clock: new FakeClock(), retry: noJitter },
      ),
    ).rejects.toThrow(/Operation cannot be fulfilled/);
    expect(calls).toBe(1);
  });

  it('takes a rate-limiter token for every attempt', async () => {
    const clock = new FakeClock();
    const rateLimiter = new TokenBucketRateLimiter({ qps: 1, burst: 1, clock });
    const times: number[] = [];
    let done = false;
    void runRequest(
      'list',
      'pods',
      () => {
        times.push(clock.now());
        return times.length < 3 ? Promise.reject(connectionRefused()) : Promise.resolve(1);
      },
      {
        clock,
        rateLimiter,
        retry: { ...noJitter, backoff: { ...noJitter.backoff, initialMs: 10 } },
      },
    ).then(() => (done = true));
    await clock.advance(5000);
    expect(done).toBe(true);
    // The backoff (10, 20 ms) is shorter than a token (1 s): the rate limiter spaces the attempts.
    expect(times).toEqual([0, 1000, 2000]);
  });

  it('stops waiting when aborted', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const p = runRequest(
      'get',
      'x',
      () => Promise.reject(connectionRefused()),
      { clock, retry: noJitter },
      ac.signal,
    );
    await flushAsync();
    ac.abort();
    await expect(p).rejects.toThrow(/aborted/);
  });
});
