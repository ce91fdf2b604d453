/**
 * A real kubets-apiserver as a child process (the built binary of @kubets/apiserver, found by
 * path: the client may not import a layer-3 package, even in tests), on fixed 127.0.0.1 ports so
 * it can be killed and started again where clients expect it, and a TCP proxy in front of a port
 * that can cut every connection (a network partition) and heal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export const APISERVER_BIN = fileURLToPath(
  new URL('../../../apiserver/bin/kubets-apiserver.js', import.meta.url),
);
const APISERVER_BUILT = fileURLToPath(
  new URL('../../../apiserver/dist/bin/kubets-apiserver.js', import.meta.url),
);

/** Why API server tests are skipped, or undefined when the binary is built. */
export function apiserverMissingReason(): string | undefined {
  return existsSync(APISERVER_BUILT)
    ? undefined
    : `kubets-apiserver is not built (${APISERVER_BUILT}); run npx turbo run build`;
}

export interface ApiServerProcess {
  readonly pid: number;
  securePort: number;
  grpcPort: number;
  /** Kills the process (SIGKILL: a crash, no graceful drain). */
  kill(): Promise<void>;
  /** Starts it again with the same flags and ports. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

export interface ApiServerOptions {
  etcdEndpoint: string;
  securePort: number;
  grpcPort: number;
  /** Serving certificate and key; without them the server speaks plaintext (HTTP and gRPC). */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** PEM CA to check readiness over HTTPS. */
  ca?: Buffer;
  extraArgs?: string[];
}

async function readyz(port: number, ca: Buffer | undefined): Promise<boolean> {
  if (!ca) {
    try {
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/readyz', ca, servername: 'kubernetes', timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export async function startApiServerProcess(options: ApiServerOptions): Promise<ApiServerProcess> {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';
  const args = [
    APISERVER_BIN,
    `--etcd-servers=${options.etcdEndpoint}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${options.securePort}`,
    `--grpc-port=${options.grpcPort}`,
    ...(options.tlsCertFile && options.tlsKeyFile
      ? [`--tls-cert-file=${options.tlsCertFile}`, `--tls-private-key-file=${options.tlsKeyFile}`]
      : []),
    '--etcd-compaction-interval=0',
    ...(options.extraArgs ?? []),
  ];
  const alive = (c: ChildProcess | undefined): c is ChildProcess =>
    !!c && c.exitCode === null && c.signalCode === null && c.pid !== undefined;
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!alive(c)) return;
    process.kill(c.pid!, sig);
    const timer = setTimeout(() => {
      if (alive(c)) process.kill(c.pid!, 'SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  const start = async (): Promise<void> => {
    stderr = '';
    // Node flags for the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p` to profile it).
    const nodeFlags = (process.env.KUBETS_APISERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const c = spawn(process.execPath, [...nodeFlags, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = c;
    c.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) {
        throw new Error(`kubets-apiserver exited (${c.exitCode ?? c.signalCode}): ${stderr}`);
      }
      if (await readyz(options.securePort, options.ca)) return;
      if (Date.now() > deadline) {
        await signal('SIGKILL');
        throw new Error(`kubets-apiserver not ready within 30s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await start();
  return {
    get pid() {
      return child?.pid ?? 0;
    },
    securePort: options.securePort,
    grpcPort: options.grpcPort,
    kill: () => signal('SIGKILL'),
    start,
    stop: () => signal('SIGTERM'),
  };
}

export interface CuttableProxy {
  port: number;
  /** Destroys every connection and refuses new ones until {@link heal}. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

/** A TCP proxy from a free 127.0.0.1 port to `127.0.0.1:targetPort`. */
export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  const server: Server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    cut: () => {
      isCut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    heal: () => {
      isCut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
