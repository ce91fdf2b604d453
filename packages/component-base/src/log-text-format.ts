/**
 * Renders one JSON log line (as produced by logging.ts) in klog's text format:
 *
 *   I1129 14:06:17.047000   12345 kubets-store] "Starting" logger="raft" term=3
 *
 * Differences from klog: the header shows the component instead of file:line (finding the
 * caller costs a stack capture per line), and times are UTC so output does not depend on the
 * machine's zone.
 */

const LEVEL_LETTER: Readonly<Record<string, string>> = {
  trace: 'I',
  debug: 'I',
  info: 'I',
  warn: 'W',
  error: 'E',
  fatal: 'F',
};

/** Keys that the header already shows. */
const HEADER_KEYS = new Set(['level', 'ts', 'msg', 'component', 'v']);

export function formatKlogLine(jsonLine: string, pid: number): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine; // never lose a line, even one we cannot read
  }
  const letter = LEVEL_LETTER[String(record.level)] ?? 'I';
  const ts = typeof record.ts === 'number' ? record.ts : 0;
  const component = typeof record.component === 'string' ? record.component : '';
  const header = `${letter}${formatTime(ts)} ${String(pid).padStart(7)} ${component}]`;
  const msg = typeof record.msg === 'string' ? record.msg : '';
  const parts = [header, JSON.stringify(msg)];
  for (const [key, value] of Object.entries(record)) {
    if (HEADER_KEYS.has(key)) continue;
    parts.push(`${key}=${formatValue(key, value)}`);
  }
  return `${parts.join(' ')}\n`;
}

/** `mmdd hh:mm:ss.uuuuuu` in UTC from seconds since the epoch. */
function formatTime(seconds: number): string {
  const micros = Math.round(seconds * 1e6);
  const date = new Date(Math.floor(micros / 1000));
  const two = (n: number): string => String(n).padStart(2, '0');
  const fraction = String(((micros % 1e6) + 1e6) % 1e6).padStart(6, '0');
  return (
    `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}.${fraction}`
  );
}

function formatValue(key: string, value: unknown): string {
  // An error shows its stack (which starts with the message) as a block, else its message.
  if (key === 'err' && typeof value === 'object' && value !== null) {
    const err = value as { message?: unknown; stack?: unknown };
    if (typeof err.stack === 'string') return block(err.stack);
    return JSON.stringify(String(err.message));
  }
  if (typeof value === 'string') return value.includes('\n') ? block(value) : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return '<nil>';
  return JSON.stringify(value);
}

/** klog's multi-line value syntax: `key=<` newline, tab-indented lines, ` >`. */
function block(text: string): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return `<\n${lines.map((line) => `\t${line}`).join('\n')}\n >`;
}
