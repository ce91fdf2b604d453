import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupTimestamp, RotatingFile } from './log-writer.js';

describe('audit log rotation (lumberjack semantics)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-auditlog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('renames to <name>-<timestamp>.<ext> before exceeding the size and keeps maxbackup', () => {
    let t = Date.parse('2026-12-06T10:00:00.000Z');
    const f = new RotatingFile({
      path: join(dir, 'audit.log'),
      maxBytes: 25,
      maxBackups: 2,
      now: () => new Date((t += 1500)),
    });
    for (let i = 0; i < 5; i++) f.write(`line-${i}-xxxxxxxxx\n`); // 17 bytes: one per file
    f.close();
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).toBe('line-4-xxxxxxxxx\n');
    expect(readdirSync(dir).sort()).toEqual([
      'audit-2026-12-06T10-00-04.500.log',
      'audit-2026-12-06T10-00-06.000.log',
      'audit.log',
    ]);
    expect(readFileSync(join(dir, 'audit-2026-12-06T10-00-06.000.log'), 'utf8')).toBe(
      'line-3-xxxxxxxxx\n',
    );
  });

  it('appends to an existing file that has room, rotates one that has not', () => {
    const path = join(dir, 'audit.log');
    writeFileSync(path, 'old\n');
    const f = new RotatingFile({ path, maxBytes: 10, now: () => new Date(0) });
    f.write('new\n');
    expect(readFileSync(path, 'utf8')).toBe('old\nnew\n');
    f.write('more\n');
    f.close();
    expect(readFileSync(join(dir, `audit-${backupTimestamp(new Date(0))}.log`), 'utf8')).toBe(
      'old\nnew\n',
    );
    expect(() => f.write('x'.repeat(11))).toThrow('write length 11 exceeds maximum file size 10');
  });

  it('removes backups older than maxage days', () => {
    const path = join(dir, 'audit.log');
    const old = join(dir, 'audit-2026-11-01T00-00-00.000.log');
    writeFileSync(old, 'x\n');
    const f = new RotatingFile({
      path,
      maxBytes: 4,
      maxAgeDays: 7,
      now: () => new Date('2026-12-06T00:00:00Z'),
    });
    f.write('abc\n');
    f.write('def\n');
    f.close();
    expect(existsSync(old)).toBe(false);
    expect(f.backups()).toHaveLength(1);
  });
});
