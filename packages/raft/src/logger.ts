/**
 * Logging is injected so the library stays free of I/O. Messages are only produced at
 * state transitions (elections, leader changes, configuration changes, snapshots), never
 * per message on the hot path.
 */
export interface RaftLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const noop = (): void => {};

/** Discards everything (the default). */
export const discardLogger: RaftLogger = { debug: noop, info: noop, warn: noop, error: noop };
