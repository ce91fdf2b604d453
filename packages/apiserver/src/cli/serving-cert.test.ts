import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureServingCert, generateSelfSignedCertKey } from './serving-cert.js';

function splitPem(chain: string): X509Certificate[] {
  return (chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? []).map(
    (p) => new X509Certificate(p),
  );
}

describe('self-signed serving certificate (--cert-dir)', () => {
  it('is a serving certificate signed by its own CA, with the SANs asked for', () => {
    const now = new Date('2026-12-06T22:00:00Z');
    const { cert } = generateSelfSignedCertKey({
      host: '10.0.0.5',
      alternateDNS: ['kubernetes.default.svc', 'localhost'],
      alternateIPs: ['10.96.0.1', '127.0.0.1', '::1'],
      now,
    });
    const [leaf, ca] = splitPem(cert);
    expect(leaf!.subject).toBe(`CN=10.0.0.5@${now.getTime() / 1000}`);
    expect(ca!.subject).toBe(`CN=10.0.0.5-ca@${now.getTime() / 1000}`);
    expect(leaf!.issuer).toBe(ca!.subject);
    expect(ca!.ca).toBe(true);
    expect(leaf!.ca).toBe(false);
    expect(leaf!.verify(ca!.publicKey)).toBe(true);
    expect(ca!.verify(ca!.publicKey)).toBe(true);
    expect(leaf!.subjectAltName).toBe(
      'DNS:kubernetes.default.svc, DNS:localhost, IP Address:10.0.0.5, IP Address:10.96.0.1, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(leaf!.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf!.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new Date(leaf!.validTo).getTime()).toBe(now.getTime() + 365 * 24 * 3600_000);
  });

  it('is written once to the directory and verifies in a real TLS handshake', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubets-certdir-'));
    try {
      const certDir = join(dir, 'nested', 'certs');
      const first = ensureServingCert(certDir, { host: '127.0.0.1', alternateDNS: ['localhost'] });
      expect(first.generated).toBe(true);
      expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
      const again = ensureServingCert(certDir, { host: '127.0.0.1' });
      expect(again.generated).toBe(false);
      expect(again.cert.equals(first.cert)).toBe(true);
      const server = createServer({ cert: first.cert, key: first.key }, (_req, res) =>
        res.end('ok'),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const port = (server.address() as AddressInfo).port;
        const body = await new Promise<string>((resolve, reject) => {
          const req = request(
            { host: '127.0.0.1', port, ca: readFileSync(first.certFile), path: '/' },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve(text));
            },
          );
          req.on('error', reject);
          req.end();
        });
        expect(body).toBe('ok');
      } finally {
        server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
