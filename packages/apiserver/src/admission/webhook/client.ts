/**
 * Calls one webhook: POSTs an AdmissionReview over HTTPS to `clientConfig.url` or to the Service
 * `clientConfig.service` (as `https://<name>.<namespace>.svc:<port><path>`, dialled at the
 * Service's clusterIP), trusting only `caBundle` when it is set, with `?timeout=<n>s` and a hard
 * deadline, as upstream's webhook client does. Errors read like upstream's (Go's net/http).
 */
import { request } from 'node:https';
import { isIP } from 'node:net';

export interface WebhookTarget {
  /** The URL as upstream prints it in errors (with `?timeout=`). */
  url: URL;
  /** Where to connect when it is not the URL's host (a Service's clusterIP). */
  connectHost?: string;
  /** PEM CAs; undefined means the system roots. */
  ca?: string;
}

export interface WebhookResponse {
  status: number;
  body: string;
}

/** A failure to call the webhook (network, TLS, timeout, non-2xx, undecodable answer). */
export class WebhookCallError extends Error {}

export function targetURL(base: string, timeoutSeconds: number): URL {
  const u = new URL(base);
  u.searchParams.set('timeout', `${timeoutSeconds}s`);
  return u;
}

function goError(err: NodeJS.ErrnoException, t: WebhookTarget): string {
  const hostPort = `${t.connectHost ?? t.url.hostname}:${t.url.port || '443'}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`;
    case 'ECONNRESET':
      return `read tcp ${hostPort}: read: connection reset by peer`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${t.url.hostname}: no such host`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `dial tcp ${hostPort}: connect: no route to host`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${t.url.hostname}`;
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    default:
      return err.message;
  }
}

export function postReview(
  t: WebhookTarget,
  body: string,
  timeoutMs: number,
): Promise<WebhookResponse> {
  const where = `Post "${t.url.toString()}"`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (msg: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new WebhookCallError(`${where}: ${msg}`));
    };
    const req = request(
      {
        host: t.connectHost ?? t.url.hostname,
        port: t.url.port || 443,
        path: `${t.url.pathname}${t.url.search}`,
        method: 'POST',
        ...(isIP(t.url.hostname) ? {} : { servername: t.url.hostname }),
        ...(t.ca !== undefined ? { ca: t.ca } : {}),
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, */*',
          'Content-Length': Buffer.byteLength(body),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => fail(goError(err, t)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    const timer = setTimeout(() => fail('context deadline exceeded'), timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => fail(goError(err, t)));
    req.end(body);
  });
}
