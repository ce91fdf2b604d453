/**
 * The benchmark's watch load generators behind one interface: `watch-client.ts` (Node, forked
 * with IPC) or the native `watch-client.c` (compiled here with `cc -O2`, run as a child talking
 * over stdin/stdout lines). A load generator must cost far less than the server it measures;
 * on a 2-core machine the Node client needs about one core for 500,000 deliveries a second.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** What a watch client process reports (the same shape from both kinds). */
export interface WatchReport {
  /** User and system CPU µs of the client process so far. */
  cpu: { user: number; system: number };
  received: number;
  errors: number;
  /** Body bytes read (the native client counts the chunk framing too) and body reads. */
  bytes?: number;
  reads?: number;
  /** 0.1 ms latency buckets and their counts. */
  buckets: [number, number][];
  /** Per update: its sent-at (epoch ms), first and last time a watcher there received it. */
  firstLast: [number, number, number][];
}

export interface WatchClient {
  readonly pid: number | undefined;
  report(): Promise<WatchReport>;
  /** Closes every watch and waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * Compiles the native client; returns its path, or why it cannot (no `cc`, compile error).
 */
export function compileNativeWatchClient(
  source: string,
  binary: string,
): { binary: string } | { reason: string } {
  const probe = spawnSync('cc', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { reason: 'no C compiler (cc) on PATH' };
  mkdirSync(dirname(binary), { recursive: true });
  const r = spawnSync('cc', ['-O2', '-std=c99', '-Wall', '-o', binary, source], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0) {
    return { reason: `cc failed: ${(r.stderr || String(r.error)).slice(0, 500)}` };
  }
  return { binary };
}

/** Lines of a child's stdout, one callback each. */
function onLines(child: ChildProcess, each: (line: string) => void): void {
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => {
    pending += s;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      each(line);
    }
  });
}

const exited = (c: ChildProcess): Promise<void> =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => c.once('exit', () => r()));

/**
 * Starts the native client with `count` watches of `url` + `path` (url: http://127.0.0.1:port);
 * resolves once every watch has its response headers.
 */
export async function startNativeWatchClient(
  binary: string,
  url: string,
  path: string,
  count: number,
  /** `batch`: the client runs as SCHED_BATCH (see watch-client.c). */
  sched: 'normal' | 'batch' = 'normal',
  /** What the watches ask for: JSON lines or Kubernetes protobuf frames. */
  encoding: 'json' | 'protobuf' = 'json',
): Promise<WatchClient> {
  const u = new URL(url);
  const child = spawn(binary, [u.hostname, u.port, path, String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, WATCH_CLIENT_SCHED: sched, WATCH_CLIENT_ENCODING: encoding },
  });
  const waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  const gone = (): void => {
    for (const w of waiting.splice(0)) w.reject(new Error(`native watch client exited`));
  };
  child.once('exit', gone);
  child.once('error', gone);
  onLines(child, (line) => waiting.shift()?.resolve(line));
  const next = (): Promise<string> =>
    child.exitCode !== null
      ? Promise.reject(new Error('native watch client exited'))
      : new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  // EPIPE after the child exits is reported through `gone`.
  child.stdin.on('error', () => undefined);
  const ready = await next();
  if (ready !== 'ready') throw new Error(`native watch client said ${ready.slice(0, 200)}`);
  return {
    pid: child.pid,
    report: async () => {
      const line = next();
      child.stdin.write('report\n');
      return JSON.parse(await line) as WatchReport;
    },
    stop: async () => {
      child.stdin.end('stop\n');
      await exited(child);
    },
  };
}

/** Starts the Node client (`watch-client.js`, forked); `execArgv` e.g. for --cpu-prof. */
export async function startNodeWatchClient(
  script: string,
  url: string,
  path: string,
  count: number,
  encoding: 'json' | 'protobuf' = 'json',
  execArgv: string[] = [],
): Promise<WatchClient> {
  const child = fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const message = <T>(type: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: { type: string }): void => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as T);
      };
      const onExit = (code: number | null): void =>
        reject(new Error(`watch client exited with ${code}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = message('ready');
  child.send({ type: 'open', url, path, count, encoding });
  await ready;
  return {
    pid: child.pid,
    report: () => {
      const r = message<WatchReport>('report');
      child.send({ type: 'report' });
      return r;
    },
    stop: async () => {
      child.send({ type: 'stop' });
      await exited(child);
    },
  };
}
