/**
 * The logging this package needs, as a structural subset of `@kubets/component-base`'s Logger
 * (which satisfies it), so components pass their logger in and library code never picks a sink.
 */

export type KeyValues = Readonly<Record<string, unknown>>;

export interface Logger {
  info(msg: string, kv?: KeyValues): void;
  warn(msg: string, kv?: KeyValues): void;
  error(err: unknown, msg: string, kv?: KeyValues): void;
}

/** Drops everything; for tests that inject failures on purpose. */
export const noopLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * The default: warnings and errors to stderr (what klog does by default), informational lines
 * dropped. Components should pass their own logger instead.
 */
export const stderrLogger: Logger = {
  info: () => undefined,
  warn: (msg, kv) => console.error(`W ${msg}${kv ? ' ' + safeJson(kv) : ''}`),
  error: (err, msg, kv) =>
    console.error(
      `E ${msg}: ${err instanceof Error ? err.message : String(err)}${kv ? ' ' + safeJson(kv) : ''}`,
    ),
};

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return '[unserializable]';
  }
}
