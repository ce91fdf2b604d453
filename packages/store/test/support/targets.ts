import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '@kubets/component-base';
import { GrpcServer } from '@kubets/component-base/grpc-server';
import { EtcdServer } from '../../src/server/etcd-server.js';
import { addEtcdServices } from '../../src/server/grpc-services.js';
import { bindGrpc, grpcServerOptions } from '../../src/server/listen.js';
import { NodeFs } from '../../src/storage/fs.js';
import { freePort } from './ports.js';

/** A running etcd-API server for a compatibility test. */
export interface Target {
  readonly kind: 'kubets-store' | 'etcd';
  /** host:port of the client API (the first member's, for a cluster). */
  readonly endpoint: string;
  /** host:port of every member's client API. */
  readonly endpoints: readonly string[];
  readonly dataDir: string;
  /** Stops the server (SIGTERM for a process) and removes the data dir unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export const ETCD_BIN = '/usr/bin/etcd';
export const ETCDCTL_BIN = '/usr/bin/etcdctl';

export function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out !== '' ? out : undefined;
}

/** Why a real-tool test must skip, or undefined when the tool is installed. */
export function missingTool(bin: string, pkg: string): string | undefined {
  if (which(bin) !== undefined) return undefined;
  const reason = `${bin} not installed (Debian package ${pkg}); skipping the tests that need it`;
  console.warn(reason);
  return reason;
}

/** Waits until `check` resolves true (polling), or throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves true once a Maintenance.Status call succeeds and reports a leader. */
export async function hasLeader(
  endpoint: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<boolean> {
  const { loadGrpcObject } = await import('../../src/gen/etcd/load.js');
  const proto = loadGrpcObject().etcdserverpb;
  const client = new proto.Maintenance(endpoint, credentials);
  try {
    return await new Promise<boolean>((resolve) => {
      client.Status({}, { deadline: Date.now() + 1000 }, (err, res) =>
        resolve(!err && res !== undefined && res.leader !== '0'),
      );
    });
  } finally {
    client.close();
  }
}

/** kubets-store running inside the test process (the server and its gRPC API, real files). */
export async function startInProcessStore(
  opts: { dataDir?: string; quotaBytes?: number; heartbeatMs?: number; electionMs?: number } = {},
): Promise<Target & { etcd: EtcdServer }> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kubets-store-'));
  const logger = createLogger({
    component: 'kubets-store-test',
    verbosity: 0,
    destination: { write: () => true },
  });
  const etcd = await EtcdServer.start({
    name: 'default',
    fs: new NodeFs(dataDir),
    initialCluster: [{ name: 'default', peerURLs: ['http://127.0.0.1:2380'] }],
    initialClusterState: 'new',
    initialClusterToken: 'etcd-cluster',
    clientURLs: ['http://127.0.0.1:2379'],
    heartbeatMs: opts.heartbeatMs ?? 10,
    electionMs: opts.electionMs ?? 100,
    snapshotCount: 1000,
    quotaBytes: opts.quotaBytes ?? 1 << 30,
    logger,
  });
  const server = new GrpcServer(grpcServerOptions(1.5 * 1024 * 1024));
  addEtcdServices(server, { etcd, logger });
  const [port] = await bindGrpc(server, [{ scheme: 'http', host: '127.0.0.1', port: 0 }]);
  const endpoint = `127.0.0.1:${port}`;
  await waitFor('kubets-store leader', () => hasLeader(endpoint));
  return {
    kind: 'kubets-store',
    endpoint,
    endpoints: [endpoint],
    dataDir,
    etcd,
    async stop(stopOpts = {}) {
      server.forceShutdown();
      await etcd.stop();
      if (!stopOpts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ProcessTarget extends Target {
  readonly child: ChildProcess;
  /** Credentials clients need (TLS targets). */
  readonly credentials: grpc.ChannelCredentials;
  readonly logFile: string;
  /** SIGKILL: no shutdown at all. */
  kill(): Promise<void>;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

function spawnServer(
  kind: Target['kind'],
  command: string,
  args: string[],
  dataDir: string,
  endpoint: string,
  ownsDataDir: boolean,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  env?: NodeJS.ProcessEnv,
): ProcessTarget {
  const logFile = join(dataDir + '.log');
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', out, out],
    env: env === undefined ? process.env : { ...process.env, ...env },
  });
  const stop = async (opts: { keepData?: boolean } = {}): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
    if (!opts.keepData) {
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      rmSync(logFile, { force: true });
    }
  };
  return {
    kind,
    endpoint,
    endpoints: [endpoint],
    dataDir,
    child,
    credentials,
    logFile,
    stop,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    },
  };
}

export const STORE_BIN = new URL('../../dist/bin/kubets-store.js', import.meta.url).pathname;

/** Starts the kubets-store binary (dist) by PID on free 127.0.0.1 ports. */
export async function startStoreProcess(
  opts: {
    dataDir?: string;
    extraArgs?: string[];
    waitForLeader?: boolean;
    /** Serve clients over TLS; these files let the test's health check connect. */
    tls?: { ca: string; cert: string; key: string };
    /** Extra environment variables for the process. */
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<ProcessTarget> {
  if (!existsSync(STORE_BIN))
    throw new Error(
      `${STORE_BIN} is missing: build the package first (npx tsc -p tsconfig.build.json)`,
    );
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kubets-store-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `127.0.0.1:${client}`;
  const scheme = opts.tls ? 'https' : 'http';
  const credentials = opts.tls
    ? grpc.credentials.createSsl(
        readFileSync(opts.tls.ca),
        readFileSync(opts.tls.key),
        readFileSync(opts.tls.cert),
      )
    : grpc.credentials.createInsecure();
  const args = [
    STORE_BIN,
    '--name=default',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${scheme}://${endpoint}`,
    `--advertise-client-urls=${scheme}://${endpoint}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:2380`,
    `--initial-cluster=default=http://127.0.0.1:2380`,
    ...(opts.extraArgs ?? []),
  ];
  const t = spawnServer(
    'kubets-store',
    process.execPath,
    args,
    dataDir,
    endpoint,
    ownsDataDir,
    credentials,
    opts.env,
  );
  if (opts.waitForLeader ?? true) await waitForStart(t);
  return t;
}

/** Starts a real etcd (Debian's 3.4) on a temporary data dir and free 127.0.0.1 ports. */
export async function startEtcdProcess(
  opts: { extraArgs?: string[] } = {},
): Promise<ProcessTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'etcd-ref-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `127.0.0.1:${client}`;
  const args = [
    '--name=ep',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=http://${endpoint}`,
    `--advertise-client-urls=http://${endpoint}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=ep=http://127.0.0.1:${peer}`,
    ...(opts.extraArgs ?? []),
  ];
  const t = spawnServer('etcd', ETCD_BIN, args, dataDir, endpoint, true);
  await waitForStart(t);
  return t;
}

async function waitForStart(t: ProcessTarget): Promise<void> {
  try {
    await waitFor(`${t.kind} at ${t.endpoint}`, async () => {
      if (t.child.exitCode !== null) throw new Error('exited');
      return hasLeader(t.endpoint, t.credentials);
    });
  } catch (err) {
    const log = existsSync(t.logFile) ? readFileSync(t.logFile, 'utf8').slice(-3000) : '';
    await t.stop();
    throw new Error(`${t.kind} did not start: ${(err as Error).message}\n${log}`);
  }
}

/** One member of a kubets-store cluster of real processes. */
export interface StoreMemberProcess {
  readonly name: string;
  readonly endpoint: string;
  readonly dataDir: string;
  /** The running process, or undefined while the member is down. */
  readonly process: ProcessTarget | undefined;
  /** (Re)starts the binary on the member's data dir and ports; resolves once it is serving. */
  start(): Promise<void>;
  /** SIGKILL by PID: no shutdown at all; the data dir is kept. */
  kill(): Promise<void>;
  /** The member's peer URL. */
  readonly peerURL: string;
  /**
   * TEST ONLY fault injection (KUBETS_STORE_TEST_PARTITION_FILE): the members this one drops
   * all peer traffic with; an empty list heals.
   */
  partition(from: readonly string[]): void;
}

export interface StoreClusterTarget extends Target {
  readonly members: readonly StoreMemberProcess[];
  /** --initial-cluster of the founding members. */
  readonly initialCluster: string;
  /**
   * A new member (not started): its process joins with --initial-cluster-state=existing and
   * an --initial-cluster of every member so far plus itself. Add it with MemberAdd first.
   */
  addMember(name: string): Promise<StoreMemberProcess>;
}

/**
 * Starts `size` kubets-store processes forming one cluster (`--initial-cluster` with every
 * member on free 127.0.0.1 ports, each on its own temporary data dir). `stop` ends each by PID
 * and removes the data dirs.
 */
export async function startStoreCluster(
  size = 3,
  opts: {
    extraArgs?: string[];
    dataDirParent?: (name: string) => string;
    /** Peer traffic over TLS with these files (--peer-* flags, https peer URLs). */
    peerTls?: { ca: string; cert: string; key: string; clientCertAuth?: boolean };
  } = {},
): Promise<StoreClusterTarget> {
  const peerScheme = opts.peerTls ? 'https' : 'http';
  const peerTlsArgs = opts.peerTls
    ? [
        `--peer-trusted-ca-file=${opts.peerTls.ca}`,
        `--peer-cert-file=${opts.peerTls.cert}`,
        `--peer-key-file=${opts.peerTls.key}`,
        ...(opts.peerTls.clientCertAuth === true ? ['--peer-client-cert-auth'] : []),
      ]
    : [];
  if (!existsSync(STORE_BIN))
    throw new Error(
      `${STORE_BIN} is missing: build the package first (npx tsc -p tsconfig.build.json)`,
    );
  const specs: Array<{ name: string; client: number; peer: number; dataDir: string }> = [];
  for (let i = 1; i <= size; i++) {
    specs.push({
      name: `s${i}`,
      client: await freePort(),
      peer: await freePort(),
      dataDir: mkdtempSync(join(opts.dataDirParent?.(`s${i}`) ?? tmpdir(), `kubets-store-s${i}-`)),
    });
  }
  const initialCluster = specs
    .map((s) => `${s.name}=${peerScheme}://127.0.0.1:${s.peer}`)
    .join(',');
  type Spec = (typeof specs)[number];
  const makeMember = (
    s: Spec,
    clusterArg: string,
    extra: readonly string[],
  ): StoreMemberProcess & { process: ProcessTarget | undefined } => {
    const endpoint = `127.0.0.1:${s.client}`;
    const args = [
      STORE_BIN,
      `--name=${s.name}`,
      `--data-dir=${s.dataDir}`,
      `--listen-client-urls=http://${endpoint}`,
      `--advertise-client-urls=http://${endpoint}`,
      `--listen-peer-urls=${peerScheme}://127.0.0.1:${s.peer}`,
      `--initial-advertise-peer-urls=${peerScheme}://127.0.0.1:${s.peer}`,
      `--initial-cluster=${clusterArg}`,
      '--initial-cluster-token=kubets-test',
      ...peerTlsArgs,
      ...(opts.extraArgs ?? []),
      ...extra,
    ];
    const partitionFile = `${s.dataDir}.partition`;
    const m = {
      name: s.name,
      endpoint,
      dataDir: s.dataDir,
      peerURL: `${peerScheme}://127.0.0.1:${s.peer}`,
      process: undefined as ProcessTarget | undefined,
      async start() {
        if (m.process?.child.exitCode === null && m.process.child.signalCode === null) return;
        const p = spawnServer(
          'kubets-store',
          process.execPath,
          args,
          s.dataDir,
          endpoint,
          false,
          undefined,
          { KUBETS_STORE_TEST_PARTITION_FILE: partitionFile },
        );
        m.process = p;
        await waitForStart(p);
      },
      partition(from: readonly string[]) {
        writeFileSync(partitionFile, from.join('\n'));
      },
      async kill() {
        await m.process?.kill();
        m.process = undefined;
      },
    };
    return m;
  };
  const members = specs.map((s) => makeMember(s, initialCluster, []));
  const stopAll = async (keepData = false): Promise<void> => {
    await Promise.all(members.map((m) => m.process?.stop({ keepData: true }) ?? Promise.resolve()));
    for (const m of members) {
      m.process = undefined;
      if (!keepData) {
        rmSync(m.dataDir, { recursive: true, force: true });
        rmSync(m.dataDir + '.log', { force: true });
        rmSync(m.dataDir + '.partition', { force: true });
      }
    }
  };
  try {
    // A new cluster elects its first leader only once a quorum runs: start them together.
    await Promise.all(members.map((m) => m.start()));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    kind: 'kubets-store',
    endpoint: members[0]!.endpoint,
    endpoints: members.map((m) => m.endpoint),
    dataDir: members[0]!.dataDir,
    members,
    initialCluster,
    async addMember(name) {
      const spec: Spec = {
        name,
        client: await freePort(),
        peer: await freePort(),
        dataDir: mkdtempSync(join(tmpdir(), `kubets-store-${name}-`)),
      };
      const cluster = [...members, { name, peerURL: `${peerScheme}://127.0.0.1:${spec.peer}` }]
        .map((m) => `${m.name}=${m.peerURL}`)
        .join(',');
      const m = makeMember(spec, cluster, ['--initial-cluster-state=existing']);
      members.push(m);
      return m;
    },
    stop: (o = {}) => stopAll(o.keepData ?? false),
  };
}
