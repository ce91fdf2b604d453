import {
  MemoryStorage,
  decodeEntry,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMetadata,
  type Entry,
  type HardState,
  type SnapshotMetadata,
} from '@kubets/raft';
import { ByteWriter } from './binary.js';
import type { StorageFs } from './fs.js';
import { SegmentedLog, type SegmentedLogOptions, type TornTail } from './segmented-log.js';
import { SnapshotDir, type BodySource, type SnapshotFileContents } from './snapshot-file.js';

/** WAL record types (the segment metadata record is type 0). */
const ENTRY = 1;
const HARD_STATE = 2;
const SNAPSHOT = 3;

export const WAL_DIR = 'member/wal';
export const SNAP_DIR = 'member/snap';

export interface MemberIdentity {
  readonly memberId: number;
  readonly clusterId: bigint;
}

function identityBytes(id: MemberIdentity): Buffer {
  return new ByteWriter(16).u64(BigInt(id.memberId)).u64(id.clusterId).finish();
}

function parseIdentity(bytes: Buffer, where: string): MemberIdentity {
  if (bytes.length !== 16) throw new Error(`wal: ${where} has malformed member metadata`);
  return { memberId: Number(bytes.readBigUInt64LE(0)), clusterId: bytes.readBigUInt64LE(8) };
}

export interface RecoveredLog {
  readonly log: RaftLog;
  /** The member and cluster the WAL was created for. */
  readonly identity: MemberIdentity;
  /** Raft storage holding the snapshot metadata, the entries after it and the hard state. */
  readonly storage: MemoryStorage;
  readonly hardState: HardState;
  /** The newest snapshot: its metadata and the state machine encoding; undefined if none. */
  readonly snapshot: { metadata: SnapshotMetadata; state: Uint8Array; file: string } | undefined;
  readonly torn: TornTail | undefined;
}

export interface RaftLogOptions {
  fs: StorageFs;
  /** Required to create a log; when opening, undefined accepts the identity the WAL holds. */
  identity: MemberIdentity | undefined;
  segmentBytes?: number;
  /** Number of snapshot files to keep (etcd's --max-snapshots, default 5). */
  maxSnapshots?: number;
  onSync?: SegmentedLogOptions['onSync'];
  now?: () => number;
}

/**
 * The member's durable Raft state, etcd's WAL + snap directories: log entries and hard state in
 * the write-ahead log (raft codec payloads in checksummed records), state-machine snapshots in
 * snapshot files, and snapshot markers in the WAL telling recovery where a snapshot sits in the
 * log. After a snapshot at index i the WAL segments holding only entries <= i are released.
 */
export class RaftLog {
  private constructor(
    private readonly wal: SegmentedLog,
    readonly snapshots: SnapshotDir,
    private readonly opts: RaftLogOptions,
    private lastHardState: HardState,
  ) {
    // Every segment starts with the latest hard state, so recovery never depends on a
    // released segment for it.
    this.wal.setHeadRecords(() => [
      { type: HARD_STATE, payload: Buffer.from(encodeHardState(this.lastHardState)) },
    ]);
  }

  /** Whether the data directory already holds a WAL. */
  static exists(fs: StorageFs): Promise<boolean> {
    return SegmentedLog.exists(fs, WAL_DIR);
  }

  /**
   * Creates the WAL and snapshot directory of a new member, persisting the founding snapshot
   * (when given: a member of the initial cluster) and the initial hard state.
   */
  static async create(
    opts: RaftLogOptions,
    founding: { metadata: SnapshotMetadata; state: Uint8Array } | undefined,
    hardState: HardState,
  ): Promise<RaftLog> {
    const snapshots = new SnapshotDir(opts.fs, SNAP_DIR);
    await opts.fs.mkdirp(SNAP_DIR);
    if (founding !== undefined) {
      await snapshots.save(founding.metadata.term, founding.metadata.index, {
        metadata: encodeSnapshotMetadata(founding.metadata),
        state: founding.state,
      });
    }
    const wal = await SegmentedLog.create(walOptions(opts), founding?.metadata.index ?? 0);
    if (founding !== undefined) wal.append(SNAPSHOT, encodeSnapshotMetadata(founding.metadata));
    wal.append(HARD_STATE, encodeHardState(hardState));
    await wal.sync();
    return new RaftLog(wal, snapshots, opts, hardState);
  }

  /** Opens an existing member's WAL and newest snapshot and rebuilds its Raft storage. */
  static async open(opts: RaftLogOptions): Promise<RecoveredLog> {
    const snapshots = new SnapshotDir(opts.fs, SNAP_DIR);
    const { log: wal, records, torn, metadata } = await SegmentedLog.open(walOptions(opts));
    const identity = parseIdentity(metadata, opts.fs.describe(WAL_DIR));

    // The newest snapshot file is the starting point; older ones are fallbacks only if the
    // newest fails to load (its entries are still in the WAL, which is released lazily).
    let snapshot: RecoveredLog['snapshot'];
    const candidates = await snapshots.list();
    let firstError: Error | undefined;
    for (const c of candidates) {
      try {
        const contents: SnapshotFileContents = await snapshots.load(c.name);
        snapshot = {
          metadata: decodeSnapshotMetadata(contents.metadata),
          state: contents.state,
          file: snapshots.describe(c.name),
        };
        break;
      } catch (err) {
        firstError ??= err as Error;
      }
    }

    const storage = new MemoryStorage();
    if (snapshot !== undefined) {
      storage.applySnapshot({ data: new Uint8Array(0), metadata: snapshot.metadata });
    }
    let hardState: HardState = { term: 0, vote: 0, commit: 0 };
    const snapIndex = snapshot?.metadata.index ?? 0;
    for (const r of records) {
      switch (r.type) {
        case ENTRY: {
          const e: Entry = decodeEntry(r.payload);
          if (e.index <= snapIndex) break;
          if (e.index > storage.lastIndex() + 1) {
            throw new Error(
              `wal: entry ${e.index} follows ${storage.lastIndex()}: entries are missing after snapshot ${snapIndex}` +
                (firstError ? ` (newest snapshot unusable: ${firstError.message})` : ''),
            );
          }
          storage.append([e]);
          break;
        }
        case HARD_STATE:
          hardState = decodeHardState(r.payload);
          break;
        case SNAPSHOT:
          break; // informational: recovery starts from the newest loadable snapshot file
        default:
          throw new Error(`wal: unknown record type ${r.type}`);
      }
    }
    if (snapshot === undefined && firstError !== undefined) throw firstError;
    // The commit index can never be behind what a snapshot covers.
    if (hardState.commit < snapIndex) hardState = { ...hardState, commit: snapIndex };
    storage.setHardState(hardState);
    const log = new RaftLog(wal, snapshots, { ...opts, identity }, hardState);
    return { log, identity, storage, hardState, snapshot, torn };
  }

  /** Buffers a Ready's hard state and entries; `sync` makes them durable. */
  save(hardState: HardState | null, entries: readonly Entry[]): void {
    for (const e of entries) this.wal.append(ENTRY, encodeEntry(e), e.index);
    if (hardState !== null) {
      this.wal.append(HARD_STATE, encodeHardState(hardState));
      this.lastHardState = hardState;
    }
  }

  /** fdatasyncs everything saved so far (cutting a new segment when the current one is full). */
  sync(): Promise<void> {
    return this.wal.sync();
  }

  /**
   * Makes everything saved so far durable on the calling thread if the WAL can (see
   * SegmentedLog.syncNow); false: call `sync()`.
   */
  syncNow(): boolean {
    return this.wal.syncNow();
  }

  /** Whether `syncNow` would write now. */
  canSyncNow(): boolean {
    return this.wal.canSyncNow();
  }

  /**
   * Persists a snapshot of the state machine at `metadata.index`: the file first, then the WAL
   * marker; then releases WAL segments and old snapshot files it makes unnecessary. The state
   * may arrive in pieces (encoded over several turns), written to the file as they come.
   */
  async saveSnapshot(metadata: SnapshotMetadata, state: BodySource): Promise<string> {
    const meta = encodeSnapshotMetadata(metadata);
    const name = await this.snapshots.save(metadata.term, metadata.index, {
      metadata: meta,
      state,
    });
    this.wal.append(SNAPSHOT, meta);
    await this.sync();
    await this.snapshots.purge(this.opts.maxSnapshots ?? 5);
    // Keep the WAL from the previous snapshot on: if the newest snapshot file is ever unreadable,
    // recovery can still start from the previous one and replay up to now.
    const kept = await this.snapshots.list();
    const previous = kept[1];
    if (previous !== undefined) await this.wal.releaseBefore(previous.index + 1);
    return name;
  }

  get segmentNames(): string[] {
    return this.wal.segmentNames;
  }

  async close(): Promise<void> {
    await this.wal.close();
  }
}

function walOptions(opts: RaftLogOptions): SegmentedLogOptions {
  return {
    fs: opts.fs,
    dir: WAL_DIR,
    metadata: opts.identity === undefined ? undefined : identityBytes(opts.identity),
    segmentBytes: opts.segmentBytes,
    onSync: opts.onSync,
    now: opts.now,
  };
}
