import { parseDuration } from '@kubets/component-base';

export type AutoCompactionMode = 'periodic' | 'revision';

export interface CompactionPolicy {
  readonly mode: AutoCompactionMode;
  /** periodic: milliseconds of history to keep; revision: number of revisions to keep. */
  readonly retention: number;
}

/**
 * Parses --auto-compaction-mode/--auto-compaction-retention as etcd does: in periodic mode the
 * retention is a duration, and a bare number means hours ("1" = 1h); in revision mode it is a
 * revision count. "0" turns auto-compaction off (returns undefined).
 */
export function parseCompactionPolicy(
  mode: AutoCompactionMode,
  retention: string,
): CompactionPolicy | undefined {
  const raw = retention.trim();
  if (mode === 'revision') {
    if (!/^\d+$/.test(raw)) {
      throw new Error(
        `--auto-compaction-retention: revision mode needs a whole number of revisions, got ${JSON.stringify(retention)}`,
      );
    }
    const n = Number(raw);
    return n === 0 ? undefined : { mode, retention: n };
  }
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(raw)) ms = Number(raw) * 3600 * 1000;
  else {
    try {
      ms = parseDuration(raw);
    } catch (err) {
      throw new Error(
        `--auto-compaction-retention: ${(err as Error).message} (e.g. 1h, 30m or a number of hours)`,
      );
    }
  }
  if (ms < 0) throw new Error('--auto-compaction-retention must not be negative');
  return ms === 0 ? undefined : { mode, retention: ms };
}

/**
 * Decides when and to which revision to compact (etcd's v3compactor), given the time and the
 * store's revision at each check. Pure: the server calls `check` on a timer and compacts to the
 * returned revision.
 *
 * - revision mode: every check (etcd: every 5 minutes) compacts to `rev - retention`.
 * - periodic mode: samples the revision every retention/10 (at most hourly) and compacts to
 *   the revision seen `retention` ago, so roughly the last `retention` of history is kept.
 */
export class Compactor {
  private samples: Array<{ at: number; rev: number }> = [];

  constructor(readonly policy: CompactionPolicy) {}

  /** How often the server should call `check`, in ms. */
  get intervalMs(): number {
    if (this.policy.mode === 'revision') return 5 * 60 * 1000;
    return Math.max(1000, Math.min(this.policy.retention / 10, 3600 * 1000));
  }

  /** Returns the revision to compact to now, or undefined. */
  check(now: number, rev: number, compactRev: number): number | undefined {
    let target: number | undefined;
    if (this.policy.mode === 'revision') {
      target = rev - this.policy.retention;
    } else {
      this.samples.push({ at: now, rev });
      // The newest sample at least `retention` old marks where history may end.
      let chosen: { at: number; rev: number } | undefined;
      while (this.samples.length > 0 && now - this.samples[0]!.at >= this.policy.retention) {
        chosen = this.samples.shift();
      }
      target = chosen?.rev;
    }
    if (target === undefined || target <= compactRev || target <= 0) return undefined;
    return target;
  }
}
