import { crc32 } from 'node:zlib';
import { parentDir, type StorageFs } from './fs.js';

export interface StreamedFileOptions {
  /** Size of the head, reserved at the start and written last. */
  readonly headBytes: number;
  /** The head for the whole body's CRC-32 and length. */
  readonly head: (crc: number, length: number) => Uint8Array;
  /**
   * fdatasync after about this many bytes (default 4 MiB): on a real disk one sync of a large
   * file at the end would sit in the device queue in front of the WAL's small syncs for as
   * long as it takes to write it all; a sync every few MB keeps each short, and the last one
   * has little left to do.
   */
  readonly syncEveryBytes?: number;
}

const DEFAULT_SYNC_EVERY_BYTES = 4 << 20;

/**
 * Writes a file whose head (the body's checksum and length) comes first but is known only
 * once the body is written: the body is streamed into a temporary file behind a zeroed head,
 * the head written last at offset 0, then fsync, rename and directory fsync, so a crash leaves
 * either no file or the whole one. A failure (or an aborted source) removes the temporary file
 * and rethrows.
 */
export async function writeStreamedFile(
  fs: StorageFs,
  path: string,
  body: AsyncIterable<Uint8Array>,
  opts: StreamedFileOptions,
): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await fs.createFile(tmp);
  let closed = false;
  try {
    await file.append(new Uint8Array(opts.headBytes));
    const syncEvery = opts.syncEveryBytes ?? DEFAULT_SYNC_EVERY_BYTES;
    let crc = 0;
    let length = 0;
    let unsynced = 0;
    for await (const piece of body) {
      crc = crc32(piece, crc);
      length += piece.length;
      unsynced += piece.length;
      await file.append(piece);
      if (unsynced >= syncEvery) {
        await file.sync();
        unsynced = 0;
      }
    }
    await file.writeAt(0, opts.head(crc, length));
    await file.sync();
    closed = true;
    await file.close();
  } catch (err) {
    if (!closed) await file.close().catch(() => undefined);
    await fs.remove(tmp).catch(() => undefined);
    throw err;
  }
  await fs.rename(tmp, path);
  await fs.syncDir(parentDir(path));
}
