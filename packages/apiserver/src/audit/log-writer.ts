/**
 * The audit log file, rotated as upstream's writer (gopkg.in/natefinch/lumberjack.v2) does:
 * before a write would take the file past `maxSizeMB`, it is renamed to
 * `<name>-<2006-01-02T15-04-05.000>.<ext>` (UTC) and a new file is started; then backups beyond
 * `maxBackups` (newest kept) and older than `maxAgeDays` are removed. 0 keeps them all; a
 * `maxSizeMB` of 0 means 100, as lumberjack.
 *
 * Writes are synchronous: upstream's log backend runs in blocking mode by default, so an event is
 * on disk (in the kernel) before the response completes.
 */
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

export interface LineWriter {
  write(line: string): void;
  close(): void;
}

export interface RotatingFileOptions {
  path: string;
  maxSizeMB?: number;
  maxBackups?: number;
  maxAgeDays?: number;
  now?: () => Date;
  /** For tests: the size limit in bytes (overrides maxSizeMB). */
  maxBytes?: number;
}

const MB = 1024 * 1024;

/** `2006-01-02T15-04-05.000` in UTC, lumberjack's backup time format. */
export function backupTimestamp(d: Date): string {
  return d.toISOString().slice(0, 23).replace(/:/g, '-');
}

function parseBackupTimestamp(s: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(s);
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isNaN(t) ? undefined : t;
}

export class RotatingFile implements LineWriter {
  private fd: number | undefined;
  private size = 0;
  private readonly maxBytes: number;
  private readonly now: () => Date;

  constructor(private readonly o: RotatingFileOptions) {
    this.maxBytes = o.maxBytes ?? (o.maxSizeMB && o.maxSizeMB > 0 ? o.maxSizeMB : 100) * MB;
    this.now = o.now ?? (() => new Date());
  }

  write(line: string): void {
    const bytes = Buffer.from(line);
    if (bytes.length > this.maxBytes) {
      throw new Error(`write length ${bytes.length} exceeds maximum file size ${this.maxBytes}`);
    }
    if (this.fd === undefined) this.openExistingOrNew(bytes.length);
    else if (this.size + bytes.length > this.maxBytes) this.rotate();
    writeSync(this.fd!, bytes);
    this.size += bytes.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The backups present, newest first. */
  backups(): { path: string; time: number }[] {
    const dir = dirname(this.o.path);
    const ext = extname(this.o.path);
    const prefix = `${basename(this.o.path, ext)}-`;
    const out: { path: string; time: number }[] = [];
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(prefix) || !name.endsWith(ext)) continue;
      const time = parseBackupTimestamp(name.slice(prefix.length, name.length - ext.length));
      if (time !== undefined) out.push({ path: join(dir, name), time });
    }
    return out.sort((a, b) => b.time - a.time);
  }

  private openExistingOrNew(writeLength: number): void {
    this.fd = openSync(this.o.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
    if (this.size + writeLength > this.maxBytes) this.rotate();
  }

  private rotate(): void {
    this.close();
    const ext = extname(this.o.path);
    const backup = join(
      dirname(this.o.path),
      `${basename(this.o.path, ext)}-${backupTimestamp(this.now())}${ext}`,
    );
    renameSync(this.o.path, backup);
    this.fd = openSync(this.o.path, 'a', 0o600);
    this.size = 0;
    this.removeOld();
  }

  private removeOld(): void {
    const maxBackups = this.o.maxBackups ?? 0;
    const maxAgeDays = this.o.maxAgeDays ?? 0;
    if (maxBackups <= 0 && maxAgeDays <= 0) return;
    let backups = this.backups();
    const remove: string[] = [];
    if (maxBackups > 0 && backups.length > maxBackups) {
      remove.push(...backups.slice(maxBackups).map((b) => b.path));
      backups = backups.slice(0, maxBackups);
    }
    if (maxAgeDays > 0) {
      const cutoff = this.now().getTime() - maxAgeDays * 24 * 3600 * 1000;
      remove.push(...backups.filter((b) => b.time < cutoff).map((b) => b.path));
    }
    for (const p of remove) rmSync(p, { force: true });
  }
}

/** `--audit-log-path=-`: standard output. */
export const stdoutWriter: LineWriter = {
  write: (line) => {
    process.stdout.write(line);
  },
  close: () => undefined,
};
