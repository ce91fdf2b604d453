import { crc32 } from 'node:zlib';
import { ByteReader, ByteWriter } from './binary.js';
import type { StorageFs } from './fs.js';
import { writeStreamedFile } from './streamed-file.js';

/**
 * Snapshot files: `<term>-<index>.snap` (16 hex digits each, as etcd names them) holding the
 * Raft snapshot metadata and the state machine's encoding, with a magic, a version, the body
 * length and a CRC-32 over the body. Written atomically (temporary file, fsync, rename,
 * directory fsync). Zero padding after the body is allowed: the Maintenance.Snapshot stream pads
 * to a multiple of 512 bytes, because etcdctl only accepts a stream whose length is 32 (the
 * appended SHA-256) modulo 512, as a page-aligned bolt file would be.
 *
 * Body, version 2: the length-prefixed metadata, then the state to the end of the body, so the
 * state can be written as it is encoded (its length is known only at the end; the head, with
 * the body's length and CRC, is written last at offset 0). Version 1, still read: the state
 * length-prefixed too.
 */
/** A state given whole or as pieces arriving over time (a snapshot encoded in slices). */
export type BodySource = Uint8Array | AsyncIterable<Uint8Array>;

const MAGIC = Buffer.from('kubets-snap\x00', 'latin1');
const VERSION = 2;
const VERSION_PREFIXED_STATE = 1;
const HEAD_BYTES = MAGIC.length + 16;

/** The file's head for a body of `length` bytes whose CRC-32 is `crc`. */
function snapshotHead(crc: number, length: number): Buffer {
  const head = Buffer.alloc(HEAD_BYTES);
  MAGIC.copy(head);
  head.writeUInt32LE(VERSION, MAGIC.length);
  head.writeUInt32LE(crc, MAGIC.length + 4);
  head.writeBigUInt64LE(BigInt(length), MAGIC.length + 8);
  return head;
}

/** The body's start: the metadata, length-prefixed; the state follows to the end. */
function snapshotBodyPrefix(metadata: Uint8Array): Buffer {
  return new ByteWriter(metadata.length + 8).bytes(metadata).finish();
}

export class SnapshotCorruptError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`snapshot: ${file} is corrupt: ${reason}`);
    this.name = 'SnapshotCorruptError';
  }
}

export interface SnapshotFileContents {
  /** Raft snapshot metadata (index, term, membership), as the raft codec encodes it. */
  readonly metadata: Uint8Array;
  /** The state machine (apply/snapshot-codec). */
  readonly state: Uint8Array;
}

export function snapshotName(term: number, index: number): string {
  return `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;
}

export function parseSnapshotName(name: string): { term: number; index: number } | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(name);
  if (!m) return undefined;
  return { term: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) };
}

export function encodeSnapshotFile(contents: SnapshotFileContents): Buffer {
  const prefix = snapshotBodyPrefix(contents.metadata);
  const crc = crc32(contents.state, crc32(prefix));
  const length = prefix.length + contents.state.length;
  return Buffer.concat([snapshotHead(crc, length), prefix, contents.state]);
}

/** Decodes a snapshot file's bytes; `where` names the file in errors. */
export function decodeSnapshotFile(data: Buffer, where: string): SnapshotFileContents {
  if (data.length < HEAD_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SnapshotCorruptError(where, 'not a kubets-store snapshot (bad magic)');
  }
  const version = data.readUInt32LE(MAGIC.length);
  if (version !== VERSION && version !== VERSION_PREFIXED_STATE)
    throw new SnapshotCorruptError(where, `unsupported version ${version}`);
  const length = Number(data.readBigUInt64LE(MAGIC.length + 8));
  if (HEAD_BYTES + length > data.length) {
    throw new SnapshotCorruptError(
      where,
      `truncated: body of ${length} bytes, file has ${data.length - HEAD_BYTES}`,
    );
  }
  const body = data.subarray(HEAD_BYTES, HEAD_BYTES + length);
  for (let i = HEAD_BYTES + length; i < data.length; i++) {
    if (data[i] !== 0)
      throw new SnapshotCorruptError(where, `unexpected data after the body at offset ${i}`);
  }
  if (crc32(body) !== data.readUInt32LE(MAGIC.length + 4)) {
    throw new SnapshotCorruptError(where, 'checksum mismatch');
  }
  try {
    const r = new ByteReader(body);
    const metadata = r.bytes();
    const state = version === VERSION ? r.raw(r.remaining) : r.bytes();
    if (r.remaining !== 0) throw new Error(`${r.remaining} trailing bytes`);
    return { metadata, state };
  } catch (err) {
    throw new SnapshotCorruptError(where, (err as Error).message);
  }
}

/** The body's pieces: the metadata prefix, then the state as it comes. */
async function* bodyOf(contents: {
  metadata: Uint8Array;
  state: BodySource;
}): AsyncGenerator<Uint8Array> {
  yield snapshotBodyPrefix(contents.metadata);
  if (contents.state instanceof Uint8Array) yield contents.state;
  else yield* contents.state;
}

/** The snapshot directory: save, list, load, purge. */
export class SnapshotDir {
  constructor(
    private readonly fs: StorageFs,
    private readonly dir: string,
  ) {}

  /**
   * Writes the snapshot at (term, index) atomically. The state may come in pieces (a snapshot
   * encoded over several turns of the event loop), written as they come.
   */
  async save(
    term: number,
    index: number,
    contents: { metadata: Uint8Array; state: BodySource },
    opts: { syncEveryBytes?: number } = {},
  ): Promise<string> {
    await this.fs.mkdirp(this.dir);
    const name = snapshotName(term, index);
    await writeStreamedFile(this.fs, `${this.dir}/${name}`, bodyOf(contents), {
      headBytes: HEAD_BYTES,
      head: snapshotHead,
      syncEveryBytes: opts.syncEveryBytes,
    });
    return name;
  }

  /** Snapshot files, newest (highest index) first. */
  async list(): Promise<Array<{ name: string; term: number; index: number }>> {
    const names = await this.fs.list(this.dir);
    return names
      .map((name) => ({ name, ...parseSnapshotName(name) }))
      .filter((s): s is { name: string; term: number; index: number } => s.index !== undefined)
      .sort((a, b) => b.index - a.index);
  }

  async load(name: string): Promise<SnapshotFileContents> {
    const path = `${this.dir}/${name}`;
    return decodeSnapshotFile(await this.fs.readFile(path), this.fs.describe(path));
  }

  /** Raw bytes of a snapshot file (for the Maintenance.Snapshot stream). */
  readRaw(name: string): Promise<Buffer> {
    return this.fs.readFile(`${this.dir}/${name}`);
  }

  /** Keeps the newest `keep` snapshots, deletes older ones and stray temporary files. */
  async purge(keep: number): Promise<void> {
    const all = await this.list();
    for (const s of all.slice(keep)) await this.fs.remove(`${this.dir}/${s.name}`);
    for (const name of await this.fs.list(this.dir)) {
      if (name.endsWith('.tmp')) await this.fs.remove(`${this.dir}/${name}`);
    }
  }

  describe(name: string): string {
    return this.fs.describe(`${this.dir}/${name}`);
  }
}
