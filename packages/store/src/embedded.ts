import { parseFlags, type Logger, type LoggerOptions } from '@kubets/component-base';
import { buildConfig } from './cli/config.js';
import { storeFlags } from './cli/flags.js';
import { packageVersion, runStore } from './cli/run.js';
import type { EtcdServer } from './server/etcd-server.js';

export interface EmbeddedStoreOptions {
  /** Data directory (created if missing); same format as the binary's --data-dir. */
  dataDir: string;
  /** Client address to listen on; default 127.0.0.1 with a free port (0). */
  host?: string;
  port?: number;
  /** Peer port written into the member's identity (nothing connects to it); default 2380. */
  peerPort?: number;
  /** Member name (default "default"). */
  name?: string;
  /** Serve clients over TLS (the binary's --cert-file, --key-file, --trusted-ca-file, --client-cert-auth). */
  tls?: { certFile: string; keyFile: string; trustedCaFile?: string; clientCertAuth?: boolean };
  /** Log through this logger; otherwise a logger from `logging` (default: klog text on stderr). */
  logger?: Logger;
  logging?: Omit<LoggerOptions, 'component'>;
  quotaBytes?: number;
  snapshotCount?: number;
  /** Any further kubets-store flags, e.g. `--auto-compaction-retention=1h`. */
  extraArgs?: readonly string[];
}

export interface EmbeddedStore {
  readonly server: EtcdServer;
  /** host:port clients (etcd3, kube-apiserver's --etcd-servers) connect to. */
  readonly endpoint: string;
  /** Stops serving, syncs the WAL and closes the data dir (the binary's SIGTERM path). */
  close(): Promise<void>;
  /** Same as close(). */
  stop(): Promise<void>;
}

/** The `kubets-store` command line that an embedded member is started with. */
export function embeddedStoreArgs(opts: EmbeddedStoreOptions): string[] {
  const host = opts.host ?? '127.0.0.1';
  const name = opts.name ?? 'default';
  const scheme = opts.tls ? 'https' : 'http';
  const clientUrl = `${scheme}://${host}:${opts.port ?? 0}`;
  // One member: no peer traffic; the peer URL only feeds the member ID (keep it stable).
  const peerUrl = `http://127.0.0.1:${opts.peerPort ?? 2380}`;
  return [
    `--name=${name}`,
    `--data-dir=${opts.dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    // The peer listener binds a free port: a single member never receives peer traffic.
    '--listen-peer-urls=http://127.0.0.1:0',
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
    ...(opts.tls
      ? [
          `--cert-file=${opts.tls.certFile}`,
          `--key-file=${opts.tls.keyFile}`,
          ...(opts.tls.trustedCaFile ? [`--trusted-ca-file=${opts.tls.trustedCaFile}`] : []),
          `--client-cert-auth=${opts.tls.clientCertAuth ?? false}`,
        ]
      : []),
    ...(opts.quotaBytes !== undefined ? [`--quota-backend-bytes=${opts.quotaBytes}`] : []),
    ...(opts.snapshotCount !== undefined ? [`--snapshot-count=${opts.snapshotCount}`] : []),
    ...(opts.extraArgs ?? []),
  ];
}

/**
 * A single-member kubets-store inside the calling process, serving the etcd v3 API on a local
 * port: the local all-in-one cluster's store. It goes through the binary's own path (flags →
 * config → runStore), so data dir, API and TLS are exactly the binary's; only signals are left
 * to the embedding process, which calls close().
 */
export async function startEmbeddedStore(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const parsed = parseFlags(storeFlags, embeddedStoreArgs(opts));
  if (parsed.kind === 'error') throw parsed.error;
  if (parsed.kind !== 'ok') throw new Error('unexpected --help/--version in embedded store flags');
  const config = buildConfig(parsed.values);
  const running = await runStore(config, {
    version: packageVersion(),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.logging ? { logging: opts.logging } : {}),
    // The embedding process registers its own process_* metrics, if any.
    defaultMetrics: false,
    shutdown: { signalSource: false, exit: () => undefined, delayMs: 0 },
  });
  const { etcd } = running;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= running.component.stop('embedded store closed').then(() => undefined));
  // Wait for the member to lead (a single member elects itself at once).
  const deadline = Date.now() + 10_000;
  while (etcd.leader === 0) {
    if (Date.now() > deadline) {
      await close();
      throw new Error('embedded kubets-store did not elect itself leader');
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const host = config.listenClientUrls[0]!.host;
  return { server: etcd, endpoint: `${host}:${running.clientPorts[0]}`, close, stop: close };
}
