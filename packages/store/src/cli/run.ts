import { mkdirSync, readFileSync } from 'node:fs';
import {
  createComponent,
  samplesRootSpans,
  type Component,
  type ComponentOptions,
} from '@kubets/component-base';
import { GrpcServer, type GrpcServerTls } from '@kubets/component-base/grpc-server';
import { EtcdServer } from '../server/etcd-server.js';
import { addEtcdServices } from '../server/grpc-services.js';
import { bindGrpc, grpcServerOptions } from '../server/listen.js';
import { peerFaultsFromEnv } from '../server/peer-faults.js';
import { listenPeer, peerStreamHandler, type PeerListener } from '../server/peer-service.js';
import { Http2PeerTransport, fetchClusterMembers } from '../server/peer-transport.js';
import type { PeerTls } from '../server/peer-wire.js';
import { StoreMetrics } from '../server/metrics.js';
import { StoreTracing, TRACER_NAME } from '../server/tracing.js';
import { NodeFs } from '../storage/fs.js';
import type { StoreConfig, TlsFiles } from './config.js';

export interface RunningStore {
  readonly component: Component;
  readonly etcd: EtcdServer;
  /** Bound client ports, in --listen-client-urls order. */
  readonly clientPorts: number[];
}

/** The client port's TLS (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth). */
export function serverTls(tls: TlsFiles | undefined): GrpcServerTls | undefined {
  if (tls === undefined) return undefined;
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
    }
  };
  return {
    cert: read(tls.certFile, 'cert file'),
    key: read(tls.keyFile, 'key file'),
    ...(tls.trustedCaFile ? { ca: read(tls.trustedCaFile, 'trusted CA file') } : {}),
    clientCertAuth: tls.clientCertAuth,
  };
}

/** The peer port's TLS material (server and client side alike), read from the --peer-* files. */
export function peerTls(tls: TlsFiles | undefined): PeerTls | undefined {
  if (tls === undefined) return undefined;
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
    }
  };
  return {
    ca: tls.trustedCaFile ? read(tls.trustedCaFile, 'peer trusted CA file') : undefined,
    cert: read(tls.certFile, 'peer cert file'),
    key: read(tls.keyFile, 'peer key file'),
    clientCertAuth: tls.clientCertAuth,
  };
}

/**
 * Starts a kubets-store member: component plumbing (logging, metrics server, signals), the
 * member itself (recovering or creating its data dir), and the etcd v3 gRPC API on every
 * --listen-client-urls. Resolves once clients can connect.
 */
export async function runStore(
  config: StoreConfig,
  component: Pick<ComponentOptions, 'logging' | 'logger' | 'shutdown' | 'defaultMetrics'> & {
    version: string;
  },
): Promise<RunningStore> {
  const comp = await createComponent({
    name: 'kubets-store',
    version: component.version,
    logging: component.logging,
    ...(component.logger ? { logger: component.logger } : {}),
    ...(component.defaultMetrics !== undefined ? { defaultMetrics: component.defaultMetrics } : {}),
    shutdown: component.shutdown,
    health: config.metricsAddress ?? false,
    // Without the flags, the OTEL_* variables alone may still turn tracing on.
    ...(config.tracing ? { tracing: { settings: config.tracing } } : {}),
  });
  const tracing = comp.tracing.enabled
    ? new StoreTracing(
        comp.tracing.getTracer(TRACER_NAME, component.version),
        samplesRootSpans(comp.tracing.config.sampler),
      )
    : undefined;
  const logger = comp.logger;
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`cannot create --data-dir ${config.dataDir}: ${(err as Error).message}`);
  }
  const metrics = new StoreMetrics(comp.metrics);
  const clientTls = serverTls(config.clientTls);
  const peerTlsFiles = peerTls(config.peerTls);
  // TEST ONLY (fault tests): an injected partition, when the environment asks for one.
  let nameOf = (_id: number): string | undefined => undefined;
  const faults = peerFaultsFromEnv(
    process.env,
    (id) => nameOf(id),
    (blocked) =>
      logger.warn('TEST ONLY: injected peer partition changed', {
        blocked: [...blocked].join(','),
      }),
  );
  const etcd = await EtcdServer.start({
    name: config.name,
    fs: new NodeFs(config.dataDir),
    initialCluster: config.initialCluster,
    initialClusterState: config.initialClusterState,
    initialClusterToken: config.initialClusterToken,
    clientURLs: config.advertiseClientUrls,
    heartbeatMs: config.heartbeatMs,
    electionMs: config.electionMs,
    snapshotCount: config.snapshotCount,
    persistedNotices: config.persistedNotices,
    catchUpEntries: config.catchUpEntries,
    quotaBytes: config.quotaBytes,
    maxTxnOps: config.maxTxnOps,
    maxRequestBytes: config.maxRequestBytes,
    autoCompaction: config.autoCompaction,
    watchProgressNotifyMs: config.watchProgressNotifyMs,
    logger: logger.named('etcdserver'),
    metrics,
    ...(tracing ? { tracing } : {}),
    transport: (server) => {
      nameOf = (id) => server.sm.membership.get(id)?.name;
      return new Http2PeerTransport({
        memberId: server.memberId,
        clusterId: () => server.clusterId,
        logger: logger.named('rafthttp'),
        metrics,
        ...(peerTlsFiles !== undefined ? { tls: peerTlsFiles } : {}),
        snapshotData: (index) => server.snapshotState(index),
        reportUnreachable: (id) => server.raft.reportUnreachable(id),
        reportSnapshot: (id, ok) => server.raft.reportSnapshot(id, ok),
        faults,
      });
    },
    fetchCluster: (urls) => fetchClusterMembers(urls, peerTlsFiles),
    onFatal: (err) => {
      logger.error(err, 'Stopping: the member cannot continue');
      logger.flush();
      process.exit(1);
    },
  });
  comp.health.addReadyz('etcd-leader', () => {
    if (etcd.leader === 0) throw new Error('no leader');
  });

  let peerListener: PeerListener;
  try {
    peerListener = await listenPeer(
      config.listenPeerUrls,
      peerTlsFiles,
      peerStreamHandler({ etcd, logger: logger.named('rafthttp'), metrics, faults }),
    );
  } catch (err) {
    await etcd.stop();
    throw new Error(
      `cannot listen on --listen-peer-urls ${config.listenPeerUrls.map((u) => `${u.scheme}://${u.host}:${u.port}`).join(',')}: ${(err as Error).message}`,
    );
  }

  const grpcLogger = logger.named('grpc');
  const server = new GrpcServer(
    grpcServerOptions(
      config.maxRequestBytes,
      (err, context) => {
        // A handler that threw is a bug; a client's broken connection is not ours to report.
        if (context.startsWith('handler'))
          grpcLogger.error(err, 'gRPC handler failed', { context });
        else grpcLogger.v(2).info('gRPC connection error', { context, error: String(err) });
      },
      config.grpcTransport,
      { intervalMs: config.keepaliveIntervalMs, timeoutMs: config.keepaliveTimeoutMs },
    ),
  );
  addEtcdServices(server, {
    etcd,
    logger: grpcLogger,
    metrics,
    ...(tracing ? { tracing } : {}),
  });
  let clientPorts: number[];
  try {
    clientPorts = await bindGrpc(server, config.listenClientUrls, () => clientTls);
  } catch (err) {
    await etcd.stop();
    throw new Error(
      `cannot listen on --listen-client-urls ${config.listenClientUrls.map((u) => `${u.scheme}://${u.host}:${u.port}`).join(',')}: ${(err as Error).message}`,
    );
  }
  for (const [i, u] of config.listenClientUrls.entries()) {
    logger.info(
      config.clientTls
        ? 'serving client traffic securely'
        : 'serving client traffic insecurely; this is strongly discouraged!',
      {
        address: `${u.host}:${clientPorts[i]}`,
      },
    );
  }

  comp.onShutdown('etcd-server', async () => {
    // GOAWAY, give in-flight RPCs a moment, then cut the rest (watch streams never end by
    // themselves).
    await server.shutdown(2000);
    await etcd.stop();
    faults.stop();
    await peerListener.close();
    logger.info('kubets-store stopped', { name: config.name });
  });
  logger.info('ready to serve client requests', {
    name: config.name,
    memberId: etcd.memberId.toString(16),
  });
  return { component: comp, etcd, clientPorts };
}

/** The package version, from package.json (dist/cli and src/cli are both two levels down). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
