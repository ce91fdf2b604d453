/**
 * Bearer tokens from a file that is rotated underneath us (projected service-account tokens are
 * replaced by the kubelet well before they expire). As client-go's cached file token source, the
 * file is re-read at most once per period; a failed read keeps the last good token rather than
 * failing requests, since the kubelet writes the file by atomic rename and a read error is
 * transient.
 */
import { readFileSync } from 'node:fs';
import { realClock, type Clock } from '../util/clock.js';
import { noopLogger, type Logger } from '../util/logger.js';

/** client-go re-reads the token file once a minute. */
export const TOKEN_FILE_REFRESH_MS = 60_000;

export interface TokenSource {
  /** The token to send now, or undefined when there is none. */
  token(): string | undefined;
}

export interface FileTokenSourceOptions {
  clock?: Clock;
  periodMs?: number;
  readFile?: (path: string) => string;
  logger?: Logger;
  /** Used until the file has been read successfully once. */
  fallback?: string;
}

export class FileTokenSource implements TokenSource {
  private cached: string | undefined;
  private readAt = -Infinity;
  private readonly clock: Clock;
  private readonly periodMs: number;
  private readonly read: (path: string) => string;
  private readonly logger: Logger;

  constructor(
    readonly path: string,
    options: FileTokenSourceOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.periodMs = options.periodMs ?? TOKEN_FILE_REFRESH_MS;
    this.read = options.readFile ?? ((p) => readFileSync(p, 'utf8'));
    this.logger = options.logger ?? noopLogger;
    this.cached = options.fallback;
  }

  token(): string | undefined {
    const now = this.clock.now();
    if (now - this.readAt < this.periodMs) return this.cached;
    this.readAt = now;
    try {
      const t = this.read(this.path).trim();
      if (t === '') throw new Error('the token file is empty');
      this.cached = t;
    } catch (err) {
      this.logger.warn('cannot re-read the bearer token file; using the last token', {
        path: this.path,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    return this.cached;
  }
}

/** A token that never changes. */
export function staticTokenSource(token: string | undefined): TokenSource {
  return { token: () => token };
}
