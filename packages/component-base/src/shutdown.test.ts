import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logging.js';
import { GracefulShutdown } from './shutdown.js';
import type { ShutdownOptions, SignalSource } from './shutdown.js';

function setup(options: Partial<ShutdownOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    component: 't',
    verbosity: 2,
    destination: { write: (l: string) => void lines.push(l) },
  });
  const exits: number[] = [];
  const events: string[] = [];
  const emitter = new EventEmitter();
  const source = emitter as unknown as SignalSource;
  const shutdown = new GracefulShutdown({
    logger,
    exit: (code) => void exits.push(code),
    onStart: (reason) => void events.push(`start:${reason}`),
    ...options,
  });
  shutdown.install(source);
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const signal = (name: NodeJS.Signals) => emitter.emit(name, name);
  return { shutdown, exits, events, emitter, signal, records };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GracefulShutdown', () => {
  it('on SIGTERM: readiness first, hooks in reverse order, then exit 0', async () => {
    const { shutdown, exits, events, signal } = setup();
    shutdown.onShutdown('store', async () => {
      await tick(5);
      events.push('store');
    });
    shutdown.onShutdown('server', () => void events.push('server'));
    shutdown.onShutdown('informers', () => void events.push('informers'));
    signal('SIGTERM');
    expect(shutdown.state).toBe('shutting-down');
    const code = await shutdown.shutdown('ignored: already running');
    expect(code).toBe(0);
    expect(events).toEqual(['start:received SIGTERM', 'informers', 'server', 'store']);
    expect(exits).toEqual([0]);
    expect(shutdown.state).toBe('done');
  });

  it('also reacts to SIGINT', async () => {
    const { shutdown, exits, signal } = setup();
    signal('SIGINT');
    await shutdown.shutdown('x');
    expect(exits).toEqual([0]);
  });

  it('waits the shutdown delay between readiness and the first hook', async () => {
    const { shutdown, events } = setup({ delayMs: 40 });
    let hookAt = 0;
    shutdown.onShutdown('h', () => void (hookAt = performance.now()));
    const started = performance.now();
    await shutdown.shutdown('test');
    expect(events).toEqual(['start:test']);
    expect(hookAt - started).toBeGreaterThanOrEqual(35);
  });

  it('exits 1 and names the hung hook when the deadline passes', async () => {
    const { shutdown, exits, events, records } = setup({ gracePeriodMs: 50 });
    shutdown.onShutdown('first-registered', () => void events.push('never'));
    shutdown.onShutdown('raft-stop', () => new Promise(() => undefined));
    shutdown.onShutdown('http', () => void events.push('http'));
    const code = await shutdown.shutdown('test');
    expect(code).toBe(1);
    expect(exits).toEqual([1]);
    expect(events).toEqual(['start:test', 'http']);
    const deadline = records().find((r) => r.msg === 'Graceful shutdown deadline exceeded');
    expect(deadline).toMatchObject({
      level: 'error',
      hook: 'raft-stop',
      notRun: ['first-registered'],
      gracePeriodMs: 50,
    });
  });

  it('keeps going after a failing hook but exits 1', async () => {
    const { shutdown, exits, events, records } = setup();
    shutdown.onShutdown('after', () => void events.push('after'));
    shutdown.onShutdown('broken', () => {
      throw new Error('flush failed');
    });
    expect(await shutdown.shutdown('test')).toBe(1);
    expect(events).toEqual(['start:test', 'after']);
    expect(exits).toEqual([1]);
    expect(records().find((r) => r.msg === 'Shutdown hook failed')).toMatchObject({
      hook: 'broken',
      err: { message: 'flush failed' },
    });
  });

  it('forces exit 1 on a second signal while hooks are still running', async () => {
    const { shutdown, exits, signal, records } = setup({ gracePeriodMs: 50 });
    shutdown.onShutdown('slow', () => new Promise(() => undefined));
    signal('SIGTERM');
    await tick();
    signal('SIGINT');
    expect(exits).toEqual([1]);
    expect(shutdown.state).toBe('done');
    expect(
      records().find((r) => r.msg === 'Received second signal, exiting immediately'),
    ).toMatchObject({
      signal: 'SIGINT',
      hook: 'slow',
    });
    // The abandoned run still ends at its deadline, without exiting a second time.
    await shutdown.shutdown('drain');
    expect(exits).toEqual([1]);
  });

  it('uninstalls its signal listeners when done', async () => {
    const { shutdown, emitter } = setup();
    expect(emitter.listenerCount('SIGTERM')).toBe(1);
    await shutdown.shutdown('test');
    expect(emitter.listenerCount('SIGTERM')).toBe(0);
    expect(emitter.listenerCount('SIGINT')).toBe(0);
  });

  it('supports unregistering a hook and refuses new hooks once shutdown began', async () => {
    const { shutdown, events } = setup();
    const remove = shutdown.onShutdown('gone', () => void events.push('gone'));
    remove();
    const done = shutdown.shutdown('test');
    expect(() => shutdown.onShutdown('late', () => undefined)).toThrow('shutdown already began');
    await done;
    expect(events).toEqual(['start:test']);
  });

  it('validates its durations', () => {
    expect(() => setup({ gracePeriodMs: -1 })).toThrow('gracePeriodMs');
    expect(() => setup({ delayMs: Number.NaN })).toThrow('delayMs');
  });
});
