/**
 * Structured logging on pino with klog/logr semantics: one JSON object per line, `--v=N`
 * verbosity where `logger.v(n).info(...)` prints only when n <= N (and records `"v":n`),
 * `error(err, msg, kv)` like logr's `Error`, key/value context via `child`, logger names via
 * `named`, and a klog-style text rendering for `--logging-format=text`.
 */
import { destination, pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { formatKlogLine } from './log-text-format.js';
import { serializeError } from './serialize-error.js';

export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Key/value context attached to a log line. */
export type KeyValues = Readonly<Record<string, unknown>>;

/** Where finished lines go: anything with a synchronous `write`. */
export interface LogSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** Binary name, recorded on every line as `component`. */
  component: string;
  /** `--v`: the highest V-level that is printed. Default 0. */
  verbosity?: number;
  /** `--logging-format`. Default `json`. */
  format?: LogFormat;
  /** Default: synchronous writes to stderr, where Kubernetes components log. */
  destination?: LogSink;
  /** Clock in milliseconds since the epoch; injected so tests get fixed timestamps. */
  now?: () => number;
  /** Shown in the text format's header; defaults to `process.pid`. */
  pid?: number;
}

/** A V-level logger: `enabled` lets callers skip building expensive key/values. */
export interface VerboseLogger {
  readonly enabled: boolean;
  info(msg: string, kv?: KeyValues): void;
}

export interface Logger {
  readonly component: string;
  readonly verbosity: number;
  /** Info at V(0): always printed. */
  info(msg: string, kv?: KeyValues): void;
  warn(msg: string, kv?: KeyValues): void;
  /** logr-style error: the error (may be undefined) is serialized with message and stack. */
  error(err: unknown, msg: string, kv?: KeyValues): void;
  /** Info at V(level), printed only when level <= verbosity. */
  v(level: number): VerboseLogger;
  /** A logger adding `kv` to every line. */
  child(kv: KeyValues): Logger;
  /** A logger whose lines carry `logger: "<parent>/<name>"`, like logr's `WithName`. */
  named(name: string): Logger;
  /** Writes out anything buffered; call before exiting. */
  flush(): void;
}

const DISABLED: VerboseLogger = Object.freeze({ enabled: false, info: () => undefined });

/** Throws unless `verbosity` is a valid `--v` level. */
export function checkVerbosity(verbosity: number): number {
  if (!Number.isSafeInteger(verbosity) || verbosity < 0) {
    throw new RangeError(`log verbosity must be a non-negative integer, got ${verbosity}`);
  }
  return verbosity;
}

export function createLogger(options: LoggerOptions): Logger {
  const verbosity = checkVerbosity(options.verbosity ?? 0);
  const format = options.format ?? 'json';
  if (!LOG_FORMATS.includes(format)) {
    throw new Error(`unknown logging format "${String(format)}" (permitted: json, text)`);
  }
  const now = options.now ?? Date.now;
  const sink = options.destination ?? destination({ dest: 2, sync: true });
  const pid = options.pid ?? process.pid;
  const stream: DestinationStream =
    format === 'json'
      ? sink
      : { write: (line: string) => void sink.write(formatKlogLine(line, pid)) };
  const root = pino(
    {
      level: 'info',
      base: { component: options.component },
      messageKey: 'msg',
      // klog's JSON format uses "ts" in seconds since the epoch.
      timestamp: () => `,"ts":${now() / 1000}`,
      formatters: { level: (label) => ({ level: label }) },
      // `err` is serialized before it reaches pino (see serializeError); pino's own err
      // serializer would treat that plain object as a foreign error and mangle it.
      serializers: { err: (value: unknown) => value },
    },
    stream,
  );
  const flush = (): void => {
    const maybe = sink as { flushSync?: () => void };
    try {
      maybe.flushSync?.();
    } catch {
      // A sonic-boom that is not open yet has nothing to flush.
    }
  };
  return new PinoBackedLogger(options.component, verbosity, root, {}, undefined, flush);
}

class PinoBackedLogger implements Logger {
  private readonly target: PinoLogger;

  constructor(
    readonly component: string,
    readonly verbosity: number,
    private readonly root: PinoLogger,
    private readonly bindings: Record<string, unknown>,
    private readonly name: string | undefined,
    private readonly flushSink: () => void,
  ) {
    // Children are built from the root with merged bindings so a re-bound key (such as the
    // logger name) appears once per line instead of twice.
    this.target = Object.keys(bindings).length === 0 ? root : root.child(bindings);
  }

  info(msg: string, kv?: KeyValues): void {
    this.target.info({ v: 0, ...prepare(kv) }, msg);
  }

  warn(msg: string, kv?: KeyValues): void {
    this.target.warn(prepare(kv), msg);
  }

  error(err: unknown, msg: string, kv?: KeyValues): void {
    const fields = prepare(kv);
    if (err !== undefined && err !== null) fields.err = serializeError(err);
    this.target.error(fields, msg);
  }

  v(level: number): VerboseLogger {
    if (!Number.isInteger(level) || level < 0) {
      throw new RangeError(`V-level must be a non-negative integer, got ${level}`);
    }
    if (level > this.verbosity) return DISABLED;
    return {
      enabled: true,
      info: (msg, kv) => this.target.info({ v: level, ...prepare(kv) }, msg),
    };
  }

  child(kv: KeyValues): Logger {
    return new PinoBackedLogger(
      this.component,
      this.verbosity,
      this.root,
      { ...this.bindings, ...prepare(kv) },
      this.name,
      this.flushSink,
    );
  }

  named(name: string): Logger {
    if (name === '') throw new Error('logger name must not be empty');
    const full = this.name === undefined ? name : `${this.name}/${name}`;
    return new PinoBackedLogger(
      this.component,
      this.verbosity,
      this.root,
      { ...this.bindings, logger: full },
      full,
      this.flushSink,
    );
  }

  flush(): void {
    this.flushSink();
  }
}

/** Copies key/values, serializing any Error values so they keep message and stack. */
function prepare(kv: KeyValues | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (kv === undefined) return out;
  for (const [key, value] of Object.entries(kv)) {
    out[key] = value instanceof Error ? serializeError(value) : value;
  }
  return out;
}

/** A logger that drops everything without formatting it; for tests and library defaults. */
export function discardLogger(component = 'discard'): Logger {
  const logger: Logger = {
    component,
    verbosity: 0,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    v: () => DISABLED,
    child: () => logger,
    named: () => logger,
    flush: () => undefined,
  };
  return logger;
}
