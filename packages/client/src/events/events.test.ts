import { describe, expect, it } from 'vitest';
import { newForbidden, type JsonObject } from '@kubets/apimachinery';
import { FakeClock, flushAsync } from '../testing/fake-clock.js';
import { connectionRefused, ObjectTracker } from '../testing/object-tracker.js';
import { FakeDynamicClient } from '../testing/fake-client.js';
import { noopLogger } from '../util/logger.js';
import { EventCorrelator, eventKey } from './correlator.js';
import { EventBroadcaster, resourceEventSink, sprintf, type EventSink } from './recorder.js';
import { EVENTS, type Event } from './types.js';

const podRef = { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1', apiVersion: 'v1' };

function ev(note: string, reason = 'FailedMount', overrides: Partial<Event> = {}): Event {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `web-1.${note}`, namespace: 'default' },
    eventTime: '2024-01-01T00:00:00.000000Z',
    reportingController: 'kubets.io/kubelet',
    reportingInstance: 'node-1',
    action: 'Mounting',
    reason,
    regarding: podRef,
    note,
    type: 'Warning',
    ...overrides,
  };
}

describe('EventCorrelator', () => {
  it('turns repeats of an identical event into series patches of the first one', () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const c = new EventCorrelator({ clock });
    const first = c.correlate(ev('volume x not found'));
    expect(first.patch).toBeUndefined();
    expect(first.event.series).toBeUndefined();
    c.updateState({ ...first.event, metadata: { ...first.event.metadata, resourceVersion: '7' } });
    clock.setTimer(() => undefined, 0);
    const second = c.correlate(ev('volume x not found'));
    expect(second.event.metadata?.name).toBe(first.event.metadata?.name);
    expect(second.event.series).toEqual({
      count: 2,
      lastObservedTime: '2024-01-01T00:00:00.000000Z',
    });
    expect(second.patch).toEqual({
      series: { count: 2, lastObservedTime: '2024-01-01T00:00:00.000000Z' },
      note: 'volume x not found',
    });
    expect(c.correlate(ev('volume x not found')).event.series?.count).toBe(3);
  });

  it('aggregates more than 10 similar events (same reason, different notes) within 10 minutes', () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const c = new EventCorrelator({ clock });
    const results = Array.from({ length: 12 }, (_, i) => c.correlate(ev(`attempt ${i}`)));
    // The first 9 distinct notes go through as they are.
    for (const r of results.slice(0, 9)) expect(r.event.note).toMatch(/^attempt \d$/);
    // From the 10th similar event on, one combined event is created, then patched.
    expect(results[9]!.event.note).toBe('(combined from similar events): attempt 9');
    expect(results[9]!.patch).toBeUndefined();
    expect(results[10]!.event.metadata?.name).toBe(results[9]!.event.metadata?.name);
    expect(results[10]!.event.note).toBe('(combined from similar events): attempt 10');
    expect(results[10]!.event.series?.count).toBe(2);
    expect(results[11]!.event.series?.count).toBe(3);
    // A different reason is a different group.
    expect(c.correlate(ev('attempt 0', 'BackOff')).event.note).toBe('attempt 0');
  });

  it('starts a fresh aggregation group after the interval passes', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const c = new EventCorrelator({ clock });
    for (let i = 0; i < 9; i++) c.correlate(ev(`n${i}`));
    await clock.advance(601_000);
    expect(c.correlate(ev('n9')).event.note).toBe('n9');
  });

  it('spam filter: 25 events per source+object, then 1 per 5 minutes', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const c = new EventCorrelator({ clock, maxEvents: 1000 });
    const skips = Array.from({ length: 30 }, (_, i) => c.correlate(ev(`m${i}`)).skip);
    expect(skips.filter((s) => !s)).toHaveLength(25);
    expect(skips.slice(25)).toEqual([true, true, true, true, true]);
    // Another object is not affected.
    expect(
      c.correlate(ev('x', 'FailedMount', { regarding: { ...podRef, name: 'web-2', uid: 'u2' } }))
        .skip,
    ).toBe(false);
    await clock.advance(299_000);
    expect(c.correlate(ev('later')).skip).toBe(true);
    await clock.advance(1_000);
    expect(c.correlate(ev('later 2')).skip).toBe(false);
    expect(c.correlate(ev('later 3')).skip).toBe(true);
  });

  it('keys identical events by source, object, type, reason, action and note', () => {
    expect(eventKey(ev('a'))).toBe(eventKey(ev('a')));
    expect(eventKey(ev('a'))).not.toBe(eventKey(ev('b')));
    expect(eventKey(ev('a'))).not.toBe(eventKey(ev('a', 'FailedMount', { action: 'Other' })));
  });
});

describe('sprintf', () => {
  it('renders the Go verbs notes use', () => {
    expect(sprintf('pod %s on %q: %d retries, %v', ['p', 'n1', 3, { a: 1 }])).toBe(
      'pod p on "n1": 3 retries, map[a:1]',
    );
    expect(sprintf('100%% of %s', ['x'])).toBe('100% of x');
    expect(sprintf('%s and %s', ['one'])).toBe('one and %!s(MISSING)');
    expect(sprintf('plain', [])).toBe('plain');
  });
});

describe('EventBroadcaster', () => {
  function setup(sinkWrapper?: (s: EventSink) => EventSink) {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const tracker = new ObjectTracker({ clock });
    const client = new FakeDynamicClient(tracker);
    let sink = resourceEventSink(client.resource<Event>(EVENTS));
    if (sinkWrapper) sink = sinkWrapper(sink);
    const b = new EventBroadcaster({ sink, clock, random: () => 0.5, logger: noopLogger });
    const recorder = b.newRecorder('kubets.io/scheduler', 'scheduler-1');
    return { clock, tracker, client, b, recorder };
  }

  it('creates events.k8s.io/v1 Events and patches repeats into a series', async () => {
    const { clock, tracker, b, recorder } = setup();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'default', uid: 'u1' },
    };
    recorder.eventf(
      pod,
      undefined,
      'Warning',
      'FailedScheduling',
      'Scheduling',
      '0/%d nodes are available',
      3,
    );
    await b.flush();
    let items = tracker.list(EVENTS, 'default').items as Event[];
    expect(items).toHaveLength(1);
    const e = items[0]!;
    expect(e).toMatchObject({
      reportingController: 'kubets.io/scheduler',
      reportingInstance: 'scheduler-1',
      action: 'Scheduling',
      reason: 'FailedScheduling',
      note: '0/3 nodes are available',
      type: 'Warning',
      regarding: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1', apiVersion: 'v1' },
      eventTime: '2024-01-01T00:00:00.000000Z',
    });
    expect(e.series).toBeUndefined();
    expect(e.metadata?.name).toMatch(/^web-1\.[0-9a-f]+$/);
    await clock.advance(5_000);
    recorder.eventf(
      pod,
      undefined,
      'Warning',
      'FailedScheduling',
      'Scheduling',
      '0/%d nodes are available',
      3,
    );
    recorder.eventf(
      pod,
      undefined,
      'Warning',
      'FailedScheduling',
      'Scheduling',
      '0/%d nodes are available',
      3,
    );
    await b.flush();
    items = tracker.list(EVENTS, 'default').items as Event[];
    expect(items).toHaveLength(1);
    expect(items[0]!.series).toEqual({ count: 3, lastObservedTime: '2024-01-01T00:00:05.000000Z' });
    expect(items[0]!.eventTime).toBe('2024-01-01T00:00:00.000000Z');
  });

  it('recreates a repeated event whose original is gone', async () => {
    const { tracker, b, recorder } = setup();
    const pod = { kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } };
    recorder.eventf(pod, undefined, 'Normal', 'Pulled', 'Pulling', 'image pulled');
    await b.flush();
    const first = tracker.list(EVENTS, 'ns').items[0]!;
    tracker.delete(EVENTS, 'ns', first.metadata!.name!);
    recorder.eventf(pod, undefined, 'Normal', 'Pulled', 'Pulling', 'image pulled');
    await b.flush();
    const again = tracker.list(EVENTS, 'ns').items as Event[];
    expect(again).toHaveLength(1);
    expect(again[0]!.series?.count).toBe(2);
  });

  it('retries writes that fail for transport reasons (12 tries, 10 s apart) and drops rejected ones', async () => {
    let attempts = 0;
    let reject = false;
    const { clock, tracker, b, recorder } = setup((inner) => ({
      ...inner,
      create: (e) => {
        attempts++;
        if (reject)
          return Promise.reject(
            newForbidden({ group: 'events.k8s.io', resource: 'events' }, '', 'no'),
          );
        if (attempts < 4) return Promise.reject(connectionRefused());
        return inner.create(e);
      },
    }));
    const pod = { kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } };
    recorder.eventf(pod, undefined, 'Normal', 'Started', 'Starting', 'started');
    await flushAsync();
    expect(attempts).toBe(1);
    await clock.advance(5_000); // first wait randomized: 10 s * 0.5
    expect(attempts).toBe(2);
    await clock.advance(10_000);
    expect(attempts).toBe(3);
    await clock.advance(10_000);
    expect(attempts).toBe(4);
    await b.flush();
    expect(tracker.list(EVENTS, 'ns').items).toHaveLength(1);
    reject = true;
    attempts = 0;
    recorder.eventf(pod, undefined, 'Normal', 'Other', 'Starting', 'x');
    await b.flush();
    expect(attempts).toBe(1);
  });

  it('gives up after 12 tries and drops events when its queue is full', async () => {
    const attempts = new Map<string, number>();
    const clock = new FakeClock();
    const sink: EventSink = {
      create: (e) => {
        attempts.set(e.note ?? '', (attempts.get(e.note ?? '') ?? 0) + 1);
        return Promise.reject(connectionRefused());
      },
      update: () => Promise.reject(connectionRefused()),
      patch: (_e: Event, _p: JsonObject) => Promise.reject(connectionRefused()),
    };
    const b = new EventBroadcaster({
      sink,
      clock,
      random: () => 0,
      logger: noopLogger,
      maxQueued: 1,
    });
    const r = b.newRecorder('c', 'i');
    const pod = { kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } };
    r.eventf(pod, undefined, 'Normal', 'A', 'X', 'one'); // taken by the writer at once
    r.eventf(pod, undefined, 'Normal', 'B', 'X', 'two'); // queued
    r.eventf(pod, undefined, 'Normal', 'C', 'X', 'three'); // queue full: dropped
    expect(b.droppedCount).toBe(1);
    await clock.advance(150_000);
    expect(attempts.get('one')).toBe(12);
    expect(attempts.get('two')).toBeGreaterThan(1);
    expect(attempts.has('three')).toBe(false);
    await b.shutdown();
    r.eventf(pod, undefined, 'Normal', 'D', 'X', 'after shutdown');
    expect(b.droppedCount).toBe(2);
  });

  it('validates what it records', () => {
    const { recorder } = setup();
    const pod = { kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } };
    expect(() => recorder.eventf(pod, undefined, 'Bad' as never, 'R', 'A', 'n')).toThrow(
      /unsupported event type/,
    );
    expect(() => recorder.eventf(pod, undefined, 'Normal', '', 'A', 'n')).toThrow(/reason/);
    expect(() => recorder.eventf(pod, undefined, 'Normal', 'R', '', 'n')).toThrow(/action/);
  });
});
