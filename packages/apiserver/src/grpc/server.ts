/**
 * The gRPC server on `--grpc-port`: kubets.api.v1.Resources over TLS with the REST API's
 * serving certificate (plain only when REST is plain too, i.e. tests and local development).
 * With a client CA, client certificates are requested and, when they verify, handed to the
 * security chain; they are not required, so token clients connect too (as upstream's REST).
 */
import { experimental, Server, ServerCredentials } from '@grpc/grpc-js';
import { loadGrpcObject } from '@kubets/api/grpc';
import { withPreserializedWatch } from './watch-encoding.js';
import { createResourcesService, type ResourcesServiceOptions } from './service.js';

export interface GrpcServerOptions extends ResourcesServiceOptions {
  /** `--grpc-bind-address` (default: --bind-address). */
  host: string;
  /** `--grpc-port`; 0 picks a free port. */
  port: number;
  /** Serving certificate and key (PEM); without them the server is plaintext. */
  tls?: { cert: Buffer; key: Buffer; clientCA?: Buffer };
  /** Largest request message (default 3 MiB + envelope, as REST's body limit). */
  maxReceiveMessageBytes?: number;
}

export interface RunningGrpcServer {
  /** host:port clients dial. */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Static certificates for grpc-js's certificate-provider credentials. Updates are delivered
 * asynchronously: grpc-js subscribes to the providers before it registers the server's own
 * watcher, so a synchronous update would be lost and every connection dropped.
 */
function staticProvider(update: {
  ca?: Buffer;
  identity?: { certificate: Buffer; privateKey: Buffer };
}): experimental.CertificateProvider {
  return {
    addCaCertificateListener: (l) =>
      queueMicrotask(() => l(update.ca ? { caCertificate: update.ca } : null)),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (l) => queueMicrotask(() => l(update.identity ?? null)),
    removeIdentityCertificateListener: () => undefined,
  };
}

function serverCredentials(tls: GrpcServerOptions['tls']): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  if (!tls.clientCA) {
    return ServerCredentials.createSsl(
      null,
      [{ cert_chain: tls.cert, private_key: tls.key }],
      false,
    );
  }
  // createSsl can only require client certificates or not ask for them; this asks and verifies
  // without requiring (requestCert, rejectUnauthorized false): getAuthContext() then reports
  // the peer certificate only when it verified against the CA. grpc-js's function names its
  // parameters (ca, identity) but passes them to a constructor taking (identity, ca).
  const identity = staticProvider({ identity: { certificate: tls.cert, privateKey: tls.key } });
  const ca = staticProvider({ ca: tls.clientCA });
  return experimental.createCertificateProviderServerCredentials(identity, ca, false);
}

export async function startGrpcServer(o: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': o.maxReceiveMessageBytes ?? 3 * 1024 * 1024 + 64 * 1024,
    // Watches are long: keep idle connections alive with pings rather than dropping them.
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  // Watch events arrive serialized (once per event, see watch-encoding.ts).
  const service = withPreserializedWatch(loadGrpcObject().kubets.api.v1.Resources.service);
  server.addService(service, createResourcesService(o));
  const bindHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${o.port}`, serverCredentials(o.tls), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const address = `${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  o.logger?.info('Serving the gRPC resource API', { address, tls: !!o.tls });
  return {
    address,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Watches never end on their own soon: give unary calls a moment, then cut.
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
        timer.unref();
      }),
  };
}
