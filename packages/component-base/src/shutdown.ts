/**
 * Graceful shutdown as upstream components do it: on SIGTERM or SIGINT readiness turns false,
 * an optional delay lets load balancers notice (`--shutdown-delay-duration`), then hooks run
 * one at a time in reverse registration order (last started, first stopped) under one overall
 * deadline. Exit code 0 when every hook finished, 1 when one failed or the deadline passed (the
 * log names the hook that hung). A second signal exits at once with 1, like
 * k8s.io/apiserver's SetupSignalHandler.
 *
 * The process is injected (`SignalSource`, `exit`) so all of this is testable without signals.
 */
import type { Logger } from './logging.js';

export type ShutdownHook = () => void | Promise<void>;

/** The part of `process` used here. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownOptions {
  logger: Logger;
  /** Overall deadline for the delay plus every hook. Default 30 s. */
  gracePeriodMs?: number;
  /** Time between readiness going false and the first hook. Default 0. */
  delayMs?: number;
  /** Called first when shutdown begins; typically flips `/readyz`. */
  onStart?: (reason: string) => void;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
}

export type ShutdownState = 'running' | 'shutting-down' | 'done';

interface NamedHook {
  name: string;
  hook: ShutdownHook;
}

export class GracefulShutdown {
  private readonly hooks: NamedHook[] = [];
  private readonly gracePeriodMs: number;
  private readonly delayMs: number;
  private readonly exit: (code: number) => void;
  private readonly signals: readonly NodeJS.Signals[];
  private source: SignalSource | undefined;
  private result: Promise<number> | undefined;
  private current: string | undefined;
  private stateValue: ShutdownState = 'running';

  constructor(private readonly options: ShutdownOptions) {
    this.gracePeriodMs = checkMs('gracePeriodMs', options.gracePeriodMs ?? 30_000);
    this.delayMs = checkMs('delayMs', options.delayMs ?? 0);
    this.exit = options.exit ?? ((code) => process.exit(code));
    this.signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  }

  get state(): ShutdownState {
    return this.stateValue;
  }

  /**
   * Registers a hook; hooks run in reverse order of registration. Returns a function that
   * unregisters it (for resources closed before shutdown).
   */
  onShutdown(name: string, hook: ShutdownHook): () => void {
    if (this.stateValue !== 'running') {
      throw new Error(`cannot register shutdown hook "${name}": shutdown already began`);
    }
    const entry = { name, hook };
    this.hooks.push(entry);
    return () => {
      const index = this.hooks.indexOf(entry);
      if (index !== -1) this.hooks.splice(index, 1);
    };
  }

  /** Starts listening for the termination signals. */
  install(source: SignalSource = process): void {
    if (this.source !== undefined) throw new Error('shutdown signal handlers already installed');
    this.source = source;
    for (const signal of this.signals) source.on(signal, this.onSignal);
  }

  /** Stops listening, restoring the default signal behaviour. */
  uninstall(): void {
    const source = this.source;
    if (source === undefined) return;
    for (const signal of this.signals) source.off(signal, this.onSignal);
    this.source = undefined;
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.stateValue === 'running') {
      void this.shutdown(`received ${signal}`);
      return;
    }
    if (this.stateValue === 'shutting-down') {
      this.options.logger.warn('Received second signal, exiting immediately', {
        signal,
        hook: this.current,
      });
      this.finish(1);
    }
  };

  /**
   * Shuts down (once; later calls return the same result) and calls `exit` with the code,
   * which is also the resolved value.
   */
  shutdown(reason: string): Promise<number> {
    this.result ??= this.run(reason);
    return this.result;
  }

  private async run(reason: string): Promise<number> {
    const logger = this.options.logger;
    this.stateValue = 'shutting-down';
    logger.info('Graceful shutdown started', {
      reason,
      gracePeriodMs: this.gracePeriodMs,
      delayMs: this.delayMs,
      hooks: this.hooks.length,
    });
    try {
      this.options.onStart?.(reason);
    } catch (err) {
      logger.error(err, 'Shutdown start callback failed');
    }

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), this.gracePeriodMs);
    });
    const pending = [...this.hooks].reverse();
    const work = async (): Promise<boolean> => {
      if (this.delayMs > 0) await sleep(this.delayMs);
      let clean = true;
      while (pending.length > 0) {
        const { name, hook } = pending[0] as NamedHook;
        this.current = name;
        logger.v(2).info('Running shutdown hook', { hook: name });
        try {
          await hook();
        } catch (err) {
          clean = false;
          logger.error(err, 'Shutdown hook failed', { hook: name });
        }
        pending.shift();
      }
      this.current = undefined;
      return clean;
    };
    const outcome = await Promise.race([work(), deadline]);
    clearTimeout(timer);

    let code: number;
    if (outcome === 'deadline') {
      logger.error(undefined, 'Graceful shutdown deadline exceeded', {
        gracePeriodMs: this.gracePeriodMs,
        hook: this.current ?? '(shutdown delay)',
        notRun: (this.current === undefined ? pending : pending.slice(1)).map((h) => h.name),
      });
      code = 1;
    } else {
      code = outcome ? 0 : 1;
      logger.info('Graceful shutdown finished', { exitCode: code });
    }
    this.finish(code);
    return code;
  }

  private finish(code: number): void {
    // A second signal may already have finished while a hook was still running.
    if (this.stateValue === 'done') return;
    this.stateValue = 'done';
    this.uninstall();
    this.options.logger.flush();
    this.exit(code);
  }
}

function checkMs(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of milliseconds, got ${value}`);
  }
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
