import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@kubets/apimachinery';
import { pod } from '../../test/support/fixtures.js';
import { DeltaFIFO, FIFOClosedError, RequeueError, type Delta } from './delta-fifo.js';
import { DeletedFinalStateUnknown } from './keys.js';
import { newNamespacedIndexer } from './store.js';

function rv(o: KubeObject, v: string): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: v } };
}

function describeDeltas(ds: readonly Delta<KubeObject>[]): string[] {
  return ds.map((d) =>
    d.object instanceof DeletedFinalStateUnknown
      ? `${d.type}(tombstone ${d.object.key}${d.object.obj ? ' ' + (d.object.obj.metadata?.resourceVersion ?? '') : ''})`
      : `${d.type}(${d.object.metadata?.resourceVersion ?? ''})`,
  );
}

async function popAll(f: DeltaFIFO<KubeObject>): Promise<[string, string[], boolean][]> {
  const out: [string, string[], boolean][] = [];
  while (f.length > 0) {
    await f.pop((ds, initial) => out.push([f.keyOf([...ds]), describeDeltas(ds), initial]));
  }
  return out;
}

describe('DeltaFIFO', () => {
  it('accumulates the deltas of a key in order and pops keys in first-queued order', async () => {
    const f = new DeltaFIFO<KubeObject>();
    f.add(rv(pod('a'), '1'));
    f.add(rv(pod('b'), '2'));
    f.update(rv(pod('a'), '3'));
    f.delete(rv(pod('a'), '4'));
    expect(f.listKeys()).toEqual(['default/a', 'default/b']);
    expect(await popAll(f)).toEqual([
      ['default/a', ['Added(1)', 'Updated(3)', 'Deleted(4)'], false],
      ['default/b', ['Added(2)'], false],
    ]);
  });

  it('collapses consecutive deletions, preferring a known final state over a tombstone', async () => {
    const known = newNamespacedIndexer<KubeObject>();
    known.add(rv(pod('a'), '1'));
    const f = new DeltaFIFO<KubeObject>({ knownObjects: known });
    f.replace([], '5'); // relist lacks a: tombstone
    f.delete(rv(pod('a'), '4')); // and the watch's DELETED event
    expect(await popAll(f)).toEqual([['default/a', ['Deleted(4)'], true]]);
  });

  it('ignores a delete for an object that is neither queued nor known', () => {
    const f = new DeltaFIFO<KubeObject>({ knownObjects: newNamespacedIndexer() });
    f.delete(rv(pod('ghost'), '9'));
    expect(f.length).toBe(0);
    const noKnown = new DeltaFIFO<KubeObject>();
    noKnown.delete(rv(pod('ghost'), '9'));
    expect(noKnown.length).toBe(0);
  });

  it('replace: Replaced for listed objects, tombstones for cached and queued objects the list lacks', async () => {
    const known = newNamespacedIndexer<KubeObject>();
    known.add(rv(pod('cached-gone'), '1'));
    known.add(rv(pod('cached-kept'), '2'));
    const f = new DeltaFIFO<KubeObject>({ knownObjects: known });
    f.add(rv(pod('queued-gone'), '3'));
    f.replace([rv(pod('cached-kept'), '2'), rv(pod('new'), '7')], '7');
    expect(await popAll(f)).toEqual([
      ['default/queued-gone', ['Added(3)', 'Deleted(tombstone default/queued-gone 3)'], false],
      ['default/cached-kept', ['Replaced(2)'], false],
      ['default/new', ['Replaced(7)'], false],
      ['default/cached-gone', ['Deleted(tombstone default/cached-gone 1)'], false],
    ]);
  });

  it('hasSynced once every item of the first replace has been popped', async () => {
    const f = new DeltaFIFO<KubeObject>({ knownObjects: newNamespacedIndexer() });
    expect(f.hasSynced()).toBe(false);
    f.replace([rv(pod('a'), '1'), rv(pod('b'), '1')], '1');
    expect(f.hasSynced()).toBe(false);
    const seen: boolean[] = [];
    await f.pop((_d, initial) => seen.push(initial));
    expect(f.hasSynced()).toBe(false);
    f.add(rv(pod('c'), '2')); // arrives during the initial sync
    await f.pop((_d, initial) => seen.push(initial));
    expect(f.hasSynced()).toBe(true);
    await f.pop((_d, initial) => seen.push(initial));
    expect(seen).toEqual([true, true, false]);
  });

  it('resync queues Sync for cached objects, except those with queued deltas', async () => {
    const known = newNamespacedIndexer<KubeObject>();
    known.add(rv(pod('a'), '1'));
    known.add(rv(pod('b'), '1'));
    const f = new DeltaFIFO<KubeObject>({ knownObjects: known });
    f.update(rv(pod('b'), '5'));
    f.resync();
    expect(await popAll(f)).toEqual([
      ['default/b', ['Updated(5)'], false],
      ['default/a', ['Sync(1)'], false],
    ]);
  });

  it('requeues on RequeueError, drops on other errors, and rejects pops once closed', async () => {
    const f = new DeltaFIFO<KubeObject>();
    f.add(rv(pod('a'), '1'));
    await expect(
      f.pop(() => {
        throw new RequeueError(new Error('later'));
      }),
    ).rejects.toThrow('later');
    expect(f.listKeys()).toEqual(['default/a']);
    await expect(
      f.pop(() => {
        throw new Error('broken handler');
      }),
    ).rejects.toThrow('broken handler');
    expect(f.length).toBe(0);
    const waiting = f.pop(() => undefined);
    f.close();
    await expect(waiting).rejects.toBeInstanceOf(FIFOClosedError);
  });

  it('applies the transform once, on entry', async () => {
    let calls = 0;
    const f = new DeltaFIFO<KubeObject>({
      transform: (o) => {
        calls++;
        const copy = { ...o, metadata: { ...o.metadata } };
        delete copy.metadata.managedFields;
        return copy;
      },
    });
    f.add({
      ...rv(pod('a'), '1'),
      metadata: { ...pod('a').metadata, managedFields: [{ manager: 'x' }] },
    });
    const got: KubeObject[] = [];
    await f.pop((ds) => got.push(ds[0]!.object as KubeObject));
    expect(calls).toBe(1);
    expect(got[0]!.metadata?.managedFields).toBeUndefined();
  });
});
