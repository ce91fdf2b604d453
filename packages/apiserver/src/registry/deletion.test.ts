import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../storage/codec.js';
import {
  decideDeletion,
  finalizersForGC,
  podGracePeriod,
  shouldDeleteDuringUpdate,
} from './deletion.js';

const now = new Date('2026-01-01T00:00:00Z');
const obj = (meta: ApiObject['metadata'] = {}, extra: Record<string, unknown> = {}): ApiObject => ({
  kind: 'X',
  metadata: { name: 'x', ...meta },
  ...extra,
});

describe('finalizersForGC', () => {
  it('adds and removes the garbage collector finalizers per propagation policy', () => {
    expect(finalizersForGC(['a'], { propagationPolicy: 'Foreground' })).toEqual({
      changed: true,
      finalizers: ['a', 'foregroundDeletion'],
    });
    expect(finalizersForGC(['a'], { propagationPolicy: 'Orphan' })).toEqual({
      changed: true,
      finalizers: ['a', 'orphan'],
    });
    expect(finalizersForGC(['orphan'], { propagationPolicy: 'Background' })).toEqual({
      changed: true,
      finalizers: [],
    });
    expect(finalizersForGC(['orphan'], {})).toEqual({ changed: false, finalizers: ['orphan'] });
    expect(finalizersForGC([], { orphanDependents: true })).toEqual({
      changed: true,
      finalizers: ['orphan'],
    });
  });
});

describe('decideDeletion', () => {
  it('deletes plain objects at once', () => {
    expect(decideDeletion(obj(), {}, now)).toEqual({ kind: 'delete' });
  });

  it('marks objects with finalizers', () => {
    const d = decideDeletion(obj({ finalizers: ['f'] }), {}, now);
    expect(d.kind).toBe('update');
    expect(d.kind === 'update' && d.object.metadata).toMatchObject({
      deletionTimestamp: '2026-01-01T00:00:00Z',
      deletionGracePeriodSeconds: 0,
    });
    // Already marked, nothing new to record.
    const marked = obj({
      finalizers: ['f'],
      deletionTimestamp: '2026-01-01T00:00:00Z',
      deletionGracePeriodSeconds: 0,
    });
    expect(decideDeletion(marked, {}, now).kind).toBe('pending');
    expect(decideDeletion(marked, { propagationPolicy: 'Foreground' }, now).kind).toBe('update');
  });

  it('deletes pods gracefully and lets only a shorter grace period through', () => {
    const pod = obj(
      { generation: 1 },
      { spec: { nodeName: 'n', terminationGracePeriodSeconds: 30 } },
    );
    const first = decideDeletion(pod, {}, now, podGracePeriod);
    expect(first.kind).toBe('update');
    const marked = first.kind === 'update' ? first.object : pod;
    expect(marked.metadata).toMatchObject({
      deletionTimestamp: '2026-01-01T00:00:30Z',
      deletionGracePeriodSeconds: 30,
      generation: 2,
    });
    expect(decideDeletion(marked, { gracePeriodSeconds: 60 }, now, podGracePeriod).kind).toBe(
      'pending',
    );
    const shorter = decideDeletion(marked, { gracePeriodSeconds: 10 }, now, podGracePeriod);
    expect(shorter.kind === 'update' && shorter.object.metadata).toMatchObject({
      deletionTimestamp: '2026-01-01T00:00:10Z',
      deletionGracePeriodSeconds: 10,
    });
    expect(decideDeletion(marked, { gracePeriodSeconds: 0 }, now, podGracePeriod)).toEqual({
      kind: 'delete',
    });
    // Negative grace periods count as 1 s.
    const neg = decideDeletion(marked, { gracePeriodSeconds: -5 }, now, podGracePeriod);
    expect(neg.kind === 'update' && neg.object.metadata?.deletionGracePeriodSeconds).toBe(1);
  });

  it('deletes unscheduled and finished pods at once', () => {
    expect(podGracePeriod(obj({}, { spec: {} }), 30)).toBe(0);
    expect(
      podGracePeriod(
        obj({}, { spec: { nodeName: 'n' }, status: { phase: 'Succeeded' } }),
        undefined,
      ),
    ).toBe(0);
    expect(
      podGracePeriod(
        obj({}, { spec: { nodeName: 'n', terminationGracePeriodSeconds: 5 } }),
        undefined,
      ),
    ).toBe(5);
  });
});

describe('shouldDeleteDuringUpdate', () => {
  it('deletes a terminating object once its last finalizer is removed', () => {
    const old = obj({ deletionTimestamp: 't', deletionGracePeriodSeconds: 0, finalizers: ['f'] });
    expect(
      shouldDeleteDuringUpdate(obj({ deletionTimestamp: 't', deletionGracePeriodSeconds: 0 }), old),
    ).toBe(true);
    expect(shouldDeleteDuringUpdate(obj({ deletionTimestamp: 't', finalizers: ['g'] }), old)).toBe(
      false,
    );
    expect(
      shouldDeleteDuringUpdate(
        obj({ deletionTimestamp: 't' }),
        obj({ deletionTimestamp: 't', deletionGracePeriodSeconds: 30 }),
      ),
    ).toBe(false);
  });
});
