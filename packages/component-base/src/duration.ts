/**
 * Go `time.Duration` text syntax (`10s`, `1m30s`, `1.5h`, `300ms`, `-2h45m`), as used by every
 * upstream duration flag and by `metav1.Duration` fields in config files. Values are carried as
 * milliseconds (a float, so `1.5ms` and `250us` survive).
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign, which Go accepts
  μs: 1e-3, // U+03BC Greek mu, which Go accepts too
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses Go duration syntax into milliseconds; throws with a message saying what is wrong. */
export function parseDuration(text: string): number {
  const original = text;
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  // Go special-cases a bare "0"; every other number needs a unit.
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`invalid duration "${original}"`);
  let total = 0;
  const segment = /^(\d*\.?\d*)([a-zµμ]+)/;
  while (rest !== '') {
    const match = segment.exec(rest);
    const number = match?.[1];
    const unit = match?.[2];
    if (match === null || number === undefined || unit === undefined) {
      throw new Error(`invalid duration "${original}"`);
    }
    if (number === '' || number === '.') throw new Error(`invalid duration "${original}"`);
    const factor = UNIT_MS[unit];
    if (factor === undefined) {
      throw new Error(`unknown unit "${unit}" in duration "${original}"`);
    }
    total += Number(number) * factor;
    rest = rest.slice(match[0].length);
  }
  if (!Number.isFinite(total)) throw new Error(`invalid duration "${original}"`);
  return sign * total;
}

/** Formats milliseconds the way Go's `Duration.String()` does: `1h0m0s`, `1m30s`, `1.5s`, `300ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format duration ${ms}`);
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) {
    // Below one second Go switches to the largest unit that keeps the integer part non-zero.
    if (abs >= 1) return `${sign}${trimNumber(abs)}ms`;
    if (abs >= 1e-3) return `${sign}${trimNumber(abs * 1e3)}µs`;
    return `${sign}${trimNumber(abs * 1e6)}ns`;
  }
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = (abs % 60_000) / 1000;
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${trimNumber(seconds)}s`;
}

/** Up to nanosecond precision, without float noise such as 1.5000000000000002. */
function trimNumber(n: number): string {
  return String(Number(n.toFixed(9)));
}
