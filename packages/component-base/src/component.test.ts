import { EventEmitter } from 'node:events';
import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../test/prom-text.js';
import { createComponent } from './component.js';
import {
  componentOptionsFromFlags,
  healthServerFlags,
  loggingFlags,
  shutdownFlags,
} from './component-flags.js';
import { parseFlags } from './flags.js';
import type { SignalSource } from './shutdown.js';

function fetchStatus(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function create() {
  const lines: string[] = [];
  const exits: number[] = [];
  const signals = new EventEmitter();
  const component = await createComponent({
    name: 'kubets-test',
    version: '0.1.0',
    gitCommit: 'deadbeef',
    logging: { destination: { write: (l: string) => void lines.push(l) }, verbosity: 2 },
    health: { host: '127.0.0.1', port: 0 },
    tracing: { env: {}, registerGlobal: false },
    shutdown: {
      signalSource: signals as unknown as SignalSource,
      exit: (code) => void exits.push(code),
    },
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { component, exits, signals, records };
}

describe('createComponent', () => {
  it('wires logger, metrics, health server and tracing', async () => {
    const { component, records } = await create();
    try {
      expect(records()[0]).toMatchObject({
        component: 'kubets-test',
        msg: 'Starting component',
        version: '0.1.0',
      });
      expect(component.tracing.enabled).toBe(false);
      const url = component.server?.url ?? '';
      expect(await fetchStatus(`${url}/readyz`)).toEqual({ status: 200, body: 'ok' });
      component.metrics.counter({ name: 'kubets_test_things_total', help: 'Things.' }).inc(4);
      const families = parseExposition((await fetchStatus(`${url}/metrics`)).body);
      expect(sampleValue(families, 'kubets_test_things_total')).toBe(4);
      expect(
        sampleValue(families, 'kubets_build_info', {
          component: 'kubets-test',
          git_commit: 'deadbeef',
        }),
      ).toBe(1);
    } finally {
      await component.stop();
    }
  });

  it('on SIGTERM fails readiness before running hooks, then closes the server and exits 0', async () => {
    const { component, exits, signals, records } = await create();
    const url = component.server?.url ?? '';
    const seenDuringHook: number[] = [];
    component.health.addReadyz('storage', () => undefined);
    component.onShutdown('storage', async () => {
      // Still serving, but no longer ready.
      seenDuringHook.push((await fetchStatus(`${url}/readyz`)).status);
      seenDuringHook.push((await fetchStatus(`${url}/livez`)).status);
    });
    signals.emit('SIGTERM', 'SIGTERM');
    const code = await component.shutdown.shutdown('already started');
    expect(code).toBe(0);
    expect(exits).toEqual([0]);
    expect(seenDuringHook).toEqual([500, 200]);
    await expect(fetchStatus(`${url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
    const hookOrder = records()
      .filter((r) => r.msg === 'Running shutdown hook')
      .map((r) => r.hook);
    expect(hookOrder).toEqual(['storage', 'tracing', 'health-server']);
  });

  it('explains a port that is already taken', async () => {
    const first = await create();
    try {
      await expect(
        createComponent({
          name: 'kubets-test',
          version: '0.1.0',
          logging: { destination: { write: () => undefined } },
          health: { host: '127.0.0.1', port: first.component.server?.port ?? 0 },
          tracing: false,
          shutdown: { signalSource: false, exit: () => undefined },
        }),
      ).rejects.toThrow(/^cannot serve health and metrics on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      await first.component.stop();
    }
  });

  it('can run without a health server', async () => {
    const component = await createComponent({
      name: 'kubets-test',
      version: '0.1.0',
      logging: { destination: { write: () => undefined } },
      health: false,
      tracing: false,
      defaultMetrics: false,
      shutdown: { signalSource: false, exit: () => undefined },
    });
    expect(component.server).toBeUndefined();
    expect(await component.stop()).toBe(0);
  });
});

describe('standard component flags', () => {
  const flags = { ...loggingFlags, ...healthServerFlags('0.0.0.0:10259'), ...shutdownFlags };

  it('map onto createComponent options', () => {
    const parsed = parseFlags(flags, [
      '-v=3',
      '--logging-format=text',
      '--healthz-bind-address=127.0.0.1:0',
      '--shutdown-grace-period=5s',
      '--shutdown-delay-duration=1s',
    ]);
    if (parsed.kind !== 'ok') throw new Error(JSON.stringify(parsed));
    expect(componentOptionsFromFlags(parsed.values)).toEqual({
      logging: { verbosity: 3, format: 'text' },
      health: { host: '127.0.0.1', port: 0 },
      shutdown: { gracePeriodMs: 5000, delayMs: 1000 },
    });
  });

  it('have upstream defaults and validation', () => {
    const parsed = parseFlags(flags, []);
    if (parsed.kind !== 'ok') throw new Error(JSON.stringify(parsed));
    expect(componentOptionsFromFlags(parsed.values)).toEqual({
      logging: { verbosity: 0, format: 'json' },
      health: { host: '0.0.0.0', port: 10259 },
      shutdown: { gracePeriodMs: 30_000, delayMs: 0 },
    });
    const bad = parseFlags(flags, ['--healthz-bind-address=10259']);
    expect(bad.kind === 'error' && bad.error.message).toBe(
      'invalid argument "10259" for "--healthz-bind-address" flag: bind address "10259" must be host:port (IPv6 hosts in brackets)',
    );
    expect(parseFlags(flags, ['--v=-1']).kind).toBe('error');
  });
});
