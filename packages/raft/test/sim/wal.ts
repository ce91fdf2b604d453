/**
 * A write-ahead log on a SimDisk, as a real host would keep it: records framed as
 * `length:u32 crc32:u32 payload`, the payload being a record of the raft codec (snapshot,
 * entry or hard state; its kind byte tells which). Appends are unsynced until sync(); a
 * crash may leave a torn record at the tail, which load() detects by length or checksum
 * and truncates. Installing a snapshot or compacting rewrites the whole log atomically
 * (write a new file, sync, rename) so that stale entries never survive a snapshot.
 */
import type { SimDisk } from '@kubets/sim';
import type { Entry, HardState, Snapshot } from '../../src/index.js';
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodeSnapshot,
  MemoryStorage,
  RecordKind,
} from '../../src/index.js';

const WAL = 'wal';
const WAL_TMP = 'wal.tmp';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function frame(records: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const r of records) size += 8 + r.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const r of records) {
    view.setUint32(pos, r.length, true);
    view.setUint32(pos + 4, crc32(r), true);
    out.set(r, pos + 8);
    pos += 8 + r.length;
  }
  return out;
}

export interface LoadedLog {
  storage: MemoryStorage;
  /** Bytes of torn tail that were discarded. */
  tornBytes: number;
}

export class DurableLog {
  constructor(private readonly disk: SimDisk) {}

  /** Appends entries then the hard state (unsynced). */
  append(entries: readonly Entry[], hardState: HardState | null): void {
    const recs = entries.map((e) => encodeEntry(e));
    if (hardState !== null) recs.push(encodeHardState(hardState));
    if (recs.length > 0) this.disk.append(WAL, frame(recs));
  }

  sync(): void {
    if (this.disk.exists(WAL)) this.disk.sync(WAL);
  }

  /** Atomically replaces the log with snapshot + hard state + entries, durably. */
  rewrite(snapshot: Snapshot, hardState: HardState, entries: readonly Entry[]): void {
    const recs = [
      encodeSnapshot(snapshot),
      encodeHardState(hardState),
      ...entries.map((e) => encodeEntry(e)),
    ];
    this.disk.write(WAL_TMP, frame(recs));
    this.disk.sync(WAL_TMP);
    this.disk.rename(WAL_TMP, WAL);
    this.disk.syncAll();
  }

  /** Rebuilds the storage from the log, truncating a torn tail. */
  load(): LoadedLog {
    let storage = new MemoryStorage();
    if (!this.disk.exists(WAL)) return { storage, tornBytes: 0 };
    const buf = this.disk.read(WAL);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    let hardState: HardState | null = null;
    while (pos + 8 <= buf.length) {
      const len = view.getUint32(pos, true);
      const crc = view.getUint32(pos + 4, true);
      if (pos + 8 + len > buf.length) break;
      const payload = buf.subarray(pos + 8, pos + 8 + len);
      if (crc32(payload) !== crc) break;
      switch (payload[0]) {
        case RecordKind.Snapshot: {
          const snap = decodeSnapshot(payload);
          storage = new MemoryStorage();
          storage.applySnapshot(snap);
          break;
        }
        case RecordKind.HardState:
          hardState = decodeHardState(payload);
          break;
        case RecordKind.Entry: {
          const e = decodeEntry(payload);
          if (e.index <= storage.firstIndex() - 1) break; // covered by the snapshot
          if (e.index > storage.lastIndex() + 1) {
            throw new Error(`wal: gap before entry ${e.index} (last ${storage.lastIndex()})`);
          }
          storage.append([e]); // replaces any later entries, as the log did when written
          break;
        }
        default:
          throw new Error(`wal: unknown record kind ${String(payload[0])} at byte ${pos}`);
      }
      pos += 8 + len;
    }
    const tornBytes = buf.length - pos;
    if (tornBytes > 0) {
      this.disk.truncate(WAL, pos);
      this.disk.sync(WAL);
    }
    if (hardState !== null) storage.setHardState(hardState);
    return { storage, tornBytes };
  }
}
