/**
 * kubeconfig files (`apiVersion: v1`, `kind: Config`) as kubeadm writes them: one cluster with
 * the CA embedded (`certificate-authority-data`), one user with an embedded client certificate
 * and key or a bearer token, one context, and `current-context` set, so `kubectl --kubeconfig`
 * works with no other file around.
 */
import { parseDocument, stringify } from 'yaml';

export type KubeconfigCredentials =
  { clientCertificatePem: string; clientKeyPem: string } | { token: string };

export interface KubeconfigOptions {
  /** Name of the cluster entry (kubeadm: `kubernetes`). */
  clusterName: string;
  /** API server URL, `https://host:port`. */
  server: string;
  caCertificatePem: string;
  /** Name of the user entry; the context is `<userName>@<clusterName>`. */
  userName: string;
  credentials: KubeconfigCredentials;
  /** Namespace of the context; omitted when undefined. */
  namespace?: string;
}

interface NamedCluster {
  name: string;
  cluster: { 'certificate-authority-data': string; server: string };
}
interface NamedUser {
  name: string;
  user: { 'client-certificate-data': string; 'client-key-data': string } | { token: string };
}
interface NamedContext {
  name: string;
  context: { cluster: string; user: string; namespace?: string };
}

/** The document, keys in the order kubectl writes them (alphabetical). */
export interface Kubeconfig {
  apiVersion: 'v1';
  clusters: NamedCluster[];
  contexts: NamedContext[];
  'current-context': string;
  kind: 'Config';
  preferences: Record<string, never>;
  users: NamedUser[];
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Checks an API server URL as kubectl would need it; returns the URL object. */
export function parseServerUrl(server: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`"${server}" is not a URL (expected https://host:port)`);
  }
  if (url.protocol !== 'https:') {
    throw new Error(`"${server}" must use https (the API server only serves TLS)`);
  }
  if (url.hostname === '') throw new Error(`"${server}" has no host`);
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new Error(`"${server}" must not carry credentials, a query or a fragment`);
  }
  return url;
}

export function buildKubeconfig(options: KubeconfigOptions): Kubeconfig {
  parseServerUrl(options.server);
  if (options.clusterName.trim() === '') throw new Error('cluster name must not be empty');
  if (options.userName.trim() === '') throw new Error('user name must not be empty');
  const contextName = `${options.userName}@${options.clusterName}`;
  const credentials = options.credentials;
  let user: NamedUser['user'];
  if ('token' in credentials) {
    if (credentials.token === '' || /\s/.test(credentials.token)) {
      throw new Error('token must be non-empty and contain no whitespace');
    }
    user = { token: credentials.token };
  } else {
    user = {
      'client-certificate-data': base64(credentials.clientCertificatePem),
      'client-key-data': base64(credentials.clientKeyPem),
    };
  }
  return {
    apiVersion: 'v1',
    clusters: [
      {
        cluster: {
          'certificate-authority-data': base64(options.caCertificatePem),
          server: options.server,
        },
        name: options.clusterName,
      },
    ],
    contexts: [
      {
        context: {
          cluster: options.clusterName,
          ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
          user: options.userName,
        },
        name: contextName,
      },
    ],
    'current-context': contextName,
    kind: 'Config',
    preferences: {},
    users: [{ name: options.userName, user }],
  };
}

/** YAML in kubectl's layout: unindented sequences, no line folding of the long base64 values. */
export function kubeconfigToYaml(config: Kubeconfig): string {
  return stringify(config, { indentSeq: false, lineWidth: 0 });
}

export function renderKubeconfig(options: KubeconfigOptions): string {
  return kubeconfigToYaml(buildKubeconfig(options));
}

/** A user entry of a kubeconfig that carries an embedded client certificate. */
export interface KubeconfigClientCertificate {
  userName: string;
  certificatePem: string;
}

/**
 * The embedded client certificates of a kubeconfig (for expiry listings). Throws an Error naming
 * `source` if the text is not a kubeconfig.
 */
export function kubeconfigClientCertificates(
  text: string,
  source = 'kubeconfig',
): KubeconfigClientCertificate[] {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new Error(`${source}: invalid YAML: ${document.errors[0]?.message ?? ''}`);
  }
  const value: unknown = document.toJS();
  if (
    typeof value !== 'object' ||
    value === null ||
    (value as { kind?: unknown }).kind !== 'Config'
  ) {
    throw new Error(`${source}: not a kubeconfig (kind: Config expected)`);
  }
  const users = (value as { users?: unknown }).users;
  if (!Array.isArray(users)) return [];
  const out: KubeconfigClientCertificate[] = [];
  for (const entry of users as unknown[]) {
    const name = (entry as { name?: unknown } | null)?.name;
    const data = (entry as { user?: { 'client-certificate-data'?: unknown } } | null)?.user?.[
      'client-certificate-data'
    ];
    if (typeof name === 'string' && typeof data === 'string') {
      out.push({ userName: name, certificatePem: Buffer.from(data, 'base64').toString('utf8') });
    }
  }
  return out;
}

/** The cluster extension @kubets/client reads the gRPC resource API's `host:port` from. */
export const GRPC_SERVER_EXTENSION = 'kubets.io/grpc-server';

/**
 * The kubeconfig text with every cluster advertising `grpcServer` (`host:port`) in the
 * `kubets.io/grpc-server` extension (replacing an older value); other content is kept as is.
 * kubectl keeps and ignores unknown extensions.
 */
export function withGrpcServer(text: string, grpcServer: string, source = 'kubeconfig'): string {
  const doc = parseDocument(text);
  const config = doc.toJS() as { kind?: string; clusters?: unknown } | null;
  if (config?.kind !== 'Config' || !Array.isArray(config.clusters)) {
    throw new Error(`${source}: not a kubeconfig (kind: Config with clusters expected)`);
  }
  const clusters = config.clusters as { cluster?: { extensions?: unknown } }[];
  for (let i = 0; i < clusters.length; i++) {
    const current = clusters[i]?.cluster?.extensions;
    const others = (Array.isArray(current) ? (current as { name?: string }[]) : []).filter(
      (e) => e?.name !== GRPC_SERVER_EXTENSION,
    );
    doc.setIn(
      ['clusters', i, 'cluster', 'extensions'],
      [...others, { name: GRPC_SERVER_EXTENSION, extension: { server: grpcServer } }],
    );
  }
  return doc.toString();
}
