/**
 * `--etcd-servers` parsing: kube-apiserver takes a comma-separated list of URLs
 * (`http://127.0.0.1:2379,https://10.0.0.2:2379`). gRPC needs `host:port` targets and one
 * transport security for the whole client, so mixing schemes is refused here with a clear error.
 */

export interface EtcdEndpoint {
  /** `host:port` as grpc-js takes it (IPv6 hosts bracketed). */
  target: string;
  /** The URL as the user wrote it, for logs and errors. */
  url: string;
}

export interface ParsedEndpoints {
  endpoints: EtcdEndpoint[];
  secure: boolean;
}

const DEFAULT_PORT = { http: 2379, https: 2379 } as const;

/** Parses `--etcd-servers`; throws with the offending entry named. */
export function parseEtcdServers(servers: readonly string[] | string): ParsedEndpoints {
  const list = (
    typeof servers === 'string' ? servers.split(',') : servers.flatMap((s) => s.split(','))
  )
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new Error('--etcd-servers must name at least one etcd endpoint');
  const endpoints: EtcdEndpoint[] = [];
  let scheme: 'http' | 'https' | undefined;
  for (const entry of list) {
    // kube-apiserver accepts bare host:port too (treated as http).
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `http://${entry}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new Error(`--etcd-servers: invalid URL ${JSON.stringify(entry)}`);
    }
    const proto = url.protocol.replace(/:$/, '');
    if (proto !== 'http' && proto !== 'https') {
      throw new Error(
        `--etcd-servers: unsupported scheme ${JSON.stringify(proto)} in ${JSON.stringify(entry)} (use http or https)`,
      );
    }
    if (url.pathname !== '/' && url.pathname !== '') {
      throw new Error(`--etcd-servers: unexpected path in ${JSON.stringify(entry)}`);
    }
    if (scheme !== undefined && scheme !== proto) {
      throw new Error('--etcd-servers: all endpoints must use the same scheme (http or https)');
    }
    scheme = proto;
    const port = url.port === '' ? DEFAULT_PORT[proto] : Number(url.port);
    endpoints.push({ target: `${url.hostname}:${port}`, url: entry });
  }
  return { endpoints, secure: scheme === 'https' };
}

/** The smallest key greater than every key with `prefix` (etcd's `GetPrefixRangeEnd`). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff: "\0" means "to the end of the keyspace".
  return Buffer.from([0]);
}
