/**
 * metav1.Time and metav1.MicroTime wire formats. Time is RFC 3339 in UTC with whole seconds
 * (`2024-05-01T12:00:00Z`), MicroTime has exactly six fractional digits. The clock is always the
 * caller's: these functions only format and parse.
 */

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function formatUtcSeconds(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  if (Number.isNaN(d.getTime())) throw new RangeError(`time out of range: ${epochSeconds}s`);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  );
}

/**
 * metav1.Time serialization: whole seconds, UTC, `Z`. Sub-second parts are truncated, as Go's
 * RFC3339 layout drops them.
 */
export function formatTime(time: Date | number): string {
  const ms = typeof time === 'number' ? time : time.getTime();
  return formatUtcSeconds(Math.floor(ms / 1000)) + 'Z';
}

/** metav1.MicroTime serialization from epoch microseconds: `2024-05-01T12:00:00.123456Z`. */
export function formatMicroTime(epochMicros: number | bigint): string {
  const us = BigInt(epochMicros);
  let seconds = us / 1_000_000n;
  let frac = us % 1_000_000n;
  if (frac < 0n) {
    frac += 1_000_000n;
    seconds -= 1n;
  }
  return `${formatUtcSeconds(Number(seconds))}.${frac.toString().padStart(6, '0')}Z`;
}

interface ParsedRfc3339 {
  /** Whole seconds since the epoch. */
  seconds: number;
  /** Nanoseconds within the second. */
  nanos: number;
}

function parseRfc3339(s: string): ParsedRfc3339 {
  const m = RFC3339.exec(s);
  if (!m) {
    throw new SyntaxError(`parsing time ${JSON.stringify(s)}: not an RFC 3339 timestamp`);
  }
  const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  if (month < 1 || month > 12)
    throw new RangeError(`parsing time ${JSON.stringify(s)}: month out of range`);
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth)
    throw new RangeError(`parsing time ${JSON.stringify(s)}: day out of range`);
  if (hour > 23 || minute > 59 || second > 59) {
    throw new RangeError(`parsing time ${JSON.stringify(s)}: time out of range`);
  }
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  }
  const utcMs = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  const seconds = utcMs / 1000 - offsetMinutes * 60;
  const nanos = frac ? Number(frac.padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

/** Parses a metav1.Time (any RFC 3339 offset, optional fraction) to epoch milliseconds. */
export function parseTime(s: string): number {
  const { seconds, nanos } = parseRfc3339(s);
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}

/** Parses a metav1.MicroTime (or any RFC 3339 time) to epoch microseconds. */
export function parseMicroTime(s: string): bigint {
  const { seconds, nanos } = parseRfc3339(s);
  return BigInt(seconds) * 1_000_000n + BigInt(Math.floor(nanos / 1000));
}

/** Normalizes any RFC 3339 timestamp to the metav1.Time wire form (UTC, whole seconds). */
export function normalizeTime(s: string): string {
  return formatUtcSeconds(parseRfc3339(s).seconds) + 'Z';
}
