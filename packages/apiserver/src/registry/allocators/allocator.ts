/**
 * A range allocator persisted in etcd as upstream's RangeAllocation objects
 * (`/registry/ranges/serviceips`, `/registry/ranges/servicenodeports`): every allocation and
 * release is a compare-and-swap of the bitmap, so several API servers share one consistent view.
 * Dynamic allocations start at a random offset, as upstream's random-scan strategy does.
 */
import type { EtcdClient } from '../../storage/etcd/etcd-client.js';
import { Bitmap, type AllocationRange } from './ranges.js';

export class RangeFullError extends Error {
  constructor(range: string) {
    super(`range is full: no free values in ${range}`);
    this.name = 'RangeFullError';
  }
}

export class NotInRangeError extends Error {
  constructor(
    readonly value: string | number,
    readonly range: string,
  ) {
    super(
      `the provided value (${value}) is not in the valid range. The range of valid values is ${range}`,
    );
    this.name = 'NotInRangeError';
  }
}

export class AlreadyAllocatedError extends Error {
  constructor(readonly value: string | number) {
    super('provided value is already allocated');
    this.name = 'AlreadyAllocatedError';
  }
}

interface RangeAllocationObject {
  apiVersion: 'v1';
  kind: 'RangeAllocation';
  metadata: Record<string, never>;
  range: string;
  data: string;
}

export class PersistentAllocator {
  private readonly key: Buffer;

  constructor(
    private readonly client: EtcdClient,
    key: string,
    readonly range: AllocationRange,
    private readonly randomIntn: (n: number) => number,
  ) {
    this.key = Buffer.from(key);
  }

  /** Reads the bitmap (empty when never written, or written for another range). */
  async snapshot(): Promise<Bitmap> {
    return (await this.read()).bitmap;
  }

  /** Allocates a specific value; throws NotInRangeError or AlreadyAllocatedError. */
  async allocate(value: string | number, dryRun = false): Promise<string | number> {
    const offset = this.range.offsetOf(value);
    if (offset === undefined) throw new NotInRangeError(value, this.range.text);
    await this.update((bm) => {
      if (bm.has(offset)) throw new AlreadyAllocatedError(value);
      bm.set(offset);
    }, dryRun);
    return this.range.valueAt(offset);
  }

  /** Allocates any free value. */
  async allocateNext(dryRun = false): Promise<string | number> {
    let chosen = -1;
    await this.update((bm) => {
      const o = bm.firstFreeFrom(this.randomIntn(this.range.size));
      if (o === undefined) throw new RangeFullError(this.range.text);
      bm.set(o);
      chosen = o;
    }, dryRun);
    return this.range.valueAt(chosen);
  }

  /** Releases a value (no-op when outside the range or free). */
  async release(value: string | number): Promise<void> {
    const offset = this.range.offsetOf(value);
    if (offset === undefined) return;
    await this.update((bm) => bm.clear(offset), false);
  }

  /** Replaces the bitmap with exactly `values` (the repair step at start-up). */
  async reset(values: Iterable<string | number>): Promise<void> {
    await this.update((bm) => {
      for (let i = 0; i < bm.size; i++) bm.clear(i);
      for (const v of values) {
        const o = this.range.offsetOf(v);
        if (o !== undefined) bm.set(o);
      }
    }, false);
  }

  private async read(): Promise<{ bitmap: Bitmap; modRevision: string }> {
    const resp = await this.client.range({ key: this.key });
    const kv = resp.kvs[0];
    if (!kv) return { bitmap: new Bitmap(this.range.size), modRevision: '0' };
    let obj: RangeAllocationObject;
    try {
      obj = JSON.parse(kv.value.toString()) as RangeAllocationObject;
    } catch {
      throw new Error(`corrupt range allocation at ${this.key.toString()}`);
    }
    const bitmap =
      obj.range === this.range.text
        ? Bitmap.fromBigEndian(this.range.size, Buffer.from(obj.data ?? '', 'base64'))
        : new Bitmap(this.range.size);
    return { bitmap, modRevision: kv.mod_revision };
  }

  private async update(change: (bm: Bitmap) => void, dryRun: boolean): Promise<void> {
    for (;;) {
      const { bitmap, modRevision } = await this.read();
      change(bitmap);
      if (dryRun) return;
      const value: RangeAllocationObject = {
        apiVersion: 'v1',
        kind: 'RangeAllocation',
        metadata: {},
        range: this.range.text,
        data: Buffer.from(bitmap.toBigEndian()).toString('base64'),
      };
      const compare =
        modRevision === '0'
          ? {
              key: this.key,
              target: 'CREATE' as const,
              result: 'EQUAL' as const,
              create_revision: '0',
            }
          : {
              key: this.key,
              target: 'MOD' as const,
              result: 'EQUAL' as const,
              mod_revision: modRevision,
            };
      const resp = await this.client.txn({
        compare: [compare],
        success: [{ request_put: { key: this.key, value: Buffer.from(JSON.stringify(value)) } }],
        failure: [],
      });
      if (resp.succeeded) return;
    }
  }
}
