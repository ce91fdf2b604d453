import type {
  GrpcServer,
  GrpcServerOptions,
  GrpcServerTls,
} from '@kubets/component-base/grpc-server';

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

/** Binds the gRPC server to every URL; resolves with the bound ports, in order. */
export async function bindGrpc(
  server: GrpcServer,
  urls: readonly ListenUrl[],
  tls: (url: ListenUrl) => GrpcServerTls | undefined = () => undefined,
): Promise<number[]> {
  const ports: number[] = [];
  for (const url of urls) {
    const t = tls(url);
    ports.push(await server.listen({ host: url.host, port: url.port, ...(t ? { tls: t } : {}) }));
  }
  return ports;
}

/**
 * The client API server's options, matching etcd's limits, on the JavaScript HTTP/2 layer by
 * default (decision 0025; `node-http2` is Node's). Keepalive: HTTP/2 PINGs are answered
 * whenever they come, with or without calls in flight (etcd's clients ping every 30 s at
 * most); only a flood (more than the JS layer's control-frame budget, 1000/s after a burst of
 * 2000) closes a connection.
 */
export function grpcServerOptions(
  maxRequestBytes: number,
  onError?: (err: unknown, context: string) => void,
  transport: 'node-http2' | 'js' = 'js',
  keepalive: { intervalMs: number; timeoutMs: number } = { intervalMs: 0, timeoutMs: 0 },
): GrpcServerOptions {
  return {
    // etcd's --grpc-keepalive-interval / -timeout: a PING to a quiet client, the connection
    // cut when it goes unanswered (0 turns either off).
    ...(keepalive.intervalMs > 0 ? { keepaliveTimeMs: keepalive.intervalMs } : {}),
    ...(keepalive.intervalMs > 0
      ? { keepaliveTimeoutMs: keepalive.timeoutMs > 0 ? keepalive.timeoutMs : 2 ** 31 - 1 }
      : {}),
    transport: transport === 'js' ? 'js' : 'node:http2',
    // etcd: max request bytes plus 512 KiB of gRPC overhead.
    maxReceiveMessageLength: maxRequestBytes + 512 * 1024,
    maxSendMessageLength: 2 ** 31 - 1,
    ...(onError ? { onError } : {}),
  };
}
