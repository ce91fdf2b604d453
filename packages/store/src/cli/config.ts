import {
  MAX_SAMPLING_RATE_PER_MILLION,
  otlpTracesUrl,
  type ComponentTracingSettings,
  type FlagValues,
} from '@kubets/component-base';
import { DEFAULT_QUOTA_BYTES } from '../apply/quota.js';
import { parseCompactionPolicy, type CompactionPolicy } from '../server/compactor.js';
import type { InitialMember } from '../server/etcd-server.js';
import { parseListenUrl, type ListenUrl } from '../server/listen.js';
import type { StoreFlags } from './flags.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  trustedCaFile: string | undefined;
  clientCertAuth: boolean;
}

/** The validated configuration of one kubets-store member. */
export interface StoreConfig {
  name: string;
  dataDir: string;
  listenClientUrls: ListenUrl[];
  listenPeerUrls: ListenUrl[];
  /** host:port of the metrics server, or undefined. */
  metricsAddress: { host: string; port: number } | undefined;
  advertiseClientUrls: string[];
  initialAdvertisePeerUrls: string[];
  initialCluster: InitialMember[];
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  heartbeatMs: number;
  electionMs: number;
  snapshotCount: number;
  /** --experimental-raft-persisted-notices (decision 0050) */
  persistedNotices: boolean;
  /** --experimental-snapshot-catchup-entries */
  catchUpEntries: number;
  quotaBytes: number;
  maxTxnOps: number;
  maxRequestBytes: number;
  autoCompaction: CompactionPolicy | undefined;
  watchProgressNotifyMs: number;
  /**
   * --grpc-transport (or its former name --experimental-grpc-transport): the client API's
   * HTTP/2 layer (decision 0025).
   */
  grpcTransport: 'node-http2' | 'js';
  /** --grpc-keepalive-interval and --grpc-keepalive-timeout, ms (0: off). */
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  clientTls: TlsFiles | undefined;
  peerTls: TlsFiles | undefined;
  /** --experimental-enable-distributed-tracing and its settings; undefined when off. */
  tracing: ComponentTracingSettings | undefined;
}

/**
 * Parses `--initial-cluster` ("a=http://h1:2380,b=http://h2:2380"); a name may repeat to give a
 * member several peer URLs, as etcd allows.
 */
export function parseInitialCluster(items: readonly string[]): InitialMember[] {
  const byName = new Map<string, string[]>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) {
      throw new Error(
        `--initial-cluster: ${JSON.stringify(item)} must be formatted as name=peer-url`,
      );
    }
    const name = item.slice(0, eq).trim();
    const url = item.slice(eq + 1).trim();
    parseListenUrl(url, '--initial-cluster');
    const urls = byName.get(name) ?? [];
    urls.push(url);
    byName.set(name, urls);
  }
  return [...byName].map(([name, peerURLs]) => ({ name, peerURLs }));
}

function tls(
  prefix: '' | 'peer-',
  cert: string,
  key: string,
  ca: string,
  clientCertAuth: boolean,
): TlsFiles | undefined {
  if (cert === '' && key === '') {
    if (clientCertAuth)
      throw new Error(
        `--${prefix}client-cert-auth needs --${prefix}cert-file and --${prefix}key-file`,
      );
    return undefined;
  }
  if (cert === '' || key === '')
    throw new Error(`--${prefix}cert-file and --${prefix}key-file must be given together`);
  if (clientCertAuth && ca === '')
    throw new Error(`--${prefix}client-cert-auth needs --${prefix}trusted-ca-file`);
  return {
    certFile: cert,
    keyFile: key,
    trustedCaFile: ca === '' ? undefined : ca,
    clientCertAuth,
  };
}

/** The distributed tracing flags, checked as etcd checks them; undefined when tracing is off. */
export function tracingSettings(v: FlagValues<StoreFlags>): ComponentTracingSettings | undefined {
  const rate = v['experimental-distributed-tracing-sampling-rate'];
  if (rate < 0) {
    throw new Error(
      `--experimental-distributed-tracing-sampling-rate: invalid value ${rate}: tracing sampling rate must be positive`,
    );
  }
  if (rate > MAX_SAMPLING_RATE_PER_MILLION) {
    throw new Error(
      `--experimental-distributed-tracing-sampling-rate: invalid value ${rate}: tracing sampling rate must be less than ${MAX_SAMPLING_RATE_PER_MILLION}`,
    );
  }
  if (!v['experimental-enable-distributed-tracing']) return undefined;
  const endpoint = v['experimental-distributed-tracing-address'];
  try {
    otlpTracesUrl(endpoint);
  } catch (err) {
    throw new Error(`--experimental-distributed-tracing-address: ${(err as Error).message}`);
  }
  const instanceId = v['experimental-distributed-tracing-instance-id'];
  return {
    endpoint,
    samplingRatePerMillion: rate,
    serviceName: v['experimental-distributed-tracing-service-name'],
    ...(instanceId !== '' ? { serviceInstanceId: instanceId } : {}),
  };
}

/** --grpc-transport, unless its former spelling --experimental-grpc-transport is given. */
function grpcTransport(value: 'js' | 'node-http2', former: string): 'js' | 'node-http2' {
  if (former === '') return value;
  if (former !== 'js' && former !== 'node-http2') {
    throw new Error(
      `--experimental-grpc-transport: must be one of "js", "node-http2" (got "${former}")`,
    );
  }
  return former;
}

/** Turns parsed flags into a StoreConfig; throws an Error naming the offending flag. */
export function buildConfig(v: FlagValues<StoreFlags>): StoreConfig {
  const name = v.name;
  if (name === '') throw new Error('--name must not be empty');
  const initialAdvertisePeerUrls = v['initial-advertise-peer-urls'];
  for (const u of initialAdvertisePeerUrls) parseListenUrl(u, '--initial-advertise-peer-urls');
  for (const u of v['advertise-client-urls']) parseListenUrl(u, '--advertise-client-urls');
  const initialCluster = parseInitialCluster(
    v['initial-cluster'].length > 0
      ? v['initial-cluster']
      : initialAdvertisePeerUrls.map((u) => `${name}=${u}`),
  );
  const self = initialCluster.find((m) => m.name === name);
  if (self === undefined) {
    throw new Error(
      `--initial-cluster does not contain this member's --name ${JSON.stringify(name)} (members: ${initialCluster.map((m) => m.name).join(', ')})`,
    );
  }
  const sorted = (a: readonly string[]) => [...a].sort().join(',');
  if (sorted(self.peerURLs) !== sorted(initialAdvertisePeerUrls)) {
    throw new Error(
      `--initial-cluster has ${name}=${self.peerURLs.join(',')} but --initial-advertise-peer-urls is ${initialAdvertisePeerUrls.join(',')}; they must match`,
    );
  }
  if (v['election-timeout'] < 5 * v['heartbeat-interval']) {
    throw new Error(
      `--election-timeout[${v['election-timeout']}ms] should be at least as 5 times as --heartbeat-interval[${v['heartbeat-interval']}ms]`,
    );
  }
  if (v['election-timeout'] > 50000) throw new Error('--election-timeout must not exceed 50000ms');
  const metricsUrls = v['listen-metrics-urls'].map((u) =>
    parseListenUrl(u, '--listen-metrics-urls'),
  );
  const metricsUrl = metricsUrls[0];
  return {
    name,
    dataDir: v['data-dir'] !== '' ? v['data-dir'] : `${name}.etcd`,
    listenClientUrls: v['listen-client-urls'].map((u) => parseListenUrl(u, '--listen-client-urls')),
    listenPeerUrls: v['listen-peer-urls'].map((u) => parseListenUrl(u, '--listen-peer-urls')),
    metricsAddress: metricsUrl ? { host: metricsUrl.host, port: metricsUrl.port } : undefined,
    advertiseClientUrls: v['advertise-client-urls'],
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterState: v['initial-cluster-state'],
    initialClusterToken: v['initial-cluster-token'],
    heartbeatMs: v['heartbeat-interval'],
    electionMs: v['election-timeout'],
    snapshotCount: v['snapshot-count'],
    persistedNotices: v['experimental-raft-persisted-notices'],
    catchUpEntries: v['experimental-snapshot-catchup-entries'],
    quotaBytes: v['quota-backend-bytes'] === 0 ? DEFAULT_QUOTA_BYTES : v['quota-backend-bytes'],
    maxTxnOps: v['max-txn-ops'],
    maxRequestBytes: v['max-request-bytes'],
    autoCompaction: parseCompactionPolicy(
      v['auto-compaction-mode'],
      v['auto-compaction-retention'],
    ),
    watchProgressNotifyMs: v['experimental-watch-progress-notify-interval'],
    grpcTransport: grpcTransport(v['grpc-transport'], v['experimental-grpc-transport']),
    keepaliveIntervalMs: v['grpc-keepalive-interval'],
    keepaliveTimeoutMs: v['grpc-keepalive-timeout'],
    clientTls: tls('', v['cert-file'], v['key-file'], v['trusted-ca-file'], v['client-cert-auth']),
    peerTls: tls(
      'peer-',
      v['peer-cert-file'],
      v['peer-key-file'],
      v['peer-trusted-ca-file'],
      v['peer-client-cert-auth'],
    ),
    tracing: tracingSettings(v),
  };
}
