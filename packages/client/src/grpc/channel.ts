/**
 * One gRPC channel to the API server's resource API, built from a {@link ClientConfig}: TLS with
 * the kubeconfig's CA and client certificate (or plaintext for an `http://` server), the bearer
 * token and impersonation as per-call metadata (the REST headers' gRPC spelling, decision 0005).
 * Credentials go into metadata per call rather than as gRPC call credentials so a rotated token
 * file is picked up without rebuilding the channel, and so plaintext test servers work the same.
 */
import { credentials, Metadata, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import type { ClientConfig } from '../config/client-config.js';
import { FileTokenSource, staticTokenSource, type TokenSource } from '../config/token-source.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { loadGrpcObject } from '@kubets/api/grpc';
import type { ResourcesClient } from '@kubets/api/grpc';

export interface ChannelSettings {
  /** Extra or overriding @grpc/grpc-js channel options. */
  channelOptions?: ChannelOptions;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Defaults chosen for a control-plane client: no message size cap on receive (a 50,000-pod list
 * page is far beyond gRPC's 4 MiB default), reconnects capped at 5 s instead of 120 s so a
 * restarted API server is found again quickly, and keepalive pings on open calls so a watch on a
 * silently dead connection fails within ~40 s instead of hanging.
 */
export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 5_000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
};

const packageVersion = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;

/**
 * rest.DefaultKubernetesUserAgent's shape, `<program>/<version> (<os>/<arch>) kubets`: the API
 * server names a write's field manager after the program when the caller gives none.
 */
export function defaultUserAgent(argv1: string | undefined = process.argv[1]): string {
  const program = (argv1 ? basename(argv1).replace(/\.[cm]?js$/, '') : '') || 'node';
  return `${program}/v${packageVersion} (${process.platform}/${process.arch}) kubets`;
}

/** The service constructor, built from the descriptor once per process rather than per channel. */
let resourcesConstructor:
  ReturnType<typeof loadGrpcObject>['kubets']['api']['v1']['Resources'] | undefined;

function channelCredentials(config: ClientConfig): ChannelCredentials {
  if (!config.tls) return credentials.createInsecure();
  if (config.insecureSkipTLSVerify) {
    return credentials.createSsl(null, config.keyData ?? null, config.certData ?? null, {
      rejectUnauthorized: false,
    });
  }
  return credentials.createSsl(
    config.caData ?? null,
    config.keyData ?? null,
    config.certData ?? null,
  );
}

/** The Resources service client and the per-call metadata for one {@link ClientConfig}. */
export class ResourcesChannel {
  readonly client: ResourcesClient;
  private readonly tokens: TokenSource;
  private readonly base: Metadata;

  constructor(
    readonly config: ClientConfig,
    settings: ChannelSettings = {},
  ) {
    const options: ChannelOptions = { ...DEFAULT_CHANNEL_OPTIONS };
    if (config.tlsServerName) {
      options['grpc.ssl_target_name_override'] = config.tlsServerName;
      options['grpc.default_authority'] = config.tlsServerName;
    }
    options['grpc.primary_user_agent'] = config.userAgent ?? defaultUserAgent();
    Object.assign(options, settings.channelOptions);
    resourcesConstructor ??= loadGrpcObject().kubets.api.v1.Resources;
    const Resources = resourcesConstructor;
    this.client = new Resources(config.grpcServer, channelCredentials(config), options);
    this.tokens = config.bearerTokenFile
      ? new FileTokenSource(config.bearerTokenFile, {
          fallback: config.bearerToken,
          ...(settings.clock ? { clock: settings.clock } : {}),
          ...(settings.logger ? { logger: settings.logger } : {}),
        })
      : staticTokenSource(config.bearerToken);
    this.base = new Metadata();
    const imp = config.impersonate;
    if (imp?.user) this.base.set('impersonate-user', imp.user);
    for (const g of imp?.groups ?? []) this.base.add('impersonate-group', g);
    if (imp?.uid) this.base.set('impersonate-uid', imp.uid);
  }

  /** Metadata for one call: the current bearer token and impersonation headers. */
  metadata(): Metadata {
    const md = this.base.clone();
    const token = this.tokens.token();
    if (token) md.set('authorization', `Bearer ${token}`);
    return md;
  }

  close(): void {
    this.client.close();
  }
}
