import * as grpc from '@grpc/grpc-js';

export interface ListenUrl {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
}

/**
 * Parses an etcd-style listen URL (`http://127.0.0.1:2379`). Port 0 asks the OS for a free
 * port. Errors name the flag so the operator knows what to fix.
 */
export function parseListenUrl(raw: string, flag: string): ListenUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(
      `${flag}: ${JSON.stringify(raw)} is not a URL (expected e.g. http://127.0.0.1:2379)`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`${flag}: URL scheme must be http or https, got ${JSON.stringify(raw)}`);
  }
  if (u.port === '') throw new Error(`${flag}: ${JSON.stringify(raw)} has no port`);
  if (u.pathname !== '/' && u.pathname !== '') {
    throw new Error(`${flag}: ${JSON.stringify(raw)} must not have a path`);
  }
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { scheme: u.protocol === 'https:' ? 'https' : 'http', host, port: Number(u.port) };
}

/** Binds a grpc-js server to every URL; resolves with the bound ports, in order. */
export async function bindGrpc(
  server: grpc.Server,
  urls: readonly ListenUrl[],
  credentials: (url: ListenUrl) => grpc.ServerCredentials = () =>
    grpc.ServerCredentials.createInsecure(),
): Promise<number[]> {
  const ports: number[] = [];
  for (const url of urls) {
    const host = url.host.includes(':') ? `[${url.host}]` : url.host;
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${url.port}`, credentials(url), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    ports.push(port);
  }
  return ports;
}

/** grpc-js server options matching etcd's limits. */
/**
 * grpc-js keeps channelz statistics for every call unless told not to: per-call bookkeeping
 * nothing here reads (etcd does not serve channelz either).
 */
export const NO_CHANNELZ = { 'grpc.enable_channelz': 0 } as const;

export function grpcServerOptions(maxRequestBytes: number): grpc.ServerOptions {
  return {
    // etcd: max request bytes plus 512 KiB of gRPC overhead.
    'grpc.max_receive_message_length': maxRequestBytes + 512 * 1024,
    'grpc.max_send_message_length': 2 ** 31 - 1,
    // Clients (etcd3, clientv3) ping every 30 s at most.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5000,
    ...NO_CHANNELZ,
  };
}
