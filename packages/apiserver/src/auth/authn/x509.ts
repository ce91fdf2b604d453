/**
 * Client-certificate authentication (`--client-ca-file`): the TLS layer verifies the chain
 * against the client CA; the leaf's subject CommonName is the user name and its Organizations
 * are the groups, as upstream's x509 CommonNameUserConversion.
 */
import { X509Certificate } from 'node:crypto';
import type { UserInfo } from '../types.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';

function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The user a verified client certificate (DER, leaf) stands for; throws when unusable. */
export function userFromCertificate(der: Buffer): UserInfo {
  const cert = new X509Certificate(der);
  // Go's verifier requires the client-auth usage when the certificate restricts usages.
  const usages = (cert as X509Certificate & { keyUsage?: string[] }).keyUsage;
  if (usages && usages.length > 0 && !usages.includes(CLIENT_AUTH) && !usages.includes(ANY_EKU)) {
    throw new Error('x509: certificate specifies an incompatible key usage');
  }
  const subject = cert.toLegacyObject().subject as unknown as
    Record<string, string | string[]> | undefined;
  const cn = values(subject?.CN)[0] ?? '';
  if (cn === '') throw new Error('x509: certificate has no common name');
  return { username: cn, groups: values(subject?.O) };
}
