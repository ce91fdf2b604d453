/**
 * Reading certificates back: subject fields, SANs, usages and validity, in plain data, plus the
 * `kubeadm certs check-expiration` style of showing residual time.
 */
import { canonicalIp } from './ip.js';
import type { SubjectAltName } from './names.js';
import { x509 } from './x509.js';

export type ExtendedKeyUsageName =
  | 'serverAuth'
  | 'clientAuth'
  | 'codeSigning'
  | 'emailProtection'
  | 'timeStamping'
  | 'ocspSigning'
  | 'any';

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

export interface CertificateSummary {
  subject: string;
  /** The first CN, or '' when there is none. */
  commonName: string;
  organizations: string[];
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  subjectAltNames: SubjectAltName[];
  keyUsages: KeyUsageName[];
  /** `ExtendedKeyUsageName`s for the well-known OIDs, the dotted OID otherwise. */
  extendedKeyUsages: string[];
  publicKeyAlgorithm: string;
}

const EKU_NAMES: Record<string, ExtendedKeyUsageName> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'ocspSigning',
  '2.5.29.37.0': 'any',
};

const KEY_USAGE_BITS: [KeyUsageName, number][] = [
  ['digitalSignature', x509.KeyUsageFlags.digitalSignature],
  ['nonRepudiation', x509.KeyUsageFlags.nonRepudiation],
  ['keyEncipherment', x509.KeyUsageFlags.keyEncipherment],
  ['dataEncipherment', x509.KeyUsageFlags.dataEncipherment],
  ['keyAgreement', x509.KeyUsageFlags.keyAgreement],
  ['keyCertSign', x509.KeyUsageFlags.keyCertSign],
  ['cRLSign', x509.KeyUsageFlags.cRLSign],
  ['encipherOnly', x509.KeyUsageFlags.encipherOnly],
  ['decipherOnly', x509.KeyUsageFlags.decipherOnly],
];

/** DNS and IP SANs (other kinds are ignored: Kubernetes uses neither email nor URI SANs). */
export function subjectAltNamesOf(certificate: x509.X509Certificate): SubjectAltName[] {
  const extension = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  if (extension === null) return [];
  const out: SubjectAltName[] = [];
  for (const name of extension.names.items) {
    if (name.type === 'dns') out.push({ type: 'dns', value: name.value });
    if (name.type === 'ip') out.push({ type: 'ip', value: canonicalIp(name.value) ?? name.value });
  }
  return out;
}

export function extendedKeyUsagesOf(certificate: x509.X509Certificate): string[] | undefined {
  const extension = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  if (extension === null) return undefined;
  return extension.usages.map((usage) => {
    const oid = String(usage);
    return EKU_NAMES[oid] ?? oid;
  });
}

export function keyUsagesOf(certificate: x509.X509Certificate): KeyUsageName[] | undefined {
  const extension = certificate.getExtension(x509.KeyUsagesExtension);
  if (extension === null) return undefined;
  return KEY_USAGE_BITS.filter(([, bit]) => (extension.usages & bit) !== 0).map(([name]) => name);
}

export function isCertificateAuthority(certificate: x509.X509Certificate): boolean {
  return certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

export function summarizeCertificate(certificate: x509.X509Certificate): CertificateSummary {
  const algorithm = certificate.publicKey.algorithm as {
    name: string;
    namedCurve?: string;
    modulusLength?: number;
  };
  const detail =
    algorithm.namedCurve ??
    (algorithm.modulusLength === undefined ? '' : String(algorithm.modulusLength));
  return {
    subject: certificate.subject,
    commonName: certificate.subjectName.getField('CN')[0] ?? '',
    organizations: certificate.subjectName.getField('O'),
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    isCa: isCertificateAuthority(certificate),
    subjectAltNames: subjectAltNamesOf(certificate),
    keyUsages: keyUsagesOf(certificate) ?? [],
    extendedKeyUsages: extendedKeyUsagesOf(certificate) ?? [],
    publicKeyAlgorithm: detail === '' ? algorithm.name : `${algorithm.name} ${detail}`,
  };
}

/**
 * Time left until `notAfter`, as kubeadm prints it (Kubernetes' `duration.ShortHumanDuration`):
 * `45s`, `12m`, `5h`, `364d`, `9y`, and `<invalid>` once expired.
 */
export function residualTime(notAfter: Date, now: Date): string {
  const ms = notAfter.getTime() - now.getTime();
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Jan 02, 2006 15:04 UTC`, the layout of kubeadm's EXPIRES column. */
export function formatExpiry(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[date.getUTCMonth()] ?? ''} ${pad(date.getUTCDate())}, ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`
  );
}
