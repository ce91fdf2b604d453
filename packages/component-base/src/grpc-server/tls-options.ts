/**
 * The TLS settings both HTTP/2 layers serve gRPC with: the certificate, client certificates
 * asked for and required with `clientCertAuth`, and ALPN `h2` only (RFC 9113 section 3.2).
 */
import type { TlsOptions } from 'node:tls';
import type { GrpcServerTls } from './server.js';

export function h2TlsOptions(tls: GrpcServerTls): TlsOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca ? { ca: tls.ca } : {}),
    requestCert: tls.clientCertAuth,
    rejectUnauthorized: tls.clientCertAuth,
    ALPNProtocols: ['h2'],
  };
}
