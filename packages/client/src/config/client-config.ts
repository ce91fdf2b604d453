/**
 * From a kubeconfig (plus kubectl-style overrides) or from in-cluster service-account files to a
 * {@link ClientConfig}: the one resolved description of how to reach and authenticate to the API
 * server (client-go's rest.Config). Validation follows clientcmd's `ConfirmUsable`, with its
 * messages, so a broken kubeconfig fails here the way kubectl fails on it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthInfo, Cluster, Kubeconfig } from './kubeconfig.js';
import { KubeconfigError, loadKubeconfig, type KubeconfigLoadOptions } from './kubeconfig.js';

/** The default port of the API server's gRPC resource API (kubets-apiserver `--grpc-port`). */
export const DEFAULT_GRPC_PORT = 6444;

/**
 * The cluster extension naming the gRPC endpoint (`host:port`, or `{ server: "host:port" }`) when
 * it is not the REST server's host on {@link DEFAULT_GRPC_PORT}.
 */
export const GRPC_SERVER_EXTENSION = 'kubets.io/grpc-server';

/** rest.Config: where the API server is and who we are. */
export interface ClientConfig {
  /** The REST API's URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** The gRPC resource API's `host:port`. */
  grpcServer: string;
  /** False for an `http://` server: the gRPC channel is plaintext too. */
  tls: boolean;
  /** Verify the server certificate against this name instead of the host. */
  tlsServerName?: string;
  insecureSkipTLSVerify: boolean;
  /** PEM CA bundle; unset: the system roots. */
  caData?: Buffer;
  /** PEM client certificate and key, both or neither. */
  certData?: Buffer;
  keyData?: Buffer;
  bearerToken?: string;
  /** Re-read periodically; its last good content takes precedence over `bearerToken`. */
  bearerTokenFile?: string;
  impersonate?: { user?: string; groups?: string[]; uid?: string };
  /** The namespace of the context (or override, or the pod's): `default` when none is set. */
  namespace: string;
  /** Client-side rate limit; 0/unset: 5 qps burst 10 (client-go); negative: unlimited. */
  qps?: number;
  burst?: number;
  userAgent?: string;
  /** A deadline for each request except watches (rest.Config.Timeout); unset: none. */
  timeoutMs?: number;
}

/** kubectl's connection flags (clientcmd.ConfigOverrides). */
export interface ConfigOverrides {
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  tlsServerName?: string;
  certificateAuthority?: string;
  insecureSkipTLSVerify?: boolean;
  clientCertificate?: string;
  clientKey?: string;
  token?: string;
  /** Not a kubectl flag: the gRPC endpoint, over the kubeconfig's. */
  grpcServer?: string;
}

export interface BuildOptions {
  /** Reads a file as bytes (default `fs.readFileSync`). */
  readFile?: (path: string) => Buffer;
}

const defaultReadBytes = (path: string): Buffer => readFileSync(path);

/** clientcmd.ErrEmptyConfig. */
export const EMPTY_CONFIG_MESSAGE =
  'invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable';

function invalid(errors: string[]): KubeconfigError {
  return new KubeconfigError(
    errors.length === 1
      ? `invalid configuration: ${errors[0]}`
      : `invalid configuration: [${errors.join(', ')}]`,
  );
}

function readFileFor(
  read: (path: string) => Buffer,
  path: string,
  what: string,
  owner: string,
): Buffer {
  try {
    return read(path);
  } catch (err) {
    throw new KubeconfigError(
      `unable to read ${what} ${path} for ${owner} due to ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function base64(data: string, what: string, owner: string): Buffer {
  const clean = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
    throw new KubeconfigError(`${what} for ${owner} is not valid base64`);
  }
  return Buffer.from(clean, 'base64');
}

/** The gRPC endpoint: override, then the cluster extension, then the REST host on 6444. */
export function grpcServerFor(server: string, cluster: Cluster, override?: string): string {
  if (override) return override;
  const ext = cluster.extensions?.find((e) => e.name === GRPC_SERVER_EXTENSION)?.extension;
  if (typeof ext === 'string' && ext !== '') return ext;
  if (typeof ext === 'object' && ext !== null) {
    const s = (ext as { server?: unknown }).server;
    if (typeof s === 'string' && s !== '') return s;
  }
  const url = new URL(server);
  return `${url.hostname}:${DEFAULT_GRPC_PORT}`;
}

/**
 * rest.DefaultServerURL: a server given as a bare `host:port` gets `https://` when TLS settings
 * are present and `http://` otherwise.
 */
function normalizeServer(server: string, tlsConfigured: boolean): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server)
    ? server
    : `${tlsConfigured ? 'https' : 'http'}://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new KubeconfigError(
      `invalid configuration: host must be a URL or a host:port pair: ${JSON.stringify(server)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new KubeconfigError(`invalid configuration: unsupported server scheme ${url.protocol}`);
  }
  return withScheme.replace(/\/+$/, '');
}

/** The cluster after overrides (clientcmd DirectClientConfig.getCluster). */
function mergedCluster(base: Cluster, o: ConfigOverrides): Cluster {
  const c: Cluster = { ...base };
  if (o.server) c.server = o.server;
  // A CA or insecure override replaces the kubeconfig's CA settings as a whole, so that
  // `--insecure-skip-tls-verify` on a kubeconfig with a CA is not rejected as contradictory.
  if (o.insecureSkipTLSVerify || o.certificateAuthority) {
    c['insecure-skip-tls-verify'] = o.insecureSkipTLSVerify ?? false;
    c['certificate-authority'] = o.certificateAuthority;
    delete c['certificate-authority-data'];
  }
  // `--server` clears the kubeconfig's tls-server-name: it was for the other server.
  if (o.tlsServerName || o.server) c['tls-server-name'] = o.tlsServerName;
  return c;
}

function mergedAuthInfo(base: AuthInfo, o: ConfigOverrides): AuthInfo {
  const u: AuthInfo = { ...base };
  if (o.token) {
    u.token = o.token;
    delete u.tokenFile;
  }
  if (o.clientCertificate) {
    u['client-certificate'] = o.clientCertificate;
    delete u['client-certificate-data'];
  }
  if (o.clientKey) {
    u['client-key'] = o.clientKey;
    delete u['client-key-data'];
  }
  return u;
}

function validateCluster(name: string, c: Cluster, errors: string[]): void {
  if (Object.values(c).every((v) => v === undefined)) {
    errors.push('cluster has no server defined');
    return;
  }
  if (!c.server) errors.push(`no server found for cluster ${JSON.stringify(name)}`);
  if (
    c['insecure-skip-tls-verify'] &&
    (c['certificate-authority'] || c['certificate-authority-data'])
  ) {
    errors.push('specifying a root certificates file with the insecure flag is not allowed');
  }
}

function validateAuthInfo(name: string, u: AuthInfo, errors: string[]): void {
  const methods: string[] = [];
  if (u.token || u.tokenFile) methods.push('token');
  if (u.username || u.password) methods.push('basicAuth');
  const hasCert = !!(u['client-certificate'] || u['client-certificate-data']);
  const hasKey = !!(u['client-key'] || u['client-key-data']);
  if (u['client-certificate'] && u['client-certificate-data']) {
    errors.push(
      `client-cert-data and client-cert are both specified for ${name}; please specify only one`,
    );
  }
  if (u['client-key'] && u['client-key-data']) {
    errors.push(
      `client-key-data and client-key are both specified for ${name}; please specify only one`,
    );
  }
  if (hasCert && !hasKey) {
    errors.push(
      `client-key-data or client-key must be specified for ${name} to use the clientCert authentication method`,
    );
  }
  if (hasKey && !hasCert) {
    errors.push(
      `client-cert-data or client-cert must be specified for ${name} to use the clientCert authentication method`,
    );
  }
  if (methods.length > 1) {
    errors.push(
      `more than one authentication method found for ${name}; found [${methods.join(' ')}], only one is allowed`,
    );
  }
  if (u.exec !== undefined || u['auth-provider'] !== undefined) {
    errors.push(
      `user ${name} uses an exec or auth-provider credential plugin, which @kubets/client does not run`,
    );
  }
  if (u.username || u.password) {
    errors.push(`user ${name} uses basic authentication, which kubets does not serve`);
  }
}

/**
 * Resolves a kubeconfig and kubectl overrides into a {@link ClientConfig}: picks the context
 * (`--context` or `current-context`), its cluster and user (or `--cluster`/`--user`), applies the
 * overrides, validates as clientcmd does, and reads the CA and client certificate files.
 */
export function buildClientConfig(
  config: Kubeconfig,
  overrides: ConfigOverrides = {},
  options: BuildOptions = {},
): ClientConfig {
  const read = options.readFile ?? defaultReadBytes;
  const contextName = overrides.context || config.currentContext;
  // Names given as flags that do not exist fail at once (DirectClientConfig.getContext & co.);
  // a dangling current-context is a validation error like the others.
  if (overrides.context && !config.contexts.has(overrides.context)) {
    throw new KubeconfigError(`context ${JSON.stringify(overrides.context)} does not exist`);
  }
  if (overrides.user && !config.users.has(overrides.user)) {
    throw new KubeconfigError(`auth info ${JSON.stringify(overrides.user)} does not exist`);
  }
  if (overrides.cluster && !config.clusters.has(overrides.cluster) && !overrides.server) {
    throw new KubeconfigError(`cluster ${JSON.stringify(overrides.cluster)} does not exist`);
  }
  const errors: string[] = [];
  const context = contextName ? config.contexts.get(contextName) : undefined;
  if (contextName && !context) {
    errors.push(`context was not found for specified context: ${contextName}`);
  }
  const clusterName = overrides.cluster || context?.cluster || '';
  const userName = overrides.user || context?.user || '';
  const cluster = mergedCluster(config.clusters.get(clusterName) ?? {}, overrides);
  const user = mergedAuthInfo(config.users.get(userName) ?? {}, overrides);

  const nothingConfigured =
    !cluster.server &&
    config.clusters.size === 0 &&
    config.users.size === 0 &&
    config.contexts.size === 0 &&
    !contextName;
  if (nothingConfigured) throw new KubeconfigError(EMPTY_CONFIG_MESSAGE);
  validateCluster(clusterName, cluster, errors);
  validateAuthInfo(userName, user, errors);
  if (errors.length > 0) throw invalid(errors);

  const caData = cluster['certificate-authority-data']
    ? base64(cluster['certificate-authority-data'], 'certificate-authority-data', clusterName)
    : cluster['certificate-authority']
      ? readFileFor(read, cluster['certificate-authority'], 'certificate-authority', clusterName)
      : undefined;
  const certData = user['client-certificate-data']
    ? base64(user['client-certificate-data'], 'client-certificate-data', userName)
    : user['client-certificate']
      ? readFileFor(read, user['client-certificate'], 'client-certificate', userName)
      : undefined;
  const keyData = user['client-key-data']
    ? base64(user['client-key-data'], 'client-key-data', userName)
    : user['client-key']
      ? readFileFor(read, user['client-key'], 'client-key', userName)
      : undefined;

  const insecure = cluster['insecure-skip-tls-verify'] ?? false;
  const server = normalizeServer(cluster.server!, !!caData || !!certData || insecure);
  const tls = server.startsWith('https://');
  const out: ClientConfig = {
    server,
    grpcServer: grpcServerFor(server, cluster, overrides.grpcServer),
    tls,
    insecureSkipTLSVerify: insecure,
    namespace: overrides.namespace || context?.namespace || 'default',
  };
  if (cluster['tls-server-name']) out.tlsServerName = cluster['tls-server-name'];
  if (caData) out.caData = caData;
  if (certData) out.certData = certData;
  if (keyData) out.keyData = keyData;
  if (user.token) out.bearerToken = user.token;
  if (user.tokenFile) out.bearerTokenFile = user.tokenFile;
  if (user.as || user['as-groups'] || user['as-uid']) {
    out.impersonate = {};
    if (user.as) out.impersonate.user = user.as;
    if (user['as-groups']) out.impersonate.groups = user['as-groups'];
    if (user['as-uid']) out.impersonate.uid = user['as-uid'];
  }
  return out;
}

/** Loads the kubeconfig kubectl would use and resolves it (clientcmd.BuildConfigFromFlags). */
export function loadClientConfig(
  overrides: ConfigOverrides = {},
  options: KubeconfigLoadOptions & BuildOptions = {},
): ClientConfig {
  return buildClientConfig(loadKubeconfig(options), overrides, options);
}

/** Where a pod's service-account credentials are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** rest.ErrNotInCluster. */
export const NOT_IN_CLUSTER_MESSAGE =
  'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined';

export interface InClusterOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Prefix for the service-account directory (tests point it at a temporary folder). */
  root?: string;
  readFile?: (path: string) => Buffer;
  /** Told when ca.crt cannot be read (the config is still returned, using system roots). */
  onWarning?: (message: string) => void;
}

export class NotInClusterError extends Error {
  constructor() {
    super(NOT_IN_CLUSTER_MESSAGE);
    this.name = 'NotInClusterError';
  }
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * rest.InClusterConfig: the `kubernetes` Service from the environment, the service account's
 * token (kept as a token file, re-read as it is rotated), its CA and its namespace. The gRPC
 * endpoint is the same Service's port named `grpc` (`KUBERNETES_SERVICE_PORT_GRPC`), else
 * {@link DEFAULT_GRPC_PORT}.
 */
export function inClusterConfig(options: InClusterOptions = {}): ClientConfig {
  const env = options.env ?? process.env;
  const read = options.readFile ?? defaultReadBytes;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new NotInClusterError();
  const dir = join(options.root ?? '/', SERVICE_ACCOUNT_DIR);
  const tokenFile = join(dir, 'token');
  let token: string;
  try {
    token = read(tokenFile).toString('utf8').trim();
  } catch (err) {
    throw new KubeconfigError(`open ${tokenFile}: ${(err as Error).message}`, { cause: err });
  }
  const out: ClientConfig = {
    server: `https://${joinHostPort(host, port)}`,
    grpcServer: joinHostPort(host, env.KUBERNETES_SERVICE_PORT_GRPC || String(DEFAULT_GRPC_PORT)),
    tls: true,
    insecureSkipTLSVerify: false,
    bearerToken: token,
    bearerTokenFile: tokenFile,
    namespace: 'default',
  };
  try {
    out.caData = read(join(dir, 'ca.crt'));
  } catch (err) {
    // client-go logs and continues with the system roots.
    options.onWarning?.(
      `Expected to load root CA config from ${join(dir, 'ca.crt')}, but got err: ${(err as Error).message}`,
    );
  }
  // clientcmd's inClusterClientConfig.Namespace: POD_NAMESPACE, then the mounted namespace file.
  const podNamespace = env.POD_NAMESPACE;
  if (podNamespace) out.namespace = podNamespace;
  else {
    try {
      const ns = read(join(dir, 'namespace')).toString('utf8').trim();
      if (ns) out.namespace = ns;
    } catch {
      // no namespace file: "default"
    }
  }
  return out;
}
