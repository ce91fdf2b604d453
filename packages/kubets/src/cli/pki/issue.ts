/**
 * `kubets pki issue`: one more certificate signed by a CA of the PKI directory, e.g. a kubelet
 * serving certificate, another store member's peer certificate, or a user's client certificate.
 */
import { join } from 'node:path';
import { boolFlag, stringFlag, stringSliceFlag } from '@kubets/component-base';
import { issueCertificate } from '../../pki/certificates.js';
import type { CertificateKind } from '../../pki/certificates.js';
import { PRIVATE_FILE_MODE, PUBLIC_FILE_MODE } from '../../pki/cluster-pki.js';
import {
  ExistingFilesError,
  checkRelativePath,
  destinations,
  writeFiles,
} from '../../pki/files.js';
import { formatExpiry } from '../../pki/inspect.js';
import { CERTIFICATE_KEY_ALGORITHM, generateKeyPair, privateKeyToPem } from '../../pki/keys.js';
import { formatSubjectAltName, parseSubjectAltName } from '../../pki/names.js';
import { loadCertificateAuthorityFiles } from '../../pki/pki-dir.js';
import { leafCommand, UsageError } from '../command.js';
import { certValidityFlag, choiceFlag, dirFlag, requireFlags, sanListFlag } from './flags.js';

const flags = {
  dir: dirFlag(),
  ca: stringFlag({
    default: 'ca',
    help: 'CA to sign with, by name in --dir: ca, front-proxy-ca, etcd/ca.',
  }),
  kind: choiceFlag({
    values: ['server', 'client', 'peer'],
    help: 'Certificate kind: extKeyUsage serverAuth, clientAuth, or both (store peers). Required.',
  }),
  name: stringFlag({
    help: 'File name without extension, relative to --dir (e.g. kubelet-node1, etcd/peer-m2). Required.',
  }),
  cn: stringFlag({
    help: 'Subject common name; for client certificates, the user name. Required.',
  }),
  org: stringSliceFlag({ help: 'Subject organizations; for client certificates, the groups.' }),
  sans: sanListFlag({
    help: 'Subject alternative names (IPs or DNS names); required for server and peer.',
  }),
  'cert-validity': certValidityFlag(),
  force: boolFlag({ help: 'Replace an existing certificate and key of that name.' }),
};

export const issueCommand = leafCommand({
  name: 'issue',
  summary: "Issue a certificate signed by one of the PKI's CAs",
  description:
    'Issues an ECDSA P-256 certificate and key signed by a CA of --dir and writes <name>.crt\n' +
    '(0644) and <name>.key (0600).',
  flags,
  async run({ values }, context) {
    requireFlags(values, 'dir', 'kind', 'name', 'cn');
    const kind = values.kind as CertificateKind;
    if (kind !== 'client' && values.sans.length === 0) {
      throw new UsageError(
        `--sans is required for --kind=${kind} (TLS clients check the host against SANs only)`,
      );
    }
    let name: string;
    try {
      name = checkRelativePath(values.name);
    } catch (err) {
      throw new UsageError(`--name: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ca = await loadCertificateAuthorityFiles(values.dir, values.ca);
    const keys = await (context.generateKeyPair ?? generateKeyPair)(CERTIFICATE_KEY_ALGORITHM);
    const issued = await issueCertificate(
      ca,
      {
        kind,
        commonName: values.cn,
        organizations: values.org,
        subjectAltNames: values.sans.map((san) => parseSubjectAltName(san)),
        validityMs: values['cert-validity'],
      },
      keys.publicKey,
      { now: context.now(), randomBytes: context.randomBytes },
    );
    const files = [
      { path: `${name}.crt`, contents: issued.certificatePem, mode: PUBLIC_FILE_MODE },
      {
        path: `${name}.key`,
        contents: await privateKeyToPem(keys.privateKey),
        mode: PRIVATE_FILE_MODE,
      },
    ];
    try {
      await writeFiles(
        destinations(files, () => values.dir),
        { force: values.force },
      );
    } catch (err) {
      if (err instanceof ExistingFilesError)
        throw new Error(`${err.message}; pass --force to replace them`);
      throw err;
    }
    const sans = values.sans.map((san) => formatSubjectAltName(parseSubjectAltName(san)));
    context.stdout.write(
      `Wrote ${join(values.dir, `${name}.crt`)} and ${name}.key: ${kind}, subject "${issued.certificate.subject}"` +
        `${sans.length > 0 ? `, SANs ${sans.join(', ')}` : ''}, signed by ${values.ca}, expires ${formatExpiry(issued.certificate.notAfter)}\n`,
    );
  },
});
