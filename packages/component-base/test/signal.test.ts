/**
 * The real thing: a small binary built on this package runs as a child process, receives
 * SIGTERM by PID, and must shut down gracefully with the right exit code and log lines.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForChild } from './build-for-child.js';
import type { ChildBuild } from './build-for-child.js';

// A complete binary: flags, component, a shutdown hook; prints READY <url> once serving.
const BINARY = `
const cb = await import(process.env.KUBETS_CB_ENTRY);
await cb.runCommand({
  name: 'kubets-demo',
  version: '0.1.0',
  flags: {
    ...cb.loggingFlags,
    ...cb.healthServerFlags('127.0.0.1:0'),
    ...cb.shutdownFlags,
    'hang-on-shutdown': cb.boolFlag({ help: 'Register a shutdown hook that never finishes.' }),
  },
  run: async ({ values }) => {
    const component = await cb.createComponent({
      name: 'kubets-demo',
      version: '0.1.0',
      ...cb.componentOptionsFromFlags(values),
      tracing: false,
    });
    component.onShutdown('flush', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      component.logger.info('Flushed');
    });
    if (values['hang-on-shutdown']) component.onShutdown('stuck', () => new Promise(() => {}));
    process.stdout.write('READY ' + component.server.url + '\\n');
  },
});
`;

interface Child {
  pid: number;
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: () => string;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

let build: ChildBuild;
let script: string;
const started: Child[] = [];

beforeAll(async () => {
  build = await buildForChild();
  script = join(build.dir, 'kubets-demo.mjs');
  await writeFile(script, BINARY);
});

afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  await Promise.all(started.map((c) => c.exited));
  await build.remove();
});

function run(args: string[]): Child {
  const proc = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, KUBETS_CB_ENTRY: build.entry },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  const url = new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', (chunk: string) => {
      out += chunk;
      const match = /READY (\S+)\n/.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    proc.once('exit', () => reject(new Error(`exited before ready; stderr:\n${err}`)));
  });
  url.catch(() => undefined); // tests that expect an early exit never await it
  proc.stderr.on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const child: Child = {
    pid: proc.pid ?? -1,
    url,
    exited,
    stdout: () => out,
    stderr: () => err,
    kill: (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid ?? -1, signal);
    },
  };
  started.push(child);
  return child;
}

function logLines(child: Child): Record<string, unknown>[] {
  return child
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('a real component process', () => {
  it('shuts down cleanly on SIGTERM with exit code 0', async () => {
    const child = run(['--v=2']);
    const url = await child.url;
    expect(await status(`${url}/readyz`)).toBe(200);
    child.kill('SIGTERM');
    const { code } = await child.exited;
    expect(code, child.stderr()).toBe(0);
    const messages = logLines(child).map((l) => l.msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        'Starting component',
        'Serving health and metrics',
        'Graceful shutdown started',
        'Flushed',
        'Graceful shutdown finished',
      ]),
    );
    expect(logLines(child).find((l) => l.msg === 'Graceful shutdown started')?.reason).toBe(
      'received SIGTERM',
    );
  });

  it('exits 1 naming the hung hook when the grace period runs out', async () => {
    const child = run(['--hang-on-shutdown', '--shutdown-grace-period=300ms']);
    await child.url;
    child.kill('SIGTERM');
    const { code } = await child.exited;
    expect(code, child.stderr()).toBe(1);
    expect(
      logLines(child).find((l) => l.msg === 'Graceful shutdown deadline exceeded'),
    ).toMatchObject({ hook: 'stuck', notRun: ['flush', 'tracing', 'health-server'] });
  });

  it('exits 1 at once on a second signal', async () => {
    const child = run(['--hang-on-shutdown', '--shutdown-grace-period=1m']);
    await child.url;
    child.kill('SIGTERM');
    // Wait until the first signal is being handled before sending the second.
    await waitFor(() => child.stderr().includes('Graceful shutdown started'), 5000);
    child.kill('SIGINT');
    const { code } = await child.exited;
    expect(code, child.stderr()).toBe(1);
    expect(
      logLines(child).some((l) => l.msg === 'Received second signal, exiting immediately'),
    ).toBe(true);
  });

  it('exits 2 with the flag named on a bad command line', async () => {
    const child = run(['--shutdown-grace-period=soon']);
    const { code } = await child.exited;
    expect(code).toBe(2);
    expect(child.stderr()).toBe(
      'error: invalid argument "soon" for "--shutdown-grace-period" flag: invalid duration "soon"\n' +
        "See 'kubets-demo --help' for usage.\n",
    );
  });

  it('prints usage with exit 0 on --help', async () => {
    const child = run(['--help']);
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(child.stdout()).toContain('Usage:\n  kubets-demo [flags]');
    expect(child.stdout()).toContain('--shutdown-grace-period duration');
  });
});
