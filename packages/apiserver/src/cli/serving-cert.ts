/**
 * `--cert-dir`: when no `--tls-cert-file`/`--tls-private-key-file` are given, kube-apiserver
 * serves with `apiserver.crt`/`apiserver.key` from this directory, generating a self-signed pair
 * there first if it is missing: a CA (`<host>-ca@<unix time>`) and a serving certificate
 * (`<host>@<unix time>`) signed by it, the file holding the certificate then the CA, so a client
 * can use `apiserver.crt` itself as its CA file.
 *
 * node:crypto makes keys and signatures but not certificates, and the apiserver package takes no
 * X.509 dependency, so the few DER structures a certificate needs are encoded here.
 */
import {
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

// --- minimal DER ---
function tlv(tag: number, content: Buffer): Buffer {
  const len = content.length;
  let header: Buffer;
  if (len < 0x80) header = Buffer.from([tag, len]);
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, content]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer =>
  tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

function integer(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let n = Math.floor(p / 128); n > 0; n = Math.floor(n / 128))
      chunk.unshift((n & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-12-06T22:15:07.123Z
  const compact = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(compact.slice(2)))
    : tlv(0x18, Buffer.from(compact));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand `::`.
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return out;
}

interface CertSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signer: KeyObject;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  dnsNames?: string[];
  ips?: string[];
}

function certificate(s: CertSpec): Buffer {
  const exts = [
    // keyUsage: digitalSignature + keyEncipherment, or digitalSignature + keyCertSign for the CA.
    extension(
      '2.5.29.15',
      true,
      s.ca ? bits(Buffer.from([0x84]), 2) : bits(Buffer.from([0xa0]), 5),
    ),
    extension('2.5.29.19', true, s.ca ? seq(bool(true)) : seq()),
  ];
  if (!s.ca) {
    exts.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
    const names = [
      ...(s.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d))),
      ...(s.ips ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
    ];
    exts.push(extension('2.5.29.17', false, seq(...names)));
  }
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(s.issuer),
    seq(time(s.notBefore), time(s.notAfter)),
    name(s.subject),
    s.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, { key: s.signer, dsaEncoding: 'der' });
  return seq(tbs, ECDSA_SHA256, bits(signature));
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

export interface SelfSignedOptions {
  /** The public address (an IP or a DNS name), as upstream's advertise address. */
  host: string;
  alternateDNS?: string[];
  alternateIPs?: string[];
  now?: Date;
}

/** A CA and a serving certificate signed by it, valid for a year, as PEM (chain, key). */
export function generateSelfSignedCertKey(o: SelfSignedOptions): { cert: string; key: string } {
  const now = o.now ?? new Date();
  const unix = Math.floor(now.getTime() / 1000);
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + 365 * 24 * 3600_000);
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caName = `${o.host}-ca@${unix}`;
  const caCert = certificate({
    subject: caName,
    issuer: caName,
    publicKey: caKeys.publicKey,
    signer: caKeys.privateKey,
    notBefore,
    notAfter,
    ca: true,
  });
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const hostIsIP = isIP(o.host) !== 0;
  const ips = [...new Set([...(hostIsIP ? [o.host] : []), ...(o.alternateIPs ?? [])])];
  const dnsNames = [...new Set([...(hostIsIP ? [] : [o.host]), ...(o.alternateDNS ?? [])])];
  const cert = certificate({
    subject: `${o.host}@${unix}`,
    issuer: caName,
    publicKey: keys.publicKey,
    signer: caKeys.privateKey,
    notBefore,
    notAfter,
    ca: false,
    dnsNames,
    ips,
  });
  return {
    cert: pem('CERTIFICATE', cert) + pem('CERTIFICATE', caCert),
    key: keys.privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
  };
}

/**
 * The serving pair in `certDir` (`apiserver.crt`, `apiserver.key`), generated when either file
 * is missing. `generated` tells whether it was made now.
 */
export function ensureServingCert(
  certDir: string,
  o: SelfSignedOptions,
): { cert: Buffer; key: Buffer; certFile: string; keyFile: string; generated: boolean } {
  const certFile = join(certDir, 'apiserver.crt');
  const keyFile = join(certDir, 'apiserver.key');
  let generated = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const pair = generateSelfSignedCertKey(o);
    try {
      mkdirSync(certDir, { recursive: true, mode: 0o755 });
      writeFileSync(certFile, pair.cert, { mode: 0o644 });
      writeFileSync(keyFile, pair.key, { mode: 0o600 });
    } catch (err) {
      throw new Error(
        `--cert-dir: unable to generate self signed cert in ${certDir}: ${(err as Error).message}`,
      );
    }
    generated = true;
  }
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  createPrivateKey(key); // fail early on a damaged key file
  return { cert, key, certFile, keyFile, generated };
}
