/**
 * Turns anything thrown into a plain object for a log line: `type`, `message`, `stack`, `code`
 * when present, and the `cause` chain (bounded, since causes can be cyclic).
 */

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: string | number;
  cause?: SerializedError;
}

const MAX_CAUSE_DEPTH = 5;

export function serializeError(value: unknown, depth = 0): SerializedError {
  if (!(value instanceof Error)) {
    // Non-Error throwables (strings, objects) still get a message so the line is useful.
    return { type: typeof value, message: describe(value) };
  }
  const out: SerializedError = { type: value.name, message: value.message };
  if (value.stack !== undefined) out.stack = value.stack;
  const code = (value as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (value.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    out.cause = serializeError(value.cause, depth + 1);
  }
  return out;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
