import { crc32 } from 'node:zlib';
import type { StorageFs } from './fs.js';

/**
 * The write-ahead log's file layer: checksummed records in numbered segment files, appended
 * in batches and made durable with one fdatasync per batch (group commit).
 *
 * Record framing (little-endian):
 *
 *   u32 length   bytes of body (type byte + payload)
 *   u32 bodyCrc  CRC-32 of the body
 *   u32 headCrc  CRC-32 of the 8 bytes above, so a damaged length is told apart from a torn tail
 *   u8  type     record type (the caller's)
 *   ... payload
 *
 * Segments are named `<seq>-<index>.wal` (16 hex digits each, as etcd's WAL): `seq` counts up
 * from 1 without gaps, `index` is the first log index the segment may hold. Every segment starts
 * with the same metadata record, so a segment from another member or cluster is recognised.
 *
 * Recovery tells a torn tail from corruption: only the last segment may end in a damaged or
 * incomplete record (a crash during the last, unacknowledged write) and it is truncated with a
 * warning; a damaged record anywhere else — or followed by intact data — stops the process
 * with an error naming the file and offset.
 *
 * On a file system that can pre-allocate (`StorageFs.preallocate`), the last segment is
 * extended with zeros to the segment size and records overwrite the zeros (decision 0023):
 * there, zeros where the next record would start are the clean end of the log, not a torn
 * record. A segment is truncated to its data before the next one is cut, so only the last
 * segment ever has a zero tail; zeros ending any other segment are still corruption.
 */
export const HEADER_BYTES = 12;
/** Record type of the per-segment metadata record. */
export const METADATA_RECORD = 0;
const MAGIC = Buffer.from('kubets-wal\x00\x01', 'latin1');

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export class WalCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`wal: corrupt record in ${file} at offset ${offset}: ${reason}`);
    this.name = 'WalCorruptError';
  }
}

export interface WalRecord {
  readonly type: number;
  readonly payload: Buffer;
}

export interface TornTail {
  readonly file: string;
  readonly offset: number;
  readonly droppedBytes: number;
  readonly reason: string;
}

export interface SegmentedLogOptions {
  fs: StorageFs;
  /** Directory of the segments (relative to the fs root). */
  dir: string;
  /**
   * Bytes identifying the member and cluster, written at the start of every segment. When
   * opening, undefined accepts whatever the log holds (returned as `metadata`).
   */
  metadata: Uint8Array | undefined;
  /** Segment size that triggers a cut. */
  segmentBytes?: number;
  /** Called after each fdatasync with its duration in seconds (for the fsync histogram). */
  onSync?: (seconds: number, bytes: number) => void;
  /** Monotonic clock in milliseconds, for onSync. */
  now?: () => number;
}

export function encodeRecord(type: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + 1 + payload.length);
  out[HEADER_BYTES] = type;
  out.set(payload, HEADER_BYTES + 1);
  const body = out.subarray(HEADER_BYTES);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  out.writeUInt32LE(crc32(out.subarray(0, 8)), 8);
  return out;
}

type Parsed =
  | { kind: 'record'; record: WalRecord; next: number }
  | { kind: 'end' }
  | { kind: 'bad'; reason: string; tornCandidate: boolean };

const ZEROS = Buffer.alloc(64 * 1024);

/** Whether every byte from `from` to the end of `buf` is zero (memcmp, 64 KiB at a time). */
export function isAllZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i += ZEROS.length) {
    const chunk = buf.subarray(i, Math.min(buf.length, i + ZEROS.length));
    if (!chunk.equals(ZEROS.subarray(0, chunk.length))) return false;
  }
  return true;
}

/** Disk sector size: the unit a crash may leave written or not within one write. */
const SECTOR = 512;

/** Parses the record at `off`; says whether a failure could be a torn write. */
function parseRecord(buf: Buffer, off: number): Parsed {
  if (off === buf.length) return { kind: 'end' };
  if (buf.length - off < HEADER_BYTES) {
    return { kind: 'bad', reason: 'incomplete record header', tornCandidate: true };
  }
  const length = buf.readUInt32LE(off);
  const bodyCrc = buf.readUInt32LE(off + 4);
  const headCrc = buf.readUInt32LE(off + 8);
  if (crc32(buf.subarray(off, off + 8)) !== headCrc) {
    // A file system may expose a zero-filled tail after a crash (size updated, data not); in
    // a pre-allocated segment a header across a sector boundary may have only its first
    // sector written. Either way nothing but zeros follows.
    const nextSector = (Math.floor(off / SECTOR) + 1) * SECTOR;
    const torn =
      isAllZero(buf, off) || (nextSector < off + HEADER_BYTES && isAllZero(buf, nextSector));
    return { kind: 'bad', reason: 'record header checksum mismatch', tornCandidate: torn };
  }
  if (length < 1) return { kind: 'bad', reason: 'record length 0', tornCandidate: false };
  const end = off + HEADER_BYTES + length;
  if (end > buf.length) {
    return {
      kind: 'bad',
      reason: `record of ${length} bytes extends past the end of the file`,
      tornCandidate: true,
    };
  }
  const body = buf.subarray(off + HEADER_BYTES, end);
  if (crc32(body) !== bodyCrc) {
    // Torn only if it is the file's last record (nothing but a pre-allocated zero tail
    // follows) and ends in never-written (zero) bytes.
    const torn = body[body.length - 1] === 0 && isAllZero(buf, end);
    return { kind: 'bad', reason: 'record checksum mismatch', tornCandidate: torn };
  }
  return { kind: 'record', record: { type: body[0]!, payload: body.subarray(1) }, next: end };
}

export function segmentName(seq: number, index: number): string {
  return `${seq.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.wal`;
}

export function parseSegmentName(name: string): { seq: number; index: number } | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/.exec(name);
  if (!m) return undefined;
  return { seq: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) };
}

interface Segment {
  name: string;
  seq: number;
  index: number;
}

export class SegmentedLog {
  private readonly fs: StorageFs;
  private readonly dir: string;
  private readonly metadataRecord: Buffer;
  private readonly segmentBytes: number;
  private segments: Segment[] = [];
  private tailSize = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private appendSeq = 0;
  private durableSeq = 0;
  private failed: Error | undefined;
  private lock: Promise<void> = Promise.resolve();
  /** File operations queued or running under the lock. */
  private locked = 0;
  private headRecordsFn: (() => WalRecord[]) | undefined;
  private pendingLastIndex: number | undefined;
  private flushedLastIndex: number | undefined;

  private constructor(private readonly opts: SegmentedLogOptions) {
    this.fs = opts.fs;
    this.dir = opts.dir;
    this.metadataRecord =
      opts.metadata === undefined
        ? Buffer.alloc(0)
        : encodeRecord(METADATA_RECORD, Buffer.concat([MAGIC, opts.metadata]));
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  }

  /** Whether a log exists in `dir`. */
  static async exists(fs: StorageFs, dir: string): Promise<boolean> {
    return (await fs.list(dir)).some((n) => parseSegmentName(n) !== undefined);
  }

  /** Creates a new log (first segment) in an empty directory. */
  static async create(opts: SegmentedLogOptions, firstIndex = 0): Promise<SegmentedLog> {
    if (opts.metadata === undefined) throw new Error('wal: creating a log needs its metadata');
    if (await SegmentedLog.exists(opts.fs, opts.dir)) {
      throw new Error(`wal: ${opts.fs.describe(opts.dir)} already holds a log`);
    }
    await opts.fs.mkdirp(opts.dir);
    const log = new SegmentedLog(opts);
    await log.startSegment(1, firstIndex, []);
    return log;
  }

  /**
   * Opens an existing log and returns every record after the segment metadata, in order.
   * Repairs a torn tail (reported in `torn`); throws WalCorruptError for damage elsewhere and
   * an Error naming the directory when a segment's metadata differs from `opts.metadata`.
   */
  static async open(opts: SegmentedLogOptions): Promise<{
    log: SegmentedLog;
    records: WalRecord[];
    torn: TornTail | undefined;
    metadata: Buffer;
  }> {
    let log = new SegmentedLog(opts);
    let metadata = opts.metadata === undefined ? undefined : Buffer.from(opts.metadata);
    const names = (await opts.fs.list(opts.dir)).filter((n) => parseSegmentName(n) !== undefined);
    if (names.length === 0) throw new Error(`wal: no log in ${opts.fs.describe(opts.dir)}`);
    const segments = names.map((name) => ({ name, ...parseSegmentName(name)! }));
    for (let i = 1; i < segments.length; i++) {
      if (segments[i]!.seq !== segments[i - 1]!.seq + 1) {
        throw new WalCorruptError(
          opts.fs.describe(`${opts.dir}/${segments[i]!.name}`),
          0,
          `segment sequence gap after ${segments[i - 1]!.name}`,
        );
      }
    }
    const records: WalRecord[] = [];
    let torn: TornTail | undefined;
    const preallocating = opts.fs.preallocate !== undefined;
    for (const [i, seg] of segments.entries()) {
      const path = `${opts.dir}/${seg.name}`;
      const where = opts.fs.describe(path);
      const buf = await opts.fs.readFile(path);
      const last = i === segments.length - 1;
      const segmentStart = records.length;
      let off = 0;
      let first = true;
      for (;;) {
        const p = parseRecord(buf, off);
        if (p.kind === 'end') break;
        if (p.kind === 'bad') {
          // The pre-allocated rest of the last segment: writes continue here.
          if (last && preallocating && isAllZero(buf, off)) break;
          if (last && p.tornCandidate) {
            torn = { file: where, offset: off, droppedBytes: buf.length - off, reason: p.reason };
            await opts.fs.truncate(path, off);
            await opts.fs.sync(path);
            break;
          }
          throw new WalCorruptError(where, off, p.reason);
        }
        if (first) {
          const isWal =
            p.record.type === METADATA_RECORD &&
            p.record.payload.subarray(0, MAGIC.length).equals(MAGIC);
          if (!isWal) {
            throw new Error(`wal: ${where} is not a kubets-store WAL segment; refusing to use it`);
          }
          if (metadata === undefined) {
            metadata = Buffer.from(p.record.payload.subarray(MAGIC.length));
            log = new SegmentedLog({ ...opts, metadata });
          }
          if (!Buffer.from(buf.subarray(off, p.next)).equals(log.metadataRecord)) {
            throw new Error(
              `wal: ${where} belongs to a different member or cluster; refusing to use it`,
            );
          }
          first = false;
        } else {
          records.push(p.record);
        }
        off = p.next;
      }
      if (first) {
        // Only a torn last segment may lack its metadata record (crash while cutting).
        if (!last || log.metadataRecord.length === 0) {
          throw new WalCorruptError(where, 0, 'segment has no metadata record');
        }
        await opts.fs.write(path, log.metadataRecord);
        await opts.fs.sync(path);
        off = log.metadataRecord.length;
      }
      if (last) {
        log.tailSize = off;
        if (preallocating) {
          if (buf.length - off > 1024 * 1024) {
            // Records are views of `buf`: copy this segment's data so the zero tail (up to
            // the segment size) is not kept in memory with them.
            const data = Buffer.from(buf.subarray(0, off));
            for (let r = segmentStart; r < records.length; r++) {
              const { type, payload } = records[r]!;
              const at = payload.byteOffset - buf.byteOffset;
              records[r] = { type, payload: data.subarray(at, at + payload.length) };
            }
          }
          await opts.fs.preallocate!(path, off, log.segmentBytes);
        }
      }
    }
    if (metadata === undefined) {
      throw new WalCorruptError(
        opts.fs.describe(opts.dir),
        0,
        'no segment holds a metadata record',
      );
    }
    log.segments = segments;
    return { log, records, torn, metadata };
  }

  /** Sets the records every new segment starts with. */
  setHeadRecords(fn: () => WalRecord[]): void {
    this.headRecordsFn = fn;
  }

  /** The segment names, oldest first (for tests and diagnostics). */
  get segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  /**
   * Buffers a record; it is written and made durable by the next `sync`. `entryIndex` is the
   * log index a record carries (Raft entries), used to name the segments cut after it.
   */
  append(type: number, payload: Uint8Array, entryIndex?: number): void {
    if (this.failed) throw this.failed;
    const rec = encodeRecord(type, payload);
    this.pending.push(rec);
    this.pendingBytes += rec.length;
    if (entryIndex !== undefined) this.pendingLastIndex = entryIndex;
    this.appendSeq++;
  }

  /** Bytes in the current segment, including buffered records. */
  get currentSegmentBytes(): number {
    return this.tailSize + this.pendingBytes;
  }

  /**
   * Writes every record appended so far and fdatasyncs; then cuts a new segment if the current
   * one is full. Concurrent callers share flushes: records appended while a flush runs go out
   * together in the next one (group commit). File operations never overlap: flushes, cuts and
   * releases run one at a time, so a record can never land in a segment being replaced.
   */
  async sync(): Promise<void> {
    const target = this.appendSeq;
    while (this.durableSeq < target) {
      if (this.failed) throw this.failed;
      await this.exclusive(async () => {
        if (this.durableSeq >= target) return;
        await this.flush();
        if (this.tailSize >= this.segmentBytes) await this.startNextSegment();
      });
    }
    if (this.failed) throw this.failed;
  }

  /**
   * Makes every record appended so far durable without waiting, when the file system can write
   * on the calling thread and nothing else is in progress (no flush, cut or release running and
   * no cut due). Returns false, having done nothing, otherwise: then `sync()` is the way.
   * Throws (and the log stops accepting writes) when the write fails.
   */
  syncNow(): boolean {
    if (this.failed) throw this.failed;
    if (this.durableSeq >= this.appendSeq) return true;
    const fs = this.fs;
    if (fs.appendDurableSync === undefined || !this.canSyncNow()) return false;
    const tail = this.segments[this.segments.length - 1]!;
    const path = `${this.dir}/${tail.name}`;
    const batch = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const start = this.opts.now?.() ?? 0;
    let done: boolean;
    try {
      done = fs.appendDurableSync(path, batch);
    } catch (err) {
      this.failed = new Error(
        `wal: writing ${this.fs.describe(path)} failed: ${(err as Error).message}`,
      );
      throw this.failed;
    }
    if (!done) return false;
    this.opts.onSync?.(((this.opts.now?.() ?? 0) - start) / 1000, batch.length);
    this.pending = [];
    this.pendingBytes = 0;
    this.tailSize += batch.length;
    this.durableSeq = this.appendSeq;
    if (this.pendingLastIndex !== undefined) this.flushedLastIndex = this.pendingLastIndex;
    return true;
  }

  /** Whether `syncNow` would write now (rather than return false). */
  canSyncNow(): boolean {
    return (
      this.fs.appendDurableSync !== undefined &&
      this.locked === 0 &&
      this.failed === undefined &&
      this.tailSize + this.pendingBytes < this.segmentBytes
    );
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.locked++;
    const run = this.lock.then(fn).finally(() => this.locked--);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async flush(): Promise<void> {
    const seq = this.appendSeq;
    const batch = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const lastIndex = this.pendingLastIndex;
    this.pending = [];
    this.pendingBytes = 0;
    const tail = this.segments[this.segments.length - 1]!;
    const path = `${this.dir}/${tail.name}`;
    try {
      const start = this.opts.now?.() ?? 0;
      if (batch.length > 0) await this.fs.append(path, batch);
      await this.fs.sync(path);
      this.tailSize += batch.length;
      this.opts.onSync?.(((this.opts.now?.() ?? 0) - start) / 1000, batch.length);
      this.durableSeq = seq;
      if (lastIndex !== undefined) this.flushedLastIndex = lastIndex;
    } catch (err) {
      // A failed write or fsync leaves the file in an unknown state: stop accepting writes
      // (as etcd does, the process must restart and recover from what is on disk).
      this.failed = new Error(
        `wal: writing ${this.fs.describe(path)} failed: ${(err as Error).message}`,
      );
      throw this.failed;
    }
  }

  /** Flushes, then starts a new segment (exposed for tests; `sync` cuts by itself). */
  async cut(): Promise<void> {
    await this.sync();
    await this.exclusive(() => this.startNextSegment());
  }

  /**
   * Starts the next segment, named after the log index following the last entry written, and
   * beginning with the caller's head records (e.g. the current hard state). Runs under the lock
   * with nothing buffered that belongs in the old segment.
   */
  private async startNextSegment(): Promise<void> {
    if (this.pending.length > 0) await this.flush();
    const tail = this.segments[this.segments.length - 1]!;
    if (this.fs.preallocate !== undefined) {
      // Drop the unused pre-allocated tail (as etcd does), so that only the last segment
      // ever ends in zeros (recovery treats zeros elsewhere as corruption).
      const path = `${this.dir}/${tail.name}`;
      await this.fs.truncate(path, this.tailSize);
      await this.fs.sync(path);
    }
    const index = Math.max(tail.index, (this.flushedLastIndex ?? tail.index - 1) + 1);
    await this.startSegment(tail.seq + 1, index, this.headRecordsFn?.() ?? []);
  }

  private async startSegment(seq: number, index: number, headRecords: WalRecord[]): Promise<void> {
    const name = segmentName(seq, index);
    const path = `${this.dir}/${name}`;
    const tmp = `${path}.tmp`;
    const data = Buffer.concat([
      this.metadataRecord,
      ...headRecords.map((r) => encodeRecord(r.type, r.payload)),
    ]);
    // Written under a temporary name, then renamed: a crash never leaves a half-made segment.
    await this.fs.write(tmp, data);
    await this.fs.sync(tmp);
    await this.fs.rename(tmp, path);
    await this.fs.syncDir(this.dir);
    await this.fs.preallocate?.(path, data.length, this.segmentBytes);
    this.segments.push({ name, seq, index });
    this.tailSize = data.length;
  }

  /**
   * Deletes segments that hold only entries below `index` (after a snapshot at index-1 made
   * them unnecessary). The segment that may contain `index` and all later ones stay.
   */
  releaseBefore(index: number): Promise<number> {
    return this.exclusive(async () => {
      let removed = 0;
      // Segment i covers [segments[i].index, segments[i+1].index): removable if the next starts <= index.
      while (this.segments.length > 1 && this.segments[1]!.index <= index) {
        const seg = this.segments.shift()!;
        await this.fs.remove(`${this.dir}/${seg.name}`);
        removed++;
      }
      if (removed > 0) await this.fs.syncDir(this.dir);
      return removed;
    });
  }

  async close(): Promise<void> {
    if (!this.failed && this.pending.length > 0) await this.sync();
  }
}
