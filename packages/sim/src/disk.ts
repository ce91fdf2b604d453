/**
 * A simulated disk with a page cache. Reads see every write; only what was synced survives
 * crash(). The model follows a POSIX file system with a single directory:
 *
 * - A file's *data* becomes durable when the file is synced (sync(file) or syncAll()).
 * - The *directory* (which names exist and which file each name points at: create, remove,
 *   rename) becomes durable on any sync. Like fsync of the file plus its directory, a sync
 *   persists the whole directory, so rename is atomic: after a crash a name points at either
 *   the old or the new file, never at a mixture.
 * - A file created and named durably whose data was never synced comes back empty after a
 *   crash (the classic "zero-length file after power loss").
 * - With `tornWrites`, a file whose only unsynced changes are appends keeps a random prefix of
 *   the unsynced tail, as when a crash interrupts write-back in the middle of a record.
 */
import type { Prng } from './prng.js';

export type SimDiskErrorCode = 'ENOENT' | 'EINVAL';

/** Errors carry the same `code` as Node's fs errors so shells can share error handling. */
export class SimDiskError extends Error {
  readonly code: SimDiskErrorCode;
  constructor(code: SimDiskErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SimDiskError';
    this.code = code;
  }
}

/**
 * The durable data of a file. While only appends happened since the last sync, durable data
 * is a prefix of the current data and is kept as a length (syncing a growing log then costs
 * O(1), not a copy); any other change first copies the durable bytes out.
 */
type Durable = { kind: 'prefix'; length: number } | { kind: 'copy'; bytes: Uint8Array };

class Inode {
  buf = new Uint8Array(0);
  length = 0;
  durable: Durable = { kind: 'prefix', length: 0 };

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  durableLength(): number {
    return this.durable.kind === 'prefix' ? this.durable.length : this.durable.bytes.length;
  }

  append(data: Uint8Array): void {
    this.reserve(this.length + data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** Copies durable bytes out before a change to bytes they share with the current data. */
  detachDurableBelow(offset: number): void {
    if (this.durable.kind === 'prefix' && offset < this.durable.length) {
      this.durable = { kind: 'copy', bytes: this.buf.slice(0, this.durable.length) };
    }
  }

  truncate(length: number): void {
    this.detachDurableBelow(length);
    if (length > this.length) {
      this.reserve(length);
      this.buf.fill(0, this.length, length); // POSIX: extending reads back as zeros
    }
    this.length = length;
  }

  sync(): void {
    this.durable = { kind: 'prefix', length: this.length };
  }

  /** Rolls back to durable data, keeping `keepTail` bytes of an unsynced appended tail. */
  restore(keepTail: number): void {
    if (this.durable.kind === 'copy') {
      this.buf = this.durable.bytes.slice();
      this.length = this.buf.length;
    } else {
      this.length = this.durable.length + keepTail;
    }
    this.durable = { kind: 'prefix', length: this.length };
  }

  /** Bytes appended since the last sync that a torn write could leave behind. */
  tornCandidateLength(): number {
    return this.durable.kind === 'prefix' ? this.length - this.durable.length : 0;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.buf.length) return;
    const next = new Uint8Array(Math.max(capacity, this.buf.length * 2, 64));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

export interface SimDiskOptions {
  /** Randomness for torn writes and corrupt(); required when tornWrites is true. */
  prng?: Prng;
  /** On crash, keep a random prefix of each file's unsynced appended bytes. */
  tornWrites?: boolean;
}

function checkName(file: string): void {
  if (typeof file !== 'string' || file.length === 0) {
    throw new SimDiskError('EINVAL', `file name must be a non-empty string, got ${String(file)}`);
  }
}

function checkBytes(data: Uint8Array, op: string): void {
  if (!(data instanceof Uint8Array))
    throw new SimDiskError('EINVAL', `${op}: data must be a Uint8Array`);
}

export class SimDisk {
  readonly stats = { syncs: 0, bytesWritten: 0, crashes: 0 };
  private readonly prng: Prng | undefined;
  private readonly tornWrites: boolean;
  /** Directory as the page cache sees it. */
  private names = new Map<string, Inode>();
  /** Directory as it was at the last sync: what a crash returns to. */
  private durableNames = new Map<string, Inode>();

  constructor(opts: SimDiskOptions = {}) {
    this.prng = opts.prng;
    this.tornWrites = opts.tornWrites ?? false;
    if (this.tornWrites && this.prng === undefined) {
      throw new Error('SimDisk: tornWrites needs a prng to choose how much of a write survives');
    }
  }

  /** Appends to `file`, creating it if missing. Unsynced until sync. */
  append(file: string, data: Uint8Array): void {
    checkName(file);
    checkBytes(data, 'append');
    this.inodeOrCreate(file).append(data);
    this.stats.bytesWritten += data.length;
  }

  /** Replaces the whole contents of `file` (creating it), like open(O_TRUNC) + write. */
  write(file: string, data: Uint8Array): void {
    checkName(file);
    checkBytes(data, 'write');
    const inode = this.inodeOrCreate(file);
    inode.truncate(0);
    inode.append(data);
    this.stats.bytesWritten += data.length;
  }

  /** Current contents (unsynced writes included), as a copy. Throws ENOENT if missing. */
  read(file: string): Uint8Array {
    return this.inode(file, 'read').bytes();
  }

  /** Current size in bytes. Throws ENOENT if missing. */
  size(file: string): number {
    return this.inode(file, 'size').length;
  }

  exists(file: string): boolean {
    return this.names.has(file);
  }

  /** Names starting with `prefix`, sorted. */
  list(prefix = ''): string[] {
    return [...this.names.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  /** Removes `file`. The removal is durable after the next sync. Throws ENOENT if missing. */
  remove(file: string): void {
    this.inode(file, 'remove');
    this.names.delete(file);
  }

  /**
   * Renames `from` to `to`, replacing `to` if it exists. Atomic, and durable after the next
   * sync (of any file, or syncAll). Throws ENOENT if `from` is missing.
   */
  rename(from: string, to: string): void {
    const inode = this.inode(from, 'rename');
    checkName(to);
    if (from === to) return;
    this.names.delete(from);
    this.names.set(to, inode);
  }

  /** Cuts `file` to `length` bytes, or extends it with zeros. Throws ENOENT if missing. */
  truncate(file: string, length: number): void {
    const inode = this.inode(file, 'truncate');
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new SimDiskError('EINVAL', `truncate ${JSON.stringify(file)}: bad length ${length}`);
    }
    inode.truncate(length);
  }

  /**
   * Makes `file`'s data and the directory durable. Syncing a removed name makes its removal
   * durable. Throws ENOENT for a name that exists neither now nor durably.
   */
  sync(file: string): void {
    checkName(file);
    const inode = this.names.get(file);
    if (inode === undefined && !this.durableNames.has(file)) {
      throw new SimDiskError('ENOENT', `sync: no such file ${JSON.stringify(file)}`);
    }
    inode?.sync();
    this.syncDirectory();
    this.stats.syncs++;
  }

  /** Makes every file and the directory durable. */
  syncAll(): void {
    for (const inode of this.names.values()) inode.sync();
    this.syncDirectory();
    this.stats.syncs++;
  }

  /**
   * Power loss: every unsynced change is lost. With tornWrites, each file keeps a random
   * prefix (possibly empty, possibly all) of the bytes appended since its last sync.
   */
  crash(): void {
    this.stats.crashes++;
    // Sorted so the PRNG draws do not depend on the order files were created in.
    for (const name of [...this.durableNames.keys()].sort()) {
      const inode = this.durableNames.get(name) as Inode;
      const tail = inode.tornCandidateLength();
      const keep = this.tornWrites && tail > 0 ? (this.prng as Prng).int(tail + 1) : 0;
      inode.restore(keep);
    }
    this.names = new Map(this.durableNames);
  }

  /**
   * Flips bits of the byte at `offset`, in the current and the durable data (bit rot on the
   * medium). The byte is XORed with a random non-zero mask from `prng` (or the disk's prng),
   * or with 0xff if there is none.
   */
  corrupt(file: string, offset: number, prng?: Prng): void {
    const inode = this.inode(file, 'corrupt');
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= inode.length) {
      throw new SimDiskError(
        'EINVAL',
        `corrupt ${JSON.stringify(file)}: offset ${offset} outside [0, ${inode.length})`,
      );
    }
    const source = prng ?? this.prng;
    const mask = source === undefined ? 0xff : source.range(1, 255);
    inode.buf[offset] = (inode.buf[offset] as number) ^ mask;
    // A prefix-kind durable shares the buffer, so it saw the flip already; a copy needs it too.
    if (inode.durable.kind === 'copy' && offset < inode.durable.bytes.length) {
      const bytes = inode.durable.bytes;
      bytes[offset] = (bytes[offset] as number) ^ mask;
    }
  }

  /** Bytes of `file` that would survive a crash right now (ignoring torn writes). */
  durableSize(file: string): number | undefined {
    return this.durableNames.get(file)?.durableLength();
  }

  private syncDirectory(): void {
    this.durableNames = new Map(this.names);
  }

  private inode(file: string, op: string): Inode {
    checkName(file);
    const inode = this.names.get(file);
    if (inode === undefined) {
      throw new SimDiskError('ENOENT', `${op}: no such file ${JSON.stringify(file)}`);
    }
    return inode;
  }

  private inodeOrCreate(file: string): Inode {
    let inode = this.names.get(file);
    if (inode === undefined) {
      inode = new Inode();
      this.names.set(file, inode);
    }
    return inode;
  }
}
