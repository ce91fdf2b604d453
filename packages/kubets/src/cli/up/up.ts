/**
 * `kubets up`: a working local cluster on embedded defaults. Creates the PKI on first run (kept
 * for later runs), starts the store and the API server as child processes on loopback, waits
 * until the API server is ready, prints how to reach it, and stops both (by PID, API server
 * first) on SIGINT/SIGTERM. A component that dies takes the cluster down with exit code 1.
 * With --embedded, both run inside this process instead (see runEmbedded).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { boolFlag, durationFlag, intFlag, parseFlags, stringFlag } from '@kubets/component-base';
import { leafCommand, runCli, type CliContext } from '../command.js';
import { pkiCommand } from '../pki/index.js';
import { withGrpcServer } from '../../pki/kubeconfig.js';
import {
  adminKubeconfig,
  apiserverUrl,
  grpcServer,
  storeClientUrl,
  pkiDir,
  planLaunches,
  type ComponentLaunch,
  type LocalClusterLayout,
} from './components.js';

const flags = {
  'data-dir': stringFlag({
    default: '.kubets',
    help: 'Directory for the cluster state: pki/, store/, logs/ and admin.conf. Reused by later runs.',
  }),
  'apiserver-port': intFlag({
    default: 6443,
    min: 1,
    max: 65535,
    help: 'HTTPS port of the API server on 127.0.0.1.',
  }),
  'grpc-port': intFlag({
    default: 6444,
    min: 1,
    max: 65535,
    help: 'gRPC resource API port of the API server on 127.0.0.1 (advertised in admin.conf).',
  }),
  'store-client-port': intFlag({
    default: 2379,
    min: 1,
    max: 65535,
    help: 'etcd v3 client port of the store on 127.0.0.1.',
  }),
  'store-peer-port': intFlag({
    default: 2380,
    min: 1,
    max: 65535,
    help: 'Raft peer port of the store on 127.0.0.1.',
  }),
  embedded: boolFlag({
    default: false,
    help: 'Run the store and the API server inside this process (one process, logs on stderr) instead of as child processes.',
  }),
  'ready-timeout': durationFlag({
    default: 60_000,
    min: 1000,
    help: 'How long to wait for the API server to become ready.',
  }),
};

interface Running {
  launch: ComponentLaunch;
  child: ChildProcess;
  exited: Promise<number | null>;
}

function start(launch: ComponentLaunch): Running {
  mkdirSync(join(launch.logFile, '..'), { recursive: true });
  const log = openSync(launch.logFile, 'a');
  const child = spawn(process.execPath, [launch.script, ...launch.args], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { launch, child, exited };
}

async function stop(running: Running, graceMs: number): Promise<void> {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && child.kill('SIGKILL'), graceMs);
  await running.exited;
  clearTimeout(timer);
}

function logTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** One GET of /readyz, trusting only the cluster CA; resolves to the HTTP status. */
function probeReady(layout: LocalClusterLayout, ca: string): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(
      { host: '127.0.0.1', port: layout.apiserverPort, path: '/readyz', ca, timeout: 2000 },
      (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitReady(
  layout: LocalClusterLayout,
  ca: string,
  timeoutMs: number,
  dead: () => Running | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const crashed = dead();
    if (crashed) {
      throw new Error(
        `${crashed.launch.name} exited with code ${crashed.child.exitCode ?? crashed.child.signalCode} during start; last lines of ${crashed.launch.logFile}:\n${logTail(crashed.launch.logFile)}`,
      );
    }
    try {
      if ((await probeReady(layout, ca)) === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `the API server was not ready within ${timeoutMs} ms; see ${layout.dataDir}/logs/`,
  );
}

/** admin.conf tells @kubets/client where the gRPC API listens (the port may change per run). */
function advertiseGrpcServer(kubeconfigPath: string, server: string): void {
  const text = readFileSync(kubeconfigPath, 'utf8');
  const updated = withGrpcServer(text, server, kubeconfigPath);
  if (updated !== text) writeFileSync(kubeconfigPath, updated, { mode: 0o600 });
}

async function ensurePki(layout: LocalClusterLayout, context: CliContext): Promise<void> {
  if (existsSync(join(pkiDir(layout), 'ca.crt'))) return;
  const code = await runCli(
    pkiCommand,
    [
      'init',
      `--dir=${pkiDir(layout)}`,
      `--kubeconfig-dir=${layout.dataDir}`,
      `--server=${apiserverUrl(layout)}`,
    ],
    context,
    '0',
  );
  if (code !== 0)
    throw new Error(`creating the cluster PKI in ${pkiDir(layout)} failed (exit code ${code})`);
}

export const upCommand = leafCommand({
  name: 'up',
  summary: 'Start a local single-machine cluster (store + API server) on embedded defaults',
  description:
    'Start a local cluster on this machine with no configuration: the PKI (first run only), a\n' +
    'kubets-store member and kubets-apiserver serving HTTPS on 127.0.0.1. Prints the kubeconfig to\n' +
    'use with kubectl. Runs in the foreground; Ctrl-C stops the cluster and keeps its state.',
  flags,
  async run(parsed, context) {
    const layout: LocalClusterLayout = {
      dataDir: resolve(parsed.values['data-dir']),
      apiserverPort: parsed.values['apiserver-port'],
      grpcPort: parsed.values['grpc-port'],
      storeClientPort: parsed.values['store-client-port'],
      storePeerPort: parsed.values['store-peer-port'],
    };
    mkdirSync(layout.dataDir, { recursive: true });
    await ensurePki(layout, context);
    advertiseGrpcServer(adminKubeconfig(layout), grpcServer(layout));
    const ca = readFileSync(join(pkiDir(layout), 'ca.crt'), 'utf8');
    if (parsed.values.embedded) {
      await runEmbedded(layout, ca, parsed.values['ready-timeout'], context);
      return;
    }

    const running: Running[] = [];
    const stopAll = async (): Promise<void> => {
      for (const r of [...running].reverse()) await stop(r, 10_000);
    };
    const firstDead = (): Running | undefined =>
      running.find((r) => r.child.exitCode !== null || r.child.signalCode !== null);

    const { signal, dispose } = waitForSignal();
    try {
      for (const launch of planLaunches(layout)) running.push(start(launch));
      await Promise.race([
        waitReady(layout, ca, parsed.values['ready-timeout'], firstDead),
        signal.then((s) => Promise.reject(new Error(`interrupted by ${s} during start`))),
      ]);
      const kubeconfig = adminKubeconfig(layout);
      context.stdout.write(
        [
          'kubets: local cluster is up',
          `  API server   ${apiserverUrl(layout)}   (log ${running[1]!.launch.logFile})`,
          `  gRPC API     ${grpcServer(layout)}`,
          `  store        ${storeClientUrl(layout)}   (log ${running[0]!.launch.logFile})`,
          `  kubeconfig   ${kubeconfig}`,
          '',
          `Try: kubectl --kubeconfig=${kubeconfig} get namespaces`,
          'Ctrl-C stops the cluster; its state stays in the data directory.',
          '',
        ].join('\n'),
      );
      const exitedFirst = Promise.race(running.map((r) => r.exited.then(() => r)));
      const outcome = await Promise.race([signal, exitedFirst]);
      if (typeof outcome !== 'string') {
        throw new Error(
          `${outcome.launch.name} exited unexpectedly (code ${outcome.child.exitCode ?? outcome.child.signalCode}); last lines of ${outcome.launch.logFile}:\n${logTail(outcome.launch.logFile)}`,
        );
      }
      context.stdout.write(`kubets: ${outcome} received, stopping the cluster\n`);
    } finally {
      dispose();
      await stopAll();
    }
  },
});

function waitForSignal(): { signal: Promise<string>; dispose: () => void } {
  let signalled: (signal: string) => void = () => undefined;
  const signal = new Promise<string>((done) => (signalled = done));
  const onSignal = (name: NodeJS.Signals): void => signalled(name);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * `kubets up --embedded`: the same store and API server, with the same command lines as the
 * child processes get, started inside this process. The store is a single member serving its
 * etcd v3 API over mutual TLS on 127.0.0.1; the API server talks to it through its etcd client.
 * On SIGINT/SIGTERM the API server stops first, then the store (which syncs its WAL).
 */
async function runEmbedded(
  layout: LocalClusterLayout,
  ca: string,
  readyTimeoutMs: number,
  context: CliContext,
): Promise<void> {
  // Loaded only here: every other kubets command starts without the API server and the store.
  const { apiServerFlags, runApiServerComponent } = await import('@kubets/apiserver');
  const { startEmbeddedStore } = await import('@kubets/store');
  const [, apiserverLaunch] = planLaunches(layout, () => '(in-process)');
  const apiserverArgs = parseFlags(apiServerFlags, apiserverLaunch!.args);
  if (apiserverArgs.kind !== 'ok') throw new Error('kubets up: bad embedded API server flags');
  const pki = pkiDir(layout);
  const { signal, dispose } = waitForSignal();
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const store = await startEmbeddedStore({
      name: 'local',
      dataDir: join(layout.dataDir, 'store'),
      port: layout.storeClientPort,
      peerPort: layout.storePeerPort,
      tls: {
        certFile: join(pki, 'etcd', 'server.crt'),
        keyFile: join(pki, 'etcd', 'server.key'),
        trustedCaFile: join(pki, 'etcd', 'ca.crt'),
        clientCertAuth: true,
      },
    });
    stops.push(() => store.close());
    const apiserver = await runApiServerComponent(apiserverArgs.values, {
      // This process owns the signals; component.stop() runs the shutdown hooks.
      shutdown: { signalSource: false, exit: () => undefined },
    });
    stops.push(() => apiserver.component.stop('kubets up stopping'));
    await Promise.race([
      waitReady(layout, ca, readyTimeoutMs, () => undefined),
      signal.then((s) => Promise.reject(new Error(`interrupted by ${s} during start`))),
    ]);
    const kubeconfig = adminKubeconfig(layout);
    context.stdout.write(
      [
        `kubets: local cluster is up (embedded, pid ${process.pid})`,
        `  API server   ${apiserverUrl(layout)}`,
        `  gRPC API     ${grpcServer(layout)}`,
        `  store        ${storeClientUrl(layout)}`,
        `  kubeconfig   ${kubeconfig}`,
        '',
        `Try: kubectl --kubeconfig=${kubeconfig} get namespaces`,
        'Ctrl-C stops the cluster; its state stays in the data directory.',
        '',
      ].join('\n'),
    );
    context.stdout.write(`kubets: ${await signal} received, stopping the cluster\n`);
  } finally {
    dispose();
    for (const stopOne of stops.reverse()) await stopOne();
  }
}
