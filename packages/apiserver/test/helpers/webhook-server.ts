/**
 * A real HTTPS admission webhook for tests: a self-signed certificate (openssl) for 127.0.0.1,
 * a handler from AdmissionReview request to response, and a count of calls per path.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSigned } from './pki.js';

/** The DNS name the certificates also carry: the Service form `hook.webhooks.svc`. */
export const SERVICE_HOST = 'hook.webhooks.svc';

export interface ReviewRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; groups?: string[] };
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
  dryRun: boolean;
}

export interface ReviewAnswer {
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string };
  /** JSON patch operations; sent base64 with patchType JSONPatch. */
  patch?: unknown[];
  warnings?: string[];
  /** Delay before answering (timeouts). */
  delayMs?: number;
}

export type ReviewHandler = (path: string, req: ReviewRequest) => ReviewAnswer;

export interface WebhookServer {
  url: string;
  port: number;
  /** base64 PEM of the certificate (the webhook's caBundle). */
  caBundle: string;
  calls: Map<string, ReviewRequest[]>;
  count(path: string): number;
  stop(): Promise<void>;
}

export function makeCertificate(cn = '127.0.0.1'): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kubets-webhook-cert-'));
  try {
    const files = selfSigned(dir, 'webhook', {
      cn,
      subjectAltName: `IP:127.0.0.1,DNS:${SERVICE_HOST}`,
    });
    return { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startWebhookServer(handler: ReviewHandler): Promise<WebhookServer> {
  const { cert, key } = makeCertificate();
  const calls = new Map<string, ReviewRequest[]>();
  const server: Server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        request: ReviewRequest;
      };
      const list = calls.get(path) ?? [];
      list.push(review.request);
      calls.set(path, list);
      const answer = handler(path, review.request);
      const send = (): void => {
        if (res.destroyed) return;
        const response = {
          uid: review.request.uid,
          allowed: answer.allowed,
          ...(answer.status ? { status: answer.status } : {}),
          ...(answer.warnings ? { warnings: answer.warnings } : {}),
          ...(answer.patch
            ? {
                patchType: 'JSONPatch',
                patch: Buffer.from(JSON.stringify(answer.patch)).toString('base64'),
              }
            : {}),
        };
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }),
        );
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caBundle: Buffer.from(cert).toString('base64'),
    calls,
    count: (path) => calls.get(path)?.length ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
