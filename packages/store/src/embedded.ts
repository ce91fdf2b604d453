import { mkdirSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { discardLogger, type Logger } from '@kubets/component-base';
import { DEFAULT_QUOTA_BYTES } from './apply/quota.js';
import type { CompactionPolicy } from './server/compactor.js';
import { EtcdServer } from './server/etcd-server.js';
import { addEtcdServices } from './server/grpc-services.js';
import { bindGrpc, grpcServerOptions } from './server/listen.js';
import type { StoreMetrics } from './server/metrics.js';
import { NodeFs } from './storage/fs.js';

export interface EmbeddedStoreOptions {
  /** Data directory (created if missing). */
  dataDir: string;
  /** Client address to listen on; default 127.0.0.1 with a free port. */
  host?: string;
  port?: number;
  /** Member name (default "default"). */
  name?: string;
  logger?: Logger;
  metrics?: StoreMetrics;
  quotaBytes?: number;
  snapshotCount?: number;
  autoCompaction?: CompactionPolicy;
}

export interface EmbeddedStore {
  readonly server: EtcdServer;
  /** host:port clients (etcd3, kube-apiserver's --etcd-servers) connect to. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * A single-member kubets-store inside the calling process, serving the etcd v3 API on a local
 * port: the local all-in-one cluster's store. Same engine, data dir format and API as the
 * `kubets-store` binary; no peer transport.
 */
export async function startEmbeddedStore(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const host = opts.host ?? '127.0.0.1';
  const name = opts.name ?? 'default';
  const logger = opts.logger ?? discardLogger('kubets-store');
  const server = await EtcdServer.start({
    name,
    fs: new NodeFs(opts.dataDir),
    // The peer URL only feeds the member ID; an embedded member never listens on it.
    initialCluster: [{ name, peerURLs: ['http://127.0.0.1:2380'] }],
    initialClusterState: 'new',
    initialClusterToken: 'etcd-cluster',
    clientURLs: [`http://${host}:${opts.port ?? 2379}`],
    heartbeatMs: 100,
    electionMs: 1000,
    snapshotCount: opts.snapshotCount ?? 100_000,
    quotaBytes: opts.quotaBytes ?? DEFAULT_QUOTA_BYTES,
    autoCompaction: opts.autoCompaction,
    logger,
    metrics: opts.metrics,
  });
  const grpcServer = new grpc.Server(grpcServerOptions(1.5 * 1024 * 1024));
  addEtcdServices(grpcServer, { etcd: server, logger, metrics: opts.metrics });
  let port: number;
  try {
    [port] = (await bindGrpc(grpcServer, [{ scheme: 'http', host, port: opts.port ?? 0 }])) as [
      number,
    ];
  } catch (err) {
    await server.stop();
    throw err;
  }
  // Wait for the member to lead (a single member elects itself at once).
  const deadline = Date.now() + 10_000;
  while (server.leader === 0) {
    if (Date.now() > deadline) {
      grpcServer.forceShutdown();
      await server.stop();
      throw new Error('embedded kubets-store did not elect itself leader');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    server,
    endpoint: `${host}:${port}`,
    async stop() {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          grpcServer.forceShutdown();
          resolve();
        }, 1000);
        grpcServer.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      await server.stop();
    },
  };
}
