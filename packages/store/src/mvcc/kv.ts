/**
 * The MVCC data model: etcd's `mvccpb.KeyValue` and `mvccpb.Event`, in the shapes the engine uses.
 *
 * Revisions are JavaScript numbers (exact up to 2^53, i.e. 285 years at a million writes per
 * second). Lease IDs are int64 values that etcd spreads over the whole range, so they are bigint.
 */

export const NO_LEASE = 0n;

export interface KeyValue {
  readonly key: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  /** 1 for the first put after a creation; a deletion resets it. */
  readonly version: number;
  readonly value: Buffer;
  readonly lease: bigint;
}

export type EventType = 'PUT' | 'DELETE';

export interface MvccEvent {
  readonly type: EventType;
  /**
   * PUT: the new key-value. DELETE: the key with modRevision set to the deletion's revision and
   * every other field zero, exactly as etcd reports it.
   */
  readonly kv: KeyValue;
  /** The key-value before the event, when one existed (etcd fills this on prev_kv watches). */
  readonly prevKv: KeyValue | undefined;
  /** Position inside the write transaction that made the event (etcd's sub revision). */
  readonly sub: number;
  /**
   * `keyString(kv.key)`, the key index's and KeyRange's form, set by the store that made the
   * event (it has the string at hand): a watcher replaying history tests every event's key
   * against its range, and decoding the key for each event and watcher was a large share of a
   * fan-out's CPU.
   */
  readonly ks: string;
}

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

export function tombstoneKv(key: Buffer, revision: number): KeyValue {
  return {
    key,
    createRevision: 0,
    modRevision: revision,
    version: 0,
    value: EMPTY_BUFFER,
    lease: 0n,
  };
}

/** Keys are held as binary strings: one char per byte, so string order is byte order. */
export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export function keyBuffer(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/**
 * A key range as the engine understands it (after etcd's request-level conversions):
 * - `end === undefined`: the single key `key`;
 * - `end` empty: every key >= `key` (etcd's range_end "\0");
 * - otherwise the half-open interval [key, end).
 */
export interface KeyRange {
  readonly key: string;
  readonly end: string | undefined;
}

export function singleKey(key: string): KeyRange {
  return { key, end: undefined };
}

/**
 * Converts a request's (key, range_end) pair into a KeyRange the way etcd does: an empty
 * range_end is a single key, a range_end of "\0" means "all keys >= key".
 */
export function requestRange(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyRange {
  const k = keyString(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { key: k, end: undefined };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { key: k, end: '' };
  return { key: k, end: keyString(rangeEnd) };
}

export function rangeContains(range: KeyRange, key: string): boolean {
  if (range.end === undefined) return key === range.key;
  if (key < range.key) return false;
  return range.end === '' || key < range.end;
}

/** Approximate bytes one stored revision of a key costs, for the space quota and db size. */
export function revisionFootprint(key: Buffer, value: Buffer): number {
  // key + value + the per-revision record (revision numbers, lease, version, object headers).
  return key.length + value.length + 64;
}
