/**
 * `kubets pki certs` (alias `check-expiration`): every certificate of the PKI directory and of
 * the kubeconfig files, with subject, SANs, expiry and residual time, in the layout of
 * `kubeadm certs check-expiration`, or as JSON.
 */
import { enumFlag, stringFlag } from '@kubets/component-base';
import { formatExpiry, residualTime } from '../../pki/inspect.js';
import { formatSubjectAltName } from '../../pki/names.js';
import { listPkiDirectory } from '../../pki/pki-dir.js';
import type { ListedCertificate, PkiListing } from '../../pki/pki-dir.js';
import { leafCommand } from '../command.js';
import { dirFlag, requireFlags } from './flags.js';

const flags = {
  dir: dirFlag(),
  'kubeconfig-dir': stringFlag({
    help: 'Directory of the kubeconfig files (*.conf) to include (default: --dir).',
  }),
  output: enumFlag({
    shorthand: 'o',
    values: ['table', 'json'],
    default: 'table',
    help: 'Output format.',
  }),
};

/** Left-aligned columns separated by three spaces, as kubeadm's tabwriter output looks. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function sansText(entry: ListedCertificate): string {
  const sans = entry.summary.subjectAltNames.map(formatSubjectAltName);
  return sans.length === 0 ? '-' : sans.join(',');
}

/** The two tables: leaf certificates, then certificate authorities. */
export function formatExpirationTables(listing: PkiListing, now: Date): string {
  const managed = (entry: ListedCertificate) => (entry.externallyManaged ? 'yes' : 'no');
  const certificates = formatTable(
    [
      'CERTIFICATE',
      'EXPIRES',
      'RESIDUAL TIME',
      'CERTIFICATE AUTHORITY',
      'EXTERNALLY MANAGED',
      'SUBJECT',
      'SANS',
    ],
    listing.certificates.map((entry) => [
      entry.name,
      formatExpiry(entry.summary.notAfter),
      residualTime(entry.summary.notAfter, now),
      entry.authority ?? '<unknown>',
      managed(entry),
      entry.summary.subject,
      sansText(entry),
    ]),
  );
  const authorities = formatTable(
    ['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED', 'SUBJECT'],
    listing.authorities.map((entry) => [
      entry.name,
      formatExpiry(entry.summary.notAfter),
      residualTime(entry.summary.notAfter, now),
      managed(entry),
      entry.summary.subject,
    ]),
  );
  return `${certificates}\n${authorities}`;
}

/** JSON for scripts: dates in RFC 3339, residual time in seconds as well as text. */
export function formatExpirationJson(listing: PkiListing, now: Date): string {
  const entry = (e: ListedCertificate) => ({
    name: e.name,
    file: e.file,
    subject: e.summary.subject,
    commonName: e.summary.commonName,
    organizations: e.summary.organizations,
    subjectAltNames: e.summary.subjectAltNames.map(formatSubjectAltName),
    extendedKeyUsages: e.summary.extendedKeyUsages,
    issuer: e.summary.issuer,
    authority: e.authority ?? null,
    externallyManaged: e.externallyManaged,
    notBefore: e.summary.notBefore.toISOString(),
    notAfter: e.summary.notAfter.toISOString(),
    residualSeconds: Math.floor((e.summary.notAfter.getTime() - now.getTime()) / 1000),
    residualTime: residualTime(e.summary.notAfter, now),
  });
  return `${JSON.stringify({ certificates: listing.certificates.map(entry), authorities: listing.authorities.map(entry) }, null, 2)}\n`;
}

export const certsCommand = leafCommand({
  name: 'certs',
  aliases: ['check-expiration'],
  summary: 'List certificates with subject, SANs, expiry and residual time',
  description:
    'Lists every *.crt under --dir and every client certificate embedded in the *.conf files of\n' +
    '--kubeconfig-dir, like kubeadm certs check-expiration.',
  flags,
  async run({ values }, context) {
    requireFlags(values, 'dir');
    const kubeconfigDir = values['kubeconfig-dir'] === '' ? values.dir : values['kubeconfig-dir'];
    const listing = await listPkiDirectory(values.dir, kubeconfigDir);
    const now = context.now();
    context.stdout.write(
      values.output === 'json'
        ? formatExpirationJson(listing, now)
        : formatExpirationTables(listing, now),
    );
  },
});
