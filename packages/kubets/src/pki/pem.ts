/**
 * PEM text: armouring DER, splitting bundles (a `--client-ca-file` may hold several CAs), and
 * parsing certificates with errors that name where the text came from.
 */
import { x509 } from './x509.js';

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

/** PEM-armours DER bytes with 64-character lines, ending in a newline. */
export function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  const lines =
    Buffer.from(bytes)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order; text between blocks is ignored, as OpenSSL does. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const body = (match[2] ?? '').replace(/\s+/g, '');
    // Headers such as "Proc-Type:" (encrypted legacy keys) are not base64.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
      throw new Error(`PEM block "${match[1] ?? ''}" has a body that is not base64`);
    }
    blocks.push({ label: match[1] ?? '', der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return blocks;
}

/**
 * Parses every `CERTIFICATE` block of `text`. Throws an Error naming `source` when there is none
 * or one does not parse.
 */
export function parseCertificates(text: string, source = 'certificate'): x509.X509Certificate[] {
  let blocks: PemBlock[];
  try {
    blocks = pemBlocks(text).filter((block) => block.label === 'CERTIFICATE');
  } catch (err) {
    throw new Error(`${source}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (blocks.length === 0) throw new Error(`${source}: no PEM certificate found`);
  return blocks.map((block, i) => {
    try {
      return new x509.X509Certificate(block.der);
    } catch (err) {
      const which = blocks.length > 1 ? ` (certificate ${i + 1} of ${blocks.length})` : '';
      throw new Error(
        `${source}${which}: not a valid X.509 certificate: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  });
}

/** Parses exactly one certificate. */
export function parseCertificate(text: string, source = 'certificate'): x509.X509Certificate {
  const certificates = parseCertificates(text, source);
  if (certificates.length !== 1) {
    throw new Error(`${source}: expected one certificate, found ${certificates.length}`);
  }
  return certificates[0] as x509.X509Certificate;
}

/** The certificate as PEM text with the library's layout normalised to ours. */
export function certificateToPem(certificate: x509.X509Certificate): string {
  return toPem('CERTIFICATE', certificate.rawData);
}
