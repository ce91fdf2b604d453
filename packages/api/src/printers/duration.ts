/**
 * Human durations as kubectl shows them in AGE columns (k8s.io/apimachinery/pkg/util/duration),
 * and the timestamp helpers the printers use. "now" is always a parameter.
 */
import { parseTime } from '@kubets/apimachinery';

/** duration.HumanDuration: `5s`, `3m2s`, `4h`, `2d3h`, `3y45d`... from milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: `<unknown>` for an absent or unparsable time. */
export function timeSince(timestamp: string | null | undefined, nowMs: number): string {
  if (!timestamp) return '<unknown>';
  let t: number;
  try {
    t = parseTime(timestamp);
  } catch {
    t = Date.parse(timestamp);
    if (Number.isNaN(t)) return '<unknown>';
  }
  return humanDuration(nowMs - t);
}

/** Milliseconds since the epoch of an RFC 3339 time, or undefined. */
export function timeMs(timestamp: string | null | undefined): number | undefined {
  if (!timestamp) return undefined;
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? undefined : t;
}
